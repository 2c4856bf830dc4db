"""End to end at scale: the whole hub run, stage by stage, against bare Splink on the same records.

    PYTHONPATH=. python bench/e2e_bench.py                  # 100,000 and 1,000,000 records
    PYTHONPATH=. python bench/e2e_bench.py --full           # and 10,000,000
    PYTHONPATH=. python bench/e2e_bench.py --records 200000 # chosen sizes only
    PYTHONPATH=. python bench/e2e_bench.py --backend spark  # and the match stage on Spark

For each size (partner records over the four feeds, about 1.28 per person), it

1. writes synthetic extracts for the four partners (not timed; cached under ``--dir`` for
   the next run of the same size);
2. serves them from an SFTP server on 127.0.0.1 in a separate process (keys generated for the
   run, host key pinned in the feeds' config), so the hub pulls through its SFTP connector;
3. runs the hub once in a fresh process, ``run_once`` as ``iomhub run`` does: pull, ingest,
   match, publish every recipient's release, each audited; then verifies the audit log;
4. in another fresh process, on the same records, times bare Splink as an analyst would run
   it: the plain pipeline of ``bench/plain_splink.py`` (Splink's standard comparison library,
   its usual blocking rules; trained beforehand, not timed, and kept beside the extracts), its
   records normalised (not timed), then ``predict`` and ``cluster_pairwise_predictions_at_
   threshold`` timed: "bare Splink predict and cluster" (up to ``--plain-max-records``,
   1,000,000 by default: its name blocking grows with the square of the records);
5. in a third process, on the records the hub matched (``matched/frame.parquet``), times Splink's
   ``predict`` and clustering with the hub's own model and thresholds: the Splink calls inside
   the hub's match stage, so the table also shows what the hub adds around them;
6. with ``--backend spark`` (up to ``--spark-max-records``, 1,000,000 by default), in a fourth
   process, runs the match stage again on Spark (``local[threads]``, the same staging files,
   model and thresholds, a fresh registry): its sub-stages, its peak resident memory (the
   process and its Java child together, sampled), and how far its people agree with the DuckDB
   run's (``matching/agreement.py``: records whose person holds the same records);
7. prints per stage the wall time, rows and rows per second, the stage's peak resident memory
   (the process's high-water mark, reset as each stage starts), and the workspace's size on
   disk when the stage ends (and at its largest during the stage, DuckDB's spill files
   included); then the total and the ratios of the hub's whole run to both Splink timings.

Every DuckDB session (the hub's, bare Splink's) runs under the same memory limit and threads.
Memory is bounded by configuration: ``matching.engine.memory_limit``, ``threads`` and
``predict_chunk_records`` (set by ``--memory-limit``, ``--threads`` and ``--chunk-records``)
apply to every DuckDB session of matching and publishing, whose spill files go to the
workspace's ``tmp/``. Both Splink timings run under the same settings, chunked the same way.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RECORDS_PER_PERSON = 1.2838
"""Partner records per person in the synthetic population (all four feeds, measured)."""
DEFAULT_SIZES = (100_000, 1_000_000)
FULL_SIZE = 10_000_000
SEED = 2026
STAGES = ("pull", "ingest", "match", "publish", "audit verify")


# --- memory and disk -------------------------------------------------------------------------


def _status_kib(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def reset_peak_rss() -> bool:
    """Reset this process's resident high-water mark (Linux); False when it cannot."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mib() -> float:
    """This process's resident high-water mark since the last reset, in MiB."""
    return _status_kib("VmHWM") / 1024


def disk_bytes(folder: Path) -> int:
    """Bytes allocated on disk under ``folder`` (files that vanish while walking are skipped)."""
    total = 0
    for base, _, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(base, name)).st_blocks * 512
    return total


class PeakSampler:
    """The largest value of ``measure()`` seen while a stage runs (sampled every ``period`` s)."""

    def __init__(self, measure: Callable[[], int], period: float = 1.0) -> None:
        self.measure, self.period = measure, period
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-sampler", daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            self.peak = max(self.peak, self.measure())

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.measure())


