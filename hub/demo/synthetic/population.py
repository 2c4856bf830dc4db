"""The population, one chunk at a time: who each person is, where they live, which identifiers
they hold and which partners know them. Pure arrays; one draw stream per attribute."""

from __future__ import annotations

import dataclasses
import datetime
import random
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import vocab
from hub.demo.synthetic.arrays import (
    Draws,
    WeightedTable,
    affine_permutation,
    arange,
    cat,
    date_parts,
    derive_seed,
    to_int,
    where,
)
from hub.demo.synthetic.identifiers import NOMS_SPACE, nhs_test_pool
from hub.demo.synthetic.places import HOSTEL_NAMES, HOSTEL_PROVIDERS, STREETS, TOWNS

FEEDS: tuple[str, ...] = ("police", "probation", "health", "housing")

# Ages and all dates are relative to this fixed day, never to today().
REFERENCE_DATE = datetime.date(2026, 11, 21)
REFERENCE_DAYS = (REFERENCE_DATE - datetime.date(1970, 1, 1)).days
YEAR_DAYS = 365.25

OFFENDER_RATE = 0.38
TWIN_PAIR_RATE = 0.004  # per pair of neighbours: ~1% of offenders are a twin
FATHER_SON_PAIR_RATE = 0.004
MOVER_RATE = 0.25  # has a previous address some partners still hold
OTHER_SURNAME_RATE = 0.14  # women known to some partners by a maiden or married surname
MIDDLE_NAME_RATE = 0.55
CRO_RATE = 0.55  # offenders with a CRO number
PRISON_RATE = 0.35  # offenders with a prison (NOMIS) number
# Feed membership: (offender rate, non-offender band) and the rate of a second record.
PROBATION_RATE = 0.58
HEALTH_OFFENDER_RATE, HEALTH_BAND = 0.25, (0.0, 0.40)
HOUSING_OFFENDER_RATE, HOUSING_BAND = 0.25, (0.35, 0.68)
DUPLICATE_RATE = {"police": 0.04, "probation": 0.01, "health": 0.03, "housing": 0.01}

HOUSING_STATUSES = ("Settled", "Temporary", "Hostel", "No fixed abode", "Rough sleeping")
SETTLED, TEMPORARY, HOSTEL, NO_FIXED_ABODE, ROUGH_SLEEPING = range(5)
_STATUS_OFFENDER = WeightedTable([35, 20, 25, 12, 8], size=4096)
_STATUS_OTHER = WeightedTable([62, 18, 10, 6, 4], size=4096)
_STREETS = pa.array(STREETS)


@dataclass(frozen=True)
class Address:
    """Address columns: first line, town index, postcode district (outward) and inward code."""

    line1: pa.Array
    town: pa.Array
    district: pa.Array
    inward: pa.Array

    def _columns(self) -> list[pa.Array]:
        return [getattr(self, f.name) for f in dataclasses.fields(self)]

    def take(self, rows: pa.Array) -> Address:
        """The addresses at ``rows``."""
        return Address(*(c.take(rows) for c in self._columns()))

    def choose(self, mask: pa.Array, other: Address) -> Address:
        """``other`` where ``mask`` is true, else this address."""
        return Address(
            *(where(mask, o, c) for c, o in zip(self._columns(), other._columns(), strict=True))
        )

    def blank_unless(self, keep: pa.Array) -> Address:
        """Null addresses where ``keep`` is false."""
        return Address(*(where(keep, c, pa.nulls(len(c), c.type)) for c in self._columns()))

    def town_name(self) -> pa.Array:
        """Town names."""
        return vocab.TOWN_NAMES.take(self.town)


def draw_addresses(d: Draws, prefix: str) -> Address:
    """Random addresses across the towns, weighted by population."""
    district = d.pick(f"{prefix}.district", vocab.DISTRICT_TABLE)
    number = pc.cast(d.integers(f"{prefix}.number", 1, 60), pa.string())
    high = pc.cast(
        to_int(pc.add(pc.multiply(pc.power(d.uniform(f"{prefix}.high"), 3), 180), 1)), pa.string()
    )
    number = where(d.chance(f"{prefix}.long-street", 0.3), high, number)
    street = _STREETS.take(d.integers(f"{prefix}.street", 0, len(STREETS)))
    line1 = cat(number, " ", street)
    flat = cat("Flat ", pc.cast(d.integers(f"{prefix}.flat", 1, 13), pa.string()), ", ", line1)
    line1 = where(d.chance(f"{prefix}.is-flat", 0.1), flat, line1)
    inward = vocab.INWARD_CODES.take(d.integers(f"{prefix}.inward", 0, len(vocab.INWARD_CODES)))
    return Address(
        line1, vocab.DISTRICT_TOWN.take(district), vocab.DISTRICTS.take(district), inward
    )


