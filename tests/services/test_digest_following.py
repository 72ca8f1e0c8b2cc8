"""The digest's Following section: a member's follows, opt-in, never a paper twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from dailypapers.domain.follows import FollowKind, FollowSettings, follow_target
from dailypapers.domain.papers import DailyEntry, Paper
from dailypapers.domain.periods import parse_day
from dailypapers.domain.subscriptions import Frequency, Preferences, Topics
from dailypapers.services.digests import preview_digest
from dailypapers.storage import Storage

# The digest tests' own helpers: composing, and reading the outbox.
from services.test_digests import compose, outbox_messages, titles_in

from support.accounts import add_member
from support.digests import DAY, NOW, SITE, add_reader, links, mail_settings

FOLLOWED = Paper(
    id="2510.90011",
    title="Sparse Experts, Densely Explained",
    abstract="Mixtures of experts.",
    authors=("Łukasz Kaiser",),
    categories=("cs.LG",),
)


def featured_on_day(storage: Storage, *papers: Paper) -> None:
    featured = parse_day(DAY).end_of_period - timedelta(hours=2)
    with storage.transaction():
        storage.save_papers(list(papers))
        storage.save_entries([DailyEntry(p.id, parse_day(DAY).start, featured) for p in papers])


def test_a_member_who_opted_in_gets_what_they_follow(loaded_storage: Storage) -> None:
    featured_on_day(loaded_storage, FOLLOWED)
    ada = add_member(loaded_storage, "ada")
    grace = add_member(loaded_storage, "grace")
    with loaded_storage.transaction():
        for member in (ada, grace):
            follow = follow_target(FollowKind.AUTHOR, "Lukasz Kaiser")
            loaded_storage.add_follow(user_id=member.id, follow=follow, now=NOW)
        loaded_storage.save_follow_settings(ada.id, FollowSettings(digest_following=True))
    add_reader(loaded_storage, "ada@example.org", top=0)
    add_reader(loaded_storage, "grace@example.org", top=1)  # follows, but did not opt in
    compose(loaded_storage)
    messages = outbox_messages(loaded_storage)
    text = titles_in(messages["ada@example.org"])
    assert "From what you follow" in text and FOLLOWED.title in text
    assert text.count(f"\n  {SITE}/papers/") == 1
    assert "From what you follow" not in titles_in(messages["grace@example.org"])


def test_the_following_section_never_sends_a_paper_twice(loaded_storage: Storage) -> None:
    featured_on_day(loaded_storage, FOLLOWED)
    ada = add_member(loaded_storage, "ada")
    with loaded_storage.transaction():
        follow = follow_target(FollowKind.CATEGORY, "cs.LG")
        loaded_storage.add_follow(user_id=ada.id, follow=follow, now=NOW)
        loaded_storage.save_follow_settings(ada.id, FollowSettings(digest_following=True))
    reader = add_reader(loaded_storage, "ada@example.org", top=0)
    compose(loaded_storage)
    assert FOLLOWED.title in titles_in(outbox_messages(loaded_storage)["ada@example.org"])
    with loaded_storage.transaction():
        loaded_storage.save_subscriber(
            replace(reader, preferences=Preferences(Frequency.WEEKLY, 0, Topics()))
        )
    report = compose(loaded_storage, "2025-W42")
    # The week holds the same followed paper, sent already: nothing new to mail.
    assert report.composed == 0  # type: ignore[attr-defined]


def test_the_preview_holds_the_following_section_the_digest_will(loaded_storage: Storage) -> None:
    featured_on_day(loaded_storage, FOLLOWED)
    ada = add_member(loaded_storage, "ada")
    with loaded_storage.transaction():
        follow = follow_target(FollowKind.AUTHOR, "Lukasz Kaiser")
        loaded_storage.add_follow(user_id=ada.id, follow=follow, now=NOW)
        loaded_storage.save_follow_settings(ada.id, FollowSettings(digest_following=True))
    reader = add_reader(loaded_storage, "ada@example.org", top=0)
    settings = mail_settings()
    plan, _ = preview_digest(
        storage=loaded_storage,
        settings=settings,
        links=links(settings),
        subscriber=reader,
        period=parse_day(DAY),
        now=NOW,
    )
    compose(loaded_storage)
    sent = loaded_storage.papers_already_sent(
        [reader.id or 0], start=parse_day(DAY).start, end=parse_day(DAY).end
    )
    assert [(s.heading, s.paper_ids) for s in plan.sections] == [
        ("From what you follow", (FOLLOWED.id,))
    ]
    assert set(plan.paper_ids) == sent[reader.id or 0]