def disk_sampler(folder: Path) -> PeakSampler:
    """The largest size of a folder seen while a stage runs, DuckDB's spill files included."""
    return PeakSampler(lambda: disk_bytes(folder))


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the JVM of a Spark session)."""
    total = 0
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/status").read_text()
        found = re.search(r"^VmRSS:\s+(\d+) kB", text, re.MULTILINE)
        total += int(found.group(1)) if found else 0
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            total += sum(tree_rss_kib(int(child)) for child in children)
    return total


# --- child processes -------------------------------------------------------------------------


def child_generate(folder: str, people: str) -> None:
    """Write the partners' extracts (and the sidecars two partners send) under ``folder``."""
    from connectors.files import sha256_file
    from hub.demo.synthetic import generate_partners
    from hub.demo.synthetic.feeds.police_offences import with_police_offences

    base = Path(folder)
    generated = generate_partners(base / "partners", base / "truth.parquet", int(people), seed=SEED)
    # the example agreements name the police offences feed (staged, never matched), as the demo's
    files, by_feed = with_police_offences(generated.files, generated.records, seed=SEED)
    for feed in ("police", "probation"):  # these partners send a .sha256 beside each file
        path = generated.files[feed]
        path.with_name(path.name + ".sha256").write_text(f"{sha256_file(path)}  {path.name}\n")
    summary = {
        "records": sum(generated.records.values()),  # the records matched
        "by_feed": by_feed,
        "bytes": sum(p.stat().st_size for p in files.values()),
        "files": {feed: str(path) for feed, path in files.items()},
    }
    (base / "partners.json").write_text(json.dumps(summary, indent=2))


def child_serve(folder: str) -> None:
    """Serve each partner's folder over SFTP on 127.0.0.1 until stdin closes."""
    import logging

    from hub.demo.sftp_server import LoopbackSftpServer

    logging.getLogger("paramiko").setLevel(logging.CRITICAL)  # a client closing is no news

    base = Path(folder)
    partners = json.loads((base / "partners.json").read_text())["files"]
    keys = base / "run" / "keys"
    accounts = {
        feed: (Path(path).parent, (keys / f"{feed}_ed25519.pub").read_text().strip())
        for feed, path in partners.items()
    }
    with LoopbackSftpServer(keys / "sftp_host_ed25519", accounts) as server:
        print(json.dumps({"port": server.port, "host_key": server.host_key_line}), flush=True)
        sys.stdin.read()


def child_hub(config_path: str, result_path: str) -> None:
    """One hub run with per-stage peak memory and disk, then the audit log verified."""
    from hub.config import load_config
    from hub.governance.agreements_check import approve_every_agreement
    from hub.output import Reporter
    from hub.run.pipeline import run_once
    from hub.workspace import Workspace

    config = load_config(Path(config_path))
    workspace = config.workspace
    figures: dict[str, dict[str, Any]] = {}
    samplers: dict[str, PeakSampler] = {}
    exact_peaks = True

    def on_stage(stage: str, starting: bool) -> None:
        nonlocal exact_peaks
        if starting:
            exact_peaks = reset_peak_rss() and exact_peaks
            samplers[stage] = disk_sampler(workspace).__enter__()
            return
        samplers[stage].__exit__()
        figures[stage] = {
            "peak_rss_mib": peak_rss_mib(),
            "disk_bytes": disk_bytes(workspace),
            "disk_peak_bytes": samplers[stage].peak,
        }

    approve_every_agreement(config, "bench setup")  # versions publish only once approved
    started = time.perf_counter()
    summary = run_once(config, Reporter(quiet=True), command="bench", on_stage=on_stage)
    if summary.failed or summary.match is None:
        raise SystemExit(f"the hub run failed: {json.dumps(summary.as_dict(), default=str)[:2000]}")
    on_stage("audit verify", True)
    verify_started = time.perf_counter()
    verified = Workspace(workspace).open_audit(config.settings).verify()
    verify_seconds = time.perf_counter() - verify_started
    on_stage("audit verify", False)
    if not verified.ok:
        raise SystemExit(f"the audit log does not verify: {verified.problem}")
    seconds = dict(summary.stage_seconds, **{"audit verify": round(verify_seconds, 3)})
    totals = summary.totals()
    rows = {
        "pull": totals["rows_ingested"] + totals["rows_quarantined"],
        "ingest": totals["rows_ingested"] + totals["rows_quarantined"],
        "match": int(summary.match["records"]),
        "publish": sum(r.rows for r in summary.releases),
        "audit verify": verified.entries,
    }
    result = {
        "seconds": seconds,
        "wall_seconds": time.perf_counter() - started,
        "rows": rows,
        "figures": figures,
        "exact_peaks": exact_peaks,
        "totals": totals,
        "match_seconds": summary.match.get("seconds", {}),
        "persons": summary.match["persons"],
        "releases": [(r.recipient, r.status, r.rows) for r in summary.releases],
        "workspace_bytes": disk_bytes(workspace),
    }
    Path(result_path).write_text(json.dumps(result, indent=2))


