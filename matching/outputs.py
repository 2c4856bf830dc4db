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

    def files(self) -> tuple[Path, ...]:
        """Every output, in the order a run moves them into place."""
        return (self.record_links, self.persons, self.review, self.frame, self.report,
                self.run_record)  # fmt: skip
