"""The demo pulls its synthetic partners over SFTP from a loopback server."""

from __future__ import annotations

import io
import os

import pytest

from connectors.config import SftpSource
from connectors.errors import AuthenticationFailed, ConnectorError
from connectors.sftp import SftpConnector
from hub.demo.runner import run_demo
from hub.demo.sftp_server import LoopbackSftpServer, write_ed25519_key
from hub.output import Reporter
from hub.settings import HubSettings


def test_the_demo_pulls_every_partner_over_sftp(tmp_path):
    before = dict(os.environ)
    summary = run_demo(
        tmp_path / "demo",
        people=60,
        seed=3,
        reporter=Reporter(json_mode=True, stream=io.StringIO()),
        settings=HubSettings(actor="demo-operator"),
        environment={},
    )
    assert dict(os.environ) == before  # keys and outbox reach the run as settings, not os.environ
    assert not summary["failed"]
    log = tmp_path / "demo" / "workspace" / "audit" / "audit.jsonl"
    assert '"actor":"demo-operator"' in log.read_text()  # the settings' actor, not the OS user
    assert summary["releases"] and all(r["path"] for r in summary["releases"])  # its master key
    assert sorted(p["feed"] for p in summary["pulls"] if p["landed"]) == [
        "health",
        "housing",
        "police",
        "police_offences",
        "probation",
    ]
    config = (tmp_path / "demo" / "config" / "feeds" / "police.yaml").read_text()
    assert "kind: sftp" in config and "host_key: '[127.0.0.1]:" in config
    archived = tmp_path / "demo" / "partners" / "police" / "archive"
    assert sorted(p.name.split("_")[1][:8] + p.suffix for p in archived.iterdir()) == [
        "nominals.csv",
        "nominals.sha256",
        "offences.csv",
    ]  # the police send their nominals (with a .sha256) and their offences to one folder


@pytest.fixture
def loopback(tmp_path):
    folders = {name: tmp_path / "partners" / name for name in ("police", "health")}
    accounts = {}
    for name, folder in folders.items():
        folder.mkdir(parents=True)
        accounts[name] = (folder, write_ed25519_key(tmp_path / "keys" / name))
    write_ed25519_key(tmp_path / "keys" / "host")
    with LoopbackSftpServer(tmp_path / "keys" / "host", accounts) as server:
        yield server, tmp_path


def settings(server: LoopbackSftpServer, root, user: str, **extra: object) -> SftpSource:
    return SftpSource.model_validate(
        {
            "kind": "sftp",
            "host": "127.0.0.1",
            "port": server.port,
            "username": user,
            "host_key": server.host_key_line,
            "private_key_file": str(root / "keys" / user),
            "pattern": "*.csv",
            **extra,
        }
    )


def test_each_demo_partner_is_jailed_in_its_folder(loopback):
    server, root = loopback
    (root / "partners" / "health" / "health_1.csv").write_text("id\n1\n")
    (root / "partners" / "police" / "police_1.csv").write_text("id\n1\n")

    with SftpConnector(settings(server, root, "police"), "police") as police:
        assert [f.name for f in police.list_files()] == ["police_1.csv"]
    escaping = settings(server, root, "police", folder="../health")
    with (
        pytest.raises(ConnectorError, match="does not exist"),
        SftpConnector(escaping, "police") as police,
    ):
        police.list_files()  # '/../health' is '/health' inside the police folder: not there


def test_the_demo_server_refuses_a_key_it_does_not_know(loopback):
    server, root = loopback
    source = settings(server, root, "police", private_key_file=str(root / "keys" / "health"))
    with pytest.raises(AuthenticationFailed), SftpConnector(source, "police") as connector:
        connector.list_files()