def child_splink(
    workspace: str, memory_limit: str, threads: str, chunk_records: str, result_path: str
) -> None:
    """Bare Splink predict and cluster on the records the hub matched, same model and limits."""
    from splink import DuckDBAPI, Linker
    from splink.clustering import cluster_pairwise_predictions_at_threshold

    from hub.workspace import Workspace
    from matching.model import MatchModel, default_model_path
    from matching.score import prediction_chunks, quiet_splink
    from schemas.duckdb_session import DuckDBSettings, connect
    from schemas.sql import quote_literal

    frame = Workspace(Path(workspace)).matched.frame
    spill = Path(workspace) / "tmp" / "bare-splink"
    con = connect(DuckDBSettings(memory_limit, int(threads), spill))
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE TABLE frame AS SELECT * FROM read_parquet({quote_literal(frame)})")
    records = _scalar(con, "SELECT count(*) FROM frame")
    model = MatchModel.load(default_model_path())
    quiet_splink()
    api = DuckDBAPI(connection=con)
    settings = model.splink_settings(records)
    linker = Linker(api.register("frame"), settings, log_level=None, validate_settings=False)
    reset_peak_rss()
    started = time.perf_counter()
    predictions = linker.inference.predict(
        threshold_match_weight=model.review_weight, warning_mode="never",
        num_chunks_left=prediction_chunks(records, int(chunk_records)), num_chunks_right=1,
    )  # fmt: skip
    predicted = time.perf_counter()
    probability = 2**model.link_weight / (1 + 2**model.link_weight)
    clusters = cluster_pairwise_predictions_at_threshold(
        "frame", predictions, api, node_id_column_name="unique_id",
        threshold_match_probability=probability,
    )  # fmt: skip
    people = _scalar(con, f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}")
    finished = time.perf_counter()
    pairs = _scalar(con, f"SELECT count(*) FROM {predictions.physical_name}")
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    result = {
        "records": records,
        "pairs": pairs,
        "clusters": people,
        "predict_seconds": predicted - started,
        "cluster_seconds": finished - predicted,
        "seconds": finished - started,
        "peak_rss_mib": peak_rss_mib(),
    }
    Path(result_path).write_text(json.dumps(result, indent=2))


def child_spark(workspace: str, threads: str, chunk_records: str, result_path: str) -> None:
    """The match stage on Spark over the hub run's staging files; agreement with its people."""
    from matching.agreement import compare_record_links
    from matching.config import EngineConfig, MatchingConfig, SparkConfig
    from matching.model import MatchModel, default_model_path
    from matching.run import MatchPaths, run_matching

    base = Path(workspace)
    files = _staging_files(workspace)
    out = base.parent / "spark-matched"
    shutil.rmtree(out, ignore_errors=True)
    spark = SparkConfig(master=f"local[{threads}]", conf={"spark.driver.memory": "4g"})
    engine = EngineConfig(backend="spark", threads=int(threads), spark=spark,
                          predict_chunk_records=int(chunk_records))  # fmt: skip
    started = time.perf_counter()
    with PeakSampler(lambda: tree_rss_kib(os.getpid()), period=0.5) as memory:
        counts = run_matching(
            files, MatchPaths(out, out / "registry.db", base / "tmp"),
            model=MatchModel.load(default_model_path()), config=MatchingConfig(engine=engine),
            run_id="spark-bench",
        )  # fmt: skip
    seconds = time.perf_counter() - started
    agreement = compare_record_links(base / "matched" / "record_links.parquet",
                                     out / "record_links.parquet")  # fmt: skip
    result = {
        "records": counts.records, "persons": counts.persons, "seconds": seconds,
        "match_seconds": counts.seconds, "peak_rss_mib": memory.peak / 1024,
        "agreement": agreement.share, "agreeing": agreement.agreeing,
        "compared": agreement.records,
        "differences": [d.__dict__ for d in agreement.differences[:20]],
        "different_persons": len(agreement.differences),
    }  # fmt: skip
    Path(result_path).write_text(json.dumps(result, indent=2))


def _scalar(con: Any, sql: str) -> int:
    return int(con.sql(sql).fetchall()[0][0])


def _plain_engine(workspace: str, memory_limit: str, threads: str) -> Any:
    from matching.config import EngineConfig
    from matching.engine import open_engine

    spill = Path(workspace) / "tmp" / "plain-splink"
    return open_engine(EngineConfig(memory_limit=memory_limit, threads=int(threads)), spill)


