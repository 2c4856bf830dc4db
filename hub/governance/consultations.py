"""Consultations at the command line: personal data shown by a command is logged first.

``match review``, ``match explain`` and ``links export`` show or write partner records (names,
dates of birth, identifiers). Each writes a consultation entry (DPA 2018 s.62) *before* it shows
anything: the declared operator (``IOMHUB_ACTOR``) with the operating-system user, the command,
the purpose given (``--purpose``) and which pairs or records, never their values. Without an
audit key nothing is shown. The web app logs its own views (:mod:`hub.web.consultations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hub.audit.events import CommandConsultation
from hub.config import HubConfig
from hub.workspace import Workspace

NOT_STATED = "not stated"
MAX_ITEMS = 500


def record_command_view(
    config: HubConfig,
    command: str,
    *,
    purpose: str | None,
    pairs: Sequence[str] = (),
    records: Sequence[str] = (),
    records_shown: int | None = None,
    out: Path | None = None,
) -> None:
    """Log that ``command`` is about to show these pairs or records, for ``purpose``."""
    Workspace(config.workspace).open_audit(config.settings).record(
        CommandConsultation(
            command=command,
            purpose=purpose or NOT_STATED,
            pairs=tuple(pairs[:MAX_ITEMS]),
            records=tuple(records[:MAX_ITEMS]),
            records_shown=len(records) if records_shown is None else records_shown,
            out=str(out) if out else None,
        )
    )
