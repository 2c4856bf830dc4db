"""The health extract (``health_referrals``): services, referral status and substances."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import errors_model as em
from hub.demo.synthetic.arrays import WeightedTable, arange, cat, format_days, pad, to_int, where
from hub.demo.synthetic.batch import NULL_TEXT, Batch, FeedFormat, vocabulary
from hub.demo.synthetic.population import NO_FIXED_ABODE, REFERENCE_DAYS, ROUGH_SLEEPING

SERVICES = ("Drug and alcohol", "Community mental health", "Liaison and diversion")
_SERVICES = pa.array(SERVICES)
_SERVICE_OFFENDER = WeightedTable([45, 25, 30], size=4096)
_SERVICE_OTHER = WeightedTable([35, 62, 3], size=4096)
_STATUS, _STATUS_TABLE = vocabulary(
    {"In treatment": 40, "Discharged": 30, "Awaiting assessment": 18, "Did not attend": 12}
)
_SUBSTANCE, _SUBSTANCE_TABLE = vocabulary(
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


FORMAT = FeedFormat(
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
)
