"""The publishing stage: per recipient, write, check, then publish a release, all or nothing.

For each recipient: decide what the agreements in force allow (deny by default), build the view
from ``matched/persons.parquet``, write it into a temporary folder, check it (only allowed
columns, no clear value where the agreement pseudonymises, row counts, CSV safety), keep the
pseudonym map and the decisions inside the workspace, move the release into the recipient's
folder in one rename, record the disclosure in the audit log, then push it when a push
destination is configured. A killed run leaves the previous release as it was; the next run
removes the debris, records a release that was placed but not yet recorded, and completes the
delivery.

The manifest is built in :mod:`hub.run.release_manifest`; recording, recovery and delivery
after placing are in :mod:`hub.run.release_record`.

Workspace layout added by this stage::

    published/<recipient>/<release_id>/    view.parquet, view.csv, manifest.json (default folder)
    releases/<recipient>/<release_id>/     pseudonyms.sealed (encrypted), decisions.json (never
                                           published)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shutil
from pathlib import Path

from connectors.files import sha256_file
from hub.audit.events import ReleaseRejected, ReleaseWithheld
from hub.audit.log import AuditLog
from hub.audit.witness import checkpoint_now
from hub.cohort_membership import cohort_subjects
from hub.config import HubConfig
from hub.output import Reporter
from hub.run.agreement_versions import AgreementsInForce, agreements_in_force
from hub.run.provenance import matched_extracts, write_provenance
from hub.run.pseudonym_maps import seal_plain_maps, write_pseudonym_map
from hub.run.publish_context import PublishContext, ReleaseOutcome, Step
from hub.run.release_files import (
    MANIFEST,
    TEMPORARY_PREFIX,
    csv_problems,
    file_entry,
    move_into_place,
    new_release_id,
    read_manifest,
    releases_in,
    write_json,
    write_view_files,
)
from hub.run.release_manifest import build_manifest, decisions_record
from hub.run.release_record import deliver_latest, record_release, recover
from hub.sharing_config import RecipientConfig
from hub.state import StateStore
from hub.workspace import ReleaseRecord, Workspace
from schemas.duckdb_session import connect
from schemas.errors import HubError
from schemas.sql import quote_literal
from sharing_agreements.checks import check_release
from sharing_agreements.errors import ReleaseCheckFailed
from sharing_agreements.load import AgreementSet, load_agreements
from sharing_agreements.policy import RecipientPolicy, recipient_policy
from sharing_agreements.pseudonyms import PseudonymKey, derive_key
from sharing_agreements.view_builder import ViewResult, build_view, open_persons


def load_sharing(config: HubConfig) -> AgreementSet:
    """The hub's agreements, checked against its feeds and recipients."""
    return load_agreements(
        config.agreements,
        feeds=[feed.name for feed in config.feeds],
        recipients=[recipient.name for recipient in config.recipients],
    )


def load_in_force(config: HubConfig, *, keep: bool = True) -> AgreementsInForce:
    """The agreement versions in force (approved), each version's text kept on first use
    (``keep``); a text changed under the same version is refused."""
    return agreements_in_force(
        Workspace(config.workspace),
        load_sharing(config),
        feeds=[feed.name for feed in config.feeds],
        recipients=[recipient.name for recipient in config.recipients],
        keep=keep,
    )


def today_utc() -> datetime.date:
    """Today's date in UTC: the day agreements are judged in force on."""
    return datetime.datetime.now(datetime.UTC).date()


