"""Which extract of a feed is current: one much worse than the current is held, not made current.

A newly staged extract (or an earlier one sent again) replaces its feed's current extract only
when at most ``max_quarantine_rate`` of its rows were quarantined and it accepts at most
``max_row_drop`` fewer rows than the current one. On small extracts both shares are taken of at
least :data:`RATE_FLOOR_ROWS` rows, so one bad row in a file of three does not hold it. A held
extract stays staged; :func:`accept_extract` lets an officer make it current on purpose, with a
reason, in the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hub.audit.events import ExtractAccepted
from hub.audit.reasons import refuse_personal_data
from hub.config import HubConfig
from hub.errors import ExtractError
from hub.state import Extract, StateStore
from hub.workspace import Workspace
from schemas.feed import FeedFormat

RATE_FLOOR_ROWS = 20
"""The fewest rows a share of quarantined or dropped rows is taken of."""


@dataclass(frozen=True)
class RowCounts:
    """An extract's rows as ingested, and the reasons rows were quarantined."""

    read: int
    accepted: int
    quarantined: int
    reasons: Mapping[str, int]

    @classmethod
    def of(cls, extract: Extract) -> RowCounts:
        """The counts recorded for a staged extract."""
        return cls(extract.rows_read, extract.rows_accepted or 0, extract.rows_rejected or 0,
                   extract.detail.get("rejections") or {})  # fmt: skip


def top_reasons(counts: Mapping[str, int], limit: int = 3) -> str:
    """The most frequent reasons, e.g. 'pnc_id: fails its check (12); ...'."""
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    shown = "; ".join(f"{reason} ({count:,})" for reason, count in ranked[:limit])
    return shown + (f"; and {len(ranked) - limit} more" if len(ranked) > limit else "")


def _percent(share: float) -> str:
    return f"{share * 100:.3g}%"


def hold_reason(
    fmt: FeedFormat, rows: RowCounts, current: Extract | None, *, quarantine_accepted: bool = False
) -> str | None:
    """Why an extract must not replace ``current`` (None: it may). ``quarantine_accepted``: an
    officer already accepted its quarantined rows, so only the drop is checked."""
    share = rows.quarantined / max(rows.read, RATE_FLOOR_ROWS)
    if not quarantine_accepted and share > fmt.max_quarantine_rate:
        return (
            f"{rows.quarantined:,} of {rows.read:,} rows quarantined "
            f"({_percent(rows.quarantined / max(rows.read, 1))}; the feed allows "
            f"{_percent(fmt.max_quarantine_rate)}): {top_reasons(rows.reasons)}"
        )
    if current is None or not current.rows_accepted:
        return None
    drop = (current.rows_accepted - rows.accepted) / max(current.rows_accepted, RATE_FLOOR_ROWS)
    if drop > fmt.max_row_drop:
        return (
            f"{rows.accepted:,} rows accepted against {current.rows_accepted:,} in the current "
            f"extract {current.name} (a drop of "
            f"{_percent(1 - rows.accepted / current.rows_accepted)}; the feed allows "
            f"{_percent(fmt.max_row_drop)})"
        )
    return None


def accept_hint(feed: str, name: str) -> str:
    """The command that accepts a held extract."""
    return f"iomhub extract accept {feed} {name} --reason '...'"


@dataclass(frozen=True)
class Acceptance:
    """A held extract an officer made current."""

    feed: str
    extract_id: str
    file: str
    rows: int
    replaced: str | None
    """The file of the extract that was current until then."""


def find_extract(state: StateStore, feed: str, file: str) -> Extract:
    """A feed's extract by its id, its file name, or the name of any delivery of its bytes."""
    extracts = state.extracts(feed=feed)
    named = [e for e in extracts if file in (e.extract_id, e.name)]
    if named:
        return named[-1]
    for delivery in reversed(state.deliveries(feed, file)):
        extract = state.extract(delivery.extract_id)
        if extract is not None:
            return extract
    raise ExtractError(
        f"feed {feed!r} has no extract {file!r}",
        hint="`iomhub status` names each feed's held extract; give its file name",
    )


def accept_extract(config: HubConfig, feed: str, file: str, reason: str) -> Acceptance:
    """Make a held extract its feed's current one, on purpose; the audit log keeps the reason."""
    name = config.feed(feed).name
    if not reason.strip():
        raise ExtractError("accepting a held extract needs a reason", hint="--reason '...'")
    refuse_personal_data(reason, "the reason for accepting an extract")
    workspace = Workspace(config.workspace)
    with workspace.lock():
        state = workspace.open_state()
        try:
            extract = find_extract(state, name, file)
            if extract.status != "held":
                raise ExtractError(
                    f"{name}/{extract.name} is not held (it is {extract.status}); only a held "
                    "extract can be accepted"
                )
            if not workspace.staging_file(name, extract.extract_id).exists():
                raise ExtractError(f"{name}/{extract.name}: its staged rows are gone "
                                   "(erased under retention)")  # fmt: skip
            current = state.current_extracts().get(name)
            state.make_current(extract.extract_id, {"accepted": reason})
        finally:
            state.close()
        workspace.open_audit(config.settings).record(ExtractAccepted(
            feed=name, extract_id=extract.extract_id,
            replaced=current.extract_id if current else None,
            rows_accepted=extract.rows_accepted or 0,
            rows_quarantined=extract.rows_rejected or 0, reason=reason,
        ))  # fmt: skip
    return Acceptance(name, extract.extract_id, extract.name, extract.rows_accepted or 0,
                      current.name if current else None)  # fmt: skip
