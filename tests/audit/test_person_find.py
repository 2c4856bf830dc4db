"""``iomhub person find``: every record held for a person and every release of them, logged."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hub.audit.events import PersonFound
from hub.audit.log import AuditLog
from hub.cli import main


def _find(hub_file: Path, record: str, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*extra, "person", "find", "--config", str(hub_file),
                                       "--source", "police", "--record", record,
                                       "--reason", "SAR-2024-017"])  # fmt: skip
    return result.exit_code, result.output


def test_records_across_partners_and_releases(dpo_hub_file: Path, audit_key: bytes) -> None:
    code, output = _find(dpo_hub_file, "DC0001")
    assert code == 0, output
    assert "person P000001: 2 record(s) from 2 partner(s), 1 release(s)" in output
    assert "record police/DC0001" in output and "record health/H000001-908" in output
    assert "release csp/" in output
    code, output = _find(dpo_hub_file, "DC0003", "--json")
    document = json.loads(output)
    assert document["person_id"] == "P000002"
    assert len(document["releases"]) == 2 and document["releases"][0]["agreements"] == {
        "CSP-IOM-001": "2.1"
    }
    log = AuditLog(dpo_hub_file.parent.parent / "workspace" / "audit", audit_key)
    result, entries = log.verified_events()
    assert result.ok
    finds = [e.event for e in entries if isinstance(e.event, PersonFound)]
    assert len(finds) == 2
    assert finds[0] == PersonFound(source="police", source_record_id="DC0001",
                                   person_id="P000001", records=2, partners=2, releases=1,
                                   reason="SAR-2024-017")  # fmt: skip


def test_an_unknown_record_is_an_error_and_still_logged(
    dpo_hub_file: Path, audit_key: bytes
) -> None:
    code, output = _find(dpo_hub_file, "NOPE")
    assert code == 1 and "no record 'NOPE' of feed 'police'" in output
    log = AuditLog(dpo_hub_file.parent.parent / "workspace" / "audit", audit_key)
    last = list(log.events())[-1].event
    assert last == PersonFound(source="police", source_record_id="NOPE", records=0, releases=0,
                               reason="SAR-2024-017")  # fmt: skip


def test_a_reason_is_required(dpo_hub_file: Path) -> None:
    result = CliRunner().invoke(main, ["person", "find", "--config", str(dpo_hub_file),
                                       "--source", "police", "--record", "DC0001"])  # fmt: skip
    assert result.exit_code == 2 and "--reason" in result.output


def test_before_any_match_run_the_staged_record_is_found(dpo_hub_file: Path) -> None:
    (dpo_hub_file.parent.parent / "workspace" / "matched" / "record_links.parquet").unlink()
    code, output = _find(dpo_hub_file, "DC0002")
    assert code == 1  # DC0002's only row was quarantined: nothing staged
    code, output = _find(dpo_hub_file, "DC0001")
    assert code == 0, output
    assert "(not linked yet): 2 record(s) from 1 partner(s)" in output
    assert "no match run yet" in output
