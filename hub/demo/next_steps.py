"""What the demo leaves for the next steps: a drop-folder config, and commands that run as printed.

The demo's SFTP server stops when the demo ends, so beside its SFTP config
(``<demo>/config/hub.yaml``) the demo writes ``<demo>/config-folders/hub.yaml``: the same
partners read from their folders under ``<demo>/partners``, the same agreements, recipients and
workspace. Runs on it work after the demo (a file dropped in a partner's folder is taken).

Each printed command is complete: the full path of ``iomhub`` and the variables it needs (the
demo's keys folder and outbox) on its own line, so it can be pasted into any shell as it is.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import yaml

from hub.demo.sftp_server import EXAMPLE_FEEDS

FOLDER_CONFIG = "config-folders"


def _drop_folder(feed: str) -> str:
    """The partner folder an example feed reads (``${IOMHUB_DROP_ROOT}/police`` -> ``police``):
    the police send their nominals and their offences to one folder."""
    example = yaml.safe_load((EXAMPLE_FEEDS / f"{feed}.yaml").read_text(encoding="utf-8"))
    return Path(str(example["source"]["path"])).name


def write_folder_config(demo_dir: Path, sftp_config: Path) -> Path:
    """Write the drop-folder twin of the demo's SFTP config; return its hub file."""
    folder_dir = demo_dir / FOLDER_CONFIG
    (folder_dir / "feeds").mkdir(parents=True, exist_ok=True)
    for feed_file in sorted((sftp_config.parent / "feeds").glob("*.yaml")):
        document = yaml.safe_load(feed_file.read_text(encoding="utf-8"))
        sftp = document["source"]
        document["source"] = {
            "kind": "folder",
            "path": str(demo_dir / "partners" / _drop_folder(document["name"])),
            "pattern": sftp["pattern"],
            "completeness": sftp["completeness"],
            "after_landing": sftp["after_landing"],
        }
        (folder_dir / "feeds" / feed_file.name).write_text(
            f"# {document['name']}: the demo partner's files, read from its folder\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
            encoding="utf-8",
        )
    hub_document = yaml.safe_load(sftp_config.read_text(encoding="utf-8"))
    hub_document.update({
        "workspace": str(demo_dir / "workspace"),
        "feeds": ["feeds/*.yaml"],
        "agreements": [str(sftp_config.parent / "agreements" / "*.yaml")],
    })  # fmt: skip
    if hub_document.get("cohort"):  # the same cohort rules, read where the SFTP config has them
        hub_document["cohort"] = str(sftp_config.parent / hub_document["cohort"])
    hub_file = folder_dir / "hub.yaml"
    hub_file.write_text(
        "# Written by iomhub demo: the four demo partners read from their folders under\n"
        f"# {demo_dir / 'partners'} (the SFTP config beside it needs the demo's server, which\n"
        "# stopped when the demo ended); same agreements, recipients and workspace.\n"
        + yaml.safe_dump(hub_document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    return hub_file


def iomhub_command() -> list[str]:
    """How to start ``iomhub`` from any folder: the script beside this Python, else the module."""
    script = Path(sys.executable).parent / "iomhub"
    return [str(script)] if script.exists() else [sys.executable, "-m", "hub.cli"]


def command_line(environment: dict[str, str], *args: str) -> str:
    """One shell line: the variables, then the full ``iomhub`` command."""
    variables = [f"{name}={shlex.quote(value)}" for name, value in environment.items()]
    return " ".join([*variables, *map(shlex.quote, [*iomhub_command(), *args])])


def next_steps(demo_dir: Path, config: Path) -> dict[str, str]:
    """The commands to try after the demo, by what they do; every one runs as printed."""
    environment = {
        "IOMHUB_SECRETS_DIR": str(demo_dir / "keys"),
        "IOMHUB_OUTBOX_ROOT": str(demo_dir / "outbox"),
    }
    where = ("--config", str(config))
    return {
        "status": command_line(environment, "status", *where),
        "run again": command_line(environment, "run", *where),
        "verify the audit log": command_line(environment, "audit", "verify", *where),
        "check the agreements": command_line(environment, "agreements", "check", *where),
    }


def reidentify_template(demo_dir: Path, config: Path) -> str:
    """The re-identification command, with the pseudonym and reason left to fill in."""
    environment = {"IOMHUB_SECRETS_DIR": str(demo_dir / "keys"), "IOMHUB_ACTOR": "iom-data-officer"}
    line = command_line(environment, "reidentify", "--config", str(config), "--recipient",
                        "iom_team")  # fmt: skip
    return f"{line} --pseudonym ID --reason TEXT"


def render_next_steps(demo_dir: Path, config: Path) -> str:
    """The next-steps block the demo prints."""
    lines = ["  next steps (each line runs as printed, from any folder):"]
    for purpose, line in next_steps(demo_dir, config).items():
        lines += [f"    # {purpose}", f"    {line}"]
    lines += ["    # re-identify a pseudonym (audited; put a pseudonym and a reason in)",
              f"    {reidentify_template(demo_dir, config)}"]  # fmt: skip
    return "\n".join(lines)
