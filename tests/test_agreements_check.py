"""The agreements check as a function: typed results per recipient, judged on a given day."""

from __future__ import annotations

import datetime
from pathlib import Path

from hub.config import load_config
from hub.governance.agreements_check import check_agreements
from tests.helpers import EXAMPLE_CONFIG


def test_each_recipient_gets_its_fields_with_clauses_and_the_day_judged(
    approved_example_env: Path,
) -> None:
    check = check_agreements(load_config(EXAMPLE_CONFIG), datetime.date(2027, 3, 15))

    assert check.day == datetime.date(2027, 3, 15) and check.agreements > 0
    recipients = {r.recipient: r for r in check.recipients}
    grants = {g.field: g for g in recipients["performance"].fields}
    assert grants["date_of_birth"].treatment == "k_anonymise k 5 to five_year_band"
    assert grants["date_of_birth"].clauses == ("IOM-ISA-02-PERF v1.0 3.2",)
    assert "forename" in recipients["performance"].not_released
    assert any("only where health_service is 'Drug and alcohol'" in line
               for r in check.recipients for line in r.conditions)  # fmt: skip
    assert any("expired on 2025-03-31" in warning for warning in check.warnings)
    document = check.as_dict()
    assert document["date"] == "2027-03-15"
    assert document["recipients"]["performance"]["fields"][0].keys() == {
        "field", "treatment", "from", "clauses"}  # fmt: skip
