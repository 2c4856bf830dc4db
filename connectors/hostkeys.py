"""Pinned SSH host keys: OpenSSH ``known_hosts`` lines, parsed without any SSH library.

A feed pins its partner's host key either as one ``known_hosts`` line in its config or as a
``known_hosts`` file. Both use OpenSSH's format::

    [sftp.partner.example]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...   (non-standard port)
    sftp.partner.example ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ...        (port 22)
    |1|salt|hash ssh-ed25519 AAAA...                                       (hashed host name)
    ssh-ed25519 AAAA...                                                    (config line: any host)

Keys are compared byte for byte with what the server presents; fingerprints are shown the way
``ssh-keygen -lf`` shows them (``SHA256:...``), so a data officer can compare them by phone.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    }
)
"""Host key types the hub can pin (what paramiko can verify)."""

_HOST_KEY_ALGORITHMS = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256")}


@dataclass(frozen=True)
class PinnedKey:
    """One host key from a known_hosts line."""

    key_type: str
    blob: bytes
    hosts: tuple[str, ...] | None = None
    """The line's host patterns; None for a bare ``<type> <base64>`` line."""
    revoked: bool = False
    """A ``@revoked`` line: this key must be refused."""

    @property
    def fingerprint(self) -> str:
        """``SHA256:<base64>``, as ``ssh-keygen -lf`` prints it."""
        return fingerprint(self.blob)

    def matches_host(self, host: str, port: int) -> bool:
        """Whether the line's host patterns cover ``host`` on ``port`` (bare lines cover all)."""
        if self.hosts is None:
            return True
        return hosts_match(self.hosts, host_label(host, port))


def fingerprint(blob: bytes) -> str:
    """The SHA-256 fingerprint of a public key blob, as OpenSSH prints it."""
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


def host_label(host: str, port: int) -> str:
    """How known_hosts names a server: ``host`` on port 22, ``[host]:port`` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


def _blob_type(blob: bytes) -> str:
    if len(blob) < 4:
        raise ValueError("key data is too short")
    (length,) = struct.unpack(">I", blob[:4])
    if length > len(blob) - 4:
        raise ValueError("key data is truncated")
    return blob[4 : 4 + length].decode("ascii", errors="replace")


def parse_known_hosts_line(line: str) -> PinnedKey | None:
    """Parse one line; None for a blank line, a comment or a ``@cert-authority`` line.

    Raises ValueError (with a message that quotes no key material) when the line is malformed.
    """
    text = line.strip()
    if not text or text.startswith("#"):
        return None
    fields = text.split()
    revoked = False
    if fields[0].startswith("@"):
        if fields[0] == "@cert-authority":
            return None
        if fields[0] != "@revoked":
            raise ValueError(f"unknown marker {fields[0]!r}")
        revoked = True
        fields = fields[1:]
    hosts: tuple[str, ...] | None = None
    if fields and fields[0] not in KEY_TYPES:
        hosts = tuple(fields[0].split(","))
        fields = fields[1:]
    if len(fields) < 2:
        raise ValueError("expected '[hosts] <key type> <base64 key>'")
    key_type, encoded = fields[0], fields[1]
    if key_type not in KEY_TYPES:
        raise ValueError(f"unsupported key type {key_type!r}; use one of {sorted(KEY_TYPES)}")
    try:
        blob = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("the key is not valid base64") from error
    if _blob_type(blob) != key_type:
        raise ValueError(f"the key data is not an {key_type} key")
    return PinnedKey(key_type, blob, hosts, revoked)


def parse_known_hosts(lines: Iterable[str], *, where: str) -> list[PinnedKey]:
    """Every key in a known_hosts text; ValueError names the line number of a bad line."""
    keys = []
    for number, line in enumerate(lines, start=1):
        try:
            key = parse_known_hosts_line(line)
        except ValueError as error:
            raise ValueError(f"{where}, line {number}: {error}") from None
        if key is not None:
            keys.append(key)
    return keys


def read_known_hosts(path: Path) -> list[PinnedKey]:
    """Every key in a known_hosts file (OSError when it cannot be read)."""
    return parse_known_hosts(path.read_text(encoding="utf-8").splitlines(), where=str(path))


def _hashed_match(pattern: str, label: str) -> bool:
    parts = pattern.split("|")
    if len(parts) != 4 or parts[1] != "1":
        return False
    try:
        salt, expected = base64.b64decode(parts[2]), base64.b64decode(parts[3])
    except (binascii.Error, ValueError):
        return False
    actual = hmac.new(salt, label.encode(), hashlib.sha1).digest()
    return hmac.compare_digest(actual, expected)


def _wildcard(pattern: str) -> re.Pattern[str]:
    """OpenSSH patterns: ``*`` and ``?`` are wildcards; anything else (``[``, ``]``) is literal."""
    return re.compile(re.escape(pattern.lower()).replace(r"\*", ".*").replace(r"\?", "."))


def hosts_match(patterns: Iterable[str], label: str) -> bool:
    """OpenSSH host matching: wildcards, ``!negation`` and hashed (``|1|``) names."""
    matched = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern[1:] if negated else pattern
        if body.startswith("|1|"):
            hit = _hashed_match(body, label)
        else:
            hit = _wildcard(body).fullmatch(label.lower()) is not None
        if hit and negated:
            return False
        matched = matched or hit
    return matched


def host_key_algorithms(keys: Iterable[PinnedKey]) -> list[str]:
    """SSH host key algorithms that make a server present one of these keys, in pin order."""
    algorithms: list[str] = []
    for key in keys:
        for name in _HOST_KEY_ALGORITHMS.get(key.key_type, (key.key_type,)):
            if name not in algorithms:
                algorithms.append(name)
    return algorithms
