"""A real OpenSSH ``sshd`` on 127.0.0.1 for the SFTP tests.

Each partner has its own account (a distinct uid, provided to sshd by nss_wrapper so the
machine's /etc/passwd is never touched), its own Ed25519 or RSA key generated at run time, and
its own folder (mode 0700, owned by that uid). Each key is restricted in ``authorized_keys`` with
``restrict,command="internal-sftp -d <folder>"``, so partners cannot see each other's folders.
The server and every per-connection child are stopped by PID.

Facts this relies on: sshd is started as root by absolute path with ``-D -E LOG -f CONFIG``;
``/run/sshd`` must exist; the host key file must be mode 0600; ``StrictModes no`` because the
files live under /tmp; ``UsePAM no``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

SSHD = Path("/usr/sbin/sshd")
_UID_BASE = 61000


def nss_wrapper_library() -> str | None:
    """Path of libnss_wrapper.so, or None when it is not installed."""
    found = sorted(
        glob.glob("/usr/lib/*/libnss_wrapper.so") + glob.glob("/usr/lib*/libnss_wrapper.so")
    )
    return found[0] if found else None


def missing_requirements() -> list[str]:
    """What the machine lacks to run the OpenSSH tests (empty when nothing)."""
    missing = []
    if not SSHD.exists():
        missing.append("openssh-server (/usr/sbin/sshd)")
    if nss_wrapper_library() is None:
        missing.append("libnss-wrapper")
    if os.geteuid() != 0:
        missing.append("root (sshd switches to each partner's account)")
    return missing


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def generate_key(path: Path, key_type: str = "ed25519", passphrase: str | None = None) -> str:
    """Write an OpenSSH private key (mode 0600) and return its public key line."""
    private: Any = (
        ed25519.Ed25519PrivateKey.generate()
        if key_type == "ed25519"
        else rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    encryption = (
        serialization.BestAvailableEncryption(passphrase.encode())
        if passphrase
        else serialization.NoEncryption()
    )
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )
    path.write_bytes(pem)
    path.chmod(0o600)
    public = private.public_key().public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    )
    return public.decode()


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children first, then theirs)."""
    result, queue = [], [pid]
    while queue:
        for child in _children(queue.pop()):
            result.append(child)
            queue.append(child)
    return result


@dataclass
class Account:
    """One partner's account on the server."""

    name: str
    uid: int
    folder: Path
    key_path: Path
    public_key: str

    def write(self, name: str, data: bytes, *, mtime: float | None = None) -> Path:
        """Put a file into the partner's folder, owned by the partner, with an optional mtime."""
        path = self.folder / name
        path.write_bytes(data)
        os.chown(path, self.uid, self.uid)
        if mtime is not None:
            os.utime(path, (mtime, mtime))
        return path

    def clear(self) -> None:
        """Empty the folder."""
        for entry in self.folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                for inner in sorted(entry.rglob("*"), reverse=True):
                    inner.rmdir() if inner.is_dir() and not inner.is_symlink() else inner.unlink()
                entry.rmdir()
            else:
                entry.unlink()


