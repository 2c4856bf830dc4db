"""One person as the IOM team's view holds them: every value with the partner's extract it came
from, the agencies that know them (where an agreement allows saying so), and their history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hub.accounts import Role
from hub.run.person_history import person_history
from hub.run.team_view import latest_release, person_view
from hub.web.consultations import record_consultation
from hub.web.guard import context, require
from hub.web.render import render
from schemas.errors import HubError


def _not_in_view(request: Request) -> Response:
    return render(
        request,
        "error.html",
        {"title": "Not in the view", "message": "Nobody with that id is in the current view."},
        status_code=404,
    )


async def person_page(request: Request) -> Response:
    who = require(request, Role.IOM_OFFICER)
    ctx = context(request)
    person_id = request.path_params["person_id"]
    if not person_id.isalnum() or len(person_id) > 64:
        return _not_in_view(request)
    release = latest_release(ctx.config, ctx.config.web.cohort_recipient)
    record = ctx.workspace.release_record(release.recipient, release.release_id)
    person = person_view(ctx.tables, release, person_id, record.provenance)
    record_consultation(
        ctx,
        who,
        "/people",
        person_ids=[person_id] if person else [],
        release_id=release.release_id,
        recipient=release.recipient,
    )
    if person is None:
        return _not_in_view(request)
    try:
        told = frozenset(person.value_of("known_to") or ())
        history = person_history(ctx.config, release.recipient, release.release_id, person_id, told)
        history_problem = None
    except HubError as error:
        history, history_problem = None, error.message
    return render(
        request,
        "person.html",
        {"title": "Person", "person": person, "history": history,
         "history_problem": history_problem},
    )  # fmt: skip


ROUTES = [Route("/people/{person_id:str}", person_page)]
