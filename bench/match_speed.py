"""Speed benchmark: predict and cluster about a million records, the hub against plain Splink.

Both pipelines run on the same ingested records, on the same machine, in the same run, each in
a child process of its own (so each has its own peak memory), with the same DuckDB settings
(memory limit, threads, spill folder). The models are trained beforehand (the plain one here,
the hub's is the shipped model) and not timed. Each child normalises the records, then is timed
on predict + cluster: for the hub that includes its guards, the cannot-link checks and the
rebuilding of contradictory clusters. Rounds alternate hub and plain; the best round counts.

    PYTHONPATH=. python bench/match_speed.py --records 1000000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import plain_splink
from matchbench import peak_memory_mib, print_table, staging_files, synthetic_workspace

RECORDS_PER_PERSON = 1.281
"""Records per person of the synthetic partners (measured at 100,000 people)."""
MEMORY_LIMIT = "12GB"


def _engine(tmp: Path):
    from matching.config import EngineConfig
    from matching.engine import open_engine

    return open_engine(EngineConfig(memory_limit=MEMORY_LIMIT, threads=2), tmp)


def _compared(engine, linker) -> int:
    """Candidate pairs the blocking rules generate (counted after the timed part)."""
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    return int(engine.scalar(f"SELECT count(*) FROM {engine.physical_name(blocked)}"))


def child_hub(workspace: Path, tmp: Path) -> dict:
    """One timed hub round: standardise, then predict and cluster."""
    import pyarrow as pa

    from matching.cluster import cluster_records
    from matching.model import MatchModel, default_model_path
    from matching.score import linker_for, score
    from matching.standardise import build_frame

    model = MatchModel.load(default_model_path())
    engine = _engine(tmp)
    started = time.perf_counter()
    records = build_frame(engine, staging_files(workspace))
    engine.register_arrow("no_decisions", pa.table({
        "unique_id_l": pa.array([], pa.int64()), "unique_id_r": pa.array([], pa.int64()),
        "same": pa.array([], pa.bool_())}))  # fmt: skip
    engine.create_table("decided", "SELECT * FROM no_decisions")
    prepared = time.perf_counter()
    pairs = score(engine, model, records, model.review_weight)
    predicted = time.perf_counter()
    stats = cluster_records(engine, model.link_weight)
    clustered = time.perf_counter()
    persons = engine.scalar("SELECT count(DISTINCT cluster_key) FROM clusters")
    compared = _compared(engine, linker_for(engine, model, records))
    engine.close()
    return {"records": records, "pairs": pairs, "links": stats.links, "persons": persons,
            "compared": compared,
            "prepare": prepared - started, "predict": predicted - prepared,
            "cluster": clustered - predicted, "peak_mib": peak_memory_mib()}  # fmt: skip


def child_plain(workspace: Path, tmp: Path, model_path: Path) -> dict:
    """One timed plain round: normalise, then predict and cluster."""
    model = json.loads(model_path.read_text())
    engine = _engine(tmp)
    started = time.perf_counter()
    records = plain_splink.build_frame(engine, staging_files(workspace))
    prepared = time.perf_counter()
    from splink import Linker

    linker = Linker(engine.splink_api().register("plain_frame"), model, log_level=None)
    predictions = linker.inference.predict(threshold_match_probability=0.5,
                                           warning_mode="never")  # fmt: skip
    predicted = time.perf_counter()
    pairs = engine.scalar(f"SELECT count(*) FROM {engine.physical_name(predictions)}")
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=plain_splink.CLUSTER_PROBABILITY
    )
    clustered = time.perf_counter()
    persons = engine.scalar(
        f"SELECT count(DISTINCT cluster_id) FROM {engine.physical_name(clusters)}"
    )
    compared = _compared(engine, linker)
    engine.close()
    return {"records": records, "pairs": pairs, "persons": persons, "compared": compared,
            "prepare": prepared - started, "predict": predicted - prepared,
            "cluster": clustered - predicted, "peak_mib": peak_memory_mib()}  # fmt: skip


def train_plain(workspace: Path, tmp: Path, model_path: Path) -> float:
    """Train the plain model (untimed in the comparison); return the seconds it took."""
    from matching.score import quiet_splink

    quiet_splink(training=True)
    engine = _engine(tmp)
    plain_splink.build_frame(engine, staging_files(workspace))
    started = time.perf_counter()
    model = plain_splink.train(engine)
    seconds = time.perf_counter() - started
    engine.close()
    model_path.write_text(json.dumps(model))
    return seconds


def _child(kind: str, workspace: Path, tmp: Path, model_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--workspace", str(workspace),
         "--tmp", str(tmp), "--plain-model", str(model_path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=Path("bench/out"))
    parser.add_argument("--child", choices=["hub", "plain", "train"])
    parser.add_argument("--workspace", type=Path)
    parser.add_argument("--tmp", type=Path)
    parser.add_argument("--plain-model", type=Path)
    args = parser.parse_args()
    if args.child:
        from matching.score import quiet_splink

        quiet_splink(training=True)
        if args.child == "hub":
            result = child_hub(args.workspace, args.tmp)
        elif args.child == "plain":
            result = child_plain(args.workspace, args.tmp, args.plain_model)
        else:
            result = {"seconds": train_plain(args.workspace, args.tmp, args.plain_model)}
        print(json.dumps(result))
        return

    people = round(args.records / RECORDS_PER_PERSON)
    started = time.perf_counter()
    workspace, _truth = synthetic_workspace(args.dir, people)
    print(f"{people:,} people generated and ingested in {time.perf_counter() - started:.0f} s "
          "(or reused)", flush=True)  # fmt: skip
    tmp = args.dir / "tmp-speed"
    model_path = args.dir / f"plain-model-{people}.json"
    trained = _child("train", workspace, tmp, model_path)
    print(f"plain model trained in {trained['seconds']:.1f} s (not timed below)", flush=True)
    results: dict[str, list[dict]] = {"hub": [], "plain": []}
    for round_number in range(args.rounds):
        for kind in ("hub", "plain"):
            result = _child(kind, workspace, tmp, model_path)
            results[kind].append(result)
            print(f"round {round_number + 1} {kind}: predict {result['predict']:.1f} s, "
                  f"cluster {result['cluster']:.1f} s", flush=True)  # fmt: skip
    best = {k: min(v, key=lambda r: r["predict"] + r["cluster"]) for k, v in results.items()}
    rows = []
    for kind, label in (("hub", "hub"), ("plain", "plain Splink")):
        r = best[kind]
        rows.append([label, r["records"], r["compared"], r["pairs"], r["persons"],
                     round(r["prepare"], 2),
                     round(r["predict"], 2), round(r["cluster"], 2),
                     round(r["predict"] + r["cluster"], 2), round(r["peak_mib"])])  # fmt: skip
    print()
    print_table(["pipeline", "records", "pairs compared", "pairs kept", "persons",
                 "normalise s", "predict s", "cluster s", "predict+cluster s", "peak MiB"],
                rows)  # fmt: skip
    hub_time = best["hub"]["predict"] + best["hub"]["cluster"]
    plain_time = best["plain"]["predict"] + best["plain"]["cluster"]
    print(
        f"\nratio hub / plain (predict + cluster): {hub_time / plain_time:.2f}  "
        f"(target at most 1.30); DuckDB memory limit {MEMORY_LIMIT}, 2 threads"
    )


if __name__ == "__main__":
    main()
