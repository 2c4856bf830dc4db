"""People per release counted from a real publish: distinct people through the sealed maps,
people with health data through the released view."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from sharing_support import agreement_yaml, make_persons, published_hub

from hub.governance.dpo_people import released_people

BASES = [
    {"regime": "dpa2018_part3", "feeds": ["police", "probation"], "section": "35(2)(b)",
     "schedule": "Schedule 8, paragraph 1"},
    {"regime": "uk_gdpr", "feeds": ["health"], "article_6": "6(1)(e)", "article_9": "9(2)(h)"},
]  # fmt: skip


def test_people_with_health_data_and_distinct_people_per_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = agreement_yaml(providers=["police", "probation", "health"], lawful_basis=BASES,
                               fields={"surname": "keep", "health_service": "keep"})  # fmt: skip
    config, team = published_hub(tmp_path, monkeypatch, agreement, make_persons(60, seed=11))
    view = pq.read_table(Path(str(team.path)) / "view.parquet")
    with_health = view.num_rows - view.column("health_service").null_count
    assert 0 < with_health < view.num_rows and pc.count_distinct(view["person_id"]).as_py() > 0

    people = released_people(config)
    (release,) = people["releases"]
    assert release["people_with_health_data"] == with_health
    assert release["health_fields"] == ["health_service"]
    assert release["distinct_people"] == view.num_rows == people["distinct_people"]
