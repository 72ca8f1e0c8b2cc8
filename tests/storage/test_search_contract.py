"""The search part of the storage contract, on SQLite and on PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from dailypapers.domain.papers import DailyEntry, Organization, Paper
from dailypapers.domain.search_query import SearchFilters, parse_query
from dailypapers.storage import Storage, open_storage

MODEL = "test-model"
NOW = datetime(2024, 3, 3, tzinfo=UTC)
# The fixture features 2403.00003; the others follow newest first.
EMBEDDING_ORDER = ["2403.00003", "2404.00004", "2402.00002", "2401.00001"]

PAPERS = [
    Paper(
        id="2401.00001",
        title="Diffusion Transformers for Video Generation",
        abstract="We scale diffusion models with transformer backbones to generate videos.",
        authors=("Ada Lovelace", "Alan Turing"),
        categories=("cs.CV", "cs.LG"),
        published_at=datetime(2024, 1, 10, 12, tzinfo=UTC),
        github_repo="https://github.com/example/dit",
    ),
    Paper(
        id="2402.00002",
        title="Flow Matching for Generative Modeling",
        abstract="Flow matching trains continuous normalizing flows without simulation.",
        authors=("Grace Hopper",),
        categories=("cs.LG",),
        published_at=datetime(2024, 2, 20, 23, 30, tzinfo=UTC),
    ),
    Paper(
        id="2403.00003",
        title="A Survey of Large Language Models",
        abstract="This survey reviews large language models, their training and evaluation.",
        authors=("Alan Turing",),
        categories=("cs.CL",),
        published_at=datetime(2024, 3, 1, 0, 0, tzinfo=UTC),
    ),
    Paper(
        id="2404.00004",
        title="Reasoning Agents",
        abstract="Language agents that reason with tools; a survey is not what this is.",
        authors=("Barbara Liskov",),
        categories=("cs.AI", "cs.CL"),
        published_at=None,
    ),
]


@pytest.fixture
def storage(storage: Storage) -> Storage:
    """Return a migrated storage on each backend, holding the four papers."""
    with storage.transaction():
        storage.save_organizations([Organization("meta", "Meta AI")])
        storage.save_papers(PAPERS)
        storage.save_entries(
            [
                DailyEntry(
                    "2403.00003", date(2024, 3, 2), datetime(2024, 3, 2, tzinfo=UTC), None, "meta"
                )
            ]
        )
    return storage


def lexical(storage: Storage, text: str, **kwargs: object) -> list[str]:
    return storage.search_lexical(parse_query(text), limit=10, **kwargs)  # type: ignore[arg-type]


def test_words_match_with_stemming_and_the_title_counts_most(storage):
    assert lexical(storage, "diffusion") == ["2401.00001"]
    assert lexical(storage, "generating video")[0] == "2401.00001"  # stems: generate, videos
    assert set(lexical(storage, "language")) == {"2403.00003", "2404.00004"}
    assert lexical(storage, "turing") and set(lexical(storage, "turing")) == {
        "2401.00001",
        "2403.00003",
    }


@pytest.mark.parametrize("text", ["language models", "diffusion video", "flow", "cat:cs.LG"])
def test_scored_matches_are_the_same_papers_best_first(storage, text):
    # Hybrid search mixes these scores with the vectors': they must follow the ranking.
    query = parse_query(text)
    scored = storage.search_lexical_scored(query, limit=10)
    assert [match.paper_id for match in scored] == storage.search_lexical(query, limit=10)
    scores = [match.score for match in scored]
    assert scored and scores == sorted(scores, reverse=True)
    if query.terms:  # filters alone match without a score
        assert scores[-1] > 0
    else:
        assert set(scores) == {0.0}


def test_phrases_are_required_and_exclusions_drop(storage):
    assert lexical(storage, '"flow matching"') == ["2402.00002"]
    assert lexical(storage, '"matching flow"') == []
    assert lexical(storage, "language -survey") == []  # both mention a survey
    assert lexical(storage, 'language -"large language"') == ["2404.00004"]


def test_filters(storage):
    assert lexical(storage, "language cat:cs.AI") == ["2404.00004"]
    assert set(lexical(storage, "cat:cs")) == {p.id for p in PAPERS}
    assert lexical(storage, "models author:lovelace") == ["2401.00001"]
    assert lexical(storage, "language org:meta") == ["2403.00003"]
    assert lexical(storage, 'language org:"meta ai"') == ["2403.00003"]
    assert lexical(storage, "generative has:code") == ["2401.00001"]
    # Bounds are UTC days, whatever the database session's time zone.
    assert lexical(storage, "after:2024-02-20 before:2024-03-01") == ["2402.00002"]
    assert lexical(storage, "after:2024-03-01") == ["2403.00003"]
    assert lexical(storage, "cat:cs.LG") == ["2402.00002", "2401.00001"]  # newest first


def test_author_filters_alone_list_the_papers_newest_first(storage):
    # Read from the name index, as the database lists filters alone: by date, then id.
    more = [
        replace(PAPERS[1], id="2405.00005", authors=("Alan Turing",), published_at=None),
        replace(PAPERS[1], id="2406.00006", authors=("Alan Turing", "Ada Lovelace")),
    ]
    with storage.transaction():
        storage.save_papers(more)
    turing = ["2403.00003", "2406.00006", "2401.00001", "2405.00005"]

    assert lexical(storage, 'author:"Alan Turing"') == turing
    assert lexical(storage, "author:turing") == turing  # one word names the family
    assert storage.search_lexical(parse_query("author:turing"), limit=2) == turing[:2]
    assert lexical(storage, "author:turing author:lovelace") == ["2406.00006", "2401.00001"]
    assert lexical(storage, "author:turing cat:cs.CL") == ["2403.00003"]
    assert lexical(storage, "author:nobody") == []


def test_organization_filters_alone_list_the_papers_newest_first(storage):
    with storage.transaction():
        storage.save_entries(
            [
                DailyEntry(paper_id, day, datetime(2024, 3, 3, tzinfo=UTC), None, "meta")
                for paper_id, day in [
                    ("2401.00001", date(2024, 3, 3)),
                    ("2402.00002", date(2024, 3, 4)),
                ]
            ]
        )

    assert lexical(storage, "org:meta") == ["2403.00003", "2402.00002", "2401.00001"]
    assert lexical(storage, "org:meta author:turing") == ["2403.00003", "2401.00001"]


def test_an_organization_is_found_by_its_name_or_whole_words_of_its_full_name(storage):
    with storage.transaction():
        storage.save_organizations(
            [Organization("facebook", "AI at Meta"), Organization("metamorph", "Metamorph Labs")]
        )
        storage.save_entries(
            [
                DailyEntry(paper_id, day, datetime(2024, 3, 3, tzinfo=UTC), None, organization)
                for paper_id, day, organization in [
                    ("2401.00001", date(2024, 3, 3), "facebook"),
                    ("2402.00002", date(2024, 3, 4), "metamorph"),
                ]
            ]
        )

    assert set(lexical(storage, "org:meta")) == {"2403.00003", "2401.00001"}
    assert lexical(storage, 'org:"AI at Meta"') == lexical(storage, "org:facebook")
    assert lexical(storage, "org:facebook") == ["2401.00001"]
    assert lexical(storage, "org:labs") == lexical(storage, "org:metamorph") == ["2402.00002"]
    assert lexical(storage, "org:morph") == lexical(storage, "org:%") == []  # % folds to nothing


def test_an_organization_is_found_with_accents_case_and_punctuation_aside(storage):
    with storage.transaction():
        storage.save_organizations([Organization("udem", "Université de  Montréal (UdeM)")])
        # One that a member created on this site rather than one imported.
        storage.create_organization(Organization("ens", "École normale supérieure"), now=NOW)
        storage.save_entries(
            [
                DailyEntry(paper_id, date(2024, 3, 3), NOW, None, organization)
                for paper_id, organization in [("2401.00001", "udem"), ("2402.00002", "ens")]
            ]
        )

    for name in ("montreal", "MONTRÉAL", "udem", '"universite de montreal"', "Montréal,"):
        assert lexical(storage, f"org:{name}") == ["2401.00001"], name
    assert lexical(storage, "org:montr") == lexical(storage, 'org:"de udem"') == []
    assert lexical(storage, "org:ecole") == lexical(storage, "org:ENS") == ["2402.00002"]


def test_the_migration_folds_the_names_of_organizations_stored_before_it(backend_url: str):
    old = open_storage(backend_url)
    with old.transaction():
        old.save_papers(PAPERS)
        old.save_organizations([Organization("udem", "Université de Montréal")])
        old.save_entries(
            [
                DailyEntry(
                    "2401.00001", date(2024, 3, 3), datetime(2024, 3, 3, tzinfo=UTC), None, "udem"
                )
            ]
        )
        # As a database from before the folded names.
        old._execute("ALTER TABLE organizations DROP COLUMN folded_names")  # type: ignore[attr-defined]
        old._execute(  # type: ignore[attr-defined]
            "DELETE FROM schema_migrations WHERE name = '0019_organization_names.sql'"
        )
    assert old.migrate() == ["0019_organization_names.sql"]
    assert old.search_lexical(parse_query("org:montreal"), limit=10) == ["2401.00001"]
    old.close()


def test_filters_alone_leave_out_the_excluded_words(storage):
    assert lexical(storage, "author:turing -survey") == ["2401.00001"]
    assert lexical(storage, 'cat:cs.CL -"large language"') == ["2404.00004"]
    assert lexical(storage, "cat:cs.CL -survey") == []  # both say it
    assert lexical(storage, "-survey") == []  # an exclusion alone lists nothing


def test_within_limits_the_answer(storage):
    assert lexical(storage, "language", within=["2404.00004", "2401.00001"]) == ["2404.00004"]
    assert lexical(storage, "language", within=[]) == []


# Odd inputs none of whose words is in PAPERS: nothing may match.
NO_WORD_OF_THE_CORPUS = [
    '"',
    "*",
    "-",
    "OR",
    "'; DROP TABLE papers; --",
    "%s ? $1 %(x)s",
    "col:value",
    "^title",
    "{title}: x",
    "\\",
    "🚀 数学",
    "x" * 1000,
    "a" * 4000,
    "title:x*",
]
# Odd inputs holding common words of PAPERS ("a", "and", "not"): whatever matches is stored.
COMMON_WORDS = ["NEAR(a b", "a AND", "NOT"]
# Odd syntax around a word only one paper holds: that paper, and only it, is found.
AROUND_DIFFUSION = [
    "NEAR(diffusion",
    "diffusion AND",
    'diffusion"',
    "diffusion -",
    "diffusion; DROP TABLE papers; --",
    "diffusion %s ?",
]


@pytest.mark.parametrize("text", NO_WORD_OF_THE_CORPUS + COMMON_WORDS + AROUND_DIFFUSION)
def test_no_input_breaks_the_query(storage, text):
    found = lexical(storage, text)
    assert set(found) <= {paper.id for paper in PAPERS}
    assert len(found) == len(set(found))
    if text in NO_WORD_OF_THE_CORPUS:
        assert found == []
    if text in AROUND_DIFFUSION:
        assert found == ["2401.00001"]
    assert storage.count_papers() == len(PAPERS)


def test_the_index_follows_updates(storage):
    with storage.transaction():
        storage.save_papers(
            [replace(PAPERS[1], title="Rectified Flows", abstract="Straight paths.")]
        )
    assert lexical(storage, "matching") == []
    assert lexical(storage, "rectified") == ["2402.00002"]


def test_the_words_version_changes_with_the_words_only(storage):
    # The Following page keeps a saved search's answer until this changes.
    before = storage.words_version()
    assert before is not None
    with storage.transaction():
        storage.save_entries(
            [DailyEntry("2401.00001", date(2024, 1, 11), datetime(2024, 1, 11, tzinfo=UTC))]
        )
        storage.save_papers([replace(PAPERS[1], upvotes=7)])  # counts, not words
    assert storage.words_version() == before
    with storage.transaction():
        storage.save_papers([replace(PAPERS[1], abstract="Flow matching, with rectified flows.")])
    changed = storage.words_version()
    assert changed not in (None, before)
    with storage.transaction():
        storage.save_papers([replace(PAPERS[0], id="2405.00005")])
    assert storage.words_version() not in (None, before, changed)


def test_exact_titles(storage):
    assert storage.find_titled("flow matching for generative modeling.") == ["2402.00002"]
    assert storage.find_titled("  Flow Matching  for Generative Modeling ") == ["2402.00002"]
    assert storage.find_titled("Flow Matching") == []
    assert storage.find_titled("") == []


def test_filter_papers_keeps_order(storage):
    ids = ["2404.00004", "2401.00001", "2403.00003"]
    assert storage.filter_papers(ids, SearchFilters(categories=("cs.CL",))) == [
        "2404.00004",
        "2403.00003",
    ]
    assert storage.filter_papers(ids, SearchFilters()) == ids


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def test_embeddings_round_trip_and_nearest(storage):
    todo = storage.papers_to_embed(model=MODEL, limit=10)
    # the featured paper first, as readers see it first; then the others newest first
    assert [item.paper_id for item in todo] == EMBEDDING_ORDER
    assert todo[1].title == "Reasoning Agents"
    vectors = np.stack([unit(1, 0, 0), unit(0.9, 0.1, 0), unit(0, 1, 0), unit(0, 0, 1)])
    with storage.transaction():
        storage.save_embeddings(model=MODEL, paper_ids=[p.id for p in PAPERS], vectors=vectors)
    storage.refresh_vector_index(model=MODEL)
    assert storage.papers_to_embed(model=MODEL, limit=10) == []
    assert storage.count_embeddings() == {MODEL: 4}
    assert np.allclose(
        storage.get_embedding(model=MODEL, paper_id="2402.00002"), vectors[1], atol=1e-6
    )
    assert storage.get_embedding(model="other", paper_id="2402.00002") is None
    found = storage.nearest_papers(model=MODEL, vector=unit(1, 0.05, 0), limit=2)
    assert [item.paper_id for item in found] == ["2401.00001", "2402.00002"]
    assert found[0].similarity > 0.99
    filtered = storage.nearest_papers(
        model=MODEL, vector=unit(1, 0.2, 0.1), limit=2, filters=SearchFilters(categories=("cs.CL",))
    )
    assert [item.paper_id for item in filtered] == ["2403.00003", "2404.00004"]


@pytest.mark.parametrize(
    ("filters", "kept"),
    [
        (SearchFilters(categories=("cs.LG",)), ["2402.00002", "2401.00001"]),
        (
            SearchFilters(categories=("cs",)),
            ["2402.00002", "2401.00001", "2403.00003", "2404.00004"],
        ),
        (SearchFilters(authors=("Turing",)), ["2401.00001", "2403.00003"]),
        (SearchFilters(organizations=("Meta AI",)), ["2403.00003"]),
        (SearchFilters(after=date(2024, 2, 1)), ["2402.00002", "2403.00003"]),
        (SearchFilters(before=date(2024, 3, 1)), ["2402.00002", "2401.00001"]),
        (SearchFilters(has_code=True), ["2401.00001"]),
        (SearchFilters(categories=("cs.CL",), authors=("Liskov",)), ["2404.00004"]),
        (SearchFilters(organizations=("nobody",)), []),
    ],
)
def test_the_nearest_papers_that_pass_each_filter_closest_first(storage, filters, kept):
    vectors = np.stack([unit(1, 0.5, 0), unit(0.3, 1, 0), unit(0, 0.3, 1), unit(0.2, 0, 1)])
    with storage.transaction():
        storage.save_embeddings(model=MODEL, paper_ids=[p.id for p in PAPERS], vectors=vectors)
    storage.refresh_vector_index(model=MODEL)
    found = storage.nearest_papers(model=MODEL, vector=unit(0, 1, 0.1), limit=4, filters=filters)
    assert [item.paper_id for item in found] == kept
    similarities = [item.similarity for item in found]
    assert similarities == sorted(similarities, reverse=True)
    everything = storage.nearest_papers(model=MODEL, vector=unit(0, 1, 0.1), limit=4)
    assert set(similarities) <= {item.similarity for item in everything}


def test_papers_to_embed_walks_down_from_the_latest_featured_day(storage):
    with storage.transaction():
        storage.save_entries(
            [DailyEntry("2401.00001", date(2024, 3, 9), datetime(2024, 3, 9, tzinfo=UTC))]
        )
    first = storage.papers_to_embed(model=MODEL, limit=2)
    rest = storage.papers_to_embed(model=MODEL, limit=10, below=first[-1].key)
    assert [item.paper_id for item in first + rest] == [
        "2401.00001",  # featured on 9 March: the latest day, though the oldest paper
        "2403.00003",  # featured on 2 March
        "2404.00004",  # never featured: newest stored first
        "2402.00002",
    ]


def test_a_changed_text_drops_its_vector_and_reindex_drops_a_model(storage):
    vectors = np.stack([unit(1, 0, 0), unit(0, 1, 0), unit(0, 0, 1), unit(1, 1, 0)])
    with storage.transaction():
        storage.save_embeddings(model=MODEL, paper_ids=[p.id for p in PAPERS], vectors=vectors)
        storage.save_embeddings(model="old", paper_ids=[PAPERS[2].id], vectors=vectors[:1])
    with storage.transaction():
        storage.save_papers([replace(PAPERS[0], upvotes=5)])  # counts only: the vector stays
    assert storage.count_embeddings()[MODEL] == 4
    with storage.transaction():
        storage.save_papers([replace(PAPERS[0], abstract="A new abstract.")])
    assert [item.paper_id for item in storage.papers_to_embed(model=MODEL, limit=10)] == [
        "2401.00001"
    ]
    found = storage.nearest_papers(model=MODEL, vector=unit(1, 0, 0), limit=4)
    assert "2401.00001" not in [item.paper_id for item in found]  # no stale vector answers
    with storage.transaction():
        assert storage.delete_embeddings(model="old") == 1
    assert set(storage.count_embeddings()) == {MODEL}


def test_the_migration_indexes_papers_stored_before_it(backend_url):
    old = open_storage(backend_url, migrate=False)
    folder = Path(__file__).parents[2] / "src/dailypapers/storage/migrations" / old.dialect
    old._run_script("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for name in ("0001_papers.sql", "0002_arxiv_ingestion.sql"):
        with old._transaction():  # the public one counts changes in 0013's table
            old._run_script((folder / name).read_text())
            old._execute("INSERT INTO schema_migrations VALUES (?, 'then')", (name,))
    with old._transaction():  # the public one counts changes in 0013's table
        old.save_papers(PAPERS)
    assert "0003_search.sql" in old.migrate()
    assert old.search_lexical(parse_query("flow matching"), limit=5)[0] == "2402.00002"
    assert len(old.papers_to_embed(model=MODEL, limit=10)) == len(PAPERS)
    old.close()
