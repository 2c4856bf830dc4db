"""The DPO report's fuller picture: each agreement field by field (a dropped field reads as not
shared), its parties, contacts, conditions and DPIA; distinct people, not summed rows; the
pseudonym keys; and re-identifications that found nobody said as such."""

from __future__ import annotations

import datetime
from pathlib import Path

from click.testing import CliRunner

from hub.audit.events import Reidentified
from hub.cli import main
from hub.config import load_config
from hub.governance.dpo_report import build_dpo_report
from hub.workspace import Workspace


def _amend_agreement(hub_file: Path) -> None:
    agreement = hub_file.parent / "agreements" / "csp-iom.yaml"
    text = agreement.read_text(encoding="utf-8").replace(
        "fields:\n", "dpia_reference: DPIA-TEST-7\nsubjects: {known_to: [police]}\nfields:\n"
    )
    agreement.write_text(text + "  nhs_number: drop\n", encoding="utf-8")


def _record_a_miss(hub_file: Path) -> None:
    config = load_config(hub_file)
    Workspace(config.workspace).open_audit(config.settings).record(
        Reidentified(
            recipient="csp",
            pseudonym="0" * 32,
            found=False,
            person_id=None,
            field=None,
            releases=(),
            method="recomputed",
            records=0,
            reason="Checking a pseudonym a partner quoted",
        )
    )


def test_the_report_completes_the_picture(dpo_hub_file: Path, tmp_path: Path) -> None:
    _amend_agreement(dpo_hub_file)
    _record_a_miss(dpo_hub_file)
    document = build_dpo_report(load_config(dpo_hub_file), datetime.date(2024, 1, 1))

    csp = next(a for a in document["agreements"] if a["agreement_id"] == "CSP-IOM-001")
    terms = {t["name"]: t for t in csp["field_terms"]}
    assert terms["nhs_number"]["shared"] is False and terms["nhs_number"]["treatment"] == "drop"
    assert terms["offence_type"]["shared"] and terms["offence_type"]["sources"] == [
        "police", "probation"]  # fmt: skip
    assert csp["dpia_reference"] == "DPIA-TEST-7"
    assert csp["conditions"] == ["only people known to police"]
    assert "Test Community Safety Partnership (recipient)" in csp["parties"]
    assert csp["contacts"] == ["Data protection officer: Test DPO (dpo@example.org)"]

    people = document["people"]
    assert people["available"], people["note"]
    assert people["distinct_people"] == 2  # P000002 is in both releases: counted once
    assert sum(r["rows"] for r in people["releases"]) == 3
    assert [r["distinct_people"] for r in people["releases"]] == [2, 1]
    assert people["by_recipient"] == [{"recipient": "csp", "releases": 2, "distinct_people": 2}]
    assert sum(m["distinct_people"] for m in people["by_month"]) == 2
    assert [r["people_with_health_data"] for r in people["releases"]] == [0, 0]
    (key,) = document["pseudonym_keys"]
    assert (key["recipient"], key["key_id"], key["releases"], key["rotation"]) == (
        "csp", "k1", 1, False)  # fmt: skip

    outcomes = [c["outcome"] for c in document["consultations"] if c["action"] == "reidentify"]
    assert outcomes == ["re-identified", "found nobody"]

    out = tmp_path / "dpo.html"
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(dpo_hub_file),
                                       "--since", "2024-01-01", "--out", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    register = html.split('<section id="agreements">')[1].split("</section>")[0]
    shared_cells = register.split("<td>")
    assert any(c.startswith("nhs_number</td>") for c in shared_cells)  # the "never shared" cell
    assert not any("nhs_number" in c and "offence_type" in c for c in shared_cells)
    terms_html = html.split('<section id="agreement-terms">')[1].split("</section>")[0]
    assert "DPIA-TEST-7" in terms_html and "<b>not shared</b> (dropped)" in terms_html
    people_html = html.split('<section id="people">')[1].split("</section>")[0]
    assert "<b>2</b>distinct people across every release held" in people_html
    reids = html.split('<section id="reidentifications">')[1].split("</section>")[0]
    assert "<b>found nobody</b>" in reids


def test_without_the_master_key_people_are_not_counted(dpo_hub_file: Path, tmp_path: Path) -> None:
    from hub.keys import write_new_key

    config = load_config(dpo_hub_file)
    write_new_key(tmp_path / "other" / "master_key")
    settings = config.settings.model_copy(
        update={"master_key_file": tmp_path / "other" / "master_key"}
    )
    config = config.model_copy(update={"settings": settings})
    people = build_dpo_report(config, datetime.date(2024, 1, 1))["people"]
    assert not people["available"] and "sealed under key" in people["note"]
    assert [r["distinct_people"] for r in people["releases"]] == [None, None]
