"""Small things an operator ran into: help cut short, a PDF that was HTML, a float for a count,
an unknown feed said without the feeds, and counts whose noun did not agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from click.testing import CliRunner
from helpers import EXAMPLE_CONFIG, approve_agreements

from hub.cli import main


def _every_group(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found += _every_group(command, (*path, name))
    return found


def test_no_command_list_cuts_a_help_text_short() -> None:
    for path in _every_group(main):
        result = CliRunner().invoke(main, [*path, "--help"], terminal_width=80)
        assert result.exit_code == 0, result.output
        listing = result.output.split("Commands:")[-1]
        assert "..." not in listing, f"iomhub {' '.join(path)} --help:\n{listing}"


def test_the_dpo_report_refuses_an_out_file_it_would_not_write_as_named(
    example_env: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.pdf"
    result = CliRunner().invoke(main, ["report", "dpo", "--config", str(EXAMPLE_CONFIG),
                                       "--out", str(out)])  # fmt: skip
    assert result.exit_code == 2
    assert "written as HTML or JSON, not .pdf" in result.output and not out.exists()


def test_max_pairs_is_a_whole_number() -> None:
    shown = CliRunner().invoke(main, ["match", "train", "--help"])
    assert "[default: 5000000; x>=1]" in shown.output
    refused = CliRunner().invoke(main, ["match", "train", "--max-pairs", "1.5"])
    assert refused.exit_code == 2 and "is not a valid integer" in refused.output


def test_an_unknown_feed_to_person_find_lists_the_feeds(example_env: Path) -> None:
    result = CliRunner().invoke(main, ["person", "find", "--config", str(EXAMPLE_CONFIG),
                                       "--source", "polize", "--record", "DC1",
                                       "--reason", "SAR-1"])  # fmt: skip
    assert result.exit_code == 2
    assert (
        "no feed named 'polize'; the feeds are health, housing, police, police_offences, "
        "probation" in (result.output)
    )


def test_one_agreement_is_one_agreement(example_env: Path, tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(EXAMPLE_CONFIG.parent, config)
    for path in (config / "agreements").glob("*.yaml"):
        if path.name != "performance-analyst.yaml":
            path.unlink()
    hub = config / "hub.yaml"
    hub.write_text(hub.read_text().replace("  - name: iom_team", "  - name: unused_team"))
    approve_agreements(hub)
    checked = CliRunner().invoke(main, ["agreements", "check", "--config", str(hub)])
    assert "1 agreement valid" in checked.output, checked.output
    config_check = CliRunner().invoke(main, ["config", "check", "--config", str(hub)])
    assert "1 agreement loaded" in config_check.output
