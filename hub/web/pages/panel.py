"""The IOM panel's page: candidates per strand with reasons, the members, select and deselect.

Only panel decision-makers open it: an account holding ``panel_police`` decides for the police,
``panel_probation`` for probation (an account holds at most one of them). A decision takes
effect once one decision-maker of each agency has made it (:mod:`hub.cohort.panel`); each is
audited (``cohort_decision``) and every view of the page is a consultation. The performance
report is drawn on request from the same figures as ``iomhub cohort performance``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.cohort.listing import list_candidates
from hub.cohort.panel import members, record_decision
from hub.cohort.performance_report import STYLESHEET, draw_performance, render_report
from hub.cohort.rules import STRANDS
from hub.cohort_membership import Agency, open_store
from hub.errors import CohortDecisionRefused
from hub.web.consultations import record_consultation
from hub.web.guard import Redirect, Visitor, checked_form, context, require, visitor
from hub.web.params import BadParameter
from hub.web.render import render
from schemas.errors import HubError

PANEL_ROLES: dict[Role, Agency] = {Role.PANEL_POLICE: "police", Role.PANEL_PROBATION: "probation"}
OUTCOMES = {
    "pending": "Recorded: it takes effect when a decision-maker of the other agency agrees.",
    "agreed": "Agreed by police and probation: the cohort has changed.",
}


def _decision_maker(request: Request, *, personal: bool = True) -> tuple[Visitor, Agency]:
    """The visitor and the agency they decide for; 403 (audited) without a panel role."""
    who = visitor(request)
    held = [role for role in PANEL_ROLES if who and who.account.holds(role)]
    role = held[0] if held else Role.PANEL_POLICE
    return require(request, role, personal=personal), PANEL_ROLES[role]


def _panel_values(request: Request, agency: Agency) -> tuple[dict[str, Any], list[str]]:
    ctx = context(request)
    listing = list_candidates(ctx.config)
    current = members(ctx.config, listing.today)
    with open_store(ctx.workspace) as store:
        pending = store.pending()
    waiting = {(p, d, s): (a, by) for p, d, s, a, by in pending}
    in_cohort = {m.person_id for m in current}
    by_strand: dict[str, list[Any]] = defaultdict(list)
    for candidate in listing.candidates:
        if candidate.person_id not in in_cohort:
            by_strand[candidate.strand].append(candidate)
    shown = sorted({c.person_id for cs in by_strand.values() for c in cs} | in_cohort)
    values = {
        "title": "IOM panel", "agency": agency, "strands": STRANDS, "by_strand": by_strand,
        "members": current, "waiting": waiting, "excluded": len(listing.excluded),
        "today": listing.today,
    }  # fmt: skip
    return values, shown


def _unavailable(request: Request, error: HubError) -> Response:
    """The cohort cannot be read yet (no rules, no matched view): say so, as other pages do."""
    message = error.message + (f" ({error.hint})" if error.hint else "")
    return render(request, "error.html", {"title": "Not available yet", "message": message},
                  status_code=404)  # fmt: skip


async def panel_page(request: Request) -> Response:
    who, agency = _decision_maker(request)
    return _page(request, who, agency)


def _page(request: Request, who: Visitor, agency: Agency, *, error: str | None = None) -> Response:
    """The panel page, or why it cannot be shown yet."""
    try:
        return _show(request, who, agency, error=error)
    except HubError as unreadable:
        return _unavailable(request, unreadable)


def _show(request: Request, who: Visitor, agency: Agency, *, error: str | None = None) -> Response:
    values, shown = _panel_values(request, agency)
    record_consultation(context(request), who, "/panel", person_ids=shown)
    values |= {"csrf_token": who.session.csrf_token, "error": error,
               "done": OUTCOMES.get(request.query_params.get("done", ""))}  # fmt: skip
    return render(request, "panel.html", values, status_code=400 if error else 200)


async def decide(request: Request) -> Response:
    who, agency = _decision_maker(request)
    form = await checked_form(request, who)
    decision = str(form.get("decision", ""))
    if decision not in ("select", "deselect"):
        raise BadParameter("'decision' must be one of: deselect, select")
    strand = str(form.get("strand", "")) or None
    try:
        outcome = record_decision(
            context(request).config, who.name, agency, str(form.get("person_id", "")),
            decision, strand, str(form.get("reason", "")),  # type: ignore[arg-type]
        )  # fmt: skip
    except CohortDecisionRefused as refused:
        return _page(request, who, agency, error=refused.message)
    except HubError as unreadable:
        return _unavailable(request, unreadable)
    raise Redirect(f"/panel?done={outcome.outcome}")


async def performance_page(request: Request) -> Response:
    who, _ = _decision_maker(request)
    ctx = context(request)
    try:
        drawn = draw_performance(ctx.config, datetime.date.today())
    except HubError as error:
        return _unavailable(request, error)
    record_consultation(ctx, who, "/panel/performance")
    html = render_report(drawn.performance, stylesheet="/panel/performance.css")
    return Response(html, media_type="text/html; charset=utf-8")


async def performance_stylesheet(request: Request) -> Response:
    return Response(STYLESHEET.read_text("utf-8"), media_type="text/css")


ROUTES = [
    Route("/panel", panel_page),
    Route("/panel/decide", decide, methods=["POST"]),
    Route("/panel/performance", performance_page),
    Route("/panel/performance.css", performance_stylesheet),
]
