"""After a release is placed: record it as a disclosure, recover what a killed run left
half-recorded, and deliver the latest release to the recipient's own location, once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from connectors.files import sha256_file
from hub.audit.events import Release, ReleaseDelivered
from hub.run.deliver import push_release
from hub.run.publish_context import PublishContext, ReleaseOutcome
from hub.run.release_files import (
    MANIFEST,
    read_manifest,
    releases_in,
    remove_leftovers,
    verify_release,
)
from hub.sharing_config import RecipientConfig
from hub.state import utc_now
from hub.workspace import Workspace
from sharing_agreements.errors import ReleaseCheckFailed


def record_release(
    context: PublishContext,
    recipient: str,
    release: Path,
    manifest: dict[str, Any],
    *,
    recovered: bool = False,
) -> None:
    """Record a placed release as a disclosure (ids and counts only) and mark it recorded."""
    decisions = _read_decisions(context.workspace, recipient, release.name)
    withheld: dict[str, int] = {}
    for entry in decisions.get("withheld", []):
        withheld[entry["code"]] = withheld.get(entry["code"], 0) + int(entry["count"])
    agreements = manifest.get("agreements", [])
    context.audit.record(
        Release(
            recipient=recipient,
            release_id=release.name,
            path=str(release),
            agreements=tuple(f"{a['id']} v{a['version']}" for a in agreements),
            agreement_sha256=tuple(a.get("sha256") or "" for a in agreements)
            if any(a.get("sha256") for a in agreements)
            else (),
            fields=tuple(f["name"] for f in manifest.get("fields", [])),
            key_id=manifest.get("key_id"),
            manifest_sha256=sha256_file(release / MANIFEST),
            recovered=recovered,
            rows=int(manifest.get("row_count", 0)),
            withheld=withheld,
            agreement_id=",".join(a["id"] for a in agreements),
            reason="; ".join(a["title"] for a in agreements),
        )
    )
    context.state.set_fact(f"release:{recipient}:{release.name}", utc_now())


def _read_decisions(workspace: Workspace, recipient: str, release_id: str) -> dict[str, Any]:
    path = workspace.release_record(recipient, release_id).decisions
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def recover(context: PublishContext, recipient: RecipientConfig) -> list[str]:
    """Tidy after a killed run: remove temporary folders, record releases placed unrecorded."""
    folder = recipient.delivery_folder(context.workspace.root)
    for name in remove_leftovers(folder) + remove_leftovers(
        context.workspace.release_records(recipient.name)
    ):
        context.reporter.note(f"{recipient.name}: removed {name} left by an interrupted run")
    recovered = []
    for release in releases_in(folder):
        if context.state.fact(f"release:{recipient.name}:{release.name}"):
            continue
        if _audited(context, Release, recipient.name, release.name):
            context.state.set_fact(f"release:{recipient.name}:{release.name}", utc_now())
            continue  # recorded by a run killed before it noted so
        problems = verify_release(release)
        if problems:
            raise ReleaseCheckFailed(
                f"{recipient.name}: release {release.name} was never recorded and fails its "
                f"checks: {'; '.join(problems)}",
                hint="move the folder aside and publish again",
            )
        record_release(
            context, recipient.name, release, read_manifest(release) or {}, recovered=True
        )
        recovered.append(release.name)
        context.reporter.note(
            f"{recipient.name}: recorded release {release.name} placed by an interrupted run"
        )
    return recovered


def deliver_latest(
    context: PublishContext, recipient: RecipientConfig, outcome: ReleaseOutcome
) -> None:
    if recipient.push is None:
        return
    placed = releases_in(recipient.delivery_folder(context.workspace.root))
    if not placed:
        return
    latest = placed[-1]
    key = f"delivered:{recipient.name}:{latest.name}"
    if context.state.fact(key):
        return
    placed_now = outcome.status == "published" and outcome.release_id == latest.name
    if not placed_now and _audited(context, ReleaseDelivered, recipient.name, latest.name):
        context.state.set_fact(key, utc_now())  # pushed and recorded by a run killed since
        context.reporter.note(f"{recipient.name}: release {latest.name} was pushed already")
        return
    location = push_release(recipient, latest, context.config.environment)
    context.audit.record(
        ReleaseDelivered(recipient=recipient.name, release_id=latest.name, to=location)
    )
    context.state.set_fact(key, utc_now())
    context.on_step("delivered")
    outcome.delivered_to = location
    context.reporter.done(f"{recipient.name}: release {latest.name} pushed to {location}")


def _audited(
    context: PublishContext, kind: type[Release | ReleaseDelivered], recipient: str,
    release_id: str,
) -> bool:  # fmt: skip
    """Whether the audit log holds a ``kind`` event for this release already. The state database
    is told after the audit log, so a run killed between the two leaves an entry it never noted;
    the log is read only for releases placed by an earlier run and not noted."""
    return any(
        isinstance(entry.event, kind)
        and (entry.event.recipient, entry.event.release_id) == (recipient, release_id)
        for entry in context.audit.events()
    )
