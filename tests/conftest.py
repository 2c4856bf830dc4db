"""Shared fixtures: every test runs with its own keys (made at run time, never committed);
the SFTP tests run against a real OpenSSH server (tests/sftp_server.py)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sftp_server import SSHD, OpenSshServer, missing_requirements
from tests.sftp_support import PARTNER_PASSWORD, RSA_PASSPHRASE

SFTP_ACCOUNTS = ("police", "health", "recipient")


@pytest.fixture(autouse=True)
def hub_keys(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Audit, master and witness keys in a secrets folder outside any workspace."""
    folder = tmp_path_factory.mktemp("keys")
    for name in ("audit_key", "master_key", "witness_key"):
        (folder / name).write_text(secrets.token_hex(32))
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(folder))
    for name in (
        "IOMHUB_AUDIT_KEY",
        "IOMHUB_MASTER_KEY",
        "IOMHUB_WITNESS_KEY",
        "IOMHUB_CONFIG",
        "IOMHUB_WITNESS_ROOT",
    ):
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


@pytest.fixture(scope="session")
def sshd() -> Iterator[OpenSshServer]:
    """OpenSSH sshd on 127.0.0.1: accounts police, health, recipient (Ed25519 keys),
    rsa_partner (RSA key with a passphrase) and pw_partner (password only)."""
    missing = missing_requirements()
    if missing:
        message = f"the OpenSSH tests need {', '.join(missing)} (run scripts/system-deps)"
        if SSHD.exists() or os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    server = OpenSshServer()
    try:
        for name in SFTP_ACCOUNTS:
            server.add_account(name)
        server.add_account("rsa_partner", key_type="rsa", passphrase=RSA_PASSPHRASE)
        server.add_account("pw_partner", password=PARTNER_PASSWORD)
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def server(sshd: OpenSshServer) -> OpenSshServer:
    """The shared sshd with every partner folder emptied."""
    for account in sshd.accounts.values():
        account.clear()
    return sshd


CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium, headless, driven by Playwright: one per test run (Playwright's sync
    API allows one instance per thread)."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("the web tests need Debian's chromium (run scripts/system-deps)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) and page."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def approved_example_env(example_env: Path) -> Path:
    """:func:`example_env` with the example agreements approved, so that they take effect."""
    from tests.helpers import approve_agreements

    approve_agreements()
    return example_env
