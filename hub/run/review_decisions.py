"""Reviewers' decisions on any two records: same, different or not sure; four eyes; withdrawal.

A decision may be taken on any pair of current records, queued or not: "different" on two
records one person holds splits them at the next match, "same" on two people's records merges
them (unless a shared valid identifier would be split, see :mod:`matching.cluster`).

Every change is audited first, then made: without an audit key, or with a log that cannot be
written, nothing changes. A "same" between two agencies where one is a health feed, or between
records with different valid PNC IDs, waits for a second, different reviewer when
``matching.review.four_eyes`` is on (the default). Decisions in force are kept in the person
registry and apply from the next match; held decisions and "not sure" in
:mod:`hub.run.review_store`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hub.audit.events import (
    ReviewDecision,
    ReviewDecisionHeld,
    ReviewDecisionSeconded,
    ReviewDecisionWithdrawn,
    ReviewNotSure,
)
from hub.audit.log import AuditLog
from hub.config import HubConfig
from hub.run.record_lookup import records_by_key
from hub.run.review_store import ReviewStore
from hub.workspace import Workspace
from matching.errors import ReviewError
from matching.registry import PersonRegistry, RecordKey, pair_id, pair_key

MAX_NOTE_CHARS = 500


class DecisionKind(enum.StrEnum):
    """What a reviewer says about two records."""

    SAME = "same"
    DIFFERENT = "different"
    NOT_SURE = "not sure"


class Outcome(enum.StrEnum):
    """What became of a decision."""

    IN_FORCE = "in force from the next match"
    HELD = "waits for a second reviewer"
    NOTED = "noted; the model still decides"


@dataclass(frozen=True)
class DecisionResult:
    """A decision taken, and what became of it."""

    left: RecordKey
    right: RecordKey
    kind: DecisionKind
    outcome: Outcome
    why: str | None = None
    """Why a second reviewer is needed, when one is."""

    @property
    def pair_id(self) -> str:
        return pair_id(self.left, self.right)


@dataclass(frozen=True)
class DecisionRow:
    """One decision as the decisions list shows it."""

    left: RecordKey
    right: RecordKey
    kind: DecisionKind
    status: str
    """'in force', 'awaiting second reviewer' or 'not sure'."""
    decided_by: str | None
    decided_at: str
    note: str | None
    why: str | None = None

    @property
    def pair_id(self) -> str:
        return pair_id(self.left, self.right)

    @property
    def left_text(self) -> str:
        return f"{self.left[0]}:{self.left[1]}"

    @property
    def right_text(self) -> str:
        return f"{self.right[0]}:{self.right[1]}"


def text_of(key: RecordKey) -> str:
    """``feed:record_id``."""
    return f"{key[0]}:{key[1]}"


def record_key(text: str) -> RecordKey:
    """A record named ``feed:record_id``; ReviewError otherwise."""
    feed, sep, record = text.strip().partition(":")
    if not sep or not feed or not record:
        raise ReviewError(f"{text.strip()[:40]!r} is not FEED:RECORD_ID (e.g. police:DC96073408)")
    return feed, record


def four_eyes_reason(config: HubConfig, left: RecordKey, right: RecordKey) -> str | None:
    """Why a "same" on this pair needs a second reviewer, or None."""
    rules = config.matching.review
    if not rules.four_eyes:
        return None
    health = set(rules.health_feeds)
    if left[0] != right[0] and (left[0] in health or right[0] in health):
        return "a merge across agencies involving health data"
    pncs = _valid_pncs(config, [left, right])
    if len(pncs) == 2 and None not in pncs and pncs[0] != pncs[1]:
        return "records with different valid PNC IDs"
    return None


def _require_current(config: HubConfig, keys: list[RecordKey]) -> None:
    """ReviewError for a record the last match did not hold: a decision on it could never
    apply, so none is taken (and nothing is written to the audit log)."""
    frame = Workspace(config.workspace).matched.frame
    if not frame.exists():
        raise ReviewError("no match has run in this workspace yet", hint="run 'iomhub run'")
    held = records_by_key(frame, keys, [])
    for source, record in keys:
        if (source, record) not in held:
            raise ReviewError(
                f"no current record {source}:{record[:40]}",
                hint="give a record as FEED:RECORD_ID from the last match",
            )


def _valid_pncs(config: HubConfig, keys: list[RecordKey]) -> list[str | None]:
    frame = Workspace(config.workspace).matched.frame
    if not frame.exists():
        return [None for _ in keys]
    found = records_by_key(frame, keys, ["pnc"])
    return [found[key]["pnc"] if key in found else None for key in keys]


def _checked_note(note: str | None) -> str:
    text = (note or "").strip()
    if not text:
        raise ReviewError("a decision needs a note saying why")
    if len(text) > MAX_NOTE_CHARS:
        raise ReviewError(f"a note is limited to {MAX_NOTE_CHARS} characters")
    return text


def decide(
    config: HubConfig, audit: AuditLog, left: RecordKey, right: RecordKey, kind: DecisionKind,
    *, by: str, note: str | None, actor: str | None = None,
) -> DecisionResult:  # fmt: skip
    """Take a reviewer's decision on two records (audited first, then kept)."""
    if left == right:
        raise ReviewError("a record cannot be reviewed against itself")
    text = _checked_note(note)
    _require_current(config, [left, right])
    a, b = pair_key(left, right)
    pid = pair_id(a, b)
    workspace = Workspace(config.workspace)
    names = {"pair_id": pid, "left": text_of(a), "right": text_of(b)}
    with ReviewStore(workspace.matched.review_state) as store:
        if kind is DecisionKind.NOT_SURE:
            audit.record(ReviewNotSure(**names, decided_by=by, reason=text), actor=actor)
            store.mark_unsure(a, b, by, text)
            return DecisionResult(a, b, kind, Outcome.NOTED)
        same = kind is DecisionKind.SAME
        why = four_eyes_reason(config, a, b) if same else None
        held = store.held_for(a, b)
        if why and held is not None and held.same == same and held.decided_by != by:
            audit.record(ReviewDecisionSeconded(**names, decision=kind.value, decided_by=by,
                                                first_by=held.decided_by, reason=text),
                         actor=actor)  # fmt: skip
        elif why:
            if held is not None and held.same == same and held.decided_by == by:
                raise ReviewError("this decision already waits for a second reviewer: a "
                                  "different reviewer must agree")  # fmt: skip
            audit.record(ReviewDecisionHeld(**names, decision=kind.value, decided_by=by, why=why,
                                            reason=text), actor=actor)  # fmt: skip
            store.hold(a, b, same, by, why, text)
            return DecisionResult(a, b, kind, Outcome.HELD, why)
        else:
            audit.record(ReviewDecision(**names, decision=kind.value, decided_by=by, reason=text),
                         actor=actor)  # fmt: skip
        with PersonRegistry(workspace.matched.registry) as registry:
            registry.decide(a, b, same, by=by, note=text)
        store.clear(a, b)
    return DecisionResult(a, b, kind, Outcome.IN_FORCE, why)


