"""``iomhub feed init``: a new feed's YAML drafted from a partner's sample file.

The ``format:`` is guessed by :func:`schemas.feed_draft.draft_format`; the feed gets a name (from
the file name unless given), a drop-folder source watching the sample's folder for files named
like it, and comments saying what to check and which columns are not mapped. The file written is
validated as a feed file before it is kept; an existing file is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hub.config import FeedConfig, describe_validation_error
from schemas.errors import ConfigError
from schemas.feed_draft import draft_format


@dataclass(frozen=True)
class FeedInit:
    """The feed file written, and what its author should look at."""

    path: Path
    feed: str
    fields: tuple[str, ...]
    unmapped: tuple[str, ...]
    notes: tuple[str, ...]


def _feed_name(sample: Path) -> str:
    words = re.findall(r"[a-z]+", sample.stem.lower())
    return words[0][:40] if words else "partner"


def _pattern(sample: Path) -> str:
    """The sample's name with its dates and sequence numbers as ``*``."""
    return re.sub(r"\d{4,}", "*", sample.name)


def init_feed(sample: Path, out: Path, *, name: str | None = None) -> FeedInit:
    """Write a feed file for ``sample``'s partner to ``out`` (which must not exist)."""
    if out.exists():
        raise ConfigError(f"{out} already exists; the feed file is never overwritten",
                          hint="give another --out, or remove the file first")  # fmt: skip
    if not sample.is_file():
        raise ConfigError(f"{sample}: no such sample file")
    draft = draft_format(sample)
    name = name or _feed_name(sample)
    document: dict[str, Any] = {
        "name": name,
        "description": f"{name} (drafted from {sample.name}; edit me)",
        "schedule": "0 2 * * *",
        "source": {"kind": "folder", "path": str(sample.resolve().parent),
                   "pattern": _pattern(sample)},
        "format": draft.format,
    }  # fmt: skip
    try:
        FeedConfig.model_validate(document)
    except ValidationError as error:
        where = f"feed {name!r}"
        raise ConfigError(describe_validation_error(error, FeedConfig, where=where)) from error
    lines = [
        f"# Feed {name!r}, drafted by `iomhub feed init` from {sample.name}.",
        "# Check every mapping against the partner's data specification, then run",
        "# `iomhub config check`. See docs/feeds.md for every option.",
        *(f"# CHECK: {note}" for note in draft.notes),
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100).rstrip(),
    ]
    if draft.unmapped:
        lines.append("    # not mapped (no canonical field of that name): "
                     + ", ".join(draft.unmapped))  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return FeedInit(out, name, tuple(draft.format["fields"]), draft.unmapped, draft.notes)
