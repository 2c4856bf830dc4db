"""The housing extract (``housing_tenancies``): providers and accommodation status."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from hub.demo.synthetic import errors_model as em
from hub.demo.synthetic.arrays import (
    WeightedTable,
    affine_permutation,
    cat,
    format_days,
    pad,
    to_int,
    where,
)
from hub.demo.synthetic.batch import NULL_TEXT, Batch, FeedFormat
from hub.demo.synthetic.population import (
    HOSTEL,
    HOUSING_STATUSES,
    NO_FIXED_ABODE,
    REFERENCE_DAYS,
    ROUGH_SLEEPING,
    YEAR_DAYS,
)

_PROVIDERS = pa.array(["Coastline Housing", "Council", "Private rented", "Moorland Homes"])
_SETTLED_PROVIDER = WeightedTable([35, 30, 25, 10], size=4096)
_TEMPORARY_PROVIDER = WeightedTable([0, 80, 20, 0], size=4096)
_DOB_RATES = em.DateRates(missing=1 / 3, year_out=0.04, day_month_swap=0.02, digit=0.015)
"""Housing officers take a date of birth on the person's word, when they take one at all."""


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
        "DOB": em.date_of_birth(dob, d, dup, "mon", _DOB_RATES),
        "Address": where(homeless, NULL_TEXT, cat(addr.line1, ", ", addr.town_name())),
        "Postcode": where(homeless, NULL_TEXT, em.postcode(addr, d, no_space=0.03, lower=0.01)),
        "AccommodationStatus": pa.array(HOUSING_STATUSES).take(status),
        "Provider": provider,
        "StartDate": format_days(start, "mon"),
    }


FORMAT = FeedFormat(
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
)
