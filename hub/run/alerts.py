"""Telling someone when the hub needs a person: alerts raised, remembered, and sent.

After each run (``iomhub run``, each scheduled tick) the hub raises an alert for every failed
feed, held or rejected extract and stale partner; ``iomhub audit verify`` raises one when the log
fails. An alert about a condition (a feed failing, a partner stale) is sent once while the
condition lasts with the same message, and again once it clears and returns; an alert about an
extract is sent once per extract. Each configured channel (``alerts:`` in the hub file,
:mod:`hub.alerts_config`) is tried up to ``attempts`` times; a channel that still fails is
reported as a warning and never fails the run. Alerts hold names, counts and reasons only.
"""

from __future__ import annotations

import json
import smtplib
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from hub.alerts_config import AlertKind, AlertsConfig, CommandAlert, EmailAlert, WebhookAlert
from hub.config import HubConfig
from hub.output import Reporter
from hub.state import utc_now
from hub.workspace import Workspace

if TYPE_CHECKING:
    from hub.run.pipeline import RunSummary
    from hub.run.status import FeedStatus

_CONDITIONS = (AlertKind.FEED_FAILED, AlertKind.PARTNER_STALE)
"""Kinds about a lasting condition: remembered until it clears."""


@dataclass(frozen=True)
class Alert:
    """One thing a person must look at."""

    kind: AlertKind
    subject: str
    """What it is about: a feed, an extract id, or 'audit'."""
    message: str
    raised_at: str

    @property
    def title(self) -> str:
        return f"iomhub {self.kind.value.replace('_', ' ')}: {self.subject}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "kind": self.kind.value, "title": self.title}


def raise_alert(kind: AlertKind, subject: str, message: str) -> Alert:
    """An alert raised now."""
    return Alert(kind, subject, message, utc_now())


def run_alerts(summary: RunSummary, feeds: Iterable[FeedStatus]) -> list[Alert]:
    """The alerts a finished run raises: its failed feeds, held and rejected extracts, and
    every partner whose status is stale (paused feeds excepted)."""
    alerts = []
    for pull in summary.pulls:
        if pull.error:
            alerts.append(raise_alert(AlertKind.FEED_FAILED, pull.feed, pull.error))
        elif pull.rejected:
            rejected = ", ".join(pull.rejected)
            message = f"file(s) rejected on their checksum: {rejected}"
            alerts.append(raise_alert(AlertKind.FEED_FAILED, pull.feed, message))
    kinds = {"held": AlertKind.EXTRACT_HELD, "rejected": AlertKind.EXTRACT_REJECTED}
    for extract in summary.extracts:
        if extract.status in kinds:
            message = f"{extract.feed}/{extract.file}: {extract.error}"
            alerts.append(raise_alert(kinds[extract.status], extract.extract_id, message))
    for row in feeds:
        if row.stale and not row.paused:
            alerts.append(raise_alert(AlertKind.PARTNER_STALE, row.feed, row.stale_reason or ""))
    return alerts


def alert_after_run(config: HubConfig, summary: RunSummary, reporter: Reporter) -> list[Alert]:
    """Raise and send the alerts of a finished run; return those sent (none unless configured)."""
    if not config.alerts.configured:
        return []
    from hub.run.status import feed_status_rows

    checked = {
        AlertKind.PARTNER_STALE: [feed.name for feed in config.feeds],
        AlertKind.FEED_FAILED: [pull.feed for pull in summary.pulls],
    }
    alerts = run_alerts(summary, feed_status_rows(config))
    return send_new_alerts(config, alerts, reporter, clears=checked)


def alert_audit_verify(
    config: HubConfig, ok: bool, problem: str | None, reporter: Reporter
) -> list[Alert]:
    """Send an alert when a verification of the audit log failed (once per problem)."""
    message = f"the audit log failed verification: {problem}"
    alerts = [] if ok else [raise_alert(AlertKind.AUDIT_VERIFY_FAILED, "audit log", message)]
    checked = {AlertKind.AUDIT_VERIFY_FAILED: ["audit log"]}
    return send_new_alerts(config, alerts, reporter, clears=checked)


