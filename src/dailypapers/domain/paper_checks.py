"""Bounds on what one paper's record may hold, so a corrupt source cannot fill the database."""

from __future__ import annotations

from dailypapers.domain.papers import PaperRecord

# Generous next to real papers (arXiv caps abstracts at 1,920 characters; the most authors on
# one paper is about 5,200), tight enough that one bad record cannot swamp pages or storage.
MAX_TITLE_LENGTH = 1_000
MAX_ABSTRACT_LENGTH = 20_000
MAX_AUTHORS = 10_000
MAX_AUTHOR_NAME_LENGTH = 1_000  # arXiv listings hold names of 500 characters
MAX_CATEGORIES = 50
MAX_CATEGORY_LENGTH = 300  # arXiv listings carry ACM class lists of 150 characters
MAX_KEYWORDS = 200
MAX_KEYWORD_LENGTH = 200
MAX_NOTE_LENGTH = 20_000  # arXiv's comment and the AI summary
MAX_LINK_LENGTH = 2_000
MAX_NAME_LENGTH = 300  # organizations and submitters
MAX_COUNT = 1_000_000_000  # upvotes, comments, stars: far below what a 64-bit column holds
MAX_VERSION = 10_000


class InvalidPaper(ValueError):
    """A paper's record breaks a bound: which field, and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


def check_record(record: PaperRecord) -> PaperRecord:
    """Return the record if every field is within bounds; raise InvalidPaper naming the first."""
    paper = record.paper
    _text("title", paper.title, MAX_TITLE_LENGTH)
    _text("abstract", paper.abstract, MAX_ABSTRACT_LENGTH)
    _many("authors", paper.authors, MAX_AUTHORS, MAX_AUTHOR_NAME_LENGTH)
    _many("categories", paper.categories, MAX_CATEGORIES, MAX_CATEGORY_LENGTH)
    _many("ai_keywords", paper.ai_keywords, MAX_KEYWORDS, MAX_KEYWORD_LENGTH)
    for field, note in (("arxiv_comment", paper.arxiv_comment), ("ai_summary", paper.ai_summary)):
        _text(field, note, MAX_NOTE_LENGTH)
    for field, link in (("github_repo", paper.github_repo), ("project_page", paper.project_page)):
        _text(field, link, MAX_LINK_LENGTH)
    _count("upvotes", paper.upvotes, MAX_COUNT)
    _count("num_comments", paper.num_comments, MAX_COUNT)
    _count("github_stars", paper.github_stars, MAX_COUNT)
    _count("version", paper.version, MAX_VERSION)
    if record.organization is not None:
        _text("organization.name", record.organization.name, MAX_NAME_LENGTH)
        _text("organization.fullname", record.organization.fullname, MAX_NAME_LENGTH)
        _text("organization.avatar_url", record.organization.avatar_url, MAX_LINK_LENGTH)
    if record.entry is not None:
        _text("submitted_by", record.entry.submitted_by, MAX_NAME_LENGTH)
    return record


def _text(field: str, value: str | None, limit: int) -> None:
    """Refuse text longer than the limit, or text no database can store."""
    if value is None:
        return
    if len(value) > limit:
        raise InvalidPaper(field, f"{len(value):,} characters, more than the {limit:,} allowed")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            # JSON can spell half of a surrogate pair (\ud800); no database can store it.
            code = ord(value[error.start])
            raise InvalidPaper(
                field, f"not Unicode text: a lone surrogate U+{code:04X} at character {error.start}"
            ) from None


def _many(field: str, values: tuple[str, ...], most: int, limit: int) -> None:
    """Refuse more values than `most`, or any value _text refuses."""
    if len(values) > most:
        raise InvalidPaper(field, f"{len(values):,} of them, more than the {most:,} allowed")
    for index, value in enumerate(values):
        _text(f"{field}[{index}]", value, limit)


def _count(field: str, value: int | None, most: int) -> None:
    """Refuse a count below 0 or above `most`, naming huge ones by their digits."""
    if value is not None and not 0 <= value <= most:
        digits = len(str(abs(value)))
        shown = str(value) if digits < 30 else f"a number of {digits:,} digits"
        raise InvalidPaper(field, f"{shown} is not a count between 0 and {most:,}")
