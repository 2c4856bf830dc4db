"""What every partner's extract builder shares: the chunk's context, its batch of records, the
format an extract is written in, and small helpers for columns."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import vocab
from hub.demo.synthetic.arrays import Draws, WeightedTable, arange, derive_seed, where
from hub.demo.synthetic.names import FEMALE_FORENAMES, MALE_FORENAMES, SURNAMES
from hub.demo.synthetic.population import Hostels, People

NULL_TEXT = pa.scalar(None, pa.string())
FORMULA_NAME = '=HYPERLINK("http://x","y")'


@dataclass(frozen=True)
class Context:
    """What every chunk shares: the seed, the hostels and the offender managers."""

    seed: int
    hostels: Hostels
    managers: pa.StringArray  # managers_per_team names per team, team after team
    managers_per_team: int

    @classmethod
    def build(cls, people: int, seed: int) -> Context:
        """Hostels and managers scale with the population."""
        per_team = max(3, min(60, people // 5000))
        rnd = random.Random(derive_seed(seed, "managers"))
        names = [
            f"{rnd.choice(MALE_FORENAMES + FEMALE_FORENAMES)} {rnd.choice(SURNAMES)}"
            for _ in range(per_team * len(vocab.TEAMS))
        ]
        return cls(seed, Hostels.build(people, seed), pa.array(names), per_team)


@dataclass(frozen=True)
class Batch:
    """One chunk's records for one feed, in file order."""

    people: People
    rows: pa.Int64Array  # the person (row in ``people``) behind each record
    duplicate: pa.BooleanArray  # a person's second record in this extract
    first_record: int  # records of this feed in earlier chunks
    record_no: pa.Int64Array  # distinct numbers across the whole extract, for unique record ids
    draws: Draws
    context: Context

    @classmethod
    def select(
        cls, people: People, feed: str, chunk: int, first_record: int, context: Context
    ) -> Batch:
        """Records of the feed's members, second records mixed in at random positions."""
        everyone = arange(len(people))
        firsts = pc.filter(everyone, people.member[feed])
        seconds = pc.filter(everyone, people.duplicate[feed])
        rows = pa.concat_arrays([firsts, seconds])
        duplicate = pa.concat_arrays(
            [
                pa.array([False] * len(firsts), pa.bool_()),
                pa.array([True] * len(seconds), pa.bool_()),
            ]
        )
        draws = Draws(len(rows), context.seed, feed, chunk)
        order = pc.sort_indices(draws.uniform("order"))
        # Record numbers are dealt in another random order so neighbouring ids look unrelated.
        record_no = pc.add(pc.sort_indices(draws.uniform("id.order")), first_record)
        return cls(
            people, rows.take(order), duplicate.take(order), first_record, record_no, draws, context
        )

    def person(self, column: pa.Array) -> pa.Array:
        """A person-level column, one value per record."""
        return column.take(self.rows)

    def blank_some(self, ids: pa.Array) -> pa.Array:
        """Rarely, a record id left blank: a row the hub must quarantine."""
        return where(self.draws.chance("id.blank", 0.001), NULL_TEXT, ids)


def vocabulary(entries: dict[str, float]) -> tuple[pa.StringArray, WeightedTable]:
    """A vocabulary's values and a table drawing them by weight."""
    return pa.array(list(entries)), WeightedTable(list(entries.values()), size=4096)


@dataclass(frozen=True)
class FeedFormat:
    """How one partner's extract is named, encoded, delimited and built."""

    file_name: str  # with {date} for YYYYMMDD
    encoding: str  # utf-8, utf-8-sig (with a byte-order mark) or cp1252
    delimiter: str
    id_column: str
    columns: tuple[str, ...]
    build: Callable[[Batch], dict[str, pa.Array]]
