"""Publishing releases: write, check, place all or nothing, record, deliver; re-identification."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sharing_support import agreement_yaml, keyed_hub, make_persons, write_matched

from hub.config import HubConfig, load_config
from hub.governance.reidentify import ReidentificationRefused, reidentify
from hub.keys import write_new_key
from hub.output import Reporter
from hub.run.pseudonym_maps import read_pseudonym_map
from hub.run.publish import ReleaseOutcome, publish_all
from hub.run.release_files import releases_in, verify_release
from hub.workspace import Workspace
from sharing_agreements.pseudonyms import derive_key

ROOT = Path(__file__).resolve().parent.parent
TEAM_FIELDS = {
    "forename": "keep",
    "surname": "keep",
    "address": "keep",
    "pnc_id": {"treatment": "pseudonymise", "clause": "Schedule 2, 1.4"},
    "date_of_birth": {"treatment": "generalise", "to": "year"},
    "postcode": {"treatment": "generalise", "to": "district"},
    "nhs_number": "drop",
}


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HubConfig:
    team = {"team.yaml": agreement_yaml(fields=TEAM_FIELDS)}
    return keyed_hub(tmp_path, monkeypatch, team, make_persons(300, seed=5))


def publish(config: HubConfig, **options: Any) -> list[ReleaseOutcome]:
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        return publish_all(
            config,
            workspace,
            state,
            workspace.open_audit(config.settings),
            Reporter(quiet=True),
            **options,
        )
    finally:
        state.close()


def audit_entries(config: HubConfig, action: str) -> list[dict[str, Any]]:
    audit = Workspace(config.workspace).open_audit(config.settings)
    return [e for e in audit.entries() if e["action"] == action]


def team_folder(config: HubConfig) -> Path:
    return config.recipient("iom_team").delivery_folder(config.workspace)


def test_release_is_written_checked_placed_recorded_and_pushed(hub: HubConfig) -> None:
    team, analyst = publish(hub)
    assert team.status == "published" and team.error is None
    assert analyst.status == "withheld"
    release = Path(str(team.path))
    assert sorted(p.name for p in release.iterdir()) == [
        "manifest.json",
        "view.csv",
        "view.parquet",
    ]
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["release_id"] == release.name == team.release_id
    text = hub.agreements[0].read_bytes()
    assert manifest["agreements"] == [
        {"id": "TEST-1", "version": "1.0", "sha256": hashlib.sha256(text).hexdigest(),
         "title": "Test agreement", "retention_days": 365}
    ]  # fmt: skip
    assert [f["name"] for f in manifest["fields"]] == [
        "person_id",
        "forename",
        "surname",
        "date_of_birth",
        "address",
        "postcode",
        "pnc_id",
    ]
    assert manifest["key_id"] == derive_key(hub.settings.master_key_bytes(), "iom_team").key_id
    table = pq.read_table(release / "view.parquet")
    assert manifest["row_count"] == table.num_rows == team.rows > 0
    assert verify_release(release) == []
    assert "nhs_number" not in table.column_names
    assert pa.types.is_integer(table.schema.field("date_of_birth").type)

    record = Workspace(hub.workspace).release_records("iom_team") / release.name
    sealed = Workspace(hub.workspace).release_record("iom_team", release.name).pseudonyms
    mapping = read_pseudonym_map(sealed, hub.settings.master_key_bytes())
    assert set(mapping.column("field").to_pylist()) == {"person_id", "pnc_id"}
    decisions = json.loads((record / "decisions.json").read_text())
    assert {"field_not_named", "partner_not_covered"} <= {w["code"] for w in decisions["withheld"]}

    (entry,) = audit_entries(hub, "release")
    assert entry["operation"] == "disclosure"
    assert entry["counts"]["rows"] == table.num_rows
    assert entry["objects"]["key_id"] == manifest["key_id"]
    assert entry["agreement_id"] == "TEST-1"
    assert len(audit_entries(hub, "release_withheld")) == 1
    assert Workspace(hub.workspace).open_audit(hub.settings).verify().ok

    outbox = hub.recipient("iom_team").push
    assert outbox is not None
    pushed = sorted(p.name for p in Path(outbox.path).iterdir())  # type: ignore[union-attr]
    assert pushed == [f"{release.name}_{n}" for n in ("manifest.json", "view.csv", "view.parquet")]
    assert audit_entries(hub, "deliver")[0]["objects"]["release_id"] == release.name


def test_nothing_new_means_no_new_release_and_force_keeps_pseudonyms(hub: HubConfig) -> None:
    (first, _) = publish(hub)
    (again, _) = publish(hub)
    assert again.status == "unchanged" and again.release_id == first.release_id
    assert len(audit_entries(hub, "release_withheld")) == 1  # recorded once, not every run
    (forced, _) = publish(hub, force=True)
    assert forced.status == "published" and forced.release_id != first.release_id
    old = pq.read_table(Path(str(first.path)) / "view.parquet")
    new = pq.read_table(Path(str(forced.path)) / "view.parquet")
    assert old.column("person_id").to_pylist() == new.column("person_id").to_pylist()
    manifest = json.loads((Path(str(forced.path)) / "manifest.json").read_text())
    assert manifest["previous_release"] == first.release_id


def test_new_data_makes_a_new_release_and_keeps_the_old(hub: HubConfig) -> None:
    (first, _) = publish(hub)
    write_matched(hub.workspace, make_persons(250, seed=6))
    (second, _) = publish(hub)
    assert second.status == "published" and second.release_id != first.release_id
    assert verify_release(Path(str(first.path))) == []
    old = dict(zip(*_ids_and_surnames(first), strict=True))
    new = dict(zip(*_ids_and_surnames(second), strict=True))
    shared = set(old) & set(new)
    assert shared, "the same people keep the same pseudonym from release to release"


def _ids_and_surnames(outcome: ReleaseOutcome) -> tuple[list[str], list[str]]:
    table = pq.read_table(Path(str(outcome.path)) / "view.parquet")
    return table.column("person_id").to_pylist(), table.column("surname").to_pylist()


def test_key_rotation_changes_every_pseudonym(hub: HubConfig, tmp_path: Path) -> None:
    (first, _) = publish(hub)
    hub_file = tmp_path / "config" / "hub.yaml"
    hub_file.write_text(
        hub_file.read_text().replace(
            "formats: [parquet, csv]", "formats: [parquet, csv]\n    key_version: 2"
        )
    )
    (rotated, _) = publish(load_config(hub_file))
    assert rotated.status == "published"
    old, new = _ids_and_surnames(first)[0], _ids_and_surnames(rotated)[0]
    assert not set(old) & set(new)
    manifest = json.loads((Path(str(rotated.path)) / "manifest.json").read_text())
    assert manifest["key_id"].startswith("iom_team-v2-")


def test_csv_cells_that_could_run_as_formulas_are_neutralised(hub: HubConfig) -> None:
    persons = make_persons(40, seed=9)
    risky = ['=HYPERLINK("http://x")', "+441234", "-2+3", "@SUM(A1)", "\tTab", "Plain"]
    forename = persons.column("forename").to_pylist()
    sources = persons.column("forename__source").to_pylist()
    known = persons.column("sources").to_pylist()
    chosen = [i for i, s in enumerate(known) if "police" in s][: len(risky)]
    for index, value in zip(chosen, risky, strict=True):
        forename[index], sources[index] = value, "police"
    persons = persons.set_column(
        persons.column_names.index("forename"), "forename", pa.array(forename, pa.string())
    )
    persons = persons.set_column(
        persons.column_names.index("forename__source"),
        "forename__source",
        pa.array(sources, pa.string()),
    )
    write_matched(hub.workspace, persons)
    (team, _) = publish(hub)
    release = Path(str(team.path))
    text = pacsv.read_csv(
        release / "view.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={"forename": pa.string()}, strings_can_be_null=False
        ),
    )
    cells = set(text.column("forename").to_pylist())
    assert {
        '\'=HYPERLINK("http://x")',
        "'+441234",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab",
        "Plain",
    } <= cells
    parquet = set(pq.read_table(release / "view.parquet").column("forename").to_pylist())
    assert set(risky) <= parquet


def test_a_release_failing_its_checks_is_never_published(hub: HubConfig) -> None:
    (first, _) = publish(hub)
    # A partner that wrote, as someone's PNC id, the very pseudonym another person's PNC id gets:
    # the check cannot tell it from a clear value, so the release must stop.
    persons = make_persons(300, seed=5)
    key = derive_key(hub.settings.master_key_bytes(), "iom_team")
    released = pq.read_table(Path(str(first.path)) / "view.parquet")
    pnc = persons.column("pnc_id").to_pylist()
    target = next(i for i, s in enumerate(persons.column("pnc_id__source").to_pylist()) if s)
    # The pseudonym must be another person's: the target's own would vanish with its PNC id.
    target_id = key.pseudonym("person_id", persons.column("person_id")[target].as_py())
    assert target_id in released.column("person_id").to_pylist()
    others = zip(
        released.column("pnc_id").to_pylist(), released.column("person_id").to_pylist(), strict=True
    )
    pseudonym = next(p for p, person in others if p and person != target_id)
    pnc[target] = pseudonym
    persons = persons.set_column(
        persons.column_names.index("pnc_id"), "pnc_id", pa.array(pnc, pa.string())
    )
    write_matched(hub.workspace, persons)
    (team, _) = publish(hub)
    assert team.status == "failed"
    assert "in clear where the agreement says pseudonymise" in str(team.error)
    assert pseudonym not in str(team.error)
    assert [p.name for p in releases_in(team_folder(hub))] == [first.release_id]
    assert not [p for p in team_folder(hub).iterdir() if p.name.startswith(".")]
    (rejected,) = audit_entries(hub, "release_rejected")
    assert rejected["objects"]["recipient"] == "iom_team"
    assert key.key_id  # the key is unchanged; only the data was refused


def test_an_expired_agreement_lets_nothing_flow(hub: HubConfig) -> None:
    (team, _) = publish(hub, today=datetime.date(2030, 1, 1))
    assert team.status == "withheld" and team.path is None
    (entry, *_) = audit_entries(hub, "release_withheld")
    assert "expired on 2028-01-01" in str(entry["reason"])
    assert not releases_in(team_folder(hub))


def test_no_matched_view_yet_publishes_nothing(hub: HubConfig) -> None:
    (Path(hub.workspace) / "matched" / "persons.parquet").unlink()
    assert publish(hub) == []


# --- re-identification ------------------------------------------------------------------------


def test_reidentify_maps_a_pseudonym_back_and_records_it(hub: HubConfig) -> None:
    (team, _) = publish(hub)
    released = pq.read_table(Path(str(team.path)) / "view.parquet")
    pseudonym = released.column("person_id")[0].as_py()
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    found = reidentify(hub, "iom_team", pseudonym, "Safeguarding referral 2026/114", audit)
    assert found.found and found.field == "person_id"
    assert found.person_id is not None and found.person_id.startswith("P")
    assert found.releases == [team.release_id]
    assert found.records and {r["source"] for r in found.records} <= {
        "police",
        "probation",
        "health",
        "housing",
    }
    key = derive_key(hub.settings.master_key_bytes(), "iom_team")
    assert key.pseudonym("person_id", found.person_id) == pseudonym
    (entry,) = audit_entries(hub, "reidentify")
    assert entry["operation"] == "consultation"
    assert entry["reason"] == "Safeguarding referral 2026/114"
    assert entry["objects"]["person_id"] == found.person_id

    pnc = next(p for p in released.column("pnc_id").to_pylist() if p)
    by_field = reidentify(hub, "iom_team", pnc, "Checking a PNC match query", audit)
    assert by_field.found and by_field.field == "pnc_id"


def test_reidentify_recomputes_when_no_map_is_kept(hub: HubConfig) -> None:
    (team, _) = publish(hub)
    pseudonym = pq.read_table(Path(str(team.path)) / "view.parquet").column("person_id")[3]
    for mapping in Workspace(hub.workspace).release_records("iom_team").glob("*/pseudonyms.*"):
        mapping.unlink()
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    found = reidentify(hub, "iom_team", pseudonym.as_py(), "Audit sample check 7", audit)
    assert found.found and found.method == "recomputed" and found.field == "person_id"


@pytest.mark.parametrize(
    ("actor", "reason", "expected"),
    [
        ("data-officer", "", "a reason"),
        ("data-officer", "   why  ", "a reason"),
        ("someone-else", "Safeguarding referral 2026/114", "not listed in reidentifiers"),
    ],
)
def test_reidentify_refuses_and_records_the_refusal(
    hub: HubConfig, monkeypatch: pytest.MonkeyPatch, actor: str, reason: str, expected: str
) -> None:
    (team, _) = publish(hub)
    pseudonym = pq.read_table(Path(str(team.path)) / "view.parquet").column("person_id")[0]
    hub = hub.model_copy(update={"settings": hub.settings.model_copy(update={"actor": actor})})
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    with pytest.raises(ReidentificationRefused, match=expected):
        reidentify(hub, "iom_team", pseudonym.as_py(), reason, audit)
    (entry,) = audit_entries(hub, "reidentify_refused")
    assert entry["actor"] == actor
    assert not audit_entries(hub, "reidentify")


def test_reidentify_does_not_record_what_is_not_a_pseudonym(hub: HubConfig) -> None:
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    with pytest.raises(ReidentificationRefused, match="not a pseudonym"):
        reidentify(hub, "iom_team", "Harvey Thomson", "Safeguarding referral 2026/114", audit)
    (entry,) = audit_entries(hub, "reidentify_refused")
    assert "Harvey" not in str(entry)


def test_reidentify_refuses_another_master_key(
    hub: HubConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (team, _) = publish(hub)
    pseudonym = pq.read_table(Path(str(team.path)) / "view.parquet").column("person_id")[0]
    write_new_key(tmp_path / "other" / "master_key")
    other = hub.settings.model_copy(update={"master_key_file": tmp_path / "other" / "master_key"})
    hub = hub.model_copy(update={"settings": other})
    audit = Workspace(hub.workspace).open_audit(hub.settings)
    with pytest.raises(ReidentificationRefused, match="master key held does not match"):
        reidentify(hub, "iom_team", pseudonym.as_py(), "Safeguarding referral 2026/114", audit)


# --- a process killed in the middle of publishing ----------------------------------------------

KILLER = """
import os, signal, sys
from hub.config import load_config
from hub.output import Reporter
from hub.run.publish import publish_all
from hub.workspace import Workspace

