"""The demo's web app accounts: one per role, each with a one-time password printed once."""

from __future__ import annotations

import secrets
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from hub.accounts import Role, add_account
from hub.config import HubConfig


@dataclass(frozen=True)
class DemoAccount:
    name: str
    role: Role
    password: str


def create_demo_accounts(config: HubConfig) -> list[DemoAccount]:
    """An account per role (``demo-<role>``), audited like any other account."""
    made = []
    for role in Role:
        account = DemoAccount(f"demo-{role.value.replace('_', '-')}", role,
                              secrets.token_urlsafe(12))  # fmt: skip
        add_account(config, account.name, frozenset({role}), account.password)
        made.append(account)
    return made


def web_app_lines(accounts: list[DemoAccount], config_path: Path, keys: Path) -> str:
    """How to start the web app on the demo workspace, and the accounts to sign in with."""
    iomhub = Path(sys.executable).with_name("iomhub")
    command = shlex.join([f"IOMHUB_SECRETS_DIR={keys}", str(iomhub), "serve",
                          "--config", str(config_path)])  # fmt: skip
    lines = [
        f"  web app:    {command}",
        "              then open http://127.0.0.1:8080/ and sign in as one of (passwords shown "
        "once):",
    ]
    lines += [f"                {a.name:<20} {a.role.value:<13} {a.password}" for a in accounts]
    return "\n".join(lines)
