"""The demo's next steps work as printed: pasted into a shell in another folder, with none of the
hub's variables set, each command runs; a rerun on the demo's drop-folder config works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def clean_environment() -> dict[str, str]:
    """The environment of a new shell: none of the hub's variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("IOMHUB_")}


def shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run one pasted line in a new shell."""
    return subprocess.run(line, shell=True, cwd=cwd, env=clean_environment(),
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def printed_commands(output: str) -> dict[str, str]:
    """The commands under 'next steps', by the comment above each."""
    lines = output.split("next steps", 1)[1].splitlines()[1:]
    commands, purpose = {}, ""
    for line in lines:
        text = line.strip()
        if text.startswith("# "):
            purpose = text[2:]
        elif text:
            commands[purpose] = text
    return commands


def test_the_printed_next_steps_run_as_printed_and_a_rerun_works(tmp_path: Path) -> None:
    demo = tmp_path / "demo"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    made = subprocess.run(
        [sys.executable, "-m", "hub.cli", "demo", "--dir", str(demo), "--people", "60"],
        cwd=REPO, env=clean_environment(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    commands = printed_commands(made.stdout)
    assert {"status", "run again", "verify the audit log", "check the agreements"} <= set(commands)
    assert all(str(demo) in line and "IOMHUB_SECRETS_DIR=" in line for line in commands.values())

    results = {}
    for purpose, line in commands.items():
        if "--pseudonym ID" in line:
            continue  # a template: the pseudonym and reason are the operator's to fill in
        results[purpose] = shell(line, elsewhere)
    for purpose, result in results.items():
        assert result.returncode == 0, (purpose, result.stdout, result.stderr)
    assert "audit log intact" in results["verify the audit log"].stdout
    assert "police" in results["status"].stdout and "audit log: intact" in results["status"].stdout

    [archived] = (demo / "partners" / "police" / "archive").glob("police_nominals_*.csv")
    shutil.copy(archived, demo / "partners" / "police" / "police_nominals_20991231.csv")
    rerun = shell(commands["run again"], elsewhere)
    assert rerun.returncode == 0, rerun.stderr
    assert "1 file(s) pulled" in rerun.stdout
