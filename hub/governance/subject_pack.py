"""The subject access response pack: one zip for the data subject, audited as a disclosure.

The pack holds ``response.html`` (a readable cover: what the hub holds, who received what, who
looked) and the same as CSV files (``records.csv``: every value of every partner record as held;
``releases.csv``: every field and value each release sent, pseudonyms as sent; ``access.csv``:
every consultation and re-identification about them). Making it writes a
:class:`~hub.audit.events.SubjectAccessDisclosed` entry (with the pack's SHA-256) *before* the
pack is handed back: without an audit key there is no pack.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import zipfile
from dataclasses import dataclass

from hub.audit.events import SubjectAccessDisclosed
from hub.audit.log import AuditLog
from hub.audit.reasons import refuse_personal_data
from hub.governance.dpo_html_cells import cell, tabulate, time_cell
from hub.governance.subject_holdings import SubjectHoldings
from hub.run.exports import csv_bytes
from schemas.errors import HubError

PACK_STYLE = (
    "body{font:15px/1.4 sans-serif;margin:2rem;max-width:70rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
    "td,th{border:1px solid #bbb;padding:.2rem .5rem;text-align:left;vertical-align:top}"
)


class PackRefused(HubError):
    """A pack asked for without the request's reference."""


@dataclass(frozen=True)
class ResponsePack:
    """The pack's bytes, its file name and SHA-256."""

    name: str
    content: bytes
    sha256: str


def _records_csv(holdings: SubjectHoldings) -> bytes:
    rows = [
        (row.source, row.source_record_id, row.extract_id, name, value)
        for row in holdings.rows
        for name, value in row.values
    ]
    return csv_bytes(("partner", "record_id", "extract", "field", "value"), rows)


def _releases_csv(holdings: SubjectHoldings) -> bytes:
    rows = []
    for release in holdings.releases:
        agreements = ", ".join(f"{a} v{v}" for a, v in release.agreements)
        sent = release.values or tuple((f, p) for f, p in release.pseudonyms)
        rows += [
            (release.recipient, release.release_id, agreements, name, value) for name, value in sent
        ]
    return csv_bytes(("recipient", "release_id", "agreements", "field", "value sent"), rows)


def _access_csv(holdings: SubjectHoldings) -> bytes:
    rows = [
        (
            a.entry.time.isoformat(timespec="seconds"),
            a.entry.who,
            a.entry.kind_label,
            a.entry.purpose,
            a.entry.what,
            a.how,
            a.entry.outcome,
        )
        for a in holdings.access
    ]
    return csv_bytes(("time", "who", "kind", "purpose", "what", "about them by", "outcome"), rows)


def _cover(holdings: SubjectHoldings, reference: str, made: datetime.datetime) -> str:
    records = tabulate(
        ["Partner", "Record", "Extract", "Values as held"],
        [
            [
                cell(r.source),
                cell(r.source_record_id),
                cell(r.extract_id),
                "<br>".join(f"{cell(n)}: {cell(v)}" for n, v in r.values),
            ]
            for r in holdings.rows
        ],
        empty="No partner record is held.",
    )
    releases = tabulate(
        ["Recipient", "Release", "Agreements", "Fields and values sent"],
        [
            [
                cell(r.recipient),
                cell(r.release_id),
                cell([f"{a} v{v}" for a, v in r.agreements]),
                "<br>".join(f"{cell(n)}: {cell(v)}" for n, v in (r.values or r.pseudonyms)),
            ]
            for r in holdings.releases
        ],
        empty="No release included them.",
    )
    access = tabulate(
        ["When", "Who", "Kind", "Why"],
        [
            [
                time_cell(a.entry.time.isoformat()),
                cell(a.entry.who),
                cell(a.entry.kind_label),
                cell(a.entry.purpose),
            ]
            for a in holdings.access
        ],
        empty="Nobody looked at their data.",
    )
    return (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>Subject access response "
        f"{cell(reference)}</title><style>{PACK_STYLE}</style><h1>Subject access response "
        f"{cell(reference)}</h1><p>Made {cell(made.isoformat(timespec='seconds'))} by the IOM "
        f"Exchange Hub. {cell(holdings.note) if holdings.note else ''}</p>"
        f"<h2>Records held, per partner</h2>{records}"
        f"<h2>Releases that included them</h2>{releases}<h2>Who looked at their data, and why"
        f"</h2>{access}</html>"
    )


def make_response_pack(
    holdings: SubjectHoldings, reference: str, audit: AuditLog, *, actor: str
) -> ResponsePack:
    """The pack for ``holdings``, recorded in the audit log (as a disclosure to the data subject,
    under the request's ``reference``) before it is returned."""
    reference = reference.strip()
    if not reference:
        raise PackRefused("a response pack needs the request's reference", hint="e.g. SAR-2026-017")
    refuse_personal_data(reference, "a subject access request's reference")
    made = datetime.datetime.now(datetime.UTC)
    buffer = io.BytesIO()
    stamp = made.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as pack:
        for name, content in (
            ("response.html", _cover(holdings, reference, made).encode()),
            ("records.csv", _records_csv(holdings)),
            ("releases.csv", _releases_csv(holdings)),
            ("access.csv", _access_csv(holdings)),
        ):
            pack.writestr(zipfile.ZipInfo(name, stamp), content)
    content = buffer.getvalue()
    digest = hashlib.sha256(content).hexdigest()
    audit.record(
        SubjectAccessDisclosed(
            person_id=holdings.person_id,
            records=holdings.record_keys,
            releases=len(holdings.releases),
            consultations=len(holdings.access),
            sha256=digest,
            reason=reference,
        ),
        actor=actor,
    )
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in reference)[:60]
    return ResponsePack(f"subject-access-{safe}.zip", content, digest)
