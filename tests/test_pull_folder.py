"""Pulling from a drop folder: complete files only, verified, exactly once, nothing lost."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from connectors.base import AfterLanding
from connectors.config import Completeness, FolderSource
from connectors.folder import FolderConnector
from connectors.pull import pull_feed
from hub.state import StateStore


@pytest.fixture
def state(tmp_path: Path) -> StateStore:
    store = StateStore(tmp_path / "state.db")
    yield store
    store.close()


def _source(folder: Path, **completeness: int) -> FolderSource:
    rules = {"stable_seconds": 0, "min_age_seconds": 0, **completeness}
    return FolderSource(path=folder, pattern="police_*.csv", completeness=Completeness(**rules))


def _pull(folder: Path, tmp_path: Path, state: StateStore, source: FolderSource | None = None,
          clock: float | None = None):  # fmt: skip
    return pull_feed(
        FolderConnector(folder, feed="police"), "police", source or _source(folder),
        landing=tmp_path / "landing", quarantine=tmp_path / "quarantine", ledger=state,
        clock=(lambda: clock) if clock else time.time,
    )  # fmt: skip


def test_lands_byte_for_byte_read_only_and_exactly_once(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_20261122.csv").write_bytes(b"a,b\r\n1,2\r\n")
    first = _pull(drop, tmp_path, state)
    (landed,) = first.landed
    assert landed.path.read_bytes() == b"a,b\r\n1,2\r\n"
    assert landed.sha256 == hashlib.sha256(b"a,b\r\n1,2\r\n").hexdigest()
    assert not os.access(landed.path, os.W_OK) or os.getuid() == 0
    assert oct(landed.path.stat().st_mode & 0o777) == "0o400"
    again = _pull(drop, tmp_path, state)
    assert again.landed == [] and again.already_seen == 1
    assert len(state.extracts()) == 1


def test_changed_file_under_old_name_is_a_new_extract(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    target = drop / "police_20261122.csv"
    target.write_text("a\n1\n")
    _pull(drop, tmp_path, state)
    target.write_text("a\n1\n2\n")
    os.utime(target, (time.time() - 100, time.time() - 100))
    second = _pull(drop, tmp_path, state)
    assert len(second.landed) == 1
    assert len({e.sha256 for e in state.extracts()}) == 2


def test_temporaries_hidden_and_other_files_are_ignored(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("police_1.csv.part", ".police_2.csv", "police_3.csv.filepart", "other.csv"):
        (drop / name).write_text("x")
    assert _pull(drop, tmp_path, state).landed == []


def test_sidecar_mismatch_quarantines_the_file(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_20261122.csv").write_text("a\n1\n")
    (drop / "police_20261122.csv.sha256").write_text("0" * 64 + "  police_20261122.csv\n")
    report = _pull(drop, tmp_path, state)
    assert report.landed == [] and "does not match" in report.refused[0]
    kept = list((tmp_path / "quarantine" / "police").glob("*.rejected"))
    assert kept and kept[0].read_text() == "a\n1\n"
    good = hashlib.sha256(b"a\n1\n").hexdigest()
    (drop / "police_20261123.csv").write_text("a\n1\n")
    (drop / "police_20261123.csv.sha256").write_text(good + "\n")
    assert len(_pull(drop, tmp_path, state).landed) == 1


def test_a_file_still_changing_waits(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    growing = drop / "police_20261122.csv"
    growing.write_text("a\n")
    source = _source(drop, stable_seconds=60, min_age_seconds=0)
    now = time.time()
    assert _pull(drop, tmp_path, state, source, clock=now).waiting == ["police_20261122.csv"]
    growing.write_text("a\n1\n")  # grew: a new observation starts the interval again
    assert _pull(drop, tmp_path, state, source, clock=now + 61).waiting == ["police_20261122.csv"]
    assert len(_pull(drop, tmp_path, state, source, clock=now + 122).landed) == 1


def test_unsafe_names_and_links_outside_are_refused(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    outside = tmp_path / "secret.csv"
    outside.write_text("x")
    (drop / "police_link.csv").symlink_to(outside)
    (drop / "police_\x1b[31m.csv").write_text("x")
    report = _pull(drop, tmp_path, state)
    assert report.landed == []
    assert any("outside" in r for r in report.refused)
    assert any("control characters" in r for r in report.refused)


def test_interrupted_download_leaves_nothing_and_rerun_lands(
    tmp_path: Path, state: StateStore
) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_20261122.csv").write_text("a\n1\n")
    incoming = tmp_path / "landing" / "police" / ".incoming"
    incoming.mkdir(parents=True)
    (incoming / "deadbeef.part").write_text("half")  # as left by a killed process
    report = _pull(drop, tmp_path, state)
    assert len(report.landed) == 1 and list(incoming.iterdir()) == []


def test_after_landing_archive(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_20261122.csv").write_text("a\n1\n")
    source = _source(drop).model_copy(update={"after_landing": AfterLanding.ARCHIVE})
    _pull(drop, tmp_path, state, source)
    assert (drop / "archive" / "police_20261122.csv").exists()
    assert not (drop / "police_20261122.csv").exists()


def test_a_file_waiting_past_its_threshold_is_marked(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "police_20261122.csv").write_text("a\n1\n")
    source = _source(drop, waiting_too_long_seconds=3600).model_copy(
        update={"completeness": Completeness(require_sidecar=True, waiting_too_long_seconds=3600)}
    )
    now = time.time()
    (early,) = _pull(drop, tmp_path, state, source, clock=now).waited
    assert (early.name, early.seconds, early.too_long) == ("police_20261122.csv", 0, False)
    (late,) = _pull(drop, tmp_path, state, source, clock=now + 3601).waited
    assert (late.seconds, late.too_long) == (3601, True)


def test_names_the_pattern_does_not_match_are_listed(tmp_path: Path, state: StateStore) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    for name in ("police_1.csv", "polce_2.csv", "police_3.csv.part", "police_1.csv.sha256"):
        (drop / name).write_text("x")
    assert _pull(drop, tmp_path, state).unmatched == ["polce_2.csv"]
