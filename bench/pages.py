"""Measure every page kind signed in (no cache) and signed out (cached) on the 80k corpus.

Imports the Hugging Face archive and the arXiv cs listings of `../shared/data` (80,317
papers) into a SQLite file kept in a cache folder between runs, with a vector for every
paper (bench/pages_corpus.py: the slow step of the first run), then starts `dailypapers serve`
(one uvicorn worker, background indexing and For you's refits off) and loads each URL with
`wrk` and a Lua script: 32 keep-alive connections, a warm-up, then a measured stretch. Each
URL is loaded signed out (no cookie: the response cache answers repeated pages) and signed in
(a member's session cookie: never cached). Home, a member's For you, is loaded signed in
twice: as a member without likes (the week's trending papers) and as one whose likes (every
paper of the busiest organization) have a fitted model. Paper pages, the paper API and
searches go through a list of URLs, so that no two requests of a run ask for the same paper
or query. A bare FastAPI + Jinja page, served by this script in a process of its own, is
measured in the same run as the ceiling of the stack, and every figure is printed as a
share of it. Last, the server's resident memory.

    .venv/bin/python bench/pages.py [--cache /tmp/dailypapers-bench-pages] [--duration 5]
        [--warmup 1] [--connections 32] [--only SUBSTRING] [--skip SUBSTRING] [--modes in,out]
        [--real-vectors] [--against OTHER/src [--rounds 2]]

With --against, a second server runs the code of another checkout (its src folder, put first
on PYTHONPATH) on the same corpus, and each page is loaded signed in on the two servers in
turns, --rounds times: the same load for both, and the ratio of their rates is printed.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from pages_corpus import MEMBER, Page, member_cookie, pick_pages, prepare_corpus

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "dailypapers-bench-pages"
TARGETS = {"page": (1000.0, 50.0), "search": (300.0, 100.0)}  # req/s at least, p99 ms under
RSS_TARGET_MB = 600
REQUEST_TIMEOUT_S = 30

WRK_SCRIPT = """
local paths = {}
for line in io.lines(os.getenv("BENCH_PATHS")) do paths[#paths + 1] = line end
local cookie = os.getenv("BENCH_COOKIE")
local headers = {}
if cookie and cookie ~= "" then headers["Cookie"] = cookie end
local next_index = 0
request = function()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index], headers)
end
done = function(summary, latency, requests)
  io.write(string.format("BENCH %d %d %d %.1f %.1f %d\\n", summary.requests,
    summary.duration, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout, latency:percentile(50),
    latency:percentile(99), #paths))
end
"""

CEILING_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><header><a href="/">Daily Papers</a><form action="/search"><input name="q"></form></header>
<main><h1>{{ title }}</h1><ol>
{% for paper in papers %}
<li class="card"><h2><a href="/papers/{{ paper.id }}">{{ paper.title }}</a></h2>
<p class="authors">{{ paper.authors | join(", ") }}</p>
<p>{{ paper.abstract | truncate(280) }}</p><span>{{ paper.upvotes }} upvotes</span></li>
{% endfor %}
</ol></main></body></html>
"""


@dataclass(frozen=True, slots=True)
class Result:
    """What one wrk run measured."""

    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float
    distinct: int  # URLs the run went through

    @property
    def rps(self) -> float:
        """Return completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0


# -- servers -----------------------------------------------------------------------------


def free_port() -> int:
    """Return a loopback port that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def status_of(port: int, path: str, cookie: str = "") -> int:
    """Send one GET and return its status."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_S) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[tuple[int, int]]:
    """Start a server on a free port until the block ends; yield its port and pid."""
    port = free_port()
    with log.open("wb") as output:
        server = subprocess.Popen(
            [*command, "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"error: the server exited:\n{log.read_text()}")
            try:
                status_of(port, "/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit(f"error: no answer within 60 s:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def serve_ceiling(port: int) -> None:
    """Serve the bare FastAPI + Jinja page (this script, run with --serve-ceiling)."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse
    from jinja2 import DictLoader, Environment, select_autoescape

    environment = Environment(
        loader=DictLoader({"page.html": CEILING_TEMPLATE}), autoescape=select_autoescape()
    )
    papers = [
        {
            "id": f"2608.{n:05d}",
            "title": f"A study of neural scaling in setting {n} with long-context models",
            "authors": ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"],
            "abstract": "We study how models behave as they grow, across many settings. " * 8,
            "upvotes": n,
        }
        for n in range(30)
    ]
    app = FastAPI()

    @app.get("/", response_class=HTMLResponse)
    def page() -> HTMLResponse:
        template = environment.get_template("page.html")
        return HTMLResponse(template.render(title="Daily Papers", papers=papers))

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def wait_until_idle(port: int, limit_s: float = 120.0) -> None:
    """Wait until the server answers a small page quickly: the last run's queue is drained."""
    deadline = time.monotonic() + limit_s
    quick = 0
    while time.monotonic() < deadline and quick < 3:  # three quick answers in a row
        started = time.perf_counter()
        try:
            status_of(port, "/about/ranking")
        except OSError:  # a timeout: still busy
            quick = 0
            continue
        quick = quick + 1 if time.perf_counter() - started < 0.05 else 0
        time.sleep(0.2)


def server_rss_mb(pid: int) -> float:
    """Return a process's resident memory in MB, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else float("nan")


# -- load ---------------------------------------------------------------------------------


def load(
    port: int, paths: list[str], *, cookie: str, seconds: float, connections: int, folder: Path
) -> Result:
    """Load the URLs in turn with wrk; return what it measured."""
    script, listing = folder / "bench.lua", folder / "paths.txt"
    script.write_text(WRK_SCRIPT)
    listing.write_text("\n".join(paths) + "\n")
    report = subprocess.run(
        [
            "wrk",
            "--threads=1",  # the server keeps the other core
            f"--connections={connections}",
            f"--duration={max(1, round(seconds))}s",
            f"--timeout={REQUEST_TIMEOUT_S}s",
            f"--script={script}",
            f"http://127.0.0.1:{port}",
        ],
        env={**os.environ, "BENCH_PATHS": str(listing), "BENCH_COOKIE": cookie},
        check=True,
        capture_output=True,
        text=True,
        timeout=seconds + REQUEST_TIMEOUT_S + 30,
    ).stdout
    found = re.search(r"^BENCH (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)$", report, re.MULTILINE)
    if found is None:
        raise SystemExit(f"error: cannot read wrk's report:\n{report}")
    requests, micros, errors, p50, p99, count = found.groups()
    return Result(
        requests=int(requests),
        seconds=int(micros) / 1e6,
        errors=int(errors),  # wrk counts non-2xx/3xx answers among them
        p50_ms=float(p50) / 1000,
        p99_ms=float(p99) / 1000,
        distinct=min(int(requests), int(count)),
    )


# -- the report -----------------------------------------------------------------------


def describe_machine() -> list[str]:
    """Return lines naming the CPU, the cores, the software and how busy the machine is."""
    cpu = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = re.findall(r"^model name\s*:\s*(.*)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = models[0] if models else cpu
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("uvicorn", "fastapi", "starlette", "jinja2", "usearch")
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return [
        f"machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}",
        f"python:  {platform.python_implementation()} {platform.python_version()}; {versions}",
        f"client:  {(wrk.stdout or wrk.stderr).splitlines()[0].split(' [')[0]}, one thread",
        f"busy:    load average {os.getloadavg()[0]:.1f} before the run",
    ]


def verdict(page: Page, result: Result) -> str:
    """Say whether the issue's target holds for a signed-in figure."""
    rps, p99 = TARGETS[page.kind]
    met = result.rps >= rps and result.p99_ms < p99 and not result.errors
    return "met" if met else "not met"


def print_report(
    pages: list[Page], results: dict[tuple[str, str], Result], ceilings: dict[str, Result]
) -> None:
    """Print one Markdown table: each page signed in and signed out, as shares of the ceiling."""
    print(
        "| page | signed in: req/s | p50 ms | p99 ms | of ceiling | target |"
        " signed out: req/s | p50 ms | p99 ms | of ceiling | ceiling req/s | distinct URLs (in)"
        " | errors |"
    )
    print(
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for page in pages:
        signed_in, signed_out = results.get((page.label, "in")), results.get((page.label, "out"))
        if signed_in is None and signed_out is None:
            continue
        cells = [f"`{page.label}`"]
        ceiling = ceilings.get(page.label)
        for result, mode in ((signed_in, "in"), (signed_out, "out")):
            if result is None:
                cells += ["", "", "", ""] + ([""] if mode == "in" else [])
                continue
            share = f"{result.rps / ceiling.rps:.2f}" if ceiling and ceiling.rps else ""
            cells += [
                f"{result.rps:,.0f}",
                f"{result.p50_ms:.1f}",
                f"{result.p99_ms:.1f}",
                share,
            ]
            if mode == "in":
                cells.append(verdict(page, result))
        cells.append(f"{ceiling.rps:,.0f}" if ceiling else "")
        cells.append(f"{signed_in.distinct:,}" if signed_in else "")
        errors = sum(r.errors for r in (signed_in, signed_out) if r is not None)
        cells.append(str(errors))
        print("| " + " | ".join(cells) + " |")
    if ceilings:
        rates = sorted(ceiling.rps for ceiling in ceilings.values())
        print(
            "\nceiling (bare FastAPI + Jinja, 30 cards, one worker, measured before each page):"
            f" {rates[0]:,.0f} to {rates[-1]:,.0f} req/s, median {rates[len(rates) // 2]:,.0f}"
        )


def main() -> None:
    """Prepare the corpus, start the site and the ceiling, and load every page kind."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="corpus folder")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds measured per URL")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load before that")
    parser.add_argument("--only", default="", help="measure only pages whose label has this")
    parser.add_argument("--skip", default="", help="measure no page whose label has this")
    parser.add_argument("--modes", default="in,out", help="in (signed in), out, or both")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--real-vectors",
        action="store_true",
        help="embed every paper with the model (half an hour or more) instead of stand-ins",
    )
    parser.add_argument("--against", type=Path, help="another checkout's src: compare in turns")
    parser.add_argument("--rounds", type=int, default=2, help="turns per page with --against")
    parser.add_argument("--serve-ceiling", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_ceiling:
        serve_ceiling(args.port)
        return
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]

    database_url = prepare_corpus(args.cache, real_vectors=args.real_vectors)
    pages = [
        page
        for page in pick_pages(database_url, args.seed)
        if args.only in page.label and not (args.skip and args.skip in page.label)
    ]
    cookies = {
        name: member_cookie(database_url, name) for name in {MEMBER, *(p.member for p in pages)}
    }
    cookie = cookies[MEMBER]  # the warm-ups'
    for line in describe_machine():
        print(line)
    print(
        f"run:     {args.connections} connections, {args.warmup:g} s warm-up then"
        f" {args.duration:g} s per URL, one server worker, loopback,"
        " background indexing and refits off"
    )
    env = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": database_url,
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",  # no embedding while measuring
        "DAILYPAPERS_RECOMMENDATION_REFIT_INTERVAL_S": "0",  # nor refits: the model is fitted
    }
    if args.against:
        compare_in_turns(args, pages, cookies, env)
        return
    results: dict[tuple[str, str], Result] = {}
    ceilings: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as temporary:
        folder = Path(temporary)

        def measure(port: int, paths: list[str], cookie: str) -> Result:
            if args.warmup > 0:
                load(
                    port,
                    paths[::-1],
                    cookie=cookie,
                    seconds=args.warmup,
                    connections=args.connections,
                    folder=folder,
                )
                wait_until_idle(port)
            return load(
                port,
                paths,
                cookie=cookie,
                seconds=args.duration,
                connections=args.connections,
                folder=folder,
            )

        ceiling_command = [sys.executable, __file__, "--serve-ceiling"]
        serve = [sys.executable, "-m", "dailypapers", "serve", "--host", "127.0.0.1"]
        with (
            running(ceiling_command, dict(os.environ), folder / "ceiling.log") as (bare, _),
            running(serve, env, folder / "serve.log") as (port, pid),
        ):
            # The first search loads the model and the HNSW file: not part of any figure.
            status_of(port, "/search?q=warm+up+the+model", cookie)
            time.sleep(2)
            status_of(port, "/search?q=warm+up+the+model+again", cookie)
            rss_start = server_rss_mb(pid)
            for page in pages:
                status = status_of(port, page.paths[0], cookies[page.member])
                if status == 404:
                    print(f"  {page.label}: {page.paths[0]} answers 404, skipped", flush=True)
                    continue
                if status != 200:
                    raise SystemExit(f"error: GET {page.paths[0]} answered {status}")
                # The machine's load changes over a run: each page is set against the
                # ceiling measured just before it.
                ceilings[page.label] = measure(bare, ["/"], "")
                for mode in modes:
                    offset = len(page.paths) // 2 if mode == "out" else 0
                    paths = page.paths[offset:] + page.paths[:offset]  # not the same URLs
                    result = measure(port, paths, cookies[page.member] if mode == "in" else "")
                    wait_until_idle(port)  # requests wrk gave up on may still be queued
                    results[page.label, mode] = result
                    print(
                        f"  {page.label} signed {mode}: {result.rps:,.0f} req/s,"
                        f" p99 {result.p99_ms:.1f} ms (ceiling {ceilings[page.label].rps:,.0f}"
                        f" req/s), server RSS {server_rss_mb(pid):.0f} MB",
                        flush=True,
                    )
            rss_end = server_rss_mb(pid)
    print()
    print_report(pages, results, ceilings)
    verdict_rss = "met" if rss_end < RSS_TARGET_MB else "not met"
    print(
        f"server RSS: {rss_start:.0f} MB after warm-up, {rss_end:.0f} MB after the run"
        f" (target < {RSS_TARGET_MB} MB: {verdict_rss})"
    )


def compare_in_turns(
    args: argparse.Namespace, pages: list[Page], cookies: dict[str, str], env: dict[str, str]
) -> None:
    """Load each page signed in on this code and on another checkout's, in turns."""
    other_env = {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(args.against), env.get("PYTHONPATH", "")])),
    }
    serve = [sys.executable, "-m", "dailypapers", "serve", "--host", "127.0.0.1"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as temporary:
        folder = Path(temporary)
        with (
            running(serve, other_env, folder / "other.log") as (other, other_pid),
            running(serve, env, folder / "this.log") as (this, this_pid),
        ):
            for port in (other, this):  # the model and the HNSW file load on first use
                status_of(port, "/search?q=warm+up+the+model", cookies[MEMBER])
            time.sleep(2)
            for page in pages:
                cookie = cookies[page.member]
                if status_of(this, page.paths[0], cookie) != 200:
                    print(f"  {page.label}: {page.paths[0]} is not 200 here, skipped", flush=True)
                    continue
                runs: dict[int, list[Result]] = {other: [], this: []}
                for _ in range(args.rounds):
                    for port in (other, this):
                        if args.warmup > 0:
                            load(port, page.paths[::-1], cookie=cookie, seconds=args.warmup,
                                 connections=args.connections, folder=folder)  # fmt: skip
                            wait_until_idle(port)
                        runs[port].append(
                            load(
                                port,
                                page.paths,
                                cookie=cookie,
                                seconds=args.duration,
                                connections=args.connections,
                                folder=folder,
                            )
                        )
                        wait_until_idle(port)
                before, after = (sorted(r.rps for r in runs[p]) for p in (other, this))
                p99s = [max(r.p99_ms for r in runs[p]) for p in (other, this)]
                base = before[len(before) // 2]
                ratio = f"{after[len(after) // 2] / base:.2f}" if base else "none before"
                rows.append((page.label, before, after, p99s, ratio))
                rates = [" / ".join(f"{r:,.0f}" for r in side) for side in (before, after)]
                print(f"  {page.label}: {rates[0]} -> {rates[1]} req/s, x{ratio}", flush=True)
            rss = server_rss_mb(other_pid), server_rss_mb(this_pid)
    print(f"\n| page, signed in | {args.against}: req/s | p99 ms | this: req/s | p99 ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, before, after, p99s, ratio in rows:
        print(
            f"| `{label}` | {' / '.join(f'{r:,.0f}' for r in before)} | {p99s[0]:,.0f}"
            f" | {' / '.join(f'{r:,.0f}' for r in after)} | {p99s[1]:,.0f} | {ratio} |"
        )
    print("\nratio: the median of the rounds here over the median there; p99: the worst round")
    print(f"server RSS after the run: {rss[0]:.0f} MB there, {rss[1]:.0f} MB here")


if __name__ == "__main__":
    main()
