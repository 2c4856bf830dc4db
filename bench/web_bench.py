"""How fast the cohort page answers at 50,000 people: server time to page, filter, sort, count.

Writes a release of ``--people`` synthetic people (a view.parquet and manifest, as publishing
writes them), then times :func:`hub.run.team_view.query_people` (the whole of the cohort page's
data work: the page of rows, the total and every facet's counts) for a set of typical requests,
each ``--repeat`` times, and prints the median and worst per request. The first request loads
the release into memory and is timed apart.

    .venv/bin/python bench/web_bench.py --people 50000
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
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.run.releases import read_release
from hub.run.team_view import PeopleQuery, ReleaseTables, query_people

SURNAMES = [
    "SMITH",
    "JONES",
    "TAYLOR",
    "BROWN",
    "WILLIAMS",
    "WILSON",
    "JOHNSON",
    "DAVIES",
    "ROBINSON",
    "WRIGHT",
    "THOMPSON",
    "EVANS",
    "WALKER",
    "WHITE",
    "ROBERTS",
    "GREEN",
]
OFFENCES = [
    "Burglary - residential",
    "Robbery - personal",
    "Theft from the person",
    "Shoplifting",
    "Assault with injury",
    "Criminal damage",
    "Possession of drugs",
]
ROSH = ["Low", "Medium", "High", "Very High"]
HOUSING = ["Settled", "Temporary", "Hostel", "No fixed abode", "Rough sleeping"]
TREATMENT = ["In treatment", "Discharged", "Awaiting assessment", "Did not attend"]


def _maybe(chooser: random.Random, value: object, rate: float) -> object:
    return value if chooser.random() < rate else None


def write_release(folder: Path, people: int, seed: int) -> Path:
    """A release folder with ``people`` rows shaped like the IOM team's view."""
    chooser = random.Random(seed)
    today = datetime.date(2026, 12, 1)
    columns: dict[str, list[object]] = {name: [] for name in (
        "person_id", "forename", "surname", "date_of_birth", "offence_type", "rfg_score",
        "da_flag", "ogrs_score", "rosh_level", "sentence_type", "sentence_end_date",
        "accommodation_status", "treatment_status", "known_to")}  # fmt: skip
    for index in range(people):
        on_probation = chooser.random() < 0.5
        columns["person_id"].append(f"{chooser.getrandbits(128):032x}")
        columns["forename"].append(chooser.choice(["JOHN", "SARAH", "LIAM", "EMMA", "NOAH"]))
        columns["surname"].append(f"{chooser.choice(SURNAMES)}{index % 97}")
        columns["date_of_birth"].append(
            today - datetime.timedelta(days=chooser.randint(6500, 25000))
        )
        columns["offence_type"].append(chooser.choice(OFFENCES))
        columns["rfg_score"].append(chooser.randint(0, 300))
        columns["da_flag"].append(chooser.random() < 0.15)
        columns["ogrs_score"].append(chooser.randint(0, 99) if on_probation else None)
        columns["rosh_level"].append(chooser.choice(ROSH) if on_probation else None)
        columns["sentence_type"].append("Licence" if on_probation else None)
        columns["sentence_end_date"].append(
            today + datetime.timedelta(days=chooser.randint(0, 900)) if on_probation else None
        )
        columns["accommodation_status"].append(_maybe(chooser, chooser.choice(HOUSING), 0.3))
        columns["treatment_status"].append(_maybe(chooser, chooser.choice(TREATMENT), 0.2))
        housed = columns["accommodation_status"][-1] is not None
        columns["known_to"].append(["police", *(["probation"] if on_probation else []),
                                    *(["housing"] if housed else [])])  # fmt: skip
    release = folder / "published" / "iom_team" / "20261201T020000-000001"
    release.mkdir(parents=True)
    pq.write_table(pa.table(columns), release / "view.parquet")
    (release / "manifest.json").write_text(json.dumps({
        "release_id": release.name, "recipient": "iom_team", "row_count": people,
        "created_at": "2026-12-01T02:00:00+00:00",
        "fields": [{"name": name, "treatment": "keep"} for name in columns],
    }))  # fmt: skip
    return release


REQUESTS = {
    "first page, by surname": PeopleQuery(),
    "page 400": PeopleQuery(page=400),
    "name search": PeopleQuery(q="smith4"),
    "OGRS high + burglary": PeopleQuery(filters=(("ogrs_band", "high"),
                                                 ("offence_type", "Burglary - residential"))),
    "RoSH very high, by RFG desc": PeopleQuery(filters=(("rosh_level", "Very High"),),
                                               sort="rfg_score", descending=True),
    "known to housing + probation": PeopleQuery(filters=(("known_to", "housing"),
                                                         ("known_to", "probation"))),
    "DA + hostel + sentence ends soon": PeopleQuery(
        filters=(("da_flag", "true"), ("accommodation_status", "Hostel")),
        sentence_ends_before=datetime.date(2027, 3, 1)),
}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        release = read_release(write_release(Path(folder), args.people, args.seed), "iom_team")
        tables = ReleaseTables()
        started = time.perf_counter()
        query_people(tables, release, PeopleQuery())
        print(f"{args.people:,} people; first request (loads the release): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms")  # fmt: skip
        print(f"{'request':36} {'people':>8} {'median ms':>10} {'worst ms':>9}")
        for label, query in REQUESTS.items():
            timings = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                page = query_people(tables, release, query)
                timings.append((time.perf_counter() - started) * 1000)
            print(f"{label:36} {page.total:>8,} {statistics.median(timings):>10.1f} "
                  f"{max(timings):>9.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
