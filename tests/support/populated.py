"""A site with rows in every table: papers, vectors, members, votes, comments, mail, harvests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from dailypapers.domain.harvests import HarvestState
from dailypapers.domain.outbox import MessageKind, OutgoingMessage
from dailypapers.domain.papers import Paper
from dailypapers.storage import Storage

from support.accounts import add_member
from support.digests import add_reader
from support.sites import NOW, load_recorded_days

MODEL = "copy-test-model/8"


def populate(storage: Storage, shared_data: Path, *, extra_papers: int = 0) -> None:
    """Fill every table the site has with a few real and made-up rows."""
    load_recorded_days(storage, shared_data)
    if extra_papers:
        with storage.transaction():
            storage.save_papers([_made_up_paper(number) for number in range(extra_papers)])
    ids = [row[0] for row in storage._execute("SELECT id FROM papers ORDER BY id LIMIT 40")]  # type: ignore[attr-defined]
    ada, grace = add_member(storage, "ada"), add_member(storage, "grace", fullname="Grace H.")
    with storage.transaction():
        for paper_id in ids[:10]:
            storage.add_vote(user_id=ada.id, paper_id=paper_id, now=NOW)
        storage.add_vote(user_id=grace.id, paper_id=ids[0], now=NOW + timedelta(seconds=1.5))
        first = storage.add_comment(
            paper_id=ids[0], user_id=ada.id, parent_id=None, body="Nice **result**", now=NOW
        )
        storage.add_comment(
            paper_id=ids[0], user_id=grace.id, parent_id=first, body="Agreed: ünïcödé ✓", now=NOW
        )
        storage.save_harvest_state(
            HarvestState("oai cs 2026-08-01", "token-17", 3, 600, NOW, NOW, None)
        )
        vectors = np.random.default_rng(7).standard_normal((25, 8)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        storage.save_embeddings(model=MODEL, paper_ids=ids[:25], vectors=vectors)
    reader = add_reader(storage, "reader@example.org")
    add_reader(storage, "other@example.org")
    with storage.transaction():
        storage.enqueue_messages(
            [
                OutgoingMessage(
                    MessageKind.CONFIRMATION,
                    f"confirm:{reader.id}:{n}",
                    "site@example.org",
                    "reader@example.org",
                    b"Subject: hello\r\n\r\n\x00\xffbinary body",
                    reader.id,
                )
                for n in range(3)
            ],
            now=NOW,
        )


def _made_up_paper(number: int) -> Paper:
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=number)
    return Paper(
        id=f"2601.{number:05d}",
        title=f"A made-up paper number {number} on sparse attention",
        abstract=f"We study case {number} of something that matters to the copy test.",
        authors=("A. Author", f"B. Writer {number}"),
        categories=("cs.LG",),
        published_at=moment,
        updated_at=moment,
        withdrawn=number % 17 == 0,
    )
