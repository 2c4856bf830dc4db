"""The web app served for real: a demo workspace, uvicorn on a loopback port, Debian's Chromium."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator

import pytest
from web_support import ACCOUNTS, PASSWORD, Served, serving

from hub.accounts import AccountStore
from hub.config import load_config
from hub.settings import HubSettings
from hub.web.context import WebContext
from hub.web.sessions import SessionStore
from hub.workspace import Workspace


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A demo workspace (one run, two releases) served on 127.0.0.1, idle sign-out after 3 s."""
    demo = tmp_path_factory.mktemp("web") / "demo"
    made = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--quiet", "demo", "--dir", str(demo), "--people", "300"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    config = load_config(
        demo / "config" / "hub.yaml",
        settings=HubSettings(secrets_dir=demo / "keys", actor="web-tests"),
        environment={"IOMHUB_OUTBOX_ROOT": str(demo / "outbox")},
    )
    workspace = Workspace(config.workspace)
    audit = workspace.open_audit(config.settings)
    path = workspace.accounts_path
    accounts = AccountStore(path)
    for name, roles in ACCOUNTS.items():
        accounts.add(name, roles, PASSWORD)
    context = WebContext(
        config=config, workspace=workspace, accounts=accounts, audit=audit,
        sessions=SessionStore(path, idle=datetime.timedelta(seconds=3),
                              lifetime=datetime.timedelta(hours=1)),
    )  # fmt: skip
    with serving(context) as url:
        yield Served(url, context, audit, demo)
