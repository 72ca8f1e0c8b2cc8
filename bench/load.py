"""Load test: many web workers and job workers on one database, 64 clients, a realistic mix.

    .venv/bin/python bench/load.py [--duration 60] [--clients 64]
        [--runs postgresql:4,sqlite:1,sqlite:4] [--cache ~/.cache/dailypapers-bench]

The site holds the shared data's real papers (Hugging Face daily papers and arXiv cs
listings, about 84,000), imported once into CACHE/load-template.db by the normal import
service, with 64 members and a personal access token each. Each run starts from a fresh
copy: for SQLite the template file is copied, for PostgreSQL a throwaway server (the test
suite's, tests/support/postgres_server.py) is filled through the same import. Then
`dailypapers serve --workers N` and two `dailypapers worker` processes start, and 64
clients (one asyncio process) send requests back to back for the duration:

- 70% pages: the front page, a day's listing, a paper's page; a third of the clients are
  signed in (session cookie: no response cache for them);
- 15% searches (`/search?q=`, words of real titles);
- 10% API reads (`/api/daily_papers?date=`, `/api/papers/{id}`);
- 5% writes through the API with the member's token: upvotes (each member and paper at most
  once) and comments (each carrying a unique marker).

It prints requests per second and p50/p95/p99 latency by kind, the errors (any status
other than the expected one, and transport errors), and then checks the database: every
vote and comment the server acknowledged is there exactly once. Vectors are not computed
(searches answer by words): embedding 84,000 papers takes longer than the test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import AsyncExitStack as ExitStackAsync
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil

from dailypapers.services.accounts import create_access_token, create_user
from dailypapers.services.importing import import_file
from dailypapers.services.passwords import make_hasher
from dailypapers.storage import Storage, open_storage

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = [
    SHARED / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz",
    SHARED / "arxiv_daily" / "arxiv_daily_cs_2025-03-18_to_2026-07-01.jsonl.gz",
]
MEMBERS = 64
PASSWORD = "load test passphrase"
SECRET_KEY = "load-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
MIX = [("page", 0.70), ("search", 0.15), ("api", 0.10), ("write", 0.05)]
# No limit on votes and comments: 64 clients share one address and write for a minute.
RATE_LIMITS = "vote.account=0/60,vote.ip=0/60,comment.account=0/600,comment.ip=0/600"


@dataclass
class Sample:
    """The pages, papers and members the clients pick from."""

    days: list[str]
    papers: list[str]
    words: list[str]
    tokens: list[str]  # one per member, member i is `load{i}`


@dataclass
class Results:
    """What the clients saw."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_examples: list[str] = field(default_factory=list)
    votes: set[tuple[int, str]] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)


def prepare_template(cache: Path) -> Path:
    """Import the real papers and make the members once; return the template database."""
    template = cache / "load-template.db"
    if template.exists():
        return template
    cache.mkdir(parents=True, exist_ok=True)
    draft = cache / f"load-template.{os.getpid()}.db"
    storage = open_storage(f"sqlite:///{draft}")
    fill(storage)
    storage._execute("PRAGMA wal_checkpoint(TRUNCATE)")  # type: ignore[attr-defined]
    storage.close()
    shutil.rmtree(f"{draft}.words", ignore_errors=True)
    draft.rename(template)
    return template


def fill(storage: Storage) -> None:
    """Import the shared papers and create the members with their tokens."""
    for path in FILES:
        began = time.perf_counter()
        with storage.transaction():
            report = import_file(storage=storage, path=path)
        print(f"  {path.name}: {report.summary()} ({time.perf_counter() - began:.0f} s)")
    hasher = make_hasher()
    now = datetime.now(UTC)
    with storage.transaction():
        for number in range(MEMBERS):
            create_user(
                storage=storage,
                hasher=hasher,
                username=f"load{number}",
                email=f"load{number}@example.org",
                password=PASSWORD,
                now=now,
            )


