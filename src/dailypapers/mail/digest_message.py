"""Write digest messages: multipart HTML and plain text, with one-click unsubscribe headers.

A period's digests share their papers, so each paper is rendered once (HTML and text)
and every reader's message joins the blocks it needs. The MIME structure is written
here rather than by email.message, whose pure-Python quoted-printable encoder would
cost more than everything else together at a hundred thousand readers.
"""

from __future__ import annotations

import binascii
import functools
import secrets
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dailypapers.domain.digests import DigestPlan
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.periods import Period, PeriodKind
from dailypapers.domain.subscriptions import Frequency
from dailypapers.domain.text import excerpt

EXCERPT_CHARACTERS = 280
TEXT_WIDTH = 72
MAX_AUTHORS_SHOWN = 4


@functools.cache  # one environment, so each template is compiled once per process
def mail_templates() -> Environment:
    """Return the Jinja environment of the mail templates, autoescaping HTML."""
    return Environment(
        loader=PackageLoader("dailypapers.mail", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


@dataclass(frozen=True, slots=True)
class Recipient:
    """What differs between two readers' copies of the same papers."""

    email: str
    frequency: Frequency
    manage_url: str
    unsubscribe_url: str  # the page with the button, linked at the foot of the message
    one_click_url: str  # https, POSTed to by mail clients (List-Unsubscribe, RFC 8058)


@dataclass(frozen=True, slots=True)
class DigestBodies:
    """A digest's subject and its two renderings."""

    subject: str
    text: str
    html: str


def byline(item: FeaturedPaper) -> str:
    """Return who wrote the paper, shortened, and for which organization."""
    authors = [name for name in item.paper.authors if name.strip()]
    names = ", ".join(authors[:MAX_AUTHORS_SHOWN])
    if len(authors) > MAX_AUTHORS_SHOWN:
        names += f" and {len(authors) - MAX_AUTHORS_SHOWN} more"
    organization = item.organization.fullname if item.organization else None
    organization = organization or (item.entry.organization if item.entry else None)
    return " · ".join(part for part in (names, organization) if part) or "Unknown authors"


class DigestWriter:
    """Writes the digest messages of one period for any number of readers."""

    def __init__(
        self,
        *,
        site_name: str,
        site_url: str,
        mail_from: str,
        period: Period,
        papers: Mapping[str, FeaturedPaper],
        templates: Environment | None = None,
    ) -> None:
        self.site_name = site_name
        self.site_url = site_url.rstrip("/")
        self.mail_from = mail_from
        self.period = period
        self.papers = papers
        self.templates = templates or mail_templates()
        self._page = self.templates.get_template("digest.html")
        self._text_page = self.templates.get_template("digest.txt")
        self._paper_block = self.templates.get_template("paper.html")
        self._html_blocks: dict[str, Markup] = {}
        self._text_blocks: dict[str, str] = {}
        self._folded_lines: dict[tuple[str, str], str] = {}
        self._sender_lines = self._folded("From", mail_from) + self._folded(
            "List-Id", f"{site_name} digest <digest.{_host(self.site_url)}>"
        )

    def _folded(self, name: str, value: str) -> str:
        """Return a header line as sent: folded, and encoded where not ASCII."""
        if value.isascii() and len(name) + len(value) < 76 and "\n" not in value:
            return f"{name}: {value}\r\n"  # nothing to fold or encode
        line = self._folded_lines.get((name, value))
        if line is None:
            if len(self._folded_lines) > 100_000:  # a bound, though a period has few subjects
                self._folded_lines.clear()
            header = SMTP_POLICY.header_factory(name, value)
            line = self._folded_lines[(name, value)] = header.fold(policy=SMTP_POLICY)
        return line

    # -- the bodies ------------------------------------------------------------------------

    def bodies(self, plan: DigestPlan, recipient: Recipient) -> DigestBodies:
        """Render a reader's digest as a subject, plain text and HTML."""
        first = self.papers[plan.paper_ids[0]].paper.title if plan.paper_ids else ""
        count = len(plan.paper_ids)
        title = (
            f"Papers of {self.period.title}"
            if self.period.kind is PeriodKind.DAY
            else f"Papers of the week ({self.period.title})"
        )
        context = {
            "site_name": self.site_name,
            "site_url": self.site_url,
            "period_url": f"{self.site_url}{self.period.path}",
            "title": title,
            "intro": f"{count} paper{'s' if count != 1 else ''} picked for you.",
            "frequency": recipient.frequency.value,
            "email": recipient.email,
            "manage_url": recipient.manage_url,
            "unsubscribe_url": recipient.unsubscribe_url,
        }
        html = self._page.render(
            subject=title,
            preheader=first,
            sections=[
                (section.heading, [self._html_block(paper_id) for paper_id in section.paper_ids])
                for section in plan.sections
            ],
            **context,
        )
        text = self._text_page.render(
            sections=[
                (section.heading, [self._text_block(paper_id) for paper_id in section.paper_ids])
                for section in plan.sections
            ],
            **context,
        )
        subject = f"{self.site_name} · {self.period.title}: {first}"
        if count > 1:
            subject += f" (+{count - 1} more)"
        return DigestBodies(subject, text, html)

    def _html_block(self, paper_id: str) -> Markup:
        """Return a paper's HTML block, rendered once per period."""
        block = self._html_blocks.get(paper_id)
        if block is None:
            item = self.papers[paper_id]
            block = self._html_blocks[paper_id] = Markup(
                self._paper_block.render(
                    paper=item.paper,
                    paper_url=f"{self.site_url}/papers/{paper_id}",
                    byline=byline(item),
                    summary=excerpt(item.paper.abstract, EXCERPT_CHARACTERS),
                )
            )
        return block

    def _text_block(self, paper_id: str) -> str:
        """Return a paper's plain-text block, written once per period."""
        block = self._text_blocks.get(paper_id)
        if block is None:
            item = self.papers[paper_id]
            paper = item.paper
            counts = f"{paper.upvotes} upvote{'' if paper.upvotes == 1 else 's'}"
            # The comments a reader can open on the site, as the site's pages count them.
            if paper.local_comments:
                comments = paper.local_comments
                counts += f", {comments} comment{'' if comments == 1 else 's'}"
            lines = _wrap(paper.title, first="* ")
            lines += _wrap(f"{byline(item)} · {counts}")
            lines += _wrap(excerpt(paper.abstract, EXCERPT_CHARACTERS))
            lines.append(f"  {self.site_url}/papers/{paper_id}")
            block = self._text_blocks[paper_id] = "\n".join(lines)
        return block

    # -- the message -------------------------------------------------------------------------

    def message(
        self, plan: DigestPlan, recipient: Recipient, *, message_id: str, date: datetime
    ) -> bytes:
        """Return the reader's whole message, ready for SMTP (CRLF line ends, 7-bit)."""
        bodies = self.bodies(plan, recipient)
        boundary = f"=_dailypapers_{secrets.token_hex(12)}"
        # Headers with words for people are folded and RFC 2047-encoded as needed; the
        # same few values recur across readers, so each is folded once.
        head = self._sender_lines + self._folded("Subject", bodies.subject)
        head += self._folded("To", recipient.email)
        # The rest are ASCII, and a URL must stay whole on its line (RFC 5322 allows 998).
        head += (
            f"Date: {format_datetime(date)}\r\n"
            f"Message-ID: {message_id}\r\n"
            f"List-Unsubscribe: <{recipient.one_click_url}>\r\n"
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
            "Auto-Submitted: auto-generated\r\n"  # RFC 3834: no vacation replies, please
            "Precedence: bulk\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
        )
        parts = [
            head.encode("ascii"),
            b"\r\n",
            b"This is a message in two formats, plain text and HTML.\r\n",
            *_part(boundary, "text/plain", bodies.text),
            *_part(boundary, "text/html", bodies.html),
            f"--{boundary}--\r\n".encode("ascii"),
        ]
        return b"".join(parts)


def _wrap(text: str, *, first: str = "  ") -> list[str]:
    """Wrap a paragraph of the plain-text digest, indented under its bullet."""
    return textwrap.wrap(
        text, TEXT_WIDTH, initial_indent=first, subsequent_indent="  ", break_on_hyphens=False
    )


def _part(boundary: str, content_type: str, body: str) -> Sequence[bytes]:
    """Return one quoted-printable UTF-8 part of a multipart message."""
    encoded = binascii.b2a_qp(body.encode("utf-8"), quotetabs=False, istext=True)
    return (
        f'--{boundary}\r\nContent-Type: {content_type}; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n".encode("ascii"),
        encoded.replace(b"\n", b"\r\n"),
        b"\r\n",
    )


def _host(url: str) -> str:
    """Return the host of a URL, for naming the list."""
    return url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
