"""What the web tests share: the served app's handle, test accounts and signing in."""

from __future__ import annotations

import csv
import datetime
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from hub.accounts import AccountStore, Role
from hub.audit.log import AuditLog
from hub.config import load_config
from hub.settings import HubSettings
from hub.web.app import create_app
from hub.web.context import WebContext
from hub.web.sessions import SessionStore
from hub.workspace import Workspace

PASSWORD = "a long test passphrase"
ACCOUNTS = {
    "olivia": frozenset({Role.IOM_OFFICER}),
    "dan": frozenset({Role.DATA_OFFICER}),
    "rita": frozenset({Role.REVIEWER}),
    "pam": frozenset({Role.PANEL_POLICE}),
    "bea": frozenset({Role.PANEL_PROBATION}),
}


@dataclass
class Served:
    """The running app and what the tests need to look behind it."""

    url: str
    context: WebContext
    audit: AuditLog
    demo: Path

    def entries(self, action: str) -> list[dict]:
        return [e for e in self.audit.entries() if e["action"] == action]


def sign_in(page, url: str, name: str, purpose: str | None = "IOM panel") -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form, then choose the purpose."""
    page.goto(f"{url}/login")
    page.fill("#username", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    if purpose:
        page.check(f"input[name=purpose][value='{purpose}']")
        page.click("main button[type=submit]")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(context: WebContext) -> Iterator[str]:
    """The app over ``context`` served by uvicorn on a free loopback port; yields its URL."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(context), host="127.0.0.1", port=port,
                                           log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the web app did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def housing_moves(demo: Path, people: int = 25) -> Path:
    """A second housing extract in the demo partner's folder: every tenancy of the first, and
    for ``people`` tenants a new tenancy record (a new reference, a later start, settled), which
    matching links to the person the hub already knows. Returns the new file."""
    folder = demo / "partners" / "housing"
    first = sorted((folder / "archive").glob("housing_tenancies_*.csv"))[0]
    with first.open(encoding="cp1252", newline="") as handle:
        rows = list(csv.DictReader(handle))
    moved = [row for row in rows if row["DOB"] and row["AccommodationStatus"] != "Settled"]
    extra = [row | {"TenantRef": "TN" + row["TenantRef"][1:], "AccommodationStatus": "Settled",
                    "StartDate": "28-Nov-2026"} for row in moved[:people]]  # fmt: skip
    second = folder / "housing_tenancies_20261129.csv"
    with second.open("w", encoding="cp1252", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows + extra)
    return second


def run_hub(demo: Path, *, rejects: str | None = None) -> None:
    """One run of the demo hub over the partners' folders (pull, ingest, match, publish);
    ``rejects``: the file the run must reject (the run then ends in error, having published)."""
    done = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--quiet", "run", "--config",
         str(demo / "config-folders" / "hub.yaml")],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "IOMHUB_SECRETS_DIR": str(demo / "keys"),
             "IOMHUB_OUTBOX_ROOT": str(demo / "outbox"), "IOMHUB_ACTOR": "web-tests"},
    )  # fmt: skip
    if rejects is None:
        assert done.returncode == 0, done.stderr[-2000:]
    else:
        assert f"{rejects}: rejected" in done.stderr, done.stderr[-2000:]


def make_demo(demo: Path) -> None:
    """The demo (300 people, one run) in ``demo``."""
    made = subprocess.run(
        [sys.executable, "-m", "hub.cli", "--quiet", "demo", "--dir", str(demo), "--people", "300"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]


def demo_context(demo: Path, hub_file: str, idle: datetime.timedelta) -> WebContext:
    """The web app's context over the demo's workspace (``hub_file`` under ``demo``), with the
    test accounts and sessions ending after ``idle``."""
    config = load_config(
        demo / hub_file,
        settings=HubSettings(secrets_dir=demo / "keys", actor="web-tests"),
        environment={"IOMHUB_OUTBOX_ROOT": str(demo / "outbox")},
    )
    workspace = Workspace(config.workspace)
    accounts = AccountStore(workspace.accounts_path)
    for name, roles in ACCOUNTS.items():
        accounts.add(name, roles, PASSWORD)
    return WebContext(
        config=config, workspace=workspace, accounts=accounts,
        audit=workspace.open_audit(config.settings),
        sessions=SessionStore(workspace.accounts_path, idle=idle,
                              lifetime=datetime.timedelta(hours=1)),
    )  # fmt: skip
