"""Errors of the matching layer."""

from __future__ import annotations

from schemas.errors import HubError


class MatchingError(HubError):
    """Matching could not run: no records, a broken model file, the engine failed."""


class ModelError(MatchingError):
    """A model file that is missing, unreadable or of an unknown format."""


class ReviewError(MatchingError):
    """A review decision that cannot be taken: an unknown pair or record."""

    exit_code = 2
