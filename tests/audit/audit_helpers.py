"""Helpers shared by the audit trail and DPO tests."""

from __future__ import annotations

import shutil
from pathlib import Path

from hub.audit.events import (
    AuditEntry,
    MatchRun,
    Reidentified,
    Release,
    ReleaseDelivered,
    ReleaseWithheld,
    ReviewDecision,
)
from hub.audit.events import Pull as PullEvent
from hub.audit.log import AuditLog

REPO = Path(__file__).resolve().parents[2]


def write_hub_config(root: Path) -> Path:
    """A hub file with the example feeds, a drop root and a workspace under ``root``."""
    shutil.copytree(REPO / "examples" / "config" / "feeds", root / "config" / "feeds")
    hub_file = root / "config" / "hub.yaml"
    hub_file.write_text(
        f"workspace: {root / 'workspace'}\nfeeds:\n  - feeds/*.yaml\n", encoding="utf-8"
    )
    return hub_file


def pull_event(number: int, feed: str = "police") -> PullEvent:
    """A plausible pull of one file."""
    return PullEvent(feed=feed, file=f"{feed}_nominals_2024010{number}.csv", sha256="0" * 64,
                     source="/drop", bytes=1000 + number)  # fmt: skip


def fill_log(log: AuditLog, entries: int = 5) -> list[AuditEntry]:
    """Write ``entries`` plausible entries; return them."""
    return [log.record(pull_event(number)) for number in range(entries)]


POLICE_HEADER = (
    "NominalID,PNCID,CRONo,Surname,Forename1,Forename2,DOB,Sex,AddressLine1,Town,Postcode,"
    "LastOffenceDate,LastOffenceType,OffenceCount12m,RFGScore,DAFlag\n"
)
POLICE_ROWS = [
    "DC0001,,,TESTER,ALAN,,01/02/1990,M,1 Test Street,Truro,TR1 1AA,01/01/2024,Shoplifting,2,40,N",
    "DC0002,,,EXAMPLE,BETH,,31/13/1985,F,2 Test Street,Truro,TR1 1AB,02/01/2024,Robbery - personal,"
    "1,55,N",
    "DC0003,,,SAMPLE,CARL,,05/06/2001,M,3 Test Street,Truro,TR1 1AC,03/01/2024,"
    "Burglary - residential,3,70,Y",
]

AGREEMENTS = {
    "csp-iom.yaml": """
id: CSP-IOM-001
title: IOM cohort sharing with the community safety partnership
version: "2.1"
parties:
  - {{name: Test Constabulary, role: provider}}
  - {{name: Test Probation Region, role: provider}}
  - {{name: Test Community Safety Partnership, role: recipient}}
providers: [police, probation]
recipients: [csp]
purpose: Managing the IOM cohort (offender management and reducing reoffending)
lawful_basis:
  - {{regime: dpa2018_part3, section: "35(2)(b)", schedule: "Schedule 8, paragraph 1"}}
start_date: 2024-01-01
review_date: {review}
expiry_date: 2099-12-31
retention_days: 30
contacts:
  - {{role: Data protection officer, name: Test DPO, email: dpo@example.org}}
fields:
  date_of_birth: {{treatment: generalise, to: year}}
  offence_type: keep
""",
    "health-pilot.yaml": """
id: HEALTH-PILOT
title: Health referrals pilot
version: "1"
parties:
  - {{name: Test Health Trust, role: provider}}
  - {{name: Test Liaison Service, role: recipient}}
providers: [health]
recipients: [nhs_trust]
purpose: Liaison and diversion pilot
lawful_basis:
  - {{regime: uk_gdpr, article_6: "6(1)(e)", article_9: "9(2)(h)"}}
start_date: 2023-01-01
review_date: 2023-06-30
expiry_date: 2023-12-31
retention_days: 365
contacts:
  - {{role: Data protection officer, name: Test DPO, email: dpo@example.org}}
fields:
  health_service: keep
""",
}

HUB_SHARING = """
matching: {enabled: false}   # the matched files are written by the fixture, to the contract
agreements:
  - agreements/*.yaml
recipients:
  - name: csp
  - name: nhs_trust
"""


