"""Read what a reader typed into the search box: words, phrases, exclusions and filters.

The syntax (also explained on the site's `/search/help` page):

    diffusion transformer          papers about either word, both ranked higher
    "flow matching"                the exact phrase must appear
    -survey                        no paper that mentions the word
    author:"Yann LeCun"            an author of this name; one word names a family (lecun);
                                   accents and case aside (Łukasz = lukasz)
    cat:cs.CL                      arXiv category (repeat for any of several)
    org:meta                       featured for this organization
    after:2024-06  before:2025     published on or after / before a year, month or day
    has:code                       the paper links a code repository

An arXiv id or URL on its own finds that paper. Anything the parser does not
recognise (an unknown `field:`, stray quotes or operators) counts as plain words,
so no query is ever a syntax error except a filter whose value cannot be read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from dailypapers.domain.arxiv_ids import normalize_arxiv_id

MAX_QUERY_CHARS = 4000  # a pasted abstract fits; anything longer is cut, not refused
MAX_RANKED_TERMS = (
    48  # words ranked lexically; a pasted abstract has more, the vector side reads all
)

# Common English words that say nothing about a paper, and arXiv boilerplate that every
# abstract says: ranking by them only adds noise and cost.
_STOPWORD_LIST = """
    a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves via per using use used based show shows shown paper propose
    proposed present presents approach method methods new novel results result work
