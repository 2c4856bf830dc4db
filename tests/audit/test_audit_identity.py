"""Who wrote each audit entry (declared actor, OS user, signed-in user), and personal data kept
out of a person's free-text reasons."""

from __future__ import annotations

import datetime
import getpass
import json
import secrets
from pathlib import Path

import pytest
from audit_helpers import fill_log
from click.testing import CliRunner

from hub.audit.chain import GENESIS, AuditKey, digest, write_head
from hub.audit.events import PersonFound, ReviewDecision
from hub.audit.log import AuditLog
from hub.audit.reasons import personal_data_in
from hub.cli import main
from hub.errors import PersonalDataInReason


def _log(tmp_path: Path, actor: str | None = None) -> AuditLog:
    return AuditLog(tmp_path / "audit", secrets.token_bytes(32), actor=actor)


def _look_up(reason: str) -> PersonFound:
    return PersonFound(source="police", source_record_id="DC0001", records=1, releases=0,
                       reason=reason)  # fmt: skip


def test_each_entry_names_the_declared_actor_and_the_os_user(tmp_path: Path) -> None:
    log = _log(tmp_path, actor="iom-data-officer")
    written = log.record(_look_up("SAR-2024-017"))
    signed_in = log.record(_look_up("SAR-2024-018"), user="j.smith@iom.example")
    stored = list(log.entries())
    assert stored[0]["actor"] == "iom-data-officer" and stored[0]["os_user"] == getpass.getuser()
    assert "user" not in stored[0] and stored[1]["user"] == "j.smith@iom.example"
    result, entries = log.verified_events()
    assert result.ok
    assert entries == [written, signed_in]
    assert (entries[0].actor, entries[0].os_user, entries[0].user) == (
        "iom-data-officer", getpass.getuser(), None)  # fmt: skip
    assert entries[1].user == "j.smith@iom.example"


def test_entries_written_before_the_os_user_was_kept_still_verify_and_read(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    log = AuditLog(tmp_path / "audit", key)
    fill_log(log, 3)
    audit_key, previous, lines = AuditKey(key), GENESIS, []
    for entry in log.entries():  # as an earlier hub wrote them: no os_user
        entry.pop("os_user")
        entry["previous_hash"] = previous
        entry["hash"] = digest(entry)
        entry["mac"] = audit_key.mac(entry["hash"])
        previous = entry["hash"]
        lines.append(json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n")
    log.path.write_text("".join(lines))
    write_head(log.head_path, audit_key, 3, previous)
    result, entries = log.verified_events()
    assert result.ok and result.entries == 3
    assert [entry.os_user for entry in entries] == [None, None, None]
    log.record(_look_up("SAR-2024-017"))
    assert log.verify().ok and list(log.events())[-1].os_user == getpass.getuser()


@pytest.mark.parametrize(
    ("reason", "found"),
    [
        ("SAR for 943 476 5919", "an NHS number"),
        ("patient 9434765919 asked", "an NHS number"),
        ("DOB 12/03/1990 given at the desk", "a date of birth"),
        ("born on 3 March 2001", "a date of birth"),
        ("d.o.b. 01-02-85", "a date of birth"),
        ("seen at 1988-07-14 address", "a date of birth"),
        ("lives at TR1 1AA", "a postcode"),
        ("postcode sw1a 2aa on file", "a postcode"),
    ],
)
def test_reasons_with_personal_data_are_refused(tmp_path: Path, reason: str, found: str) -> None:
    assert personal_data_in(reason) == found
    log = _log(tmp_path)
    with pytest.raises(PersonalDataInReason) as refused:
        log.record(_look_up(reason))
    assert f"looks like it holds {found}" in refused.value.message
    assert "case reference" in str(refused.value.hint)
    assert not log.path.exists()  # nothing was written


@pytest.mark.parametrize(
    "reason",
    [
        "SAR-2024-017",
        "MAPPA meeting 2024-03-04: risk to a named victim",
        f"review on {datetime.date.today():%d/%m/%Y}",
        "same NHS number and date of birth",
        "case ref 12345",
        "IOM panel 2 of 3",
    ],
)
def test_reasons_without_personal_data_are_written(tmp_path: Path, reason: str) -> None:
    assert personal_data_in(reason) is None
    assert _log(tmp_path).record(_look_up(reason)).event.reason == reason


def test_a_review_note_is_checked_but_a_generated_reason_is_not(tmp_path: Path) -> None:
    from hub.audit.events import ReleaseWithheld

    log = _log(tmp_path)
    with pytest.raises(PersonalDataInReason, match="a date of birth"):
        pair = {"pair_id": "p1", "source_l": "police", "record_id_l": "1", "source_r": "health",
                "record_id_r": "2"}  # fmt: skip
        log.record(ReviewDecision.of_pair(pair, True, "DOB 01/02/1990", "reviewer"))
    log.record(ReleaseWithheld(recipient="csp", reason="HEALTH-PILOT v1 expired on 2003-12-31"))


def test_person_find_refuses_a_reason_with_an_nhs_number(
    dpo_hub_file: Path, audit_key: bytes
) -> None:
    log = AuditLog(dpo_hub_file.parent.parent / "workspace" / "audit", audit_key)
    before = log.verify().entries
    result = CliRunner().invoke(main, ["person", "find", "--config", str(dpo_hub_file),
                                       "--source", "police", "--record", "DC0001",
                                       "--reason", "SAR for 943 476 5919"])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "may not hold personal data" in result.output and "an NHS number" in result.output
    assert "the audit log can never be edited afterwards" in result.output
    assert log.verify().entries == before