def build_dpo_workspace(root: Path, key_hex: str) -> Path:
    """A workspace with real pulls and ingests and, by contract, matching and sharing outputs.

    Two police extracts (the second current, one row quarantined in each), two agreements, one
    release logged as a disclosure and delivered, one release with no entry, a withheld release,
    a re-identification, a match run.
    Returns the hub file. The caller sets IOMHUB_AUDIT_KEY, IOMHUB_DROP_ROOT and
    IOMHUB_MIN_AGE_SECONDS=0.
    """
    import datetime
    import json
    import os

    import pyarrow as pa
    import pyarrow.parquet as pq

    from hub.config import load_config
    from hub.output import Reporter
    from hub.run.pipeline import run_once
    from hub.run.pseudonym_maps import seal_table
    from hub.run.release_files import new_release_id
    from hub.workspace import Workspace

    hub_file = write_hub_config(root)
    hub_file.write_text(hub_file.read_text() + HUB_SHARING, encoding="utf-8")
    review = (datetime.date.today() + datetime.timedelta(days=300)).isoformat()
    agreements = root / "config" / "agreements"
    agreements.mkdir()
    for name, text in AGREEMENTS.items():
        (agreements / name).write_text(text.format(review=review), encoding="utf-8")
    partners = Path(os.environ["IOMHUB_DROP_ROOT"])
    for feed in ("police", "probation", "health", "housing"):
        (partners / feed).mkdir(parents=True, exist_ok=True)
    config = load_config(hub_file)
    for day in ("20240101", "20240102"):
        rows = POLICE_ROWS if day.endswith("2") else POLICE_ROWS[:2]
        (partners / "police" / f"police_nominals_{day}.csv").write_text(
            POLICE_HEADER + "\n".join(rows) + "\n", encoding="utf-8"
        )
        run_once(config, Reporter(quiet=True))
    workspace = Workspace(config.workspace)
    audit = AuditLog(workspace.audit, bytes.fromhex(key_hex))
    current = sorted((workspace.staging / "police").glob("*.parquet"))
    staged = pq.read_table(current[-1]).to_pylist()
    (workspace.root / "matched").mkdir()
    links = [
        {
            "source": r["source"],
            "source_record_id": r["source_record_id"],
            "extract_id": r["extract_id"],
            "person_id": f"P{n:06d}",
            "match_probability": 1.0,
        }
        for n, r in enumerate(staged, start=1)
    ]
    links.append(
        {
            "source": "health",
            "source_record_id": "H000001-908",
            "extract_id": "health-0123456789abcdef",
            "person_id": "P000001",
            "match_probability": 0.97,
        }
    )
    pq.write_table(pa.Table.from_pylist(links), workspace.root / "matched" / "record_links.parquet")
    audit.record(
        MatchRun(
            run_id="m1",
            model_version="test-1",
            records=len(links),
            persons=len(staged),
            persons_with_links=1,
            links=1,
            scored_pairs=1,
            created=len(staged),
            merges=0,
            splits=0,
            retired=0,
            review_pairs=0,
            decisions_applied=1,
        )
    )
    audit.record(
        ReviewDecision(
            pair_id="pair-1",
            left="police:DC0001",
            right="health:H000001-908",
            decision="same",
            decided_by="reviewer",
            reason="same NHS number and date of birth",
        )
    )
    release_ids = [new_release_id(), None]
    release_ids[1] = new_release_id(after=release_ids[0])
    for release_id, persons, logged in (
        (release_ids[0], ["P000001", "P000002"], True),
        (release_ids[1], ["P000002"], False),
    ):
        folder = workspace.root / "published" / "csp" / release_id
        folder.mkdir(parents=True)
        (folder / "view.parquet").write_bytes(b"PAR1 not really")
        manifest = {
            "release_id": release_id,
            "recipient": "csp",
            "agreements": [
                {"id": "CSP-IOM-001", "version": "2.1", "title": "IOM", "retention_days": 30}
            ],
            "fields": [
                {"name": "person_id", "treatment": "pseudonymise"},
                {"name": "date_of_birth", "treatment": "generalise to year"},
                {"name": "offence_type", "treatment": "keep"},
            ],
            "row_count": len(persons),
            "key_id": "k1",
            "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
            "files": [{"name": "view.parquet", "sha256": "0" * 64}],
        }
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        records = workspace.root / "releases" / "csp" / release_id
        records.mkdir(parents=True)
        seal_table(
            pa.table(
                {
                    "field": ["person_id"] * len(persons),
                    "pseudonym": [f"ps{p}" for p in persons],
                    "person_id": persons,
                }
            ),
            Workspace(config.workspace).release_record("csp", release_id).pseudonyms,
            config.settings.master_key_bytes(),
        )
        if logged:
            audit.record(
                Release(
                    recipient="csp",
                    release_id=release_id,
                    path=str(folder),
                    agreements=("CSP-IOM-001 v2.1",),
                    fields=tuple(f["name"] for f in manifest["fields"]),
                    key_id="k1",
                    manifest_sha256="0" * 64,
                    rows=len(persons),
                    agreement_id="CSP-IOM-001",
                    reason="IOM",
                )
            )
            audit.record(ReleaseDelivered(recipient="csp", release_id=release_id, to="outbox"))
    audit.record(
        ReleaseWithheld(recipient="nhs_trust", reason="HEALTH-PILOT v1 expired on 2023-12-31")
    )
    audit.record(
        Reidentified(
            recipient="csp",
            pseudonym="psP000002",
            found=True,
            person_id="P000002",
            field="person_id",
            releases=(release_ids[0],),
            method="pseudonym map",
            records=1,
            reason="MAPPA meeting 2024-03-04: risk to a named victim",
        )
    )
    return hub_file


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # The browser's own background calls resolve nowhere, so nothing leaves the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)


def chromium_binary() -> str | None:
    """Debian's chromium, when installed."""
    import shutil as which

    return which.which("chromium") or which.which("chromium-browser")


def open_in_chromium(page: Path, work: Path) -> tuple[str, list[str]]:
    """Open a file in headless Chromium with a fresh profile; return the rendered DOM and every
    URL the page itself asked the network for (from Chromium's net log)."""
    import json
    import subprocess

    binary = chromium_binary()
    assert binary, "chromium is not installed (scripts/system-deps installs it)"
    net_log = work / "netlog.json"
    completed = subprocess.run(
        [
            binary,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={work / 'profile'}",
            f"--log-net-log={net_log}",
            "--dump-dom",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    log = json.loads(net_log.read_text(encoding="utf-8"))
    names = {number: name for name, number in log["constants"]["logEventTypes"].items()}
    requested = []
    for event in log["events"]:
        params = event.get("params") or {}
        if names.get(event["type"]) != "URL_REQUEST_START_JOB" or "url" not in params:
            continue
        from_page = "file://" in str(params.get("network_isolation_key", "")) or "file://" in str(
            params.get("site_for_cookies", "")
        )
        if from_page and not params["url"].startswith("file:"):
            requested.append(params["url"])
    return completed.stdout, requested
