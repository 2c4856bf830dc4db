"""Fixtures for the audit trail and DPO tests: an audit key, a small hub config, a log."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from audit_helpers import write_hub_config


@pytest.fixture
def audit_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A fresh audit key, set in the environment as the hub reads it."""
    key = secrets.token_hex(32)
    monkeypatch.setenv("IOMHUB_AUDIT_KEY", key)
    return bytes.fromhex(key)


@pytest.fixture
def hub_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A hub file in tmp_path whose feeds read drop folders under tmp_path/partners."""
    monkeypatch.setenv("IOMHUB_DROP_ROOT", str(tmp_path / "partners"))
    return write_hub_config(tmp_path)


@pytest.fixture
def dpo_hub_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, audit_key: bytes) -> Path:
    """A hub file whose workspace has pulls, ingests, a match run, releases and a
    re-identification (see ``audit_helpers.build_dpo_workspace``)."""
    from audit_helpers import build_dpo_workspace

    monkeypatch.setenv("IOMHUB_DROP_ROOT", str(tmp_path / "partners"))
    monkeypatch.setenv("IOMHUB_MIN_AGE_SECONDS", "0")
    return build_dpo_workspace(tmp_path, audit_key.hex())
