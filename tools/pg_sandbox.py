#!/usr/bin/env python3
"""A throwaway PostgreSQL server on loopback, for the Postgres tests and for trying the Postgres target.

    python tools/pg_sandbox.py start DIR    # initdb in DIR, start on a free port, print the env to export
    python tools/pg_sandbox.py stop DIR     # stop it and delete DIR

The tests use `sandbox()` (a context manager that always stops the server, also on failure).
The server: Debian's PostgreSQL binaries (TOKENLEDGER_PG_BIN, else the newest /usr/lib/postgresql/*/bin,
else initdb on PATH; installed with apt-get when absent and running as root), a data directory in a
temp dir, listening on 127.0.0.1 only on a free port, password (SCRAM) auth for TCP and for the Unix
socket alike (it trusts no one: the directory is 0700, the socket 0700, the env file 0600), durability off
(fsync, synchronous_commit, full_page_writes: it is thrown away). PostgreSQL refuses to run as root,
so under root the server runs as the `postgres` system user (else `nobody`).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "tokenledger"
DBNAME = "tokenledger"


@dataclass(frozen=True)
class Server:
    root: Path
    port: int
    password: str

    def env(self) -> dict[str, str]:
        """The profile's `postgres` target and `ingest.py --target postgres` read these."""
        return {
            "TOKENLEDGER_PG_HOST": "127.0.0.1",
            "TOKENLEDGER_PG_PORT": str(self.port),
            "TOKENLEDGER_PG_USER": SUPERUSER,
            "TOKENLEDGER_PG_PASSWORD": self.password,
            "TOKENLEDGER_PG_DBNAME": DBNAME,
        }

    def conninfo(self, user: str = SUPERUSER, password: str | None = None, dbname: str = DBNAME) -> str:
        pw = self.password if password is None else password
        return f"host=127.0.0.1 port={self.port} user={user} password={pw} dbname={dbname}"


def bin_dir() -> Path:
    """Where initdb / pg_ctl live; installs Debian's PostgreSQL with apt-get when none is found (root only)."""
    configured = os.environ.get("TOKENLEDGER_PG_BIN")
    if configured:
        return Path(configured)
    for _ in range(2):
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
        if versions:
            return versions[-1].parent
        found = shutil.which("initdb")
        if found:
            return Path(found).parent
        if os.geteuid() != 0:
            break
        subprocess.run(["apt-get", "install", "-y", "-q", "postgresql"], capture_output=True, check=False)
    raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql, or set TOKENLEDGER_PG_BIN)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as when we are root (PostgreSQL refuses root): postgres, else
    nobody; None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run PostgreSQL as")


def _runas() -> list[str]:
    """Prefix that runs a server binary as _server_user(), if any."""
    user = _server_user()
    if user is None:
        return []
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--clear-groups", "--"]


def _chown_to_server_user(path: Path) -> None:
    user = _server_user()
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (mode 0600 from its creation: never a world-readable moment)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)


def start(root: Path) -> Server:
    """initdb in root/data and start the server on a free loopback port; returns how to reach it."""
    binaries = bin_dir()
    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)  # only the server's user (and root) may enter: data, socket, env file, log
    _chown_to_server_user(root)
    password = secrets.token_hex(12)
    pwfile = root / "pwfile"
    _write_private(pwfile, password + "\n")
    _chown_to_server_user(pwfile)
    prefix = _runas()
    subprocess.run(
        [*prefix, str(binaries / "initdb"), "-D", str(root / "data"), "-U", SUPERUSER, f"--pwfile={pwfile}",
         "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    pwfile.unlink()
    port = free_port()
    options = (
        f"-p {port} -c listen_addresses=127.0.0.1 -k {root} -c unix_socket_permissions=0700 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=50 -c TimeZone=UTC"
    )
    subprocess.run(
        [*prefix, str(binaries / "pg_ctl"), "-D", str(root / "data"), "-o", options, "-l", str(root / "server.log"),
         "-w", "-t", "60", "start"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    server = Server(root, port, password)
    _write_private(root / "server.env", "".join(f"export {k}={v}\n" for k, v in server.env().items()))
    _create_database(server)
    return server


def _create_database(server: Server) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(server.conninfo(dbname="postgres"), autocommit=True) as con:
                con.execute(f"create database {DBNAME}")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def stop(root: Path) -> None:
    """Stop the server (immediate: nothing in it is kept) and delete its directory."""
    if (root / "data" / "postmaster.pid").exists():
        subprocess.run(
            [*_runas(), str(bin_dir() / "pg_ctl"), "-D", str(root / "data"), "-m", "immediate", "-w", "stop"],
            capture_output=True, check=False,
        )  # fmt: skip
    shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def sandbox(parent: Path | None = None) -> Iterator[Server]:
    """A running throwaway server for the duration of the block; stopped and deleted afterwards, always."""
    root = Path(tempfile.mkdtemp(prefix="tokenledger-pg-", dir=parent))
    try:
        yield start(root)
    finally:
        stop(root)


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    root = Path(argv[1]).absolute()
    if argv[0] == "start":
        start(root)
        print((root / "server.env").read_text(), end="")
        print(f"# stop with: python tools/pg_sandbox.py stop {root}")
    else:
        stop(root)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
