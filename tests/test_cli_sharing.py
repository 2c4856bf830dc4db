"""The sharing commands through the CLI: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from sharing_support import agreement_yaml, make_persons, write_hub, write_matched

from hub.cli import main
from hub.keys import write_new_key
from tests.helpers import approve_agreements

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "config" / "hub.yaml"


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("audit_key", "master_key"):
        write_new_key(tmp_path / "keys" / name)
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("IOMHUB_DROP_ROOT", str(tmp_path / "drop"))
    monkeypatch.setenv("IOMHUB_OUTBOX_ROOT", str(tmp_path / "outbox"))
    monkeypatch.setenv("IOMHUB_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("IOMHUB_ACTOR", "data-officer")
    approve_agreements(EXAMPLE)
    return tmp_path


def test_check_prints_fields_with_their_clauses_and_warnings(env: Path) -> None:
    result = CliRunner().invoke(
        main, ["agreements", "check", "--config", str(EXAMPLE), "--today", "2027-03-15"]
    )
    assert result.exit_code == 0, result.output
    assert "recipient iom_team" in result.output
    assert "IOM-ISA-01 v2.1 Schedule 2, 1.1" in result.output
    assert "k_anonymise k 5 to area" in result.output
    assert "only where health_service is 'Drug and alcohol'" in result.output
    assert "IOM-PILOT-HSG v1.0" in result.output and "expired on 2025-03-31" in result.output
    assert "review due on 2027-03-31 (in 16 days)" in result.output


def test_check_as_json(env: Path) -> None:
    result = CliRunner().invoke(main, ["--json", "agreements", "check", "--config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    fields = {f["field"]: f for f in document["recipients"]["performance"]["fields"]}
    assert fields["date_of_birth"]["treatment"] == "k_anonymise k 5 to five_year_band"
    assert fields["date_of_birth"]["clauses"] == ["IOM-ISA-02-PERF v1.0 3.2"]
    assert "forename" in document["recipients"]["performance"]["not_released"]


def test_check_fails_on_malformed_and_contradictory_agreements(env: Path) -> None:
    bad = write_hub(env / "bad", {"a.yaml": agreement_yaml(fields={"surname": "shred"})})
    result = CliRunner().invoke(main, ["agreements", "check", "--config", str(bad)])
    assert result.exit_code == 2
    assert "a.yaml: agreement 'TEST-1': fields.surname.treatment" in result.stderr
    clash = write_hub(
        env / "clash",
        {
            "a.yaml": agreement_yaml(),
            "b.yaml": agreement_yaml(id="TEST-2", fields={"surname": "pseudonymise"}),
        },
    )
    result = CliRunner().invoke(main, ["agreements", "check", "--config", str(clash)])
    assert result.exit_code == 2
    assert "overlap in time and give surname" in result.stderr


def test_publish_and_reidentify_commands(env: Path) -> None:
    hub = write_hub(env, {"a.yaml": agreement_yaml()})
    approve_agreements(hub)
    write_matched(env / "workspace", make_persons(60, seed=2))
    runner = CliRunner()
    result = runner.invoke(main, ["publish", "--config", str(hub)])
    assert result.exit_code == 0, result.output + result.stderr
    assert "iom_team: published" in result.output
    audit = (env / "workspace" / "audit" / "audit.jsonl").read_text()
    changed = [json.loads(line) for line in audit.splitlines() if "config_changed" in line]
    assert any(e["objects"]["file"].endswith("a.yaml") for e in changed)
    release = next((env / "workspace" / "published" / "iom_team").iterdir())
    pseudonym = pq.read_table(release / "view.parquet").column("person_id")[0].as_py()

    refused = runner.invoke(
        main,
        ["reidentify", "--config", str(hub), "--recipient", "iom_team", "--pseudonym", pseudonym],
    )
    assert refused.exit_code == 2
    assert "a reason" in refused.stderr

    found = runner.invoke(
        main,
        [
            "reidentify",
            "--config",
            str(hub),
            "--recipient",
            "iom_team",
            "--pseudonym",
            pseudonym,
            "--reason",
            "Safeguarding query 42",
        ],
    )
    assert found.exit_code == 0, found.stderr
    assert "is person P" in found.output

    unknown = runner.invoke(
        main,
        [
            "reidentify",
            "--config",
            str(hub),
            "--recipient",
            "iom_team",
            "--pseudonym",
            "0" * 32,
            "--reason",
            "Safeguarding query 43",
        ],
    )
    assert unknown.exit_code == 1
    assert "no person found" in unknown.output
