"""The four partner extracts: which records each holds and how each partner writes them.

Column names and order, code values, encodings and date formats follow partner-extracts.md.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import errors_model as em
from hub.demo.synthetic import vocab
from hub.demo.synthetic.arrays import (
    Draws,
    WeightedTable,
    affine_permutation,
    arange,
    cat,
    derive_seed,
    format_days,
    pad,
    to_int,
    where,
)
from hub.demo.synthetic.identifiers import CRN_SPACE, crn, noms_number
from hub.demo.synthetic.names import FEMALE_FORENAMES, MALE_FORENAMES, SURNAMES
from hub.demo.synthetic.population import (
    HOSTEL,
    HOUSING_STATUSES,
    NO_FIXED_ABODE,
    REFERENCE_DAYS,
    ROUGH_SLEEPING,
    YEAR_DAYS,
    Hostels,
    People,
)

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


def _vocabulary(entries: dict[str, float]) -> tuple[pa.StringArray, WeightedTable]:
    return pa.array(list(entries)), WeightedTable(list(entries.values()), size=4096)


OFFENCES = {
    "Shoplifting": (20, 10),
    "Assault without injury": (14, 25),
    "Assault with injury": (10, 45),
    "Criminal damage": (9, 20),
    "Burglary - residential": (8, 50),
    "Possession of drugs": (8, 10),
    "Public order offences": (7, 15),
    "Theft from the person": (4, 30),
    "Theft from motor vehicle": (4, 25),
    "Stalking and harassment": (4, 35),
    "Theft of motor vehicle": (3, 30),
    "Robbery - personal": (3, 60),
    "Burglary - business and community": (3, 35),
    "Trafficking of drugs": (3, 40),
    "Possession of weapons": (3, 45),
    "Robbery - business": (1, 55),
    "Vehicle interference": (1, 15),
}
_OFFENCE_NAMES, _OFFENCE_TABLE = _vocabulary({k: v[0] for k, v in OFFENCES.items()})
_OFFENCE_GRAVITY = pa.array([v[1] for v in OFFENCES.values()], pa.int64())


def police(b: Batch) -> dict[str, pa.Array]:
    """``police_nominals``: upper-case names, dd/mm/yyyy dates, NF1 1NF for no fixed abode."""
    d, p, dup = b.draws, b.people, b.duplicate
    nominal = cat("DC", pad(affine_permutation(b.record_no, 10**8, b.context.seed, "police"), 8))
    first, middle, surname = em.names(p, b.rows, d, dup, em.NameRates())
    middle = where(d.chance("formula", 0.0005), FORMULA_NAME, pc.utf8_upper(middle))
    pnc_rates = em.IdRates(missing=0.08)
    cro_rates = em.IdRates(missing=0.15, mistyped=0.01, bad_check=0.005)
    sex = where(d.chance("sex.unknown", 0.01), "U", pc.if_else(b.person(p.male), "M", "F"))
    addr = em.address(p, b.rows, d)
    status = b.person(p.status)
    homeless = pc.or_(pc.equal(status, NO_FIXED_ABODE), pc.equal(status, ROUGH_SLEEPING))
    nfa = pc.or_(pc.and_(homeless, d.chance("nfa", 0.6)), d.chance("nfa.any", 0.01))

    since = to_int(pc.multiply(pc.power(d.uniform("offence.when"), 1.5), 730))
    offence = d.pick("offence", _OFFENCE_TABLE)
    recent = pc.less(since, 365)
    count = pc.add(1, to_int(pc.divide(pc.ln(pc.subtract(1, d.uniform("offence.count"))), -0.43)))
    count = where(recent, pc.min_element_wise(count, 40), 0)
    recency = pc.max_element_wise(pc.subtract(100, pc.divide(since, 7)), 0)
    rfg = pc.add(
        pc.add(recency, pc.multiply(pc.min_element_wise(count, 10), 10)),
        _OFFENCE_GRAVITY.take(offence),
    )
    da = d.chance("da", pc.if_else(b.person(p.male), 0.18, 0.06))
    return {
        "NominalID": b.blank_some(nominal),
        "PNCID": em.pnc(
            b.person(p.pnc_year), b.person(p.pnc_serial), d, dup, pnc_rates, (0.75, 0.15, 0.10)
        ),
        "CRONo": em.cro(b.person(p.cro_year), b.person(p.cro_serial), d, dup, cro_rates, 0.04),
        "Surname": pc.utf8_upper(surname),
        "Forename1": pc.utf8_upper(first),
        "Forename2": middle,
        "DOB": em.date_of_birth(
            b.person(p.dob), d, dup, "dmy", em.DateRates(missing=0.02, year_only=0.02)
        ),
        "Sex": sex,
        "AddressLine1": where(nfa, "NO FIXED ABODE", addr.line1),
        "Town": where(nfa, NULL_TEXT, addr.town_name()),
        "Postcode": where(nfa, "NF1 1NF", em.postcode(addr, d, no_space=0.02)),
        "LastOffenceDate": format_days(pc.subtract(REFERENCE_DAYS, since), "dmy"),
        "LastOffenceType": _OFFENCE_NAMES.take(offence),
        "OffenceCount12m": count,
        "RFGScore": rfg,
        "DAFlag": pc.if_else(da, "Y", "N"),
    }


_ROSH, _ROSH_TABLE = _vocabulary({"Low": 35, "Medium": 45, "High": 17, "Very High": 3})
SENTENCES = ("Community Order", "Licence", "Suspended Sentence Order", "Post Sentence Supervision")
_SENTENCES = pa.array(SENTENCES)
_AFTER_PRISON = WeightedTable([12, 60, 8, 20], size=4096)
_NO_PRISON = WeightedTable([58, 0, 42, 0], size=4096)


def probation(b: Batch) -> dict[str, pa.Array]:
    """``probation_cases``: mixed-case names, ISO dates, postcodes often without the space."""
    d, p, dup = b.draws, b.people, b.duplicate
    case = crn(affine_permutation(b.record_no, CRN_SPACE, b.context.seed, "probation"))
    first, middle, surname = em.names(p, b.rows, d, dup, em.NameRates())
    noms = b.person(p.noms)
    sentence = pc.if_else(
        pc.is_valid(noms), d.pick("sentence.p", _AFTER_PRISON), d.pick("sentence.c", _NO_PRISON)
    )
    licence = pc.or_(pc.equal(sentence, 1), pc.equal(sentence, 3))
    noms_text = where(pc.and_(licence, d.chance("noms", 0.97)), noms_number(noms), NULL_TEXT)
    pnc_rates = em.IdRates(missing=0.15, mistyped=0.01, bad_check=0.005)
    addr = em.address(p, b.rows, d)
    status = b.person(p.status)
    homeless = pc.and_(
        pc.or_(pc.equal(status, NO_FIXED_ABODE), pc.equal(status, ROUGH_SLEEPING)),
        d.chance("nfa", 0.7),
    )
    ogrs = pc.min_element_wise(to_int(pc.multiply(pc.power(d.uniform("ogrs"), 0.8), 100)), 99)
    team = vocab.TOWN_TEAM.take(addr.town)
    per_team = b.context.managers_per_team
    manager = pc.add(pc.multiply(team, per_team), d.integers("manager", 0, per_team))
    return {
        "CRN": b.blank_some(case),
        "NOMSNumber": noms_text,
        "PNCNumber": em.pnc(
            b.person(p.pnc_year), b.person(p.pnc_serial), d, dup, pnc_rates, (0.85, 0.15, 0.0)
        ),
        "FirstName": first,
        "SecondName": middle,
        "Surname": surname,
        "DateOfBirth": em.date_of_birth(
            b.person(p.dob), d, dup, "iso", em.DateRates(missing=0.005)
        ),
        "Gender": pc.if_else(b.person(p.male), "Male", "Female"),
        "Address": where(homeless, "No fixed abode", cat(addr.line1, ", ", addr.town_name())),
        "Postcode": where(homeless, NULL_TEXT, em.postcode(addr, d, no_space=0.4)),
        "OGRSScore": ogrs,
        "RoSHLevel": _ROSH.take(d.pick("rosh", _ROSH_TABLE)),
        "SentenceType": _SENTENCES.take(sentence),
        "SentenceEndDate": format_days(pc.add(REFERENCE_DAYS, d.integers("end", -20, 1100)), "iso"),
        "OffenderManager": b.context.managers.take(manager),
        "Team": pa.array(vocab.TEAMS).take(team),
    }


SERVICES = ("Drug and alcohol", "Community mental health", "Liaison and diversion")
_SERVICES = pa.array(SERVICES)
_SERVICE_OFFENDER = WeightedTable([45, 25, 30], size=4096)
_SERVICE_OTHER = WeightedTable([35, 62, 3], size=4096)
_STATUS, _STATUS_TABLE = _vocabulary(
    {"In treatment": 40, "Discharged": 30, "Awaiting assessment": 18, "Did not attend": 12}
)
_SUBSTANCE, _SUBSTANCE_TABLE = _vocabulary(
    {
        "Alcohol": 40,
        "Heroin": 15,
        "Crack cocaine": 10,
        "Cocaine": 12,
        "Cannabis": 13,
        "Amphetamine": 3,
        "Benzodiazepines": 3,
        "Spice": 2,
        "Ketamine": 2,
    }
)


def health(b: Batch) -> dict[str, pa.Array]:
    """``health_referrals``: NHS numbers, yyyymmdd births, NHS gender codes."""
    d, p, dup = b.draws, b.people, b.duplicate
    sequence = pc.add(arange(len(b.rows)), b.first_record + 1)  # ascending down the file
    referral = cat("H", pad(sequence, 6), "-", pad(d.integers("id.tail", 0, 1000), 3))
    nhs_rates = em.IdRates(missing=0.08, mistyped=0.01, bad_check=0.01)
    first, _, surname = em.names(p, b.rows, d, dup, em.NameRates(nickname=0.02))
    gender = pc.if_else(b.person(p.male), "1", "2")
    unknown = d.uniform("gender.unknown")
    gender = where(pc.less(unknown, 0.005), "9", where(pc.less(unknown, 0.01), "0", gender))
    status = b.person(p.status)
    homeless = pc.or_(pc.equal(status, NO_FIXED_ABODE), pc.equal(status, ROUGH_SLEEPING))
    service = pc.if_else(
        b.person(p.offender),
        d.pick("service.o", _SERVICE_OFFENDER),
        d.pick("service.n", _SERVICE_OTHER),
    )
    substance = where(
        pc.and_(pc.equal(service, 0), d.chance("substance", 0.9)),
        _SUBSTANCE.take(d.pick("substance.which", _SUBSTANCE_TABLE)),
        NULL_TEXT,
    )
    since = to_int(pc.multiply(pc.power(d.uniform("referred"), 1.3), 1095))
    return {
        "ReferralID": b.blank_some(referral),
        "NHSNumber": em.nhs(b.person(p.nhs), d, dup, nhs_rates, spaced=0.12),
        "GivenName": first,
        "FamilyName": surname,
        "BirthDate": em.date_of_birth(b.person(p.dob), d, dup, "compact", em.DateRates()),
        "Gender": gender,
        "Postcode": where(
            homeless, NULL_TEXT, em.postcode(em.address(p, b.rows, d), d, no_space=0.05, lower=0.01)
        ),
        "Service": _SERVICES.take(service),
        "ReferralDate": format_days(pc.subtract(REFERENCE_DAYS, since), "iso"),
        "Status": _STATUS.take(d.pick("status", _STATUS_TABLE)),
        "PrimarySubstance": substance,
    }


_PROVIDERS = pa.array(["Coastline Housing", "Council", "Private rented", "Moorland Homes"])
_SETTLED_PROVIDER = WeightedTable([35, 30, 25, 10], size=4096)
_TEMPORARY_PROVIDER = WeightedTable([0, 80, 20, 0], size=4096)


def housing(b: Batch) -> dict[str, pa.Array]:
    """``housing_tenancies``: one Name field in two styles, dd-Mon-yyyy dates, shared hostels."""
    d, p, dup = b.draws, b.people, b.duplicate
    tenant = cat("T", pad(affine_permutation(b.record_no, 10**7, b.context.seed, "housing"), 7))
    first, _, surname = em.names(p, b.rows, d, dup, em.NameRates(swap=0.025))
    name = where(
        d.chance("name.style", 0.5),
        cat(pc.utf8_upper(surname), ", ", first),
        cat(first, " ", surname),
    )
    status = b.person(p.status)
    hostel = b.person(p.hostel)
    hostels = b.context.hostels
    in_hostel = pc.equal(status, HOSTEL)
    addr = em.address(p, b.rows, d).choose(in_hostel, hostels.address.take(pc.fill_null(hostel, 0)))
    homeless = pc.or_(pc.equal(status, NO_FIXED_ABODE), pc.equal(status, ROUGH_SLEEPING))
    provider = pc.if_else(
        pc.equal(status, 0),
        d.pick("provider.s", _SETTLED_PROVIDER),
        d.pick("provider.t", _TEMPORARY_PROVIDER),
    )
    provider = where(homeless, "Council", _PROVIDERS.take(provider))
    provider = where(in_hostel, hostels.provider.take(pc.fill_null(hostel, 0)), provider)
    dob = b.person(p.dob)
    start = pc.subtract(
        REFERENCE_DAYS, to_int(pc.multiply(pc.power(d.uniform("start"), 1.5), 2500))
    )
    start = pc.max_element_wise(start, pc.add(dob, int(16 * YEAR_DAYS)))
    return {
        "TenantRef": b.blank_some(tenant),
        "Name": name,
        "DOB": em.date_of_birth(dob, d, dup, "mon", em.DateRates(missing=1 / 7)),
        "Address": where(homeless, NULL_TEXT, cat(addr.line1, ", ", addr.town_name())),
        "Postcode": where(homeless, NULL_TEXT, em.postcode(addr, d, no_space=0.03, lower=0.01)),
        "AccommodationStatus": pa.array(HOUSING_STATUSES).take(status),
        "Provider": provider,
        "StartDate": format_days(start, "mon"),
    }


@dataclass(frozen=True)
class FeedFormat:
    """How one partner's extract is named, encoded, delimited and built."""

    file_name: str  # with {date} for YYYYMMDD
    encoding: str  # utf-8, utf-8-sig (with a byte-order mark) or cp1252
    delimiter: str
    id_column: str
    columns: tuple[str, ...]
    build: Callable[[Batch], dict[str, pa.Array]]


