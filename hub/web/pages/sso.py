"""Signing in through the OpenID Connect provider of the hub file's ``web.oidc`` section.

``/login/oidc`` sends the browser to the provider; ``/login/oidc/callback`` takes it back,
signs the person in with the roles their claims map to, and writes who signed in (method
``oidc``, the provider) to the audit log, or why they were refused. The browser's binding to its
pending sign-in travels in a cookie of its own: ``SameSite=Lax``, limited to ``/login/oidc``
and ten minutes, because the provider's redirect back is a navigation from another site, which
never carries a ``Strict`` cookie. The session cookie itself stays ``Strict``: the callback
answers with a page of this site that moves on to ``/purpose``, so the first request carrying
the session comes from this site.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts import SingleSignOnAccountRefused
from hub.audit.events import SignedIn, SignInDenied
from hub.web.guard import context, safe_next
from hub.web.oidc import PENDING_SECONDS, OidcClient, SingleSignOnRefused
from hub.web.pages.auth import set_cookie, sign_in_form, start_session
from hub.web.render import render

log = logging.getLogger("iomhub.web")
FLOW_COOKIE = "iomhub_oidc"
FLOW_PATH = "/login/oidc"


def _client(request: Request) -> OidcClient:
    client = context(request).oidc
    if client is None:
        raise SingleSignOnRefused("single sign-on is not configured on this hub", "provider_error")
    return client


def _redirect_uri(request: Request, client: OidcClient) -> str:
    return client.config.redirect_url or str(request.url_for("oidc_callback"))


async def _refuse(request: Request, refusal: SingleSignOnRefused) -> Response:
    ctx = context(request)
    provider = ctx.config.web.oidc.issuer if ctx.config.web.oidc else None
    ctx.audit.record(
        SignInDenied(method="oidc", provider=provider, account=refusal.account,
                     cause=refusal.cause),
        actor=refusal.account or "anonymous",
    )  # fmt: skip
    log.warning("single sign-on refused: %s", refusal.cause)
    response = await sign_in_form(request, refusal.message, status_code=403)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


async def start(request: Request) -> Response:
    try:
        client = _client(request)
        url, browser = await client.start(
            _redirect_uri(request, client), safe_next(request.query_params.get("next"))
        )
    except SingleSignOnRefused as refusal:
        return await _refuse(request, refusal)
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, request, FLOW_COOKIE, browser, max_age=PENDING_SECONDS,
               samesite="lax", path=FLOW_PATH)  # fmt: skip
    return response


async def callback(request: Request) -> Response:
    ctx = context(request)
    params = request.query_params
    try:
        client = _client(request)
        pending = client.take(params.get("state", ""), request.cookies.get(FLOW_COOKIE))
        if params.get("error") or not params.get("code"):
            raise SingleSignOnRefused(
                "the provider did not sign you in; try again", "provider_error"
            )
        identity = await client.finish(pending, params["code"])
        try:
            account = ctx.accounts.provision_sso(identity.account, identity.roles,
                                                 identity.issuer)  # fmt: skip
        except SingleSignOnAccountRefused as error:
            raise SingleSignOnRefused(
                error.message, error.cause, account=identity.account
            ) from error
    except SingleSignOnRefused as refusal:
        return await _refuse(request, refusal)
    ctx.audit.record(
        SignedIn(method="oidc", provider=identity.issuer,
                 roles=tuple(sorted(r.value for r in account.roles))),
        actor=account.name,
        user=account.name,
    )  # fmt: skip
    log.info("signed in by single sign-on: %s", account.name)
    target = f"/purpose?next={quote(pending.next, safe='')}"
    response = render(request, "signed_in.html", {"title": "Signed in", "target": target})
    response.headers["refresh"] = f"0; url={target}"
    start_session(request, response, account)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


ROUTES = [
    Route("/login/oidc", start),
    Route("/login/oidc/callback", callback, name="oidc_callback"),
]
