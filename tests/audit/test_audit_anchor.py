"""The audit log anchored outside the hub: the state database's record and the witness's signed
checkpoints catch a deleted log, a rollback with an old head, and a rewrite under the audit key,
through the real CLI on real files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from audit_helpers import REPO, write_hub_config
from click.testing import CliRunner

from hub.audit.anchor import STATE_FACT, Checkpoint, WitnessSigner
from hub.audit.chain import GENESIS, AuditKey, digest, write_head
from hub.cli import main
from hub.config import load_config
from hub.settings import HubSettings
from hub.state import StateStore


@pytest.fixture
def witnessed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_key: bytes) -> Path:
    """A hub file with a witness folder beside the workspace, after two runs."""
    partners = tmp_path / "partners"
    for feed in ("police", "probation", "health", "housing"):
        (partners / feed).mkdir(parents=True)
    monkeypatch.setenv("IOMHUB_DROP_ROOT", str(partners))
    monkeypatch.setenv("IOMHUB_WITNESS_ROOT", str(tmp_path / "witness"))
    hub_file = write_hub_config(tmp_path)
    hub_file.write_text(hub_file.read_text() + "matching: {enabled: false}\naudit:\n"
                        "  witness: ${IOMHUB_WITNESS_ROOT}\n", encoding="utf-8")  # fmt: skip
    _run(hub_file)
    _touch(hub_file)
    _run(hub_file)
    return hub_file


def _cli(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.output


def _run(hub_file: Path) -> None:
    code, output = _cli("run", "--config", str(hub_file))
    assert code in (0, 4), output
    assert "audit log anchored: checkpoint-" in output


def _touch(hub_file: Path) -> None:
    """Change the hub file, so the next run writes a new entry."""
    hub_file.write_text(hub_file.read_text() + "# changed\n", encoding="utf-8")


def _verify(hub_file: Path, *extra: str) -> tuple[int, str]:
    return _cli("audit", "verify", "--config", str(hub_file), *extra)


def _audit(hub_file: Path) -> Path:
    return hub_file.parent.parent / "workspace" / "audit"


def _state(hub_file: Path) -> Path:
    return hub_file.parent.parent / "workspace" / "state.db"


def _checkpoints(hub_file: Path) -> list[Path]:
    return sorted((hub_file.parent.parent / "witness").glob("checkpoint-*.json"))


def _forget_state_record(hub_file: Path) -> None:
    """What someone with the workspace can also do: remove the state database's record."""
    state = StateStore(_state(hub_file))
    with state.transaction() as db:
        db.execute("DELETE FROM facts WHERE key = ?", (STATE_FACT,))
    state.close()


def test_each_run_writes_a_signed_checkpoint_never_overwritten(witnessed: Path) -> None:
    checkpoints = _checkpoints(witnessed)
    assert len(checkpoints) == 2
    signer = WitnessSigner(HubSettings().witness_key_bytes() or b"")
    entries = (_audit(witnessed) / "audit.jsonl").read_text().splitlines()
    newest = Checkpoint.model_validate_json(checkpoints[-1].read_text())
    assert newest.problem(signer) is None and newest.key_id == signer.key_id
    assert newest.sequence == len(entries)
    assert newest.hash == json.loads(entries[-1])["hash"]
    before = checkpoints[-1].read_bytes()
    _run(witnessed)  # nothing new: the checkpoint stands as it was
    assert _checkpoints(witnessed) == checkpoints and checkpoints[-1].read_bytes() == before
    code, output = _verify(witnessed, "--witness")
    assert code == 0, output
    assert f"agrees with the witness's {checkpoints[-1].name}" in output
    assert "agrees with the state database" in output


def test_deleting_the_audit_folder_is_detected(witnessed: Path) -> None:
    shutil.rmtree(_audit(witnessed))
    code, output = _verify(witnessed)
    assert code == 1
    assert "the log ends at entry 0 but the state database recorded entry" in output
    code, output = _cli("run", "--config", str(witnessed))
    assert code == 1 and "cannot be continued" in output
    _forget_state_record(witnessed)
    assert _verify(witnessed)[0] == 0  # the workspace alone no longer knows
    code, output = _verify(witnessed, "--witness")
    assert code == 1
    assert "the log ends at entry 0 but the witness's checkpoint-" in output
    assert "deleted, cut or rolled back" in output


