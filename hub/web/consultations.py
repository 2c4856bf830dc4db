"""Every look at personal data through the web app, written to the audit log (DPA 2018 s.62).

An entry names who (the signed-in account), when, what (the page, the release, the recipient's
person ids shown, the filters used) and why (the purpose chosen for the session). A name typed
into the search box is personal data: the entry says that a name search was made, never what.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.audit import Operation
from hub.web.context import WebContext
from hub.web.guard import Visitor

MAX_IDS_PER_ENTRY = 500


def record_consultation(
    ctx: WebContext,
    who: Visitor,
    page: str,
    *,
    person_ids: Sequence[str] = (),
    release_id: str | None = None,
    recipient: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
    name_search: bool = False,
    export: str | None = None,
) -> None:
    """Append one consultation entry; raises (refusing the page) if the log cannot be written."""
    objects: dict[str, object] = {"page": page, "purpose": who.session.purpose}
    if release_id:
        objects["release_id"] = release_id
    if recipient:
        objects["view_of"] = recipient
    if person_ids:
        objects["person_ids"] = list(person_ids[:MAX_IDS_PER_ENTRY])
    if filters:
        objects["filters"] = [f"{name}={value}" for name, value in filters]
    if name_search:
        objects["name_search"] = True
    if export:
        objects["export"] = export
    ctx.audit.record(
        Operation.CONSULTATION,
        "web_view",
        objects=objects,
        counts={"people": len(person_ids)},
        actor=who.name,
        reason=f"purpose: {who.session.purpose}",
    )
