"""A run that is interrupted, killed or cut off ends cleanly, says so, and costs no data.

Each test drives ``python -m hub.cli`` in a process of its own and interrupts it for real
(SIGINT, SIGKILL, a closed output pipe, a state database held by another process).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import EXAMPLE_CONFIG, approve_agreements

ROOT = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 120


def hub_command(*args: str) -> list[str]:
    """The command line for ``iomhub ARGS`` in a fresh interpreter."""
    return [sys.executable, "-m", "hub.cli", *args]


def run_hub(*args: str, umask: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``iomhub ARGS`` to the end."""
    preexec: Callable[[], object] | None = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run(hub_command(*args), capture_output=True, text=True, cwd=ROOT,
                          timeout=WAIT_SECONDS, preexec_fn=preexec, check=False)  # fmt: skip


def start_hub(*args: str) -> subprocess.Popen[str]:
    """Start ``iomhub ARGS``; its progress (stderr) is read line by line."""
    return subprocess.Popen(hub_command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT)  # fmt: skip


def wait_for_line(process: subprocess.Popen[str], text: str) -> str:
    """Read the process's stderr until a line holds ``text``; return what was read."""
    assert process.stderr is not None
    seen = ""
    while text not in seen:
        line = process.stderr.readline()
        if not line:
            process.kill()
            pytest.fail(f"the run ended before {text!r}:\n{seen}")
        seen += line
    return seen


