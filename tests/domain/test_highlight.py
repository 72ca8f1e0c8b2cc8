"""Excerpts around matched words, with the words marked."""

from dailypapers.domain.highlight import highlight_excerpt, light_stem

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
