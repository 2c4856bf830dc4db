"""What a new version of an agreement widens: recipients, fields, sources and treatments.

:func:`widening` compares the version in force with the one waiting for approval and lists,
in words a DPO reads, every way the new text lets more leave the hub: a recipient added, a
field released that was not, a providing feed added to a field, a treatment loosened (e.g.
``pseudonymise`` to ``keep``), a condition on whose records flow removed, a longer retention.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharing_agreements.model import Agreement

OPENNESS = {"drop": 0, "pseudonymise": 1, "generalise": 2, "keep": 3}
"""How much of a value each treatment lets out, least first."""


@dataclass(frozen=True)
class Widening:
    """One way a new version lets more leave than the version in force."""

    kind: str
    """'recipient added', 'field added', 'sources added', 'treatment loosened',
    'condition removed' or 'retention longer'."""
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def _released(agreement: Agreement) -> dict[str, tuple[str, set[str]]]:
    """Released field -> (treatment, providing feeds)."""
    return {
        name: (str(clause.treatment), set(agreement.clause_sources(name)))
        for name, clause in agreement.fields.items()
        if clause.treatment.releases
    }


def _loosened(old: str, new: str) -> bool:
    before, after = OPENNESS.get(old.split()[0], 0), OPENNESS.get(new.split()[0], 0)
    return after > before or (after == before and old != new and after == OPENNESS["generalise"])


def widening(old: Agreement | None, new: Agreement) -> tuple[Widening, ...]:
    """Every way ``new`` widens ``old`` (everything ``new`` allows when nothing is in force)."""
    found: list[Widening] = []
    known = set(old.recipients) if old else set()
    found += [Widening("recipient added", name) for name in new.recipients if name not in known]
    before = _released(old) if old else {}
    for name, (treatment, sources) in _released(new).items():
        if name not in before:
            feeds = ", ".join(sorted(sources))
            found.append(Widening("field added", f"{name} ({treatment}, from {feeds})"))
            continue
        old_treatment, old_sources = before[name]
        if added := sorted(sources - old_sources):
            found.append(Widening("sources added", f"{name} now also from {', '.join(added)}"))
        if _loosened(old_treatment, treatment):
            found.append(Widening("treatment loosened", f"{name}: {old_treatment} -> {treatment}"))
    if old is not None:
        before_subjects = set(old.subjects.known_to or []) if old.subjects else set()
        after_subjects = set(new.subjects.known_to or []) if new.subjects else set()
        if before_subjects and (not after_subjects or after_subjects - before_subjects):
            found.append(Widening("condition removed", "people known to more feeds, or to any"))
        if _cohort_widened(old, new):
            found.append(Widening("condition removed", "more of the cohort, or everyone"))
        for name in old.where:
            if name not in new.where or set(new.where[name]) - set(old.where[name]):
                found.append(Widening("condition removed", f"where {name} is narrowed less"))
        if new.retention_days > old.retention_days:
            found.append(
                Widening("retention longer", f"{old.retention_days} -> {new.retention_days} days")
            )
    return tuple(found)


def _cohort_widened(old: Agreement, new: Agreement) -> bool:
    """Whether ``new`` covers people of the cohort (or outside it) that ``old`` did not."""
    before = old.subjects.cohort_scope if old.subjects else None
    after = new.subjects.cohort_scope if new.subjects else None
    if before is None:
        return False
    if after is None or set(after.strands) - set(before.strands):
        return True
    return after.include_candidates and not before.include_candidates
