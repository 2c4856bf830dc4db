"""``iomhub cohort candidates``: load a hub's cohort rules, draw the candidates, write them out.

The candidates file holds one row per person put forward (``status`` candidate) and per person
excluded (``status`` excluded, with ``why``); reasons are joined with ``; ``. It is identified
data for the IOM panel: it stays inside the hub's trust boundary, where the operator writes it.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq

from hub.audit.events import CohortListed
from hub.cohort.candidates import CandidateList, select_candidates
from hub.cohort.inputs import CohortInputs, gather_inputs
from hub.cohort.rules import CohortRules, load_cohort_rules
from hub.cohort.severity import SeverityTable, load_severity
from hub.cohort_membership import open_store
from hub.config import HubConfig
from hub.errors import CohortError, InvalidRequest
from hub.run.publish import load_sharing
from hub.workspace import Workspace

COLUMNS = pa.schema([
    ("person_id", pa.string()), ("status", pa.string()), ("strand", pa.string()),
    ("score", pa.float64()), ("reasons", pa.string()), ("why", pa.string()),
    ("area", pa.string()), ("lead_agency", pa.string()), ("offender_manager", pa.string()),
    ("offender_manager_team", pa.string()), ("accommodation_status", pa.string()),
    ("substance_treatment", pa.string()), ("mental_health_service", pa.string()),
])  # fmt: skip


def cohort_rules(config: HubConfig) -> CohortRules:
    """The hub's cohort rules (``cohort:`` in the hub file)."""
    if config.cohort is None:
        raise CohortError(
            f"{config.config_path or 'the hub file'} names no cohort rules",
            hint="add `cohort: cohort.yaml` to the hub file (docs/cohort.md)",
        )
    return load_cohort_rules(config.cohort, config.environment)


def list_candidates(
    config: HubConfig, today: datetime.date | None = None, out: Path | None = None
) -> CandidateList:
    """The cohort's candidates on ``today`` (the current date unless given), written to
    ``out`` if given; the listing is audited as a consultation (counts only)."""
    today = today or datetime.date.today()
    rules, severity, inputs = read_inputs(config, today)
    listing = select_candidates(rules, inputs, severity.citation)
    workspace = Workspace(config.workspace)
    with open_store(workspace) as store:
        store.replace_candidates(today, {c.person_id: c.strand for c in listing.candidates})
    if out is not None:
        write_candidates(listing, out)
    counts = listing.counts()
    workspace.open_audit(config.settings).record(CohortListed(
        fixed=counts["fixed"], flex=counts["flex"], free=counts["free"],
        excluded=len(listing.excluded), written=out is not None,
    ))  # fmt: skip
    return listing


def read_inputs(
    config: HubConfig, today: datetime.date, history_since: datetime.date | None = None
) -> tuple[CohortRules, SeverityTable, CohortInputs]:
    """The rules, the severity table and what the rules may read on ``today`` (with every
    linked offence since ``history_since``, if given)."""
    rules = cohort_rules(config)
    severity = load_severity()
    workspace = Workspace(config.workspace)
    offence_feeds = {feed.name for feed in config.feeds if feed.format.record == "offence"}
    state = workspace.open_state()
    try:
        current = state.current_extracts()
    finally:
        state.close()
    offence_files = {
        feed: workspace.staging_file(feed, extract.extract_id)
        for feed, extract in sorted(current.items())
        if feed in offence_feeds and workspace.staging_file(feed, extract.extract_id).exists()
    }
    agreements = load_sharing(config)
    inputs = gather_inputs(config, workspace, rules, severity, agreements, offence_files, today,
                           history_since)  # fmt: skip
    return rules, severity, inputs


def candidates_table(listing: CandidateList) -> pa.Table:
    """Candidates then exclusions, one row each, in :data:`COLUMNS`."""
    rows = [
        {"person_id": c.person_id, "status": "candidate", "strand": c.strand, "score": c.score,
         "reasons": "; ".join(str(r) for r in c.reasons), "why": None, "area": c.area,
         "lead_agency": c.lead_agency, "offender_manager": c.offender_manager,
         "offender_manager_team": c.offender_manager_team,
         "accommodation_status": c.accommodation_status,
         "substance_treatment": c.substance_treatment,
         "mental_health_service": c.mental_health_service}
        for c in listing.candidates
    ] + [
        {"person_id": e.person_id, "status": "excluded", "strand": e.strand,
         "reasons": e.rule, "why": e.why}
        for e in listing.excluded
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, schema=COLUMNS)


def write_candidates(listing: CandidateList, path: Path) -> Path:
    """Write the candidates as ``.csv`` or ``.parquet`` (by the file's suffix)."""
    table = candidates_table(listing)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    elif path.suffix == ".csv":
        pv.write_csv(table, path)
    else:
        raise InvalidRequest(f"{path.name}: write candidates to a .csv or a .parquet file")
    return path


def describe_counts(listing: CandidateList) -> str:
    """Candidates per strand, exclusions and the offences read, in a few lines."""
    per_strand = ", ".join(f"{strand} {count:,}" for strand, count in listing.counts().items())
    lines = [
        f"cohort candidates on {listing.today.isoformat()}: {per_strand}; "
        f"{len(listing.excluded):,} excluded with reasons",
        f"  offences counted: {listing.offences_used:,} ({listing.offences_unlinked:,} linked "
        f"to no one); severity weights: {listing.severity_source}",
    ]
    if listing.offence_feeds_withheld:
        lines.append(f"  offences not read (no agreement): "
                     f"{', '.join(listing.offence_feeds_withheld)}")  # fmt: skip
    return "\n".join(lines)


def candidates_summary(config: HubConfig, today: datetime.date | None = None) -> str:
    """:func:`describe_counts` of the hub's candidates, or why there are none to count."""
    try:
        return describe_counts(list_candidates(config, today))
    except CohortError as error:
        return f"cohort candidates: none ({error})"