def child_plain_train(workspace: str, memory_limit: str, threads: str, model_path: str) -> None:
    """Train the plain pipeline's model on the hub's ingested records (not timed)."""
    import plain_splink

    from matching.score import quiet_splink

    quiet_splink(training=True)
    engine = _plain_engine(workspace, memory_limit, threads)
    plain_splink.build_frame(engine, _staging_files(workspace))
    started = time.perf_counter()
    model = plain_splink.train(engine)
    engine.close()
    Path(model_path).write_text(json.dumps(model))
    print(f"  plain Splink model trained in {time.perf_counter() - started:.0f} s "
          "(not timed below)")  # fmt: skip


def child_plain(
    workspace: str, memory_limit: str, threads: str, chunk_records: str, model_path: str,
    result_path: str,
) -> None:  # fmt: skip
    """Bare Splink as an analyst would run it: the plain pipeline's predict and cluster."""
    import plain_splink
    from splink import Linker

    from matching.score import prediction_chunks, quiet_splink

    quiet_splink()
    engine = _plain_engine(workspace, memory_limit, threads)
    records = plain_splink.build_frame(engine, _staging_files(workspace))
    model = json.loads(Path(model_path).read_text())
    linker = Linker(engine.splink_api().register("plain_frame"), model, log_level=None)
    reset_peak_rss()
    started = time.perf_counter()
    predictions = linker.inference.predict(
        threshold_match_probability=0.5, warning_mode="never",
        num_chunks_left=prediction_chunks(records, int(chunk_records)), num_chunks_right=1,
    )  # fmt: skip
    predicted = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=plain_splink.CLUSTER_PROBABILITY
    )
    clustered = clusters.physical_name
    people = _scalar(engine.connection, f"SELECT count(DISTINCT cluster_id) FROM {clustered}")
    finished = time.perf_counter()
    pairs = _scalar(engine.connection, f"SELECT count(*) FROM {predictions.physical_name}")
    engine.close()
    shutil.rmtree(Path(workspace) / "tmp" / "plain-splink", ignore_errors=True)
    result = {
        "records": records, "pairs": pairs, "clusters": people,
        "predict_seconds": predicted - started, "cluster_seconds": finished - predicted,
        "seconds": finished - started, "peak_rss_mib": peak_rss_mib(),
    }  # fmt: skip
    Path(result_path).write_text(json.dumps(result, indent=2))


def _staging_files(workspace: str) -> list[Path]:
    """The staging files the hub's match stage read: the person feeds' current extracts (the
    police offences feed is staged, never matched)."""
    from hub.config import load_config
    from hub.run.match import current_staging_files
    from hub.workspace import Workspace

    config = load_config(Path(workspace).parent / "config" / "hub.yaml")
    state = Workspace(config.workspace).open_state()
    try:
        return current_staging_files(config, Workspace(config.workspace), state)
    finally:
        state.close()


CHILDREN = {"generate": child_generate, "serve": child_serve, "hub": child_hub,
            "splink": child_splink, "plain-train": child_plain_train,
            "plain": child_plain, "spark": child_spark}  # fmt: skip


def _child(kind: str, *args: str, **options: Any) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'bench'}")
    command = [sys.executable, __file__, "--child", kind, *args]
    return subprocess.run(command, check=True, env=env, cwd=ROOT, text=True, **options)


# --- one size --------------------------------------------------------------------------------


def prepare_partners(folder: Path, records: int) -> dict[str, Any]:
    """Generate the extracts for about ``records`` records unless already there."""
    summary = folder / "partners.json"
    if not summary.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        people = round(records / RECORDS_PER_PERSON)
        started = time.perf_counter()
        _child("generate", str(folder), str(people))
        print(f"  synthetic extracts for {people:,} people written in "
              f"{time.perf_counter() - started:.0f} s (not timed below)")  # fmt: skip
    return dict(json.loads(summary.read_text()))


def write_config(run: Path, feeds: list[str], port: int, host_key: str, args: Any) -> Path:
    """The example config over the loopback server, with the bench's memory settings."""
    import yaml

    from hub.demo.sftp_server import write_loopback_config

    config = write_loopback_config(run, feeds, port, host_key)
    document = yaml.safe_load(config.read_text(encoding="utf-8"))
    document["matching"] = {"engine": {"memory_limit": args.memory_limit, "threads": args.threads,
                                       "predict_chunk_records": args.chunk_records}}  # fmt: skip
    config.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return config


