"""The DPO report: gathered from the verified audit log, rendered self-contained."""

from __future__ import annotations

import datetime
import json
import os
import re
from pathlib import Path

import pytest
from audit_helpers import chromium_binary, open_in_chromium
from click.testing import CliRunner

from hub.cli import main
from hub.config import load_config
from hub.governance.dpo_html import SECTIONS
from hub.governance.dpo_report import build_dpo_report


def _report(hub_file: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(hub_file), "--since",
                                       "2024-01-01", "--out", str(out), *extra])  # fmt: skip
    return result.exit_code, result.output


def test_the_document_answers_the_dpo_questions(dpo_hub_file: Path) -> None:
    document = build_dpo_report(load_config(dpo_hub_file), datetime.date(2024, 1, 1))
    assert document["audit"]["ok"]
    statuses = {a["agreement_id"]: a["status"] for a in document["agreements"]}
    assert statuses == {"CSP-IOM-001": "in force", "HEALTH-PILOT": "expired"}
    (group,) = document["disclosures"]["by_agreement_and_recipient"]
    assert (group["agreement"], group["recipient"], group["rows"]) == ("CSP-IOM-001", "csp", 2)
    assert group["fields"] == ["date_of_birth", "offence_type", "person_id"]
    assert group["lawful_basis"] == "DPA 2018 Part 3 s.35(2)(b), Schedule 8, paragraph 1"
    (logged,) = document["disclosures"]["releases"]
    unlogged = document["disclosures"]["releases_without_audit_entry"]
    assert len(unlogged) == 1 and unlogged[0]["release_id"] > logged["release_id"]
    assert [r["action"] for r in document["disclosures"]["refusals"]] == ["release_withheld"]
    assert len(document["disclosures"]["deliveries"]) == 1
    (reid,) = [c for c in document["consultations"] if c["action"] == "reidentify"]
    assert reid["reason"].startswith("MAPPA meeting")
    (police,) = document["quarantine"]
    assert (police["rows_accepted"], police["rows_quarantined"]) == (3, 2)
    assert police["quarantine_files"] == 2
    assert document["combination"][0]["counts"]["links"] == 1
    assert document["alterations"]["review_decision"] == 1
    kinds = {(c["action"], c["objects"]["kind"]) for c in document["configuration"]}
    assert kinds == {("config_changed", "configuration"), ("config_changed", "agreement")}
    assert document["collection"][0]["files"] == 2


def test_the_period_filters_entries(dpo_hub_file: Path) -> None:
    later = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=2)
    document = build_dpo_report(load_config(dpo_hub_file), later)
    assert document["audit"]["entries_in_period"] == 0
    assert document["disclosures"]["releases"] == []


def test_the_json_output(dpo_hub_file: Path, tmp_path: Path) -> None:
    code, output = _report(dpo_hub_file, tmp_path / "dpo.json")
    assert code == 0, output
    document = json.loads((tmp_path / "dpo.json").read_text())
    assert document["report"] == "dpo"
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(dpo_hub_file), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["audit"]["ok"]


def test_a_tampered_log_is_reported_and_fails(dpo_hub_file: Path, tmp_path: Path) -> None:
    log = dpo_hub_file.parent.parent / "workspace" / "audit" / "audit.jsonl"
    lines = log.read_text().splitlines(keepends=True)
    lines[-1] = lines[-1].replace("MAPPA meeting", "Routine check")
    log.write_text("".join(lines))
    code, output = _report(dpo_hub_file, tmp_path / "dpo.html")
    assert code == 1
    assert "FAILED verification" in output
    html = (tmp_path / "dpo.html").read_text()
    assert "FAILED verification at entry" in html and "Routine check" not in html


def test_the_html_is_self_contained(dpo_hub_file: Path, tmp_path: Path) -> None:
    code, output = _report(dpo_hub_file, tmp_path / "dpo.html")
    assert code == 0, output
    html = (tmp_path / "dpo.html").read_text()
    assert not re.search(r"https?:|//[a-z0-9]|<script|<link|<img|<iframe|url\(|@import", html,
                         re.IGNORECASE)  # fmt: skip
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for section_id, _title in SECTIONS:
        assert f'<section id="{section_id}">' in html
    assert html.count("<svg") >= 5


@pytest.fixture
def chromium() -> None:
    if chromium_binary() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: run scripts/system-deps as root")
        pytest.skip("chromium is not installed (scripts/system-deps installs it as root)")


@pytest.mark.usefixtures("chromium")
def test_chromium_renders_every_section_and_loads_nothing(
    dpo_hub_file: Path, tmp_path: Path
) -> None:
    code, output = _report(dpo_hub_file, tmp_path / "dpo.html")
    assert code == 0, output
    dom, requested = open_in_chromium(tmp_path / "dpo.html", tmp_path / "chromium")
    assert requested == []
    for section_id, title in SECTIONS:
        assert re.search(rf'<section id="{section_id}"><h2>{re.escape(title)}</h2>', dom), title
    assert dom.count("<svg") >= 5 and "CSP-IOM-001" in dom
    assert "MAPPA meeting 2024-03-04" in dom


@pytest.mark.usefixtures("chromium")
def test_the_network_check_catches_a_page_that_loads_something(tmp_path: Path) -> None:
    page = tmp_path / "canary.html"
    page.write_text('<!doctype html><img src="http://127.0.0.1:9/canary.png"><p>x</p>')
    _dom, requested = open_in_chromium(page, tmp_path / "chromium")
    assert requested == ["http://127.0.0.1:9/canary.png"]


def test_agreement_changes_and_removals_are_logged_by_hash(
    dpo_hub_file: Path, audit_key: bytes
) -> None:
    from hub.audit.events import ConfigChanged, ConfigRemoved
    from hub.audit.log import AuditLog
    from hub.output import Reporter
    from hub.run.pipeline import run_once

    agreements = dpo_hub_file.parent / "agreements"
    (agreements / "health-pilot.yaml").unlink()
    text = (agreements / "csp-iom.yaml").read_text()
    (agreements / "csp-iom.yaml").write_text(text.replace('version: "2.1"', 'version: "2.2"'))
    run_once(load_config(dpo_hub_file), Reporter(quiet=True))
    log = AuditLog(dpo_hub_file.parent.parent / "workspace" / "audit", audit_key)
    result, entries = log.verified_events()
    assert result.ok
    changes = [e.event for e in entries[-3:] if isinstance(e.event, ConfigChanged | ConfigRemoved)]
    assert [(Path(c.file).name, c.kind) for c in changes if isinstance(c, ConfigChanged)] == [
        ("csp-iom.yaml", "agreement")
    ]
    assert [Path(c.file).name for c in changes if isinstance(c, ConfigRemoved)] == [
        "health-pilot.yaml"
    ]