def sample(storage: Storage, rng: random.Random) -> Sample:
    """Pick days, papers and search words from the database; issue a token per member."""
    ranked = storage.rankables()
    days = sorted({item.featured_at.date().isoformat() for item in ranked})[-60:]
    papers = rng.sample([item.paper_id for item in ranked], 2000)
    titles = [paper.title for paper in storage.get_papers(papers[:300]).values()]
    words = [" ".join(rng.sample(title.split(), min(3, len(title.split())))) for title in titles]
    tokens = []
    now = datetime.now(UTC)
    with storage.transaction():
        for number in range(MEMBERS):
            user = storage.find_user(f"load{number}")
            assert user is not None
            tokens.append(create_access_token(storage=storage, user=user, name="load", now=now)[1])
    return Sample(days, papers, words, tokens)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def site(database_url: str, workers: int, logs: Path) -> Iterator[tuple[str, list[int]]]:
    """Run `serve --workers N` and two job workers; yield the URL and every process id."""
    env = {
        **os.environ,
        "DAILYPAPERS_DATABASE_URL": database_url,
        "DAILYPAPERS_SECRET_KEY": SECRET_KEY,
        "DAILYPAPERS_RATE_LIMITS": RATE_LIMITS,
        "DAILYPAPERS_SEARCH_INDEX_INTERVAL_S": "0",  # no embedding during the test
        "DAILYPAPERS_SEARCH_TIMEOUT_MS": "1",  # and no query embedding: words only
        "DAILYPAPERS_MAIL_POLL_S": "5",
    }
    port = free_port()
    command = [sys.executable, "-m", "dailypapers"]
    processes = [
        subprocess.Popen(
            [*command, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(logs / f"serve-{workers}.log").open("w"),
            start_new_session=True,
        )
    ]
    for number in range(2):
        processes.append(
            subprocess.Popen(
                [*command, "worker"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(logs / f"worker-{number}.log").open("w"),
                start_new_session=True,
            )
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{base}/about/ranking", timeout=10).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or processes[0].poll() is not None:
                raise RuntimeError(f"the site did not start: see {logs}")
            time.sleep(0.3)
        pids = [process.pid for process in processes]
        for process in processes:
            pids += [child.pid for child in psutil.Process(process.pid).children(recursive=True)]
        yield base, pids
    finally:
        for process in processes:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def sign_in(http: httpx.AsyncClient, member: int) -> None:
    """Sign the client in through the form, as a browser does."""
    page = await http.get("/signin")
    csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = await http.post(
        "/signin", data={"login": f"load{member}", "password": PASSWORD, "csrf_token": csrf}
    )
    if answer.status_code >= 400 or "dp_session" not in http.cookies:
        raise RuntimeError(f"member {member} could not sign in: {answer.status_code}")


async def client(
    number: int,
    http: httpx.AsyncClient,
    data: Sample,
    results: Results,
    until: float,
    seed: int,
) -> None:
    """Send requests back to back until the time is up, as one reader would."""
    rng = random.Random(seed)
    signed_in = "dp_session" in http.cookies
    token = data.tokens[number % MEMBERS]
    member = number % MEMBERS
    kinds, weights = zip(*MIX, strict=True)
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        expected = 200
        body = None
        method, path, headers = "GET", "", {}
        if kind == "page":
            kind = "page (member)" if signed_in else "page"
            choice = rng.random()
            if choice < 0.2:
                path = "/"
            elif choice < 0.55:
                path = f"/papers/date/{rng.choice(data.days)}"
            else:
                path = f"/papers/{rng.choice(data.papers)}"
        elif kind == "search":
            path = f"/search?q={rng.choice(data.words)}"
        elif kind == "api":
            if rng.random() < 0.5:
                path = f"/api/daily_papers?date={rng.choice(data.days)}"
            else:
                path = f"/api/papers/{rng.choice(data.papers)}"
        else:
            headers = {"Authorization": f"Bearer {token}"}
            paper = rng.choice(data.papers)
            method = "POST"
            if rng.random() < 0.5 and (member, paper) not in results.votes:
                kind, path = "write: vote", f"/api/papers/{paper}/upvote"
                results.votes.add((member, paper))  # claimed before sending: never twice
            else:
                marker = f"load-{uuid.uuid4().hex}"
                kind, path, expected = "write: comment", f"/api/papers/{paper}/comments", 201
                body = {"body": f"A comment from the load test ({marker})."}
        began = time.perf_counter()
        try:
            response = await http.request(method, path, headers=headers, json=body)
            status = response.status_code
        except httpx.HTTPError as error:
            status, response = -1, None
            detail = repr(error)
        results.latencies[kind].append((time.perf_counter() - began) * 1000)
        if status != expected:
            results.errors[kind] += 1
            if len(results.error_examples) < 10:
                text = response.text[:200] if response is not None else detail
                results.error_examples.append(f"{method} {path}: {status} {text}")
            if kind == "write: vote":
                results.votes.discard((member, path.split("/")[3]))
        elif kind == "write: comment":
            results.comments.add(marker)


async def drive(
    base: str, data: Sample, clients: int, duration: float, processes: list[psutil.Process]
) -> tuple[Results, float, list[float]]:
    """Sign a third of the clients in and warm the site up, then run them for the duration."""
    async with ExitStackAsync() as stack:
        https = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=base, timeout=120))
            for _ in range(clients)
        ]
        # Signing in hashes a password (argon2id): not part of the measured mix.
        await asyncio.gather(
            *(sign_in(http, n % MEMBERS) for n, http in enumerate(https) if n % 3 == 0)
        )
        warm = Results()
        await asyncio.gather(
            *(
                client(n, http, data, warm, time.monotonic() + 5, seed=-n)
                for n, http in enumerate(https)
            )
        )
        results = Results()
        results.votes = warm.votes  # a member's vote on a paper is cast once, warm or not
        cpu_before = [_cpu_seconds(process) for process in processes]
        began = time.monotonic()
        await asyncio.gather(
            *(
                client(n, http, data, results, began + duration, seed=n)
                for n, http in enumerate(https)
            )
        )
        elapsed = time.monotonic() - began
        cpu_used = [
            _cpu_seconds(process) - before
            for process, before in zip(processes, cpu_before, strict=True)
        ]
        results.comments |= warm.comments
        return results, elapsed, cpu_used


