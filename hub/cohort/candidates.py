"""Candidates for the IOM cohort: the scheme's rules applied to what the hub may read.

Each strand is decided in the order of ``precedence``: someone put forward by an earlier strand
takes no place in a later one. *Fixed* takes everyone an offence-and-OGRS rule fits who is on a
sentence the cohort takes with more than ``min_days_left`` left; those a rule fits but the
sentence rules out are listed as excluded, with why. *Flex* ranks people by the weighted
severity of their offences of its group and puts forward the first ``places_per_area`` of each
area. *Free* does the same for each local priority. Every reason names the rule and the values
that met it, each with the feed it came from. Panels decide; this only proposes.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from hub.cohort.inputs import CohortInputs, PersonFacts
from hub.cohort.rules import STRANDS, Band, CohortRules, FreeRule, Strand

PROBATION = "probation"
POLICE = "police"
SUBSTANCE_SERVICE = "Drug and alcohol"
MENTAL_HEALTH_SERVICE = "Community mental health"


@dataclass(frozen=True)
class Reason:
    """A rule met, and the values (each with its feed) that met it."""

    rule: str
    values: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.values}"


@dataclass(frozen=True)
class Candidate:
    """A person the rules put forward, for the panel to decide on."""

    person_id: str
    strand: Strand
    score: float
    reasons: tuple[Reason, ...]
    area: str | None
    lead_agency: str
    offender_manager: str | None
    offender_manager_team: str | None
    accommodation_status: str | None
    substance_treatment: str | None
    mental_health_service: str | None


@dataclass(frozen=True)
class Exclusion:
    """A person a rule fitted but who is not put forward, and why."""

    person_id: str
    strand: Strand
    rule: str
    why: str


@dataclass(frozen=True)
class CandidateList:
    """The candidates of every strand, the people excluded, and what the rules could not read."""

    candidates: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]
    today: datetime.date
    severity_source: str
    withheld: dict[str, tuple[str, ...]] = field(default_factory=dict)
    offences_used: int = 0
    offences_unlinked: int = 0
    offence_feeds_withheld: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        """Candidates per strand (every strand listed)."""
        counts = dict.fromkeys(STRANDS, 0)
        for candidate in self.candidates:
            counts[candidate.strand] += 1
        return counts


def age_on(date_of_birth: datetime.date, today: datetime.date) -> int:
    """Whole years of age on ``today``."""
    before_birthday = (today.month, today.day) < (date_of_birth.month, date_of_birth.day)
    return today.year - date_of_birth.year - before_birthday


def months_left(days: int) -> str:
    """``2 months left on sentence`` (whole months, at least 0)."""
    months = max(days, 0) * 12 // 365
    return f"{months} month{'' if months == 1 else 's'} left on sentence"


class _Selector:
    """Applies one scheme's rules to one gathering of inputs."""

    def __init__(self, rules: CohortRules, inputs: CohortInputs) -> None:
        self.rules = rules
        self.inputs = inputs
        self.today = inputs.today
        self.placed: dict[str, tuple[Strand, float, tuple[Reason, ...]]] = {}
        self.excluded: list[Exclusion] = []

    def run(self) -> None:
        for strand in self.rules.precedence:
            {"fixed": self.fixed, "flex": self.flex, "free": self.free}[strand]()

    def _open(self) -> Iterable[PersonFacts]:
        return (p for p in self.inputs.people if p.person_id not in self.placed)

    # --- fixed ---------------------------------------------------------------------------------

    def fixed(self) -> None:
        strand = self.rules.fixed
        for person in self._open():
            reasons = self._fixed_reasons(person)
            if not reasons:
                continue
            rule = reasons[0].rule
            sentence = person.get("sentence_type")
            if sentence is None or sentence.value not in strand.sentence_types:
                why = (
                    "not on a sentence the cohort takes (no sentence known)"
                    if sentence is None
                    else f"sentence {sentence} is not one the cohort takes"
                )
                self.excluded.append(Exclusion(person.person_id, "fixed", rule, why))
                continue
            end = person.get("sentence_end_date")
            if end is None:
                self.excluded.append(Exclusion(person.person_id, "fixed", rule,
                                               "sentence end date not known"))  # fmt: skip
                continue
            days = (end.value - self.today).days
            if days < strand.min_days_left:
                left = months_left(days) if days >= 0 else "sentence ended"
                why = f"{left} (ends {end.value.isoformat()}, {end.source})"
                self.excluded.append(Exclusion(person.person_id, "fixed", rule, why))
                continue
            sentence_reason = Reason(
                "on a sentence the cohort takes",
                f"{sentence}, ends {end.value.isoformat()} ({end.source}), "
                f"{months_left(days).replace(' on sentence', '')}",
            )
            ogrs = person.get("ogrs_score")
            assert ogrs is not None  # every fixed rule reads OGRS
            self.placed[person.person_id] = ("fixed", float(ogrs.value),
                                             (*reasons, sentence_reason))  # fmt: skip

    def _fixed_reasons(self, person: PersonFacts) -> tuple[Reason, ...]:
        ogrs = person.get("ogrs_score")
        if ogrs is None:
            return ()
        band = self.rules.band_of(int(ogrs.value))
        met = []
        for rule in self.rules.fixed.rules:
            if band not in rule.ogrs_bands:
                continue
            offences = self._offence_evidence(person, rule.offence_group)
            if offences:
                met.append(Reason(rule.name, f"OGRS {ogrs.value} [{band}] ({ogrs.source}); "
                                             f"{offences}"))  # fmt: skip
        return tuple(met)

    def _offence_evidence(self, person: PersonFacts, group: str) -> str | None:
        """What shows an offence of ``group`` in the window: the offences feed, else the
        latest offence on the police record."""
        tally = person.tallies.get(group)
        if tally:
            return f"{group}: {tally.describe()}"
        latest, when = person.get("offence_type"), person.get("offence_date")
        types = self.rules.offence_groups[group]
        if latest and when and latest.value in types and when.value >= self._window_start:
            on = when.value.isoformat()
            return f"{group}: latest offence {latest.value}, {on} ({latest.source})"
        return None

    @property
    def _window_start(self) -> datetime.date:
        return self.rules.window_start(self.today)

    # --- flex ----------------------------------------------------------------------------------

    def flex(self) -> None:
        strand = self.rules.flex
        ranked: dict[str, list[tuple[float, str, tuple[Reason, ...]]]] = {}
        for person in self._open():
            tally = person.tallies.get(strand.offence_group)
            if not tally or tally.severity < strand.min_severity:
                continue
            rule = f"most harmful {strand.offence_group} suspects"
            area = self._area(person)
            if area is None:
                self.excluded.append(Exclusion(person.person_id, "flex", rule,
                                               "no postcode in the scheme's areas"))  # fmt: skip
                continue
            score = tally.severity
            reasons = [Reason(rule, f"{strand.offence_group}: {tally.describe()}")]
            for weighting in strand.weightings:
                met = self._weighting_met(person, weighting.age, weighting.sex,
                                          weighting.ogrs_bands)  # fmt: skip
                if met:
                    score *= weighting.weight
                    reasons.append(Reason(f"weighting {weighting.name} x{weighting.weight:g}", met))
            ranked.setdefault(area, []).append((score, person.person_id, tuple(reasons)))
        for area, people in ranked.items():
            people.sort(key=lambda item: (-item[0], item[1]))
            for rank, (score, person_id, reasons) in enumerate(people, start=1):
                if rank > strand.places_per_area:
                    break
                place = Reason("area place", f"{area}: ranked {rank} of {len(people)} "
                                             f"for {strand.places_per_area} places")  # fmt: skip
                self.placed[person_id] = ("flex", round(score, 1), (*reasons, place))

    def _weighting_met(
        self, person: PersonFacts, age: Band | None, sex: str | None, bands: list[str] | None
    ) -> str | None:
        """The values meeting every condition of a weighting, or None."""
        parts = []
        if age is not None:
            born = person.get("date_of_birth")
            if born is None:
                return None
            years = age_on(born.value, self.today)
            if not age.holds(years):
                return None
            parts.append(f"age {years} ({born.source})")
        if sex is not None:
            recorded = person.get("sex")
            if recorded is None or recorded.value != sex:
                return None
            parts.append(f"sex {recorded}")
        if bands is not None:
            ogrs = person.get("ogrs_score")
            if ogrs is None or self.rules.band_of(int(ogrs.value)) not in bands:
                return None
            parts.append(f"OGRS {ogrs.value} [{self.rules.band_of(int(ogrs.value))}] "
                         f"({ogrs.source})")  # fmt: skip
        return "; ".join(parts)

    def _area(self, person: PersonFacts) -> str | None:
        postcode = person.get("postcode")
        return self.rules.area_of(postcode.value if postcode else None)

    # --- free ----------------------------------------------------------------------------------

    def free(self) -> None:
        for rule in self.rules.free:
            self._free_rule(rule)

    def _free_rule(self, rule: FreeRule) -> None:
        ranked = []
        for person in self._open():
            reasons = []
            if rule.da_flag is not None:
                flag = person.get("da_flag")
                if flag is None or bool(flag.value) != rule.da_flag:
                    continue
                reasons.append(Reason(rule.name, f"DA flag {'Y' if flag.value else 'N'} "
                                                 f"({flag.source})"))  # fmt: skip
            group = rule.offence_group or "*"
            tally = person.tallies.get(group)
            severity = tally.severity if tally else 0.0
            if severity < rule.min_severity:
                continue
            label = rule.offence_group or "all offences"
            reasons.append(Reason("crime severity", f"{label}: {tally.describe()}" if tally
                                  else f"{label}: none counted"))  # fmt: skip
            ranked.append((severity, person.person_id, tuple(reasons)))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        for rank, (severity, person_id, reasons) in enumerate(ranked[: rule.places], start=1):
            place = Reason("place", f"ranked {rank} of {len(ranked)} for {rule.places} places")
            self.placed[person_id] = ("free", severity, (*reasons, place))


