"""Retention beyond extracts and releases: matched/ and outbox copies, reported per place."""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from test_retention import _age

from hub.audit.events import MatchedErased, OutboxErased
from hub.audit.log import AuditLog
from hub.cli import main
from hub.config import load_config
from hub.run.deliver import push_release
from hub.run.release_files import releases_in


def _retention(hub_file: Path, *extra: str, json_mode: bool = False) -> tuple[int, str]:
    front = ["--json"] if json_mode else []
    command = [*front, "retention", "apply", "--config", str(hub_file), *extra]
    result = CliRunner().invoke(main, command)
    return result.exit_code, result.output


def _with_outbox(hub_file: Path, outbox: Path, matched_days: int) -> None:
    text = hub_file.read_text(encoding="utf-8").replace(
        "  - name: csp\n", f"  - name: csp\n    push: {{kind: folder, path: {outbox}}}\n"
    )
    hub_file.write_text(text + f"retention: {{matched_days: {matched_days}}}\n", encoding="utf-8")


def _push_all(hub_file: Path) -> None:
    config = load_config(hub_file)
    recipient = config.recipient("csp")
    for release in releases_in(recipient.delivery_folder(config.workspace)):
        push_release(recipient, release)


def _make_old(paths: list[Path], days: int) -> None:
    when = (datetime.datetime.now() - datetime.timedelta(days=days)).timestamp()
    for path in paths:
        os.utime(path, (when, when))


def test_matched_and_outbox_copies_go_and_each_place_is_reported(
    dpo_hub_file: Path, audit_key: bytes, tmp_path: Path
) -> None:
    workspace = dpo_hub_file.parent.parent / "workspace"
    outbox = tmp_path / "outbox" / "csp"
    _with_outbox(dpo_hub_file, outbox, matched_days=60)
    _age(workspace, 100)
    _push_all(dpo_hub_file)
    matched = sorted((workspace / "matched").glob("*.parquet"))
    assert matched and len(list(outbox.iterdir())) == 4  # two releases: view and manifest each
    _make_old(matched, 70)

    code, output = _retention(dpo_hub_file)
    assert code == 0, output
    assert "would erase matching outputs" in output and "matched_days 60" in output
    assert output.count("would erase outbox csp/") == 2
    assert f"in outbox {outbox}: 4 file(s)" in output
    assert f"in matched/: {len(matched)} file(s)" in output
    for place in ("landing/", "staging/", "quarantine/", "published/", "releases/"):
        assert f"in {place}: " in output
    assert all(path.exists() for path in matched) and len(list(outbox.iterdir())) == 4

    code, output = _retention(dpo_hub_file, json_mode=True)
    document = json.loads(output)
    places = {p["place"]: p for p in document["places"]}
    assert places[f"outbox {outbox}"]["items"] == 2 and places["matched/"]["items"] == 1

    code, output = _retention(dpo_hub_file, "--apply")
    assert code == 0, output
    assert "deleted" in output
    assert not any(path.exists() for path in matched)
    assert list(outbox.iterdir()) == []
    result, entries = AuditLog(workspace / "audit", audit_key).verified_events()
    assert result.ok
    outboxes = [e.event for e in entries if isinstance(e.event, OutboxErased)]
    assert len(outboxes) == 2 and {e.recipient for e in outboxes} == {"csp"}
    assert all(e.retention_days == 30 and e.files == 2 for e in outboxes)
    assert all(e.agreement_id == "CSP-IOM-001" for e in outboxes)
    (erased,) = [e.event for e in entries if isinstance(e.event, MatchedErased)]
    assert erased.item_id == "outputs" and erased.retention_days == 60
    assert erased.files == len(matched) and "past retention" in erased.reason

    code, output = _retention(dpo_hub_file)
    assert "0 item(s) past retention" in output


def test_a_matched_view_built_from_an_erased_extract_goes_with_it(
    dpo_hub_file: Path, audit_key: bytes
) -> None:
    workspace = dpo_hub_file.parent.parent / "workspace"
    with sqlite3.connect(workspace / "state.db") as db:
        extracts = [row[0] for row in db.execute("SELECT extract_id FROM extracts ORDER BY 1")]
    record = workspace / "matched" / "run.json"
    record.write_text(json.dumps({"run_id": "m1", "extracts": extracts}), encoding="utf-8")
    _age(workspace, 100)  # the older extract is past its 90 days; matched/ is new

    code, output = _retention(dpo_hub_file, "--apply")
    assert code == 0, output
    assert "erased matching outputs" in output and "built from extract police-" in output
    assert not record.exists()
    result, entries = AuditLog(workspace / "audit", audit_key).verified_events()
    assert result.ok
    (erased,) = [e.event for e in entries if isinstance(e.event, MatchedErased)]
    assert "matched/run.json" in erased.paths


def test_earlier_assignment_snapshots_go_the_current_one_stays(dpo_hub_file: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hub.governance.retention import plan_retention
    from hub.workspace import Workspace
    from matching.registry import SNAPSHOT_KEY, PersonRegistry

    config = load_config(dpo_hub_file)
    registry_path = Workspace(config.workspace).matched.registry
    with PersonRegistry(registry_path) as registry:
        registry.snapshots.mkdir()
        for name in ("run-1.parquet", "run-2.parquet"):
            pq.write_table(pa.table({"person_id": ["P000001"]}), registry.snapshots / name)
        registry._db.execute("INSERT INTO meta VALUES (?, ?)", (SNAPSHOT_KEY, "run-2.parquet"))
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    decided = {(i.item_id, i.action) for i in plan_retention(config, later) if i.kind == "matching"}
    assert decided == {("outputs", "erase"), ("assignments/run-1.parquet", "erase")}
