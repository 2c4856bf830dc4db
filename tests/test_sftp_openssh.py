"""The SFTP connector against a real OpenSSH server (see tests/sftp_server.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from connectors.config import SftpEndpoint, SftpSource
from connectors.errors import ConnectorError, HostKeyError
from connectors.pull import PullReport, pull_feed
from connectors.sftp import SftpConnector
from hub.run.pull import FeedPullOutcome
from hub.state import StateStore
from tests.sftp_server import OpenSshServer, free_port, generate_key
from tests.sftp_support import (
    MINIMAL_FORMAT,
    PARTNER_PASSWORD,
    RSA_PASSPHRASE,
    Puller,
    csv_bytes,
    feed_config,
    sha256_of,
)

REPO = Path(__file__).resolve().parent.parent
BIG = 24 * 1024 * 1024


def wait_for_partial_download(incoming: Path, timeout: float = 30) -> Path:
    """Wait until a download in ``incoming`` has some bytes (and not all of them)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for part in incoming.glob("*.part"):
            try:
                if part.stat().st_size > 0:
                    return part
            except FileNotFoundError:
                continue
        time.sleep(0.0005)
    raise AssertionError("no download started")


def freeze(pids: list[int]) -> None:
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)


def in_thread(target: object) -> tuple[threading.Thread, list[FeedPullOutcome]]:
    results: list[FeedPullOutcome] = []
    thread = threading.Thread(target=lambda: results.append(target()))  # type: ignore[operator]
    thread.start()
    return thread, results


# --- the happy path, keys and isolation ------------------------------------------------------


def test_two_partners_on_one_server_each_pull_only_their_own_folder(server, tmp_path):
    police, health = server.accounts["police"], server.accounts["health"]
    police.write("police_20250101.csv", csv_bytes(3, "P"))
    health.write("health_20250101.csv", csv_bytes(2, "H"))
    puller = Puller(tmp_path)

    outcomes = [
        puller.pull(feed_config(name, server.source_settings(name)))
        for name in ("police", "health")
    ]

    assert [o.landed for o in outcomes] == [["police_20250101.csv"], ["health_20250101.csv"]]
    assert all(o.error is None for o in outcomes)
    [landed] = puller.landed("police")
    assert landed.read_bytes() == csv_bytes(3, "P")
    assert landed.stat().st_mode & 0o777 == 0o400
    assert (police.folder / "police_20250101.csv").exists()  # after_landing: leave


def test_a_partner_cannot_reach_another_partners_folder(server, tmp_path):
    server.accounts["health"].write("health_20250101.csv", csv_bytes(2))
    snooping = feed_config("police", server.source_settings("police", folder="../health"))

    outcome = Puller(tmp_path).pull(snooping)

    assert outcome.landed == [] and outcome.retries == 0
    assert "denied permission" in outcome.error and f"127.0.0.1:{server.port}" in outcome.error


def test_rsa_key_with_passphrase_from_the_environment(server, tmp_path, monkeypatch):
    server.accounts["rsa_partner"].write("a.csv", csv_bytes(1))
    monkeypatch.setenv("IOMHUB_TEST_RSA_PASSPHRASE", RSA_PASSPHRASE)
    source = server.source_settings("rsa_partner", passphrase_env="IOMHUB_TEST_RSA_PASSPHRASE")

    outcome = Puller(tmp_path).pull(feed_config("rsa_partner", source))

    assert outcome.error is None and outcome.landed == ["a.csv"]


def test_password_from_a_secrets_file(server, tmp_path):
    server.accounts["pw_partner"].write("a.csv", csv_bytes(1))
    secret = tmp_path / "secrets" / "pw_partner"
    secret.parent.mkdir()
    secret.write_text(PARTNER_PASSWORD + "\n")
    source = server.source_settings("pw_partner", private_key_file=None, password_file=str(secret))

    outcome = Puller(tmp_path / "ws").pull(feed_config("pw_partner", source))

    assert outcome.error is None and outcome.landed == ["a.csv"]


