"""The probation extract (``probation_cases``): sentences, risk levels and offender managers."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import errors_model as em
from hub.demo.synthetic import vocab
from hub.demo.synthetic.arrays import (
    WeightedTable,
    affine_permutation,
    cat,
    format_days,
    to_int,
    where,
)
from hub.demo.synthetic.batch import NULL_TEXT, Batch, FeedFormat, vocabulary
from hub.demo.synthetic.identifiers import CRN_SPACE, crn, noms_number
from hub.demo.synthetic.population import NO_FIXED_ABODE, REFERENCE_DAYS, ROUGH_SLEEPING

_ROSH, _ROSH_TABLE = vocabulary({"Low": 35, "Medium": 45, "High": 17, "Very High": 3})
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


FORMAT = FeedFormat(
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
)