def send_new_alerts(
    config: HubConfig, alerts: list[Alert], reporter: Reporter, *,
    clears: dict[AlertKind, list[str]] | None = None,
) -> list[Alert]:  # fmt: skip
    """Send the alerts not already sent for the same condition; forget conditions that cleared
    (``clears``: per kind, the subjects checked this time)."""
    settings = config.alerts
    wanted = [a for a in alerts if a.kind in settings.when]
    if not settings.configured:
        return []
    state = Workspace(config.workspace).open_state()
    try:
        fresh = [a for a in wanted if state.fact(_fact(a.kind, a.subject)) != a.message]
        raised = {(a.kind, a.subject) for a in alerts}
        for kind, subjects in (clears or {}).items():
            for subject in subjects:
                if (kind, subject) not in raised and state.fact(_fact(kind, subject)):
                    state.set_fact(_fact(kind, subject), "")
        for alert in fresh:
            deliver(settings, alert, reporter, environment=config.environment)
            state.set_fact(_fact(alert.kind, alert.subject), alert.message)
    finally:
        state.close()
    return fresh


def _fact(kind: AlertKind, subject: str) -> str:
    return f"alerted:{kind.value}:{subject}"


def deliver(
    settings: AlertsConfig, alert: Alert, reporter: Reporter, *,
    environment: Mapping[str, str], sleep: Callable[[float], None] = time.sleep,
) -> list[str]:  # fmt: skip
    """Send one alert through every configured channel; return the channels that took it.

    ``environment`` is the config's: the command runs in it, and the SMTP password is read
    from it."""
    senders: list[tuple[str, Callable[[], None]]] = []
    if settings.command:
        senders.append(("command", lambda c=settings.command: _run_command(c, alert, environment)))
    if settings.webhook:
        senders.append(("webhook", lambda w=settings.webhook: _post(w, alert)))
    if settings.email:
        password = _password(settings.email, environment)
        senders.append(("email", lambda e=settings.email: _mail(e, alert, password)))
    sent = []
    for channel, send in senders:
        for attempt in range(1, settings.attempts + 1):
            try:
                send()
            except (OSError, smtplib.SMTPException, subprocess.SubprocessError) as error:
                if attempt == settings.attempts:
                    reporter.warning(f"alert '{alert.title}' not sent by {channel} after "
                                     f"{attempt} tries: {error}")  # fmt: skip
                else:
                    sleep(settings.retry_delay_seconds)
                continue
            sent.append(channel)
            break
    if sent:
        reporter.note(f"alert sent ({', '.join(sent)}): {alert.title}")
    return sent


def _password(email: EmailAlert, environment: Mapping[str, str]) -> str | None:
    if email.password_env is None:
        return None
    return environment.get(email.password_env) or None


def _run_command(command: CommandAlert, alert: Alert, environment: Mapping[str, str]) -> None:
    document = json.dumps(alert.as_dict())
    environment = {**environment, "IOMHUB_ALERT_KIND": alert.kind.value,
                   "IOMHUB_ALERT_MESSAGE": alert.message}  # fmt: skip
    subprocess.run(command.argv, input=document, text=True, env=environment, check=True,
                   timeout=command.timeout_seconds, capture_output=True)  # fmt: skip


def _post(webhook: WebhookAlert, alert: Alert) -> None:
    request = urllib.request.Request(
        webhook.url, data=json.dumps(alert.as_dict()).encode(), method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "iomhub"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=webhook.timeout_seconds) as response:
        response.read()


def _mail(email: EmailAlert, alert: Alert, password: str | None) -> None:
    message = EmailMessage()
    message["Subject"] = alert.title
    message["From"] = email.sender
    message["To"] = ", ".join(email.to)
    message.set_content(f"{alert.message}\n\nraised at {alert.raised_at} (UTC)\n")
    with smtplib.SMTP(email.host, email.port, timeout=email.timeout_seconds) as smtp:
        if email.starttls:
            smtp.starttls()
        if email.username and password:
            smtp.login(email.username, password)
        smtp.send_message(message)
