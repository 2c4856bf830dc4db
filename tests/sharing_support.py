"""Synthetic matched views (to the matched-view contract) and hub settings for sharing tests.

Nobody here is real: names, dates and reference numbers are drawn from a seeded generator, and
reference numbers carry valid check characters so canonical forms exist.
"""

from __future__ import annotations

import datetime
import random
import textwrap
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.canonical import arrow_schema
from schemas.identifiers import CHECK_ALPHABET
from sharing_agreements.view import VIEW_FIELDS, source_column

FEEDS = ("police", "probation", "health", "housing")
OWNERS: dict[str, tuple[str, ...]] = {
    **{
        name: FEEDS
        for name in ("forename", "middle_names", "surname", "date_of_birth", "sex", "postcode")
    },
    **{name: ("police", "probation", "housing") for name in ("address", "town")},
    "pnc_id": ("police", "probation"),
    "cro_number": ("police",),
    "nhs_number": ("health",),
    "crn": ("probation",),
    "nomis_number": ("probation",),
    **{
        name: ("police",)
        for name in ("offence_type", "offence_date", "offence_count_12m", "rfg_score", "da_flag")
    },
    **{
        name: ("probation",)
        for name in (
            "ogrs_score",
            "rosh_level",
            "sentence_type",
            "sentence_end_date",
            "offender_manager",
            "offender_manager_team",
        )
    },
    **{
        name: ("health",)
        for name in ("health_service", "referral_date", "treatment_status", "primary_substance")
    },
    **{
        name: ("housing",)
        for name in ("accommodation_status", "housing_provider", "tenancy_start_date")
    },
}
FORENAMES = ["Harvey", "Anna", "William", "Bill", "Grace", "Tomasz", "Aisha", "Connor", "Ruth"]
SURNAMES = ["THOMSON", "Wood", "O'Neill", "Khan", "Nowak", "Penrose", "Trevithick", "Smith"]
TOWNS = ["Camborne", "Redruth", "Truro", "Falmouth", "Penzance"]
SERVICES = ["Drug and alcohol", "Community mental health", "Liaison and diversion"]


def valid_pnc(rng: random.Random) -> str:
    """A PNC id with a correct check letter."""
    year, serial = rng.randint(1995, 2024), rng.randint(1, 9_999_999)
    return f"{year}/{serial:07d}{CHECK_ALPHABET[int(f'{year % 100:02d}{serial:07d}') % 23]}"


def valid_cro(rng: random.Random) -> str:
    """A CRO number with a correct check letter."""
    serial, yy = rng.randint(1, 999_999), rng.randint(0, 99)
    return f"{serial:06d}/{yy:02d}{CHECK_ALPHABET[int(f'{yy:02d}{serial:06d}') % 23]}"


def valid_nhs(rng: random.Random) -> str:
    """An NHS number (in the range reserved for tests) with a correct check digit."""
    while True:
        digits = "999" + "".join(str(rng.randint(0, 9)) for _ in range(6))
        check = (
            11 - sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True)) % 11
        ) % 11
        if check != 10:
            return digits + str(check)


def _value(name: str, rng: random.Random) -> Any:
    day = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randint(0, 20000))
    if name in ("forename", "middle_names"):
        return rng.choice(FORENAMES)
    if name == "surname":
        return rng.choice(SURNAMES)
    if name == "sex":
        return rng.choice(["male", "female"])
    if name == "address":
        return f"{rng.randint(1, 99)} {rng.choice(['Fore', 'Trelowarren', 'Chapel'])} Street"
    if name == "town":
        return rng.choice(TOWNS)
    if name == "postcode":
        return rng.choice(["TR15 9RR", "tr159rr", "TR1 2AB", "PL25 4DJ", "NF1 1NF", "bad"])
    if name == "pnc_id":
        return valid_pnc(rng)
    if name == "cro_number":
        return valid_cro(rng)
    if name == "nhs_number":
        return valid_nhs(rng)
    if name == "crn":
        return f"{rng.choice('ABCSX')}{rng.randint(0, 999999):06d}"
    if name == "nomis_number":
        return f"A{rng.randint(1000, 9999)}{rng.choice(['BC', 'XY', 'QD'])}"
    if name in ("offence_count_12m", "rfg_score", "ogrs_score"):
        return rng.randint(0, 99)
    if name == "da_flag":
        return rng.random() < 0.3
    if name == "health_service":
        return rng.choice(SERVICES)
    if name.endswith("date") or name == "date_of_birth":
        return day
    return rng.choice(
        [
            "Burglary - residential",
            "High",
            "Licence",
            "Settled",
            "Council",
            "In treatment",
            "Heroin",
            "Team North",
            "J. Officer",
        ]
    )


def view_schema() -> pa.Schema:
    """The matched view's Arrow schema (person_id as text)."""
    canonical = arrow_schema()
    fields = [
        pa.field("person_id", pa.string()),
        pa.field("record_count", pa.int64()),
        pa.field("sources", pa.list_(pa.string())),
    ]
    for name in VIEW_FIELDS:
        fields += [
            pa.field(name, canonical.field(name).type),
            pa.field(source_column(name), pa.string()),
        ]
    return pa.schema(fields)


