"""How fast subject access answers on a large workspace: the search, the person's page, the pack.

Builds a workspace of ``--people`` synthetic people (default 50,000) as the hub's stages leave
it: staged extracts of four partners (every person known to the police, about half to probation,
a third to health and to housing), the matched record links, ``--releases`` monthly releases to
each of two recipients (each carrying about 60% of the people: a view file, a manifest and a
sealed pseudonym map) and ``--consultations`` consultation entries in the audit log. Then times,
``--repeat`` times each, with the median and the worst:

- a search by surname and date of birth (:func:`hub.governance.subject_search.find_subject`),
- a search by PNC, and by a partner's record id,
- the person's holdings (:func:`hub.governance.subject_holdings.subject_holdings`: records,
  releases read back with their values, consultations about them),
- the response pack (zip, with its audit entry).

    .venv/bin/python bench/subject_access_bench.py --people 50000
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from web_bench import SURNAMES

from hub.audit.events import Consultation
from hub.config import HubConfig, load_config
from hub.governance.subject_holdings import subject_holdings
from hub.governance.subject_pack import make_response_pack
from hub.governance.subject_search import SubjectQuery, find_subject
from hub.run.pseudonym_maps import seal_table
from hub.settings import HubSettings
from hub.workspace import Workspace

FORENAMES = ["JOHN", "SARAH", "LIAM", "EMMA", "NOAH", "OLIVIA", "JACK", "MIA", "LEO", "AVA"]
IDENTIFIERS = ("pnc_id", "cro_number", "nhs_number", "crn", "nomis_number")
FEEDS = {"police": 1.0, "probation": 0.5, "health": 0.35, "housing": 0.3}


def _people(count: int, seed: int) -> list[dict[str, object]]:
    chooser = random.Random(seed)
    people = []
    for index in range(count):
        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=chooser.randrange(15000))
        people.append(
            {
                "person_id": f"IOM-{index + 1:06d}",
                "forename": chooser.choice(FORENAMES),
                "surname": f"{chooser.choice(SURNAMES)}{chooser.randrange(400)}",
                "date_of_birth": born,
                "pnc_id": f"{1980 + index % 40}/{index:07d}A",
                "postcode": f"PL{index % 30} {index % 9}AB",
            }
        )
    return people


def _write_staging(workspace: Workspace, people: list[dict[str, object]], seed: int) -> list:
    chooser = random.Random(seed + 1)
    links = []
    for feed, share in FEEDS.items():
        extract = f"{feed}-bench0000000000"
        rows: dict[str, list[object]] = {
            name: []
            for name in (
                "source",
                "source_record_id",
                "extract_id",
                "row_number",
                "forename",
                "surname",
                "date_of_birth",
                "postcode",
                *IDENTIFIERS,
                *(f"{n}_canonical" for n in IDENTIFIERS),
                "offence_type",
                "treatment_status",
            )
        }
        for person in people:
            if chooser.random() >= share:
                continue
            record_id = f"{feed[:2].upper()}{len(rows['source']) + 1:08d}"
            known = feed in ("police", "probation")
            values = {
                "source": feed,
                "source_record_id": record_id,
                "extract_id": extract,
                "row_number": len(rows["source"]) + 1,
                "forename": person["forename"],
                "surname": person["surname"],
                "date_of_birth": person["date_of_birth"],
                "postcode": person["postcode"],
                "pnc_id": person["pnc_id"] if known else None,
                "pnc_id_canonical": person["pnc_id"] if known else None,
                "offence_type": "Shoplifting" if feed == "police" else None,
                "treatment_status": "In treatment" if feed == "health" else None,
            }
            for name in rows:
                rows[name].append(values.get(name))
            links.append(
                {
                    "source": feed,
                    "source_record_id": record_id,
                    "extract_id": extract,
                    "person_id": person["person_id"],
                    "match_probability": 0.99,
                }
            )
        folder = workspace.staging / feed
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.table(rows), folder / f"{extract}.parquet")
    workspace.matched.root.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(links), workspace.matched.record_links)
    return links


def _write_releases(
    config: HubConfig, people: list[dict[str, object]], months: int, seed: int
) -> int:
    chooser = random.Random(seed + 2)
    workspace = Workspace(config.workspace)
    master = config.settings.master_key_bytes()
    made = 0
    for recipient, columns in (
        ("iom_team", ("forename", "surname", "date_of_birth")),
        ("performance", ("postcode",)),
    ):
        for month in range(months):
            release_id = f"2026{month % 12 + 1:02d}01T0{month // 12}0000-000000"
            chosen = [p for p in people if chooser.random() < 0.6]
            pseudonyms = [f"{chooser.getrandbits(128):032x}" for _ in chosen]
            folder = workspace.published / recipient / release_id
            folder.mkdir(parents=True)
            view = {"person_id": pseudonyms, **{c: [p[c] for p in chosen] for c in columns}}
            pq.write_table(pa.table(view), folder / "view.parquet")
            manifest = {
                "release_id": release_id,
                "recipient": recipient,
                "created_at": f"2026-{month % 12 + 1:02d}-01T00:00:00+00:00",
                "agreements": [{"id": "BENCH-1", "version": "1.0"}],
                "fields": ["person_id", *columns],
                "row_count": len(chosen),
                "key_id": f"{recipient}-v1",
            }
            (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
            record = workspace.release_record(recipient, release_id)
            record.root.mkdir(parents=True)
            seal_table(
                pa.table(
                    {
                        "field": ["person_id"] * len(chosen),
                        "pseudonym": pseudonyms,
                        "person_id": [p["person_id"] for p in chosen],
                    }
                ),
                record.pseudonyms,
                master,
            )
            made += 1
    return made


def _timed(label: str, repeat: int, action: Callable[[int], object]) -> None:
    seconds = []
    for attempt in range(repeat):
        start = time.perf_counter()
        action(attempt)
        seconds.append(time.perf_counter() - start)
    print(
        f"  {label:<44} median {statistics.median(seconds) * 1000:8.1f} ms   "
        f"worst {max(seconds) * 1000:8.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--releases", type=int, default=6, help="per recipient")
    parser.add_argument("--consultations", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--seed", type=int, default=17)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iomhub-sar-bench-") as folder:
        root = Path(folder)
        (root / "hub.yaml").write_text("workspace: ./workspace\n", encoding="utf-8")
        settings = HubSettings(master_key="5a" * 32, audit_key="a5" * 32, actor="bench")
        config = load_config(root / "hub.yaml", settings=settings, environment={})
        workspace = Workspace(config.workspace)
        workspace.create()
        started = time.perf_counter()
        people = _people(args.people, args.seed)
        links = _write_staging(workspace, people, args.seed)
        releases = _write_releases(config, people, args.releases, args.seed)
        audit = workspace.open_audit(config.settings)
        for index in range(args.consultations):
            audit.record(
                Consultation(
                    page="/cohort",
                    purpose="IOM panel",
                    view_of="iom_team",
                    person_ids=(f"{index:032x}",),
                    people=1,
                ),
                actor="olivia",
            )
        print(
            f"workspace: {args.people:,} people, {len(links):,} partner records, "
            f"{releases} releases, {args.consultations:,} consultations "
            f"(built in {time.perf_counter() - started:.1f} s)"
        )
        chooser = random.Random(args.seed + 3)
        sample = [chooser.choice(people) for _ in range(args.repeat)]
        by_name = [
            SubjectQuery(surname=str(p["surname"]).lower(), date_of_birth=p["date_of_birth"])
            for p in sample
        ]
        found = [find_subject(config, query) for query in by_name]
        assert all(
            any(c.person_id == p["person_id"] for c in f)
            for f, p in zip(found, sample, strict=True)
        )
        _timed(
            "search by surname and date of birth",
            args.repeat,
            lambda i: find_subject(config, by_name[i]),
        )
        _timed(
            "search by PNC",
            args.repeat,
            lambda i: find_subject(
                config, SubjectQuery(identifier=str(sample[i]["pnc_id"]).lower())
            ),
        )
        first_record = {}
        for link in links:
            first_record.setdefault(link["person_id"], link["source_record_id"])
        record_ids = [first_record[p["person_id"]] for p in sample]
        _timed(
            "search by a partner's record id",
            args.repeat,
            lambda i: find_subject(config, SubjectQuery(identifier=str(record_ids[i]))),
        )
        held = []
        _timed(
            "the person's page (records, releases, access)",
            args.repeat,
            lambda i: held.append(subject_holdings(config, str(sample[i]["person_id"]))),
        )
        print(
            f"    (a person here: {len(held[0].rows)} records, {len(held[0].releases)} "
            "releases read back with their values)"
        )
        _timed(
            "the response pack, audited",
            args.repeat,
            lambda i: make_response_pack(held[i], f"SAR-BENCH-{i}", audit, actor="bench"),
        )


if __name__ == "__main__":
    main()
