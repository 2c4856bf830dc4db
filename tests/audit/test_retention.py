"""``iomhub retention apply``: a dry run by default; with --apply, erasures logged one by one."""

from __future__ import annotations

import datetime
import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner

from hub.audit.events import ExtractErased, Operation, ReleaseErased
from hub.audit.log import AuditLog
from hub.cli import main
from hub.config import load_config
from hub.governance.agreement_register import AgreementSummary, status_on
from hub.governance.retention import feed_retention


def _age(workspace: Path, days: int) -> None:
    """Make every extract and release of the fixture ``days`` old."""
    when = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=days)).isoformat(
        timespec="seconds")  # fmt: skip
    with sqlite3.connect(workspace / "state.db") as db:
        db.execute("UPDATE extracts SET landed_at=?", (when,))
    for manifest in (workspace / "published").glob("*/*/manifest.json"):
        document = json.loads(manifest.read_text())
        document["created_at"] = when
        manifest.write_text(json.dumps(document))


def _retention(hub_file: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["retention", "apply", "--config", str(hub_file), *extra])
    return result.exit_code, result.output


def test_nothing_is_due_in_a_new_workspace(dpo_hub_file: Path) -> None:
    code, output = _retention(dpo_hub_file)
    assert code == 0, output
    assert "0 item(s) past retention" in output and "dry run" in output


def test_dry_run_then_apply(dpo_hub_file: Path, audit_key: bytes) -> None:
    workspace = dpo_hub_file.parent.parent / "workspace"
    _age(workspace, 100)
    log = AuditLog(workspace / "audit", audit_key)
    entries_before = log.verify().entries
    landed = sorted((workspace / "landing" / "police").rglob("*.csv"))
    assert len(landed) == 2

    code, output = _retention(dpo_hub_file)
    assert code == 0, output
    assert output.count("would erase") == 3  # the old extract and both releases
    assert "kept extract police-" in output and "current extract" in output
    assert all(path.exists() for path in landed)
    assert log.verify().entries == entries_before

    code, output = _retention(dpo_hub_file, "--apply")
    assert code == 0, output
    assert output.count("erased ") == 3
    assert not landed[0].exists() and landed[1].exists()
    assert len(list((workspace / "staging" / "police").glob("*.parquet"))) == 1
    assert len(list((workspace / "quarantine" / "police").glob("*.parquet"))) == 1
    assert not any((workspace / "published" / "csp").iterdir())
    assert not any((workspace / "releases" / "csp").iterdir())
    result, entries = log.verified_events()
    assert result.ok
    erasures = [e.event for e in entries if e.operation is Operation.ERASURE]
    assert sorted(type(e).__name__ for e in erasures) == ["ExtractErased", "ReleaseErased",
                                                           "ReleaseErased"]  # fmt: skip
    extract = next(e for e in erasures if isinstance(e, ExtractErased))
    assert extract.feed == "police" and extract.item_id.startswith("police-")
    assert extract.files == 3 and extract.retention_days == 90
    assert "past retention" in extract.reason
    release = next(e for e in erasures if isinstance(e, ReleaseErased))
    assert release.recipient == "csp"
    assert release.agreement_id == "CSP-IOM-001" and release.retention_days == 30
    assert release.files == 3 and len(release.paths) == 3  # view, manifest, pseudonym map
    with sqlite3.connect(workspace / "state.db") as db:
        statuses = sorted(row[0] for row in db.execute("SELECT status FROM extracts"))
    assert statuses == ["erased", "ingested"]

    code, output = _retention(dpo_hub_file, "--apply")
    assert "0 item(s) past retention" in output

    report = CliRunner().invoke(main, ["--json", "report", "dpo", "--config", str(dpo_hub_file),
                                       "--since", "2024-01-01"])  # fmt: skip
    document = json.loads(report.stdout)
    assert len(document["retention"]["erasures"]) == 3
    assert document["retention"]["due"] == []
    assert [i["kind"] for i in document["retention"]["held_beyond_retention"]] == ["extract"]


def test_a_feed_without_its_own_period_takes_its_agreements(dpo_hub_file: Path) -> None:
    config = load_config(dpo_hub_file)
    feeds = [f.model_copy(update={"retention_days": None}) for f in config.feeds]
    config = config.model_copy(update={"feeds": feeds})
    agreements = [
        AgreementSummary("A", "", "1", "in force", providers=["police"], retention_days=30),
        AgreementSummary("B", "", "1", "in force", providers=["police"], retention_days=400),
    ]
    assert feed_retention(config, "police", agreements)[0] == 400
    days, basis = feed_retention(config, "housing", agreements)
    assert days is None and "no retention period" in basis


def test_agreement_status() -> None:
    day = datetime.date(2025, 6, 1)
    d = datetime.date.fromisoformat
    assert status_on(day, d("2025-01-01"), d("2026-01-01"), d("2027-01-01"))[0] == "in force"
    assert status_on(day, d("2025-01-01"), d("2025-05-01"), d("2027-01-01"))[0] == (
        "review overdue")  # fmt: skip
    assert status_on(day, d("2024-01-01"), None, d("2025-05-31"))[0] == "expired"
    assert status_on(day, d("2025-07-01"), None, None)[0] == "not yet in force"
    assert status_on(day, d("2025-01-01"), None, None, suspended=True)[0] == "suspended"
    assert "review due in 30 days" in status_on(day, None, d("2025-07-01"), None)[1]


def test_files_rejected_on_checksum_follow_their_feed(dpo_hub_file: Path) -> None:
    from hub.governance.retention import plan_retention

    config = load_config(dpo_hub_file)
    rejected = config.workspace / "quarantine" / "police" / "police_nominals_20240103.csv.rejected"
    rejected.write_bytes(b"bad bytes")
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=120)
    plan = {(item.kind, item.action) for item in plan_retention(config, later)}
    assert ("rejected_file", "erase") in plan
    assert ("extract", "keep") in plan and ("extract", "erase") in plan
    assert ("release", "erase") in plan
