"""The unified person view as the sharing layer sees it: fields, their kinds and sensitivity.

The matched view (``matched/persons.parquet``) has one row per internal ``person_id``, the
``sources`` (feed names) holding a record of the person, and for every field ``F`` below a value
column ``F`` and ``F__source`` naming the feed the value came from, and per group of fields the
candidates of every feed when more than one competes. Matching writes the view,
so its columns are defined there (:mod:`matching.survivorship`); this module adds what sharing
needs to know about each field.
"""

from __future__ import annotations

from matching.survivorship import (
    CANDIDATE_SOURCE,
    FIELD_GROUPS,
    PERSON_ID,
    SOURCE_SUFFIX,
    SOURCES,
    VIEW_FIELDS,
    candidates_column,
    source_column,
)
from schemas.canonical import field_types

__all__ = [
    "CANDIDATE_SOURCE",
    "DERIVED_FIELDS",
    "DIRECT_IDENTIFIERS",
    "FIELD_GROUPS",
    "FIELD_KINDS",
    "KNOWN_TO",
    "OFFENCE_FIELDS",
    "PERSON_ID",
    "SHAREABLE_FIELDS",
    "SOURCES",
    "SOURCE_SUFFIX",
    "SPECIAL_CATEGORY_FIELDS",
    "VIEW_FIELDS",
    "candidates_column",
    "source_column",
]

FIELD_KINDS: dict[str, str] = {name: field_types()[name] for name in VIEW_FIELDS}
"""Field -> 'text', 'integer', 'boolean', 'date' or 'sex' (from the canonical record)."""

KNOWN_TO = "known_to"
DERIVED_FIELDS: tuple[str, ...] = (KNOWN_TO,)
"""Fields an agreement may list that no record holds: derived from the view. ``known_to`` is the
list of agencies (feeds) holding a record of the person, from ``sources``; each grant releases
only the feeds it lists (``from``), so an agreement says exactly which agencies' knowing of a
person it allows a recipient to be told. It can only be kept."""
SHAREABLE_FIELDS: tuple[str, ...] = (*VIEW_FIELDS, *DERIVED_FIELDS)
"""Every field an agreement may list."""

SPECIAL_CATEGORY_FIELDS = frozenset(
    {"health_service", "referral_date", "treatment_status", "primary_substance"}
)
"""Health data: UK GDPR Art. 9 (or sensitive processing under DPA 2018 Part 3)."""

OFFENCE_FIELDS = frozenset(
    {
        "pnc_id",
        "cro_number",
        "crn",
        "nomis_number",
        "offence_type",
        "offence_date",
        "offence_count_12m",
        "rfg_score",
        "da_flag",
        "ogrs_score",
        "rosh_level",
        "sentence_type",
        "sentence_end_date",
        "offender_manager",
        "offender_manager_team",
    }
)
"""Criminal offence data: UK GDPR Art. 10 when shared under UK GDPR."""

DIRECT_IDENTIFIERS = frozenset({"pnc_id", "cro_number", "nhs_number", "crn", "nomis_number"})
"""Reference numbers that identify a person on their own."""
