"""What every request of the web app shares: the hub's configuration, accounts, sessions and
single sign-on."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from hub.accounts import AccountStore
from hub.audit.log import AuditLog
from hub.config import HubConfig
from hub.run.operations import BackgroundRun
from hub.run.team_view import ReleaseTables
from hub.web.oidc import OidcClient
from hub.web.sessions import SessionStore
from hub.workspace import Workspace


@dataclass
class WebContext:
    """The app's long-lived parts, built once by :func:`hub.web.app.create_app`."""

    config: HubConfig
    workspace: Workspace
    accounts: AccountStore
    sessions: SessionStore
    audit: AuditLog
    secure_cookies: bool = False
    """Set when served over TLS: cookies then carry ``Secure``."""
    tables: ReleaseTables = field(default_factory=ReleaseTables)
    runner: BackgroundRun = field(default_factory=BackgroundRun)
    """The data officer's "run now": one background run at a time."""
    oidc: OidcClient | None = None
    """Single sign-on, when the hub file's ``web.oidc`` configures it."""

    @classmethod
    def open(cls, config: HubConfig, *, secure_cookies: bool = False) -> WebContext:
        """The context of one hub: its workspace's accounts and sessions, and its audit log."""
        workspace = Workspace(config.workspace)
        workspace.create()
        path = workspace.accounts_path
        sso = config.web.oidc
        secret = config.settings.find_secret("oidc_client_secret") if sso else None
        return cls(
            config=config,
            workspace=workspace,
            accounts=AccountStore(path),
            sessions=SessionStore(
                path,
                idle=datetime.timedelta(minutes=config.web.idle_minutes),
                lifetime=datetime.timedelta(hours=config.web.session_hours),
            ),
            audit=workspace.open_audit(config.settings),
            secure_cookies=secure_cookies,
            oidc=OidcClient(sso, secret.get_secret_value() if secret else None) if sso else None,
        )
