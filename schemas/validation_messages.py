"""Pydantic's validation errors as a data officer reads them, in the hub's words.

``Extra inputs are not permitted`` becomes ``unknown key 'schedul' (did you mean 'schedule'?)``,
``Field required`` becomes ``missing key 'source'``, a validator's ``Value error, ...`` loses
its prefix, and type errors say what was expected. The keys a place allows are read from the
model's JSON Schema, following the error's location. No input value is ever repeated.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_INTERNAL_PARTS = ("function-", "tagged-union", "json-or-python", "lax-or-strict")
_EXPECTED = {
    "int_parsing": "a whole number", "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "string_type": "text", "list_type": "a list", "dict_type": "a mapping of keys",
    "model_type": "a mapping of keys", "model_attributes_type": "a mapping of keys",
    "date_parsing": "a date (YYYY-MM-DD)", "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_type": "a date (YYYY-MM-DD)",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One validation problem: where (dotted path, empty at the top level) and what."""

    where: str
    message: str


def describe_problems(error: ValidationError, model: type[BaseModel]) -> list[Problem]:
    """Every problem of ``error`` (raised validating ``model``) in the hub's words."""
    schema = model.model_json_schema(by_alias=True)
    return [_problem(details, schema) for details in error.errors()]


def _problem(details: ErrorDetails, schema: dict[str, Any]) -> Problem:
    loc = [part for part in details["loc"] if not str(part).startswith(_INTERNAL_PARTS)]
    tags: set[int] = set()
    kind = details["type"]
    if kind in ("extra_forbidden", "missing") and loc:
        *parent, key = loc
        found = list(_nodes_at(schema, schema, parent, 0, tags))
        where = _dotted(parent, tags)
        if kind == "missing":
            return Problem(where, f"missing key '{key}'")
        known = sorted({name for node in found for name in node.get("properties", {})})
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        if close:
            return Problem(where, f"unknown key '{key}' (did you mean '{close[0]}'?)")
        listed = f" (known: {', '.join(known)})" if known else ""
        return Problem(where, f"unknown key '{key}'{listed}")
    list(_nodes_at(schema, schema, loc, 0, tags))
    message = details["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind in _EXPECTED:
        message = f"expected {_EXPECTED[kind]}"
    elif kind == "union_tag_invalid":
        context = details.get("ctx", {})
        key = str(context.get("discriminator", "")).strip("'")
        message = f"{key}: expected {context.get('expected_tags')}, not '{context.get('tag')}'"
    elif kind == "union_tag_not_found":
        message = f"missing key {details.get('ctx', {}).get('discriminator')}"
    elif kind in ("literal_error", "enum"):
        message = "expected " + details["msg"].removeprefix("Input should be ")
    return Problem(_dotted(loc, tags), message)


def _dotted(loc: list[Any], tags: set[int]) -> str:
    """The location as written in the file: a union's tag (``source.sftp``) is no key there."""
    return ".".join(str(part) for index, part in enumerate(loc) if index not in tags)


def _nodes_at(
    root: dict[str, Any], node: dict[str, Any], path: list[Any], depth: int, tags: set[int]
) -> Iterator[dict[str, Any]]:
    """The schema objects at ``path`` from ``node``, through references and unions; the
    positions of ``path`` that name a union's branch (its tag) are added to ``tags``."""
    if "$ref" in node:
        yield from _nodes_at(root, _resolve(root, node["$ref"]), path, depth, tags)
        return
    branches = node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", [])
    if branches:
        mapping = node.get("discriminator", {}).get("mapping", {})
        if path and str(path[0]) in mapping:
            tags.add(depth)
            yield from _nodes_at(root, _resolve(root, mapping[str(path[0])]), path[1:],
                                 depth + 1, tags)  # fmt: skip
            return
        for branch in branches:
            yield from _nodes_at(root, branch, path, depth, tags)
        return
    if not path:
        yield node
        return
    part, rest = path[0], path[1:]
    if isinstance(part, int) and isinstance(node.get("items"), dict):
        yield from _nodes_at(root, node["items"], rest, depth + 1, tags)
    elif str(part) in node.get("properties", {}):
        yield from _nodes_at(root, node["properties"][str(part)], rest, depth + 1, tags)
    elif isinstance(node.get("additionalProperties"), dict):
        yield from _nodes_at(root, node["additionalProperties"], rest, depth + 1, tags)


def _resolve(root: dict[str, Any], reference: str) -> dict[str, Any]:
    target: Any = root
    for part in reference.removeprefix("#/").split("/"):
        target = target[part]
    return target
