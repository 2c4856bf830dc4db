"""Rendering pages: one Jinja2 environment with autoescape, and what every page template gets."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from hub.accounts import Role
from hub.web.guard import visitor

TEMPLATES = Path(__file__).resolve().parent / "templates"
ENVIRONMENT = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
NAVIGATION = (
    ("/cohort", "Cohort", Role.IOM_OFFICER),
    ("/changes", "What changed", Role.IOM_OFFICER),
    ("/feeds", "Feeds", Role.DATA_OFFICER),
    ("/dpo/agreements", "DPO console", Role.DPO),
    ("/review", "Review", Role.REVIEWER),
    ("/panel", "Panel", Role.PANEL_POLICE),
    ("/panel", "Panel", Role.PANEL_PROBATION),
)

SECTION_OF = {"people": "cohort"}
"""Pages whose first path segment belongs to another area's navigation link."""


def _section(path: str) -> str:
    first = path.strip("/").split("/", 1)[0]
    return SECTION_OF.get(first, first)


def _current(path: str, href: str) -> str | None:
    """``aria-current`` for a navigation link: the page itself, or a page of its area."""
    if path == href:
        return "page"
    return "true" if _section(path) == _section(href) else None


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(_shown(item) for item in value)
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


ENVIRONMENT.filters["shown"] = _shown


def render(
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``template`` with ``values``, the signed-in person and the navigation."""
    who = visitor(request)
    held = {href: label for href, label, role in NAVIGATION if who and who.account.holds(role)}
    here = request.url.path
    navigation = [(href, label, _current(here, href)) for href, label in held.items()]
    page = ENVIRONMENT.get_template(template).render(
        who=who, navigation=navigation, path=here, **values
    )
    return HTMLResponse(page, status_code=status_code)
