"""How fast the review queue pages at 5,000 pairs: server time for the data and for the page.

Writes a review list of ``--pairs`` synthetic pairs (``matched/review.parquet`` with evidence,
as a match run writes it), a tenth of them decided and a fiftieth waiting for a second reviewer,
then times, each ``--repeat`` times, :func:`hub.run.review_queue.queue_page` (the queue's data
work) and the whole ``GET /review`` through the app (sign-in check, the audited consultation,
the template), for a set of typical requests; prints the median and worst per request.

    .venv/bin/python bench/review_bench.py --pairs 5000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from starlette.testclient import TestClient

from hub.accounts import AccountStore, Role
from hub.config import HubConfig
from hub.keys import write_new_key
from hub.run.review_queue import QueueFilter, queue_page
from hub.run.review_store import ReviewStore
from hub.settings import HubSettings
from hub.web.app import create_app
from hub.web.context import WebContext
from hub.web.guard import SESSION_COOKIE
from matching.registry import PersonRegistry, pair_id
from matching.review import REVIEW_SCHEMA

FEEDS = ("police", "probation", "health", "housing")
REASONS = ("uncertain", "stopped by a rule", "ambiguous")
REQUESTS = {
    "first page": "/review",
    "page 50": "/review?page=50",
    "stopped by a rule": "/review?reason=stopped+by+a+rule",
    "health+police, page 3": "/review?agencies=health%2Bpolice&page=3",
    "decided": "/review?status=decided",
}


def write_review_list(workspace: Path, pairs: int, seed: int) -> None:
    """A review list of ``pairs`` pairs, some decided, some held for a second reviewer."""
    chooser = random.Random(seed)
    matched = workspace / "matched"
    matched.mkdir(parents=True)
    rows: dict[str, list[object]] = {name: [] for name in REVIEW_SCHEMA.names}
    keys = []
    for index in range(pairs):
        left = (chooser.choice(FEEDS), f"L{index:06d}")
        right = (chooser.choice(FEEDS), f"R{index:06d}")
        weight = chooser.uniform(-4, 14)
        keys.append((left, right))
        for name, value in (("pair_id", pair_id(left, right)), ("source_l", left[0]),
                            ("record_id_l", left[1]), ("source_r", right[0]),
                            ("record_id_r", right[1]), ("match_weight", weight),
                            ("match_probability", 1 / (1 + 2 ** -weight)),
                            ("reason", chooser.choice(REASONS)), ("guards", []),
                            ("evidence", json.dumps({"steps": ["x" * 60] * 12}))):  # fmt: skip
            rows[name].append(value)
    pq.write_table(pa.table(rows, schema=REVIEW_SCHEMA), matched / "review.parquet")
    with PersonRegistry(matched / "registry.db") as registry:
        for left, right in keys[: pairs // 10]:
            registry.decide(left, right, chooser.random() < 0.5, by="bench", note="bench")
    with ReviewStore(matched / "review.db") as store:
        for left, right in keys[pairs // 10 : pairs // 10 + pairs // 50]:
            store.hold(left, right, True, "bench", "a merge across agencies", "bench")


def _timed(call, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_new_key(root / "keys" / "audit_key")
        config = HubConfig(workspace=root / "ws", feeds=[],
                           settings=HubSettings(secrets_dir=root / "keys"))  # fmt: skip
        write_review_list(root / "ws", args.pairs, args.seed)
        context = WebContext.open(config)
        AccountStore(context.workspace.accounts_path).add(
            "bench", frozenset({Role.REVIEWER}), "a long bench passphrase"
        )
        token = context.sessions.start("bench")
        context.sessions.choose_purpose(token, "clerical review")
        client = TestClient(create_app(context), cookies={SESSION_COOKIE: token})
        print(f"{args.pairs:,} pairs in the review list; {args.repeat} runs per request")
        print(f"{'request':24} {'pairs':>6} {'data median':>12} {'data worst':>11} "
              f"{'page median':>12} {'page worst':>11}")  # fmt: skip
        for label, path in REQUESTS.items():
            query = dict(part.split("=") for part in path.partition("?")[2].split("&") if part)
            wanted = QueueFilter(reason=query.get("reason", "").replace("+", " ") or None,
                                 agencies=query.get("agencies", "").replace("%2B", "+") or None,
                                 status=query.get("status", "open").replace("+", " "),
                                 page=int(query.get("page", "1")))  # fmt: skip
            shown = queue_page(config, wanted)
            data = _timed(lambda wanted=wanted: queue_page(config, wanted), args.repeat)
            response = client.get(path)
            assert response.status_code == 200, response.text[:300]
            page = _timed(lambda path=path: client.get(path), args.repeat)
            print(f"{label:24} {shown.matching:>6,} {statistics.median(data):>10.1f}ms "
                  f"{max(data):>9.1f}ms {statistics.median(page):>10.1f}ms "
                  f"{max(page):>9.1f}ms")  # fmt: skip


if __name__ == "__main__":
    main()