def verify(storage: Storage, results: Results) -> list[str]:
    """Return what is wrong with the writes in the database: missing or doubled rows."""
    problems = []
    ids = {f"load{n}": n for n in range(MEMBERS)}
    users = {
        row[0]: ids[row[1]]
        for row in storage._execute("SELECT id, username FROM users")  # type: ignore[attr-defined]
        if row[1] in ids
    }
    stored_votes = [
        (users[row[0]], row[1])
        for row in storage._execute("SELECT user_id, paper_id FROM votes")  # type: ignore[attr-defined]
    ]
    if sorted(stored_votes) != sorted(results.votes):
        problems.append(f"votes: {len(results.votes)} acknowledged, {len(stored_votes)} stored")
    bodies = [
        row[0]
        for row in storage._execute(  # type: ignore[attr-defined]
            "SELECT body FROM comments WHERE body LIKE ?", ("A comment from the load test%",)
        )
    ]
    markers = [body.rsplit("(", 1)[1].rstrip(").") for body in bodies]
    if sorted(markers) != sorted(results.comments):
        problems.append(f"comments: {len(results.comments)} acknowledged, {len(markers)} stored")
    return problems


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def run_one(
    backend: str, workers: int, args: argparse.Namespace, template: Path, stack: ExitStack
) -> dict[str, object]:
    """Set up one database, run the site on it under load, check it; return the figures."""
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="load-")))
    if backend == "sqlite":
        database = scratch / "site.db"
        shutil.copy(template, database)
        url = f"sqlite:///{database}"
        storage = open_storage(url)
        print(f"sqlite, {workers} workers: copied the template")
        storage.refresh_word_index()  # as the indexing job would have by now
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from support.postgres_server import fresh_database, running_postgres

        url = stack.enter_context(fresh_database(stack.enter_context(running_postgres())))
        storage = open_storage(url)
        print(f"postgresql, {workers} workers: importing")
        fill(storage)
        storage.refresh_word_index()
    data = sample(storage, random.Random(1))
    logs = args.cache / "load-logs" / f"{backend}-{workers}"
    logs.mkdir(parents=True, exist_ok=True)
    with site(url, workers, logs) as (base, pids):
        processes = [psutil.Process(pid) for pid in pids]
        me = psutil.Process()
        load_before = os.getloadavg()[0]
        results, elapsed, used = asyncio.run(
            drive(base, data, args.clients, args.duration, [*processes, me])
        )
        server_cpu = 100 * sum(used[:-1]) / elapsed
        client_cpu = 100 * used[-1] / elapsed
    problems = verify(storage, results)
    storage.close()
    return {
        "run": f"{backend}, {workers} web worker{'s' if workers > 1 else ''}",
        "results": results,
        "elapsed": elapsed,
        "server_cpu": server_cpu,
        "client_cpu": client_cpu,
        "problems": problems,
        "load": (load_before + os.getloadavg()[0]) / 2,
    }


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
        return float(times.user + times.system)
    except psutil.NoSuchProcess:
        return 0.0


