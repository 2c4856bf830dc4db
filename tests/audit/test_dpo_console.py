"""The services behind the DPO's console: the register with approval state, disclosures counted
by distinct people, the access log and its filters, the audit log's standing, subject search,
holdings and the audited response pack; and the agreement's DPIA reference validated."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from sharing_support import agreement_yaml

from hub.audit.events import Consultation, PersonFound, SubjectAccessDisclosed
from hub.audit.log import AuditLog
from hub.config import load_config
from hub.governance.access_log import AccessFilter, PersonKeys, access_about, access_entries
from hub.governance.audit_status import audit_standing, verify_now
from hub.governance.dpo_disclosures import disclosures
from hub.governance.dpo_register import register_entries
from hub.governance.subject_holdings import SubjectNotHeld, subject_holdings
from hub.governance.subject_pack import PackRefused, make_response_pack
from hub.governance.subject_search import SubjectQuery, SubjectQueryError, find_subject
from hub.workspace import Workspace
from sharing_agreements.errors import AgreementError
from sharing_agreements.load import load_agreement
from sharing_agreements.policy import agreement_warnings


def _audit(hub_file: Path) -> AuditLog:
    config = load_config(hub_file)
    return Workspace(config.workspace).open_audit(config.settings)


def test_disclosures_count_distinct_people_per_recipient_over_time(dpo_hub_file: Path) -> None:
    found = disclosures(load_config(dpo_hub_file))
    assert found.note == "" and found.distinct_people == 2
    (csp,) = found.recipients
    assert csp.distinct_people == 2  # P000002 is in both releases: counted once, not 3 rows
    assert [(r.distinct_people, r.new_people, r.people_so_far) for r in csp.releases] == [
        (2, 2, 2),
        (1, 0, 2),
    ]
    first = csp.releases[0]
    assert first.agreements == (("CSP-IOM-001", "2.1"),) and first.key_id == "k1"
    assert first.fields == ("person_id", "date_of_birth", "offence_type")


def test_the_register_shows_approval_and_warnings(dpo_hub_file: Path) -> None:
    entries = {e.summary.agreement_id: e for e in register_entries(load_config(dpo_hub_file))}
    assert entries, "the fixture has agreements"
    for entry in entries.values():
        if entry.summary.status == "invalid":
            continue
        assert entry.summary.lawful_basis and entry.summary.field_terms
        assert not entry.approved and "waits for approval" in entry.approval
        assert entry.approval in entry.warnings
        if not entry.summary.dpia_reference:
            assert "no DPIA reference" in entry.warnings


def test_the_access_log_lists_reidentifications_and_filters(dpo_hub_file: Path) -> None:
    audit = _audit(dpo_hub_file)
    audit.record(Consultation(page="/cohort", purpose="IOM panel", people=3), actor="olivia")
    everything = access_entries(audit)
    assert everything[0].who == "olivia" and everything[0].kind == "page"  # newest first
    (reid,) = access_entries(audit, AccessFilter(kind="reidentify"))
    assert reid.outcome == "re-identified" and reid.people == 1 and "MAPPA" in reid.purpose
    assert access_entries(audit, AccessFilter(purpose="mappa")) == [reid]
    assert access_entries(audit, AccessFilter(account="olivia", kind="reidentify")) == []
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    assert access_entries(audit, AccessFilter(since=tomorrow)) == []
    assert len(access_entries(audit, AccessFilter(until=tomorrow))) == len(everything)


def test_the_audit_standing_and_verify_now(dpo_hub_file: Path) -> None:
    config = load_config(dpo_hub_file)
    standing = audit_standing(config)
    assert standing.entries > 5 and 0 < (standing.state_sequence or 0) <= standing.entries
    assert standing.witness is None and standing.checkpoint is None
    outcome = verify_now(config)
    assert outcome.ok and not outcome.with_witness
    assert outcome.result is not None and outcome.result.entries == standing.entries


def test_subject_search_by_name_and_dob_and_by_record_id(dpo_hub_file: Path) -> None:
    config = load_config(dpo_hub_file)
    born = datetime.date(1990, 2, 1)
    (found,) = find_subject(config, SubjectQuery(surname=" tester", date_of_birth=born))
    assert found.person_id == "P000001" and found.records[0].key == "police:DC0001"
    assert (
        find_subject(config, SubjectQuery(surname="tester", forename="bob", date_of_birth=born))
        == []
    )
    (by_id,) = find_subject(config, SubjectQuery(identifier="DC0003"))
    assert by_id.person_id == "P000002"
    with pytest.raises(SubjectQueryError):
        find_subject(config, SubjectQuery(surname="tester"))


def test_holdings_list_records_releases_and_who_looked(dpo_hub_file: Path) -> None:
    config = load_config(dpo_hub_file)
    held = subject_holdings(config, "P000002")
    assert held.record_keys == ("police:DC0003",)
    assert {name for name, _ in held.rows[0].values} >= {"surname", "date_of_birth", "postcode"}
    assert [r.release_id for r in held.releases] == sorted(r.release_id for r in held.releases)
    assert len(held.releases) == 2
    assert all(r.pseudonyms == (("person_id", "psP000002"),) for r in held.releases)
    assert held.releases[0].values == ()  # the fixture's view file is not Parquet
    (reid,) = [a for a in held.access if a.entry.kind == "reidentify"]
    assert reid.how == "a pseudonym re-identified as them"
    same = subject_holdings(config, "police:DC0003")
    assert same.person_id == "P000002"
    with pytest.raises(SubjectNotHeld):
        subject_holdings(config, "P999999")


def test_a_consultation_in_a_recipients_view_is_about_the_person(dpo_hub_file: Path) -> None:
    audit = _audit(dpo_hub_file)
    audit.record(
        Consultation(
            page="/cohort",
            purpose="IOM panel",
            view_of="csp",
            person_ids=("psP000001", "psP000002"),
            people=2,
        )
    )
    audit.record(
        Consultation(
            page="/cohort",
            purpose="IOM panel",
            view_of="other",
            person_ids=("psP000002",),
            people=1,
        )
    )
    keys = PersonKeys("P000002", frozenset({"police:DC0003"}), frozenset({("csp", "psP000002")}))
    hows = [a.how for a in access_about(audit, keys)]
    assert hows.count("their pseudonym in csp's view") == 1
    assert "their pseudonym in other's view" not in hows


def test_a_look_up_from_a_record_and_by_a_merged_id_is_about_the_person(
    dpo_hub_file: Path,
) -> None:
    """A look-up names the record's feed and id apart, and a look-up finding two people names
    both ids in one attribute: both are still about the person."""
    audit = _audit(dpo_hub_file)
    before = audit.tail()[0]
    audit.record(PersonFound(source="police", source_record_id="DC0003", person_id=None,
                             records=0, releases=0, reason="panel referral"))  # fmt: skip
    audit.record(PersonFound(source="health", source_record_id="H77", person_id="P000009, P000002",
                             records=2, releases=0, reason="panel referral"))  # fmt: skip
    audit.record(PersonFound(source="police", source_record_id="DC0004", person_id="P000001",
                             records=1, releases=0, reason="panel referral"))  # fmt: skip
    keys = PersonKeys("P000002", frozenset({"police:DC0003"}), frozenset())
    hows = [a.how for a in access_about(audit, keys) if a.entry.sequence > before]
    assert hows == ["a look-up from one of their records", "their person id"]


def test_the_response_pack_is_audited_before_it_is_returned(dpo_hub_file: Path) -> None:
    config = load_config(dpo_hub_file)
    audit = _audit(dpo_hub_file)
    held = subject_holdings(config, "P000001")
    with pytest.raises(PackRefused):
        make_response_pack(held, "  ", audit, actor="dora")
    pack = make_response_pack(held, "SAR-2026-017", audit, actor="dora")
    with zipfile.ZipFile(io.BytesIO(pack.content)) as opened:
        assert sorted(opened.namelist()) == [
            "access.csv",
            "records.csv",
            "releases.csv",
            "response.html",
        ]
        assert "TESTER" in opened.read("records.csv").decode("utf-8-sig")
        assert "psP000001" in opened.read("releases.csv").decode("utf-8-sig")
    last = list(audit.events())[-1]
    assert last.actor == "dora" and isinstance(last.event, SubjectAccessDisclosed)
    assert last.event.sha256 == pack.sha256 and last.event.reason == "SAR-2026-017"
    assert last.event.person_id == "P000001" and last.event.releases == 1
    assert audit.verify().ok


def test_a_dpia_reference_is_validated_and_health_sharing_without_one_is_warned(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(agreement_yaml(dpia_reference="<script>"), encoding="utf-8")
    with pytest.raises(AgreementError, match="dpia_reference"):
        load_agreement(bad)
    health = {
        "providers": ["health"],
        "subjects": None,
        "lawful_basis": [{"regime": "uk_gdpr", "article_6": "6(1)(e)", "article_9": "9(2)(h)"}],
        "fields": {"treatment_status": "keep"},
    }
    without = tmp_path / "without.yaml"
    without.write_text(agreement_yaml(**health), encoding="utf-8")
    day = datetime.date(2026, 6, 1)
    warnings = agreement_warnings(load_agreement(without), day)
    assert any("names no DPIA" in w for w in warnings)
    with_one = tmp_path / "with.yaml"
    with_one.write_text(agreement_yaml(**health, dpia_reference="DPIA-2026-3"), encoding="utf-8")
    assert agreement_warnings(load_agreement(with_one), day) == []
