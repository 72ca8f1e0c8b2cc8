"""Author names folded for matching: accents, case and punctuation set aside."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Letters that Unicode does not decompose into a base letter and a mark, so NFKD alone
# would keep "Łukasz" apart from "Lukasz". Scripts without Latin letters are kept as they
# are: transliterating them (as anyascii would) merges different names that sound alike.
_UNDECOMPOSED = str.maketrans(
    {
        "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ð": "d", "Ð": "d",
        "þ": "th", "Þ": "th", "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
        "ı": "i", "ħ": "h", "Ħ": "h", "ŀ": "l", "Ŀ": "l",
    }
)  # fmt: skip
_APOSTROPHES = re.compile(r"['’ʼ`´]")
_NOT_A_LETTER = re.compile(r"[\W_]+")
# Generational suffixes are not family names: "Martin Luther King Jr." is found as "king".
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
MAX_NAME_LENGTH = 200


def normalize_author_name(name: str) -> str:
    """Return the name folded for matching: "Łukasz  Kaiser" and "lukasz kaiser" agree."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_UNDECOMPOSED))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NOT_A_LETTER.sub(" ", _APOSTROPHES.sub("", bare)).casefold().split()
    return " ".join(words)[:MAX_NAME_LENGTH]


def family_name(normalized: str) -> str:
    """Return the last word of a folded name that is not a generational suffix."""
    words = normalized.split()
    while len(words) > 1 and words[-1] in _SUFFIXES:
        words.pop()
    return words[-1] if words else ""


@dataclass(frozen=True, slots=True)
class PaperAuthor:
    """One author of one paper, as the name index holds it."""

    paper_id: str
    position: int
    name: str
    normalized: str
    family: str


def author_keys(name: str) -> tuple[str, str] | None:
    """Return what an author's name is indexed under: the folded name and the family name;
    None for a name that folds to nothing."""
    normalized = normalize_author_name(name)
    return (normalized, family_name(normalized)) if normalized else None


def filter_keys(value: str) -> tuple[str, str | None]:
    """Return what `author:value` matches: a folded whole name, and the family name it is
    when it is one word (None when it is a whole name)."""
    normalized = normalize_author_name(value)
    return normalized, None if " " in normalized else family_name(normalized)


def paper_authors(paper_id: str, names: tuple[str, ...]) -> list[PaperAuthor]:
    """Return the index rows of a paper's authors (names that fold to nothing are left out)."""
    rows = []
    for position, name in enumerate(names):
        if keys := author_keys(name):
            rows.append(PaperAuthor(paper_id, position, name, *keys))
    return rows


@dataclass(frozen=True, slots=True)
class ClaimedAuthor:
    """A member recognized by the admins as the author of a paper under this name."""

    paper_id: str
    normalized: str
    username: str
    fullname: str
