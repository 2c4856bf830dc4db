"""Keyed pseudonyms: HMAC-SHA256 under a key per recipient, derived by HKDF from a master key.

A recipient's key is ``HKDF-SHA256(master, salt="iomhub pseudonyms", info="recipient:<name>:
v<version>")``; raising the recipient's key version rotates it. The key id (recipient, version and
the first 8 hex digits of ``HMAC(key, "key id")``) names the key in every release without
revealing it. A pseudonym is the first 128 bits, in hex, of ``HMAC(key, domain || 0x1f ||
value)``; the domain (``person_id`` or the field name) keeps two fields' pseudonyms of one value
apart. Two recipients' pseudonyms of one person differ; one recipient's stay the same from
release to release while its key does.

Bulk pseudonymisation runs inside DuckDB (its ``sha256`` over blobs, in the HMAC construction
of RFC 2104), a million values a second on two cores; :meth:`PseudonymKey.pseudonym` is the
one-value reference that tests hold it to.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.duckdb_session import connect

if TYPE_CHECKING:
    import duckdb

PSEUDONYM_HEX_DIGITS = 32
PSEUDONYM_PATTERN = r"^[0-9a-f]{32}$"
_SALT = b"iomhub pseudonyms"
_BLOCK = 64


@dataclass(frozen=True)
class PseudonymKey:
    """One recipient's pseudonym key. The key bytes never appear in a repr."""

    recipient: str
    version: int
    key_id: str
    key: bytes = field(repr=False)

    def pseudonym(self, domain: str, value: str) -> str:
        """The pseudonym of one value (reference implementation)."""
        message = domain.encode() + b"\x1f" + value.encode("utf-8")
        return hmac.digest(self.key, message, "sha256").hex()[:PSEUDONYM_HEX_DIGITS]

    def pads(self, domain: str) -> tuple[bytes, bytes]:
        """HMAC's inner block (with the domain prefix appended) and outer block."""
        padded = self.key.ljust(_BLOCK, b"\0")
        inner = bytes(b ^ 0x36 for b in padded) + domain.encode() + b"\x1f"
        outer = bytes(b ^ 0x5C for b in padded)
        return inner, outer


def derive_subkey(master: bytes, salt: bytes, info: bytes) -> tuple[bytes, str]:
    """A 256-bit key derived by HKDF-SHA256 from the master key, and its 8-hex-digit tag (the
    first digits of ``HMAC(key, "key id")``: names the key without revealing it)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    if len(master) < 32:
        raise ValueError("the master key must carry at least 32 bytes")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(master)
    return key, hmac.digest(key, b"key id", "sha256").hex()[:8]


def derive_key(master: bytes, recipient: str, version: int = 1) -> PseudonymKey:
    """The recipient's key for ``version``, derived by HKDF-SHA256 from the master key."""
    key, tag = derive_subkey(master, _SALT, f"recipient:{recipient}:v{version}".encode())
    return PseudonymKey(recipient, version, f"{recipient}-v{version}-{tag}", key)


def hmac_sql(value_sql: str, inner_param: str, outer_param: str) -> str:
    """DuckDB SQL for the pseudonym of the text expression ``value_sql`` (NULL stays NULL).

    The two parameters are bound to :meth:`PseudonymKey.pads` of the domain.
    """
    inner = f"unhex(sha256(${inner_param} || encode({value_sql})))"
    return f"left(sha256(${outer_param} || {inner}), {PSEUDONYM_HEX_DIGITS})"


def pseudonymise(
    values: pa.Array | pa.ChunkedArray,
    key: PseudonymKey,
    domain: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pa.ChunkedArray:
    """Pseudonyms of a column of text values, in order (nulls stay null)."""
    connection = con or connect()
    try:
        inner, outer = key.pads(domain)
        connection.register("pseudonym_input", pa.table({"v": values}))
        relation = connection.sql(
            f"SELECT {hmac_sql('v', 'inner', 'outer')} AS p FROM pseudonym_input",
            params={"inner": inner, "outer": outer},
        )
        return relation.to_arrow_table().column("p")
    finally:
        if con is None:
            connection.close()
        else:
            connection.unregister("pseudonym_input")
