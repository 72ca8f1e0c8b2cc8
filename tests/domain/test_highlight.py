"""Excerpts around matched words, with the words marked."""

import gzip
import itertools
import json
import random
import re
from pathlib import Path

from dailypapers.domain.highlight import highlight_excerpt, light_stem, matched_words

ABSTRACT = (
    "We study how large language models reason. " * 8
    + "Our diffusion transformer generates videos from text prompts, and diffusion helps."
)


def test_stems_match_plurals_and_verb_forms():
    assert light_stem("models") == light_stem("model")
    assert light_stem("studies") == light_stem("study")
    assert light_stem("generated") == light_stem("generating")
    assert (light_stem("models"), light_stem("studies"), light_stem("modeling")) == (
        "model",
        "study",
        "model",
    )


def test_stems_keep_different_words_apart_and_short_stems_whole():
    assert light_stem("model") != light_stem("modem")
    assert light_stem("modem") == "modem"  # no suffix to strip
    assert light_stem("used") == "used"  # "us" would be shorter than three letters
    assert light_stem("bus") == "bus"


def test_the_excerpt_starts_near_the_first_match_and_marks_every_match():
    segments = highlight_excerpt(ABSTRACT, ["diffusion", "video"], limit=120)
    text = "".join(piece for piece, _ in segments)
    marked = [piece for piece, hit in segments if hit]
    assert text.startswith("…") and "diffusion transformer" in text.lower()
    assert marked[:2] == ["diffusion", "videos"]
    assert len(text) <= 125


def test_without_matches_the_excerpt_is_the_beginning():
    segments = highlight_excerpt(ABSTRACT, ["quantum"], limit=60)
    assert not any(hit for _, hit in segments)
    assert segments[0][0].startswith("We study") and segments[-1] == ("…", False)


def test_short_text_and_no_terms():
    assert highlight_excerpt("Short.", []) == [("Short.", False)]
    assert highlight_excerpt("", ["x"]) == []


def _reference_matches(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Stem every word, the plain way: what the faster search must agree with."""
    stems = {light_stem(term.lower()) for term in terms if term}
    return [
        (m.start(), m.end()) for m in re.finditer(r"\w+", text) if light_stem(m[0].lower()) in stems
    ]


def test_the_fast_match_finds_exactly_the_words_stemming_every_word_finds(
    shared_data: Path,
) -> None:
    """Over real abstracts and terms drawn from them (plus odd ones), the same words."""
    rng = random.Random(5)
    path = shared_data / "hf_daily_papers" / "hf_daily_papers_2024-05-27_to_2026-08-21.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        abstracts = [
            " ".join(str(json.loads(line)["paper"]["summary"]).split())
            for line in itertools.islice(lines, 400)
        ]
    odd = ["studies", "y", "a", "gpt-4", "İstanbul", "ΣΊΣΥΦΟΣ", "naïve", "_", "x2", "ies"]
    compared = 0
    for abstract in [*abstracts, "İstanbul ΣΊΣΥΦΟΣ gpt-4 studied a_b naïvety", ""]:
        words = re.findall(r"\w+", abstract) or ["none"]
        terms = [rng.choice(words) for _ in range(rng.randint(1, 4))] + rng.sample(odd, 2)
        found = list(matched_words(abstract, frozenset(light_stem(t.lower()) for t in terms if t)))
        assert found == _reference_matches(abstract, terms), (abstract[:80], terms)
        compared += len(found)
    assert compared > 1000  # the comparison saw many matches, not only empty lists
