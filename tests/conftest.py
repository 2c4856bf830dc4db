"""Shared fixtures: every test runs with its own keys (made at run time, never committed)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def hub_keys(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Audit and master keys in a secrets folder outside any workspace."""
    folder = tmp_path_factory.mktemp("keys")
    for name in ("audit_key", "master_key"):
        (folder / name).write_text(secrets.token_hex(32))
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(folder))
    for name in ("IOMHUB_AUDIT_KEY", "IOMHUB_MASTER_KEY", "IOMHUB_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.fixture
def example_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Environment for examples/config: drop root and workspace under tmp_path."""
    drop = tmp_path / "drop"
    for feed in ("police", "probation", "health", "housing"):
        (drop / feed).mkdir(parents=True)
    monkeypatch.setenv("IOMHUB_DROP_ROOT", str(drop))
    monkeypatch.setenv("IOMHUB_WORKSPACE", str(tmp_path / "workspace"))
    monkeypatch.setenv("IOMHUB_OUTBOX_ROOT", str(tmp_path / "outbox"))
    monkeypatch.setenv("IOMHUB_MIN_AGE_SECONDS", "0")
    yield drop
