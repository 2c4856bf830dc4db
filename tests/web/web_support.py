"""What the web tests share: the served app's handle, test accounts and signing in."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.accounts import Role
from hub.audit import AuditLog
from hub.web.context import WebContext

PASSWORD = "a long test passphrase"
ACCOUNTS = {
    "olivia": frozenset({Role.IOM_OFFICER}),
    "dan": frozenset({Role.DATA_OFFICER}),
    "rita": frozenset({Role.REVIEWER}),
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
