"""What a retention plan is made of: one item held, its period and its decision; and the summary
of erasures per place (``landing/``, ``matched/``, a delivery folder, an outbox)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEEP, ERASE = "keep", "erase"
HELD_BEYOND = "held beyond retention"
"""How the reason of an item kept past its period begins."""


@dataclass
class RetentionItem:
    """One thing the hub holds, and whether its retention period has ended."""

    kind: str
    """'extract', 'rejected_file', 'release', 'outbox' or 'matching' (matched/)."""
    item_id: str
    owner: str
    """The feed, the recipient, or ``matching`` for matching's outputs."""
    paths: list[Path]
    bytes: int
    held_since: datetime.datetime
    age_days: int
    retention_days: int | None
    basis: str
    action: str
    reason: str
    agreement_ids: list[str] = field(default_factory=list)

    @property
    def due(self) -> bool:
        """Whether the item is past its period and will be erased."""
        return self.action == ERASE

    @property
    def held_beyond_retention(self) -> bool:
        """Whether the item is past its period but kept (a feed's current extract)."""
        return not self.due and self.reason.startswith(HELD_BEYOND)

    def as_dict(self, root: Path | None = None) -> dict[str, Any]:
        """A JSON-ready document; paths relative to the workspace when ``root`` is given."""
        return {
            "kind": self.kind,
            "id": self.item_id,
            "owner": self.owner,
            "files": [relative(p, root) for p in self.paths],
            "bytes": self.bytes,
            "held_since": self.held_since.isoformat(timespec="seconds"),
            "age_days": self.age_days,
            "retention_days": self.retention_days,
            "basis": self.basis,
            "action": self.action,
            "reason": self.reason,
            "agreement_ids": self.agreement_ids,
        }


@dataclass(frozen=True)
class PlaceErasures:
    """What a retention pass erased (or would erase) in one place."""

    place: str
    """A workspace folder (``landing/``), or a folder outside it: ``delivery <path>``,
    ``outbox <path>``."""
    items: int
    files: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document."""
        return {"place": self.place, "items": self.items, "files": self.files,
                "bytes": self.bytes}  # fmt: skip


def relative(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` when inside it, else as given."""
    if root is not None:
        try:
            return str(path.relative_to(root))
        except ValueError:
            pass
    return str(path)


def size_of(paths: Iterable[Path]) -> int:
    """Bytes of the files of ``paths`` still there."""
    return sum(p.stat().st_size for p in paths if p.exists())


def decide(age: int, retention: int | None, basis: str) -> tuple[str, str]:
    """Erase when older than its period; keep, saying why, otherwise."""
    if retention is None:
        return KEEP, f"kept: {basis}"
    if age > retention:
        return ERASE, f"past retention ({age} days held; {basis})"
    return KEEP, f"within retention ({age} of {retention} days)"


def age_days(now: datetime.datetime, since: datetime.datetime) -> int:
    """Whole days from ``since`` to ``now``."""
    return (now - since).days


def file_time(path: Path) -> datetime.datetime:
    """A file's modification time, in UTC."""
    return datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)


def by_place(items: Iterable[RetentionItem], places: dict[Path, str]) -> list[PlaceErasures]:
    """Files and bytes of ``items`` per place; ``places`` maps a folder to its label (the
    deepest folder holding a path names its place; a workspace folder is named by its first
    part)."""
    totals: dict[str, list[int]] = {}
    ordered = sorted(places.items(), key=lambda pair: len(pair[0].parts), reverse=True)
    for item in items:
        seen: set[str] = set()
        for path in item.paths:
            place = _place(path, ordered)
            total = totals.setdefault(place, [0, 0, 0])
            if place not in seen:
                total[0] += 1
                seen.add(place)
            total[1] += 1
            total[2] += path.stat().st_size if path.exists() else 0
    return [PlaceErasures(place, *total) for place, total in sorted(totals.items())]


def _place(path: Path, places: list[tuple[Path, str]]) -> str:
    for folder, label in places:
        if path.is_relative_to(folder):
            if label:
                return label
            return f"{path.relative_to(folder).parts[0]}/"
    return str(path.parent)
