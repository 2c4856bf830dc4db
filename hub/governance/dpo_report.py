"""The Data Protection Officer's report: who received which fields about whom, under which
agreement and lawful basis, and who re-identified anyone and why.

Gathered mainly from the verified audit log, read back as typed events (entries after the first
bad one are not used, and the report says so), with the agreement register, the state database
(quarantined rows per extract), the quarantine folder, the releases on disk (a release with no
disclosure entry is flagged; distinct people and people with health data,
:mod:`hub.governance.dpo_people`) and the retention plan. Each release is described under the
text of each agreement version it was made under (kept in the workspace, named by SHA-256 in its
disclosure entry), not under the agreement file as it reads today. :func:`build_dpo_report`
returns a JSON-ready document; :mod:`hub.governance.dpo_html` renders it as one self-contained
HTML file.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from connectors.pull import REJECTED_SUFFIX
from hub.audit.codec import entry_fields
from hub.audit.events import (
    AuditEntry,
    Operation,
    PersonFound,
    Pull,
    Reidentified,
    ReidentifyFailed,
    ReidentifyRefused,
    Release,
    ReleaseDelivered,
    ReleaseRejected,
)
from hub.audit.log import current_actor
from hub.config import HubConfig
from hub.governance.agreement_register import agreement_register, describe_basis
from hub.governance.dpo_people import pseudonym_keys, released_people
from hub.governance.retention import plan_retention
from hub.run.agreement_versions import kept_version
from hub.run.releases import list_releases
from hub.state import StateStore
from hub.workspace import Workspace
from schemas.errors import ConfigError

REPORT_VERSION = 1
DEFAULT_PERIOD_DAYS = 30
REPORT_SUFFIXES = (".html", ".htm", ".json")
"""What ``--out`` may end in: the report is written as HTML, or as its JSON document."""
"""The period a report covers when no first day is given."""


def _time(entry: AuditEntry) -> str:
    """An entry's time as the log stores it."""
    return entry.time.isoformat(timespec="milliseconds")


def _agreement_ids(release: Release) -> list[str]:
    """Agreement ids a release names: ``agreement_id`` (one, or several joined by commas) and
    ``agreements`` (``"ID vN"``)."""
    ids = release.agreement_id.split(",") + list(release.agreements)
    found: list[str] = []
    for text in ids:
        agreement = re.sub(r" v\d+(\.\d+)*$", "", text.strip())
        if agreement and agreement not in found:
            found.append(agreement)
    return found


def _versions(release: Release, workspace: Workspace) -> list[dict[str, Any]]:
    """The agreement versions a release names, each with its lawful basis as its kept text
    says (None when the entry predates kept versions or the text is not kept)."""
    versions = []
    for label, digest in zip(release.agreements, release.agreement_sha256, strict=False):
        agreement_id, _, version = label.rpartition(" v")
        kept = kept_version(workspace, agreement_id, version, digest) if digest else None
        basis = "; ".join(describe_basis(b) for b in kept.lawful_basis) if kept else None
        versions.append({"agreement": label, "sha256": digest, "lawful_basis": basis})
    return versions


def _brief(entry: AuditEntry) -> dict[str, Any]:
    """An entry as the report lists it: when, by whom, and what its event records (keys in the
    order the log stores them)."""
    fields = entry_fields(entry.event)
    return {"sequence": entry.sequence, "time": _time(entry), "actor": entry.actor,
            "operation": fields["operation"], "action": fields["action"],
            "objects": dict(sorted(fields["objects"].items())),
            "counts": dict(sorted(fields["counts"].items())),
            "agreement_id": fields["agreement_id"], "reason": fields["reason"]}  # fmt: skip


def _consultation(entry: AuditEntry) -> dict[str, Any]:
    """A consultation as the report lists it, with its outcome in words: a re-identification
    that found nobody reads as such, never as a re-identification."""
    event = entry.event
    if isinstance(event, Reidentified):
        outcome = "re-identified" if event.found else "found nobody"
    elif isinstance(event, ReidentifyRefused):
        outcome = "refused"
    elif isinstance(event, ReidentifyFailed):
        outcome = "failed"
    elif isinstance(event, PersonFound):
        outcome = "found" if event.person_id or event.records else "found nobody"
    else:
        outcome = event.action
    return {**_brief(entry), "outcome": outcome}


