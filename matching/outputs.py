"""The files a matching run writes into its output folder (``matched/`` in a workspace).

Matching owns these names; whoever gives a run its folder reads the outputs through
:class:`MatchOutputs` rather than spelling the names again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class MatchOutputs:
    """Paths of a matching run's outputs inside ``root``."""

    root: Path

    @property
    def record_links(self) -> Path:
        """source, source_record_id, extract_id, person_id, match_probability."""
        return self.root / "record_links.parquet"

    @property
    def persons(self) -> Path:
        """The person view: one row per person, every field with the feed it came from."""
        return self.root / "persons.parquet"

    @property
    def review(self) -> Path:
        """Pairs for review, with their evidence."""
        return self.root / "review.parquet"

    @property
    def frame(self) -> Path:
        """The standardised records (for ``iomhub match explain``)."""
        return self.root / "frame.parquet"

    @property
    def report(self) -> Path:
        """The match report (self-contained HTML)."""
        return self.root / "report.html"

    @property
    def run_record(self) -> Path:
        """The last run's counts."""
        return self.root / "run.json"

    @property
    def scored(self) -> Path:
        """The scored candidate pairs (for the next incremental run)."""
        return self.root / "scored.parquet"

    @property
    def clusters(self) -> Path:
        """Each record's key, fingerprint, component and cluster (for the next incremental
        run)."""
        return self.root / "clusters.parquet"

    @property
    def term_frequencies(self) -> Path:
        """The last full run's name frequencies, frozen for incremental runs."""
        return self.root / "term_frequencies.parquet"

    @property
    def last_run(self) -> Path:
        """What an incremental run builds on (:class:`matching.incremental.LastRun`)."""
        return self.root / "incremental.json"

    def incremental_files(self) -> tuple[Path, ...]:
        """The outputs an incremental run reads."""
        return (self.scored, self.clusters, self.term_frequencies, self.last_run)

    def files(self) -> tuple[Path, ...]:
        """Every output, in the order a run moves them into place."""
        return (self.record_links, self.persons, self.review, self.frame, self.scored,
                self.clusters, self.term_frequencies, self.report, self.run_record,
                self.last_run)  # fmt: skip
