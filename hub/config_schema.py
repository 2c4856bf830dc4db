"""JSON Schemas of the hub's YAML files, for editors (completion, hover text, red squiggles).

One schema per kind of file (:data:`SCHEMA_FILES`): the hub file, a feed file and a sharing
agreement. Each is pydantic's schema of the model that loads the file, adjusted to what the
loader accepts beyond the model:

- any number, true/false or choice of fixed words (``matching.engine.backend``) may be written
  as ``${NAME}`` or ``${NAME:-default}`` (expanded before validation), in the hub and feed
  files;
- a recipient's ``push:`` and the audit witness need no ``pattern`` (the loader fills it in),
  and the witness may be a folder path alone;
- a feed's ``fields:`` lists every canonical field by name, with its description.

Each schema carries ``$schema`` and ``$id`` and stands alone (no reference to another file), so
an editor can use any one of them by itself. docs/feeds.md says how to attach them in VS Code.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.config import FeedConfig, HubConfig
from schemas.canonical import RECORD_MODELS, mappable_fields
from sharing_agreements.model import Agreement
from sharing_agreements.treatments import BUILT_IN, TREATMENTS
from sharing_agreements.view import SHAREABLE_FIELDS

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_BASE = "https://iom-exchange-hub.example/schema/"
"""Identifies the schemas; nothing is fetched from it."""
ENV_REFERENCE = r"^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\}$"
_NOT_STRINGS = ("integer", "number", "boolean")

Schema = dict[str, Any]


def _hub_schema() -> Schema:
    schema = _allow_env_references(HubConfig.model_json_schema())
    definitions = schema["$defs"]
    schema["properties"]["feeds"] = {
        "type": "array",
        "items": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/FeedConfig"}]},
        "description": "Feed files (paths or globs relative to this file) or inline feeds.",
    }
    schema["properties"]["agreements"]["items"] = {"type": "string"}
    schema["properties"]["agreements"]["description"] = (
        "Sharing agreement files (paths or globs relative to this file)."
    )
    for name in ("config_path", "config_files"):
        schema["properties"].pop(name, None)
    _fields_by_name(definitions["FeedFormat"])
    push = definitions["RecipientConfig"]["properties"]["push"]
    for source in ("FolderSource", "SftpSource"):
        optional = copy.deepcopy(definitions[source])
        optional["required"] = [k for k in optional.get("required", []) if k != "pattern"]
        definitions[f"Push{source}"] = optional
    no_pattern = {f"#/$defs/{s}": f"#/$defs/Push{s}" for s in ("FolderSource", "SftpSource")}
    _retarget(push, no_pattern)
    audit = definitions.get("AuditConfig")
    if audit is not None:  # a witness: a connector's settings (no pattern), or a folder alone
        witness = audit["properties"]["witness"]
        _retarget(witness, no_pattern)
        described = witness.get("description", "")
        audit["properties"]["witness"] = {"anyOf": [witness, {"type": "string"}],
                                          "description": described}  # fmt: skip
    return schema


def _feed_schema() -> Schema:
    schema = _allow_env_references(FeedConfig.model_json_schema())
    _fields_by_name(schema["$defs"]["FeedFormat"])
    return schema


def _agreement_schema() -> Schema:
    schema = Agreement.model_json_schema()
    schema["properties"].pop("source_file", None)
    definitions = schema["$defs"]
    clause = definitions.pop("FieldClause")
    definitions.pop("Treatment")
    shared = {k: v for k, v in clause["properties"].items() if k != "treatment"}
    clauses: list[Schema] = [{"type": "string", "enum": list(TREATMENTS),
                              "description": "The treatment alone (no options)."}]  # fmt: skip
    for kind in BUILT_IN:
        options = kind.model_json_schema()
        definitions.update(options.pop("$defs", {}))
        clauses.append({
            "type": "object", "description": options.get("description", kind.name),
            "properties": {"treatment": {"const": kind.name, "description": clause[
                "properties"]["treatment"]["description"]}, **options["properties"], **shared},
            "required": ["treatment", *options.get("required", [])],
            "additionalProperties": False,
        })  # fmt: skip
    definitions["FieldClause"] = {"description": clause["description"], "anyOf": clauses}
    schema["properties"]["fields"]["propertyNames"] = {"enum": list(SHAREABLE_FIELDS)}
    return schema


SCHEMA_FILES: dict[str, Callable[[], Schema]] = {
    "iomhub-hub.schema.json": _hub_schema,
    "iomhub-feed.schema.json": _feed_schema,
    "iomhub-agreement.schema.json": _agreement_schema,
    # A new kind of file (a cohort file, say) gets its schema by adding its builder here.
}
"""Every schema file by name, with the function building it."""


def _allow_env_references(node: Any) -> Any:
    """Every number, boolean or enum in the schema may also be a ``${NAME}`` reference."""
    if isinstance(node, list):
        return [_allow_env_references(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _allow_env_references(value) for key, value in node.items()}
    if node.get("type") in _NOT_STRINGS or "enum" in node:
        reference = {"type": "string", "pattern": ENV_REFERENCE}
        keep = {k: node.pop(k) for k in ("description", "title", "default") if k in node}
        return {**keep, "anyOf": [node, reference]}
    return node


def _fields_by_name(feed_format: Schema) -> None:
    """``fields:`` keys are the canonical field names (of every record kind), each described."""
    fields = feed_format["properties"]["fields"]
    mapping = fields.pop("additionalProperties")
    described = {name: info for model in reversed(RECORD_MODELS.values())
                 for name, info in model.model_fields.items()}  # fmt: skip
    names = dict.fromkeys(name for kind in RECORD_MODELS for name in mappable_fields(kind))  # type: ignore[arg-type]
    fields["properties"] = {
        name: {**mapping, "description": (described[name].description if name in described
                                          else None) or name.replace("_", " ")}
        for name in names
    }  # fmt: skip
    fields["additionalProperties"] = False
    fields["required"] = ["source_record_id"]


def _retarget(node: Any, targets: dict[str, str]) -> None:
    """Point each ``$ref`` in ``node`` found in ``targets`` at its new definition."""
    if isinstance(node, dict):
        if node.get("$ref") in targets:
            node["$ref"] = targets[node["$ref"]]
        if "mapping" in node:  # a discriminator's mapping
            node["mapping"] = {k: targets.get(v, v) for k, v in node["mapping"].items()}
        for value in node.values():
            _retarget(value, targets)
    elif isinstance(node, list):
        for item in node:
            _retarget(item, targets)


def json_schemas() -> dict[str, Schema]:
    """Every schema by file name, each with ``$schema`` and ``$id``."""
    return {
        name: {"$schema": DRAFT, "$id": ID_BASE + name, **build()}
        for name, build in SCHEMA_FILES.items()
    }


def write_json_schemas(folder: Path) -> list[Path]:
    """Write the JSON Schemas into ``folder``; return the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in json_schemas().items():
        target = folder / name
        target.write_text(json.dumps(schema, indent=2) + "\n", encoding="utf-8")
        written.append(target)
    return written