@dataclass(frozen=True)
class Hostels:
    """Hostels whose address many housing residents share."""

    address: Address
    provider: pa.StringArray

    @classmethod
    def build(cls, people: int, seed: int) -> Hostels:
        """About one hostel per 3,000 people, at least three: each is shared by many."""
        rnd = random.Random(derive_seed(seed, "hostels"))
        count = max(3, people // 3000)
        inward_codes = vocab.INWARD_CODES.to_pylist()
        line1, town, district, inward, provider = [], [], [], [], []
        for h in range(count):
            t = rnd.choices(range(len(TOWNS)), weights=[x.weight for x in TOWNS])[0]
            name = HOSTEL_NAMES[h % len(HOSTEL_NAMES)]
            line1.append(f"{name}, {rnd.randint(1, 40)} {rnd.choice(STREETS)}")
            town.append(t)
            district.append(rnd.choice(TOWNS[t].districts))
            inward.append(rnd.choice(inward_codes))
            provider.append(rnd.choice(HOSTEL_PROVIDERS))
        address = Address(
            pa.array(line1), pa.array(town, pa.int64()), pa.array(district), pa.array(inward)
        )
        return cls(address, pa.array(provider))


@dataclass
class Counters:
    """Running totals carried from one chunk to the next so identifiers stay unique."""

    offenders: int = 0
    nhs_numbers: int = 0
    cro_by_year: dict[int, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FEEDS, 0))


@dataclass(frozen=True)
class People:
    """One chunk of the population, in person order."""

    index: pa.Int64Array  # global person index, 0-based
    offender: pa.BooleanArray
    male: pa.BooleanArray
    forename: pa.Int64Array  # into vocab.FORENAMES
    middle: pa.Int64Array  # nullable
    surname: pa.Int64Array  # into vocab.SURNAME_ARRAY
    other_surname: pa.Int64Array  # nullable
    dob: pa.Int64Array  # days since 1970-01-01
    home: Address
    previous: Address  # null where the person has not moved
    status: pa.Int64Array  # index into HOUSING_STATUSES
    hostel: pa.Int64Array  # nullable index into Hostels
    pnc_year: pa.Int64Array
    pnc_serial: pa.Int64Array
    cro_year: pa.Int64Array
    cro_serial: pa.Int64Array
    noms: pa.Int64Array  # nullable NOMIS code
    nhs: pa.Int64Array  # nullable NHS number
    member: dict[str, pa.BooleanArray]
    duplicate: dict[str, pa.BooleanArray]

    def __len__(self) -> int:
        return len(self.index)

    def person_ids(self, rows: pa.Array) -> pa.StringArray:
        """``P0000001``-style ids of the people at ``rows``."""
        return cat(
            "P",
            pc.utf8_lpad(
                pc.cast(pc.add(self.index.take(rows), 1), pa.string()), width=7, padding="0"
            ),
        )

    def record_count(self, feed: str) -> int:
        """Rows this chunk contributes to ``feed``."""
        members = pc.sum(self.member[feed]).as_py() or 0
        return members + (pc.sum(self.duplicate[feed]).as_py() or 0)


def _pairs(d: Draws, n: int) -> tuple[pa.Array, ...]:
    """Twin and father/son pairs among neighbours (2k, 2k+1): masks for each role, partner rows."""
    j = arange(n)
    second = pc.equal(pc.modulo(j, 2), 1)
    first_row = pc.subtract(j, pc.modulo(j, 2))
    complete = pc.less(pc.add(first_row, 1), n)
    u = d.uniform("pair").take(first_row)
    twin = pc.and_(complete, pc.less(u, TWIN_PAIR_RATE))
    father_son = pc.and_(
        complete,
        pc.and_(
            pc.greater_equal(u, TWIN_PAIR_RATE), pc.less(u, TWIN_PAIR_RATE + FATHER_SON_PAIR_RATE)
        ),
    )
    partner = pc.if_else(second, pc.subtract(j, 1), pc.min_element_wise(pc.add(j, 1), n - 1))
    first = pc.invert(second)
    return (
        pc.and_(twin, second),
        pc.and_(father_son, first),
        pc.and_(father_son, second),
        pc.or_(twin, father_son),
        partner,
    )


