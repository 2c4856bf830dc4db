"""Who is asking, and may they: session cookies, roles, purposes and CSRF, checked on the server.

Every page calls :func:`require` first. Without a live session the browser is sent to
``/login``; without the page's role the answer is 403 and the attempt goes into the audit log;
a page showing personal data also needs the purpose of the session to have been chosen.
Every form carries the session's CSRF token (the sign-in form a token of its own, held in a
short-lived cookie) and a POST without the right one is refused.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from urllib.parse import quote

from starlette.datastructures import FormData
from starlette.requests import Request

from hub.accounts import Account, Role
from hub.audit.events import AccessRefused
from hub.errors import AccountError
from hub.web.context import WebContext
from hub.web.sessions import Session

SESSION_COOKIE = "iomhub_session"
SIGN_IN_COOKIE = "iomhub_sign_in"
log = logging.getLogger("iomhub.web")


@dataclass(frozen=True)
class Visitor:
    """A signed-in person on this request."""

    token: str
    session: Session
    account: Account

    @property
    def name(self) -> str:
        return self.account.name


class Redirect(Exception):
    """Send the browser elsewhere (303)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class Refused(Exception):
    """Answer 403 with a reason the person can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def context(request: Request) -> WebContext:
    """The app's shared context."""
    return request.app.state.context  # type: ignore[no-any-return]


def visitor(request: Request) -> Visitor | None:
    """The signed-in person, or None (no cookie, ended or expired session, disabled account)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    ctx = context(request)
    session = ctx.sessions.resume(token)
    if session is None:
        return None
    try:
        account = ctx.accounts.get(session.account)
    except AccountError:
        return None
    if account.disabled:
        ctx.sessions.end_all(account.name)
        return None
    return Visitor(token, session, account)


def _here(request: Request) -> str:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return quote(path, safe="")


def require(request: Request, role: Role | None = None, *, personal: bool = True) -> Visitor:
    """The visitor, if signed in, holding ``role``, and (for personal data) with a purpose."""
    who = visitor(request)
    if who is None:
        raise Redirect(f"/login?next={_here(request)}")
    if role is not None and not who.account.holds(role):
        context(request).audit.record(
            AccessRefused(page=request.url.path, role_needed=role.value), actor=who.name
        )
        log.warning("access refused: %s lacks role %s for %s", who.name, role, request.url.path)
        raise Refused(f"this page needs the role '{role.value}', which your account does not hold")
    if personal and not who.session.purpose:
        raise Redirect(f"/purpose?next={_here(request)}")
    return who


def same_token(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two CSRF tokens; absent tokens never match."""
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


async def checked_form(request: Request, who: Visitor) -> FormData:
    """The POSTed form, if it carries the session's CSRF token; Refused otherwise."""
    form = await request.form()
    if not same_token(form.get("csrf_token"), who.session.csrf_token):  # type: ignore[arg-type]
        log.warning("form without a valid CSRF token refused: %s", request.url.path)
        raise Refused("the form was not sent from this site's page (missing or stale token)")
    return form


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"
