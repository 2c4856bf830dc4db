"""Train the model shipped with the hub on the project's synthetic partners.

The shipped model (``matching/models/default-<version>.json``) is what a new workspace matches
with until ``iomhub match train`` pins one trained on its own records. It is trained on a
synthetic population with a seed of its own (not the seeds the benchmarks score), so the
benchmarks measure it on people it has not seen.

    PYTHONPATH=. python bench/train_default_model.py
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from matchbench import ROOT, staging_files, synthetic_workspace

TRAINING_PEOPLE = 50_000
TRAINING_SEED = 2026


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("bench/out"))
    parser.add_argument("--people", type=int, default=TRAINING_PEOPLE)
    parser.add_argument("--seed", type=int, default=TRAINING_SEED)
    args = parser.parse_args()

    from matching.config import EngineConfig
    from matching.engine import open_engine
    from matching.model import DEFAULT_MODEL_VERSION, default_model_path
    from matching.standardise import build_frame
    from matching.train import train

    workspace, _truth = synthetic_workspace(args.dir, args.people, seed=args.seed)
    engine = open_engine(EngineConfig(memory_limit="8GB"), args.dir / "tmp")
    try:
        records = build_frame(engine, staging_files(workspace))
        model = train(engine, records, version=DEFAULT_MODEL_VERSION, seed=args.seed)
    finally:
        engine.close()
    training = {**model.training, "data": f"synthetic partners, {args.people:,} people, "
                f"seed {args.seed}", "trained_at": model.trained_at}  # fmt: skip
    model = dataclasses.replace(model, training=training)
    path = model.save(default_model_path())
    print(f"model {model.version}: {records:,} records -> {path.relative_to(ROOT)} "
          f"({path.stat().st_size:,} bytes)")  # fmt: skip


if __name__ == "__main__":
    main()