def nhs_share(people: int) -> float:
    """Share of health patients given an NHS number, so the test range lasts the population."""
    expected = 0.36 * people  # a little above the expected number of health patients
    return min(1.0, len(nhs_test_pool()) / expected)


def build_people(
    start: int,
    n: int,
    seed: int,
    chunk: int,
    hostels: Hostels,
    counters: Counters,
    nhs_rate: float = 1.0,
) -> People:
    """Draw ``n`` people starting at global index ``start``; advances ``counters``.
    ``nhs_rate`` is the share of health patients with an NHS number (see :func:`nhs_share`)."""
    d = Draws(n, seed, "people", chunk)
    twin2, father, son, paired, partner = _pairs(d, n)
    offender = pc.or_(d.chance("offender", OFFENDER_RATE), paired)
    male = pc.or_(d.chance("male", pc.if_else(offender, 0.85, 0.48)), pc.or_(father, son))

    def forename_draw(name: str) -> pa.Array:
        return pc.if_else(
            male,
            d.pick(f"{name}.m", vocab.MALE_TABLE),
            pc.add(d.pick(f"{name}.f", vocab.FEMALE_TABLE), vocab.FEMALE_OFFSET),
        )

    forename = forename_draw("forename")
    forename = where(son, forename.take(partner), forename)
    clash = pc.and_(twin2, pc.equal(forename, forename.take(partner)))
    forename = where(clash, vocab.NEXT_SAME_SEX.take(forename), forename)
    middle = forename_draw("middle")
    middle = where(pc.and_(son, d.chance("son-middle", 0.5)), middle.take(partner), middle)
    middle = where(
        pc.invert(d.chance("has-middle", MIDDLE_NAME_RATE)), pa.scalar(None, pa.int64()), middle
    )

    follows = pc.or_(twin2, son)  # takes surname, date of birth (twins) and home from partner
    surname = d.pick("surname", vocab.SURNAME_TABLE)
    surname = where(follows, surname.take(partner), surname)
    other = d.pick("other-surname", vocab.SURNAME_TABLE)
    other = where(
        pc.equal(other, surname), pc.modulo(pc.add(other, 1), len(vocab.SURNAME_ARRAY)), other
    )
    has_other = pc.and_(pc.invert(male), d.chance("has-other-surname", OTHER_SURNAME_RATE))
    other = where(has_other, other, pa.scalar(None, pa.int64()))

    age = pc.if_else(
        offender,
        pc.add(pc.multiply(pc.power(d.uniform("age.o"), 2), 50), 18),
        pc.add(pc.multiply(pc.power(d.uniform("age.n"), 1.4), 72), 18),
    )
    dob = pc.subtract(REFERENCE_DAYS, to_int(pc.multiply(age, YEAR_DAYS)))
    son_dob = pc.subtract(
        REFERENCE_DAYS,
        to_int(pc.multiply(pc.add(pc.multiply(d.uniform("son-age"), 17), 18), YEAR_DAYS)),
    )
    gap = to_int(pc.multiply(pc.add(pc.multiply(d.uniform("father-gap"), 5), 25), YEAR_DAYS))
    dob = where(son, son_dob, dob)
    dob = where(father, pc.subtract(son_dob.take(partner), gap), dob)
    dob = where(twin2, dob.take(partner), dob)

    housing_member, health_member = _membership(d, offender)
    status = pc.if_else(
        offender, d.pick("status.o", _STATUS_OFFENDER), d.pick("status.n", _STATUS_OTHER)
    )
    status = where(housing_member, status, SETTLED)
    in_hostel = pc.equal(status, HOSTEL)
    hostel = where(
        in_hostel, d.integers("hostel", 0, len(hostels.provider)), pa.scalar(None, pa.int64())
    )

    home = draw_addresses(d, "home")
    home = home.choose(follows, home.take(partner))
    home = home.choose(in_hostel, hostels.address.take(pc.fill_null(hostel, 0)))
    moved = d.chance("moved", MOVER_RATE)
    previous = draw_addresses(d, "previous").blank_unless(moved)

    ids = _identifiers(d, seed, offender, dob, health_member, counters, nhs_rate)
    member = {
        "police": offender,
        "probation": pc.and_(offender, d.chance("in.probation", PROBATION_RATE)),
        "health": health_member,
        "housing": housing_member,
    }
    duplicate = {f: pc.and_(m, d.chance(f"dup.{f}", DUPLICATE_RATE[f])) for f, m in member.items()}
    return People(
        pc.add(arange(n), start),
        offender,
        male,
        forename,
        middle,
        surname,
        other,
        dob,
        home,
        previous,
        status,
        hostel,
        *ids,
        member,
        duplicate,
    )