def test_password_from_the_environment_the_hub_hands_down(server, tmp_path, monkeypatch):
    server.accounts["pw_partner"].write("a.csv", csv_bytes(1))
    monkeypatch.delenv("IOMHUB_TEST_PW", raising=False)  # not in the process environment
    source = server.source_settings(
        "pw_partner", private_key_file=None, password_env="IOMHUB_TEST_PW"
    )
    handed_down = {"IOMHUB_TEST_PW": PARTNER_PASSWORD}

    outcome = Puller(tmp_path).pull(feed_config("pw_partner", source), environment=handed_down)

    assert outcome.error is None and outcome.landed == ["a.csv"]


def test_hashed_known_hosts_file_pins_the_server(server, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[other.example]:22 {server.host_public_key}\n{server.host_key_line}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known_hosts)], check=True, capture_output=True)
    assert "127.0.0.1" not in known_hosts.read_text()
    server.accounts["police"].write("a.csv", csv_bytes(1))
    source = server.source_settings("police", host_key=None, known_hosts_file=str(known_hosts))

    outcome = Puller(tmp_path / "ws").pull(feed_config("police", source))

    assert outcome.error is None and outcome.landed == ["a.csv"]


# --- terminal errors: never retried, never accepted ------------------------------------------


def test_a_changed_host_key_stops_the_feed_and_says_how_to_pin(server, tmp_path):
    other = generate_key(tmp_path / "impostor")
    server.accounts["police"].write("a.csv", csv_bytes(1))
    source = server.source_settings("police", host_key=other)
    puller = Puller(tmp_path / "ws")

    outcome = puller.pull(feed_config("police", source))

    assert outcome.retries == 0 and puller.waits == [] and puller.landed("police") == []
    fingerprint = subprocess.run(
        ["ssh-keygen", "-lf", str(server.host_key_path) + ".pub"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    assert f"presented the ssh-ed25519 key {fingerprint}" in outcome.error
    assert "not the pinned key" in outcome.error and "feed 'police'" in outcome.error
    assert "another channel" in outcome.error and "docs/sftp.md" in outcome.error


def test_an_unknown_host_is_never_accepted(server, tmp_path):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(
        f"[127.0.0.1]:{server.port + 1} {server.host_public_key}\n"
        f"sftp.other.example {server.host_public_key}\n"
    )
    server.accounts["police"].write("a.csv", csv_bytes(1))
    source = server.source_settings("police", host_key=None, known_hosts_file=str(known_hosts))
    endpoint = SftpSource.model_validate(source)

    with pytest.raises(HostKeyError) as raised, SftpConnector(endpoint, "police") as connector:
        connector.list_files()

    assert "no host key is pinned" in str(raised.value) and not raised.value.transient
    assert known_hosts.read_text().count("\n") == 2  # nothing was added


def test_a_refused_key_is_an_authentication_error_not_retried(server, tmp_path):
    stranger = tmp_path / "stranger_key"
    generate_key(stranger)
    source = server.source_settings("police", private_key_file=str(stranger))
    puller = Puller(tmp_path / "ws")

    outcome = puller.pull(feed_config("police", source))

    assert outcome.retries == 0 and puller.waits == []
    assert "refused the hub's key for user 'police'" in outcome.error


def test_a_wrong_passphrase_is_reported_without_showing_it(server, tmp_path, monkeypatch):
    monkeypatch.setenv("IOMHUB_TEST_RSA_PASSPHRASE", "not the passphrase at all")
    source = server.source_settings("rsa_partner", passphrase_env="IOMHUB_TEST_RSA_PASSPHRASE")
    puller = Puller(tmp_path)

    outcome = puller.pull(feed_config("rsa_partner", source))

    assert "passphrase is wrong" in outcome.error and outcome.retries == 0
    everything = outcome.error + puller.output.getvalue()
    assert "not the passphrase at all" not in everything and RSA_PASSPHRASE not in everything


def test_a_missing_secret_says_where_it_was_looked_for(server, tmp_path, monkeypatch):
    monkeypatch.delenv("IOMHUB_TEST_MISSING", raising=False)
    source = server.source_settings(
        "pw_partner", private_key_file=None, password_env="IOMHUB_TEST_MISSING"
    )

    outcome = Puller(tmp_path).pull(feed_config("pw_partner", source))

    assert "environment variable IOMHUB_TEST_MISSING" in outcome.error


# --- transient errors: retried with backoff, bounded; other feeds go on ----------------------


def test_a_server_that_is_down_is_retried_then_reported_and_other_feeds_go_on(server, tmp_path):
    server.accounts["health"].write("health_1.csv", csv_bytes(1))
    down = server.source_settings("police", port=free_port(), host_key=server.host_public_key)
    puller = Puller(tmp_path)

    failed = puller.pull(feed_config("police", down))
    fine = puller.pull(feed_config("health", server.source_settings("health")))

    assert "refused the connection" in failed.error and "feed 'police'" in failed.error
    assert failed.retries == 2 and len(puller.waits) == 2  # attempts: 3
    assert 0.025 <= puller.waits[0] <= 0.05 and 0.05 <= puller.waits[1] <= 0.1
    assert fine.error is None and fine.landed == ["health_1.csv"]
    state = StateStore(tmp_path / "state.db")
    statuses = state.feed_statuses()
    state.close()
    assert statuses["police"]["last_error"] == failed.error and statuses["health"]["last_success"]


def test_a_connection_killed_mid_transfer_resumes_where_it_stopped(server, tmp_path):
    data = os.urandom(BIG)
    server.accounts["police"].write("big.csv", data)
    puller = Puller(tmp_path)
    feed = feed_config("police", server.source_settings("police"))

    thread, results = in_thread(lambda: puller.pull(feed))
    part = wait_for_partial_download(tmp_path / "landing" / "police" / ".incoming")
    connections = server.connections()
    freeze(connections)
    partial = part.stat().st_size
    server.kill_connections()
    thread.join(60)

    [outcome] = results
    assert 0 < partial < BIG
    assert outcome.error is None and outcome.landed == ["big.csv"] and outcome.retries == 1
    [landed] = puller.landed("police")
    assert landed.stat().st_size == BIG and sha256_of(landed) == sha256_of(
        server.accounts["police"].folder / "big.csv"
    )
    assert puller.leftovers("police") == []


def test_a_server_killed_mid_transfer_leaves_nothing_and_a_rerun_lands_it(tmp_path):
    own = OpenSshServer()
    try:
        account = own.add_account("police")
        account.write("big.csv", os.urandom(BIG))
        own.start()
        puller = Puller(tmp_path)
        feed = feed_config("police", own.source_settings("police"))

        thread, results = in_thread(lambda: puller.pull(feed))
        wait_for_partial_download(tmp_path / "landing" / "police" / ".incoming")
        freeze(own.connections())
        own.stop()
        thread.join(60)
        [outcome] = results

        assert "SFTP server 127.0.0.1" in outcome.error and outcome.retries == 2
        assert puller.landed("police") == [] and puller.leftovers("police") == []

        own.start()
        again = puller.pull(feed)
        assert again.error is None and again.landed == ["big.csv"]
        assert sha256_of(puller.landed("police")[0]) == sha256_of(account.folder / "big.csv")
    finally:
        own.remove()


def test_a_download_over_its_time_limit_is_abandoned_cleanly(server, tmp_path):
    server.accounts["police"].write("big.csv", os.urandom(4 * 1024 * 1024))
    source = server.source_settings("police", download_time_limit_seconds=0.001)
    puller = Puller(tmp_path)

    outcome = puller.pull(feed_config("police", source))

    assert "took longer than its limit of 0.001 s" in outcome.error and outcome.retries == 0
    assert puller.landed("police") == [] and puller.leftovers("police") == []


# --- complete files only -----------------------------------------------------------------------


class GrowingWhileListed(StateStore):
    """The state store, appending to the partner's file right after the hub listed it."""

    def __init__(self, path: Path, file: Path) -> None:
        super().__init__(path)
        self.file = file

    def first_seen(self, feed: str, name: str, size: int, mtime: int, now: float) -> float:
        with self.file.open("ab") as handle:
            handle.write(b"more,ROWS\n" * 1000)
        return super().first_seen(feed, name, size, mtime, now)


def test_a_file_still_growing_is_never_half_taken(server, tmp_path):
    account = server.accounts["police"]
    path = account.write("police_1.csv", csv_bytes(10), mtime=time.time() - 600)
    rules = {"stable_seconds": 60, "min_age_seconds": 0}
    source = SftpSource.model_validate(server.source_settings("police", completeness=rules))
    state = StateStore(tmp_path / "state.db")

    def pull(at: float) -> PullReport:
        with SftpConnector(source, "police") as connector:
            return pull_feed(
                connector,
                "police",
                source,
                landing=tmp_path / "landing",
                quarantine=tmp_path / "quarantine",
                ledger=state,
                clock=lambda: at,
            )

    start = time.time()

    first = pull(start)  # seen for the first time: wait for it to be stable
    with path.open("ab") as handle:
        handle.write(b"x9,JONES\n")
    second = pull(start + 61)  # changed since: wait again
    third = pull(start + 122)  # unchanged for 61 s: take it

    assert first.waiting == ["police_1.csv"] and second.waiting == ["police_1.csv"]
    assert [f.size for f in third.landed] == [path.stat().st_size]
    state.close()


def test_a_file_that_grows_during_its_download_is_not_landed(server, tmp_path):
    account = server.accounts["police"]
    path = account.write("police_1.csv", csv_bytes(10), mtime=time.time() - 600)
    source = SftpSource.model_validate(server.source_settings("police"))
    state = GrowingWhileListed(tmp_path / "state.db", path)

    with SftpConnector(source, "police") as connector:
        report = pull_feed(
            connector,
            "police",
            source,
            landing=tmp_path / "landing",
            quarantine=tmp_path / "quarantine",
            ledger=state,
        )

    assert report.landed == [] and report.vanished == ["police_1.csv"]
    assert list((tmp_path / "landing" / "police" / ".incoming").glob("*")) == []
    state.close()


def test_a_sha256_mismatch_rejects_the_file_and_keeps_it_in_quarantine(server, tmp_path):
    account = server.accounts["police"]
    account.write("police_1.csv", csv_bytes(5))
    account.write("police_1.csv.sha256", b"0" * 64 + b"  police_1.csv\n")
    puller = Puller(tmp_path)
    feed = feed_config("police", server.source_settings("police", after_landing="archive"))

    first = puller.pull(feed)
    second = puller.pull(feed)

    assert first.landed == [] and len(first.refused) == 1
    assert "does not match its .sha256 sidecar" in first.refused[0]
    [kept] = (tmp_path / "quarantine" / "police").glob("police_1.csv.*.rejected")
    assert kept.read_bytes() == csv_bytes(5)
    assert second.refused == [] and second.already_seen == 1 and puller.landed("police") == []
    assert (account.folder / "police_1.csv").exists()  # a rejected file is not tidied away


def test_a_matching_sidecar_lands_the_file_at_once_and_both_are_archived(server, tmp_path):
    account = server.accounts["police"]
    path = account.write("police_1.csv", csv_bytes(5))  # brand new: only the sidecar vouches
    account.write("police_1.csv.sha256", sha256_of(path).encode() + b"\n")
    rules = {"stable_seconds": 600, "min_age_seconds": 600}
    source = server.source_settings("police", completeness=rules, after_landing="archive")

    outcome = Puller(tmp_path).pull(feed_config("police", source))

    assert outcome.landed == ["police_1.csv"]
    archived = sorted(p.name for p in (account.folder / "archive").iterdir())
    assert archived == ["police_1.csv", "police_1.csv.sha256"]
    assert not (account.folder / "police_1.csv").exists()


# --- untrusted names ---------------------------------------------------------------------------


def test_unsafe_names_and_links_leading_outside_are_refused(server, tmp_path):
    police, health = server.accounts["police"], server.accounts["health"]
    police.write("good.csv", csv_bytes(1))
    police.write("..sneaky.csv", csv_bytes(1))
    police.write("bad\nname.csv", csv_bytes(1))
    police.write("upload.csv.part", csv_bytes(1))
    police.write(".hidden.csv", csv_bytes(1))
    police.write("upload.csv.filepart", csv_bytes(1))
    (police.folder / "sub").mkdir()
    police.write("sub/inner.csv", csv_bytes(2))
    os.symlink("sub/inner.csv", police.folder / "inside.csv")
    os.symlink("/etc/hostname", police.folder / "system.csv")
    health.write("health_1.csv", csv_bytes(1))
    os.symlink(health.folder / "health_1.csv", police.folder / "neighbour.csv")
    police.write("vouched.csv", csv_bytes(1))
    os.symlink("/etc/hostname", police.folder / "vouched.csv.sha256")
    for link in ("inside.csv", "system.csv", "neighbour.csv", "vouched.csv.sha256"):
        os.lchown(police.folder / link, police.uid, police.uid)

    outcome = Puller(tmp_path).pull(feed_config("police", server.source_settings("police")))

    assert sorted(outcome.landed) == ["good.csv", "inside.csv"]
    refused = "\n".join(outcome.refused)
    assert "'..sneaky.csv': contains '..'" in refused
    assert "'bad?name.csv': contains control characters" in refused
    assert "'system.csv': a link leading outside" in refused
    assert "'neighbour.csv': a link leading outside" in refused
    assert "'vouched.csv.sha256': a link leading outside" in refused
    assert len(outcome.refused) == 5


# --- exactly once ------------------------------------------------------------------------------


def test_a_rerun_takes_nothing_twice_and_a_changed_file_is_a_new_extract(server, tmp_path):
    account = server.accounts["police"]
    account.write("police_1.csv", csv_bytes(5), mtime=time.time() - 600)
    puller = Puller(tmp_path)
    feed = feed_config("police", server.source_settings("police"))

    first, second = puller.pull(feed), puller.pull(feed)
    account.write("police_1.csv", csv_bytes(6), mtime=time.time() - 300)
    third = puller.pull(feed)

    assert first.landed == ["police_1.csv"] and second.landed == [] and second.already_seen == 1
    assert third.landed == ["police_1.csv"]
    state = StateStore(tmp_path / "state.db")
    extracts = state.extracts(feed="police")
    state.close()
    assert len(extracts) == 2 and len({e.sha256 for e in extracts}) == 2
    assert len(puller.landed("police")) == 2


def test_a_tidy_up_interrupted_by_a_crash_is_finished_by_the_next_run(server, tmp_path):
    account = server.accounts["police"]
    account.write("police_1.csv", csv_bytes(5))
    puller = Puller(tmp_path)
    puller.pull(feed_config("police", server.source_settings("police")))  # landed, then "crash"

    again = puller.pull(
        feed_config("police", server.source_settings("police", after_landing="delete"))
    )

    assert again.landed == [] and again.already_seen == 1
    assert not (account.folder / "police_1.csv").exists()


def test_kill_9_of_the_hub_mid_download_then_a_rerun_lands_it_exactly_once(server, tmp_path):
    account = server.accounts["police"]
    account.write("police_20250101.csv", os.urandom(BIG))
    (tmp_path / "feeds").mkdir()
    source = server.source_settings("police")
    (tmp_path / "feeds" / "police.yaml").write_text(
        yaml.safe_dump({"name": "police", "source": source, "format": MINIMAL_FORMAT})
    )
    (tmp_path / "hub.yaml").write_text(
        yaml.safe_dump({"workspace": str(tmp_path / "ws"), "feeds": ["feeds/*.yaml"]})
    )
    hub = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "--quiet", "run", "--config", str(tmp_path / "hub.yaml")],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        part = wait_for_partial_download(tmp_path / "ws" / "landing" / "police" / ".incoming")
        os.kill(hub.pid, signal.SIGSTOP)
        assert 0 < part.stat().st_size < BIG
        os.kill(hub.pid, signal.SIGKILL)
        hub.wait(10)
    finally:
        if hub.poll() is None:
            hub.kill()
    assert hub.returncode == -signal.SIGKILL

    puller = Puller(tmp_path / "ws")
    feed = feed_config("police", source)
    outcome, again = puller.pull(feed), puller.pull(feed)

    assert outcome.landed == ["police_20250101.csv"] and again.already_seen == 1
    [landed] = puller.landed("police")
    assert sha256_of(landed) == sha256_of(account.folder / "police_20250101.csv")
    assert puller.leftovers("police") == []
    state = StateStore(tmp_path / "ws" / "state.db")
    assert len(state.extracts(feed="police")) == 1
    state.close()


# --- uploads -----------------------------------------------------------------------------------


def test_a_release_is_uploaded_under_a_temporary_name_then_renamed(server, tmp_path):
    release = tmp_path / "view.parquet"
    release.write_bytes(os.urandom(300_000))
    settings = server.source_settings("recipient")
    endpoint = SftpEndpoint.model_validate(
        {k: v for k, v in settings.items() if k in SftpEndpoint.model_fields}
    )

    with SftpConnector(endpoint, "pcc", role="recipient") as connector:
        connector.upload(release, "view.parquet")
        connector.upload(release, "view.parquet")  # a re-send replaces it whole

    folder = server.accounts["recipient"].folder
    assert sorted(p.name for p in folder.iterdir()) == ["view.parquet"]
    assert (folder / "view.parquet").read_bytes() == release.read_bytes()


def test_a_failed_upload_leaves_nothing_behind(server, tmp_path):
    release = tmp_path / "view.parquet"
    release.write_bytes(b"data")
    folder = server.accounts["recipient"].folder
    (folder / "locked").mkdir()
    os.chown(folder / "locked", 0, 0)
    (folder / "locked").chmod(0o555)
    settings = server.source_settings("recipient", folder="locked")
    endpoint = SftpEndpoint.model_validate(
        {k: v for k, v in settings.items() if k in SftpEndpoint.model_fields}
    )

    with (
        pytest.raises(ConnectorError) as raised,
        SftpConnector(endpoint, "pcc", role="recipient") as connector,
    ):
        connector.upload(release, "view.parquet")

    assert "recipient 'pcc'" in str(raised.value) and "denied permission" in str(raised.value)
    assert list((folder / "locked").iterdir()) == []


def test_reads_larger_than_the_server_allows_come_back_short_and_the_file_is_whole(server):
    data = os.urandom(3 * 1024 * 1024 + 12345)
    server.accounts["police"].write("big.csv", data)
    source = SftpSource.model_validate(server.source_settings("police"))

    with SftpConnector(source, "police", read_block=1024 * 1024) as connector:  # OpenSSH: 255 KiB
        connector.list_files()
        with connector.open_read("big.csv") as handle:
            chunks = list(iter(lambda: handle.read(1 << 20), b""))
        with connector.open_read("big.csv", 1_000_000) as handle:
            tail = b"".join(iter(lambda: handle.read(1 << 20), b""))

    assert b"".join(chunks) == data and max(len(c) for c in chunks) < 1024 * 1024
    assert tail == data[1_000_000:]
