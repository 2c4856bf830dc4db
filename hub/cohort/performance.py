"""The IOM scheme's performance per strand, from cohort spells, offences and member profiles.

Pure figures (no files): :func:`measure` takes the spells (:mod:`hub.cohort_membership`), each
member's profile at entry and their offences, and gives per strand (and for the whole cohort):

- **offending before and since**: offences and their severity in the 12 months before entry,
  as a monthly rate per person, against each whole month since entry (month ``k`` runs from
  ``k - 1`` to ``k`` months after entry; a person counts in month ``k`` once it has ended);
- **proven reoffending**, after the Ministry of Justice definition: of the people whose
  follow-up (12 months from entry) and waiting period (6 more months) have ended, the share with
  at least one proven offence committed in the follow-up (binary rate), and the proven offences
  per person and per reoffender (frequency). The hub holds no court conviction dates: an
  offence is taken as proven when the latest police offences extract gives it an outcome listed
  in ``performance.proven_outcomes`` (charge or caution by default), and the waiting period is
  applied by measuring only people who entered at least 18 months ago;
- **composition** of the people who entered: OGRS band, domestic abuse flag, women, aged 18-24
  at entry, under statutory supervision at entry or not;
- **throughput**: entered, left, still in, and days on the cohort (spells still open count to
  today).

A person entering the same strand twice counts once per spell.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta

from hub.cohort.rules import STRANDS, PerformanceSettings
from hub.cohort_membership import Membership

ALL = "all"
"""The label of the whole cohort's figures beside each strand's."""
MONTHS_SHOWN = 12


@dataclass(frozen=True)
class OffenceEvent:
    """One offence of a person: when, how severe, and whether proven."""

    person_id: str
    day: datetime.date
    severity: float
    proven: bool


@dataclass(frozen=True)
class MemberProfile:
    """What the composition counts of a person, as known when the figures are drawn."""

    person_id: str
    ogrs_band: str | None = None
    da_flag: bool = False
    female: bool = False
    date_of_birth: datetime.date | None = None
    sentence_end: datetime.date | None = None
    """Statutory supervision runs to this day (from probation's sentence end date)."""


@dataclass(frozen=True)
class Offending:
    """Offences and severity over a period, for the people observed in it."""

    people: int
    offences: int
    severity: float
    months: int
    """The period's length in months (12 before entry, 1 for each month since)."""

    @property
    def per_person_month(self) -> float | None:
        """Offences per person per month."""
        return self.offences / (self.people * self.months) if self.people else None

    @property
    def severity_per_person_month(self) -> float | None:
        """Severity per person per month."""
        return self.severity / (self.people * self.months) if self.people else None


@dataclass(frozen=True)
class Reoffending:
    """Proven reoffending of the people whose follow-up and waiting period have ended."""

    cohort: int
    reoffenders: int
    reoffences: int

    @property
    def binary_rate(self) -> float | None:
        """Share of the cohort with a proven reoffence."""
        return self.reoffenders / self.cohort if self.cohort else None

    @property
    def per_offender(self) -> float | None:
        """Proven reoffences per person in the cohort."""
        return self.reoffences / self.cohort if self.cohort else None

    @property
    def per_reoffender(self) -> float | None:
        """Proven reoffences per reoffender."""
        return self.reoffences / self.reoffenders if self.reoffenders else None


@dataclass(frozen=True)
class Throughput:
    """Spells started, ended and open, and their length so far."""

    entered: int
    left: int
    current: int
    mean_days: float | None
    median_days: float | None


@dataclass(frozen=True)
class StrandPerformance:
    """Every figure of one strand (or of the whole cohort)."""

    strand: str
    throughput: Throughput
    composition: dict[str, int]
    """Label -> people who entered with it (``OGRS high``, ``women``, ``statutory``, ...)."""
    before: Offending
    since: tuple[Offending, ...]
    """Month 1, 2, ... since entry, while at least one person has completed it."""
    reoffending: Reoffending


@dataclass(frozen=True)
class Performance:
    """The scheme's performance on a day."""

    today: datetime.date
    strands: tuple[StrandPerformance, ...]
    settings: PerformanceSettings

    def strand(self, name: str) -> StrandPerformance:
        """The figures of one strand, or of :data:`ALL`."""
        return next(s for s in self.strands if s.strand == name)


def _age(born: datetime.date, on: datetime.date) -> int:
    return relativedelta(on, born).years


def composition(spells: Sequence[Membership], profiles: dict[str, MemberProfile]) -> dict[str, int]:
    """The people who entered, counted by each label that applies to them at entry."""
    counts: Counter[str] = Counter()
    for spell in spells:
        profile = profiles.get(spell.person_id, MemberProfile(spell.person_id))
        counts[f"OGRS {profile.ogrs_band or 'unknown'}"] += 1
        counts["domestic abuse flag"] += profile.da_flag
        counts["women"] += profile.female
        born = profile.date_of_birth
        counts["aged 18-24"] += born is not None and 18 <= _age(born, spell.start) <= 24
        statutory = profile.sentence_end is not None and profile.sentence_end >= spell.start
        counts["statutory" if statutory else "not statutory"] += 1
    return dict(sorted(counts.items()))


def throughput(spells: Sequence[Membership], today: datetime.date) -> Throughput:
    """Entered, left, current and days on the cohort (open spells count to ``today``)."""
    days = sorted(((s.end or today) - s.start).days for s in spells)
    middle = len(days) // 2
    median = None
    if days:
        median = days[middle] if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return Throughput(
        entered=len(spells),
        left=sum(1 for s in spells if s.end is not None and s.end <= today),
        current=sum(1 for s in spells if s.current_on(today)),
        mean_days=sum(days) / len(days) if days else None,
        median_days=median,
    )


def _within(
    events: Iterable[OffenceEvent], start: datetime.date, end: datetime.date
) -> list[OffenceEvent]:
    return [e for e in events if start <= e.day < end]


def offending(
    spells: Sequence[Membership], offences: dict[str, list[OffenceEvent]], today: datetime.date
) -> tuple[Offending, tuple[Offending, ...]]:
    """The 12 months before entry, and each whole month since (up to :data:`MONTHS_SHOWN`)."""
    before = [_within(offences.get(s.person_id, []), s.start - relativedelta(months=12), s.start)
              for s in spells]  # fmt: skip
    baseline = Offending(len(spells), sum(len(b) for b in before),
                         sum(e.severity for b in before for e in b), 12)  # fmt: skip
    months = []
    for month in range(1, MONTHS_SHOWN + 1):
        observed = [s for s in spells if s.start + relativedelta(months=month) <= today]
        if not observed:
            break
        found = [
            _within(offences.get(s.person_id, []), s.start + relativedelta(months=month - 1),
                    s.start + relativedelta(months=month))
            for s in observed
        ]  # fmt: skip
        months.append(Offending(len(observed), sum(len(f) for f in found),
                                sum(e.severity for f in found for e in f), 1))  # fmt: skip
    return baseline, tuple(months)


def reoffending(
    spells: Sequence[Membership], offences: dict[str, list[OffenceEvent]],
    today: datetime.date, settings: PerformanceSettings,
) -> Reoffending:  # fmt: skip
    """Proven reoffending of the spells whose follow-up and waiting period have ended."""
    waited = settings.follow_up_months + settings.waiting_months
    cohort = [s for s in spells if s.start + relativedelta(months=waited) <= today]
    counts = [
        sum(1 for e in _within(offences.get(s.person_id, []), s.start,
                               s.start + relativedelta(months=settings.follow_up_months))
            if e.proven)
        for s in cohort
    ]  # fmt: skip
    return Reoffending(len(cohort), sum(1 for c in counts if c), sum(counts))


def measure(
    spells: Sequence[Membership], profiles: dict[str, MemberProfile],
    offences: Iterable[OffenceEvent], today: datetime.date, settings: PerformanceSettings,
) -> Performance:  # fmt: skip
    """Every figure, per strand and for the whole cohort, on ``today``."""
    by_person: dict[str, list[OffenceEvent]] = {}
    for event in offences:
        by_person.setdefault(event.person_id, []).append(event)
    started = [s for s in spells if s.start <= today]
    figures = []
    for strand in (*STRANDS, ALL):
        chosen = [s for s in started if strand in (s.strand, ALL)]
        before, since = offending(chosen, by_person, today)
        figures.append(StrandPerformance(
            strand, throughput(chosen, today), composition(chosen, profiles), before, since,
            reoffending(chosen, by_person, today, settings),
        ))  # fmt: skip
    return Performance(today, tuple(figures), settings)
