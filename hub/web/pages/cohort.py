"""The IOM team's cohort: search, filter, sort, page, export; and what changed since last run."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.exports import csv_bytes, xlsx_bytes
from hub.run.linked_records import LinkedRecord, linked_records
from hub.run.team_view import (
    FACETS,
    PeopleQuery,
    all_people,
    changes_since_previous,
    known_to_of,
    latest_release,
    query_people,
    releases_of,
)
from hub.web.consultations import record_consultation
from hub.web.guard import context, require
from hub.web.params import day, one_of, page_number
from hub.web.render import render
from schemas.errors import HubError

FACET_LABELS = {
    "ogrs_band": "OGRS band",
    "rosh_level": "RoSH",
    "offence_type": "Offence type",
    "da_flag": "Domestic abuse flag",
    "sentence_type": "Sentence",
    "accommodation_status": "Accommodation",
    "treatment_status": "Treatment status",
    "known_to": "Known to",
}
LIST_COLUMNS = (
    "surname",
    "forename",
    "date_of_birth",
    "offence_type",
    "ogrs_score",
    "rosh_level",
    "rfg_score",
    "sentence_end_date",
    "accommodation_status",
    "treatment_status",
    "known_to",
)
SORTABLE = (*LIST_COLUMNS, "person_id")


def _query(request: Request) -> PeopleQuery:
    params = request.query_params
    filters = tuple((facet, value) for facet in FACETS for value in params.getlist(facet) if value)
    rfg = params.get("rfg_at_least", "")
    return PeopleQuery(
        q=params.get("q", "")[:100],
        filters=filters,
        sentence_ends_before=day(params, "sentence_ends_before"),
        rfg_at_least=int(rfg) if rfg.isdigit() and len(rfg) < 6 else None,
        sort=one_of(params, "sort", SORTABLE, "surname"),
        descending=one_of(params, "order", ("asc", "desc"), "asc") == "desc",
        page=page_number(params),
    )


def _link(query: PeopleQuery, **changes: object) -> str:
    values: dict[str, object] = {
        "q": query.q,
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
        "page": query.page,
        "sentence_ends_before": query.sentence_ends_before.isoformat()
        if query.sentence_ends_before
        else "",
        "rfg_at_least": query.rfg_at_least,
    }
    values.update(changes)
    pairs = [(k, str(v)) for k, v in values.items() if v not in ("", None)]
    pairs += [(facet, value) for facet, value in query.filters]
    return "?" + urlencode(pairs)


async def cohort_page(request: Request) -> Response:
    who = require(request, Role.IOM_OFFICER)
    ctx = context(request)
    release = latest_release(ctx.config, ctx.config.web.cohort_recipient)
    query = _query(request)
    page = query_people(ctx.tables, release, query)
    record_consultation(
        ctx,
        who,
        "/cohort",
        person_ids=page.person_ids,
        release_id=release.release_id,
        recipient=release.recipient,
        filters=query.every_filter,
        name_search=bool(query.q.strip()),
    )
    shown = [c for c in LIST_COLUMNS if c in page.columns]
    return render(
        request,
        "cohort.html",
        {
            "title": "Cohort",
            "page": page,
            "query": query,
            "columns": shown,
            "facet_labels": FACET_LABELS,
            "link": lambda **c: _link(query, **c),
            "selected": set(query.filters),
            "csrf_token": who.session.csrf_token,
        },
    )


async def cohort_export(request: Request) -> Response:
    who = require(request, Role.IOM_OFFICER)
    kind = request.path_params["kind"]
    if kind not in ("csv", "xlsx"):
        missing = {"title": "Not found", "message": "no such export: choose csv or xlsx"}
        return render(request, "error.html", missing, status_code=404)
    ctx = context(request)
    release = latest_release(ctx.config, ctx.config.web.cohort_recipient)
    query = _query(request)
    columns, rows = all_people(ctx.tables, release, query)
    record_consultation(
        ctx,
        who,
        f"/cohort/export.{kind}",
        person_ids=[str(r[0]) for r in rows],
        release_id=release.release_id,
        recipient=release.recipient,
        filters=query.every_filter,
        name_search=bool(query.q.strip()),
        export=kind,
    )
    stem = f"cohort-{release.release_id}"
    if kind == "xlsx":
        body = xlsx_bytes(columns, rows, title="Cohort")
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, media = csv_bytes(columns, rows), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={"content-disposition": f'attachment; filename="{stem}.{kind}"'},
    )


async def changes_page(request: Request) -> Response:
    who = require(request, Role.IOM_OFFICER)
    ctx = context(request)
    releases = releases_of(ctx.config, ctx.config.web.cohort_recipient)
    if not releases:
        latest_release(ctx.config, ctx.config.web.cohort_recipient)  # says there is none yet
    changes = changes_since_previous(ctx.tables, releases)
    linked: tuple[LinkedRecord, ...] = ()
    linked_problem = None
    if changes.previous is not None:
        told = known_to_of(ctx.tables, changes.latest)
        try:
            linked = linked_records(ctx.config, changes.latest, changes.previous, told)
        except HubError as error:
            linked_problem = error.message
    record_consultation(
        ctx,
        who,
        "/changes",
        person_ids=sorted({c.person_id for c in changes.changes} | {r.person_id for r in linked}),
        release_id=changes.latest.release_id,
        recipient=changes.latest.recipient,
    )
    return render(
        request,
        "changes.html",
        {"title": "What changed", "changes": changes, "linked": linked,
         "linked_problem": linked_problem},
    )  # fmt: skip


ROUTES = [
    Route("/cohort", cohort_page),
    Route("/cohort/export.{kind:str}", cohort_export),
    Route("/changes", changes_page),
]
