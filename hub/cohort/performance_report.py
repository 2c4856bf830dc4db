"""``iomhub cohort performance``: the scheme's performance as an offline HTML report and CSVs.

Reads the cohort's spells (``cohort.db``), what the cohort rules may read of each member
(:func:`hub.cohort.listing.read_inputs`, with every linked offence from 12 months before the
first entry) and measures them (:mod:`hub.cohort.performance`). Writes, into one folder:

- ``performance.html``: the report, self-contained (charts as inline SVG, no script, nothing
  fetched), from a Jinja2 template with autoescape;
- ``performance_figures.csv``: every figure per strand, counts from 1 to ``suppress_below - 1``
  shown as ``<N`` and rates over fewer people than that left out;
- ``performance_people.csv``: one row per spell, the person named by the pseudonym the
  performance recipient's releases use, with entry month, days on the cohort and offence
  counts (no demographics); rows of a strand with fewer spells than the threshold are left out.

The drawing is audited (``cohort_performance``, counts only).
"""

from __future__ import annotations

import csv
import datetime
from dataclasses import dataclass
from pathlib import Path

import jinja2
from dateutil.relativedelta import relativedelta

from hub.audit.events import CohortPerformanceReported
from hub.cohort.inputs import PersonFacts
from hub.cohort.listing import read_inputs
from hub.cohort.performance import (
    ALL,
    MemberProfile,
    OffenceEvent,
    Offending,
    Performance,
    StrandPerformance,
    measure,
)
from hub.cohort.rules import CohortRules
from hub.cohort_membership import Membership, open_store
from hub.config import HubConfig
from hub.svg_charts import columns_against_baseline, hbar_chart
from hub.workspace import Workspace
from sharing_agreements.pseudonyms import derive_key

TEMPLATE = "performance_report.html"
STYLESHEET = Path(__file__).resolve().parent / "performance_report.css"
_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class PerformanceReport:
    """What ``iomhub cohort performance`` drew and wrote."""

    performance: Performance
    html: Path
    figures_csv: Path
    people_csv: Path
    suppressed: int
    """Figures shown as ``<N`` or left out in the figures CSV."""

    def headline(self) -> str:
        """The whole cohort in a few lines (small counts suppressed as in the files)."""
        whole, shown = self.performance.strand(ALL), Suppression(self.performance)
        entered = ", ".join(
            f"{s.strand} {shown.count(s.throughput.entered)}"
            for s in self.performance.strands if s.strand != ALL
        )  # fmt: skip
        reoffending = whole.reoffending
        proven = (
            f"proven reoffending: {shown.rate(reoffending.reoffenders, reoffending.cohort)} of "
            f"{shown.cell(whole, 'reoffending:cohort')} people whose 18 months have passed"
            if reoffending.cohort
            else "proven reoffending: not measurable yet (no one entered 18 months ago or more)"
        )
        return "\n".join([
            f"cohort performance on {self.performance.today.isoformat()}: "
            f"{shown.cell(whole, 'throughput:entered')} spells entered ({entered}), "
            f"{shown.cell(whole, 'throughput:current')} current, "
            f"{shown.cell(whole, 'throughput:left')} left",
            f"  offences per person per month in the 12 months before entry: "
            f"{shown.per_month(whole.before)}; months since entry measured: {len(whole.since)}",
            f"  {proven}",
        ])  # fmt: skip


class Suppression:
    """How figures are shown: counts from 1 to ``suppress_below - 1`` as ``<N``; rates over
    fewer people than that, or with a suppressed numerator, not shown."""

    def __init__(self, performance: Performance) -> None:
        self.performance = performance
        self.threshold = performance.settings.suppress_below
        self.hidden = 0

    def cell(self, strand: StrandPerformance, key: str) -> str:
        """A count of ``strand`` by key (``throughput:entered``, ``composition:women``,
        ``before:offences``, ``since:<month index>:offences``, ``reoffending:cohort``). The
        whole cohort's count is not shown when a strand's is suppressed: the difference would
        give the suppressed count away."""
        if strand.strand == ALL and any(
            self.small(_count(other, key)) for other in self.performance.strands
            if other.strand != ALL
        ):  # fmt: skip
            self.hidden += 1
            return "suppressed"
        return self.count(_count(strand, key))

    def small(self, count: int) -> bool:
        return 0 < count < self.threshold

    def count(self, count: int) -> str:
        if self.small(count):
            self.hidden += 1
            return f"<{self.threshold}"
        return f"{count:,}"

    def rate(self, numerator: int, denominator: int) -> str:
        if denominator == 0:
            return "n/a"
        if denominator < self.threshold or self.small(numerator):
            self.hidden += 1
            return "suppressed"
        return f"{numerator / denominator:.1%}"

    def per_month(self, offending: Offending) -> str:
        return self.number(offending.per_person_month, offending.people)

    def number(self, value: float | None, people: int, digits: int = 2) -> str:
        if value is None or people == 0:
            return "n/a"
        if people < self.threshold:
            self.hidden += 1
            return "suppressed"
        return f"{value:,.{digits}f}"


