"""The ASGI app: routes, security headers, and how refusals and redirects are answered.

:func:`create_app` builds a Starlette app over a :class:`~hub.web.context.WebContext`; ``iomhub
serve`` runs it with uvicorn. Pages live in :mod:`hub.web.pages`, one module per area.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.errors import WorkspaceError
from hub.web.context import WebContext
from hub.web.guard import Redirect, Refused, visitor
from hub.web.pages import (
    auth,
    cohort,
    dpo,
    feeds,
    panel,
    people,
    review,
    review_pair,
    sso,
    subject,
)
from hub.web.params import BadParameter
from hub.web.render import render

STATIC = Path(__file__).resolve().parent / "static"
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; connect-src 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


class SecurityHeaders:
    """Adds the security headers to every response; pages are never cached."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(SECURITY_HEADERS)
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


async def health(request: Request) -> Response:
    """Liveness without sign-in: no personal data, no counts."""
    return JSONResponse({"status": "ok"})


async def home(request: Request) -> Response:
    """Send a signed-in person to the first area their roles open."""
    who = visitor(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    for path, role in auth.AREAS:
        if who.account.holds(role):
            return RedirectResponse(path, status_code=303)
    return render(
        request,
        "error.html",
        {
            "title": "Signed in",
            "message": "Your account holds no role that opens a page here; "
            "ask the hub's administrator for the role your work needs.",
        },
    )


async def _redirect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    return RedirectResponse(exc.location, status_code=303)


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    return render(
        request, "error.html", {"title": "Not allowed", "message": exc.reason}, status_code=403
    )


async def _bad_parameter(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, BadParameter)
    return render(
        request, "error.html", {"title": "Not understood", "message": exc.message}, status_code=400
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    messages = {
        404: ("Not found", "There is no page at this address."),
        405: ("Not allowed", "This page does not answer that kind of request."),
    }
    title, message = messages.get(exc.status_code, ("Not done", str(exc.detail)))
    return render(
        request, "error.html", {"title": title, "message": message}, status_code=exc.status_code
    )


async def _unavailable(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WorkspaceError)
    return render(
        request, "error.html", {"title": "Not available yet", "message": str(exc)}, status_code=404
    )


def create_app(ctx: WebContext) -> Starlette:
    """The web app over one hub."""
    routes = [
        Route("/", home),
        Route("/health", health),
        *auth.ROUTES,
        *sso.ROUTES,
        *cohort.ROUTES,
        *people.ROUTES,
        *feeds.ROUTES,
        *dpo.ROUTES,
        *subject.ROUTES,
        *panel.ROUTES,
        *review.ROUTES,
        *review_pair.ROUTES,
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            Redirect: _redirect,
            Refused: _refused,
            WorkspaceError: _unavailable,
            BadParameter: _bad_parameter,
            HTTPException: _http_error,
        },
    )
    app.state.context = ctx
    return app