def _membership(d: Draws, offender: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Housing and health membership: some offenders, and a band of the rest."""
    band = d.uniform("in.band")
    non = pc.invert(offender)
    health = pc.or_(
        pc.and_(offender, d.chance("in.health", HEALTH_OFFENDER_RATE)),
        pc.and_(
            non, pc.and_(pc.greater_equal(band, HEALTH_BAND[0]), pc.less(band, HEALTH_BAND[1]))
        ),
    )
    housing = pc.or_(
        pc.and_(offender, d.chance("in.housing", HOUSING_OFFENDER_RATE)),
        pc.and_(
            non, pc.and_(pc.greater_equal(band, HOUSING_BAND[0]), pc.less(band, HOUSING_BAND[1]))
        ),
    )
    return housing, health


def _rank(mask: pa.Array, base: int) -> pa.Int64Array:
    """base + running count of true values before each row (meaningful where mask is true)."""
    running = pc.cumulative_sum(pc.cast(mask, pa.int64()))
    return pc.add(pc.subtract(running, 1), base)


def _identifiers(
    d: Draws,
    seed: int,
    offender: pa.Array,
    dob: pa.Array,
    health: pa.Array,
    counters: Counters,
    nhs_rate: float,
) -> tuple[pa.Array, ...]:
    """PNC, CRO, NOMIS and NHS numbers, unique across the whole population."""
    null = pa.scalar(None, pa.int64())
    n = len(offender)
    offender_no = _rank(offender, counters.offenders)
    counters.offenders += pc.sum(offender).as_py() or 0

    birth_year = date_parts(dob)[0]
    age = pc.subtract(REFERENCE_DATE.year, birth_year)
    first_arrest = pc.add(16, to_int(pc.multiply(d.uniform("pnc.age"), pc.subtract(age, 15))))
    pnc_year = pc.min_element_wise(pc.add(birth_year, first_arrest), REFERENCE_DATE.year)
    pnc_year = where(offender, pnc_year, null)
    pnc_serial = where(offender, affine_permutation(offender_no, 10**7, seed, "pnc"), null)

    has_cro = pc.and_(offender, d.chance("cro", CRO_RATE))
    cro_year = pc.min_element_wise(
        pc.add(pnc_year, d.integers("cro.lag", 0, 3)), REFERENCE_DATE.year
    )
    cro_year = where(has_cro, cro_year, null)
    serials: list[int | None] = []
    for year in cro_year.to_pylist():
        if year is None:
            serials.append(None)
            continue
        count = counters.cro_by_year.get(year, 0)
        counters.cro_by_year[year] = count + 1
        serials.append(count)
    cro_serial = affine_permutation(pa.array(serials, pa.int64()), 10**6, seed, "cro")

    in_prison = pc.and_(offender, d.chance("prison", PRISON_RATE))
    noms = where(in_prison, affine_permutation(offender_no, NOMS_SPACE, seed, "noms"), null)

    pool = nhs_test_pool()
    numbered = pc.and_(health, d.chance("nhs", nhs_rate))
    health_no = _rank(numbered, counters.nhs_numbers)
    counters.nhs_numbers += pc.sum(numbered).as_py() or 0
    has_nhs = pc.and_(numbered, pc.less(health_no, len(pool)))
    slot = affine_permutation(pc.min_element_wise(health_no, len(pool) - 1), len(pool), seed, "nhs")
    nhs = where(has_nhs, pool.take(slot), pa.nulls(n, pa.int64()))
    return pnc_year, pnc_serial, cro_year, cro_serial, noms, nhs
