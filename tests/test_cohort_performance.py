"""The scheme's performance: figures against a small case computed by hand, suppression of small
counts, and ``iomhub cohort performance`` writing its report and CSVs (audited)."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cohort_population import TODAY, make_offences_current, offender, write_population
from helpers import EXAMPLE_CONFIG

from hub.audit.events import CohortPerformanceReported
from hub.cli import main
from hub.cohort.performance import ALL, MemberProfile, OffenceEvent, measure
from hub.cohort.performance_report import Suppression
from hub.cohort.rules import PerformanceSettings
from hub.cohort_membership import CohortStore, Membership
from hub.config import load_config
from hub.workspace import Workspace

D = datetime.date
TODAY_HERE = D(2027, 8, 1)
SPELLS = [
    Membership("A", "fixed", "r", D(2026, 1, 10), D(2026, 7, 10), "low risk", "p & q", "p & q"),
    Membership("B", "fixed", "r", D(2026, 1, 10), None, None, "p & q", None),
    Membership("C", "free", "r", D(2027, 6, 15), None, None, "p & q", None),
]
PROFILES = {
    "A": MemberProfile("A", "high", False, True, D(2004, 5, 1), D(2026, 6, 1)),
    "B": MemberProfile("B", "medium", True, False, D(1990, 3, 1), None),
}
OFFENCES = [
    OffenceEvent("A", D(2024, 12, 1), 500, True),  # more than 12 months before entry
    OffenceEvent("A", D(2025, 3, 1), 100, True),  # before
    OffenceEvent("A", D(2025, 12, 31), 50, False),  # before
    OffenceEvent("A", D(2026, 1, 20), 10, True),  # month 1, proven
    OffenceEvent("A", D(2026, 3, 15), 20, False),  # month 3, not proven
    OffenceEvent("A", D(2026, 5, 1), 15, True),  # month 4, proven
    OffenceEvent("B", D(2025, 6, 1), 30, True),  # before
    OffenceEvent("B", D(2026, 12, 1), 40, False),  # month 11, not proven
    OffenceEvent("B", D(2027, 2, 1), 60, True),  # month 13: after the follow-up
    OffenceEvent("C", D(2027, 7, 1), 5, True),  # month 1
]


def test_the_figures_match_a_small_case_computed_by_hand() -> None:
    performance = measure(SPELLS, PROFILES, OFFENCES, TODAY_HERE, PerformanceSettings())
    fixed = performance.strand("fixed")
    # A: 2026-01-10 to 2026-07-10 is 181 days; B: open, to 2027-08-01 is 365 + 181 + 22 = 568
    assert (fixed.throughput.entered, fixed.throughput.left, fixed.throughput.current) == (2, 1, 1)
    assert fixed.throughput.mean_days == 374.5 and fixed.throughput.median_days == 374.5
    # 12 months before entry: A 100 + 50, B 30; the offence of 2024-12-01 is outside
    assert (fixed.before.people, fixed.before.offences, fixed.before.severity) == (2, 3, 180)
    assert fixed.before.per_person_month == pytest.approx(3 / 24)
    assert fixed.before.severity_per_person_month == pytest.approx(180 / 24)
    assert len(fixed.since) == 12 and all(m.people == 2 for m in fixed.since)
    offences_by_month = [m.offences for m in fixed.since]
    assert offences_by_month == [1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0]
    assert fixed.since[0].per_person_month == 0.5 and fixed.since[10].severity == 40
    # proven in the 12-month follow-up: A twice (month 1 and 4), B not (month 11 unproven)
    reoffending = fixed.reoffending
    assert (reoffending.cohort, reoffending.reoffenders, reoffending.reoffences) == (2, 1, 2)
    assert reoffending.binary_rate == 0.5
    assert reoffending.per_offender == 1.0 and reoffending.per_reoffender == 2.0
    assert fixed.composition == {
        "OGRS high": 1, "OGRS medium": 1, "aged 18-24": 1, "domestic abuse flag": 1,
        "not statutory": 1, "statutory": 1, "women": 1,
    }  # fmt: skip

    free = performance.strand("free")
    assert [m.offences for m in free.since] == [1]  # only month 1 has ended
    assert free.reoffending.cohort == 0 and free.reoffending.binary_rate is None
    assert free.composition["OGRS unknown"] == 1 and free.composition["not statutory"] == 1
    flex = performance.strand("flex")
    assert flex.throughput.entered == 0 and flex.before.per_person_month is None
    whole = performance.strand(ALL)
    assert whole.throughput.entered == 3 and whole.before.offences == 3
    assert (whole.since[0].people, whole.since[0].offences) == (3, 2)
    assert (whole.since[1].people, whole.since[1].offences) == (2, 0)


def test_small_counts_and_rates_over_few_people_are_suppressed() -> None:
    shown = Suppression(measure([], {}, [], TODAY_HERE, PerformanceSettings()))
    assert [shown.count(n) for n in (0, 1, 4, 5, 1234)] == ["0", "<5", "<5", "5", "1,234"]
    assert shown.rate(10, 40) == "25.0%"
    assert shown.rate(3, 40) == "suppressed" and shown.rate(2, 4) == "suppressed"
    assert shown.number(0.25, 4) == "suppressed" and shown.number(0.25, 5) == "0.25"
    assert shown.hidden == 5


def test_the_command_writes_the_report_and_pseudonymised_csvs(
    example_env: Path, tmp_path: Path
) -> None:
    workspace = example_env.parent / "workspace"
    burglaries = [("Burglary - residential", 300, "Charged"), ("Burglary - residential", 20, "")]
    people = [offender(f"P{n:03d}", ogrs=80, offences=burglaries) for n in range(1, 8)]
    make_offences_current(workspace, write_population(workspace, people))
    entry = TODAY - datetime.timedelta(days=200)
    with CohortStore(Workspace(workspace).cohort_path) as store:
        for person in people:
            strand = "free" if person.person_id == "P007" else "fixed"
            for agency, by in (("police", "iom-police-lead"), ("probation", "iom-probation-lead")):
                store.decide(person.person_id, "select", strand, agency, by, "panel", entry)  # type: ignore[arg-type]
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["cohort", "performance", "--config", str(EXAMPLE_CONFIG),
                                       "--out", str(out), "--on", TODAY.isoformat()])  # fmt: skip
    assert result.exit_code == 0, result.output
    # 7 entered in all would give the one free spell away: the total is suppressed too
    assert "suppressed spells entered (fixed 6, flex 0, free <5)" in result.output
    assert "not measurable yet" in result.output and str(out / "performance.html") in result.output
    html = (out / "performance.html").read_text("utf-8")
    assert "<script" not in html and "P001" not in html and "<svg" in html
    figures = list(csv.reader((out / "performance_figures.csv").open(encoding="utf-8")))
    assert ["free", "entered", "", "<5"] in figures and ["fixed", "entered", "", "6"] in figures
    assert ["all", "entered", "", "suppressed"] in figures
    rows = list(csv.DictReader((out / "performance_people.csv").open(encoding="utf-8")))
    assert len(rows) == 6 and {r["strand"] for r in rows} == {"fixed"}  # free: too few
    assert all(len(r["person_id"]) == 32 and not r["person_id"].startswith("P") for r in rows)
    assert {(r["offences_12m_before"], r["offences_since_entry"]) for r in rows} == {("1", "1")}
    audit = Workspace(workspace).open_audit(load_config(EXAMPLE_CONFIG).settings)
    (reported,) = [e.event for e in audit.events()
                   if isinstance(e.event, CohortPerformanceReported)]  # fmt: skip
    assert reported.spells == 7 and reported.folder == str(out)
