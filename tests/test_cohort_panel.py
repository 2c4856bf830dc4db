"""Panel decisions: one police and one probation decision-maker, audited, time-bounded spells
that follow person merges."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cohort_population import offender, write_population
from helpers import EXAMPLE_CONFIG

from hub.audit.events import CohortDecision
from hub.cli import main
from hub.cohort_membership import CohortStore
from hub.config import load_config
from hub.errors import CohortDecisionRefused
from hub.workspace import Workspace

POLICE, PROBATION = "iom-police-lead", "iom-probation-lead"
CONFIG = ["--config", str(EXAMPLE_CONFIG)]


@pytest.fixture
def people(example_env: Path) -> Path:
    workspace = example_env.parent / "workspace"
    write_population(workspace, [offender("P001", ogrs=80), offender("P002", ogrs=60)])
    return workspace


def _cohort(actor: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["cohort", *args, *CONFIG], env={"IOMHUB_ACTOR": actor})
    return result.exit_code, result.output


def test_a_selection_takes_one_police_and_one_probation_decision_maker(people: Path) -> None:
    select = ("select", "--person", "P001", "--strand", "fixed", "--on", "2026-12-01")
    code, output = _cohort("someone-else", *select, "--reason", "panel 1 Dec")
    assert code == 2 and "not a panel decision-maker" in output
    code, output = _cohort(POLICE, *select, "--reason", "burglary series")
    assert code == 0 and "waits for probation" in output
    code, output = _cohort(POLICE, *select, "--reason", "again")
    assert code == 2 and "already decided" in output
    code, output = _cohort(PROBATION, *select, "--reason", "burglary series")
    assert code == 0 and "in the fixed cohort from 2026-12-01" in output
    assert f"{POLICE} & {PROBATION}" in output
    code, output = _cohort(PROBATION, *select, "--reason", "again")
    assert code == 2 and "already in the fixed cohort" in output
    audit = Workspace(people).open_audit(load_config(EXAMPLE_CONFIG).settings)
    decisions = [e.event for e in audit.events() if isinstance(e.event, CohortDecision)]
    assert [(d.agency, d.outcome) for d in decisions] == [
        ("police", "pending"),
        ("probation", "agreed"),
    ]
    assert all(d.person_id == "P001" and d.strand == "fixed" for d in decisions)


def test_membership_is_time_bounded_by_selection_and_deselection(people: Path) -> None:
    for actor in (POLICE, PROBATION):
        _cohort(actor, "select", "--person", "P002", "--strand", "flex", "--reason", "harm",
                "--on", "2026-10-01")  # fmt: skip
    for actor in (PROBATION, POLICE):
        code, output = _cohort(actor, "deselect", "--person", "P002", "--reason", "low risk now",
                               "--on", "2026-12-01")  # fmt: skip
        assert code == 0, output
    assert "left the flex cohort on 2026-12-01" in output

    def members(day: str) -> list[dict[str, str]]:
        result = CliRunner().invoke(main, ["--json", "cohort", "members", *CONFIG, "--on", day])
        return json.loads(result.stdout)["members"]

    assert [m["person_id"] for m in members("2026-11-01")] == ["P002"]
    assert members("2026-11-01")[0]["start"] == "2026-10-01"
    assert members("2026-12-01") == [] and members("2026-09-30") == []
    code, output = _cohort(POLICE, "deselect", "--person", "P002", "--reason", "x")
    assert code == 2 and "not in the cohort" in output


def test_an_unknown_person_cannot_be_selected(people: Path) -> None:
    code, output = _cohort(POLICE, "select", "--person", "P999", "--strand", "free",
                           "--reason", "typo")  # fmt: skip
    assert code == 2 and "no person P999" in output


def test_spells_and_pending_decisions_follow_a_person_merge(tmp_path: Path) -> None:
    day = datetime.date(2026, 12, 1)
    with CohortStore(tmp_path / "cohort.db") as store:
        store.decide("IOM-1", "select", "fixed", "police", POLICE, "r", day)
        store.decide("IOM-1", "select", "fixed", "probation", PROBATION, "r", day)
        store.decide("IOM-2", "select", "free", "police", POLICE, "da", day)
        assert store.follow_merges({"IOM-1": "IOM-3", "IOM-3": "IOM-4", "IOM-2": "IOM-5"}) == 4
        assert [m.person_id for m in store.members(day)] == ["IOM-4"]
        assert [p[0] for p in store.pending()] == ["IOM-5"]
        with pytest.raises(CohortDecisionRefused, match="already in the fixed cohort"):
            store.decide("IOM-4", "select", "flex", "police", POLICE, "r", day)


def test_a_decision_maker_cannot_agree_with_themselves(tmp_path: Path) -> None:
    day = datetime.date(2026, 12, 1)
    with CohortStore(tmp_path / "cohort.db") as store:
        store.decide("IOM-1", "select", "fixed", "police", "sam", "r", day)
        with pytest.raises(CohortDecisionRefused, match="must be someone else"):
            store.decide("IOM-1", "select", "fixed", "probation", "sam", "r", day)
        assert store.members(day) == []


def test_an_account_holds_at_most_one_panel_role() -> None:
    from hub.accounts import Role, parse_roles
    from hub.errors import AccountError

    assert parse_roles("panel_police,iom_officer") == {Role.PANEL_POLICE, Role.IOM_OFFICER}
    with pytest.raises(AccountError, match="one agency"):
        parse_roles("panel_police,panel_probation")