def publish_all(
    config: HubConfig,
    workspace: Workspace,
    state: StateStore,
    audit: AuditLog,
    reporter: Reporter,
    *,
    recipients: list[str] | None = None,
    force: bool = False,
    today: datetime.date | None = None,
    on_step: Step | None = None,
) -> list[ReleaseOutcome]:
    """Publish a release for every configured recipient (or those named) whose data changed."""
    if not config.recipients:
        return []
    chosen = [config.recipient(name) for name in recipients] if recipients else config.recipients
    reporter.step("Publishing releases under the sharing agreements")
    persons = workspace.matched.persons
    if not persons.is_file():
        reporter.note("no matched view yet (matched/persons.parquet): nothing to publish")
        return []
    workspace.create()
    if sealed := seal_plain_maps(workspace, config.settings.master_key_bytes()):
        reporter.note(f"sealed {sealed} pseudonym map(s) kept in the clear by earlier releases")
    in_force = load_in_force(config)
    for pending in in_force.pending:
        reporter.note(pending.describe())
    # one memory budget for the hub's DuckDB sessions
    con = connect(config.matching.engine.session(workspace.spill_folder()))
    try:
        open_persons(con, persons)  # each recipient reads the columns its agreements name
        context = PublishContext(
            config,
            workspace,
            state,
            audit,
            reporter,
            in_force.agreements,
            config.settings.master_key_bytes(),
            today or today_utc(),
            con,
            sha256_file(persons),
            force,
            on_step or (lambda step: None),
            in_force.sha256,
            cohort_subjects(workspace, today or today_utc()),
        )
        return [publish_recipient(context, recipient) for recipient in chosen]
    finally:
        con.close()


def publish_recipient(context: PublishContext, recipient: RecipientConfig) -> ReleaseOutcome:
    """Recover, then publish and deliver one recipient's release; failures stay with it."""
    outcome = ReleaseOutcome(recipient.name, "failed")
    try:
        outcome.recovered = recover(context, recipient)
        _publish(context, recipient, outcome)
        deliver_latest(context, recipient, outcome)
    except (HubError, OSError) as error:
        message = error.message if isinstance(error, HubError) else f"{error.strerror or error}"
        outcome.status = outcome.status if outcome.release_id else "failed"
        outcome.error = message
        context.reporter.problem(f"{recipient.name}: {message}")
    return outcome


def _publish(context: PublishContext, recipient: RecipientConfig, outcome: ReleaseOutcome) -> None:
    feeds = [feed.name for feed in context.config.feeds]
    policy = recipient_policy(context.agreements.agreements, recipient.name, feeds, context.today)
    if not policy.columns:
        _withhold(context, recipient, outcome,
                  "; ".join(sorted({d.reason for d in policy.decisions})[:3]),
                  "no agreement in force allows any field")  # fmt: skip
        return
    key = derive_key(context.master, recipient.name, recipient.key_version)
    fingerprint = _fingerprint(context, policy, key, recipient)
    folder = recipient.delivery_folder(context.workspace.root)
    placed = releases_in(folder)
    latest = placed[-1] if placed else None
    latest_manifest = read_manifest(latest) if latest else None
    unchanged = latest_manifest and latest_manifest.get("fingerprint") == fingerprint
    if latest and latest_manifest and unchanged and not context.force:
        outcome.status, outcome.release_id, outcome.path = "unchanged", latest.name, str(latest)
        outcome.rows = int(latest_manifest.get("row_count", 0))
        context.reporter.done(f"{recipient.name}: unchanged since release {latest.name}")
        return
    release_id = new_release_id(after=latest.name if latest else None)
    view = build_view(context.con, "persons", policy, key, context.cohort)
    if view.rows == 0 and latest is None:
        view.drop()
        nobody = "the agreements cover nobody yet" + (
            " (nobody is in the IOM cohort)" if policy.follows_cohort else ""
        )
        _withhold(context, recipient, outcome, nobody, nobody)
        return
    try:
        final = write_release(
            context,
            recipient,
            policy,
            key,
            view,
            release_id,
            fingerprint,
            previous=latest.name if latest else None,
        )
    finally:
        view.drop()
    context.state.set_fact(f"withheld:{recipient.name}", "")
    outcome.status, outcome.release_id, outcome.path = "published", release_id, str(final)
    outcome.rows, outcome.columns = view.rows, len(view.columns)
    outcome.withheld_values = sum(w.count for w in view.withheld)
    context.reporter.done(
        f"{recipient.name}: release {release_id}, {outcome.rows:,} people, "
        f"{outcome.columns - 1} fields -> {final}"
    )


