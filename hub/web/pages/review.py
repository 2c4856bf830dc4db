"""Clerical review (role ``reviewer``): the queue, decisions and their withdrawal, blind mode,
and the labels download. Every page showing records is an audited consultation; every decision
is audited before it takes effect (:mod:`hub.run.review_decisions`).
"""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.review_decisions import (
    DecisionKind,
    decide,
    list_decisions,
    record_key,
    text_of,
    withdraw,
)
from hub.run.review_labels import labels_csv, model_accuracy
from hub.run.review_queue import REASONS, QueueFilter, queue_page
from hub.run.review_store import ReviewStore
from hub.web.consultations import record_consultation
from hub.web.guard import Redirect, Visitor, checked_form, context, require, safe_next
from hub.web.params import one_of, page_number
from hub.web.render import render
from matching.errors import ReviewError
from schemas.errors import HubError

STATUSES = ("open", "awaiting second reviewer", "decided", "all")


def refused_decision(request: Request, error: HubError) -> Response:
    """A decision or view the services refused, said plainly (400)."""
    return render(request, "error.html", {"title": "Not done", "message": str(error)},
                  status_code=400)  # fmt: skip


def is_blind(request: Request, who: Visitor) -> bool:
    """Whether this reviewer has blind mode on."""
    with ReviewStore(context(request).workspace.matched.review_state) as store:
        return store.blind(who.name)


def _filter(request: Request) -> QueueFilter:
    query = request.query_params
    reason = one_of(query, "reason", REASONS, "") or None
    return QueueFilter(reason=reason, agencies=(query.get("agencies") or None),
                       page=page_number(query),
                       status=one_of(query, "status", STATUSES, "open"))  # fmt: skip


async def queue(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    ctx = context(request)
    wanted = _filter(request)
    shown = queue_page(ctx.config, wanted)
    held = [row for row in list_decisions(ctx.config) if row.status == "awaiting second reviewer"]
    filters = [
        (k, v)
        for k, v in (
            ("reason", wanted.reason),
            ("agencies", wanted.agencies),
            ("status", wanted.status),
            ("page", str(shown.page)),
        )
        if v
    ]
    records = [text_of(key) for item in shown.items for key in (item.left, item.right)]
    records += [text for row in held for text in (row.left_text, row.right_text)]
    record_consultation(ctx, who, "/review", records=records, filters=filters)

    def page_link(number: int) -> str:
        return "/review?" + urlencode([(k, v) for k, v in filters if k != "page"]
                                      + [("page", str(number))])  # fmt: skip

    return render(request, "review_queue.html", {
        "title": "Review", "q": shown, "wanted": wanted, "reasons": REASONS,
        "statuses": STATUSES, "held": held, "blind": is_blind(request, who),
        "csrf_token": who.session.csrf_token, "page_link": page_link,
    })  # fmt: skip


async def decide_pair(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    form = await checked_form(request, who)
    ctx = context(request)
    back = safe_next(str(form.get("next", "/review")))
    try:
        kind = DecisionKind(str(form.get("decision", "")))
    except ValueError:
        return refused_decision(request, ReviewError("choose same, different or not sure"))
    try:
        left, right = record_key(str(form.get("left", ""))), record_key(str(form.get("right", "")))
        result = decide(ctx.config, ctx.audit, left, right, kind, by=who.name,
                        note=str(form.get("note", "")), actor=who.name)  # fmt: skip
    except HubError as error:
        return refused_decision(request, error)
    joiner = "&" if "?" in back else "?"
    raise Redirect(f"{back}{joiner}{urlencode({'done': result.outcome.value})}")


async def withdraw_decision(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    form = await checked_form(request, who)
    ctx = context(request)
    try:
        left, right = record_key(str(form.get("left", ""))), record_key(str(form.get("right", "")))
        withdraw(ctx.config, ctx.audit, left, right, by=who.name,
                 note=str(form.get("note", "")), actor=who.name)  # fmt: skip
    except HubError as error:
        return refused_decision(request, error)
    raise Redirect("/review/decisions?done=withdrawn")


async def decisions_page(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    ctx = context(request)
    rows = list_decisions(ctx.config)
    record_consultation(
        ctx,
        who,
        "/review/decisions",
        records=[t for row in rows for t in (row.left_text, row.right_text)],
    )
    try:
        accuracy = model_accuracy(ctx.config)
    except HubError as error:
        accuracy, accuracy_error = None, str(error)
    else:
        accuracy_error = None
    return render(request, "review_decisions.html", {
        "title": "Decisions", "rows": rows, "csrf_token": who.session.csrf_token,
        "done": request.query_params.get("done"), "accuracy": accuracy,
        "accuracy_error": accuracy_error,
    })  # fmt: skip


async def blind_setting(request: Request) -> Response:
    who = require(request, Role.REVIEWER, personal=False)
    form = await checked_form(request, who)
    with ReviewStore(context(request).workspace.matched.review_state) as store:
        store.set_blind(who.name, form.get("blind") == "on")
    raise Redirect(safe_next(str(form.get("next", "/review"))))


async def labels_download(request: Request) -> Response:
    who = require(request, Role.REVIEWER)
    ctx = context(request)
    text, count = labels_csv(ctx.config)
    record_consultation(ctx, who, "/review/labels.csv", export="labels", filters=[
        ("labels", str(count))])  # fmt: skip
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S")
    return Response(text, media_type="text/csv", headers={
        "content-disposition": f'attachment; filename="review-labels-{stamp}.csv"'})  # fmt: skip


ROUTES = [
    Route("/review", queue),
    Route("/review/decide", decide_pair, methods=["POST"]),
    Route("/review/withdraw", withdraw_decision, methods=["POST"]),
    Route("/review/decisions", decisions_page),
    Route("/review/blind", blind_setting, methods=["POST"]),
    Route("/review/labels.csv", labels_download),
]
