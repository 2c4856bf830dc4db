"""The police extract (``police_nominals``): offences weighted by frequency and gravity."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import errors_model as em
from hub.demo.synthetic.arrays import affine_permutation, cat, format_days, pad, to_int, where
from hub.demo.synthetic.batch import FORMULA_NAME, NULL_TEXT, Batch, FeedFormat, vocabulary
from hub.demo.synthetic.population import NO_FIXED_ABODE, REFERENCE_DAYS, ROUGH_SLEEPING

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
_OFFENCE_NAMES, _OFFENCE_TABLE = vocabulary({k: v[0] for k, v in OFFENCES.items()})
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


FORMAT = FeedFormat(
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
)
