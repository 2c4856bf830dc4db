"""Audit log speed: appends per second (each fsynced, with the head), entries verified per
second, and one person's entries found (a person page, the DPO's view of a person) against
every entry read, on a log of N entries (pulls and page views) in a temporary folder.

    python bench/audit_bench.py [N]
"""

from __future__ import annotations

import secrets
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.audit.events import Consultation, Pull
from hub.audit.log import AuditLog


def main(entries: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        log = AuditLog(Path(folder) / "audit", secrets.token_bytes(32))
        started = time.perf_counter()
        for number in range(entries):
            if number % 2:
                people = tuple(f"P{(number * 7 + k) % 100_000:06d}" for k in range(20))
                log.record(Consultation(page="/cohort", purpose="iom_panel", view_of="iom_team",
                                        person_ids=people, people=len(people)))  # fmt: skip
            else:
                log.record(Pull(feed="police", file=f"police_nominals_{number}.csv",
                                sha256="0" * 64, source="/drop", bytes=number))  # fmt: skip
        appended = time.perf_counter() - started
        started = time.perf_counter()
        result = log.verify()
        verified = time.perf_counter() - started
        started = time.perf_counter()
        every = sum(1 for _ in log.events())
        read_all = time.perf_counter() - started
        started = time.perf_counter()
        naming = sum(1 for _ in log.events_mentioning({"P000007"}))
        found = time.perf_counter() - started
        size = log.path.stat().st_size
    print(f"appended {entries:,} entries in {appended:.2f} s ({entries / appended:,.0f}/s)")
    print(f"verified {result.entries:,} entries ({size / 1e6:.1f} MB) in {verified:.2f} s "
          f"({result.entries / verified:,.0f}/s), ok={result.ok}")  # fmt: skip
    print(f"every entry read as an event: {every:,} in {read_all:.2f} s; one person's "
          f"entries found: {naming:,} in {found:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
