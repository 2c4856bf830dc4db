"""Subject access in the DPO's console: find a person by name and date of birth or by any
identifier, see everything the hub holds about them, and export the response pack.

The search is a POST (names, dates of birth and identifiers never sit in a URL or a server
log). Every search and every view is a consultation in the audit log, written before anything
is shown: the records and person ids shown, that a name or an identifier search was made, never
what was typed. The pack is recorded as a disclosure to the data subject before it is sent.
"""

from __future__ import annotations

import datetime
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.errors import PersonalDataInReason
from hub.governance.subject_holdings import SubjectNotHeld, subject_holdings
from hub.governance.subject_pack import PackRefused, make_response_pack
from hub.governance.subject_search import SubjectQuery, SubjectQueryError, find_subject
from hub.web.consultations import record_consultation
from hub.web.guard import Refused, checked_form, context, require
from hub.web.params import BadParameter
from hub.web.render import render

MAX_REFERENCE = 200


def _reference(text: str) -> str:
    reference = text.strip()
    if not reference or len(reference) > MAX_REFERENCE or any(c in reference for c in "\r\n"):
        raise BadParameter("that is not a person id or a partner record of this hub")
    return reference


async def search_page(request: Request) -> Response:
    who = require(request, Role.DPO)
    values: dict[str, object] = {
        "title": "Subject access",
        "csrf_token": who.session.csrf_token,
        "query": SubjectQuery(),
        "candidates": None,
        "problem": None,
    }
    if request.method == "POST":
        form = await checked_form(request, who)
        born = str(form.get("date_of_birth", "")).strip()
        try:
            date_of_birth = datetime.date.fromisoformat(born) if born else None
        except ValueError:
            date_of_birth = None
        query = SubjectQuery(
            surname=str(form.get("surname", ""))[:100],
            forename=str(form.get("forename", ""))[:100],
            date_of_birth=date_of_birth,
            identifier=str(form.get("identifier", ""))[:100],
        )
        values["query"] = query
        try:
            candidates = find_subject(context(request).config, query)
        except SubjectQueryError as error:
            values["problem"] = error.message
        else:
            record_consultation(
                context(request),
                who,
                "/dpo/subject",
                person_ids=[c.person_id for c in candidates if c.person_id],
                records=[r.key for c in candidates for r in c.records],
                filters=[("search by", "identifier" if query.by_identifier else "name and DOB")],
                name_search=not query.by_identifier,
            )
            values["candidates"] = candidates
    return render(request, "dpo_subject.html", values)


async def person_page(request: Request) -> Response:
    who = require(request, Role.DPO)
    ctx = context(request)
    reference = _reference(request.query_params.get("ref", ""))
    try:
        holdings = subject_holdings(ctx.config, reference)
    except SubjectNotHeld as error:
        record_consultation(ctx, who, "/dpo/subject/person")
        return render(
            request, "error.html", {"title": "Not held", "message": error.message}, status_code=404
        )
    record_consultation(
        ctx,
        who,
        "/dpo/subject/person",
        person_ids=[holdings.person_id] if holdings.person_id else [],
        records=list(holdings.record_keys),
    )
    return render(
        request,
        "dpo_subject_person.html",
        {
            "title": "Subject access: held",
            "h": holdings,
            "csrf_token": who.session.csrf_token,
            "ref": quote(reference, safe=""),
        },
    )


async def pack_download(request: Request) -> Response:
    who = require(request, Role.DPO)
    form = await checked_form(request, who)
    ctx = context(request)
    reference = _reference(str(form.get("ref", "")))
    try:
        holdings = subject_holdings(ctx.config, reference)
    except SubjectNotHeld as error:
        raise Refused(error.message) from error
    try:
        pack = make_response_pack(
            holdings, str(form.get("request_reference", ""))[:100], ctx.audit, actor=who.name
        )
    except (PackRefused, PersonalDataInReason) as error:
        return render(
            request,
            "error.html",
            {"title": "No pack made", "message": error.message},
            status_code=400,
        )
    return Response(
        pack.content,
        media_type="application/zip",
        headers={"content-disposition": f'attachment; filename="{pack.name}"'},
    )


ROUTES = [
    Route("/dpo/subject", search_page, methods=["GET", "POST"]),
    Route("/dpo/subject/person", person_page),
    Route("/dpo/subject/pack", pack_download, methods=["POST"]),
]