class OpenSshServer:
    """sshd on 127.0.0.1, its keys, accounts and folders under one temporary folder."""

    def __init__(self, *, port: int | None = None, base: Path | None = None) -> None:
        self.base = base or Path(tempfile.mkdtemp(prefix="iomhub-sshd-"))
        self.base.chmod(0o755)
        self.port = port or free_port()
        self.accounts: dict[str, Account] = {}
        self._passwords: dict[str, str] = {}
        self.process: subprocess.Popen[bytes] | None = None
        for folder in ("keys", "authorized", "partners"):
            (self.base / folder).mkdir(exist_ok=True)
            (self.base / folder).chmod(0o755)
        self.host_key_path = self.base / "keys" / "host_ed25519"
        if not self.host_key_path.exists():
            self.host_public_key = generate_key(self.host_key_path)
        else:
            self.host_public_key = (self.base / "keys" / "host_ed25519.pub").read_text().strip()
        (self.base / "keys" / "host_ed25519.pub").write_text(self.host_public_key + "\n")
        self.log_path = self.base / "sshd.log"

    # --- accounts ------------------------------------------------------------------------------

    def add_account(
        self,
        name: str,
        *,
        key_type: str = "ed25519",
        passphrase: str | None = None,
        password: str | None = None,
    ) -> Account:
        """Create a partner account with its key and its folder (before or after start)."""
        uid = _UID_BASE + len(self.accounts)
        folder = self.base / "partners" / name
        folder.mkdir(exist_ok=True)
        os.chown(folder, uid, uid)
        folder.chmod(0o700)
        key_path = self.base / "keys" / f"{name}_{key_type}"
        public = generate_key(key_path, key_type, passphrase)
        account = Account(name, uid, folder, key_path, public)
        self.accounts[name] = account
        (self.base / "authorized" / name).write_text(
            f'restrict,command="internal-sftp -d {folder}" {public}\n'
        )
        self._passwords[name] = _crypt(password) if password else "*"
        self._write_nss()
        return account

    def _write_nss(self) -> None:
        sshd_uid = _system_uid("sshd")
        lines = ["root:x:0:0:root:/root:/bin/sh", f"sshd:x:{sshd_uid}:65534::/run/sshd:/bin/false"]
        groups = ["root:x:0:", "nogroup:x:65534:"]
        for account in self.accounts.values():
            password = self._passwords.get(account.name, "*")
            lines.append(
                f"{account.name}:{password}:{account.uid}:{account.uid}::{account.folder}:/bin/sh"
            )
            groups.append(f"{account.name}:x:{account.uid}:")
        (self.base / "passwd").write_text("\n".join(lines) + "\n")
        (self.base / "group").write_text("\n".join(groups) + "\n")

    # --- what the hub pins and uses -----------------------------------------------------------

    @property
    def host_key_line(self) -> str:
        """The server's key as a known_hosts line, ``[127.0.0.1]:port ssh-ed25519 AAAA...``."""
        key_type, blob = self.host_public_key.split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {blob}"

    def source_settings(self, account: str, **overrides: Any) -> dict[str, Any]:
        """A feed's ``source:`` mapping for the account (override anything)."""
        settings: dict[str, Any] = {
            "kind": "sftp",
            "host": "127.0.0.1",
            "port": self.port,
            "username": account,
            "host_key": self.host_key_line,
            "private_key_file": str(self.accounts[account].key_path),
            "pattern": "*.csv",
            "completeness": {"stable_seconds": 0, "min_age_seconds": 0},
            "connect_timeout_seconds": 5,
            "idle_timeout_seconds": 5,
            "retry": {"attempts": 3, "first_delay_seconds": 0.05, "max_delay_seconds": 0.2},
        }
        settings.update(overrides)
        return settings

    # --- running -------------------------------------------------------------------------------

    def _write_config(self) -> Path:
        config = self.base / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1:{self.port}\n"
            f"HostKey {self.host_key_path}\n"
            "PidFile none\n"
            "UsePAM no\n"
            "StrictModes no\n"
            f"AuthorizedKeysFile {self.base}/authorized/%u\n"
            "PasswordAuthentication yes\n"
            "KbdInteractiveAuthentication no\n"
            "PermitRootLogin no\n"
            "AllowTcpForwarding no\n"
            "X11Forwarding no\n"
            "Subsystem sftp internal-sftp\n"
            "MaxStartups 100:30:200\n"
            "LogLevel VERBOSE\n"
        )
        return config

    def start(self) -> None:
        """Start sshd and wait until it accepts connections."""
        self.host_key_path.chmod(0o600)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
        config = self._write_config()
        library = nss_wrapper_library()
        assert library, "libnss-wrapper is not installed"
        environment = {
            **os.environ,
            "LD_PRELOAD": library,
            "NSS_WRAPPER_PASSWD": str(self.base / "passwd"),
            "NSS_WRAPPER_GROUP": str(self.base / "group"),
        }
        self.process = subprocess.Popen(
            [str(SSHD), "-D", "-E", str(self.log_path), "-f", str(config)],
            env=environment,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited at start:\n{self.log()}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not start listening:\n{self.log()}")

    def connections(self) -> list[int]:
        """PIDs of the per-connection sshd processes."""
        return descendants(self.process.pid) if self.process else []

    def kill_connections(self) -> list[int]:
        """SIGKILL every per-connection process; the listener keeps running."""
        killed = self.connections()
        for pid in killed:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return killed

    def stop(self) -> None:
        """Stop sshd (no new connections), then every per-connection child, by PID."""
        if self.process is None:
            return
        connections = self.connections()
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(timeout=10)
        for pid in connections:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in connections) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.process = None

    def log(self) -> str:
        """The server's log so far."""
        return self.log_path.read_text() if self.log_path.exists() else ""

    def remove(self) -> None:
        """Stop and delete everything under the base folder."""
        self.stop()
        subprocess.run(["rm", "-rf", str(self.base)], check=False)


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _system_uid(name: str) -> int:
    try:
        return pwd.getpwnam(name).pw_uid
    except KeyError:
        return 65534


def _crypt(password: str) -> str:
    result = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input=password.encode(),
        capture_output=True,
        check=True,
    )
    return result.stdout.decode().strip()
