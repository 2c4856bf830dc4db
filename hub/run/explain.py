"""Explain the score of one pair of records: the waterfall of match weights, and who they are now.

The records are named by partner and record id (user input): they reach the engine as an Arrow
table joined against the standardised records, never as text inside SQL. Shows personal data
(the compared values) to the person asking; for the IOM team's authorised reviewers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.config import HubConfig
from hub.run.match import load_model
from hub.workspace import Workspace

if TYPE_CHECKING:
    from matching.engine import Engine
    from matching.score import PairEvidence

RecordKey = tuple[str, str]
"""(feed, partner record id)."""


@dataclass(frozen=True)
class PairExplanation:
    """Why the model scores a pair as it does, and the person each record belongs to now."""

    left: str
    right: str
    evidence: PairEvidence
    person_ids: dict[str, str | None]
    model_version: str

    @property
    def one_person(self) -> bool:
        """Whether both records belong to the same person now."""
        ids = set(self.person_ids.values())
        return len(ids) == 1 and None not in ids

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"left": self.left, "right": self.right, **self.evidence.as_dict(),
                "person_ids": self.person_ids, "model": self.model_version}  # fmt: skip


def explain_review_pair(config: HubConfig, pair_id: str) -> PairExplanation:
    """Explain a pair of the review list, by its id."""
    from hub.run.review import review_list
    from matching.errors import ReviewError

    for pair in review_list(config):
        if pair.pair_id == pair_id:
            return explain_records(config, pair.left, pair.right)
    raise ReviewError(f"no pair {pair_id} in the review list")


def explain_records(config: HubConfig, left: RecordKey, right: RecordKey) -> PairExplanation:
    """Explain the score of two current records, each given as (feed, record id)."""
    from matching.errors import ReviewError

    if left == right:
        raise ReviewError("that is one record twice")
    among = explain_among(config, [left, right])
    [(first, second)] = among.evidence
    keys = [first, second]
    return PairExplanation(*(f"{s}:{r}" for s, r in keys), among.evidence[first, second],
                           _person_ids(Workspace(config.workspace).matched.record_links, keys),
                           among.model_version)  # fmt: skip


@dataclass(frozen=True)
class EvidenceAmong:
    """The evidence for every pair among some current records, keyed in canonical order."""

    evidence: dict[tuple[RecordKey, RecordKey], PairEvidence]
    model_version: str
    link_weight: float


def explain_among(config: HubConfig, keys: list[RecordKey]) -> EvidenceAmong:
    """Score every pair among ``keys`` (distinct current records), whether blocked or not."""
    import itertools

    import pyarrow as pa

    from matching.engine import open_engine
    from matching.errors import MatchingError
    from matching.score import explain_pairs

    workspace = Workspace(config.workspace)
    folder = workspace.matched
    if not folder.frame.exists():
        raise MatchingError("no match has run in this workspace yet", hint="run 'iomhub run'")
    model = load_model(config, workspace)
    engine = open_engine(config.matching.engine, workspace.spill_folder("explain"))
    try:
        engine.load_parquet("frame_file", [folder.frame])
        engine.create_table("frame", "SELECT * FROM frame_file")
        records = int(engine.scalar("SELECT count(*) FROM frame"))
        key_of = dict(zip(_unique_ids(engine, keys), keys, strict=True))
        pairs = list(itertools.combinations(sorted(key_of), 2))
        found = explain_pairs(engine, model, records, pa.table({
            "unique_id_l": pa.array([a for a, _ in pairs], pa.int64()),
            "unique_id_r": pa.array([b for _, b in pairs], pa.int64())}))  # fmt: skip
    finally:
        engine.close()
    link_weight = config.matching.link_weight
    return EvidenceAmong(
        {(key_of[e.unique_id_l], key_of[e.unique_id_r]): e for e in found},
        model.version,
        model.link_weight if link_weight is None else link_weight,
    )


def _unique_ids(engine: Engine, keys: list[RecordKey]) -> list[int]:
    """The frame's unique id of each key, in order; the keys travel as data, not SQL."""
    import pyarrow as pa

    from matching.errors import ReviewError

    engine.register_arrow("explain_keys", pa.table({
        "position": pa.array(range(len(keys)), pa.int64()),
        "source": pa.array([s for s, _ in keys], pa.string()),
        "source_record_id": pa.array([r for _, r in keys], pa.string())}))  # fmt: skip
    found = engine.to_arrow(
        "SELECT k.position, f.unique_id FROM explain_keys k "
        "JOIN frame f ON f.source = k.source AND f.source_record_id = k.source_record_id"
    ).to_pylist()
    by_position = {row["position"]: row["unique_id"] for row in found}
    for position, (source, record) in enumerate(keys):
        if position not in by_position:
            raise ReviewError(f"no current record {source}:{record}")
    return [by_position[position] for position in range(len(keys))]


def _person_ids(links: Path, keys: list[RecordKey]) -> dict[str, str | None]:
    import pyarrow.parquet as pq

    if not links.exists():
        return {f"{s}:{r}": None for s, r in keys}
    table = pq.read_table(links, columns=["source", "source_record_id", "person_id"])
    wanted = set(keys)
    lookup = {(r["source"], r["source_record_id"]): r["person_id"] for r in table.to_pylist()
              if (r["source"], r["source_record_id"]) in wanted}  # fmt: skip
    return {f"{s}:{r}": lookup.get((s, r)) for s, r in keys}
