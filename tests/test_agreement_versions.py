"""Agreements as versions: each version's text kept as first used, a changed text under the same
version refused, a new version in force only once approved (audited, its widening shown), and
every release and the DPO report naming the text it was made under. Real files, the real CLI."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sharing_support import agreement_yaml, make_persons, write_hub, write_matched

from hub.audit.events import AgreementApproved, Release
from hub.cli import main
from hub.config import load_config
from hub.governance.dpo_report import build_dpo_report
from hub.keys import write_new_key
from hub.run.release_files import read_manifest, releases_in
from hub.workspace import Workspace
from sharing_agreements.changes import widening
from sharing_agreements.model import Agreement

APPROVER = "Dana Officer (DPO)"
BASIS_V1 = {"regime": "dpa2018_part3", "section": "35(2)(b)", "schedule": "Schedule 8, paragraph 1"}
BASIS_V2 = {"regime": "dpa2018_part3", "section": "35(2)(a)", "schedule": "Schedule 8, paragraph 2"}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("audit_key", "master_key"):
        write_new_key(tmp_path / "keys" / name)
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("IOMHUB_ACTOR", "data-officer")
    write_matched(tmp_path / "workspace", make_persons(40, seed=3))
    return tmp_path


def cli(*arguments: str) -> Result:
    return CliRunner().invoke(main, list(arguments))


def write_agreement(env: Path, **overrides: object) -> Path:
    path = env / "config" / "agreements" / "a.yaml"
    path.write_text(agreement_yaml(**overrides), encoding="utf-8")
    return path


def latest_release(env: Path) -> Path:
    return releases_in(env / "workspace" / "published" / "iom_team")[-1]


def events(hub: Path) -> list[object]:
    config = load_config(hub)
    audit = Workspace(config.workspace).open_audit(config.settings)
    return [entry.event for entry in audit.events()]


def test_an_edited_agreement_under_the_same_version_is_refused(env: Path) -> None:
    hub = write_hub(env, {"a.yaml": agreement_yaml(lawful_basis=[BASIS_V1])})
    approved = cli("agreements", "approve", "TEST-1", "1.0", "--by", APPROVER, "--config", str(hub))
    assert approved.exit_code == 0, approved.output + approved.stderr
    published = cli("publish", "--config", str(hub))
    assert published.exit_code == 0 and "iom_team: published" in published.output
    kept = env / "workspace" / "agreements" / "TEST-1" / "1.0"
    [text] = kept.glob("*.yaml")
    original = (env / "config" / "agreements" / "a.yaml").read_bytes()
    assert text.read_bytes() == original and text.stem == hashlib.sha256(original).hexdigest()

    write_agreement(env, lawful_basis=[BASIS_V2])  # same version 1.0, another lawful basis
    for command in (["publish"], ["agreements", "check"], ["run"]):
        refused = cli(*command, "--config", str(hub))
        assert refused.exit_code != 0, command
        assert "first used with another text" in refused.output + refused.stderr, command
    reapproved = cli("agreements", "approve", "TEST-1", "1.0", "--by", APPROVER, "--config",
                     str(hub))  # fmt: skip
    assert reapproved.exit_code == 2
    assert "new version" in reapproved.output + reapproved.stderr
    assert [t.read_bytes() for t in kept.glob("*.yaml")] == [original]  # the first text stays
    assert len(releases_in(env / "workspace" / "published" / "iom_team")) == 1


def test_nothing_flows_under_an_agreement_never_approved(env: Path) -> None:
    hub = write_hub(env, {"a.yaml": agreement_yaml()})
    published = cli("publish", "--config", str(hub))
    assert published.exit_code == 0, published.output + published.stderr
    assert "iom_team: withheld" in published.output
    assert "TEST-1 v1.0 is not approved; nothing flows under it" in published.output
    assert not (env / "workspace" / "published" / "iom_team").exists()
    check = cli("--json", "agreements", "check", "--config", str(hub))
    pending = json.loads(check.output)["pending_approval"]
    assert [(p["id"], p["version"], p["in_force"]) for p in pending] == [("TEST-1", "1.0", None)]
    assert "field added: surname (keep, from police, probation)" in pending[0]["widening"]


def test_a_new_version_takes_effect_only_once_approved_and_its_widening_is_shown(
    env: Path,
) -> None:
    hub = write_hub(env, {"a.yaml": agreement_yaml(lawful_basis=[BASIS_V1])})
    assert cli("agreements", "approve", "TEST-1", "1.0", "--by", APPROVER, "--config",
               str(hub)).exit_code == 0  # fmt: skip
    assert cli("publish", "--config", str(hub)).exit_code == 0
    first = latest_release(env)
    v1_sha = hashlib.sha256((env / "config" / "agreements" / "a.yaml").read_bytes()).hexdigest()

    fields = {
        "surname": "keep",
        "forename": "keep",
        "pnc_id": "keep",
        "date_of_birth": {"treatment": "generalise", "to": "year", "from": ["police"]},
    }
    write_agreement(env, version="2.0", lawful_basis=[BASIS_V2], fields=fields, retention_days=730)
    v2_sha = hashlib.sha256((env / "config" / "agreements" / "a.yaml").read_bytes()).hexdigest()
    unapproved = cli("publish", "--config", str(hub))
    assert unapproved.exit_code == 0, unapproved.output + unapproved.stderr
    assert "TEST-1 v2.0 is not approved; v1.0 stays in force" in unapproved.output
    assert "iom_team: unchanged" in unapproved.output
    assert "forename" not in {f["name"] for f in read_manifest(latest_release(env))["fields"]}

    check = cli("agreements", "check", "--config", str(hub))
    assert check.exit_code == 0, check.output + check.stderr
    assert "TEST-1 v2.0 against v1.0:" in check.output
    assert "+ field added: forename (keep, from police, probation)" in check.output
    assert "+ treatment loosened: pnc_id: pseudonymise -> keep" in check.output
    assert "+ retention longer: 365 -> 730 days" in check.output

    approved = cli("agreements", "approve", "TEST-1", "2.0", "--by", APPROVER, "--config",
                   str(hub))  # fmt: skip
    assert approved.exit_code == 0, approved.output + approved.stderr
    assert "+ field added: forename (keep, from police, probation)" in approved.output
    assert "+ treatment loosened: pnc_id: pseudonymise -> keep" in approved.output
    assert f"approved by {APPROVER}" in approved.output
    [approval] = [e for e in events(hub) if isinstance(e, AgreementApproved) and e.version == "2.0"]
    assert (approval.agreement_id, approval.sha256, approval.approved_by) == (
        "TEST-1", v2_sha, APPROVER)  # fmt: skip
    assert approval.previous_version == "1.0"
    assert "treatment loosened: pnc_id: pseudonymise -> keep" in approval.widening

    assert cli("publish", "--config", str(hub)).exit_code == 0
    second = latest_release(env)
    assert second != first
    manifest = read_manifest(second)
    assert "forename" in {f["name"] for f in manifest["fields"]}
    assert [(a["id"], a["version"], a["sha256"]) for a in manifest["agreements"]] == [
        ("TEST-1", "2.0", v2_sha)]  # fmt: skip
    assert read_manifest(first)["agreements"][0]["sha256"] == v1_sha
    releases = {e.release_id: e for e in events(hub) if isinstance(e, Release)}
    assert releases[first.name].agreement_sha256 == (v1_sha,)
    assert releases[second.name].agreement_sha256 == (v2_sha,)

    report = build_dpo_report(load_config(hub))
    described = {r["release_id"]: r for r in report["disclosures"]["releases"]}
    assert described[first.name]["lawful_basis"] == (
        "DPA 2018 Part 3 s.35(2)(b), Schedule 8, paragraph 1")  # fmt: skip
    assert described[first.name]["agreement_versions"] == [
        {"agreement": "TEST-1 v1.0", "sha256": v1_sha,
         "lawful_basis": "DPA 2018 Part 3 s.35(2)(b), Schedule 8, paragraph 1"}]  # fmt: skip
    assert described[second.name]["lawful_basis"] == (
        "DPA 2018 Part 3 s.35(2)(a), Schedule 8, paragraph 2")  # fmt: skip
    groups = {g["lawful_basis"] for g in report["disclosures"]["by_agreement_and_recipient"]}
    assert "DPA 2018 Part 3 s.35(2)(b), Schedule 8, paragraph 1" in groups


def test_approving_needs_the_version_the_file_holds_and_a_name(env: Path) -> None:
    hub = write_hub(env, {"a.yaml": agreement_yaml()})
    wrong = cli("agreements", "approve", "TEST-1", "9.9", "--by", APPROVER, "--config", str(hub))
    assert wrong.exit_code == 2 and "the file has version 1.0" in wrong.output + wrong.stderr
    nameless = cli("agreements", "approve", "TEST-1", "1.0", "--by", " ", "--config", str(hub))
    assert nameless.exit_code == 2
    again = [cli("agreements", "approve", "TEST-1", "1.0", "--by", APPROVER, "--config", str(hub))
             for _ in range(2)]  # fmt: skip
    assert "already approved" in again[1].output
    assert sum(isinstance(e, AgreementApproved) for e in events(hub)) == 1


def test_widening_lists_recipients_fields_sources_treatments_and_conditions() -> None:
    import yaml

    def agreement(**overrides: object) -> Agreement:
        return Agreement.model_validate(yaml.safe_load(agreement_yaml(**overrides)))

    old = agreement(fields={"surname": {"treatment": "keep", "from": ["police"]},
                            "pnc_id": "pseudonymise", "forename": "drop"})  # fmt: skip
    new = agreement(
        recipients=["iom_team", "performance"],
        subjects=None,
        fields={"surname": "keep", "pnc_id": "keep", "forename": "keep"},
        start_date=datetime.date(2025, 1, 1),
    )
    assert [str(w) for w in widening(old, new)] == [
        "recipient added: performance",
        "sources added: surname now also from probation",
        "treatment loosened: pnc_id: pseudonymise -> keep",
        "field added: forename (keep, from police, probation)",
        "condition removed: people known to more feeds, or to any",
    ]
    assert widening(new, old) == ()
