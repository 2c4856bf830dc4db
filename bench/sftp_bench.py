"""Download one large extract from a local OpenSSH server: the hub's connector against ``sftp``.

Starts a real ``sshd`` on 127.0.0.1 (as the SFTP tests do; needs root, openssh-server and
libnss-wrapper), writes an extract of random bytes into a partner's folder, then downloads it
in one run with

* the connector as a pull uses it (``fetch_verified``: sha256 while reading, fsync), and
* the OpenSSH ``sftp`` client (``get``, host key checked against the same pinned key),

several times each, alternating, and prints MB/s (10^6 bytes per second, best and median) and
the ratio connector / sftp. Usage::

    PYTHONPATH=. python bench/sftp_bench.py [--mb 200] [--repeat 3] [--prefetch N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import RemoteFile
from connectors.config import SftpSource
from connectors.pull import fetch_verified
from connectors.sftp import SftpConnector

_DEFAULTS = SftpConnector.__init__.__kwdefaults__ or {}
DEFAULT_DEPTH, DEFAULT_BLOCK = _DEFAULTS["read_depth"], _DEFAULTS["read_block"]
DEFAULT_WINDOW = _DEFAULTS["window_bytes"]
from tests.sftp_server import OpenSshServer, missing_requirements  # noqa: E402


def write_extract(path: Path, megabytes: int) -> int:
    """Random bytes (incompressible), written 8 MiB at a time."""
    size = megabytes * 1_000_000
    block = os.urandom(8 * 1024 * 1024)
    with path.open("wb") as handle:
        left = size
        while left:
            handle.write(block[: min(left, len(block))])
            left -= min(left, len(block))
    return size


def with_connector(
    source: SftpSource, remote: RemoteFile, out: Path, depth: int, block: int, window: int
) -> float:
    started = time.perf_counter()
    with SftpConnector(
        source, "bench", read_depth=depth, read_block=block, window_bytes=window
    ) as connector:
        temporary, _ = fetch_verified(connector, remote, out, time_limit=None)
    elapsed = time.perf_counter() - started
    assert temporary.stat().st_size == remote.size, "short download"
    temporary.unlink()
    return elapsed


def with_sftp_client(server: OpenSshServer, account: str, name: str, out: Path) -> float:
    known_hosts = server.base / "bench_known_hosts"
    known_hosts.write_text(server.host_key_line + "\n")
    target = out / "sftp-client.copy"
    key = server.accounts[account].key_path
    command = [
        "sftp",
        "-q",
        "-b",
        "-",
        "-P",
        str(server.port),
        "-i",
        str(key),
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        f"{account}@127.0.0.1",
    ]
    started = time.perf_counter()
    subprocess.run(
        command, input=f"get {name} {target}\n".encode(), check=True, stdout=subprocess.DEVNULL
    )
    elapsed = time.perf_counter() - started
    target.unlink()
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200, help="extract size in MB (10^6 bytes)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--depth", type=int, default=DEFAULT_DEPTH, help="read requests in flight")
    parser.add_argument("--block", type=int, default=DEFAULT_BLOCK, help="bytes per request")
    parser.add_argument("--window", type=int, default=DEFAULT_WINDOW, help="SSH channel window")
    args = parser.parse_args()
    if missing := missing_requirements():
        print(f"cannot run: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    server = OpenSshServer()
    out = Path(tempfile.mkdtemp(prefix="iomhub-bench-"))
    try:
        account = server.add_account("partner")
        name = "police_nominals_20250101.csv"
        size = write_extract(account.folder / name, args.mb)
        os.chown(account.folder / name, account.uid, account.uid)
        server.start()
        source = SftpSource.model_validate(server.source_settings("partner"))
        with SftpConnector(source, "bench") as connector:
            remote = next(f for f in connector.list_files() if f.name == name)
        timings: dict[str, list[float]] = {"connector": [], "sftp": []}
        for _ in range(args.repeat):
            timings["connector"].append(
                with_connector(source, remote, out, args.depth, args.block, args.window)
            )
            timings["sftp"].append(with_sftp_client(server, "partner", name, out))
        rates = {k: [size / 1e6 / t for t in v] for k, v in timings.items()}
        print(
            f"extract: {size / 1e6:,.0f} MB, {args.repeat} downloads each, alternating; "
            f"{args.depth} requests of {args.block:,} bytes in flight, "
            f"window {args.window:,} bytes"
        )
        for label, text in (("connector", "connector (sha256 + fsync)"), ("sftp", "OpenSSH sftp")):
            best, median = max(rates[label]), statistics.median(rates[label])
            print(
                f"  {text:<28} best {best:7.1f} MB/s   median {median:7.1f} MB/s   "
                f"({', '.join(f'{t:.2f}' for t in timings[label])} s)"
            )
        ratio = statistics.median(rates["connector"]) / statistics.median(rates["sftp"])
        print(f"  ratio connector / sftp (medians): {ratio:.2f}  (target >= 0.50)")
    finally:
        server.remove()
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
