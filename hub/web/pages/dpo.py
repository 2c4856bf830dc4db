"""The DPO's console: the register of agreements, disclosures, re-identifications and
consultations, and the audit log (verify now, where the last checkpoint is held).

These pages show no record's contents (names of bodies, counts, ids, accounts and purposes), so
they need the ``dpo`` role but no purpose; subject access (:mod:`hub.web.pages.subject`) does.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from hub.accounts import Role
from hub.governance.access_log import KINDS, AccessFilter, access_entries, accounts_seen
from hub.governance.audit_status import audit_standing, verify_now
from hub.governance.dpo_disclosures import disclosures
from hub.governance.dpo_register import register_entries
from hub.web.guard import checked_form, context, require
from hub.web.params import day, one_of, page_number
from hub.web.render import render

PAGE_SIZE = 200


async def console(request: Request) -> Response:
    require(request, Role.DPO, personal=False)
    return RedirectResponse("/dpo/agreements", status_code=303)


async def agreements_page(request: Request) -> Response:
    require(request, Role.DPO, personal=False)
    entries = register_entries(context(request).config)
    return render(
        request,
        "dpo_agreements.html",
        {
            "title": "Register of sharing agreements",
            "entries": entries,
            "attention": sum(1 for e in entries if e.warnings),
        },
    )


async def disclosures_page(request: Request) -> Response:
    require(request, Role.DPO, personal=False)
    return render(
        request,
        "dpo_disclosures.html",
        {
            "title": "Disclosures",
            "d": disclosures(context(request).config),
        },
    )


def _access_filter(request: Request) -> AccessFilter:
    params = request.query_params
    return AccessFilter(
        account=params.get("account", "")[:100],
        kind=one_of(params, "kind", KINDS, ""),
        since=day(params, "since"),
        until=day(params, "until"),
        purpose=params.get("purpose", "")[:100],
    )


async def access_page(request: Request) -> Response:
    require(request, Role.DPO, personal=False)
    audit = context(request).audit
    everything = access_entries(audit)
    only = _access_filter(request)
    kept = [entry for entry in everything if only.keeps(entry)]
    page = page_number(request.query_params)
    shown = kept[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    base = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(
        request,
        "dpo_access.html",
        {
            "title": "Re-identifications and consultations",
            "entries": shown,
            "total": len(kept),
            "only": only,
            "kinds": KINDS,
            "accounts": accounts_seen(everything),
            "page": page,
            "more": len(kept) > page * PAGE_SIZE,
            "link": lambda n: "?" + urlencode({**base, "page": n}),
            "people": sum(entry.people for entry in kept),
        },
    )


async def audit_page(request: Request) -> Response:
    who = require(request, Role.DPO, personal=False)
    outcome = None
    if request.method == "POST":
        await checked_form(request, who)
        outcome = verify_now(context(request).config)
    return render(
        request,
        "dpo_audit.html",
        {
            "title": "Audit log",
            "standing": audit_standing(context(request).config),
            "outcome": outcome,
            "csrf_token": who.session.csrf_token,
        },
    )


ROUTES = [
    Route("/dpo", console),
    Route("/dpo/agreements", agreements_page),
    Route("/dpo/disclosures", disclosures_page),
    Route("/dpo/access", access_page),
    Route("/dpo/audit", audit_page),
    Route("/dpo/audit/verify", audit_page, methods=["POST"]),
]
