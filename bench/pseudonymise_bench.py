"""Pseudonymise 1,000,000 values with a recipient's key and print values per second.

Target: 1,000,000 values/s or more. Bulk pseudonyms are computed inside DuckDB (HMAC-SHA256 built
from its sha256 over blobs); the one-value reference (Python's hmac) is timed on a sample for
comparison, and the two are checked against each other.

    python bench/pseudonymise_bench.py [--values N] [--repeat R]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from sharing_agreements.pseudonyms import derive_key, pseudonymise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    key = derive_key(os.urandom(32), "bench_recipient")
    numbers = pc.cast(pa.array(range(args.values), pa.int64()), pa.string())
    values = pc.binary_join_element_wise("P", pc.utf8_lpad(numbers, 9, "0"), "")
    con = duckdb.connect()
    pseudonymise(values.slice(0, 1000), key, "person_id", con)  # warm up

    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        result = pseudonymise(values, key, "person_id", con)
        timings.append(time.perf_counter() - started)
    assert len(result) == args.values and result.null_count == 0

    sample = values.slice(0, 20_000).to_pylist()
    started = time.perf_counter()
    reference = [key.pseudonym("person_id", value) for value in sample]
    reference_rate = len(sample) / (time.perf_counter() - started)
    assert reference == result.slice(0, len(sample)).to_pylist(), "bulk differs from reference"

    best, median = min(timings), statistics.median(timings)
    print(
        f"pseudonymise {args.values:,} values (HMAC-SHA256, per-recipient HKDF key, DuckDB, "
        f"{os.cpu_count()} cores):"
    )
    print(f"  best   {best:.3f} s  {args.values / best:,.0f} values/s")
    print(f"  median {median:.3f} s  {args.values / median:,.0f} values/s  ({args.repeat} runs)")
    print(f"  reference (Python hmac, one value at a time): {reference_rate:,.0f} values/s")
    print(f"  load average while running: {os.getloadavg()[0]:.2f}")
    print(f"  target 1,000,000 values/s: {'met' if args.values / median >= 1e6 else 'NOT met'}")


if __name__ == "__main__":
    main()
