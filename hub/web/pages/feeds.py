"""The data officer's feeds page: each feed's last success, freshness, current extract, errors."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.status import feed_status_rows
from hub.web.guard import context, require
from hub.web.render import render


async def feeds_page(request: Request) -> Response:
    require(request, Role.DATA_OFFICER, personal=False)
    rows = feed_status_rows(context(request).config)
    return render(request, "feeds.html", {"title": "Feeds", "rows": rows})


ROUTES = [Route("/feeds", feeds_page)]
