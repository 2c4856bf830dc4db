"""Matching settings: the ``matching:`` section of the hub file.

Every setting has a default, so a hub file without the section matches with the shipped model::

    matching:
      model: models/iom-2026-11.json      # pin a trained model (default: the shipped one)
      link_weight: 1                      # auto-link at or above this match weight
      review_weight: -1                   # pairs from here up to link_weight go to review
      engine: {backend: duckdb, memory_limit: 4GB, threads: 2, predict_chunk_records: 1000000}
      incremental: {enabled: true, full_every_days: 7}   # nightly runs redo only what changed
      # engine: {backend: spark, spark: {master: "local[2]", conf: {...}, exchange: /shared}}
      survivorship:
        sources: [probation, police, health, housing]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from schemas.duckdb_session import DuckDBSettings


class SparkConfig(BaseModel):
    """Where the Spark engine runs (``backend: spark``; see docs/spark.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    master: str = Field(
        "local[2]",
        description="spark.master: 'local[N]' in this process, 'spark://host:7077', 'yarn', "
        "'k8s://...', or a Spark Connect URL 'sc://host:15002'.",
    )
    conf: dict[str, str] = Field(
        default_factory=dict,
        description="Spark settings (spark.conf), e.g. spark.executor.memory; they override "
        "the hub's defaults.",
    )
    exchange: Path | None = Field(
        None,
        description="Folder both the hub and the Spark driver and executors reach (a shared "
        "mount, as Spark names it): inputs, intermediate tables and outputs go there as "
        "Parquet. Default: the run's folder under the workspace's tmp/ (local masters).",
    )
    exchange_local: Path | None = Field(
        None,
        description="The same folder as the hub's machine mounts it, when its path differs "
        "from 'exchange' (default: 'exchange' itself).",
    )


class EngineConfig(BaseModel):
    """Where the linkage runs: DuckDB on this machine, or Spark (local or a cluster)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["duckdb", "spark"] = Field(
        "duckdb", description="The SQL engine Splink runs on."
    )
    spark: SparkConfig = Field(default_factory=SparkConfig)  # type: ignore[arg-type]
    memory_limit: str = Field(
        "4GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description="DuckDB memory limit of matching and publishing; beyond it DuckDB "
        "spills to the workspace's tmp/.",
    )  # fmt: skip
    threads: int | None = Field(None, ge=1, description="Worker threads (default: all cores).")
    predict_chunk_records: int = Field(
        1_000_000, ge=1000,
        description="Prediction scores the candidate pairs of at most this many records at a "
        "time (the candidate pairs are made once, then scored a share at a time), so the "
        "engine holds one share's pairs with their values at once.",
    )  # fmt: skip

    def session(self, spill_folder: Path) -> DuckDBSettings:
        """The bounds of a DuckDB session under these settings, spilling to ``spill_folder``."""
        threads = self.threads or os.cpu_count() or 1
        return DuckDBSettings(self.memory_limit, threads, spill_folder)


class IncrementalConfig(BaseModel):
    """Nightly runs that score and re-cluster only new and changed records
    (:mod:`matching.incremental`), with a full run now and then."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        True, description="Build on the last run: score only pairs touching new or changed "
        "records, re-cluster only the people they touch. Off: every run is a full re-match.",
    )  # fmt: skip
    full_every_days: int = Field(
        7, ge=1, description="Run a full re-match when the last full one is this many days "
        "old (name frequencies and the prior are frozen in between). 'iomhub run --full' "
        "forces one.",
    )  # fmt: skip


class SurvivorshipConfig(BaseModel):
    """Which partner's value wins in the person view (see docs/matching.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: list[str] | None = Field(
        None,
        description="One feed order for every identity field, most trusted first; overrides "
        "the per-field defaults. Feeds not listed rank after those listed, by name.",
    )
    fields: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Per survivorship group (e.g. 'name', 'address'), a feed order that "
        "overrides the default for that group only.",
    )


class ReviewConfig(BaseModel):
    """``matching: review:``: how reviewers' decisions take effect."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    four_eyes: bool = Field(
        True, description="A 'same' on records of two agencies where one is a health feed, or "
        "on records with different valid PNC IDs, waits for a second, different reviewer.",
    )  # fmt: skip
    health_feeds: tuple[str, ...] = Field(
        ("health",), description="Feeds holding health data (for four eyes)."
    )


class MatchingConfig(BaseModel):
    """How records are linked into people."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(True, description="Run matching after ingest.")
    model: Path | None = Field(
        None,
        description="Model file to use (relative to the hub file). Default: the model pinned "
        "by 'iomhub match train' in the workspace, else the one shipped with the hub.",
    )
    link_weight: float | None = Field(
        None, description="Link pairs at or above this match weight (default: the model's)."
    )
    review_weight: float | None = Field(
        None, description="Pairs from this weight up to link_weight go to review "
        "(default: the model's).",
    )  # fmt: skip
    engine: EngineConfig = Field(default_factory=EngineConfig)  # type: ignore[arg-type]
    incremental: IncrementalConfig = Field(default_factory=IncrementalConfig)  # type: ignore[arg-type]
    survivorship: SurvivorshipConfig = Field(default_factory=SurvivorshipConfig)  # type: ignore[arg-type]
    review: ReviewConfig = Field(default_factory=ReviewConfig)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _review_below_link(self) -> MatchingConfig:
        if (
            self.link_weight is not None
            and self.review_weight is not None
            and self.review_weight > self.link_weight
        ):
            raise ValueError("review_weight must not be above link_weight")
        return self