def report(figures: dict[str, object]) -> None:
    """Print one run's table."""
    results: Results = figures["results"]  # type: ignore[assignment]
    elapsed = float(figures["elapsed"])  # type: ignore[arg-type]
    total = sum(len(values) for values in results.latencies.values())
    errors = sum(results.errors.values())
    print(
        f"\n### {figures['run']}: {total / elapsed:,.0f} requests/s, {errors} errors"
        f" (server processes {figures['server_cpu']:.0f}% CPU, the clients"
        f" {figures['client_cpu']:.0f}%, of 200%; machine load average"
        f" {figures['load']:.1f})\n"
    )
    print("| kind | requests | req/s | p50 | p95 | p99 | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in sorted(results.latencies):
        values = results.latencies[kind]
        print(
            f"| {kind} | {len(values):,} | {len(values) / elapsed:,.1f}"
            f" | {statistics.median(values):,.0f} ms | {percentile(values, 0.95):,.0f} ms"
            f" | {percentile(values, 0.99):,.0f} ms | {results.errors.get(kind, 0)} |"
        )
    print(
        f"\nwrites checked in the database: {len(results.votes)} votes and"
        f" {len(results.comments)} comments acknowledged;"
        f" {'each stored exactly once' if not figures['problems'] else figures['problems']}"
    )
    for example in results.error_examples:
        print(f"  error: {example}")


def main() -> None:
    """Run each configuration in turn and print its figures, then the throughput ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--runs", default="postgresql:4,sqlite:1,sqlite:4")
    parser.add_argument("--cache", type=Path, default=Path.home() / ".cache/dailypapers-bench")
    args = parser.parse_args()
    print("preparing the template (once): importing the shared papers")
    template = prepare_template(args.cache)
    print(f"{os.cpu_count()} CPUs; {args.clients} clients for {args.duration:.0f} s per run")
    rates = {}
    for run in args.runs.split(","):
        backend, workers = run.split(":")
        with ExitStack() as stack:
            figures = run_one(backend, int(workers), args, template, stack)
        report(figures)
        results: Results = figures["results"]  # type: ignore[assignment]
        total = sum(len(values) for values in results.latencies.values())
        rates[run] = total / float(figures["elapsed"])  # type: ignore[arg-type]
    if "sqlite:1" in rates and "sqlite:4" in rates:
        print(f"\nSQLite, 4 web workers against 1: {rates['sqlite:4'] / rates['sqlite:1']:.2f}x")


if __name__ == "__main__":
    main()
