"""Small builders for tests: partner files written the way partners write them."""

from __future__ import annotations

from pathlib import Path

import yaml

from schemas.feed import FeedFormat

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "examples" / "config" / "hub.yaml"

TEST_APPROVER = "test setup"
"""Who the tests name as approving the agreements they publish under."""


def approve_agreements(config_path: Path = EXAMPLE_CONFIG) -> None:
    """Approve every agreement version the hub file lists, as the demo's setup does (audited);
    without it nothing flows."""
    from hub.config import load_config
    from hub.governance.agreements_check import approve_every_agreement

    approve_every_agreement(load_config(config_path), TEST_APPROVER)


POLICE_HEADER = (
    "NominalID,PNCID,CRONo,Surname,Forename1,Forename2,DOB,Sex,AddressLine1,Town,Postcode,"
    "LastOffenceDate,LastOffenceType,OffenceCount12m,RFGScore,DAFlag"
)


def police_row(
    nominal_id: str = "DC00000001",
    *,
    pnc: str = "2013/0686271U",
    cro: str = "",
    surname: str = "THOMSON",
    forename: str = "HARVEY",
    forename2: str = "",
    dob: str = "22/09/2001",
    sex: str = "M",
    postcode: str = "TR15 9RR",
    offence_date: str = "01/10/2026",
    count: str = "3",
) -> str:
    """One police row with plausible synthetic values (override what the test is about)."""
    return (
        f"{nominal_id},{pnc},{cro},{surname},{forename},{forename2},{dob},{sex},1 High Street,"
        f"Truro,{postcode},{offence_date},Burglary - residential,{count},120,N"
    )


def write_police(folder: Path, rows: list[str], name: str = "police_nominals_20261122.csv",
                 header: str = POLICE_HEADER, encoding: str = "utf-8") -> Path:  # fmt: skip
    """Write a police extract into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode(encoding))
    return path


def example_format(feed: str) -> FeedFormat:
    """The ``format:`` of one of the example feeds (no environment needed)."""
    document = yaml.safe_load((EXAMPLE_CONFIG.parent / "feeds" / f"{feed}.yaml").read_text())
    return FeedFormat.model_validate(document["format"])
