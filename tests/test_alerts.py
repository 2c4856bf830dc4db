"""Alerts reach a person: a real SMTP server and a real HTTP receiver on loopback, and a command;
on a failed feed, a held extract, a stale partner and a failed audit verify; once per condition."""

from __future__ import annotations

import io
import json
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from hub.alerts_config import AlertKind, AlertsConfig
from hub.cli import main
from hub.config import HubConfig, load_config
from hub.output import Reporter
from hub.run.alerts import deliver, raise_alert, run_alerts
from hub.run.ingest import ExtractOutcome
from hub.run.pipeline import RunSummary, run_once
from hub.settings import HubSettings
from hub.workspace import Workspace
from tests.sftp_support import feed_config


class Mailbox:
    """An aiosmtpd handler keeping every message it is sent."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content.decode("utf-8", "replace")
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), content))
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Controller, Mailbox]]:
    mailbox = Mailbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield controller, mailbox
    finally:
        controller.stop()


class Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body))  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/alerts", server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def alerts_section(smtp_port: int, url: str, log: Path) -> dict[str, Any]:
    append = "import sys; open(sys.argv[1], 'a').write(sys.stdin.read() + '\\n')"
    return {
        "command": {"argv": [sys.executable, "-c", append, str(log)]},
        "webhook": {"url": url},
        "email": {"host": "127.0.0.1", "port": smtp_port, "sender": "hub@iom.example",
                  "to": ["duty-officer@iom.example"]},
        "retry_delay_seconds": 0,
    }  # fmt: skip


def test_a_failed_feed_and_a_stale_partner_reach_mail_webhook_and_command_once(
    tmp_path: Path, smtp: tuple[Controller, Mailbox], webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    controller, mailbox = smtp
    url, received = webhook
    log = tmp_path / "alerts.jsonl"
    source = {"kind": "folder", "path": str(tmp_path / "not-there"), "pattern": "*.csv",
              "retry": {"attempts": 1}}  # fmt: skip
    config = HubConfig.model_validate({
        "workspace": tmp_path / "ws", "feeds": [feed_config("police", source)],
        "alerts": alerts_section(controller.port, url, log), "settings": HubSettings(),
    })  # fmt: skip
    output = io.StringIO()

    first = run_once(config, Reporter(stream=output))
    run_once(config, Reporter(stream=io.StringIO()))  # the same conditions: nothing sent again

    assert first.failed
    kinds = sorted(alert["kind"] for alert in received)
    assert kinds == ["feed_failed", "partner_stale"]
    assert all(alert["subject"] == "police" for alert in received)
    assert sorted(json.loads(line)["kind"] for line in log.read_text().splitlines()) == kinds
    subjects = sorted(message.split("Subject: ", 1)[1].split("\n", 1)[0].strip()
                      for _, _, message in mailbox.messages)  # fmt: skip
    assert subjects == ["iomhub feed failed: police", "iomhub partner stale: police"]
    assert mailbox.messages[0][:2] == ("hub@iom.example", ["duty-officer@iom.example"])
    assert "alert sent (command, webhook, email)" in output.getvalue()


def test_a_held_or_rejected_extract_raises_an_alert_naming_the_file() -> None:
    summary = RunSummary("run-1", extracts=[
        ExtractOutcome("police", "police-abc", "police_2.csv", "held", error="9 of 10 rows "
                       "quarantined"),
        ExtractOutcome("health", "health-def", "health_2.csv", "rejected", error="no header"),
        ExtractOutcome("probation", "probation-1", "probation_2.csv", "ingested"),
    ])  # fmt: skip
    alerts = run_alerts(summary, [])
    assert [(a.kind, a.subject) for a in alerts] == [
        (AlertKind.EXTRACT_HELD, "police-abc"),
        (AlertKind.EXTRACT_REJECTED, "health-def"),
    ]
    assert alerts[0].message == "police/police_2.csv: 9 of 10 rows quarantined"


def test_a_failed_audit_verify_is_posted(
    tmp_path: Path, webhook: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = webhook
    (tmp_path / "drop").mkdir()
    source = {"kind": "folder", "path": str(tmp_path / "drop"), "pattern": "*.csv"}
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump(feed_config("police", source).model_dump(mode="json"))
    )
    hub_file = tmp_path / "hub.yaml"
    hub_file.write_text(yaml.safe_dump({"workspace": "ws", "feeds": ["feeds/*.yaml"],
                                        "alerts": {"webhook": {"url": url}}}))  # fmt: skip
    assert CliRunner().invoke(main, ["run", "--config", str(hub_file)]).exit_code == 0
    received.clear()
    log = Workspace(load_config(hub_file).workspace).audit / "audit.jsonl"
    log.write_text(log.read_text().replace('"actor":"', '"actor":"someone-else-', 1))

    result = CliRunner().invoke(main, ["audit", "verify", "--config", str(hub_file)])

    assert result.exit_code == 1
    [alert] = received
    assert alert["kind"] == "audit_verify_failed" and "failed verification" in alert["message"]


def test_a_channel_that_keeps_failing_is_retried_then_warned_about() -> None:
    settings = AlertsConfig.model_validate(
        {"webhook": {"url": "http://127.0.0.1:9/", "timeout_seconds": 1}, "attempts": 3}
    )
    waits: list[float] = []
    reporter = Reporter(stream=io.StringIO())

    sent = deliver(settings, raise_alert(AlertKind.FEED_FAILED, "police", "refused"), reporter,
                   environment={}, sleep=waits.append)  # fmt: skip

    assert sent == [] and len(waits) == 2
    assert "not sent by webhook after 3 tries" in reporter.warnings[0]


def test_the_documented_alerts_section_is_valid() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "operating.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    settings = AlertsConfig.model_validate(yaml.safe_load(block)["alerts"])
    assert settings.configured and settings.when == list(AlertKind)
    assert settings.email is not None and settings.email.password_env == "IOMHUB_SMTP_PASSWORD"