def _count(strand: StrandPerformance, key: str) -> int:
    """The count :meth:`Suppression.cell` names by ``key``."""
    kind, _, rest = key.partition(":")
    if kind == "composition":
        return strand.composition.get(rest, 0)
    if kind == "since":
        month, _, name = rest.partition(":")
        return int(getattr(strand.since[int(month)], name)) if int(month) < len(strand.since) else 0
    part = {"throughput": strand.throughput, "before": strand.before,
            "reoffending": strand.reoffending}[kind]  # fmt: skip
    return int(getattr(part, rest))


def _profile(facts: PersonFacts, rules: CohortRules) -> MemberProfile:
    def value(name: str) -> object:
        sourced = facts.get(name)
        return sourced.value if sourced else None

    ogrs = value("ogrs_score")
    return MemberProfile(
        facts.person_id,
        rules.band_of(int(str(ogrs))) if ogrs is not None else None,
        str(value("da_flag")).lower() in {"true", "y", "yes", "1"},
        str(value("sex")).lower() in {"female", "f"},
        _date(value("date_of_birth")),
        _date(value("sentence_end_date")),
    )


def _date(value: object) -> datetime.date | None:
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Drawn:
    """The figures, and the spells and offences they were drawn from."""

    performance: Performance
    spells: list[Membership]
    offences: dict[str, list[OffenceEvent]]


def draw_performance(config: HubConfig, today: datetime.date) -> Drawn:
    """Measure the cohort on ``today`` from the spells, profiles and offences the hub holds."""
    workspace = Workspace(config.workspace)
    with open_store(workspace) as store:
        spells = [m for m in store.memberships() if m.start <= today]
    first = min((s.start for s in spells), default=today) - relativedelta(months=12)
    rules, _, inputs = read_inputs(config, today, history_since=first)
    members = {s.person_id for s in spells}
    profiles = {p.person_id: _profile(p, rules) for p in inputs.people if p.person_id in members}
    proven = set(rules.performance.proven_outcomes)
    offences = [
        OffenceEvent(o.person_id, o.day, o.severity, o.outcome in proven)
        for o in inputs.history if o.person_id in members
    ]  # fmt: skip
    by_person: dict[str, list[OffenceEvent]] = {}
    for offence in offences:
        by_person.setdefault(offence.person_id, []).append(offence)
    return Drawn(measure(spells, profiles, offences, today, rules.performance), spells, by_person)


def _figure_rows(performance: Performance, shown: Suppression) -> list[list[str]]:
    rows = [["strand", "measure", "period", "value"]]
    for s in performance.strands:
        t, r = s.throughput, s.reoffending
        rows += [
            [s.strand, "entered", "", shown.cell(s, "throughput:entered")],
            [s.strand, "left", "", shown.cell(s, "throughput:left")],
            [s.strand, "current", "", shown.cell(s, "throughput:current")],
            [s.strand, "mean days on cohort", "", shown.number(t.mean_days, t.entered, 0)],
            [s.strand, "offences", "12 months before entry", shown.cell(s, "before:offences")],
            [s.strand, "offences per person per month", "12 months before entry",
             shown.per_month(s.before)],
            [s.strand, "severity per person per month", "12 months before entry",
             shown.number(s.before.severity_per_person_month, s.before.people)],
            *([s.strand, "offences per person per month", f"month {n + 1} since entry",
               shown.per_month(m)] for n, m in enumerate(s.since)),
            [s.strand, "proven reoffending cohort", "", shown.cell(s, "reoffending:cohort")],
            [s.strand, "proven reoffending binary rate", "", shown.rate(r.reoffenders, r.cohort)],
            [s.strand, "proven reoffences per offender", "",
             shown.number(r.per_offender, r.cohort)],
            [s.strand, "proven reoffences per reoffender", "",
             shown.number(r.per_reoffender, r.reoffenders)],
            *([s.strand, label, "at entry", shown.cell(s, f"composition:{label}")]
              for label in s.composition),
        ]  # fmt: skip
    return rows


