"""generate_partners: a seeded population written as the four partner extracts plus the truth."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from hub.demo.synthetic.batch import Batch, Context
from hub.demo.synthetic.feeds import FORMATS
from hub.demo.synthetic.population import FEEDS, Counters, build_people, nhs_share
from hub.demo.synthetic.writer import Closing, DelimitedWriter, TruthWriter

# People per chunk. Part of the output's identity: changing it changes every file.
CHUNK_PEOPLE = 200_000
MIN_PEOPLE, MAX_PEOPLE = 10, 10_000_000


@dataclass(frozen=True)
class GeneratedExtracts:
    """What generate_partners wrote."""

    files: dict[str, Path]  # feed name -> extract file written
    truth_path: Path  # the truth file
    people: int  # size of the population
    records: dict[str, int]  # feed name -> data rows written


def generate_partners(
    extracts_dir: Path,
    truth_path: Path,
    people: int,
    *,
    seed: int = 7,
    extract_date: datetime.date = datetime.date(2026, 11, 22),
    feeds: Sequence[str] = FEEDS,
) -> GeneratedExtracts:
    """Write synthetic partner extracts to ``extracts_dir/<feed>/<file>`` and the truth to
    ``truth_path`` (Parquet: source, source_record_id, person_id).

    The same ``people`` and ``seed`` give byte-identical files whatever the ``extract_date``
    (it only names the files) and whichever ``feeds`` are chosen. Memory stays bounded: people
    are drawn and written in chunks. Rows written with a blank record id (deliberately bad) have
    no key and are absent from the truth.
    """
    extracts_dir, truth_path = Path(extracts_dir), Path(truth_path)
    _check(extracts_dir, truth_path, people, feeds)
    wanted = [f for f in FEEDS if f in feeds]
    date = extract_date.strftime("%Y%m%d")
    files = {f: extracts_dir / f / FORMATS[f].file_name.format(date=date) for f in wanted}
    context = Context.build(people, seed)
    counters = Counters()
    written = dict.fromkeys(wanted, 0)
    writers = {
        f: DelimitedWriter(files[f], FORMATS[f].columns, FORMATS[f].delimiter, FORMATS[f].encoding)
        for f in wanted
    }
    truth = TruthWriter(truth_path)
    with Closing([*writers.values(), truth]):
        for chunk, start in enumerate(range(0, people, CHUNK_PEOPLE)):
            size = min(CHUNK_PEOPLE, people - start)
            population = build_people(
                start, size, seed, chunk, context.hostels, counters, nhs_share(people)
            )
            for feed in FEEDS:
                count = population.record_count(feed)
                if feed in writers and count:
                    batch = Batch.select(population, feed, chunk, counters.records[feed], context)
                    fmt = FORMATS[feed]
                    columns = fmt.build(batch)
                    writers[feed].write([columns[c] for c in fmt.columns])
                    truth.write(feed, columns[fmt.id_column], population.person_ids(batch.rows))
                    written[feed] += count
                counters.records[feed] += count
    return GeneratedExtracts(files, truth_path, people, written)


def _check(extracts_dir: Path, truth_path: Path, people: int, feeds: Sequence[str]) -> None:
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(f"people must be {MIN_PEOPLE:,} to {MAX_PEOPLE:,}, got {people:,}")
    unknown = sorted(set(feeds) - set(FEEDS))
    if unknown:
        raise ValueError(f"unknown feeds {unknown}; known feeds are {list(FEEDS)}")
    if truth_path.resolve().is_relative_to(extracts_dir.resolve()):
        raise ValueError(
            f"the truth file {truth_path} must be kept apart from the extracts in "
            f"{extracts_dir}: the hub would ingest it"
        )
