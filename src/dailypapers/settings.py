"""Every setting of the site, declared once: name, default and help.

Each field reads from the environment variable DAILYPAPERS_<NAME>. The same
declaration feeds `dailypapers settings`, docs/settings.md and validation.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from croniter import croniter

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

    def __post_init__(self) -> None:
        for name, low, high in (
            ("port", 1, 65535),
            ("page_size", 1, 500),
            ("arxiv_page_size", 1, 2000),
        ):
            if not low <= getattr(self, name) <= high:
                raise ValueError(f"{ENV_PREFIX}{name.upper()} must be between {low} and {high}")
        for name in ("cache_seconds", "http_timeout_s", "arxiv_delay_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{ENV_PREFIX}{name.upper()} cannot be negative")
        if not croniter.is_valid(self.ingest_schedule):
            raise ValueError(f"{ENV_PREFIX}INGEST_SCHEDULE is not a cron expression")
        try:
            ZoneInfo(self.schedule_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{ENV_PREFIX}SCHEDULE_TIMEZONE is not a time zone") from None

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
