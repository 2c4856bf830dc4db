"""Shared fixtures. The SFTP tests run against a real OpenSSH server (tests/sftp_server.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.sftp_server import SSHD, OpenSshServer, missing_requirements
from tests.sftp_support import PARTNER_PASSWORD, RSA_PASSPHRASE

SFTP_ACCOUNTS = ("police", "health", "recipient")


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
