"""Every look at personal data through the web app, written to the audit log (DPA 2018 s.62).

An entry names who (the signed-in account), when, what (the page, the release, the recipient's
person ids shown, the filters used) and why (the purpose chosen for the session). A name typed
into the search box is personal data: the entry says that a name search was made, never what.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.audit.events import Consultation
from hub.web.context import WebContext
from hub.web.guard import Visitor

MAX_IDS_PER_ENTRY = 500


def record_consultation(
    ctx: WebContext,
    who: Visitor,
    page: str,
    *,
    person_ids: Sequence[str] = (),
    records: Sequence[str] = (),
    release_id: str | None = None,
    recipient: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
    name_search: bool = False,
    export: str | None = None,
) -> None:
    """Append one consultation entry; raises (refusing the page) if the log cannot be written."""
    ctx.audit.record(
        Consultation(
            page=page,
            purpose=who.session.purpose or "",
            release_id=release_id,
            view_of=recipient,
            person_ids=tuple(person_ids[:MAX_IDS_PER_ENTRY]),
            records=tuple(records[:MAX_IDS_PER_ENTRY]),
            filters=tuple(f"{name}={value}" for name, value in filters),
            name_search=name_search,
            export=export,
            people=len(person_ids),
        ),
        actor=who.name,
    )