def select_into_the_cohort(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The example panel's police and probation leads select one matched person, so the IOM
    team's view (which follows the cohort) has someone to release."""
    import pyarrow.parquet as pq

    persons = pq.read_table(workspace / "matched" / "persons.parquet",
                            columns=["person_id", "sources"]).to_pylist()  # fmt: skip
    person = next(p["person_id"] for p in persons if "police" in p["sources"])
    for lead in ("iom-police-lead", "iom-probation-lead"):
        monkeypatch.setenv("IOMHUB_ACTOR", lead)
        chosen = run_hub("cohort", "select", "--config", str(EXAMPLE_CONFIG), "--person", person,
                         "--strand", "fixed", "--reason", "panel of the week")  # fmt: skip
        assert chosen.returncode == 0, chosen.stderr
    monkeypatch.delenv("IOMHUB_ACTOR")


def synthetic_partners(drop: Path, people: int) -> None:
    """Write the four demo partners' extracts into the drop folders."""
    result = run_hub("synth", "--out", str(drop), "--truth", str(drop.parent / "truth.parquet"),
                     "--people", str(people))  # fmt: skip
    assert result.returncode == 0, result.stderr


def run_statuses(workspace: Path) -> list[str]:
    """The status of every run in the state database, oldest first."""
    with sqlite3.connect(workspace / "state.db") as db:
        return [row[0] for row in db.execute("SELECT status FROM runs ORDER BY started_at")]


@pytest.mark.parametrize(
    ("stage", "seconds_in"),
    [("Ingesting landed extracts", 0.1), ("Matching people", 0.3), ("Publishing releases", 0.3)],
)
def test_ctrl_c_during_a_stage_says_interrupted_and_exits_130(
    approved_example_env: Path, tmp_path: Path, stage: str, seconds_in: float
) -> None:
    synthetic_partners(approved_example_env, 30_000)
    process = start_hub("run", "--config", str(EXAMPLE_CONFIG))
    before = wait_for_line(process, stage)
    time.sleep(seconds_in)
    process.send_signal(signal.SIGINT)
    _, after = process.communicate(timeout=WAIT_SECONDS)
    stderr = before + after
    assert process.returncode == 130, stderr
    assert "Error: interrupted" in stderr
    assert "Traceback" not in stderr and "Query interrupted" not in stderr
    assert run_statuses(tmp_path / "workspace") == ["interrupted"]


def test_a_killed_run_is_marked_interrupted_when_the_next_starts(
    example_env: Path, tmp_path: Path
) -> None:
    synthetic_partners(example_env, 30_000)
    process = start_hub("run", "--config", str(EXAMPLE_CONFIG))
    wait_for_line(process, "Matching people")
    process.kill()
    process.communicate(timeout=WAIT_SECONDS)
    assert run_statuses(tmp_path / "workspace") == ["running"]

    again = run_hub("run", "--config", str(EXAMPLE_CONFIG))
    assert again.returncode == 0, again.stderr
    assert run_statuses(tmp_path / "workspace") == ["interrupted", "ok"]


def test_a_closed_output_pipe_ends_quietly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        hub_command("synth", "--out", str(tmp_path / "drop"), "--truth",
                    str(tmp_path / "truth.parquet"), "--people", "50"),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert process.stdout is not None
    process.stdout.close()  # the reader is gone before the first line, as `| head -0`
    _, stderr = process.communicate(timeout=WAIT_SECONDS)
    assert process.returncode == 141
    assert stderr == ""


def _loose(root: Path) -> list[str]:
    """Files and folders under ``root`` (itself included) that others could read or enter."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = path.lstat().st_mode
        if not stat.S_ISLNK(mode) and mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {oct(stat.S_IMODE(mode))}")
    return found


def test_workspace_outbox_and_key_files_are_owner_only_whatever_the_umask(
    example_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthetic_partners(example_env, 200)
    keys = tmp_path / "new_keys"
    for name in ("audit_key", "master_key"):
        made = run_hub("keys", "generate", "--out", str(keys / name), umask=0)
        assert made.returncode == 0, made.stderr
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(keys))
    approve_agreements()

    result = run_hub("run", "--config", str(EXAMPLE_CONFIG), umask=0)
    assert result.returncode == 0, result.stderr
    select_into_the_cohort(tmp_path / "workspace", monkeypatch)
    published = run_hub("publish", "--config", str(EXAMPLE_CONFIG), "--force", umask=0)
    assert published.returncode == 0, published.stderr

    assert any((tmp_path / "outbox" / "iom_team").iterdir())
    assert any((tmp_path / "workspace" / "landing").rglob("*.csv"))
    for root in (tmp_path / "workspace", tmp_path / "outbox", keys):
        assert _loose(root) == []


def _deliveries(workspace: Path, recipient: str) -> list[str]:
    lines = (workspace / "audit" / "audit.jsonl").read_text().splitlines()
    entries = [json.loads(line) for line in lines if line.strip()]
    return [e["objects"]["release_id"] for e in entries
            if e["action"] == "deliver" and e["objects"]["recipient"] == recipient]  # fmt: skip


def test_a_push_killed_after_upload_is_recorded_once(
    approved_example_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synthetic_partners(approved_example_env, 200)
    workspace = tmp_path / "workspace"
    assert run_hub("run", "--config", str(EXAMPLE_CONFIG)).returncode == 0
    withheld = run_hub("publish", "--config", str(EXAMPLE_CONFIG))
    assert "nobody is in the IOM cohort" in withheld.stderr, withheld.stderr
    select_into_the_cohort(workspace, monkeypatch)
    (tmp_path / "not_a_folder").write_text("")
    monkeypatch.setenv("IOMHUB_OUTBOX_ROOT", str(tmp_path / "not_a_folder" / "outbox"))
    first = run_hub("publish", "--config", str(EXAMPLE_CONFIG))
    assert first.returncode == 4 and "iom_team" in first.stderr  # placed, not pushed
    assert _deliveries(workspace, "iom_team") == []

    monkeypatch.setenv("IOMHUB_OUTBOX_ROOT", str(tmp_path / "outbox"))
    holder = sqlite3.connect(workspace / "state.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the push is uploaded and audited, then cannot note it
    try:
        process = start_hub("publish", "--config", str(EXAMPLE_CONFIG), "--recipient", "iom_team")
        deadline = time.monotonic() + WAIT_SECONDS
        while not _deliveries(workspace, "iom_team"):
            assert process.poll() is None and time.monotonic() < deadline, "no push recorded"
            time.sleep(0.05)
        process.kill()
        process.communicate(timeout=WAIT_SECONDS)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    delivered = _deliveries(workspace, "iom_team")
    assert len(delivered) == 1 and any((tmp_path / "outbox" / "iom_team").iterdir())

    again = run_hub("publish", "--config", str(EXAMPLE_CONFIG), "--recipient", "iom_team")
    assert again.returncode == 0, again.stderr
    assert "pushed already" in again.stderr
    assert _deliveries(workspace, "iom_team") == delivered
    assert run_hub("publish", "--config", str(EXAMPLE_CONFIG)).returncode == 0
    assert _deliveries(workspace, "iom_team") == delivered
    assert run_hub("audit", "verify", "--config", str(EXAMPLE_CONFIG)).returncode == 0
