"""Every setting of the site, declared once: name, default and help.

Each field reads from the environment variable DAILYPAPERS_<NAME>. The same
declaration feeds `dailypapers settings`, docs/settings.md and validation.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from croniter import croniter

from dailypapers.domain.accounts import SubmitPolicy
from dailypapers.domain.rate_limits import parse_rate_limits

ENV_PREFIX = "DAILYPAPERS_"


def default_database_url() -> str:
    """Return a SQLite file in the user's data directory."""
    return f"sqlite:///{Path(platformdirs.user_data_dir('dailypapers')) / 'dailypapers.db'}"


def _setting(default: Any, help: str, **extra: Any) -> Any:
    if callable(default):
        return field(default_factory=default, metadata={"help": help, **extra})
    return field(default=default, metadata={"help": help, **extra})


@dataclass(frozen=True)
class Settings:
    """The site's configuration, read from DAILYPAPERS_* environment variables."""

    database_url: str = _setting(
        default_database_url,
        "Where the data lives: sqlite:///relative.db, sqlite:////absolute.db or"
        " postgresql://user:password@host:port/dbname. The default is a file in the"
        " user data directory (platformdirs).",
        shown_default="sqlite:////home/you/.local/share/dailypapers/dailypapers.db",
    )
    secret_key: str = _setting(
        "",
        "Key that signs sessions, CSRF and unsubscribe tokens (32+ characters). Empty: a random"
        " key is made once and kept in secret_key beside the default database, mode 0600.",
    )
    host: str = _setting("127.0.0.1", "Address `dailypapers serve` listens on.")
    port: int = _setting(8000, "Port `dailypapers serve` listens on.")
    site_name: str = _setting("Daily Papers", "Name shown in the header, page titles and feeds.")
    public_url: str = _setting(
        "", "The site's public address for links in feeds; empty means the request's own."
    )
    page_size: int = _setting(30, "Papers per page on the listing pages.")
    cache_seconds: float = _setting(
        10.0, "How long a rendered page may be reused while no data changes; 0 turns it off."
    )
    hf_api_url: str = _setting(
        "https://huggingface.co", "Hugging Face endpoint that `dailypapers ingest hf` reads."
    )
    http_timeout_s: float = _setting(30.0, "Timeout in seconds for requests to sources.")
    contact_email: str = _setting(
        "", "An address sources may write to about this site's requests (sent in the User-Agent)."
    )
    arxiv_api_url: str = _setting(
        "https://export.arxiv.org/api/query", "arXiv API endpoint (Atom) for pulls and submissions."
    )
    arxiv_oai_url: str = _setting(
        "https://oaipmh.arxiv.org/oai", "arXiv OAI-PMH endpoint for bulk harvests."
    )
    arxiv_delay_s: float = _setting(
        3.0, "Seconds between requests to arXiv (its terms ask for at most one every 3 s)."
    )
    arxiv_page_size: int = _setting(200, "Results per arXiv API request when pulling.")
    arxiv_categories: str = _setting(
        "", "Comma-separated arXiv categories the worker pulls, e.g. cs.LG,cs.CL; empty: none."
    )
    ingest_schedule: str = _setting(
        "30 20 * * 0-4",
        "When the worker pulls (cron, in DAILYPAPERS_SCHEDULE_TIMEZONE): by default half an"
        " hour after arXiv's 20:00 announcement, Sunday to Thursday.",
    )
    schedule_timezone: str = _setting(
        "America/New_York", "Time zone of DAILYPAPERS_INGEST_SCHEDULE."
    )
    # -- search (issue 4) --
    search_timeout_ms: int = _setting(
        300,
        "How long a search waits for the language model to embed the query before it answers"
        " with matching words alone.",
    )
    search_index_interval_s: float = _setting(
        30.0,
        "Seconds between search indexing runs (the word index caught up, then papers without"
        " vectors embedded in batches) in `dailypapers worker` and `dailypapers serve`;"
        " 0 turns them off.",
    )
    word_index_folder: str = _setting(
        lambda: str(Path(platformdirs.user_cache_dir("dailypapers")) / "word-indexes"),
        "On PostgreSQL, the folder where each host keeps its word index of the papers (a"
        " cache rebuilt from the database, a few GB at a million papers; the web workers and"
        " the job worker of one host share it). Empty: in memory, built by each process."
        " SQLite keeps its index beside the database file.",
        shown_default="/home/you/.cache/dailypapers/word-indexes",
    )
    # your feed: the background refit of each member's For you model
    recommendation_refit_interval_s: float = _setting(
        10.0,
        "Seconds between runs that refit the For you models of members whose upvotes, saves"
        ' or "not interested" changed, in `dailypapers worker` and `dailypapers serve`;'
        " 0 turns them off.",
    )
    search_index_seconds: float = _setting(
        20.0,
        "How long one search indexing run may embed before it yields until the next run.",
    )
    # -- mail and digests (issue 6) --
    smtp_host: str = _setting(
        "localhost", "SMTP server that sends the site's mail (digests, confirmations, resets)."
    )
    smtp_port: int = _setting(25, "Port of the SMTP server: 25, 587 with starttls, 465 with tls.")
    smtp_security: str = _setting(
        "none",
        "How the SMTP connection is secured: none, starttls (upgrade after connecting) or tls"
        " (TLS from the start). Certificates are verified against the system's CAs.",
    )
    smtp_user: str = _setting("", "User name to log in to the SMTP server with; empty: no login.")
    smtp_password: str = _setting("", "Password for DAILYPAPERS_SMTP_USER.")
    smtp_timeout_s: float = _setting(
        30.0, "Seconds to wait for the SMTP server; a timeout is a temporary failure."
    )
    mail_from: str = _setting(
        "Daily Papers <dailypapers@localhost>",
        "Sender of the site's mail: an address, or a name and <address>.",
    )
    mail_batch_size: int = _setting(
        100, "Messages a worker takes from the outbox at once, holding a lease on them."
    )
    mail_lease_s: float = _setting(
        300.0,
        "How long a worker's lease on the messages it took lasts; the messages of a worker"
        " that died go to another after this.",
    )
    mail_retry_s: float = _setting(
        60.0,
        "Wait before retrying a message the server put off (4xx, no connection); it doubles"
        " with each try, up to six hours.",
    )
    mail_give_up_s: float = _setting(
        345600.0, "Stop retrying a message this long after it was composed (4 days) and fail it."
    )
    mail_bounce_after: int = _setting(
        3,
        "Permanent refusals (5xx) of a message before it fails and its address is marked as"
        " bouncing (it gets no more mail).",
    )
    mail_poll_s: float = _setting(10.0, "How often the worker looks in the outbox for mail due.")
    serve_sends_mail: int = _setting(
        1,
        "1: `dailypapers serve` also sends the outbox (sign-up and reset links, confirmations,"
        " digests), so a site run as one process delivers its mail; 0: only `dailypapers"
        " worker` sends it.",
    )
    digest_daily_schedule: str = _setting(
        "0 7 * * 1-5",
        "When the worker composes the daily digest of the previous weekday (cron, in"
        " DAILYPAPERS_SCHEDULE_TIMEZONE).",
    )
    digest_weekly_schedule: str = _setting(
        "0 7 * * 1",
        "When the worker composes the weekly digest of the previous ISO week (cron, in"
        " DAILYPAPERS_SCHEDULE_TIMEZONE).",
    )
    subscription_expire_hours: float = _setting(
        48.0, "Hours an unconfirmed subscription and its link last before it is deleted."
    )
    # -- accounts and community (issue 5) --
    session_days: int = _setting(30, "Days a sign-in lasts before the member signs in again.")
    submit_policy: str = _setting(
        "signed_in",
        "Who may submit papers: signed_in (any member), members (of an organization) or admins.",
    )
    rate_limits: str = _setting(
        "",
        "Changes to the rate limits, comma-separated ACTION.SCOPE=COUNT/SECONDS (ACTION: signin,"
        " signup, reset, submit, comment, vote; SCOPE: account, ip, or for signin account_ip;"
        " COUNT 0: no limit), e.g."
        " signin.ip=100/300. The defaults are in docs/security.md.",
    )
    # -- many processes: jobs shared by several workers --
    job_lease_s: float = _setting(
        120.0,
        "How long a worker's lease on a scheduled job's run lasts (renewed while it runs);"
        " the run of a worker that died is taken over by another after this.",
    )

    # -- operations: the server, proxies, logs and metrics --
    forwarded_allow_ips: str = _setting(
        "",
        "Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto headers are believed:"
        " comma-separated addresses or networks (e.g. 127.0.0.1,10.0.0.0/8), * for any."
        " Empty: none, so a client's own address is the one rate limits count.",
    )
    header_timeout_s: float = _setting(
        10.0,
        "Seconds a client has to send a request's line and headers, from connecting or from"
        " the first byte of the next request; a slower one is cut off (408).",
    )
    keep_alive_timeout_s: int = _setting(
        5, "Seconds an idle keep-alive connection stays open between requests."
    )
    max_connections: int = _setting(
        1000,
        "Connections and requests one web process serves at once; past it new requests get"
        " 503 at once. 0: no limit.",
    )
    web_threads: int = _setting(
        4,
        "Threads one web process runs its database work on, besides the read lane that runs"
        " the listings, paper pages and the paper API one at a time (web/read_lane.py: the"
        " event loop on SQLite, one more thread on PostgreSQL). Few is faster:"
        " a thread takes Python's lock back for each row it reads, and forty (Starlette's"
        " default) queue on it.",
    )
    shutdown_timeout_s: int = _setting(
        30, "Seconds `serve` lets requests under way finish when told to stop."
    )
    log_format: str = _setting(
        "text",
        "How `serve` and `worker` write their logs: text, or json (one object a line, with"
        " the request id that is also sent back in the X-Request-ID header).",
    )
    metrics: str = _setting(
        "off",
        "on: the site answers Prometheus metrics at /metrics (keep that path off the public"
        " site at the reverse proxy, as deploy/Caddyfile does); off: it answers 404.",
    )
    worker_metrics_port: int = _setting(
        0,
        "Port on 127.0.0.1 where `dailypapers worker` serves its Prometheus metrics (jobs run"
        " and failed); 0: none.",
    )

    def __post_init__(self) -> None:
        for name, low, high in (
            ("port", 1, 65535),
            ("page_size", 1, 500),
            ("arxiv_page_size", 1, 2000),
        ):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{ENV_PREFIX}{name.upper()} must be between {low} and {high}")
        if not 1 <= self.search_timeout_ms <= 60_000:
            raise ValueError(f"{ENV_PREFIX}SEARCH_TIMEOUT_MS must be between 1 and 60000")
        for name in (
            "search_index_interval_s",
            "search_index_seconds",
            "recommendation_refit_interval_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{ENV_PREFIX}{name.upper()} cannot be negative")
        for name in ("cache_seconds", "http_timeout_s", "arxiv_delay_s", "job_lease_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{ENV_PREFIX}{name.upper()} cannot be negative")
        if not croniter.is_valid(self.ingest_schedule):
            raise ValueError(f"{ENV_PREFIX}INGEST_SCHEDULE is not a cron expression")
        try:
            ZoneInfo(self.schedule_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{ENV_PREFIX}SCHEDULE_TIMEZONE is not a time zone") from None
        _check_mail_settings(self)  # mail and digests (issue 6)
        _check_account_settings(self)  # accounts and community (issue 5)
        _check_operations_settings(self)  # operations: server, proxies, logs, metrics

    @property
    def categories(self) -> list[str]:
        """Return the arXiv categories the worker pulls."""
        return [part.strip() for part in self.arxiv_categories.split(",") if part.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from the environment; raise ValueError naming a bad one."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            variable = ENV_PREFIX + setting.name.upper()
            if variable not in environ:
                continue
            raw = environ[variable]
            kind = {"int": int, "float": float}.get(str(setting.type), str)
            try:
                values[setting.name] = kind(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r} is not a valid {kind.__name__}") from None
        values.update(overrides)
        return cls(**values)


# -- mail and digests (issue 6) ---------------------------------------------------------

SMTP_SECURITY_MODES = ("none", "starttls", "tls")


def _check_mail_settings(settings: Settings) -> None:
    """Refuse mail and digest settings that cannot work, naming the variable."""
    if settings.smtp_security not in SMTP_SECURITY_MODES:
        raise ValueError(f"{ENV_PREFIX}SMTP_SECURITY must be one of none, starttls, tls")
    for name, low, high in (
        ("smtp_port", 1, 65535),
        ("mail_batch_size", 1, 10_000),
        ("mail_bounce_after", 1, 100),
    ):
        if not low <= getattr(settings, name) <= high:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be between {low} and {high}")
    if settings.serve_sends_mail not in (0, 1):
        raise ValueError(f"{ENV_PREFIX}SERVE_SENDS_MAIL must be 0 or 1")
    for name in ("smtp_timeout_s", "mail_lease_s", "mail_retry_s", "mail_poll_s"):
        if getattr(settings, name) <= 0:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be positive")
    for name in ("mail_give_up_s", "subscription_expire_hours"):
        if getattr(settings, name) < 0:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} cannot be negative")
    for name in ("digest_daily_schedule", "digest_weekly_schedule"):
        if not croniter.is_valid(getattr(settings, name)):
            raise ValueError(f"{ENV_PREFIX}{name.upper()} is not a cron expression")
    if "@" not in parseaddr(settings.mail_from)[1]:
        raise ValueError(f"{ENV_PREFIX}MAIL_FROM has no address: write name@domain")


# -- accounts and community (issue 5) -----------------------------------------------------


def _check_account_settings(settings: Settings) -> None:
    """Refuse account settings that cannot work, naming the variable."""
    if not 1 <= settings.session_days <= 3650:
        raise ValueError(f"{ENV_PREFIX}SESSION_DAYS must be between 1 and 3650")
    if settings.submit_policy not in set(SubmitPolicy):
        raise ValueError(f"{ENV_PREFIX}SUBMIT_POLICY must be one of {', '.join(SubmitPolicy)}")
    try:
        parse_rate_limits(settings.rate_limits)
    except ValueError as error:
        raise ValueError(f"{ENV_PREFIX}RATE_LIMITS: {error}") from None


PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "dev", "development", "insecure"}


