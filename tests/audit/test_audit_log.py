"""The audit log detects every kind of tampering and names the first bad entry."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import itertools
import json
import multiprocessing
import random
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from audit_helpers import fill_log, pull_event

from hub.audit.chain import digest
from hub.audit.events import AuditEvent, Ingest, Pull
from hub.audit.log import AuditLog
from hub.errors import AuditError


def _lines(log: AuditLog) -> list[str]:
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def _write_lines(log: AuditLog, lines: list[str]) -> None:
    log.path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture
def log(tmp_path: Path) -> AuditLog:
    audit_log = AuditLog(tmp_path / "audit", secrets.token_bytes(32))
    fill_log(audit_log, 5)
    return audit_log


def test_an_untouched_log_verifies(log: AuditLog) -> None:
    result = log.verify()
    assert result.ok and result.entries == 5 and result.first_bad_sequence is None
    entries = list(log.entries())
    assert [e["sequence"] for e in entries] == [1, 2, 3, 4, 5]
    assert result.last_hash == entries[-1]["hash"]
    assert all(e["previous_hash"] == p["hash"] for p, e in itertools.pairwise(entries))
    assert entries[0]["actor"] and entries[0]["time"].endswith("+00:00")


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    result = AuditLog(tmp_path / "audit", secrets.token_bytes(32)).verify()
    assert result.ok and result.entries == 0


def test_an_edited_entry_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["counts"]["bytes"] = 1
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 3
    assert "altered" in (result.problem or "")
    assert result.entries == 2


def test_an_edited_entry_with_its_hash_recomputed_fails_the_hmac(log: AuditLog) -> None:
    lines = _lines(log)
    entry = json.loads(lines[2])
    entry["objects"]["feed"] = "health"
    entry["hash"] = digest(entry)
    lines[2] = json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 3
    assert "not authenticated" in (result.problem or "")


def test_a_deleted_entry_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    del lines[2]
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 3
    assert "deleted" in (result.problem or "")


def test_reordered_entries_are_named(log: AuditLog) -> None:
    lines = _lines(log)
    lines[1], lines[2] = lines[2], lines[1]
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 2
    assert "reordered" in (result.problem or "")


def _forged_entry(previous: dict, mac_key: bytes) -> str:
    entry = {**previous, "sequence": previous["sequence"] + 1, "previous_hash": previous["hash"],
             "action": "pull", "objects": {"feed": "police", "file": "made_up.csv"}}  # fmt: skip
    entry.pop("mac")
    entry["hash"] = digest(entry)
    entry["mac"] = hmac.new(mac_key, entry["hash"].encode(), hashlib.sha256).hexdigest()
    return json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n"


def test_an_entry_appended_by_hand_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    lines.append(_forged_entry(json.loads(lines[-1]), secrets.token_bytes(32)))
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 6
    assert "not authenticated" in (result.problem or "")
    assert result.entries == 5


def test_an_entry_inserted_by_hand_is_named(log: AuditLog) -> None:
    lines = _lines(log)
    lines.insert(3, _forged_entry(json.loads(lines[2]), secrets.token_bytes(32)))
    _write_lines(log, lines)
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 4


def test_a_truncated_tail_is_detected(log: AuditLog) -> None:
    _write_lines(log, _lines(log)[:3])
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 4
    assert "truncated" in (result.problem or "")
    assert result.entries == 3


def test_a_truncated_tail_with_the_head_rewritten_is_detected(log: AuditLog) -> None:
    lines = _lines(log)[:3]
    _write_lines(log, lines)
    head = json.loads(log.head_path.read_text())
    head.update(sequence=3, hash=json.loads(lines[-1])["hash"])
    log.head_path.write_text(json.dumps(head))
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 4
    assert "head was altered" in (result.problem or "")


def test_an_emptied_log_and_a_missing_head_are_detected(log: AuditLog) -> None:
    log.head_path.unlink()
    result = log.verify()
    assert not result.ok and "head file is missing" in (result.problem or "")
    log.path.write_text("")
    fill_log(AuditLog(log.folder, secrets.token_bytes(32)), 1)  # a new head, another key
    assert not log.verify().ok


def test_a_partial_last_line_is_detected(log: AuditLog) -> None:
    text = log.path.read_text()
    log.path.write_text(text[:-40])
    result = log.verify()
    assert not result.ok and result.first_bad_sequence == 5
    with pytest.raises(AuditError, match="partial entry"):
        log.record(pull_event(9))


def test_the_wrong_key_is_named(log: AuditLog) -> None:
    result = AuditLog(log.folder, secrets.token_bytes(32)).verify()
    assert not result.ok and result.first_bad_sequence == 1
    assert "not the key this log was written with" in (result.problem or "")


def test_a_cut_log_is_never_silently_continued(log: AuditLog) -> None:
    _write_lines(log, _lines(log)[:3])
    with pytest.raises(AuditError, match="cannot be continued"):
        log.record(pull_event(9))
    assert len(_lines(log)) == 3
    assert log.verify().first_bad_sequence == 4


def test_a_forged_tail_is_never_continued(log: AuditLog) -> None:
    lines = _lines(log)
    lines.append(_forged_entry(json.loads(lines[-1]), secrets.token_bytes(32)))
    _write_lines(log, lines)
    with pytest.raises(AuditError, match="not authentic"):
        log.record(pull_event(9))


def test_a_head_one_behind_after_a_crash_is_repaired(log: AuditLog) -> None:
    old_head = log.head_path.read_text()
    log.record(Ingest(feed="police", extract_id="e1", rows_read=3, rows_accepted=3,
                      rows_quarantined=0))  # fmt: skip
    log.head_path.write_text(old_head)  # as if the process died before updating the head
    assert log.verify().ok
    log.record(Ingest(feed="police", extract_id="e2", rows_read=4, rows_accepted=4,
                      rows_quarantined=0))  # fmt: skip
    result = log.verify()
    assert result.ok and result.entries == 7


def test_verified_entries_stop_at_the_first_bad_one(log: AuditLog) -> None:
    lines = _lines(log)
    del lines[3]
    _write_lines(log, lines)
    result, entries = log.verified_entries()
    assert not result.ok and [e["sequence"] for e in entries] == [1, 2, 3]


@dataclass(frozen=True, kw_only=True)
class _Lookup(AuditEvent):
    """An event that would log a personal field."""

    operation = Pull.operation
    action = "lookup"
    surname: str


def test_personal_fields_are_refused(log: AuditLog) -> None:
    with pytest.raises(AuditError, match="surname"):
        log.record(_Lookup(surname="x"))
    with pytest.raises(AuditError, match="integer"):
        log.record(dataclasses.replace(pull_event(1), bytes="12"))  # type: ignore[arg-type]
    assert log.verify().entries == 5


def test_any_single_character_change_is_detected(log: AuditLog) -> None:
    original = log.path.read_bytes()
    chooser = random.Random(62)
    for _ in range(150):
        position = chooser.randrange(len(original) - 1)
        if original[position : position + 1] == b"\n":
            continue
        replacement = chooser.choice(b'0123456789abcdefxyz{}",:')
        if replacement == original[position]:
            continue
        log.path.write_bytes(original[:position] + bytes([replacement]) + original[position + 1 :])
        assert not log.verify().ok, f"a change at byte {position} went unnoticed"


def _write_many(folder: str, key: bytes, writer: int, count: int) -> None:
    log = AuditLog(Path(folder), key)
    for number in range(count):
        log.record(pull_event(number, feed=f"writer{writer}"))


def test_concurrent_processes_and_threads_keep_one_chain(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    folder = tmp_path / "audit"
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=_write_many, args=(str(folder), key, w, 15))
                 for w in range(3)]  # fmt: skip
    threads = [threading.Thread(target=_write_many, args=(str(folder), key, 10 + w, 15))
               for w in range(3)]  # fmt: skip
    for worker in [*processes, *threads]:
        worker.start()
    for worker in [*processes, *threads]:
        worker.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes)
    result = AuditLog(folder, key).verify()
    assert result.ok and result.entries == 90
    pulls = [e.event for e in AuditLog(folder, key).events() if isinstance(e.event, Pull)]
    seen = {(pull.feed, pull.file) for pull in pulls}
    assert len(seen) == 90