FORMATS: dict[str, FeedFormat] = {
    "police": FeedFormat(
        "police_nominals_{date}.csv",
        "utf-8",
        ",",
        "NominalID",
        (
            "NominalID",
            "PNCID",
            "CRONo",
            "Surname",
            "Forename1",
            "Forename2",
            "DOB",
            "Sex",
            "AddressLine1",
            "Town",
            "Postcode",
            "LastOffenceDate",
            "LastOffenceType",
            "OffenceCount12m",
            "RFGScore",
            "DAFlag",
        ),
        police,
    ),
    "probation": FeedFormat(
        "probation_cases_{date}.psv",
        "utf-8",
        "|",
        "CRN",
        (
            "CRN",
            "NOMSNumber",
            "PNCNumber",
            "FirstName",
            "SecondName",
            "Surname",
            "DateOfBirth",
            "Gender",
            "Address",
            "Postcode",
            "OGRSScore",
            "RoSHLevel",
            "SentenceType",
            "SentenceEndDate",
            "OffenderManager",
            "Team",
        ),
        probation,
    ),
    "health": FeedFormat(
        "health_referrals_{date}.csv",
        "utf-8-sig",
        ",",
        "ReferralID",
        (
            "ReferralID",
            "NHSNumber",
            "GivenName",
            "FamilyName",
            "BirthDate",
            "Gender",
            "Postcode",
            "Service",
            "ReferralDate",
            "Status",
            "PrimarySubstance",
        ),
        health,
    ),
    "housing": FeedFormat(
        "housing_tenancies_{date}.csv",
        "cp1252",
        ",",
        "TenantRef",
        (
            "TenantRef",
            "Name",
            "DOB",
            "Address",
            "Postcode",
            "AccommodationStatus",
            "Provider",
            "StartDate",
        ),
        housing,
    ),
}