"""
STOPWORDS = frozenset(_STOPWORD_LIST.split())

_WORD = re.compile(r"\w+", re.UNICODE)
_SPACES = re.compile(r"\s+")
_TOKEN = re.compile(
    r"""
    (?P<negated>-)?
    (?:
        (?P<field>[A-Za-z]+):(?:"(?P<quoted_value>[^"]*)"?|(?P<value>[^\s"]+))
      | "(?P<phrase>[^"]*)"?
      | (?P<word>[^\s"]+)
    )
    """,
    re.VERBOSE,
)
_FIELDS = {"author", "cat", "category", "org", "before", "after", "has"}
_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$", re.IGNORECASE)


class QueryError(ValueError):
    """A filter in the query has a value that cannot be read; the message says which."""


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Conditions a paper must meet to be a result, whatever its rank."""

    authors: tuple[str, ...] = ()  # each must appear among the paper's authors
    categories: tuple[str, ...] = ()  # any of them
    organizations: tuple[str, ...] = ()  # any of them
    after: date | None = None  # published on or after
    before: date | None = None  # published strictly before
    has_code: bool = False

    def __bool__(self) -> bool:
        """Tell whether any condition is set."""
        return bool(
            self.authors
            or self.categories
            or self.organizations
            or self.after
            or self.before
            or self.has_code
        )

    def merged(self, other: SearchFilters) -> SearchFilters:
        """Return the conditions of both (form controls added to the typed query)."""
        return SearchFilters(
            authors=_unique(self.authors + other.authors),
            categories=_unique(self.categories + other.categories),
            organizations=_unique(self.organizations + other.organizations),
            after=max(filter(None, (self.after, other.after)), default=None),
            before=min(filter(None, (self.before, other.before)), default=None),
            has_code=self.has_code or other.has_code,
        )


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A parsed query: what to rank by, what must or must not appear, and filters."""

    raw: str
    text: str = ""  # the words and phrases, without operators: what the embedder reads
    terms: tuple[str, ...] = ()  # lower-cased words ranked lexically, stopwords left out
    phrases: tuple[str, ...] = ()  # each must appear as written (lower-cased)
    excluded: tuple[str, ...] = ()  # words or phrases no result may contain
    filters: SearchFilters = field(default_factory=SearchFilters)
    arxiv_id: str | None = None  # set when the whole query is an arXiv id or URL

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to rank by (filters alone do not rank)."""
        return not (self.terms or self.phrases or self.arxiv_id)

    @property
    def highlight_terms(self) -> tuple[str, ...]:
        """Return the words a result's excerpt should mark."""
        words = list(self.terms)
        for phrase in self.phrases:
            words.extend(word for word in words_of(phrase) if word not in STOPWORDS)
        return _unique(tuple(words))

    def with_filters(self, filters: SearchFilters) -> SearchQuery:
        """Return the query with these filters added to its own."""
        return replace(self, filters=self.filters.merged(filters))


def every_word(query: SearchQuery) -> SearchQuery:
    """Return the query with each of its words required: what a saved search matches.

    A search page ranks papers having any of the words; alerts and followed searches list
    papers having all of them, or "diffusion models" would match every model.
    """
    return replace(query, terms=(), phrases=query.phrases + query.terms)


def words_of(text: str) -> list[str]:
    """Split text into lower-cased words, the way the query side sees them."""
    return _WORD.findall(text.lower())


def parse_query(raw: str) -> SearchQuery:
    """Parse a query string; raise QueryError for a filter value that cannot be read."""
    raw = raw[:MAX_QUERY_CHARS].replace("\x00", " ")
    stripped = _SPACES.sub(" ", raw).strip()
    if not stripped:
        return SearchQuery(raw=raw)
    try:
        return SearchQuery(raw=raw, text=stripped, arxiv_id=normalize_arxiv_id(stripped))
    except ValueError:
        pass
    text_parts: list[str] = []
    phrases: list[str] = []
    excluded: list[str] = []
    authors: list[str] = []
    categories: list[str] = []
    organizations: list[str] = []
    after: date | None = None
    before: date | None = None
    has_code = False
    for match in _TOKEN.finditer(stripped):
        negated = bool(match["negated"])
        name = (match["field"] or "").lower()
        if name in _FIELDS:
            value = match["quoted_value"] if match["quoted_value"] is not None else match["value"]
            value = _SPACES.sub(" ", value or "").strip()
            if not value:
                continue
            if name == "author":
                authors.append(value)
            elif name in ("cat", "category"):
                if not _CATEGORY.match(value):
                    raise QueryError(f"cat: expects an arXiv category such as cs.CL, not {value!r}")
                categories.append(value)
            elif name == "org":
                organizations.append(value)
            elif name == "after":
                after = parse_date_bound(value, name)
            elif name == "before":
                before = parse_date_bound(value, name)
            elif value.lower() == "code":
                has_code = True
            else:
                raise QueryError(f"has: knows only has:code, not has:{value}")
            continue
        if match["phrase"] is not None:
            phrase = " ".join(words_of(match["phrase"]))
            if not phrase:
                continue
            (excluded if negated else phrases).append(phrase)
            if not negated:
                text_parts.append(match["phrase"].strip())
            continue
        # A plain word, or a `field:value` with an unknown field: its words count as text.
        token = match[0].lstrip("-") if negated else match[0]
        words = words_of(token)
        if negated and words:
            excluded.append(" ".join(words))
        elif words:
            text_parts.append(token)
    terms = _unique(
        tuple(word for part in text_parts for word in words_of(part) if word not in STOPWORDS)
    )
    return SearchQuery(
        raw=raw,
        text=" ".join(text_parts),
        terms=terms[:MAX_RANKED_TERMS],
        phrases=_unique(tuple(phrases)),
        excluded=_unique(tuple(excluded)),
        filters=SearchFilters(
            authors=_unique(tuple(authors)),
            categories=_unique(tuple(categories)),
            organizations=_unique(tuple(organizations)),
            after=after,
            before=before,
            has_code=has_code,
        ),
    )


def parse_date_bound(value: str, name: str) -> date:
    """Read YYYY, YYYY-MM or YYYY-MM-DD as the first day it names."""
    parts = value.strip().split("-")
    try:
        if len(parts) == 1 and len(parts[0]) == 4:
            return date(int(parts[0]), 1, 1)
        if len(parts) == 2 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), 1)
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        pass
    raise QueryError(f"{name}: expects a date such as 2024, 2024-06 or 2024-06-30, not {value!r}")


def normalize_title(text: str) -> str:
    """Return a title in the form exact-title matching compares: lower case, single spaces."""
    return _SPACES.sub(" ", text).strip().rstrip(".").lower()


def _unique(items: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