def bench_size(records: int, args: Any) -> dict[str, Any]:
    """Run the hub and bare Splink on one size; return both results."""
    from hub.demo.sftp_server import write_partner_keys
    from hub.keys import write_new_key

    folder = args.dir / f"records-{records}"
    partners = prepare_partners(folder, records)
    run = folder / "run"
    shutil.rmtree(run, ignore_errors=True)  # a fresh workspace each time
    keys = run / "keys"
    public = write_partner_keys(keys, list(partners["files"]))
    for feed, line in public.items():
        (keys / f"{feed}_ed25519.pub").write_text(line + "\n")
    for name in ("audit_key", "master_key"):
        write_new_key(keys / name)
    for path in partners["files"].values():  # the previous run archived them remotely
        _restore_archived(Path(path))
    os.environ.update({"IOMHUB_SECRETS_DIR": str(keys), "IOMHUB_OUTBOX_ROOT": str(run / "outbox")})
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    server = subprocess.Popen(
        [sys.executable, __file__, "--child", "serve", str(folder)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        hello = json.loads(server.stdout.readline())
        config = write_config(run, list(partners["files"]), hello["port"], hello["host_key"], args)
        _child("hub", str(config), str(run / "hub.json"))
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(30)
    hub = json.loads((run / "hub.json").read_text())
    workspace = run / "workspace"
    _child("splink", str(workspace), args.memory_limit, str(args.threads),
           str(args.chunk_records), str(run / "splink.json"))  # fmt: skip
    splink = json.loads((run / "splink.json").read_text())
    plain = None
    if partners["records"] <= args.plain_max_records:
        plain_model = folder / "plain-splink-model.json"  # trained once per size, kept
        if not plain_model.exists():
            _child("plain-train", str(workspace), args.memory_limit, str(args.threads),
                   str(plain_model))  # fmt: skip
        _child("plain", str(workspace), args.memory_limit, str(args.threads),
               str(args.chunk_records), str(plain_model), str(run / "plain.json"))  # fmt: skip
        plain = json.loads((run / "plain.json").read_text())
    spark = None
    if "spark" in args.backend and partners["records"] <= args.spark_max_records:
        _child("spark", str(workspace), str(args.threads), str(args.chunk_records),
               str(run / "spark.json"))  # fmt: skip
        spark = json.loads((run / "spark.json").read_text())
    return {"records": partners["records"], "bytes": partners["bytes"], "hub": hub,
            "splink": splink, "plain": plain, "spark": spark}  # fmt: skip


def _restore_archived(path: Path) -> None:
    """Put back an extract a previous run's pull archived on the server."""
    if path.exists():
        return
    for archived in path.parent.rglob(path.name):
        archived.rename(path)
        sidecar = archived.with_name(archived.name + ".sha256")
        if sidecar.exists():
            sidecar.rename(path.with_name(path.name + ".sha256"))
        return


# --- printing --------------------------------------------------------------------------------


def _mib(value: float) -> str:
    return f"{value / 2**20:,.0f}"


def print_result(result: dict[str, Any]) -> None:
    """The table for one size."""
    hub, splink = result["hub"], result["splink"]
    print(f"\n{result['records']:,} partner records ({result['bytes'] / 1e6:,.0f} MB of extracts)"
          f" -> {hub['persons']:,} people")  # fmt: skip
    headers = ["stage", "seconds", "rows", "rows/s", "peak RSS MiB", "disk MiB", "disk peak MiB"]
    rows: list[list[str]] = []
    for stage in STAGES:
        seconds = hub["seconds"][stage]
        count = hub["rows"][stage]
        figure = hub["figures"][stage]
        rows.append([stage, f"{seconds:.1f}", f"{count:,}", f"{count / max(seconds, 1e-9):,.0f}",
                     f"{figure['peak_rss_mib']:,.0f}", _mib(figure["disk_bytes"]),
                     _mib(figure["disk_peak_bytes"])])  # fmt: skip
    total = sum(hub["seconds"][s] for s in STAGES)
    peak = max(hub["figures"][s]["peak_rss_mib"] for s in STAGES)
    disk_peak = max(hub["figures"][s]["disk_peak_bytes"] for s in STAGES)
    rows.append(["hub total", f"{total:.1f}", f"{result['records']:,}",
                 f"{result['records'] / total:,.0f}", f"{peak:,.0f}",
                 _mib(hub["workspace_bytes"]), _mib(disk_peak)])  # fmt: skip
    plain = result["plain"]
    for label, timing in (("bare Splink", plain), ("Splink, hub's model", splink)):
        if timing is None:
            continue
        rows.append([label, f"{timing['seconds']:.1f}", f"{timing['records']:,}",
                     f"{timing['records'] / timing['seconds']:,.0f}",
                     f"{timing['peak_rss_mib']:,.0f}", "", ""])  # fmt: skip
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) if i == 0 else h.rjust(w)
                    for i, (h, w) in enumerate(zip(headers, widths, strict=True))))  # fmt: skip
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                        for i, (c, w) in enumerate(zip(row, widths, strict=True))))  # fmt: skip
    match = ", ".join(f"{k} {v:.1f}" for k, v in hub["match_seconds"].items())
    print(f"match stage, in seconds: {match}")
    if plain is not None:
        print(f"bare Splink (plain pipeline): predict {plain['predict_seconds']:.1f} s "
              f"({plain['pairs']:,} pairs at probability 0.5 or more), cluster "
              f"{plain['cluster_seconds']:.1f} s ({plain['clusters']:,} clusters)")  # fmt: skip
    print(f"Splink with the hub's model: predict {splink['predict_seconds']:.1f} s "
          f"({splink['pairs']:,} pairs at or above the review weight), cluster "
          f"{splink['cluster_seconds']:.1f} s ({splink['clusters']:,} clusters)")  # fmt: skip
    if plain is not None:
        print(f"ratio, hub's whole run / bare Splink predict+cluster: "
              f"{total / plain['seconds']:.2f}x (target 1.5x or less)")  # fmt: skip
    else:
        print("bare Splink (plain pipeline): not run at this size (above --plain-max-records; "
              "its name blocking grows with the square of the records)")  # fmt: skip
    print(f"ratio, hub's whole run / Splink predict+cluster with the hub's model: "
          f"{total / splink['seconds']:.2f}x")  # fmt: skip
    spark = result.get("spark")
    if spark is not None:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in spark["match_seconds"].items())
        match = hub["seconds"]["match"]
        print(f"match stage, backend spark (local[{os.cpu_count()}]): {spark['seconds']:.1f} s "
              f"against {match:.1f} s on DuckDB; peak RSS with the JVM "
              f"{spark['peak_rss_mib']:,.0f} MiB; in seconds: {stages}")  # fmt: skip
        print(f"agreement, Spark / DuckDB: {spark['agreement']:.6f} of {spark['compared']:,} "
              f"records in the same people ({spark['different_persons']:,} DuckDB people "
              f"grouped otherwise; {spark['persons']:,} people on Spark)")  # fmt: skip
    if not hub["exact_peaks"]:
        print("note: peak RSS could not be reset per stage; each figure is the peak so far")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        CHILDREN[sys.argv[2]](*sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, nargs="+", help="sizes to run (partner records)")
    parser.add_argument("--full", action="store_true", help="add 10,000,000 records")
    parser.add_argument("--dir", type=Path, default=ROOT / ".bench" / "e2e",
                        help="work folder (extracts are kept there for the next run)")  # fmt: skip
    parser.add_argument("--memory-limit", default="8GB",
                        help="DuckDB memory limit (matching, publishing, bare Splink)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--chunk-records", type=int, default=1_000_000,
                        help="records per prediction chunk (hub and bare Splink)")  # fmt: skip
    parser.add_argument("--plain-max-records", type=int, default=1_000_000,
                        help="largest size at which to time the plain pipeline")  # fmt: skip
    parser.add_argument("--backend", nargs="+", choices=("duckdb", "spark"), default=["duckdb"],
                        help="engines of the match stage: the hub runs on DuckDB; 'spark' "
                        "adds the match stage on Spark and the agreement")  # fmt: skip
    parser.add_argument("--spark-max-records", type=int, default=1_000_000,
                        help="largest size at which to run the match stage on Spark")  # fmt: skip
    args = parser.parse_args()
    sizes = list(args.records or DEFAULT_SIZES) + ([FULL_SIZE] if args.full else [])
    args.dir = args.dir.resolve()
    print(f"machine: {os.cpu_count()} cores, {_memory_gib():.0f} GiB; DuckDB memory_limit "
          f"{args.memory_limit}, threads {args.threads}, prediction in chunks of "
          f"{args.chunk_records:,} records; work folder {args.dir}")  # fmt: skip
    for records in sizes:
        print_result(bench_size(records, args))
        sys.stdout.flush()


def _memory_gib() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


if __name__ == "__main__":
    main()