def _people_rows(
    config: HubConfig, spells: list[Membership], performance: Performance,
    offences: dict[str, list[OffenceEvent]],
) -> list[list[str]]:  # fmt: skip
    recipient = config.recipient(performance.settings.recipient)
    key = derive_key(config.settings.master_key_bytes(), recipient.name, recipient.key_version)
    per_strand = {s.strand: s.throughput.entered for s in performance.strands}
    rows = [["person_id", "strand", "entry_month", "left_month", "days_on_cohort",
             "offences_12m_before", "offences_since_entry"]]  # fmt: skip
    for spell in spells:
        if per_strand.get(spell.strand, 0) < performance.settings.suppress_below:
            continue
        mine = offences.get(spell.person_id, [])
        before = spell.start - relativedelta(months=12)
        rows.append([
            key.pseudonym("person_id", spell.person_id), spell.strand,
            spell.start.strftime("%Y-%m"), spell.end.strftime("%Y-%m") if spell.end else "",
            str(((spell.end or performance.today) - spell.start).days),
            str(sum(1 for o in mine if before <= o.day < spell.start)),
            str(sum(1 for o in mine if spell.start <= o.day <= performance.today)),
        ])  # fmt: skip
    return rows


def _charts(strand: StrandPerformance, shown: Suppression) -> dict[str, str]:
    months = [
        (f"{n}", m.per_person_month if m.people >= shown.threshold else None)
        for n, m in enumerate(strand.since, 1)
    ]
    baseline = strand.before.per_person_month if strand.before.people >= shown.threshold else None
    bars = [(label, float(n)) for label, n in strand.composition.items()
            if shown.cell(strand, f"composition:{label}")[0].isdigit()]  # fmt: skip
    return {
        "offending": columns_against_baseline(
            months, baseline, title=f"{strand.strand}: offences per person per month since entry"
        ),
        "composition": hbar_chart(bars, title=f"{strand.strand}: who entered"),
    }


def render_report(performance: Performance, stylesheet: str | None = None) -> str:
    """The report as one HTML page: its CSS inline (an offline file), or linked from
    ``stylesheet`` (the web app, whose content security policy refuses inline styles)."""
    shown = Suppression(performance)
    return _ENVIRONMENT.get_template(TEMPLATE).render(
        performance=performance, shown=shown, ALL=ALL, rules=performance.settings,
        charts={s.strand: _charts(s, shown) for s in performance.strands}, stylesheet=stylesheet,
    )  # fmt: skip


def write_report(
    config: HubConfig, out: Path | None = None, today: datetime.date | None = None
) -> PerformanceReport:
    """Draw the performance on ``today`` and write the report and CSVs into ``out`` (the
    workspace's ``reports/cohort-performance/`` unless given); audited."""
    today = today or datetime.date.today()
    workspace = Workspace(config.workspace)
    folder = out or workspace.cohort_performance
    drawn = draw_performance(config, today)
    performance, spells = drawn.performance, drawn.spells
    folder.mkdir(parents=True, exist_ok=True)
    shown = Suppression(performance)
    figures = _figure_rows(performance, shown)
    hidden = shown.hidden
    _write_csv(folder / "performance_figures.csv", figures)
    people = _people_rows(config, spells, performance, drawn.offences)
    _write_csv(folder / "performance_people.csv", people)
    html = folder / "performance.html"
    html.write_text(render_report(performance), encoding="utf-8")
    workspace.open_audit(config.settings).record(CohortPerformanceReported(
        spells=len(spells), suppressed=hidden, folder=str(folder),
    ))  # fmt: skip
    return PerformanceReport(performance, html, folder / "performance_figures.csv",
                             folder / "performance_people.csv", hidden)  # fmt: skip


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