def _disclosures(
    entries: list[AuditEntry], register: dict[str, dict[str, Any]], workspace: Workspace
) -> dict[str, Any]:
    releases, deliveries, refusals = [], [], []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        release = entry.event
        if isinstance(release, ReleaseDelivered):
            deliveries.append(_brief(entry))
            continue
        if not isinstance(release, Release):
            refusals.append(_brief(entry))
            continue
        agreements = _agreement_ids(release)
        recipient, rows, fields = release.recipient, release.rows, sorted(release.fields)
        time = _time(entry)
        versions = _versions(release, workspace)
        then = [v["lawful_basis"] for v in versions if v["lawful_basis"]]
        lawful_basis = "; ".join(sorted(set(then))) if then else "; ".join(
            sorted({register[a]["lawful_basis"] for a in agreements
                    if a in register and register[a]["lawful_basis"]})
        )  # fmt: skip
        releases.append(
            {
                "time": time,
                "actor": entry.actor,
                "recipient": recipient,
                "release_id": release.release_id,
                "agreement_ids": agreements,
                "agreement_versions": versions,
                "lawful_basis": lawful_basis,
                "fields": fields,
                "rows": rows,
                "sequence": entry.sequence,
            }
        )
        key = (", ".join(agreements) or "(none)", recipient, lawful_basis)
        group = groups.setdefault(
            key,
            {
                "agreement": key[0],
                "recipient": recipient,
                "releases": 0,
                "rows": 0,
                "fields": set(),
                "first": time,
                "last": time,
                "lawful_basis": lawful_basis,
            },
        )
        group["releases"] += 1
        group["rows"] += rows
        group["fields"].update(fields)
        group["last"] = time
    by_group = [{**g, "fields": sorted(g["fields"])} for g in groups.values()]
    by_group.sort(key=lambda g: (-g["rows"], g["agreement"], g["recipient"]))
    return {
        "releases": releases,
        "by_agreement_and_recipient": by_group,
        "deliveries": deliveries,
        "refusals": refusals,
    }


def _quarantine(workspace: Workspace, since: datetime.datetime) -> list[dict[str, Any]]:
    per_feed: dict[str, dict[str, Any]] = {}

    def feed_row(feed: str) -> dict[str, Any]:
        return per_feed.setdefault(
            feed,
            {
                "feed": feed,
                "extracts": 0,
                "extracts_rejected": 0,
                "rows_read": 0,
                "rows_accepted": 0,
                "rows_quarantined": 0,
                "reasons": Counter(),
                "quarantine_files": 0,
                "quarantine_bytes": 0,
                "files_rejected_on_checksum": 0,
            },
        )

    if workspace.state_path.exists():
        state = StateStore(workspace.state_path)
        try:
            extracts = state.extracts()
        finally:
            state.close()
        for extract in extracts:
            if datetime.datetime.fromisoformat(extract.landed_at) < since:
                continue
            row = feed_row(extract.feed)
            row["extracts"] += 1
            if extract.status == "rejected":
                row["extracts_rejected"] += 1
            row["rows_accepted"] += extract.rows_accepted or 0
            row["rows_quarantined"] += extract.rows_rejected or 0
            row["rows_read"] += (extract.rows_accepted or 0) + (extract.rows_rejected or 0)
            row["reasons"].update(extract.detail.get("rejections") or {})
    if workspace.quarantine.is_dir():
        for folder in sorted(p for p in workspace.quarantine.iterdir() if p.is_dir()):
            row = feed_row(folder.name)
            for path in folder.iterdir():
                if path.is_file():
                    row["quarantine_files"] += 1
                    row["quarantine_bytes"] += path.stat().st_size
                    if path.suffix == REJECTED_SUFFIX:
                        row["files_rejected_on_checksum"] += 1
    rows = []
    for row in sorted(per_feed.values(), key=lambda r: r["feed"]):
        reasons = row.pop("reasons")
        row["top_reasons"] = [{"reason": r, "rows": n} for r, n in reasons.most_common(5)]
        row["quarantined_share"] = (
            round(row["rows_quarantined"] / row["rows_read"], 4) if row["rows_read"] else 0.0
        )
        rows.append(row)
    return rows


