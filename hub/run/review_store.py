"""The review room's own state (``matched/review.db``): what is not yet a decision in force.

- **held**: a decision waiting for a second, different reviewer (four eyes); it reaches the
  person registry only when seconded.
- **unsure**: a reviewer's "not sure" on a pair; the model still decides it.
- **reviewer_settings**: each reviewer's settings (blind mode), owned here and nowhere else.

Decisions in force live in the person registry (:class:`matching.registry.PersonRegistry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from matching.registry import RecordKey, pair_key, utc_now
from schemas.sqlite_store import open_database, transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    source_l TEXT NOT NULL, record_l TEXT NOT NULL, source_r TEXT NOT NULL,
    record_r TEXT NOT NULL, decision TEXT NOT NULL CHECK (decision IN ('same', 'different')),
    decided_by TEXT NOT NULL, decided_at TEXT NOT NULL, why TEXT NOT NULL, note TEXT NOT NULL,
    PRIMARY KEY (source_l, record_l, source_r, record_r));
CREATE TABLE IF NOT EXISTS unsure (
    source_l TEXT NOT NULL, record_l TEXT NOT NULL, source_r TEXT NOT NULL,
    record_r TEXT NOT NULL, decided_by TEXT NOT NULL, decided_at TEXT NOT NULL,
    note TEXT NOT NULL, PRIMARY KEY (source_l, record_l, source_r, record_r));
CREATE TABLE IF NOT EXISTS reviewer_settings (
    account TEXT PRIMARY KEY, blind INTEGER NOT NULL DEFAULT 0);
"""


@dataclass(frozen=True)
class HeldDecision:
    """A decision waiting for a second reviewer."""

    left: RecordKey
    right: RecordKey
    same: bool
    decided_by: str
    decided_at: str
    why: str
    note: str


@dataclass(frozen=True)
class UnsureMark:
    """A reviewer's "not sure" on a pair."""

    left: RecordKey
    right: RecordKey
    decided_by: str
    decided_at: str
    note: str


def _keys(left: RecordKey, right: RecordKey) -> tuple[str, str, str, str]:
    a, b = pair_key(left, right)
    return a[0], a[1], b[0], b[1]


_PAIR = "source_l=? AND record_l=? AND source_r=? AND record_r=?"


class ReviewStore:
    """Access to ``review.db``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_database(path, _SCHEMA)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- held decisions (four eyes) -------------------------------------------------------

    def held(self) -> list[HeldDecision]:
        """Every decision waiting for a second reviewer, oldest first."""
        rows = self._db.execute(
            "SELECT source_l, record_l, source_r, record_r, decision, decided_by, decided_at, "
            "why, note FROM held ORDER BY decided_at"
        ).fetchall()
        return [HeldDecision((r[0], r[1]), (r[2], r[3]), r[4] == "same", *r[5:]) for r in rows]

    def held_for(self, left: RecordKey, right: RecordKey) -> HeldDecision | None:
        """The decision on this pair waiting for a second reviewer, if one waits."""
        a, b = pair_key(left, right)
        return next((h for h in self.held() if (h.left, h.right) == (a, b)), None)

    def hold(self, left: RecordKey, right: RecordKey, same: bool, by: str, why: str,
             note: str) -> None:  # fmt: skip
        """Keep a decision until a second reviewer agrees (replacing one already held)."""
        with transaction(self._db) as db:
            db.execute("INSERT OR REPLACE INTO held VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (*_keys(left, right), "same" if same else "different", by, utc_now(),
                        why, note))  # fmt: skip

    # --- not sure --------------------------------------------------------------------------

    def unsure(self) -> list[UnsureMark]:
        """Every "not sure", oldest first."""
        rows = self._db.execute(
            "SELECT source_l, record_l, source_r, record_r, decided_by, decided_at, note "
            "FROM unsure ORDER BY decided_at"
        ).fetchall()
        return [UnsureMark((r[0], r[1]), (r[2], r[3]), *r[4:]) for r in rows]

    def mark_unsure(self, left: RecordKey, right: RecordKey, by: str, note: str) -> None:
        """Record a "not sure" on a pair (replacing an earlier one)."""
        with transaction(self._db) as db:
            db.execute("INSERT OR REPLACE INTO unsure VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (*_keys(left, right), by, utc_now(), note))  # fmt: skip

    # --- both --------------------------------------------------------------------------------

    def clear(self, left: RecordKey, right: RecordKey) -> bool:
        """Forget any held decision and "not sure" on the pair; True if there was one."""
        with transaction(self._db) as db:
            removed = sum(db.execute(f"DELETE FROM {table} WHERE {_PAIR}",
                                     _keys(left, right)).rowcount
                          for table in ("held", "unsure"))  # fmt: skip
        return removed > 0

    # --- reviewer settings -----------------------------------------------------------------

    def blind(self, account: str) -> bool:
        """Whether this reviewer sees scores only after deciding."""
        row = self._db.execute(
            "SELECT blind FROM reviewer_settings WHERE account=?", (account,)
        ).fetchone()
        return bool(row and row[0])

    def set_blind(self, account: str, blind: bool) -> None:
        """Turn blind mode on or off for this reviewer."""
        with transaction(self._db) as db:
            db.execute("INSERT INTO reviewer_settings (account, blind) VALUES (?, ?) "
                       "ON CONFLICT (account) DO UPDATE SET blind = excluded.blind",
                       (account, int(blind)))  # fmt: skip
