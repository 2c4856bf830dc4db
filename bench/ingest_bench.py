"""Ingest benchmark: parse, validate and write canonical Parquet for N police rows.

    python bench/ingest_bench.py [--rows 1000000] [--repeat 3]

Generates a synthetic police extract (in a child process, so its memory is not counted), then
ingests it through the example police feed ``--repeat`` times, as one hub process would ingest
one extract after another, and prints each run's rows/s, their median and the peak RSS. The
first run includes the one-off start of the process's DuckDB database.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

POLICE_SHARE = 0.4  # police rows per person in the synthetic population (approximate)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="police rows (approximate)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=3, help="ingests of the same extract")
    args = parser.parse_args()

    from helpers import example_format

    from schemas.ingest import ingest_file

    with tempfile.TemporaryDirectory(prefix="iomhub-bench-") as folder:
        work = Path(folder)
        people = int(args.rows / POLICE_SHARE)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; "
             "from hub.demo.synthetic import generate_partners; "
             f"generate_partners(Path(sys.argv[1]), Path(sys.argv[2]), {people}, seed={args.seed}, "
             "feeds=('police',))", str(work / "partners"), str(work / "truth.parquet")],
            check=True, cwd=ROOT,
        )  # fmt: skip
        os.sync()  # the generator's writes reach the disk now, not during the timed ingest
        print(f"generated the extract in {time.perf_counter() - started:.1f} s")
        (source,) = (work / "partners" / "police").glob("*.csv")
        size_mb = source.stat().st_size / 1e6
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rates = []
        for run in range(1, args.repeat + 1):
            cpu_started = time.process_time()
            result = ingest_file(
                source, example_format("police"), feed="police", extract_id=f"police-bench-{run}",
                staging_path=work / f"staging-{run}.parquet",
                quarantine_path=work / f"quarantine-{run}.parquet",
            )  # fmt: skip
            cpu_seconds = time.process_time() - cpu_started
            rates.append(result.rows_read / result.seconds)
            if run == 1:
                print(f"police rows:      {result.rows_read:,} ({size_mb:,.0f} MB of CSV)")
                print(f"accepted:         {result.rows_accepted:,}; "
                      f"quarantined: {result.rows_rejected:,}")  # fmt: skip
            print(f"run {run}:            {result.seconds:.2f} s wall, {cpu_seconds:.2f} s CPU "
                  f"(all threads), {rates[-1]:,.0f} rows/s")  # fmt: skip
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"rows per second:  median {statistics.median(rates):,.0f}, best {max(rates):,.0f}, "
              f"worst {min(rates):,.0f}  (target 500,000)")  # fmt: skip
        print(f"peak RSS:         {peak:,.0f} MiB (before ingest: {rss_before:,.0f} MiB)")


if __name__ == "__main__":
    main()
