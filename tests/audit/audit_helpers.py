"""Helpers shared by the audit trail and DPO tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from hub.audit import AuditLog, Operation

REPO = Path(__file__).resolve().parents[2]


def write_hub_config(root: Path) -> Path:
    """A hub file with the example feeds, a drop root and a workspace under ``root``."""
    shutil.copytree(REPO / "examples" / "config" / "feeds", root / "config" / "feeds")
    hub_file = root / "config" / "hub.yaml"
    hub_file.write_text(
        f"workspace: {root / 'workspace'}\nfeeds:\n  - feeds/*.yaml\n", encoding="utf-8"
    )
    return hub_file


def fill_log(log: AuditLog, entries: int = 5) -> list[dict]:
    """Write ``entries`` plausible entries; return them."""
    written = []
    for number in range(entries):
        written.append(
            log.record(
                Operation.COLLECTION,
                "pull",
                objects={"feed": "police", "file": f"police_nominals_2024010{number}.csv"},
                counts={"bytes": 1000 + number},
            )
        )
    return written
