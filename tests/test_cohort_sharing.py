"""Sharing that follows the IOM cohort: an agreement limited to the cohort releases its members
only, a deselected person leaves at the next release, and membership follows a person merge."""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sharing_support import agreement_yaml, keyed_hub, make_persons, write_hub

from hub.cohort_membership import CohortStore
from hub.config import HubConfig
from hub.output import Reporter
from hub.run.pseudonym_maps import read_pseudonym_map
from hub.run.publish import ReleaseOutcome, publish_all
from hub.workspace import ReleaseRecord, Workspace
from matching.registry import PersonRegistry
from schemas.sqlite_store import database_transaction
from sharing_agreements.model import Agreement
from tests.helpers import approve_agreements

POLICE, PROBATION = "iom-police-lead", "iom-probation-lead"
DAY = datetime.date(2026, 12, 1)
COHORT_SUBJECTS = {"cohort": ["fixed", "flex"]}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HubConfig:
    team = {"team.yaml": agreement_yaml(subjects=COHORT_SUBJECTS)}
    return keyed_hub(tmp_path, monkeypatch, team, make_persons(12))


def _decide(config: HubConfig, person: str, decision: str, strand: str, day: datetime.date) -> None:
    with CohortStore(Workspace(config.workspace).cohort_path) as store:
        for agency, by in (("police", POLICE), ("probation", PROBATION)):
            store.decide(person, decision, strand, agency, by, "panel", day)  # type: ignore[arg-type]


def _publish(config: HubConfig, day: datetime.date) -> tuple[ReleaseOutcome, set[str]]:
    """Publish for the IOM team on ``day``; the outcome and the internal ids released."""
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        audit = workspace.open_audit(config.settings)
        (outcome,) = publish_all(config, workspace, state, audit, Reporter(quiet=True),
                                 recipients=["iom_team"], today=day)  # fmt: skip
    finally:
        state.close()
    if outcome.release_id is None or outcome.status != "published":
        return outcome, set()
    record = ReleaseRecord(workspace.release_records("iom_team") / outcome.release_id)
    mapping = read_pseudonym_map(record.pseudonyms, config.settings.master_key_bytes())
    released = set(
        pq.read_table(Path(outcome.path or "") / "view.parquet")["person_id"].to_pylist()
    )
    people = {
        row["person_id"] for row in mapping.to_pylist()
        if row["field"] == "person_id" and row["pseudonym"] in released
    }  # fmt: skip
    return outcome, people


def test_subjects_may_name_the_cohort_with_or_without_candidates() -> None:
    import yaml

    agreement = Agreement.model_validate(yaml.safe_load(agreement_yaml(
        subjects={"cohort": ["free", "fixed"], "include_candidates": True})))  # fmt: skip
    assert agreement.subjects is not None
    assert str(agreement.subjects.cohort_scope) == "cohort members or candidates (fixed, free)"
    for subjects, problem in (
        ({"include_candidates": True, "known_to": ["police"]}, "include_candidates needs cohort"),
        ({"cohort": ["fixed", "fixed"]}, "listed twice"),
        ({"cohort": ["core"]}, "fixed"),
    ):
        with pytest.raises(ValueError, match=problem):
            Agreement.model_validate(yaml.safe_load(agreement_yaml(subjects=subjects)))


def test_members_are_released_and_everyone_else_is_not(hub: HubConfig) -> None:
    outcome, people = _publish(hub, DAY)
    assert outcome.status == "withheld" and people == set()  # no empty first release
    _decide(hub, "P0000001", "select", "fixed", DAY)
    _decide(hub, "P0000002", "select", "flex", DAY)
    _decide(hub, "P0000003", "select", "free", DAY)  # a strand the agreement does not name
    with CohortStore(Workspace(hub.workspace).cohort_path) as store:
        store.decide("P0000004", "select", "fixed", "police", POLICE, "waits", DAY)
    outcome, people = _publish(hub, DAY)
    assert outcome.status == "published"
    assert people == {"P0000001", "P0000002"} and outcome.rows == 2


def test_a_deselected_person_leaves_at_the_next_release(hub: HubConfig) -> None:
    _decide(hub, "P0000001", "select", "fixed", DAY)
    _decide(hub, "P0000002", "select", "fixed", DAY)
    assert _publish(hub, DAY)[1] == {"P0000001", "P0000002"}
    later = DAY + datetime.timedelta(days=30)
    _decide(hub, "P0000002", "deselect", "fixed", later)
    assert _publish(hub, later - datetime.timedelta(days=1))[0].status == "unchanged"
    outcome, people = _publish(hub, later)
    assert outcome.status == "published" and people == {"P0000001"}


def test_candidates_are_released_only_where_the_agreement_includes_them(
    tmp_path: Path, hub: HubConfig
) -> None:
    with CohortStore(Workspace(hub.workspace).cohort_path) as store:
        store.replace_candidates(DAY, {"P0000005": "flex", "P0000006": "free"})
    assert _publish(hub, DAY)[1] == set()
    subjects = {**COHORT_SUBJECTS, "include_candidates": True}
    write_hub(tmp_path, {"team.yaml": agreement_yaml(version="1.1", subjects=subjects)})
    approve_agreements(hub.config_path)
    assert _publish(hub, DAY)[1] == {"P0000005"}


def test_membership_follows_a_person_merge(hub: HubConfig) -> None:
    _decide(hub, "P0000001", "select", "fixed", DAY)
    workspace = Workspace(hub.workspace)
    with PersonRegistry(workspace.matched.registry):
        pass
    with database_transaction(workspace.matched.registry, "") as db:
        db.execute(
            "INSERT INTO persons (person_id, status, merged_into, created_run, updated_run) "
            "VALUES ('P0000001', 'merged', 'P0000007', 'r1', 'r2')"
        )
    assert _publish(hub, DAY)[1] == {"P0000007"}
    with CohortStore(workspace.cohort_path) as store:
        assert [m.person_id for m in store.members(DAY)] == ["P0000007"]
