"""The data officer's pages: each feed's health, the recent runs, a run on demand, quarantine."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.hub_status import outstanding_extracts
from hub.run.operations import quarantine_sample, recent_runs
from hub.run.status import feed_status_rows
from hub.web.consultations import record_consultation
from hub.web.guard import Redirect, Refused, checked_form, context, require
from hub.web.render import render


async def feeds_page(request: Request) -> Response:
    who = require(request, Role.DATA_OFFICER, personal=False)
    ctx = context(request)
    return render(request, "feeds.html", {
        "title": "Feeds", "rows": feed_status_rows(ctx.config),
        "outstanding": outstanding_extracts(ctx.config),
        "runs": recent_runs(ctx.config), "running": ctx.runner.running,
        "run_error": ctx.runner.error, "csrf_token": who.session.csrf_token,
        "started": request.query_params.get("started") == "1",
    })  # fmt: skip


async def run_now(request: Request) -> Response:
    who = require(request, Role.DATA_OFFICER, personal=False)
    await checked_form(request, who)
    ctx = context(request)
    if not ctx.runner.start(ctx.config):
        raise Refused("a run started here is still going; wait for it to finish")
    raise Redirect("/feeds?started=1")


async def quarantine_page(request: Request) -> Response:
    who = require(request, Role.DATA_OFFICER)
    ctx = context(request)
    feed = request.path_params["feed"]
    if feed not in {f.name for f in ctx.config.feeds}:
        return render(
            request,
            "error.html",
            {"title": "Not found", "message": "no such feed"},
            status_code=404,
        )
    sample = quarantine_sample(ctx.config, feed)
    shown = [f"{feed}:{sample.extract_id}:{row.row_number}" for row in sample.sample]
    record_consultation(ctx, who, f"/feeds/{feed}/quarantine", records=shown)
    return render(request, "quarantine.html", {"title": f"Quarantine of {feed}", "q": sample})


ROUTES = [
    Route("/feeds", feeds_page),
    Route("/feeds/run", run_now, methods=["POST"]),
    Route("/feeds/{feed:str}/quarantine", quarantine_page),
]