def _collection(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    feeds: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(pull := entry.event, Pull):
            continue
        row = feeds.setdefault(pull.feed, {"feed": pull.feed, "files": 0, "bytes": 0, "last": None})
        row["files"] += 1
        row["bytes"] += pull.bytes
        row["last"] = _time(entry)
    return sorted(feeds.values(), key=lambda r: r["feed"])


def build_dpo_report(
    config: HubConfig,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """The DPO's report over [since, until] (whole UTC days; ``until`` defaults to today,
    ``since`` to :data:`DEFAULT_PERIOD_DAYS` before today)."""
    now = now or datetime.datetime.now(datetime.UTC)
    until = until or now.date()
    since = since or now.date() - datetime.timedelta(days=DEFAULT_PERIOD_DAYS)
    start = datetime.datetime.combine(since, datetime.time(), datetime.UTC)
    end = datetime.datetime.combine(
        until + datetime.timedelta(days=1), datetime.time(), datetime.UTC
    )
    workspace = Workspace(config.workspace)
    audit = workspace.open_audit(config.settings)
    result, verified = audit.verified_events()
    entries = [e for e in verified if start <= e.time < end]
    by_operation: dict[Operation, list[AuditEntry]] = defaultdict(list)
    for entry in entries:
        by_operation[entry.operation].append(entry)
    agreements = agreement_register(config, now.date())
    register = {a.agreement_id: a.as_dict() for a in agreements}
    disclosures = _disclosures(by_operation[Operation.DISCLOSURE], register, workspace)
    logged = {(r["recipient"], str(r["release_id"])) for r in disclosures["releases"]}
    logged_ever = {
        (e.event.recipient, e.event.release_id)
        for e in verified
        if isinstance(e.event, Release | ReleaseDelivered | ReleaseRejected)
    }
    unlogged = [
        r.as_dict() for r in list_releases(config) if (r.recipient, r.release_id) not in logged_ever
    ]
    plan = plan_retention(config, now, agreements)
    alterations = Counter(e.action for e in by_operation[Operation.ALTERATION])
    return {
        "report": "dpo",
        "version": REPORT_VERSION,
        "generated_at": now.isoformat(timespec="seconds"),
        "generated_by": current_actor(config.settings),
        "period": {"since": since.isoformat(), "until": until.isoformat()},
        "workspace": str(config.workspace),
        "audit": {
            "ok": result.ok,
            "entries": result.entries,
            "first_bad_sequence": result.first_bad_sequence,
            "problem": result.problem,
            "last_hash": result.last_hash,
            "key_id": audit.key_id,
            "entries_in_period": len(entries),
        },
        "activity": {str(op): len(by_operation[op]) for op in Operation},
        "agreements": [a.as_dict() for a in agreements],
        "disclosures": {
            **disclosures,
            "releases_logged_in_period": len(logged),
            "releases_without_audit_entry": unlogged,
        },
        "consultations": [_consultation(e) for e in by_operation[Operation.CONSULTATION]],
        "people": released_people(config),
        "pseudonym_keys": pseudonym_keys(verified),
        "quarantine": _quarantine(workspace, start),
        "retention": {
            "erasures": [_brief(e) for e in by_operation[Operation.ERASURE]],
            "due": [i.as_dict(workspace.root) for i in plan if i.due],
            "held_beyond_retention": [
                i.as_dict(workspace.root)
                for i in plan
                if not i.due and i.reason.startswith("held beyond")
            ],
            "without_retention_period": [
                i.as_dict(workspace.root) for i in plan if i.retention_days is None
            ],
        },
        "combination": [_brief(e) for e in by_operation[Operation.COMBINATION]],
        "alterations": dict(sorted(alterations.items())),
        "collection": _collection(by_operation[Operation.COLLECTION]),
        "configuration": [_brief(e) for e in by_operation[Operation.CONFIGURATION]],
    }


def write_dpo_report(
    config: HubConfig,
    out: Path,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> dict[str, Any]:
    """Build the report and write it to ``out`` (HTML, or JSON when ``out`` ends in .json)."""
    import json
    import os

    from hub.governance.dpo_html import render_html

    if out.suffix.lower() not in REPORT_SUFFIXES:
        raise ConfigError(
            f"{out}: the DPO report is written as HTML or JSON, not {out.suffix or 'no suffix'}",
            hint="give --out FILE.html (print it to PDF from a browser) or FILE.json",
        )
    document = build_dpo_report(config, since, until, now)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".json":
        text = json.dumps(document, indent=2, default=str) + "\n"
    else:
        text = render_html(document)
    temporary = out.with_name(f".{out.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, out)
    return document