def test_deleting_the_audit_folder_is_detected_by_the_cli_as_a_process(witnessed: Path) -> None:
    shutil.rmtree(_audit(witnessed))
    _state(witnessed).unlink()
    completed = subprocess.run(
        [sys.executable, "-m", "hub.cli", "audit", "verify", "--witness", "--config",
         str(witnessed)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=120, check=False,
    )  # fmt: skip
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "FAILED verification at entry 1" in completed.stderr
    assert "the witness's checkpoint-" in completed.stderr


def test_a_rollback_with_an_old_head_is_detected(witnessed: Path, tmp_path: Path) -> None:
    saved = tmp_path / "saved"
    shutil.copytree(_audit(witnessed), saved / "audit")
    shutil.copy(_state(witnessed), saved / "state.db")
    _touch(witnessed)
    _run(witnessed)
    newest = _checkpoints(witnessed)[-1]
    sequence = Checkpoint.model_validate_json(newest.read_text()).sequence
    for name in ("audit.jsonl", "head.json"):
        shutil.copy(saved / "audit" / name, _audit(witnessed) / name)
    for leftover in _state(witnessed).parent.glob("state.db-*"):
        leftover.unlink()
    shutil.copy(saved / "state.db", _state(witnessed))
    assert _verify(witnessed)[0] == 0  # log, head and state database agree with one another
    code, output = _verify(witnessed, "--witness")
    assert code == 1
    assert f"the witness's {newest.name} recorded entry {sequence}" in output
    code, output = _cli("run", "--config", str(witnessed))
    assert code == 1 and "not anchored in the witness" in output, output


def _rewrite(log: Path, key: bytes, sequence: int) -> None:
    """Edit entry ``sequence`` and re-chain every entry after it under the audit key, as
    someone holding the key could; the head and the state database follow."""
    audit_key, previous = AuditKey(key), GENESIS
    entries = [json.loads(line) for line in (log / "audit.jsonl").read_text().splitlines()]
    for entry in entries:
        if entry["sequence"] == sequence:
            entry["objects"]["sha256"] = "f" * 64
        entry["previous_hash"] = previous
        entry["hash"] = digest(entry)
        entry["mac"] = audit_key.mac(entry["hash"])
        previous = entry["hash"]
    (log / "audit.jsonl").write_text(
        "".join(json.dumps(e, sort_keys=True, separators=(",", ":")) + "\n" for e in entries)
    )
    write_head(log / "head.json", audit_key, len(entries), previous)
    state = StateStore(log.parent / "state.db")
    state.set_fact(STATE_FACT, json.dumps({"sequence": len(entries), "hash": previous}))
    state.close()


def test_a_rewrite_with_the_audit_key_is_detected(witnessed: Path, audit_key: bytes) -> None:
    _rewrite(_audit(witnessed), audit_key, 1)
    assert _verify(witnessed)[0] == 0  # authentic under the audit key, head and record agree
    code, output = _verify(witnessed, "--witness")
    assert code == 1
    assert "is not the one the witness's checkpoint-" in output and "rewritten" in output
    result = CliRunner().invoke(main, ["--json", "audit", "verify", "--witness", "--config",
                                       str(witnessed)])  # fmt: skip
    document = json.loads(result.stdout)
    assert document["ok"] is False and document["first_bad_sequence"] >= 1


def test_a_checkpoint_forged_in_the_witness_is_refused(witnessed: Path) -> None:
    newest = _checkpoints(witnessed)[-1]
    document = json.loads(newest.read_text())
    forged = newest.with_name("checkpoint-0000000099.json")
    forged.write_text(json.dumps({**document, "sequence": 99}))
    code, output = _verify(witnessed, "--witness")
    assert code == 1
    assert "checkpoint-0000000099.json" in output and "signature does not match" in output


def test_a_checkpoint_signed_with_another_key_is_named_as_such(witnessed: Path) -> None:
    newest = Checkpoint.model_validate_json(_checkpoints(witnessed)[-1].read_text())
    other = WitnessSigner(bytes(range(32))).sign(newest.model_copy(update={"sequence": 50}))
    _checkpoints(witnessed)[-1].with_name("checkpoint-0000000050.json").write_text(
        other.model_dump_json()
    )
    code, output = _verify(witnessed, "--witness")
    assert code == 1 and f"signed with witness key {other.key_id}" in output


def test_verify_with_a_witness_needs_one_configured(
    hub_config_file: Path, audit_key: bytes
) -> None:
    code, output = _verify(hub_config_file, "--witness")
    assert code == 2 and "no audit witness is configured" in output


def test_a_witness_inside_the_workspace_is_refused(
    hub_config_file: Path, tmp_path: Path, audit_key: bytes
) -> None:
    hub_file = hub_config_file
    hub_file.write_text(hub_file.read_text() + f"audit: {{witness: {tmp_path / 'workspace'}/w}}\n")
    code, output = _cli("audit", "verify", "--config", str(hub_file))
    assert code == 2 and "inside the workspace" in output


def test_an_empty_witness_folder_means_none(hub_config_file: Path, tmp_path: Path) -> None:
    hub_file = hub_config_file
    hub_file.write_text(hub_file.read_text() + "audit: {witness: '${IOMHUB_WITNESS_ROOT:-}'}\n")
    drop = {"IOMHUB_DROP_ROOT": str(tmp_path)}
    assert load_config(hub_file, environment=drop).audit.witness is None
    configured = load_config(hub_file, environment={**drop, "IOMHUB_WITNESS_ROOT": "../witness"})
    assert configured.audit.witness is not None
    assert configured.audit.witness.path == tmp_path / "config" / ".." / "witness"  # type: ignore[union-attr]


def test_the_witness_key_is_kept_apart_from_the_audit_key(tmp_path: Path) -> None:
    from schemas.errors import ConfigError

    same = "ab" * 32
    with pytest.raises(ConfigError, match="must not be the audit key"):
        HubSettings(audit_key=same, witness_key=same).witness_key_bytes()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="64 hex digits"):
        HubSettings(witness_key="not hex").witness_key_bytes()  # type: ignore[arg-type]
    assert HubSettings(secrets_dir=tmp_path).witness_key_bytes() is None
