"""The exported JSON Schemas validate every shipped example; messages speak the hub's words."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import EXAMPLE_CONFIG

from hub.config import load_config
from hub.config_schema import json_schemas
from schemas.canonical import MAPPABLE_FIELDS, mappable_fields
from schemas.errors import ConfigError
from sharing_agreements.errors import AgreementError
from sharing_agreements.load import load_agreement

SHIPPED = Path(__file__).resolve().parent.parent / "hub" / "demo"
KINDS = {"hub": "config*/hub.yaml", "feed": "config*/feeds/*.yaml",
         "agreement": "config*/agreements/*.yaml"}  # fmt: skip


class _EditorLoader(yaml.SafeLoader):
    """YAML as an editor reads it for a schema: dates stay text (YAML 1.2)."""


_EditorLoader.yaml_implicit_resolvers = {
    first: [(tag, rule) for tag, rule in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json_schemas()[f"iomhub-{kind}.schema.json"]
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _shipped() -> list[tuple[str, Path]]:
    return [(kind, path) for kind, glob in KINDS.items() for path in sorted(SHIPPED.glob(glob))]


@pytest.mark.parametrize(("kind", "path"), _shipped(), ids=lambda v: getattr(v, "name", v))
def test_the_schema_validates_every_shipped_example(kind: str, path: Path) -> None:
    document: Any = yaml.load(path.read_text(), Loader=_EditorLoader)
    problems = [f"{list(e.absolute_path)}: {e.message}"
                for e in _validator(kind).iter_errors(document)]  # fmt: skip
    assert problems == []


def test_every_kind_of_file_is_shipped_and_covered() -> None:
    assert {kind for kind, _ in _shipped()} == set(KINDS)
    for name, schema in json_schemas().items():
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].endswith("/" + name)


def test_the_feed_schema_lists_canonical_field_names_and_refuses_others() -> None:
    schema = json_schemas()["iomhub-feed.schema.json"]
    fields = schema["$defs"]["FeedFormat"]["properties"]["fields"]
    assert set(fields["properties"]) == set(MAPPABLE_FIELDS) | set(mappable_fields("offence"))
    assert fields["properties"]["date_of_birth"]["description"]
    feed = yaml.safe_load((EXAMPLE_CONFIG.parent / "feeds" / "police.yaml").read_text())
    feed["format"]["fields"]["home_town"] = "Town"
    feed["schedul"] = feed.pop("schedule")
    messages = {e.message for e in _validator("feed").iter_errors(feed)}
    assert any("home_town" in m for m in messages) and any("schedul" in m for m in messages)


def test_the_agreement_schema_knows_treatments_and_their_options() -> None:
    validator = _validator("agreement")
    path = SHIPPED / "config" / "agreements" / "performance-analyst.yaml"
    agreement = yaml.load(path.read_text(), Loader=_EditorLoader)
    agreement["fields"]["date_of_birth"] = {"treatment": "generalise", "to": "decade"}
    assert not validator.is_valid(agreement)
    agreement["fields"]["date_of_birth"] = {"treatment": "generalise", "to": "year"}
    assert validator.is_valid(agreement)
    agreement["fields"]["date_of_birth"] = "blur"
    assert not validator.is_valid(agreement)


def _copy_example(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG.parent, folder)
    return folder


def test_a_typo_d_key_is_named_with_the_key_meant(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    police = folder / "feeds" / "police.yaml"
    police.write_text(police.read_text().replace("schedule:", "schedul:")
                      .replace('delimiter: ","', 'delimeter: ","'))  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(folder / "hub.yaml")
    message = caught.value.message
    assert "feed 'police': (top level): unknown key 'schedul' (did you mean 'schedule'?)" in message
    assert "feed 'police': format: unknown key 'delimeter' (did you mean 'delimiter'?)" in message
    assert "Extra inputs" not in message


def test_a_union_s_tag_is_not_shown_as_a_key(example_env: Path, tmp_path: Path) -> None:
    folder = _copy_example(tmp_path)
    police = folder / "feeds" / "police.yaml"
    police.write_text(police.read_text().replace("  pattern:", "  hots: x\n  pattern:", 1)
                      .replace("min_age_seconds: ${IOMHUB_MIN_AGE_SECONDS:-30}",
                               "min_age_seconds: soon"))  # fmt: skip
    with pytest.raises(ConfigError) as caught:
        load_config(folder / "hub.yaml")
    message = caught.value.message
    assert "source: unknown key 'hots' (known: after_landing," in message
    assert "source.completeness.min_age_seconds: expected a whole number" in message
    assert "source.folder" not in message and "Input should" not in message


def test_an_agreement_s_typo_d_key_is_named_with_the_key_meant(tmp_path: Path) -> None:
    path = tmp_path / "agreement.yaml"
    shipped = SHIPPED / "config" / "agreements" / "performance-analyst.yaml"
    path.write_text(shipped.read_text().replace("purpose:", "purpse:"))
    with pytest.raises(AgreementError) as caught:
        load_agreement(path)
    assert "unknown key 'purpse' (did you mean 'purpose'?)" in caught.value.message
    assert "missing key 'purpose'" in caught.value.message
