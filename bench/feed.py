"""Measure requests per second and latency of the feed pages, with the response cache on and off.

Builds the demo database from the Hugging Face archive in a temporary folder, starts
`dailypapers serve` (one uvicorn worker) on a loopback port, and loads each URL with a fixed
number of keep-alive connections for a bounded time. The load comes from `wrk` when it is
installed, else from the small asyncio HTTP/1.1 client below. Both runs (cache on, cache off)
happen in one invocation, so their ratio is meaningful even on a noisy machine.

    .venv/bin/python bench/feed.py [ARCHIVE] [--tool wrk|python] [--duration 10]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import math
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from dailypapers.domain.periods import PeriodKind, period_containing
from dailypapers.storage import open_storage

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARCHIVE = (
    REPO.parent / "shared/data/hf_daily_papers/hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
)
TARGET_RPS = 1500
TARGET_P99_MS = 50.0
TARGET_PATHS = ("/", "/api/daily_papers")  # the targets apply to these two
REQUEST_TIMEOUT_S = 30.0  # a slow uncached page is a figure to report, not an error
MAX_REQUESTS = 2_000_000  # per URL and run: the python client's bound besides time


@dataclass(frozen=True, slots=True)
class Result:
    """What one load run against one URL measured."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def rps(self) -> float:
        """Return completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


# -- the demo database and the server ---------------------------------------------------


def build_database(archive: Path, folder: Path) -> str:
    """Import the archive into a new SQLite file in folder; return its URL."""
    url = f"sqlite:///{folder / 'demo.db'}"
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "dailypapers", "import", str(archive)],
        env={**os.environ, "DAILYPAPERS_DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(f"demo database: {archive.name} imported in {time.monotonic() - started:.1f} s")
    return url


def pick_paths(database_url: str) -> list[str]:
    """Return the URLs to load: home, a week, a real paper and the API, from this data."""
    storage = open_storage(database_url)
    try:
        latest = storage.latest_day()
        if latest is None:
            raise SystemExit("error: the demo database has no featured papers")
        day = period_containing(PeriodKind.DAY, latest)
        week = period_containing(PeriodKind.WEEK, latest)
        paper_id = storage.rankables(start=day.start, end=day.end)[0].paper_id
    finally:
        storage.close()
    return [
        "/",
        week.path,
        f"/papers/{paper_id}",
        "/api/daily_papers",
        f"/api/daily_papers?date={latest.isoformat()}",
    ]


def free_port() -> int:
    """Return a loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def get_status(port: int, path: str) -> int:
    """Send one GET and return the status code."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@contextmanager
def serving(database_url: str, cache_seconds: float, log: Path) -> Iterator[int]:
    """Run `dailypapers serve` (one worker) until the block ends; yield its port."""
    port = free_port()
    env = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": database_url,
        "DAILYPAPERS_CACHE_SECONDS": str(cache_seconds),
    }
    command = [sys.executable, "-m", "dailypapers", "serve", "--host", "127.0.0.1"]
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            if server.poll() is not None:
                raise SystemExit(f"error: the server exited:\n{log.read_text()}")
            try:
                get_status(port, "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: no answer within 30 s:\n{log.read_text()}") from None
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- load generators ---------------------------------------------------------------------


def run_wrk(url: str, *, connections: int, seconds: float, threads: int) -> Result:
    """Load url with wrk and parse its report."""
    report = subprocess.run(
        [
            "wrk",
            f"--threads={threads}",
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={REQUEST_TIMEOUT_S:.0f}s",
            "--latency",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + REQUEST_TIMEOUT_S + 10,
    ).stdout
    done = re.search(r"(\d+) requests in ([\d.]+)(\w+)", report)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", report, re.MULTILINE))
    if done is None or set(percentiles) != {"50", "99"}:
        raise SystemExit(f"error: cannot read wrk's report:\n{report}")
    socket_errors = re.search(r"Socket errors: (.*)", report)
    bad_status = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    errors = int(bad_status.group(1)) if bad_status else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return Result(
        requests=int(done.group(1)),
        seconds=_duration_s(float(done.group(2)), done.group(3)),
        p50_ms=_duration_s(*_split_unit(percentiles["50"])) * 1000,
        p99_ms=_duration_s(*_split_unit(percentiles["99"])) * 1000,
        errors=errors,
    )


def _split_unit(text: str) -> tuple[float, str]:
    number = re.match(r"[\d.]+", text)
    assert number is not None
    return float(number.group()), text[number.end() :]


def _duration_s(value: float, unit: str) -> float:
    return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}[unit]


def run_python(url_path: str, *, port: int, connections: int, seconds: float) -> Result:
    """Load the path with this script's own keep-alive client."""
    load = _load(port, url_path, connections, seconds)
    try:
        import uvloop  # comes with uvicorn[standard]; a faster loop makes a stronger client
    except ImportError:
        return asyncio.run(load)
    return uvloop.run(load)


async def _load(port: int, path: str, connections: int, seconds: float) -> Result:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    latencies: list[float] = []
    errors = 0
    started = time.perf_counter()
    deadline = started + seconds

    async def connection() -> None:
        nonlocal errors
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        while time.perf_counter() < deadline and len(latencies) < MAX_REQUESTS:
            sent = time.perf_counter()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                assert reader is not None
                writer.write(request)
                status, keep_alive = await asyncio.wait_for(
                    _read_response(reader), REQUEST_TIMEOUT_S
                )
            except (OSError, asyncio.IncompleteReadError, ValueError):  # TimeoutError is an OSError
                errors += 1
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            latencies.append(time.perf_counter() - sent)
            if not 200 <= status < 400:
                errors += 1
            if not keep_alive:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Result(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=_percentile(latencies, 0.50) * 1000,
        p99_ms=_percentile(latencies, 0.99) * 1000,
        errors=errors,
    )


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; return its status and whether the connection stays open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    headers = head.lower()
    length = re.search(rb"\r\ncontent-length:\s*(\d+)", headers)
    if length:
        await reader.readexactly(int(length.group(1)))
    elif b"\r\ntransfer-encoding: chunked" in headers:
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            await reader.readexactly(size + 2)
        await reader.readuntil(b"\r\n")  # no trailers are sent here
    return status, b"\r\nconnection: close" not in headers


