"""What ``config check`` catches before a run: bad date formats, repeated keys, a swapped sample."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import yaml
from helpers import example_format, police_row, write_police
from pydantic import ValidationError

from schemas.feed import ColumnMapping, FeedFormat
from schemas.sample_check import check_sample
from schemas.yaml_files import parse_yaml


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("dd/mm/yyyy", "is not a strptime pattern (did you mean '%d/%m/%Y'?)"),
        ("%Q", "%Q is not a strptime directive"),
        ("%d/%m", "reads no year"),
    ],
)
def test_a_date_format_that_is_not_a_strptime_pattern_is_refused(
    pattern: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        ColumnMapping(column="DOB", date_format=pattern)


def test_every_shipped_date_format_is_accepted() -> None:
    for feed in ("police", "probation", "health", "housing"):
        assert example_format(feed).mappings["date_of_birth"].date_formats


def test_a_key_written_twice_in_a_yaml_file_is_refused() -> None:
    with pytest.raises(yaml.YAMLError, match="key 'schedule' is written twice"):
        parse_yaml("name: police\nschedule: '0 2 * * *'\nschedule: '0 3 * * *'\n")


def _police_with_dobs(folder: Path, dobs: list[str]) -> Path:
    return write_police(folder, [police_row(f"DC{i:08d}", pnc="", dob=dob)
                                 for i, dob in enumerate(dobs)])  # fmt: skip


def test_a_sample_read_with_day_and_month_swapped_is_flagged(tmp_path: Path) -> None:
    chooser = random.Random(5)
    # A partner writing mm/dd/yyyy: the feed's %d/%m/%Y rejects days above 12 and misreads the rest.
    dobs = [f"{chooser.randint(1, 12):02d}/{chooser.randint(1, 28):02d}/1990" for _ in range(400)]
    check = check_sample(_police_with_dobs(tmp_path, dobs), example_format("police"), feed="police")
    messages = {finding.field: finding.message for finding in check.findings}
    assert "are day and month swapped?" in messages["date_of_birth"]
    assert check.rows_read == 400


def test_a_sample_with_a_wrong_date_format_says_most_rows_would_be_quarantined(
    tmp_path: Path,
) -> None:
    fmt = example_format("police")
    fields = {**fmt.fields, "date_of_birth": ColumnMapping(column="DOB", date_format="%Y-%m-%d")}
    wrong = FeedFormat.model_validate({**fmt.model_dump(exclude_none=True), "fields": fields})
    path = _police_with_dobs(tmp_path, ["22/09/2001"] * 50)
    (finding,) = check_sample(path, wrong, feed="police").findings
    assert finding.message.startswith("50 of the first 50 rows would be quarantined")
    assert "22/09/2001" not in finding.message


def test_a_sound_sample_gives_no_finding(tmp_path: Path) -> None:
    chooser = random.Random(6)
    dobs = [f"{chooser.randint(1, 28):02d}/{chooser.randint(1, 12):02d}/1990" for _ in range(200)]
    check = check_sample(_police_with_dobs(tmp_path, dobs), example_format("police"), feed="police")
    assert check.findings == ()


def test_the_sample_is_cut_between_records_not_inside_a_quoted_field(tmp_path: Path) -> None:
    rows = [police_row(f"DC{i:08d}", pnc="").replace("1 High Street", '"1 High\nStreet"')
            for i in range(30)]  # fmt: skip
    check = check_sample(write_police(tmp_path, rows), example_format("police"), feed="police",
                         rows=10)  # fmt: skip
    assert (check.rows_read, check.rows_rejected) == (10, 0)
