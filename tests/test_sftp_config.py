"""SFTP source settings: validated, secrets never in YAML, paths relative to the feed file."""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.config import FolderSource, SftpSource
from connectors.pull import unsafe_name_reason
from hub.config import load_config, load_feed
from hub.config_schema import json_schemas
from schemas.errors import ConfigError
from tests.sftp_support import MINIMAL_FORMAT

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


def sftp(**overrides: Any) -> dict[str, Any]:
    settings = {
        "kind": "sftp",
        "host": "sftp.police.example",
        "username": "iomhub",
        "folder": "/outgoing",
        "pattern": "*.csv",
        "host_key": KEY,
        "private_key_file": "keys/police_ed25519",
    }
    settings.update(overrides)
    return {k: v for k, v in settings.items() if v is not None}


def write_feed(folder: Path, source: dict[str, Any]) -> Path:
    path = folder / "police.yaml"
    path.write_text(yaml.safe_dump({"name": "police", "source": source, "format": MINIMAL_FORMAT}))
    return path


def test_an_sftp_feed_loads_with_local_paths_taken_from_the_feed_file(tmp_path):
    feed = load_feed(write_feed(tmp_path, sftp(passphrase_file="secrets/passphrase")), {})
    assert isinstance(feed.source, SftpSource)
    assert feed.source.private_key_file == tmp_path / "keys" / "police_ed25519"
    assert feed.source.passphrase_file == tmp_path / "secrets" / "passphrase"
    assert feed.source.describe() == "sftp://iomhub@sftp.police.example:22/outgoing"
    assert feed.source.retry.attempts == 4 and feed.source.download_time_limit_seconds == 3600


@pytest.mark.parametrize("secret", ["password", "passphrase", "private_key"])
def test_a_secret_written_in_yaml_is_refused_and_never_echoed(tmp_path, secret):
    path = write_feed(tmp_path, sftp(**{secret: "hunter2-do-not-print"}))
    with pytest.raises(ConfigError) as raised:
        load_feed(path, {})
    assert "secrets are never written in YAML" in str(raised.value)
    assert "police.yaml" in str(raised.value)
    everything = "".join(traceback.format_exception(raised.value))
    assert "hunter2-do-not-print" not in everything


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"host_key": None}, "exactly one of host_key, known_hosts_file"),
        ({"known_hosts_file": "known_hosts"}, "exactly one of host_key, known_hosts_file"),
        ({"host_key": f"[sftp.health.example]:22 {KEY}"}, "host_key is for"),
        ({"host_key": "ssh-ed25519 nonsense!"}, "not valid base64"),
        ({"private_key_file": None}, "set private_key_file, or password_env"),
        ({"passphrase_env": "IOMHUB_X", "passphrase_file": "p"}, "only one of passphrase"),
        ({"password_env": "not a name"}, "name of an environment variable"),
        ({"archive_folder": "../elsewhere"}, "inside the feed's folder"),
        ({"port": 0}, "port"),
    ],
)
def test_invalid_sftp_settings_name_the_field(tmp_path, overrides, message):
    with pytest.raises(ConfigError, match=message) as raised:
        load_feed(write_feed(tmp_path, sftp(**overrides)), {})
    assert "feed 'police'" in str(raised.value) and "source" in str(raised.value)


def test_a_host_key_on_a_non_standard_port(tmp_path):
    source = sftp(port=2222, host_key=f"[sftp.police.example]:2222 {KEY}")
    assert load_feed(write_feed(tmp_path, source), {}).source.port == 2222


def test_the_drop_folder_examples_still_load(monkeypatch):
    monkeypatch.setenv("IOMHUB_DROP_ROOT", "/srv/drop")
    config = load_config(Path(__file__).resolve().parent.parent / "examples/config/hub.yaml")
    assert {type(f.source) for f in config.feeds} == {FolderSource}


def test_the_json_schema_describes_both_transports():
    feed_schema = json_schemas()["iomhub-feed.schema.json"]
    assert {"FolderSource", "SftpSource"} <= set(feed_schema["$defs"])


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("police.csv", None),
        ("", "empty or dot name"),
        ("..", "empty or dot name"),
        ("../etc/passwd", "contains a path separator"),
        ("a\\b.csv", "contains a path separator"),
        ("/etc/passwd", "contains a path separator"),
        ("a..b.csv", "contains '..'"),
        ("bad\x1bname.csv", "contains control characters"),
    ],
)
def test_unsafe_remote_names(name, reason):
    assert unsafe_name_reason(name) == reason
