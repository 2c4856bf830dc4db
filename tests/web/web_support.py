"""What the web tests share: the served app's handle, test accounts and signing in."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from hub.accounts import Role
from hub.audit.log import AuditLog
from hub.web.app import create_app
from hub.web.context import WebContext

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
