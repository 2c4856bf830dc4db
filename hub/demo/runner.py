"""The demo: synthetic partners served over SFTP on loopback, the example feeds, one full run.

The partners' extracts are served by a real SFTP server on 127.0.0.1 (:mod:`hub.demo.sftp_server`),
with keys generated for the run and the server's host key pinned, so the demo pulls through
the same SFTP connector as production. It leaves a drop-folder twin of its config and prints
commands that run as printed (:mod:`hub.demo.next_steps`). The demo's own keys and outbox
reach the run through the settings and environment mapping it hands to the config loader; the
process environment is left as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from connectors.files import sha256_file
from hub.cohort.performance_report import PerformanceReport, write_report
from hub.config import HubConfig, load_config
from hub.demo.demo_panel import DemoPanel, hold_demo_panel
from hub.demo.next_steps import next_steps, render_next_steps, write_folder_config
from hub.demo.web_accounts import create_demo_accounts, web_app_lines
from hub.governance.agreements_check import approve_every_agreement
from hub.keys import write_new_key
from hub.output import Reporter
from hub.run.pipeline import RunSummary, publish_now, run_once
from hub.run.publish import ReleaseOutcome
from hub.settings import HubSettings
from hub.workspace import Workspace

_MARKER = ".iomhub-demo"


DEMO_APPROVER = "demo setup (synthetic data)"
"""Who the demo names as approving the example agreements."""


def _fresh_folder(folder: Path) -> None:
    if folder.exists():
        if not (folder / _MARKER).exists():
            raise click.UsageError(
                f"{folder} exists and is not a demo folder; choose another with --dir"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / _MARKER).write_text("created by iomhub demo; safe to delete\n")


def releases_summary(releases: list[ReleaseOutcome]) -> str:
    """Where the demo's releases are, one line per recipient."""
    lines = ["  releases:"]
    for release in releases:
        if release.path:
            pushed = f"; pushed to {release.delivered_to}" if release.delivered_to else ""
            lines.append(f"    {release.recipient}: {release.rows:,} people in {release.path} "
                         f"(manifest.json inside){pushed}")  # fmt: skip
        else:
            lines.append(f"    {release.recipient}: {release.status} {release.error or ''}")
    if not releases:
        lines.append("    none: publishing needs the matched view (matched/persons.parquet)")
    return "\n".join(lines)


