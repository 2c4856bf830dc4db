"""Agreement files: validation of one agreement, of a set, contradictions and warnings."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml
from sharing_support import FEEDS, agreement_yaml

from sharing_agreements.errors import AgreementError
from sharing_agreements.load import load_agreement, load_agreements
from sharing_agreements.policy import agreement_warnings
from sharing_agreements.treatments import Keep

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "config" / "agreements"
TODAY = datetime.date(2026, 6, 1)


def write(tmp_path: Path, name: str = "a.yaml", **overrides: object) -> Path:
    path = tmp_path / name
    path.write_text(agreement_yaml(**overrides), encoding="utf-8")
    return path


def problem(tmp_path: Path, **overrides: object) -> str:
    with pytest.raises(AgreementError) as caught:
        load_agreement(write(tmp_path, **overrides))
    return caught.value.message


def test_example_agreements_load_and_agree() -> None:
    agreements = load_agreements(
        sorted(EXAMPLES.glob("*.yaml")),
        feeds=(*FEEDS, "police_offences"),
        recipients=["iom_team", "performance"],
    )
    ids = {a.id for a in agreements.agreements}
    assert {"IOM-ISA-01", "IOM-ISA-02-PERF", "IOM-ISA-03-DAP", "IOM-PILOT-HSG"} == ids
    health = agreements.get("IOM-ISA-03-DAP")
    assert health is not None and health.where == {"health_service": ["Drug and alcohol"]}


def test_valid_agreement_loads_with_its_file(tmp_path: Path) -> None:
    path = write(tmp_path)
    agreement = load_agreement(path)
    assert agreement.source_file == path
    assert agreement.fields["surname"].treatment == Keep()
    assert agreement.in_force(TODAY)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"review_date": datetime.date(2029, 1, 1)}, "dates out of order"),
        ({"fields": {"shoe_size": "keep"}}, "fields.shoe_size: not a field"),
        ({"fields": {"surname": {"treatment": "generalise", "to": "year"}}}, "cannot be gener"),
        ({"fields": {"postcode": {"treatment": "generalise", "to": "year"}}}, "district"),
        ({"fields": {"date_of_birth": {"treatment": "generalise"}}}, "needs 'to:'"),
        ({"fields": {"da_flag": "pseudonymise"}}, "too few values"),
        ({"fields": {"surname": {"treatment": "keep", "from": ["health"]}}}, "not among provid"),
        ({"fields": {"surname": "shred"}}, "fields.surname.treatment"),
        ({"recipients": []}, "recipients"),
        ({"lawful_basis": [{"regime": "dpa2018_part3", "section": "35(2)(b)"}]}, "schedule"),
        ({"lawful_basis": [{"regime": "uk_gdpr"}]}, "article_6"),
        (
            {
                "providers": ["health"],
                "lawful_basis": [{"regime": "uk_gdpr", "article_6": "6(1)(e)"}],
                "fields": {"treatment_status": "keep"},
            },
            "needs article_9",
        ),
        (
            {
                "lawful_basis": [
                    {
                        "regime": "dpa2018_part3",
                        "feeds": ["police"],
                        "section": "35",
                        "schedule": "Schedule 8",
                    },
                    {"regime": "uk_gdpr", "feeds": ["probation"], "article_6": "6(1)(e)"},
                ],
            },
            "offence data from 'probation' under UK GDPR needs article_10",
        ),
        (
            {
                "lawful_basis": [
                    {
                        "regime": "dpa2018_part3",
                        "feeds": ["police"],
                        "section": "35",
                        "schedule": "Schedule 8",
                    }
                ]
            },
            "nothing covers feed 'probation'",
        ),
        (
            {"parties": [{"name": "A", "role": "provider"}, {"name": "B", "role": "provider"}]},
            "no receiving party",
        ),
        ({"contacts": [{"role": "SPoC", "name": "X", "email": "not-an-email"}]}, "email"),
    ],
)
def test_malformed_agreements_are_refused_naming_the_field(
    tmp_path: Path, overrides: dict[str, object], expected: str
) -> None:
    message = problem(tmp_path, **overrides)
    assert expected in message
    assert "a.yaml: agreement 'TEST-1'" in message


def test_a_key_written_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text(agreement_yaml() + "title: Another title\n", encoding="utf-8")
    with pytest.raises(AgreementError, match="key 'title' is written twice"):
        load_agreement(path)


def test_not_yaml_and_not_a_mapping(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("id: [unclosed", encoding="utf-8")
    (tmp_path / "list.yaml").write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(AgreementError, match="not valid YAML"):
        load_agreement(tmp_path / "bad.yaml")
    with pytest.raises(AgreementError, match="mapping"):
        load_agreement(tmp_path / "list.yaml")


def test_unknown_feeds_and_recipients_and_duplicate_ids(tmp_path: Path) -> None:
    one = write(tmp_path, "one.yaml", recipients=["nobody_known"])
    two = write(
        tmp_path,
        "two.yaml",
        providers=["police", "fire"],
        lawful_basis=[{"regime": "dpa2018_part3", "section": "35", "schedule": "S8"}],
    )
    with pytest.raises(AgreementError) as caught:
        load_agreements([one, two], feeds=FEEDS, recipients=["iom_team"])
    message = caught.value.message
    assert "recipient 'nobody_known' is not configured" in message
    assert "feed 'fire' is not configured" in message
    assert "id already used" in message


def test_contradicting_treatments_in_overlapping_agreements(tmp_path: Path) -> None:
    first = write(tmp_path, "first.yaml")
    second = write(tmp_path, "second.yaml", id="TEST-2", fields={"surname": "pseudonymise"})
    with pytest.raises(AgreementError, match="overlap in time and give surname from police"):
        load_agreements([first, second], feeds=FEEDS, recipients=["iom_team"])


def test_different_treatments_from_different_feeds_contradict(tmp_path: Path) -> None:
    first = write(tmp_path, "first.yaml", providers=["police"], fields={"postcode": "keep"})
    second = write(
        tmp_path,
        "second.yaml",
        id="TEST-2",
        providers=["probation"],
        fields={"postcode": {"treatment": "generalise", "to": "district"}},
    )
    with pytest.raises(AgreementError, match="from different feeds"):
        load_agreements([first, second], feeds=FEEDS, recipients=["iom_team"])


def test_agreements_that_do_not_overlap_do_not_contradict(tmp_path: Path) -> None:
    old = write(
        tmp_path,
        "old.yaml",
        id="OLD",
        start_date=datetime.date(2020, 1, 1),
        review_date=datetime.date(2020, 6, 1),
        expiry_date=datetime.date(2021, 1, 1),
        fields={"surname": "pseudonymise"},
    )
    new = write(tmp_path, "new.yaml")
    agreements = load_agreements([old, new], feeds=FEEDS, recipients=["iom_team"])
    assert len(agreements.agreements) == 2


def test_a_drop_elsewhere_is_no_contradiction(tmp_path: Path) -> None:
    first = write(tmp_path, "first.yaml", providers=["police"], fields={"surname": "keep"})
    second = write(
        tmp_path, "second.yaml", id="TEST-2", providers=["probation"], fields={"surname": "drop"}
    )
    assert load_agreements([first, second], feeds=FEEDS, recipients=["iom_team"])


def test_warnings_within_thirty_days(tmp_path: Path) -> None:
    agreement = load_agreement(write(tmp_path))
    assert agreement_warnings(agreement, datetime.date(2026, 6, 1)) == []
    review = agreement_warnings(agreement, datetime.date(2026, 12, 10))
    assert review == ["review due on 2027-01-01 (in 22 days)"]
    late = agreement_warnings(agreement, datetime.date(2027, 12, 20))
    assert "expires on 2028-01-01 (in 12 days)" in late
    assert "review overdue since 2027-01-01" in late
    assert agreement_warnings(agreement, datetime.date(2028, 2, 1)) == [
        "expired on 2028-01-01: nothing flows under it"
    ]
    assert "not in force until 2025-01-01" in agreement_warnings(
        agreement, datetime.date(2024, 12, 1)
    )


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    """The agreement shown in docs/sharing.md loads as it is written there."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "sharing.md").read_text()
    block = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    document = yaml.safe_load(block)
    path = tmp_path / "doc.yaml"
    path.write_text(block, encoding="utf-8")
    agreement = load_agreement(path)
    assert agreement.id == document["id"]


def test_every_setting_is_documented() -> None:
    from hub.sharing_config import RecipientConfig
    from sharing_agreements.model import Agreement, FieldClause, LawfulBasis

    text = (Path(__file__).resolve().parent.parent / "docs" / "sharing.md").read_text()
    names = {
        *(n for n in Agreement.model_fields if n != "source_file"),
        *(info.alias or n for n, info in FieldClause.model_fields.items()),
        *LawfulBasis.model_fields,
        *RecipientConfig.model_fields,
        "reidentifiers",
    }
    undocumented = sorted(n for n in names if f"`{n}`" not in text)
    assert undocumented == []
