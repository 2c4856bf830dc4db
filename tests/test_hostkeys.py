"""Pinned host keys: known_hosts parsing, host matching and fingerprints."""

from __future__ import annotations

import subprocess

import pytest

from connectors.hostkeys import (
    fingerprint,
    host_key_algorithms,
    host_label,
    hosts_match,
    parse_known_hosts,
    parse_known_hosts_line,
    read_known_hosts,
)
from tests.sftp_server import generate_key


@pytest.fixture(scope="module")
def public_key(tmp_path_factory: pytest.TempPathFactory) -> str:
    return generate_key(tmp_path_factory.mktemp("keys") / "host")


def test_fingerprint_is_the_one_ssh_keygen_prints(tmp_path, public_key):
    (tmp_path / "host.pub").write_text(public_key + "\n")
    expected = subprocess.run(
        ["ssh-keygen", "-lf", str(tmp_path / "host.pub")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[1]
    key = parse_known_hosts_line(public_key)
    assert key is not None and key.fingerprint == expected == fingerprint(key.blob)


def test_a_bare_key_line_covers_any_host(public_key):
    key = parse_known_hosts_line(public_key)
    assert key is not None and key.hosts is None and key.matches_host("anything", 2222)


def test_a_non_standard_port_is_written_in_brackets(public_key):
    key = parse_known_hosts_line(f"[sftp.police.example]:2222 {public_key}")
    assert key is not None
    assert key.matches_host("sftp.police.example", 2222)
    assert not key.matches_host("sftp.police.example", 22)
    assert host_label("h", 22) == "h" and host_label("h", 2222) == "[h]:2222"


def test_wildcards_and_negation_follow_openssh():
    assert hosts_match(["*.police.example"], "sftp.police.example")
    assert not hosts_match(["*.police.example", "!sftp.police.example"], "sftp.police.example")
    assert hosts_match(["sftp?.police.example"], "sftp1.police.example")
    assert not hosts_match(["[sftp]:22"], "s")  # brackets are literal, not a character class


def test_hashed_host_names_match(tmp_path, public_key):
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text(f"[sftp.health.example]:2200 {public_key}\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(known_hosts)], check=True, capture_output=True)
    [key] = read_known_hosts(known_hosts)
    assert key.hosts and key.hosts[0].startswith("|1|")
    assert key.matches_host("sftp.health.example", 2200)
    assert not key.matches_host("sftp.health.example", 22)


def test_revoked_and_cert_authority_lines(public_key):
    keys = parse_known_hosts(
        ["# partner keys", "", f"@revoked * {public_key}", f"@cert-authority * {public_key}"],
        where="known_hosts",
    )
    assert len(keys) == 1 and keys[0].revoked


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("host ssh-ed25519", "expected"),
        ("host ssh-dss AAAAB3NzaC1kc3M=", "unsupported key type"),
        ("host ssh-ed25519 not-base64!", "not valid base64"),
        ("@trusted host ssh-ed25519 AAAA", "unknown marker"),
    ],
)
def test_malformed_lines_are_refused_with_the_line_number(line, message):
    with pytest.raises(ValueError, match=message) as raised:
        parse_known_hosts(["# ok", line], where="pins")
    assert "pins, line 2" in str(raised.value)


def test_a_key_of_another_type_than_named_is_refused(public_key):
    with pytest.raises(ValueError, match="not an ssh-rsa key"):
        parse_known_hosts_line(f"host ssh-rsa {public_key.split()[1]}")


def test_rsa_pins_ask_for_sha2_signatures(public_key, tmp_path):
    rsa = parse_known_hosts_line(generate_key(tmp_path / "rsa", "rsa"))
    ed = parse_known_hosts_line(public_key)
    assert rsa is not None and ed is not None
    assert host_key_algorithms([ed, rsa]) == ["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]
