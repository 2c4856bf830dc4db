"""Signing in and out, and choosing the purpose of the session."""

from __future__ import annotations

import logging
import secrets
from typing import Literal
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts import Account, Role, SignInRefused
from hub.audit.events import SignedIn
from hub.web.guard import (
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Redirect,
    Refused,
    checked_form,
    context,
    require,
    safe_next,
    same_token,
    visitor,
)
from hub.web.render import render

log = logging.getLogger("iomhub.web")
AREAS = (("/cohort", Role.IOM_OFFICER), ("/feeds", Role.DATA_OFFICER), ("/review", Role.REVIEWER),
         ("/dpo", Role.DPO), ("/panel", Role.PANEL_POLICE),
         ("/panel", Role.PANEL_PROBATION))  # fmt: skip
"""Where a person lands after signing in: the first area one of their roles opens."""


def set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    max_age: int,
    samesite: Literal["strict", "lax"] = "strict",
    path: str = "/",
) -> None:
    """An HttpOnly cookie, ``Secure`` over TLS, ``SameSite=Strict`` unless said otherwise."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite=samesite,
        path=path,
        secure=context(request).secure_cookies,
    )


def start_session(request: Request, response: Response, account: Account) -> None:
    """Sign ``account`` in: a new session, its cookie on ``response``."""
    ctx = context(request)
    token = ctx.sessions.start(account.name)
    lifetime = ctx.config.web.session_hours * 3600
    set_cookie(response, request, SESSION_COOKIE, token, max_age=lifetime)
    response.delete_cookie(SIGN_IN_COOKIE, path="/")


async def sign_in_form(
    request: Request, message: str | None = None, status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "title": "Sign in",
            "csrf_token": token,
            "message": message,
            "next": safe_next(request.query_params.get("next")),
            "sso": context(request).config.web.oidc,
        },
        status_code=status_code,
    )
    set_cookie(response, request, SIGN_IN_COOKIE, token, max_age=900)
    return response


async def sign_in(request: Request) -> Response:
    form = await request.form()
    if not same_token(form.get("csrf_token"), request.cookies.get(SIGN_IN_COOKIE)):  # type: ignore[arg-type]
        raise Refused("the sign-in form was not sent from this site's page; reload it and retry")
    name, password = str(form.get("username", "")), str(form.get("password", ""))
    ctx = context(request)
    try:
        account = ctx.accounts.authenticate(name, password)
    except SignInRefused as refusal:
        log.warning("sign-in refused for an account name of %d characters", len(name))
        return await sign_in_form(request, refusal.message, status_code=401)
    ctx.audit.record(
        SignedIn(method="password", roles=tuple(sorted(r.value for r in account.roles))),
        actor=account.name,
        user=account.name,
    )
    log.info("signed in: %s", account.name)
    target = safe_next(str(form.get("next", "/")))
    response = RedirectResponse(f"/purpose?next={quote(target, safe='')}", status_code=303)
    start_session(request, response, account)
    return response


async def sign_out(request: Request) -> Response:
    who = require(request, personal=False)
    await checked_form(request, who)
    context(request).sessions.end(who.token)
    log.info("signed out: %s", who.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def purpose(request: Request) -> Response:
    who = require(request, personal=False)
    target = safe_next(request.query_params.get("next"))
    if request.method == "POST":
        form = await checked_form(request, who)
        chosen = str(form.get("purpose", ""))
        if chosen not in context(request).config.web.purposes:
            raise Refused("choose one of the purposes listed")
        context(request).sessions.choose_purpose(who.token, chosen)
        raise Redirect(safe_next(str(form.get("next", "/"))))
    return render(
        request,
        "purpose.html",
        {
            "title": "Purpose",
            "purposes": context(request).config.web.purposes,
            "next": target,
        },
    )


async def login(request: Request) -> Response:
    if request.method == "POST":
        return await sign_in(request)
    if visitor(request) is not None:
        return RedirectResponse("/", status_code=303)
    return await sign_in_form(request)


ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", sign_out, methods=["POST"]),
    Route("/purpose", purpose, methods=["GET", "POST"]),
]
