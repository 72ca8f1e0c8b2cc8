"""The digest's "For you" section: opt-in, from the member's model, never a paper twice."""

from __future__ import annotations

from datetime import timedelta

from dailypapers.domain.digests import MAX_DIGEST_PAPERS
from dailypapers.domain.periods import parse_day, parse_week
from dailypapers.services import votes
from dailypapers.services.digests import compose_digests, preview_digest
from dailypapers.services.recommendations import refit_stale_models
from dailypapers.services.semantic_index import embed_missing
from dailypapers.storage import Storage

from support.accounts import add_member
from support.digests import DAY, NOW, add_reader, links, mail_settings
from support.embedders import HashingEmbedder

WEEK = "2025-W42"


def preview(storage: Storage, reader, period):  # type: ignore[no-untyped-def]
    """Return the reader's digest plan for the period."""
    settings = mail_settings()
    plan, _ = preview_digest(
        storage=storage,
        settings=settings,
        links=links(settings),
        subscriber=reader,
        period=period,
        now=NOW,
    )
    return plan


def test_an_opted_in_member_gets_for_you_and_never_a_paper_twice(
    loaded_storage: Storage,
) -> None:
    embedder = HashingEmbedder()
    embed_missing(storage=loaded_storage, embedder=embedder)
    ada = add_member(loaded_storage, "ada", now=NOW - timedelta(days=40))
    day_papers = [r.paper_id for r in loaded_storage.rankables(**_span(parse_day(DAY)))]
    with loaded_storage.transaction():
        votes.set_vote(
            storage=loaded_storage, user=ada, paper_id=day_papers[-1], voted=True, now=NOW
        )
    refit_stale_models(storage=loaded_storage, model_name=embedder.model_name, now=NOW)
    reader = add_reader(loaded_storage, ada.email, top=2)

    plain = preview(loaded_storage, reader, parse_day(DAY))
    assert "For you" not in [section.heading for section in plain.sections]  # not asked for
    with loaded_storage.transaction():
        loaded_storage.set_digest_for_you(ada.id, enabled=True, now=NOW)
    plan = preview(loaded_storage, reader, parse_day(DAY))
    headings = [section.heading for section in plan.sections]
    assert headings[-1] == "For you"
    for_you = plan.sections[-1].paper_ids
    assert for_you and day_papers[-1] not in for_you  # the liked paper is seen already
    assert not set(for_you) & set(plan.sections[0].paper_ids)

    settings = mail_settings()
    compose_digests(
        storage=loaded_storage,
        settings=settings,
        links=links(settings),
        period=parse_day(DAY),
        now=NOW,
        owner="test",
    )
    sent = loaded_storage.papers_already_sent(
        [reader.id or 0], start=parse_day(DAY).start, end=parse_day(DAY).end
    )[reader.id or 0]
    assert set(for_you) <= sent
    weekly = preview(loaded_storage, reader, parse_week(WEEK))
    assert not set(weekly.paper_ids) & sent  # the week's digest repeats nothing


def test_for_you_fits_within_the_digests_paper_cap(loaded_storage: Storage) -> None:
    week = parse_week(WEEK)
    # enough papers that a full For you section (5) would go past the cap
    assert len(loaded_storage.rankables(**_span(week))) > MAX_DIGEST_PAPERS + 3
    for name, top, room in (("ada", MAX_DIGEST_PAPERS - 2, 2), ("bea", MAX_DIGEST_PAPERS, 0)):
        member = _member_with_a_model(loaded_storage, name)
        reader = add_reader(loaded_storage, member.email, top=top)
        plan = preview(loaded_storage, reader, week)
        assert len(plan.paper_ids) == MAX_DIGEST_PAPERS
        for_you = [s.paper_ids for s in plan.sections if s.heading == "For you"]
        assert [len(ids) for ids in for_you] == ([room] if room else [])


def test_a_banned_member_gets_no_for_you_section(loaded_storage: Storage) -> None:
    ada = _member_with_a_model(loaded_storage, "ada")
    reader = add_reader(loaded_storage, ada.email, top=2)
    assert "For you" in [
        s.heading for s in preview(loaded_storage, reader, parse_day(DAY)).sections
    ]
    with loaded_storage.transaction():
        loaded_storage.set_user_banned(ada.id, NOW)
    plan = preview(loaded_storage, reader, parse_day(DAY))
    assert plan.paper_ids and "For you" not in [s.heading for s in plan.sections]


def _member_with_a_model(storage: Storage, name: str):  # type: ignore[no-untyped-def]
    """Return a member who liked one paper of the day, asked for For you, and has a model."""
    embedder = HashingEmbedder()
    embed_missing(storage=storage, embedder=embedder)
    ada = add_member(storage, name, now=NOW - timedelta(days=40))
    liked = [r.paper_id for r in storage.rankables(**_span(parse_day(DAY)))][-1]
    with storage.transaction():
        votes.set_vote(storage=storage, user=ada, paper_id=liked, voted=True, now=NOW)
        storage.set_digest_for_you(ada.id, enabled=True, now=NOW)
    refit_stale_models(storage=storage, model_name=embedder.model_name, now=NOW)
    return ada


def _span(period):  # type: ignore[no-untyped-def]
    return {"start": period.start, "end": period.end}
