"""Configuration: readable errors naming file, feed and field; environment references; schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from helpers import EXAMPLE_CONFIG

from hub.config import load_config
from hub.config_schema import write_json_schemas
from schemas.errors import ConfigError


def _copy_example(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG.parent, target)
    return target


def test_example_config_loads_with_environment(example_env: Path) -> None:
    config = load_config(EXAMPLE_CONFIG)
    assert [f.name for f in config.feeds] == [
        "health",
        "housing",
        "police",
        "police_offences",
        "probation",
    ]
    police = config.feed("police")
    assert police.source.path == example_env / "police"
    assert police.source.completeness.min_age_seconds == 0


def test_missing_environment_variable_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IOMHUB_DROP_ROOT", raising=False)
    with pytest.raises(ConfigError, match="environment variable IOMHUB_DROP_ROOT is not set"):
        load_config(EXAMPLE_CONFIG)


def test_invalid_field_names_file_feed_and_field(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    police = folder / "feeds" / "police.yaml"
    police.write_text(police.read_text().replace('date_format: "%d/%m/%Y"}', "}", 1))
    with pytest.raises(ConfigError) as caught:
        load_config(folder / "hub.yaml")
    message = caught.value.message
    assert "feeds/police.yaml: feed 'police'" in message
    assert "format" in message and "date_of_birth: a date field needs date_format" in message


def test_unknown_canonical_field_and_bad_cron(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    police = folder / "feeds" / "police.yaml"
    text = police.read_text().replace("    town: Town", "    home_town: Town")
    police.write_text(text.replace('schedule: "30 1 * * *"', 'schedule: "every night"'))
    with pytest.raises(ConfigError) as caught:
        load_config(folder / "hub.yaml")
    assert "unknown canonical field(s) home_town" in caught.value.message
    assert "schedule: not a valid cron expression" in caught.value.message


def test_a_fifth_partner_is_a_new_yaml_file(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    (folder / "feeds" / "youth.yaml").write_text(
        "name: youth_justice\nsource: {kind: folder, path: /tmp/nowhere, pattern: 'yj_*.txt'}\n"
        'format:\n  delimiter: "\\t"\n  encoding: latin-1\n  fields:\n'
        "    source_record_id: YJRef\n    surname: Family\n    forename: Given\n"
        "    date_of_birth: {column: Born, date_format: ['%d.%m.%Y', '%Y-%m-%d']}\n"
    )
    config = load_config(folder / "hub.yaml")
    assert config.feed("youth_justice").format.columns == ["YJRef", "Family", "Given", "Born"]


def test_json_schema_export(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path)
    feed_schema = json.loads((tmp_path / "iomhub-feed.schema.json").read_text())
    assert {path.name for path in written} == {
        "iomhub-hub.schema.json",
        "iomhub-feed.schema.json",
        "iomhub-agreement.schema.json",
    }
    assert "format" in feed_schema["properties"]


def test_feed_globs_may_be_absolute(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    hub = folder / "hub.yaml"
    hub.write_text(hub.read_text().replace("  - feeds/*.yaml", f"  - {folder}/feeds/*.yaml"))
    assert len(load_config(hub).feeds) == 5  # four partners, the police sending two feeds
