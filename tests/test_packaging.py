"""The hub as a newcomer installs it: a wheel in a fresh virtualenv, the demo run from elsewhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(command: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.mark.slow
def test_the_wheel_installs_and_runs_its_demo_from_another_folder(tmp_path: Path) -> None:
    source = tmp_path / "source"  # a copy: building in place would leave build/ in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", ".demo", ".bench", "*.egg-info", "__pycache__"))  # fmt: skip
    wheels = tmp_path / "wheels"
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(source)],
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("iom_exchange_hub-*.whl")

    fresh = tmp_path / "fresh-venv"
    venv.create(fresh, with_pip=True)
    installed = _run(
        [str(fresh / "bin" / "python"), "-m", "pip", "install", "--quiet",
         "--disable-pip-version-check", "-c", str(ROOT / "constraints.txt"), str(wheel)],
        cwd=tmp_path,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    iomhub = str(fresh / "bin" / "iomhub")
    version = _run([iomhub, "--version"], cwd=elsewhere)
    assert version.returncode == 0 and version.stdout.startswith("iomhub "), version.stderr

    demo = _run([iomhub, "demo", "--people", "300"], cwd=elsewhere)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Demo finished." in demo.stdout
    assert (elsewhere / ".demo" / "workspace" / "matched" / "persons.parquet").exists()