def load_secret_key(settings: Settings) -> bytes:
    """Return the signing key: the setting's, or one made once and kept on disk.

    A short or placeholder key is refused: it would let anyone forge sessions.
    """
    if settings.secret_key:
        if len(settings.secret_key) < 32 or settings.secret_key.lower() in PLACEHOLDER_SECRETS:
            raise ValueError(f"{ENV_PREFIX}SECRET_KEY must be a random string of 32+ characters")
        return settings.secret_key.encode()
    path = Path(platformdirs.user_data_dir("dailypapers")) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".secret_key.{os.getpid()}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        # Linking is atomic and refuses to replace: processes starting together agree.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    return path.read_text().strip().encode()


def describe_settings() -> list[tuple[str, str, str]]:
    """Return (environment variable, default, help) for every setting."""
    rows = []
    for setting in fields(Settings):
        default = setting.metadata.get("shown_default", setting.default)
        rows.append((ENV_PREFIX + setting.name.upper(), str(default), setting.metadata["help"]))
    return rows


# -- operations: the server, proxies, logs and metrics -------------------------------------

LOG_FORMATS = ("text", "json")


def _check_operations_settings(settings: Settings) -> None:
    """Refuse server, log and metrics settings that cannot work, naming the variable."""
    if settings.log_format not in LOG_FORMATS:
        raise ValueError(f"{ENV_PREFIX}LOG_FORMAT must be one of text, json")
    if settings.metrics not in ("on", "off"):
        raise ValueError(f"{ENV_PREFIX}METRICS must be on or off")
    for entry in trusted_proxies(settings):
        if entry != "*":
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{ENV_PREFIX}FORWARDED_ALLOW_IPS: {entry!r} is not an address or network"
                ) from None
    if settings.header_timeout_s <= 0:
        raise ValueError(f"{ENV_PREFIX}HEADER_TIMEOUT_S must be positive")
    for name, low, high in (
        ("keep_alive_timeout_s", 1, 3600),
        ("max_connections", 0, 1_000_000),
        ("web_threads", 1, 1000),
        ("shutdown_timeout_s", 0, 3600),
        ("worker_metrics_port", 0, 65535),
    ):
        if not low <= getattr(settings, name) <= high:
            raise ValueError(f"{ENV_PREFIX}{name.upper()} must be between {low} and {high}")


def trusted_proxies(settings: Settings) -> list[str]:
    """Return the addresses and networks whose forwarding headers are believed."""
    return [part.strip() for part in settings.forwarded_allow_ips.split(",") if part.strip()]
