"""pgvector's HNSW index on PostgreSQL: 2-byte vectors, used by the search, made by upgrade."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dailypapers.domain.papers import Paper
from dailypapers.storage import open_storage
from dailypapers.storage.postgresql import PostgresStorage
from dailypapers.storage.search_postgresql import _index_prefix

pytestmark = pytest.mark.postgres

MODEL = "test-model"
MIGRATIONS = Path(__file__).parents[2] / "src/dailypapers/storage/migrations/postgresql"
PAPERS = [
    Paper(id=f"2406.{n:05d}", title=f"Study {n}", abstract="A study.", authors=("Ada Byron",))
    for n in range(40)
]


def unit_vectors(count: int) -> np.ndarray:
    vectors = np.random.default_rng(3).normal(size=(count, 8)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def vector_indexes(storage: PostgresStorage) -> dict[str, str]:
    rows = storage._execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'paper_embeddings'"
        " AND indexname LIKE ?",
        ("paper_embeddings_hnsw%",),
    )
    return {row[0]: row[1] for row in rows}


def test_the_search_reads_the_halfvec_index_and_finds_the_nearest(postgres_url: str) -> None:
    storage = open_storage(postgres_url)
    assert isinstance(storage, PostgresStorage)
    vectors = unit_vectors(len(PAPERS))
    with storage.transaction():
        storage.save_papers(PAPERS)
        storage.save_embeddings(model=MODEL, paper_ids=[p.id for p in PAPERS], vectors=vectors)
    [(name, definition)] = vector_indexes(storage).items()
    assert name == f"{_index_prefix(MODEL)}_half_8" and "halfvec_cosine_ops" in definition
    storage._execute("SET enable_sort = off")  # 40 rows: the planner would sort them
    storage._execute("SELECT pg_stat_reset()")
    found = storage.nearest_papers(model=MODEL, vector=vectors[5], limit=3)
    assert found[0].paper_id == PAPERS[5].id and found[0].similarity == pytest.approx(1, abs=1e-3)
    storage._execute("SELECT pg_stat_force_next_flush()")
    scans = storage._execute(
        "SELECT idx_scan FROM pg_stat_user_indexes WHERE indexrelname = ?", (name,)
    )
    assert scans[0][0] >= 1
    storage.close()


def test_the_upgrade_rebuilds_a_4_byte_index_as_halfvec(postgres_url: str) -> None:
    old = open_storage(postgres_url, migrate=False)
    assert isinstance(old, PostgresStorage)
    old._run_script("CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT)")
    for path in sorted(MIGRATIONS.glob("*.sql")):
        if path.name >= "0017":
            break
        with old._transaction():
            old._run_script(path.read_text())
            old._execute("INSERT INTO schema_migrations VALUES (?, 'then')", (path.name,))
    prefix = _index_prefix(MODEL)
    # What the site created before: 4-byte vectors, named by model and dimension.
    old._execute(
        f'CREATE INDEX "{prefix}_8" ON paper_embeddings'
        " USING hnsw ((embedding::vector(8)) vector_cosine_ops) WHERE model = 'test-model'"
    )
    assert "0017_halfvec_index.sql" in old.migrate()
    [(name, definition)] = vector_indexes(old).items()
    assert name == f"{prefix}_half_8"
    assert "halfvec(8)" in definition and "'test-model'" in definition
    old.close()
