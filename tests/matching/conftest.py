"""Shared fixtures for the matching tests: one small synthetic population, ingested once, and
one model trained on it once per test run (training is the slow part)."""

from __future__ import annotations

import pytest
from matching_shared import ENGINE, EXAMPLE_CONFIG, PEOPLE, Population

from hub.config import load_config
from hub.demo.synthetic import generate_partners
from hub.keys import write_new_key
from hub.output import Reporter
from hub.run.pipeline import run_once
from hub.settings import HubSettings
from hub.state import StateStore
from matching.config import MatchingConfig
from matching.engine import open_engine
from matching.model import MatchModel
from matching.standardise import build_frame
from matching.train import train


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    """Synthetic partners for PEOPLE people, generated and ingested (matching off)."""
    root = tmp_path_factory.mktemp("population")
    generate_partners(root / "partners", root / "truth.parquet", PEOPLE, seed=11)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IOMHUB_DROP_ROOT", str(root / "partners"))
        patch.setenv("IOMHUB_WORKSPACE", str(root / "workspace"))
        patch.setenv("IOMHUB_MIN_AGE_SECONDS", "0")
        config = load_config(EXAMPLE_CONFIG)
    for name in ("audit_key", "master_key"):
        write_new_key(root / "keys" / name)
    settings = HubSettings(secrets_dir=root / "keys")
    config = config.model_copy(
        update={"matching": MatchingConfig(enabled=False), "settings": settings}
    )
    run_once(config, Reporter(quiet=True), command="test")
    state = StateStore(root / "workspace" / "state.db")
    try:
        current = state.current_extracts()
    finally:
        state.close()
    files = [root / "workspace" / "staging" / feed / f"{e.extract_id}.parquet"
             for feed, e in sorted(current.items())]  # fmt: skip
    return Population(root / "workspace", files, root / "truth.parquet")


@pytest.fixture(scope="session")
def trained_model(population: Population, tmp_path_factory: pytest.TempPathFactory) -> MatchModel:
    """A model trained once on the population (small u sample to stay quick)."""
    folder = tmp_path_factory.mktemp("training")
    engine = open_engine(ENGINE, folder / "tmp")
    try:
        records = build_frame(engine, population.staging_files)
        model = train(engine, records, version="test-1", max_pairs=1e6)
    finally:
        engine.close()
    model.save(folder / "model.json")
    return MatchModel.load(folder / "model.json")