config = load_config(sys.argv[1])
workspace = Workspace(config.workspace)

def on_step(step: str) -> None:
    if step == sys.argv[2]:
        os.kill(os.getpid(), signal.SIGKILL)

publish_all(config, workspace, workspace.open_state(), workspace.open_audit(config.settings),
            Reporter(quiet=True), recipients=["iom_team"], on_step=on_step)
"""


@pytest.mark.parametrize("step", ["written", "checked", "moved", "audited", "delivered"])
def test_killed_mid_publish_keeps_the_previous_release_and_a_rerun_completes(
    hub: HubConfig, tmp_path: Path, step: str
) -> None:
    (first, _) = publish(hub)
    before = {p.name: p.read_bytes() for p in Path(str(first.path)).iterdir()}
    write_matched(hub.workspace, make_persons(280, seed=8))
    script = tmp_path / "killer.py"
    script.write_text(KILLER, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "config" / "hub.yaml"), step],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == -signal.SIGKILL, run.stderr

    folder = team_folder(hub)
    placed = releases_in(folder)
    assert placed[0].name == first.release_id
    assert {p.name: p.read_bytes() for p in placed[0].iterdir()} == before
    assert all(verify_release(release) == [] for release in placed)

    (rerun, _) = publish(hub)
    assert rerun.error is None
    assert rerun.status == ("published" if step in ("written", "checked") else "unchanged")
    assert rerun.recovered == ([rerun.release_id] if step == "moved" else [])
    assert (rerun.delivered_to is None) == (step == "delivered")
    placed = releases_in(folder)
    assert len(placed) == 2 and placed[0].name == first.release_id
    latest = placed[-1]
    assert verify_release(latest) == []
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]
    recorded = {e["objects"]["release_id"] for e in audit_entries(hub, "release")}
    assert recorded == {first.release_id, latest.name}
    delivered = {e["objects"]["release_id"] for e in audit_entries(hub, "deliver")}
    assert latest.name in delivered
    outbox = Path(str(hub.recipient("iom_team").push.path))  # type: ignore[union-attr]
    assert (outbox / f"{latest.name}_manifest.json").is_file()
    assert Workspace(hub.workspace).open_audit(hub.settings).verify().ok
