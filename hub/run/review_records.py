"""What a reviewer sees of records: each as the partner wrote it (its staged row) and as matching
standardised it (its frame row), and a person's records with the score of every pair among them.

Personal data, for the IOM team's authorised reviewers; the pages showing it are audited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.config import HubConfig
from hub.run.explain import explain_among
from hub.run.record_lookup import records_by_key, rows_where
from hub.workspace import Workspace
from matching.errors import ReviewError
from matching.registry import PersonRegistry, RecordKey, pair_key
from matching.score import PairEvidence

RAW_FIELDS = ("forename", "middle_names", "surname", "date_of_birth", "sex", "address", "town",
              "postcode", "pnc_id", "cro_number", "nhs_number", "crn", "nomis_number")  # fmt: skip
"""The identifying fields of a staged record, as the partner sent them."""
STANDARD_FIELDS = ("forename_std", "middle_std", "surname_std", "dob", "sex_std", "postcode_std",
                   "address_key", "pnc", "cro", "nhs", "crn", "nomis")  # fmt: skip
"""The standardised columns matching compares."""
MAX_CLUSTER = 12
"""At most this many records of a person are drawn (and scored pair by pair)."""


@dataclass(frozen=True)
class RecordValues:
    """One record as sent and as standardised."""

    key: RecordKey
    raw: tuple[tuple[str, str], ...]
    standard: tuple[tuple[str, str], ...]
    person_id: str | None

    @property
    def text(self) -> str:
        return f"{self.key[0]}:{self.key[1]}"


@dataclass(frozen=True)
class FieldRow:
    """One field of two records side by side, and whether they differ."""

    name: str
    left: str
    right: str

    @property
    def differs(self) -> bool:
        """Both records hold a value, and the values differ (case aside)."""
        left, right = self.left.strip().lower(), self.right.strip().lower()
        return bool(left and right) and left != right

    @property
    def one_sided(self) -> bool:
        """Only one of the records holds a value."""
        return bool(self.left.strip()) != bool(self.right.strip())


@dataclass(frozen=True)
class ClusterEdge:
    """A pair of a person's records and what joins (or would join) them."""

    left: int
    right: int
    evidence: PairEvidence
    linked: bool
    """Scored at or above the link weight with no guard stopping it."""
    decision: str | None
    """'same' or 'different' when a reviewer decided the pair."""


@dataclass(frozen=True)
class ClusterView:
    """A person's records (up to :data:`MAX_CLUSTER`) and every pair among them."""

    person_id: str
    records: tuple[RecordValues, ...]
    edges: tuple[ClusterEdge, ...]
    total_records: int
    link_weight: float


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return " ".join(str(v) for v in value)
    return str(value)


def side_by_side(left: tuple[tuple[str, str], ...],
                 right: tuple[tuple[str, str], ...]) -> list[FieldRow]:  # fmt: skip
    """Two records' fields in rows, for the fields either holds."""
    values_r = dict(right)
    return [FieldRow(name, value, values_r.get(name, "")) for name, value in left
            if value or values_r.get(name)]  # fmt: skip


def record_values(config: HubConfig, keys: list[RecordKey]) -> list[RecordValues]:
    """Each current record as sent and as standardised; ReviewError for an unknown record."""
    workspace = Workspace(config.workspace)
    folder = workspace.matched
    if not folder.frame.exists():
        raise ReviewError("no match has run in this workspace yet", hint="run 'iomhub run'")
    frame = records_by_key(folder.frame, keys, ["extract_id", *STANDARD_FIELDS])
    links = records_by_key(folder.record_links, keys, ["person_id"])
    unknown = [key for key in keys if key not in frame]
    if unknown:
        raise ReviewError(f"no current record {unknown[0][0]}:{unknown[0][1][:40]}")
    by_extract: dict[Path, list[RecordKey]] = {}
    for source, record in keys:  # each staged extract read once, for all its records shown
        extract = workspace.staging_file(source, frame[(source, record)]["extract_id"])
        by_extract.setdefault(extract, []).append((source, record))
    staged: dict[RecordKey, dict[str, Any]] = {}
    for extract, held in by_extract.items():
        staged.update(records_by_key(extract, held, RAW_FIELDS))
    found = []
    for source, record in keys:
        row = frame[(source, record)]
        raw = staged.get((source, record), {})
        link = links.get((source, record))
        found.append(RecordValues(
            (source, record), tuple((f, _shown(raw.get(f))) for f in RAW_FIELDS),
            tuple((f, _shown(row[f])) for f in STANDARD_FIELDS),
            link["person_id"] if link else None,
        ))  # fmt: skip
    return found


def person_records(config: HubConfig, person_id: str) -> list[RecordKey]:
    """The records the last match gave this person."""
    links = Workspace(config.workspace).matched.record_links
    rows = rows_where(links, "person_id", person_id, ["source", "source_record_id"])
    return sorted((r["source"], r["source_record_id"]) for r in rows)


def cluster_view(config: HubConfig, key: RecordKey) -> ClusterView:
    """The person a record belongs to: their records and every pair among them, scored."""
    [record] = record_values(config, [key])
    if record.person_id is None:
        raise ReviewError(f"{record.text} belongs to no person yet")
    members = person_records(config, record.person_id)
    shown = [key, *[m for m in members if m != key][: MAX_CLUSTER - 1]]
    values = record_values(config, shown) if len(shown) > 1 else [record]
    among = explain_among(config, shown) if len(shown) > 1 else None
    link_weight = among.link_weight if among else 0.0
    folder = Workspace(config.workspace).matched
    with PersonRegistry(folder.registry) as registry:
        decided = {(d.left, d.right): d.same for d in registry.decisions()}
    position = {value.key: i for i, value in enumerate(values)}
    edges = []
    for (a, b), evidence in among.evidence.items() if among else []:
        same = decided.get(pair_key(a, b))
        linked = evidence.match_weight >= link_weight and not evidence.guards
        decision = None if same is None else ("same" if same else "different")
        edges.append(ClusterEdge(position[a], position[b], evidence, linked, decision))
    return ClusterView(record.person_id, tuple(values), tuple(edges), len(members), link_weight)
