"""The reviewer's look at records: a queued pair, any two records ("why (not) linked"), and the
person a record belongs to as a graph. Each is an audited consultation; each offers a decision.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.explain import explain_among
from hub.run.review_decisions import list_decisions, record_key, text_of
from hub.run.review_queue import queued_pair
from hub.run.review_records import cluster_view, record_values, side_by_side
from hub.web.consultations import record_consultation
from hub.web.guard import context, require
from hub.web.pages.review import is_blind, refused_decision
from hub.web.render import render
from hub.web.review_charts import cluster_svg, waterfall_svg
from matching.errors import ReviewError
from matching.registry import RecordKey, pair_key
from schemas.errors import HubError


async def pair_page(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    ctx = context(request)
    item = queued_pair(ctx.config, request.path_params["pair_id"])
    if item is None:
        return render(request, "error.html", {
            "title": "Not found", "message": "There is no such pair in the last review list."
        }, status_code=404)  # fmt: skip
    return _records_page(request, who, item.left, item.right, reason=item.reason,
                         here=f"/review/pair/{item.pair_id}")  # fmt: skip


async def records_page(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    query = request.query_params
    if not query.get("left") or not query.get("right"):
        return render(request, "review_records_form.html", {"title": "Why (not) linked"})
    try:
        left, right = record_key(query["left"]), record_key(query["right"])
    except HubError as error:
        return refused_decision(request, error)
    here = "/review/records?" + urlencode({"left": text_of(left), "right": text_of(right)})
    return _records_page(request, who, left, right, reason=None, here=here)


def _records_page(request: Request, who, left: RecordKey, right: RecordKey,  # type: ignore[no-untyped-def]
                  *, reason: str | None, here: str) -> Response:  # fmt: skip
    ctx = context(request)
    if left == right:
        return refused_decision(request, ReviewError("that is one record twice"))
    try:
        values = record_values(ctx.config, [left, right])
        among = explain_among(ctx.config, [left, right])
    except HubError as error:
        return refused_decision(request, error)
    record_consultation(ctx, who, here.split("?")[0], records=[v.text for v in values])
    [evidence] = among.evidence.values()
    a, b = pair_key(left, right)
    decisions = [row for row in list_decisions(ctx.config) if (row.left, row.right) == (a, b)]
    decided_by_me = any(row.decided_by == who.name for row in decisions)
    hidden = is_blind(request, who) and not decided_by_me
    return render(request, "review_pair.html", {
        "title": "Pair", "left": values[0], "right": values[1], "reason": reason,
        "raw": side_by_side(values[0].raw, values[1].raw),
        "standard": side_by_side(values[0].standard, values[1].standard),
        "evidence": evidence, "link_weight": among.link_weight, "hidden": hidden,
        "chart": None if hidden else waterfall_svg(evidence, among.link_weight),
        "decisions": decisions, "here": here, "csrf_token": who.session.csrf_token,
        "done": request.query_params.get("done"),
        "same_person": values[0].person_id is not None
        and values[0].person_id == values[1].person_id,
    })  # fmt: skip


async def cluster_page(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    ctx = context(request)
    try:
        key = record_key(request.query_params.get("record", ""))
        view = cluster_view(ctx.config, key)
    except HubError as error:
        return refused_decision(request, error)
    record_consultation(ctx, who, "/review/cluster", records=[r.text for r in view.records],
                        person_ids=[view.person_id])  # fmt: skip
    here = "/review/cluster?" + urlencode({"record": text_of(key)})
    blind = is_blind(request, who)
    return render(request, "review_cluster.html", {
        "title": "Person", "view": view, "graph": cluster_svg(view, weights=not blind),
        "here": here, "csrf_token": who.session.csrf_token,
        "done": request.query_params.get("done"), "blind": blind,
    })  # fmt: skip


ROUTES = [
    Route("/review/pair/{pair_id:str}", pair_page),
    Route("/review/records", records_page),
    Route("/review/cluster", cluster_page),
]
