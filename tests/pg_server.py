"""A throwaway PostgreSQL server for the tests: `initdb` in a temporary directory, listening on
127.0.0.1 only, stopped and removed when the test session ends.

The server binaries come from the distribution's packages (`tasks.py test` installs them): `initdb`
and `pg_ctl` on PATH, else the newest `/usr/lib/postgresql/*/bin`. PostgreSQL refuses to run as
root, so under root the server runs as the `postgres` user the package creates. Durability is
switched off (fsync, synchronous_commit, full_page_writes): the data is thrown away anyway.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

USER = "cppcc"


class ServerUnavailable(Exception):
    """PostgreSQL cannot be started on this machine (the reason is the message)."""


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1]
    raise ServerUnavailable(
        f"no `{name}`: install PostgreSQL's server package (apt-get install postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    """A running throwaway server; `url(database)` gives a psycopg URL for one of its databases."""

    directory: Path
    port: int
    pg_ctl: str
    run_as: list[str]

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database on this server."""
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=USER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        subprocess.run(
            [
                *self.run_as,
                self.pg_ctl,
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.directory, ignore_errors=True)


def start_server() -> PostgresServer:
    """Start a fresh server on a free loopback port, or raise ServerUnavailable saying why."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    try:
        import psycopg  # noqa: F401
    except ImportError as error:
        raise ServerUnavailable(
            "the psycopg driver is not installed (the postgres extra)"
        ) from error
    directory = Path(tempfile.mkdtemp(prefix="cppcc-watch-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError as error:
            raise ServerUnavailable("running as root and there is no `postgres` user") from error
        os.chown(directory, owner.pw_uid, owner.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, sockets = directory / "data", directory
    port = _free_port()
    steps = [
        [
            *run_as,
            initdb,
            "-D",
            str(data),
            "-U",
            USER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ],
        [
            *run_as,
            pg_ctl,
            "-D",
            str(data),
            "-l",
            str(directory / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
            " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            "start",
        ],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = directory / "server.log"
            detail = (done.stderr or done.stdout).strip().splitlines()
            if log.exists():
                detail += log.read_text(errors="replace").strip().splitlines()[-3:]
            shutil.rmtree(directory, ignore_errors=True)
            raise ServerUnavailable(
                f"{Path(step[len(run_as)]).name} failed: {' | '.join(detail[-4:])}"
            )
    server = PostgresServer(directory, port, pg_ctl, run_as)
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError as error:
            if time.monotonic() > deadline:
                server.stop()
                raise ServerUnavailable(f"the server did not listen on port {port}") from error
            time.sleep(0.1)