def make_persons(count: int, seed: int = 1, *, id_prefix: str = "P") -> pa.Table:
    """A matched view of ``count`` synthetic people, each with the feeds that know them."""
    rng = random.Random(seed)
    rows = []
    for number in range(count):
        known = [feed for feed in FEEDS if rng.random() < 0.5] or [rng.choice(FEEDS)]
        row: dict[str, Any] = {
            "person_id": f"{id_prefix}{number:07d}",
            "record_count": len(known) + rng.randint(0, 1),
            "sources": known,
        }
        for name in VIEW_FIELDS:
            owners = [feed for feed in OWNERS[name] if feed in known]
            if owners and rng.random() < 0.9:
                row[name], row[source_column(name)] = _value(name, rng), rng.choice(owners)
            else:
                row[name], row[source_column(name)] = None, None
        rows.append(row)
    return pa.Table.from_pylist(rows, schema=view_schema())


def make_links(persons: pa.Table) -> pa.Table:
    """record_links.parquet for a view: one partner record per person and source."""
    rows = [
        {
            "source": feed,
            "source_record_id": f"{feed[:2].upper()}{index:06d}",
            "extract_id": f"{feed}-x1",
            "person_id": person,
            "match_probability": 0.99,
        }
        for index, (person, known) in enumerate(
            zip(
                persons.column("person_id").to_pylist(),
                persons.column("sources").to_pylist(),
                strict=True,
            )
        )
        for feed in known
    ]
    return pa.Table.from_pylist(rows)


def write_matched(workspace: Path, persons: pa.Table) -> Path:
    """Write a matched view (and its record links) into a workspace; return the view file."""
    folder = workspace / "matched"
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(persons, folder / "persons.parquet")
    pq.write_table(make_links(persons), folder / "record_links.parquet")
    return folder / "persons.parquet"


def agreement_yaml(**overrides: Any) -> str:
    """A valid agreement document as YAML, with top-level keys replaced by ``overrides``."""
    import yaml

    document: dict[str, Any] = {
        "id": "TEST-1",
        "title": "Test agreement",
        "version": "1.0",
        "parties": [
            {"name": "Police", "role": "provider"},
            {"name": "IOM team", "role": "recipient"},
        ],
        "providers": ["police", "probation"],
        "recipients": ["iom_team"],
        "purpose": "Managing the IOM cohort in tests.",
        "lawful_basis": [
            {
                "regime": "dpa2018_part3",
                "section": "35(2)(b)",
                "schedule": "Schedule 8, paragraph 1",
            }
        ],
        "start_date": datetime.date(2025, 1, 1),
        "review_date": datetime.date(2027, 1, 1),
        "expiry_date": datetime.date(2028, 1, 1),
        "retention_days": 365,
        "contacts": [{"role": "SPoC", "name": "Data officer", "email": "data@example.org"}],
        "subjects": {"known_to": ["police", "probation"]},
        "fields": {
            "surname": "keep",
            "pnc_id": "pseudonymise",
            "date_of_birth": {"treatment": "generalise", "to": "year"},
        },
    }
    document.update(overrides)
    return yaml.safe_dump(document, sort_keys=False)


def write_hub(
    root: Path,
    agreements: dict[str, str],
    *,
    recipients: str | None = None,
    reidentifiers: tuple[str, ...] = ("data-officer",),
) -> Path:
    """A hub file with no feeds to pull, the given agreement files and recipients."""
    folder = root / "config"
    (folder / "agreements").mkdir(parents=True, exist_ok=True)
    for name, text in agreements.items():
        (folder / "agreements" / name).write_text(text, encoding="utf-8")
    recipients = recipients or textwrap.dedent(
        f"""\
        recipients:
          - name: iom_team
            formats: [parquet, csv]
            push: {{kind: folder, path: {root / "outbox" / "iom_team"}}}
          - name: performance
        """
    )
    feeds = "\n".join(
        f"  - name: {feed}\n    source: {{kind: folder, path: {root / 'drop' / feed}, "
        f"pattern: '{feed}_*.csv'}}\n    format: {{fields: {{source_record_id: Id}}}}"
        for feed in FEEDS
    )
    hub = folder / "hub.yaml"
    hub.write_text(
        f"workspace: {root / 'workspace'}\nfeeds:\n{feeds}\nagreements:\n  - agreements/*.yaml\n"
        f"{recipients}reidentifiers: [{', '.join(reidentifiers)}]\n",
        encoding="utf-8",
    )
    return hub


def keyed_hub(root: Path, monkeypatch: Any, agreements: dict[str, str], persons: pa.Table) -> Any:
    """A hub with fresh keys, the agreement files (approved) and the matched view ``persons``:
    the loaded config."""
    from hub.config import load_config
    from hub.keys import write_new_key
    from tests.helpers import approve_agreements

    for name in ("audit_key", "master_key"):
        write_new_key(root / "keys" / name)
    monkeypatch.setenv("IOMHUB_SECRETS_DIR", str(root / "keys"))
    monkeypatch.setenv("IOMHUB_ACTOR", "data-officer")
    hub_file = write_hub(root, agreements)
    approve_agreements(hub_file)
    config = load_config(hub_file)
    write_matched(config.workspace, persons)
    return config


def published_hub(
    root: Path, monkeypatch: Any, agreement: str, persons: pa.Table, recipient: str = "iom_team"
) -> tuple[Any, Any]:
    """A hub with fresh keys, the one agreement and the matched view ``persons``, published for
    ``recipient``: the loaded config and the recipient's outcome."""
    from hub.output import Reporter
    from hub.run.publish import publish_all
    from hub.workspace import Workspace

    config = keyed_hub(root, monkeypatch, {"agreement.yaml": agreement}, persons)
    workspace = Workspace(config.workspace)
    state = workspace.open_state()
    try:
        (outcome,) = publish_all(config, workspace, state, workspace.open_audit(config.settings),
                                 Reporter(quiet=True), recipients=[recipient])  # fmt: skip
    finally:
        state.close()
    return config, outcome