def _percentile(sorted_values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile (0 when there are no values)."""
    if not sorted_values:
        return 0.0
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


# -- the report --------------------------------------------------------------------------


def describe_machine(tool: str, wrk_threads: int) -> list[str]:
    """Return lines naming the CPU, the core count and the software that ran."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = re.findall(r"^model name\s*:\s*(.*)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = models[0] if models else cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("uvicorn", "fastapi", "starlette")
    )
    if tool == "wrk":
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
        version = (wrk.stdout or wrk.stderr).splitlines()[0].split(" [")[0]
        load = f"{version}, {wrk_threads} thread(s)"
    else:
        load = "the python client in bench/feed.py (one process, uvloop)"
    return [
        f"machine: {cores} cores, {cpu}, {platform.system()} {platform.release()}",
        f"python:  {platform.python_implementation()} {platform.python_version()}; {versions}",
        f"client:  {load}",
        f"busy:    load average {os.getloadavg()[0]:.1f} before the run (anything else slows it)",
    ]


def print_table(results: dict[tuple[str, str], Result], paths: list[str]) -> None:
    """Print the figures as a Markdown table, then the cache's effect as ratios."""
    print("| cache | URL | requests/s | p50 ms | p99 ms | errors |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (cache, path), result in results.items():
        print(
            f"| {cache} | `{path}` | {result.rps:,.0f} | {result.p50_ms:.1f}"
            f" | {result.p99_ms:.1f} | {result.errors} |"
        )
    if not all((cache, path) in results for cache in ("on", "off") for path in paths):
        return
    print()
    print("| URL | requests/s cache on / off | p50 cache off / on |")
    print("| --- | ---: | ---: |")
    for path in paths:
        on, off = results["on", path], results["off", path]
        speedup = on.rps / off.rps if off.rps else math.inf
        slowdown = off.p50_ms / on.p50_ms if on.p50_ms else math.inf
        print(f"| `{path}` | {_ratio(speedup)} | {_ratio(slowdown)} |")


def _ratio(value: float) -> str:
    return f"{value:,.1f}x" if value < 10 else f"{value:,.0f}x"


def print_targets(results: dict[tuple[str, str], Result]) -> None:
    """Say whether the issue's targets hold for the default (cached) configuration."""
    print()
    for path in TARGET_PATHS:
        result = results.get(("on", path))
        if result is None:
            continue
        met = result.rps >= TARGET_RPS and result.p99_ms < TARGET_P99_MS and not result.errors
        print(
            f"target {path}: {result.rps:,.0f} requests/s (>= {TARGET_RPS:,}),"
            f" p99 {result.p99_ms:.1f} ms (< {TARGET_P99_MS:.0f}): {'met' if met else 'NOT met'}"
        )


def main() -> None:
    """Build the demo database, serve it with the cache on and off, and load each URL."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "archive",
        nargs="?",
        type=Path,
        default=DEFAULT_ARCHIVE,
        help="Hugging Face daily_papers archive (or folder) to import (default: %(default)s)",
    )
    parser.add_argument(
        "--tool",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk when installed)",
    )
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per URL")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of load before that")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads (default 1)")
    parser.add_argument(
        "--cache", choices=("both", "on", "off"), default="both", help="which runs to make"
    )
    args = parser.parse_args()
    if not args.archive.exists():
        parser.error(f"no archive at {args.archive}; give one as the first argument")
    if args.tool == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk), use --tool python")

    for line in describe_machine(args.tool, args.wrk_threads):
        print(line)
    print(
        f"run:     {args.connections} connections, {args.warmup:g} s warm-up then"
        f" {args.duration:g} s per URL, one server worker, loopback"
    )

    def measure(port: int, path: str, seconds: float) -> Result:
        if args.tool == "wrk":
            return run_wrk(
                f"http://127.0.0.1:{port}{path}",
                connections=args.connections,
                seconds=seconds,
                threads=args.wrk_threads,
            )
        return run_python(path, port=port, connections=args.connections, seconds=seconds)

    results: dict[tuple[str, str], Result] = {}
    modes = {"on": 10.0, "off": 0.0}  # DAILYPAPERS_CACHE_SECONDS; 10 is the default
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as folder:
        database_url = build_database(args.archive, Path(folder))
        paths = pick_paths(database_url)
        for cache, cache_seconds in modes.items():
            if args.cache not in ("both", cache):
                continue
            with serving(database_url, cache_seconds, Path(folder) / f"serve-{cache}.log") as port:
                for path in paths:
                    status = get_status(port, path)
                    if status != 200:
                        raise SystemExit(f"error: GET {path} answered {status}")
                    if args.warmup > 0:
                        measure(port, path, args.warmup)
                    results[cache, path] = measure(port, path, args.duration)
                    print(f"  cache {cache:3} {path}: {results[cache, path].rps:,.0f} requests/s")
    print()
    print_table(results, paths)
    print_targets(results)


if __name__ == "__main__":
    main()