def withdraw(
    config: HubConfig, audit: AuditLog, left: RecordKey, right: RecordKey, *, by: str,
    note: str | None, actor: str | None = None,
) -> DecisionRow:  # fmt: skip
    """Withdraw the decision on two records (in force, held or "not sure"): audited first; the
    model decides the pair again from the next match."""
    text = _checked_note(note)
    a, b = pair_key(left, right)
    current = next((row for row in list_decisions(config) if (row.left, row.right) == (a, b)),
                   None)  # fmt: skip
    if current is None:
        raise ReviewError(f"no decision on {text_of(a)} and {text_of(b)} to withdraw",
                          hint="list them with 'iomhub match decisions list'")  # fmt: skip
    audit.record(ReviewDecisionWithdrawn(pair_id=pair_id(a, b), left=text_of(a), right=text_of(b),
                                         decision=current.kind.value, withdrawn_by=by,
                                         reason=text), actor=actor)  # fmt: skip
    workspace = Workspace(config.workspace)
    with PersonRegistry(workspace.matched.registry) as registry:
        registry.withdraw(a, b)
    with ReviewStore(workspace.matched.review_state) as store:
        store.clear(a, b)
    return current


def list_decisions(config: HubConfig) -> list[DecisionRow]:
    """Every decision: held ones first, then "not sure", then those in force (newest first)."""
    workspace = Workspace(config.workspace)
    rows: list[DecisionRow] = []
    with ReviewStore(workspace.matched.review_state) as store:
        for held in reversed(store.held()):
            rows.append(DecisionRow(held.left, held.right, _kind(held.same),
                                    "awaiting second reviewer", held.decided_by,
                                    held.decided_at, held.note, held.why))  # fmt: skip
        for mark in reversed(store.unsure()):
            rows.append(DecisionRow(mark.left, mark.right, DecisionKind.NOT_SURE, "not sure",
                                    mark.decided_by, mark.decided_at, mark.note))  # fmt: skip
    if workspace.matched.registry.exists():
        with PersonRegistry(workspace.matched.registry) as registry:
            for decision in reversed(registry.decisions()):
                rows.append(DecisionRow(decision.left, decision.right, _kind(decision.same),
                                        "in force", decision.decided_by, decision.decided_at,
                                        decision.note))  # fmt: skip
    return rows


def _kind(same: bool) -> DecisionKind:
    return DecisionKind.SAME if same else DecisionKind.DIFFERENT
