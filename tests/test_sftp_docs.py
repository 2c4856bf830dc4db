"""The SFTP documentation and the shipped examples stay honest."""

from __future__ import annotations

import configparser
from pathlib import Path

from connectors.config import Completeness, RetryPolicy, SftpSource
from hub.config import load_config

REPO = Path(__file__).resolve().parent.parent
DOC = (REPO / "docs" / "sftp.md").read_text(encoding="utf-8")


def test_every_sftp_setting_is_documented():
    names = [
        f"`{name}`" for name in SftpSource.model_fields if name not in {"completeness", "retry"}
    ]
    names += [f"`completeness.{name}`" for name in Completeness.model_fields]
    names += [f"`retry.{name}`" for name in RetryPolicy.model_fields]
    missing = [name for name in names if name not in DOC]
    assert missing == []


def test_the_systemd_unit_runs_the_scheduler_and_stops_it_with_sigterm():
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(REPO / "examples" / "systemd" / "iomhub-schedule.service")
    service = unit["Service"]
    assert " schedule --config " in service["ExecStart"]
    assert service["KillSignal"] == "SIGTERM" and service["TimeoutStopSec"]
    assert service["Restart"] == "on-failure" and unit["Install"]["WantedBy"]


def test_the_cron_example_pulls_only_what_is_due():
    lines = (REPO / "examples" / "cron" / "iomhub").read_text().splitlines()
    jobs = [line for line in lines if line and not line.startswith("#") and "=" not in line[:12]]
    assert len(jobs) == 1 and "schedule --once --config" in jobs[0]


def test_the_sftp_example_config_is_valid():
    config = load_config(REPO / "examples" / "config-sftp" / "hub.yaml")
    [feed] = config.feeds
    assert isinstance(feed.source, SftpSource) and feed.source.passphrase_env
