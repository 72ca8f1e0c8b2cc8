"""Cut an excerpt around the words a query matched, marking them.

The lexical indexes stem words (Porter), so "models" matches a query for "model";
highlighting follows with a light suffix-stripping stem, which agrees with Porter on
the plurals and verb forms that make up almost all such matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ness", "ies", "ied", "ers", "er", "es", "ed", "s")

Segment = tuple[str, bool]  # a piece of text, and whether it is a matched word


def light_stem(word: str) -> str:
    """Strip one common English suffix from a lower-cased word, keeping a 3-letter stem."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            stem = word[: -len(suffix)]
            return stem + "y" if suffix in ("ies", "ied") else stem
    return word


def matched_words(text: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Yield where the words of text whose light stem is among stems start and end, in order
    (as they are found: an excerpt stops reading at its end)."""
    stems = frozenset(stem for stem in stems if _TOKEN.fullmatch(stem))  # others match no word
    if not stems:
        return
    lowered = text.lower()
    if len(lowered) != len(text):  # a few letters lower into two: positions would shift
        for m in _TOKEN.finditer(text):
            if light_stem(m[0].lower()) in stems:
                yield m.start(), m.end()
        return
    # Stemming every word of every abstract was most of a results page's highlighting: the
    # pattern finds, in one pass, only the words that begin like a stem, and those are checked.
    for m in _candidates(stems).finditer(lowered):
        if light_stem(m[0]) in stems:
            yield m.start(), m.end()


@lru_cache(maxsize=256)
def _candidates(stems: frozenset[str]) -> re.Pattern[str]:
    """Return a pattern for whole words that start as one of the stems (or a -y stem less y)."""
    prefixes = {stem[:-1] if stem.endswith("y") else stem for stem in stems}
    alternatives = "|".join(re.escape(prefix) for prefix in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.UNICODE)


def highlight_excerpt(text: str, terms: Iterable[str], limit: int = 280) -> list[Segment]:
    """Return an excerpt of about `limit` characters around the first match, as segments."""
    flat = " ".join(text.split())  # each run of spaces one space (str.split: 3x a regex)
    matches = matched_words(flat, frozenset(light_stem(term.lower()) for term in terms if term))
    first = next(matches, None)
    start = 0
    if first is not None and len(flat) > limit and first[0] > limit // 3:
        # Start a little before the first match, so it reads in context, on a word boundary.
        start = flat.rfind(" ", 0, max(first[0] - limit // 6, 0)) + 1
    end = len(flat)
    if end - start > limit:
        end = flat.rfind(" ", start, start + limit)
        if end <= start:
            end = start + limit
    segments: list[Segment] = []
    if start > 0:
        segments.append(("…", False))
    cursor = start
    for match_start, match_end in chain([first] if first else [], matches):
        if match_end > end:  # this match and every later one are past the excerpt
            break
        if match_start > cursor:
            segments.append((flat[cursor:match_start], False))
        segments.append((flat[match_start:match_end], True))
        cursor = match_end
    if cursor < end:
        segments.append(
            (flat[cursor:end].rstrip(",.;:") if end < len(flat) else flat[cursor:end], False)
        )
    if end < len(flat):
        segments.append(("…", False))
    return [segment for segment in segments if segment[0]]