def _withhold(
    context: PublishContext, recipient: RecipientConfig, outcome: ReleaseOutcome, reason: str,
    said: str,
) -> None:  # fmt: skip
    """Publish nothing for ``recipient``: audited once per reason, said on every run."""
    if context.state.fact(f"withheld:{recipient.name}") != reason:
        context.audit.record(ReleaseWithheld(recipient=recipient.name, reason=reason))
        context.state.set_fact(f"withheld:{recipient.name}", reason)
    outcome.status = "withheld"
    context.reporter.note(f"{recipient.name}: {said}; nothing published")


def _fingerprint(
    context: PublishContext, policy: RecipientPolicy, key: PseudonymKey, recipient: RecipientConfig
) -> str:
    document = {
        "view": context.view_sha256,
        "policy": policy.fingerprint(),
        "key_id": key.key_id,
        "formats": sorted(recipient.formats),
    }
    if policy.follows_cohort and context.cohort is not None:
        document["cohort"] = context.cohort.digest()
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def write_release(
    context: PublishContext,
    recipient: RecipientConfig,
    policy: RecipientPolicy,
    key: PseudonymKey,
    view: ViewResult,
    release_id: str,
    fingerprint: str,
    previous: str | None,
) -> Path:
    """Write, check and place one release, then record it; return its folder."""
    folder = recipient.delivery_folder(context.workspace.root)
    records = context.workspace.release_records(recipient.name)
    folder.mkdir(parents=True, exist_ok=True)
    records.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{TEMPORARY_PREFIX}{release_id}"
    temporary_record = records / f"{TEMPORARY_PREFIX}{release_id}"
    temporary.mkdir()
    temporary_record.mkdir()
    try:
        files = write_view_files(context.con, view.view_sql(), temporary, recipient.formats)
        context.on_step("written")
        problems = _check(context, policy, view, files)
        if problems:
            context.audit.record(
                ReleaseRejected(
                    recipient=recipient.name,
                    release_id=release_id,
                    problems=tuple(problems),
                    reason="the release failed its checks; nothing was published",
                )
            )
            raise ReleaseCheckFailed(
                f"release {release_id} for {recipient.name} failed its checks: "
                + "; ".join(problems),
                hint="nothing was published; the previous release stands",
            )
        context.on_step("checked")
        manifest = build_manifest(
            recipient,
            policy,
            key,
            view,
            release_id,
            fingerprint,
            previous,
            [file_entry(f, view.rows) for f in files],
            context.agreement_sha256,
            checkpoint_now(context.audit, context.config.settings),
        )
        write_json(temporary / MANIFEST, manifest)
        kept = ReleaseRecord(temporary_record)
        write_pseudonym_map(context.con, view.pseudonym_map_sql(), kept.pseudonyms, context.master)
        write_json(kept.decisions, decisions_record(policy, view, key, manifest))
        extracts = matched_extracts(context.workspace, context.state)
        write_provenance(context.con, view.provenance_sql(), extracts, kept.provenance)
        move_into_place(temporary_record, records / release_id)
        final = folder / release_id
        move_into_place(temporary, final)
    except BaseException:
        for leftover in (temporary, temporary_record):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)
        raise
    context.on_step("moved")
    record_release(context, recipient.name, final, manifest)
    context.on_step("audited")
    return final


def _check(
    context: PublishContext, policy: RecipientPolicy, view: ViewResult, files: list[Path]
) -> list[str]:
    """Check the files as written, each read back by the engine."""
    problems = []
    for path in files:
        if path.suffix == ".parquet":
            written = f"read_parquet({quote_literal(path)})"
            problems += check_release(context.con, written, policy, "persons", view.persons_out)
        else:
            described = context.con.sql(f"DESCRIBE {view.view_sql()}").fetchall()
            columns = [(str(row[0]), str(row[1])) for row in described]
            problems += csv_problems(context.con, path, columns, view.persons_out)
    return problems