def select_candidates(
    rules: CohortRules, inputs: CohortInputs, severity_source: str
) -> CandidateList:
    """Apply ``rules`` to ``inputs``: the candidates of each strand and the people excluded."""
    selector = _Selector(rules, inputs)
    selector.run()
    people = {p.person_id: p for p in inputs.people}
    candidates = [
        _candidate(people[person_id], strand, score, reasons, rules, inputs.today)
        for person_id, (strand, score, reasons) in selector.placed.items()
    ]
    order = {strand: i for i, strand in enumerate(STRANDS)}
    candidates.sort(key=lambda c: (order[c.strand], -c.score, c.person_id))
    placed = set(selector.placed)
    excluded = sorted(
        (e for e in selector.excluded if e.person_id not in placed),
        key=lambda e: (order[e.strand], e.person_id),
    )
    return CandidateList(
        tuple(candidates), tuple(excluded), inputs.today, severity_source, inputs.withheld,
        inputs.offences_used, inputs.offences_unlinked, inputs.offence_feeds_withheld,
    )  # fmt: skip


def _candidate(
    person: PersonFacts, strand: Strand, score: float, reasons: tuple[Reason, ...],
    rules: CohortRules, today: datetime.date,
) -> Candidate:  # fmt: skip
    end = person.get("sentence_end_date")
    supervised = person.get("sentence_type") is not None and (end is None or end.value >= today)
    manager = person.get("offender_manager")
    team = person.get("offender_manager_team")
    service = person.get("health_service")
    status = person.get("treatment_status")
    treatment = f"{status.value}" if status else None

    def service_status(name: str) -> str | None:
        return treatment if service is not None and service.value == name else None

    housing = person.get("accommodation_status")
    postcode = person.get("postcode")
    return Candidate(
        person.person_id, strand, score, reasons,
        rules.area_of(postcode.value if postcode else None),
        PROBATION if supervised else POLICE,
        str(manager.value) if supervised and manager else None,
        str(team.value) if supervised and team else None,
        str(housing.value) if housing else None,
        service_status(SUBSTANCE_SERVICE),
        service_status(MENTAL_HEALTH_SERVICE),
    )  # fmt: skip
