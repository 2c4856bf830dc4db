"""Constants and types the matching tests share (imported by conftest and the tests alike)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matching.config import EngineConfig

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_CONFIG = ROOT / "examples" / "config" / "hub.yaml"
PEOPLE = 1500
ENGINE = EngineConfig(memory_limit="1GB", threads=2)


@dataclass(frozen=True)
class Population:
    """A synthetic population ingested into a workspace."""

    workspace: Path
    staging_files: list[Path]
    truth: Path
