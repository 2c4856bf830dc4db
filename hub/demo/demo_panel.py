"""The demo's IOM panel: a police and a probation decision-maker select most candidates.

The demo has no real panel, so it records one: ``demo-panel-police`` and
``demo-panel-probation`` (the names of the demo's web accounts with those roles) each select
every candidate the cohort rules put forward, except the two lowest-scored of each strand, left
for the web app's panel page. Each decision is audited like any other; the IOM team's view,
which follows the cohort, is published after them.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.cohort.listing import list_candidates
from hub.cohort.panel import record_decision
from hub.cohort.rules import STRANDS
from hub.cohort_membership import Agency
from hub.config import HubConfig

DECISION_MAKERS: tuple[tuple[str, Agency], ...] = (
    ("demo-panel-police", "police"),
    ("demo-panel-probation", "probation"),
)
LEFT_FOR_THE_WEB = 2
REASON = "demo panel: put forward by the cohort rules (synthetic data)"


@dataclass(frozen=True)
class DemoPanel:
    """What the demo's panel decided: candidates and selections per strand."""

    candidates: dict[str, int]
    selected: dict[str, int]

    def describe(self) -> str:
        """One line per strand."""
        parts = ", ".join(
            f"{strand} {self.selected[strand]} of {self.candidates[strand]}" for strand in STRANDS
        )
        return (
            f"panel (demo-panel-police & demo-panel-probation, audited) selected: {parts}; "
            f"the {LEFT_FOR_THE_WEB} lowest-scored of each strand are left for the web app's "
            "panel page"
        )


def hold_demo_panel(config: HubConfig) -> DemoPanel:
    """Select each strand's candidates but the lowest-scored, by both decision-makers."""
    listing = list_candidates(config)
    selected = dict.fromkeys(STRANDS, 0)
    for strand in STRANDS:
        ranked = sorted((c for c in listing.candidates if c.strand == strand),
                        key=lambda c: (-c.score, c.person_id))  # fmt: skip
        for candidate in ranked[: max(len(ranked) - LEFT_FOR_THE_WEB, 0)]:
            for name, agency in DECISION_MAKERS:
                record_decision(config, name, agency, candidate.person_id, "select", strand,
                                REASON)  # fmt: skip
            selected[strand] += 1
    return DemoPanel(listing.counts(), selected)