def run_demo(
    demo_dir: Path,
    *,
    people: int,
    seed: int,
    reporter: Reporter,
    settings: HubSettings,
    environment: Mapping[str, str],
) -> dict[str, Any]:
    """Generate partners, run the hub on them with the example config, print what happened.

    ``settings`` and ``environment`` are the caller's (read once by the CLI); the demo runs
    with its own keys (``<demo_dir>/keys``) and outbox in their place.
    """
    from hub.demo.synthetic import generate_partners

    demo_dir = demo_dir.resolve()
    _fresh_folder(demo_dir)
    reporter.step(f"Writing synthetic extracts for {people:,} people (nobody in them is real)")
    generated = generate_partners(
        demo_dir / "partners", demo_dir / "truth" / "truth.parquet", people, seed=seed
    )
    from hub.demo.synthetic.feeds.police_offences import with_police_offences

    files, records = with_police_offences(generated.files, generated.records, seed=seed)
    for feed, path in files.items():
        reporter.done(f"{feed}: {records[feed]:,} records in {path.name}")
    keys = demo_dir / "keys"
    for name in ("audit_key", "master_key", "witness_key"):
        write_new_key(keys / name)
    settings = settings.with_secrets_dir(keys)
    witness = demo_dir / "witness"  # beside the workspace, as a DPO's share would be
    environment = {**environment, "IOMHUB_OUTBOX_ROOT": str(demo_dir / "outbox"),
                   "IOMHUB_WITNESS_ROOT": str(witness)}  # fmt: skip
    from hub.demo.sftp_server import sftp_demo_config

    folders = {feed: path.parent for feed, path in files.items()}
    for feed in ("police", "probation"):  # these two partners send a .sha256 with each file
        if feed in generated.files:
            _write_sidecar(generated.files[feed])
    with sftp_demo_config(demo_dir, folders) as (config_path, server):
        reporter.step(
            f"Serving the partners over SFTP on 127.0.0.1:{server.port} (host key "
            f"{server.host_key_fingerprint}, pinned in each feed's config)"
        )
        config = load_config(config_path, settings=settings, environment=environment)
        reporter.step(f"Approving the example agreements as {DEMO_APPROVER!r} (audited)")
        for approved in approve_every_agreement(config, DEMO_APPROVER):
            reporter.done(f"{approved.agreement_id} v{approved.version} approved")
        summary = run_once(config, reporter, command="demo")
        panel, performance = _panel_then_publish(config, summary, reporter)
        dpo_report = write_demo_dpo_report(config, demo_dir)
    accounts = create_demo_accounts(config)
    folder_config = write_folder_config(demo_dir, config_path)
    totals = summary.totals()
    report = Workspace(config.workspace).matched.report
    if not reporter.json_mode:
        match = summary.match or {}
        people = (
            f"  people:    {match.get('persons', 0):,} people matched from "
            f"{match.get('records', 0):,} records ({match.get('persons_with_links', 0):,} found "
            f"in more than one record); {match.get('review_pairs', 0):,} pairs for review\n"
            f"  report:    {report}\n"
            if summary.match
            else f"  matching:  {summary.match_error or 'did not run'}\n"
        )
        click.echo(
            f"\nDemo finished. {totals['files_pulled']} files pulled over SFTP, "
            f"{totals['rows_ingested']:,} rows ingested, {totals['rows_quarantined']:,} "
            f"quarantined with reasons.\n"
            f"{people}"
            f"  workspace:  {config.workspace.resolve()}\n"
            f"  config:     {folder_config} (partners' folders; {config_path} is the same "
            "over the demo's SFTP server, which has stopped)\n"
            f"  keys:       IOMHUB_SECRETS_DIR={keys} (for audit verify, publish, reidentify)\n"
            f"  witness:    IOMHUB_WITNESS_ROOT={witness} (audit verify --witness)\n"
            f"  DPO report: {dpo_report}"
        )
        click.echo(releases_summary(summary.releases))
        from hub.cohort.listing import candidates_summary

        click.echo(candidates_summary(config))
        if panel is not None and performance is not None:
            click.echo(f"  {panel.describe()}")
            click.echo(performance.headline())
            click.echo(f"  performance report: {performance.html}")
        click.echo(web_app_lines(accounts, folder_config, keys))
        click.echo(render_next_steps(demo_dir, folder_config))
    return {
        "failed": summary.failed,
        **summary.as_dict(),
        "workspace": str(config.workspace.resolve()),
        "config": str(folder_config),
        "sftp_config": str(config_path),
        "next_steps": next_steps(demo_dir, folder_config),
        "report": str(report) if summary.match else None,
        "dpo_report": str(dpo_report),
        "cohort_candidates": panel.candidates if panel else None,
        "performance_report": str(performance.html) if performance else None,
    }


def _panel_then_publish(
    config: HubConfig, summary: RunSummary, reporter: Reporter
) -> tuple[DemoPanel | None, PerformanceReport | None]:
    """After the first run: the demo's panel selects the cohort (audited), the IOM team's
    view, which follows the cohort, is published again, and the performance is drawn."""
    if not summary.match:
        return None, None
    reporter.step("Holding the IOM panel: a police and a probation decision-maker select")
    panel = hold_demo_panel(config)
    reporter.done(panel.describe())
    reporter.step("Publishing again: the IOM team's view follows the cohort just selected")
    summary.releases = publish_now(config, reporter)
    reporter.step("Drawing the scheme's performance (report and CSVs)")
    return panel, write_report(config)


def _write_sidecar(path: Path) -> None:
    digest = sha256_file(path)
    path.with_name(path.name + ".sha256").write_text(f"{digest}  {path.name}\n")


def write_demo_dpo_report(config: HubConfig, demo_dir: Path) -> Path:
    """The DPO's report over the last 30 days, beside the demo's workspace."""
    import datetime

    from hub.governance.dpo_report import write_dpo_report

    path = demo_dir / "dpo-report.html"
    since = datetime.datetime.now(datetime.UTC).date() - datetime.timedelta(days=30)
    write_dpo_report(config, path, since)
    return path
