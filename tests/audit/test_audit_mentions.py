"""Finding the entries that name a person without reading every entry into an event."""

from __future__ import annotations

import secrets
from pathlib import Path

from hub.audit.events import CommandConsultation, Consultation, Pull
from hub.audit.log import AuditLog


def _log(tmp_path: Path) -> AuditLog:
    log = AuditLog(tmp_path / "audit", secrets.token_bytes(32), actor="officer")
    log.record(Pull(feed="police", file="n.csv", sha256="0" * 64, source="/drop", bytes=1))
    log.record(Consultation(page="/people/x", purpose="iom_panel", view_of="iom_team",
                            person_ids=("PX1", "PX2"), people=2))  # fmt: skip
    log.record(CommandConsultation(command="match explain", purpose="review",
                                   records=('police:O"Brien/7', "health:Zoë-9"),
                                   records_shown=2))  # fmt: skip
    log.record(Consultation(page="/people/y", purpose="iom_panel", view_of="iom_team",
                            person_ids=("PX3",), people=1))  # fmt: skip
    return log


def test_the_entries_naming_a_value_and_only_those(tmp_path: Path) -> None:
    log = _log(tmp_path)
    assert [e.sequence for e in log.events_mentioning({"PX2"})] == [2]
    assert [e.sequence for e in log.events_mentioning({"PX3", "PX1"})] == [2, 4]
    assert list(log.events_mentioning({"PX9"})) == []
    assert list(log.events_mentioning(set())) == []


def test_values_json_escapes_are_found(tmp_path: Path) -> None:
    """A record id with a quote or a letter outside ASCII is stored escaped, and still found."""
    log = _log(tmp_path)
    assert [e.sequence for e in log.events_mentioning({'police:O"Brien/7'})] == [3]
    assert [e.sequence for e in log.events_mentioning({"Zoë-9"})] == [3]
    everything = {e.sequence for e in log.events()}
    assert everything == {1, 2, 3, 4}
