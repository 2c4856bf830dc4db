"""The matching commands, through the CLI runner: run, review, explain, train, links export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from matching_shared import EXAMPLE_CONFIG, ROOT

from hub.cli import main
from hub.demo.synthetic import generate_partners
from hub.keys import write_new_key
from matching.model import DEFAULT_MODEL_VERSION


@pytest.fixture(scope="module")
def hub_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    generate_partners(root / "partners", root / "truth.parquet", 400, seed=3)
    for name in ("audit_key", "master_key"):
        write_new_key(root / "keys" / name)
    return {"IOMHUB_DROP_ROOT": str(root / "partners"), "IOMHUB_WORKSPACE": str(root / "ws"),
            "IOMHUB_MIN_AGE_SECONDS": "0", "IOMHUB_CONFIG": str(EXAMPLE_CONFIG),
            "IOMHUB_SECRETS_DIR": str(root / "keys"),
            "IOMHUB_OUTBOX_ROOT": str(root / "outbox")}  # fmt: skip


def invoke(env: dict[str, str], *args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


@pytest.fixture(scope="module")
def matched(hub_env: dict[str, str]) -> dict:
    result = invoke(hub_env, "--json", "run")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_run_matches_after_ingest_and_skips_when_nothing_changed(hub_env, matched) -> None:
    assert matched["match"]["persons"] > 0
    assert matched["totals"]["people_matched"] == matched["match"]["persons"]
    assert matched["match"]["model_version"] == DEFAULT_MODEL_VERSION
    folder = Path(hub_env["IOMHUB_WORKSPACE"]) / "matched"
    for name in ("record_links.parquet", "persons.parquet", "report.html", "registry.db"):
        assert (folder / name).exists()
    again = json.loads(invoke(hub_env, "--json", "run").stdout)
    assert again["match"]["skipped"] and again["match"]["persons"] == matched["match"]["persons"]


def test_links_export_by_extension(hub_env, matched, tmp_path: Path) -> None:
    for name in ("links.csv", "links.parquet"):
        result = invoke(hub_env, "links", "export", "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
    table = pq.read_table(tmp_path / "links.parquet")
    assert table.schema.names == ["source", "source_record_id", "person_id"]
    header = (tmp_path / "links.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == '"source","source_record_id","person_id"'
    assert len((tmp_path / "links.csv").read_text().splitlines()) == table.num_rows + 1
    bad = invoke(hub_env, "links", "export", "--out", str(tmp_path / "links.txt"))
    assert bad.exit_code == 2 and ".csv or .parquet" in bad.output


def test_links_export_before_any_match_says_what_to_do(tmp_path: Path) -> None:
    env = {"IOMHUB_WORKSPACE": str(tmp_path / "empty"), "IOMHUB_DROP_ROOT": str(tmp_path),
           "IOMHUB_CONFIG": str(EXAMPLE_CONFIG)}  # fmt: skip
    result = invoke(env, "links", "export", "--out", str(tmp_path / "l.csv"))
    assert result.exit_code == 1
    assert "no match has run" in result.output and "iomhub run" in result.output


def test_review_lists_pairs_and_records_a_decision(hub_env, matched) -> None:
    listed = json.loads(invoke(hub_env, "--json", "match", "review").stdout)
    assert listed["pending"] == matched["match"]["review_pairs"]
    if not listed["pairs"]:
        pytest.skip("no pair to review in this small population")
    pair = listed["pairs"][0]["pair_id"]
    text = invoke(hub_env, "match", "review", "--limit", "1").output
    assert f"pair {pair}" in text and "match weight" in text
    decided = invoke(hub_env, "match", "review", "--pair", pair, "--decision", "different",
                     "--note", "checked", "--by", "tester")  # fmt: skip
    assert decided.exit_code == 0 and "different" in decided.output
    after = json.loads(invoke(hub_env, "--json", "match", "review").stdout)
    assert after["pending"] == listed["pending"] - 1
    unknown = invoke(hub_env, "match", "review", "--pair", "nosuchpair", "--decision", "same")
    assert unknown.exit_code == 2
    rerun = json.loads(invoke(hub_env, "--json", "run").stdout)
    assert not rerun["match"]["skipped"] and rerun["match"]["decisions_applied"] == 1


def test_interactive_review_records_what_is_decided_and_stops_on_quit(hub_env, matched) -> None:
    before = json.loads(invoke(hub_env, "--json", "match", "review").stdout)["pending"]
    if before < 2:
        pytest.skip("too few pairs to review in this small population")
    result = invoke(hub_env, "match", "review", "--interactive", "--by", "tester",
                    input="s\nchecked\nq\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 decision(s) recorded" in result.output
    after = json.loads(invoke(hub_env, "--json", "match", "review").stdout)["pending"]
    assert after == before - 1


def test_explain_one_pair_in_words(hub_env, matched) -> None:
    links = pq.read_table(Path(hub_env["IOMHUB_WORKSPACE"]) / "matched" /
                          "record_links.parquet").to_pylist()  # fmt: skip
    by_person: dict[str, list[str]] = {}
    for row in links:
        by_person.setdefault(row["person_id"], []).append(
            f"{row['source']}:{row['source_record_id']}"
        )
    left, right = next(keys for keys in by_person.values() if len(keys) > 1)[:2]
    result = invoke(hub_env, "match", "explain", left, right)
    assert result.exit_code == 0, result.output
    assert "start (prior)" in result.output and "match weight" in result.output
    assert "now: one person" in result.output
    missing = invoke(hub_env, "match", "explain", left, "police:NO-SUCH-RECORD")
    assert missing.exit_code == 2 and "no current record" in missing.output
    usage = invoke(hub_env, "match", "explain", "nocolon", right)
    assert usage.exit_code == 2


def test_train_pins_a_model_that_later_runs_use(hub_env, matched) -> None:
    result = invoke(hub_env, "--json", "match", "train", "--max-pairs", "200000")
    assert result.exit_code == 0, result.output
    trained = json.loads(result.stdout)
    assert trained["pinned"] and Path(trained["model"]).exists()
    rerun = json.loads(invoke(hub_env, "--json", "match", "run").stdout)
    assert rerun["match"]["model_version"] == trained["version"]


def test_help_stays_light() -> None:
    code = ("import sys; from hub.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('splink', 'duckdb', 'pyarrow') if m in sys.modules]\n"
            "print('heavy:' + ','.join(heavy))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True, env={"PYTHONPATH": str(ROOT)})  # fmt: skip
    assert out.stdout.strip().splitlines()[-1] == "heavy:"


def test_a_second_nightly_extract_keeps_every_person_id(tmp_path: Path) -> None:
    """End to end: night two's files hold the same people (rows in another order, so new
    extracts); every record keeps its person id."""
    import random

    partners = tmp_path / "partners"
    generated = generate_partners(partners, tmp_path / "truth.parquet", 300, seed=5)
    for name in ("audit_key", "master_key"):
        write_new_key(tmp_path / "keys" / name)
    env = {"IOMHUB_DROP_ROOT": str(partners), "IOMHUB_WORKSPACE": str(tmp_path / "ws"),
           "IOMHUB_MIN_AGE_SECONDS": "0", "IOMHUB_CONFIG": str(EXAMPLE_CONFIG),
           "IOMHUB_SECRETS_DIR": str(tmp_path / "keys"),
           "IOMHUB_OUTBOX_ROOT": str(tmp_path / "outbox")}  # fmt: skip
    first = json.loads(invoke(env, "--json", "run").stdout)
    links = Path(env["IOMHUB_WORKSPACE"]) / "matched" / "record_links.parquet"
    before = {(r["source"], r["source_record_id"]): r["person_id"]
              for r in pq.read_table(links).to_pylist()}  # fmt: skip
    rng = random.Random(1)
    for path in generated.files.values():
        raw = path.read_bytes()
        bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
        header, *rows = raw[len(bom) :].splitlines(keepends=True)
        rng.shuffle(rows)
        night_two = path.with_name(path.name.replace("20261122", "20261123"))
        night_two.write_bytes(bom + header + b"".join(rows))
        path.unlink()
    second = json.loads(invoke(env, "--json", "run").stdout)
    assert second["totals"]["extracts_ingested"] == 4
    assert not second["match"]["skipped"]
    after = {(r["source"], r["source_record_id"]): r["person_id"]
             for r in pq.read_table(links).to_pylist()}  # fmt: skip
    assert after == before
    assert (second["match"]["created"], second["match"]["merges"],
            second["match"]["splits"]) == (0, 0, 0)  # fmt: skip
    assert second["match"]["persons"] == first["match"]["persons"]


def _last_entry(hub_env: dict[str, str]) -> dict:
    log = Path(hub_env["IOMHUB_WORKSPACE"]) / "audit" / "audit.jsonl"
    return json.loads(log.read_text().splitlines()[-1])


def test_the_review_list_is_a_logged_consultation_of_the_records_shown(hub_env, matched) -> None:
    listed = invoke({**hub_env, "IOMHUB_ACTOR": "rev-1"}, "--json", "match", "review",
                    "--limit", "2", "--purpose", "clerical review")  # fmt: skip
    shown = json.loads(listed.stdout)["pairs"]
    if not shown:
        pytest.skip("no pair to review in this small population")
    entry = _last_entry(hub_env)
    assert (entry["operation"], entry["action"], entry["actor"]) == (
        "consultation",
        "command_view",
        "rev-1",
    )
    assert entry["objects"]["command"] == "match review"
    assert entry["objects"]["purpose"] == "clerical review"
    assert entry["objects"]["pairs"] == [pair["pair_id"] for pair in shown]
    assert f"{shown[0]['source_l']}:{shown[0]['record_id_l']}" in entry["objects"]["records"]
    assert entry["counts"]["records_shown"] == 2 * len(shown)


def test_without_an_audit_key_no_record_is_shown(hub_env, matched, tmp_path: Path) -> None:
    pairs = json.loads(invoke(hub_env, "--json", "match", "review").stdout)["pairs"]
    no_key = {**hub_env, "IOMHUB_SECRETS_DIR": str(tmp_path / "nothing here")}
    listed = invoke(no_key, "match", "review")
    assert listed.exit_code == 2 and "audit_key" in listed.output
    assert not any(p["pair_id"] in listed.output or p["record_id_l"] in listed.output
                   for p in pairs)  # fmt: skip
    exported = invoke(no_key, "links", "export", "--out", str(tmp_path / "links.csv"))
    assert exported.exit_code == 2 and not (tmp_path / "links.csv").exists()


def test_links_export_and_explain_are_logged(hub_env, matched, tmp_path: Path) -> None:
    out = tmp_path / "links.parquet"
    assert invoke(hub_env, "links", "export", "--out", str(out)).exit_code == 0
    entry = _last_entry(hub_env)
    assert (entry["objects"]["command"], entry["objects"]["out"]) == ("links export", str(out))
    assert entry["counts"]["records_shown"] == pq.read_table(out).num_rows
    assert entry["objects"]["purpose"] == "not stated"


def test_match_runs_build_on_the_last_one_unless_full_is_asked(hub_env, matched) -> None:
    nightly = json.loads(invoke(hub_env, "--json", "match", "run").stdout)["match"]
    assert (nightly["mode"], nightly["changed_records"]) == ("incremental", 0)
    full = json.loads(invoke(hub_env, "--json", "match", "run", "--full").stdout)["match"]
    assert full["mode"] == "full" and full["persons"] == nightly["persons"]
    whole = json.loads(invoke(hub_env, "--json", "run", "--full").stdout)["match"]
    assert not whole["skipped"] and whole["mode"] == "full"
