"""For you: recommend papers from a member's likes, learned in the background.

A member's likes (upvotes, saved papers, papers named on first visit) and dislikes ("not
interested") train one linear scorer over the stored paper vectors, beside a profile of the
words and the authors of their likes (search/member_model.py, search/member_words.py).
Fitting happens in the background whenever the signals change (`refit_stale_models`, run by
the worker and by `dailypapers serve`), never while a page waits: a request reads the fitted
weights and scores a window's papers with one matrix product and two sparse ones. The same
function serves the For you page, the API and the digest's personal section.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from dailypapers.domain.arxiv_ids import is_arxiv_id, normalize_arxiv_id
from dailypapers.domain.papers import FeaturedPaper
from dailypapers.domain.ranking import SortMode
from dailypapers.domain.recommendations import MemberModel, MemberSignals
from dailypapers.domain.search_query import parse_query
from dailypapers.search.member_model import (
    DEFAULT_CHOICES,
    fit_member,
    nearest_rows,
)
from dailypapers.search.member_words import PaperWords, paper_words
from dailypapers.services.errors import InvalidInput, NotFound
from dailypapers.services.feed import RankingCache, featured_papers, first_ids
from dailypapers.services.member_models import KeptMember, MemberModels, Picks, read_member
from dailypapers.storage.base import Storage
from dailypapers.storage.search_types import Vectors

log = logging.getLogger(__name__)

MAX_SIGNALS = 500  # the newest likes and dislikes a model learns from
BACKGROUND_DAYS = 365  # background papers: the most recently featured, from this far back
# The newest background papers whose words a refit counts (for the words' idf and the
# profile's contrast): counting them is most of a first refit's time, and the vectors'
# 10,000 need no words.
BACKGROUND_WORDS = 5000
EXPLAINED_BY = 200  # the newest likes searched for "because you liked"
LIKED_BY_KEPT = 5  # per liked author, the liked papers a model keeps to name as the reason
SEEDS_PER_CATEGORY = 5
MAX_SEED_LINES = 50
WINDOW_VECTORS_TTL_S = 60.0  # how stale a window's candidate vectors may be
WINDOW_VECTORS_KEPT = 16

WindowKey = tuple[str, str, date, date, int | None]  # database, model, start, end, limit
_WINDOW_READS = itertools.count()


@dataclass(frozen=True, slots=True)
class Window:
    """The papers featured in a window: ids, their vectors, and their words and authors
    (of the first ids only, when the window counts the words of so many)."""

    ids: list[str]
    vectors: Vectors
    words: PaperWords
    rows: dict[str, int]  # each id's row
    serial: int  # which read this is, in the process: what is kept of a window names it


class WindowPapers:
    """Each window's papers as the model scores them, shared by every member's request.

    Reading a week of vectors and words (thousands of rows, the words counted) is most of a
    request's cost at a million papers, and it is the same for every member: it is read once
    and kept for `ttl_s`, so a paper featured just now reaches For you within that time.
    For `grace_s` after that, a request still gets the kept papers at once while a thread
    reads them afresh: only the very first request of a window waits for the read.
    """

    def __init__(
        self,
        *,
        ttl_s: float = WINDOW_VECTORS_TTL_S,
        grace_s: float = 0.0,
        words_of: int | None = None,
    ) -> None:
        self.ttl_s = ttl_s
        self.grace_s = grace_s
        self.words_of = words_of  # count the words of the newest this many only (None: all)
        self._kept: OrderedDict[WindowKey, tuple[float, Window]] = OrderedDict()
        self._refreshing: dict[WindowKey, threading.Thread] = {}
        self._lock = threading.Lock()

    def get(
        self, storage: Storage, *, model: str, start: date, end: date, limit: int | None = None
    ) -> Window:
        """Return the papers featured in [start, end) (the newest `limit`) that have a vector."""
        key = (storage.url, model, start, end, limit)
        now = time.monotonic()
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                age = now - kept[0]
                if age < self.ttl_s:
                    self._kept.move_to_end(key)
                    return kept[1]
                if age < self.ttl_s + self.grace_s:
                    if key not in self._refreshing:
                        thread = threading.Thread(
                            target=self._refresh, args=(storage, key), daemon=True
                        )
                        self._refreshing[key] = thread
                        thread.start()
                    return kept[1]
        return self._read(storage, key)

    def settle(self) -> None:
        """Wait for the reads under way in the background."""
        with self._lock:
            threads = list(self._refreshing.values())
        for thread in threads:
            thread.join()

    def _refresh(self, storage: Storage, key: WindowKey) -> None:
        try:
            self._read(storage, key)
        except Exception:  # the kept papers keep serving; the next request tries again
            log.exception("reading the papers of a For you window failed")
        finally:
            storage.close()  # this thread's connection
            with self._lock:
                self._refreshing.pop(key, None)

    def _read(self, storage: Storage, key: WindowKey) -> Window:
        _, model, start, end, limit = key
        read_at = time.monotonic()
        ids, vectors = storage.featured_vectors(model=model, start=start, end=end, limit=limit)
        worded = ids if self.words_of is None else ids[: self.words_of]
        texts = storage.paper_texts(worded)
        pairs = [texts.get(paper_id, ("", ())) for paper_id in worded]
        words = paper_words([text for text, _ in pairs], [names for _, names in pairs])
        rows = {paper_id: row for row, paper_id in enumerate(ids)}
        window = Window(ids, vectors, words, rows, next(_WINDOW_READS))
        with self._lock:
            self._kept[key] = (read_at, window)
            self._kept.move_to_end(key)
            while len(self._kept) > WINDOW_VECTORS_KEPT:
                self._kept.popitem(last=False)
        return window


WINDOW_PAPERS = WindowPapers(grace_s=3600.0)
# The background papers every refit contrasts likes with: the same for every member, and
# minutes of staleness change nothing in a model.
BACKGROUND_PAPERS = WindowPapers(ttl_s=600.0, grace_s=3600.0, words_of=BACKGROUND_WORDS)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """A recommended paper, its score, and the liked paper it is nearest to."""

    item: FeaturedPaper
    score: float
    because: FeaturedPaper | None = None
    # An author of both papers, when one is why (names are matched as written: two people
    # of one name are one author here, so the reason says which name it was).
    because_author: str | None = None


@dataclass(frozen=True, slots=True)
class Recommendations:
    """A member's recommendations over a window, and whether they are personal yet."""

    items: list[Recommendation]
    start: date
    end: date  # exclusive
    personal: bool  # False: trending, because no model has been fitted for the member yet
    waiting_for_model: bool = False  # the member has likes, and the model is being fitted
    excluded: int = field(default=0)  # papers of the window left out as already seen
    cold_start: bool = False  # the member has told the site nothing yet: no likes, no dislikes


def window_ending(storage: Storage, *, days: int, today: date) -> tuple[date, date]:
    """Return [start, end) covering the past `days` days up to the latest featured day."""
    latest = storage.latest_day()
    last = min(latest, today) if latest else today
    return last - timedelta(days=days - 1), last + timedelta(days=1)


def recommend_for_member(
    *,
    storage: Storage,
    user_id: int,
    start: date,
    end: date,
    limit: int,
    now: datetime,
    exclude: Collection[str] = (),
    window_papers: WindowPapers = WINDOW_PAPERS,
    rankings: RankingCache | None = None,
    members: MemberModels | None = None,
) -> Recommendations:
    """Return the member's best papers featured in [start, end) that they have not seen.

    Seen means upvoted, saved, named, dismissed, or listed in `exclude` (say, the papers a
    digest already sent). The member's signals, model and picks are read from `members`
    while kept there.
    Without a fitted model the window's trending papers stand in, read from `rankings`
    while kept there.
    """
    state = members.get(storage, user_id) if members is not None else read_member(storage, user_id)
    signals, member = state.signals, state.model
    if member is None:
        seen = signals.seen | frozenset(exclude)
        return _trending(storage, start, end, limit, now, seen, rankings, signals)
    window = window_papers.get(storage, model=member.model.model, start=start, end=end)
    if not window.ids:
        return Recommendations([], start, end, personal=True, cold_start=signals.empty)
    picks = member.picks(
        (window.serial, state.signals_version, limit, frozenset(exclude)),
        lambda: _pick(storage, member, window, signals, exclude, limit),
    )
    chosen = [window.ids[i] for i in picks.rows]
    because = picks.because
    named = [liked for liked, _ in because.values()]
    featured = {item.paper.id: item for item in featured_papers(storage, chosen + named, rankings)}
    items = [
        Recommendation(
            featured[paper_id],
            score,
            featured.get(because[row][0]) if row in because else None,
            because[row][1] if row in because else None,
        )
        for row, (paper_id, score) in enumerate(zip(chosen, picks.scores, strict=True))
        if paper_id in featured
    ]
    return Recommendations(
        items, start, end, personal=True, excluded=picks.excluded, cold_start=signals.empty
    )


def _pick(
    storage: Storage,
    member: KeptMember,
    window: Window,
    signals: MemberSignals,
    exclude: Collection[str],
    limit: int,
) -> Picks:
    """Return the window's best papers by the member's model that they have not seen, each
    with the like that names its reason."""
    scored = member.scored(window)
    unseen = np.ones(len(window.ids), dtype=bool)
    seen = signals.seen | frozenset(exclude)
    unseen[[window.rows[paper_id] for paper_id in seen if paper_id in window.rows]] = False
    rows = scored.ranked[unseen[scored.ranked]][:limit].tolist()
    likes = signals.positives[:EXPLAINED_BY]
    because = _nearest_likes(storage, member, window, rows, likes)
    scores = [float(scored.scores[i]) for i in rows]
    return Picks(rows, scores, because, excluded=int((~unseen).sum()))


def _nearest_likes(
    storage: Storage, member: KeptMember, window: Window, order: list[int], likes: Sequence[str]
) -> dict[int, tuple[str, str | None]]:
    """Return, per chosen paper (its row in `order`), the liked paper to name as the reason,
    and an author the two share (None: they share none).

    That is the most similar liked paper, among those sharing an author with it if any do:
    a paper lifted by its author is explained by a paper of that author.
    """
    if not likes or not order:
        return {}
    like_ids, like_vectors = member.like_vectors(storage, tuple(likes), window)
    if not like_ids:
        return {}
    model = member.model
    shared = _shared_authors(model, window, order, like_ids)
    nearest = nearest_rows(window.vectors[order], like_vectors, shared)
    reasons: dict[int, tuple[str, str | None]] = {}
    for row, index in enumerate(nearest):
        liked = like_ids[int(index)]
        names = window.words.author_names[order[row]]
        both = next((name for name in names if liked in model.liked_by.get(name, ())), None)
        reasons[row] = (liked, both)
    return reasons


def _shared_authors(
    model: MemberModel, window: Window, order: list[int], like_ids: list[str]
) -> np.ndarray | None:
    """Return chosen × liked papers: whether they share an author (None: none do)."""
    if not model.liked_by:
        return None
    column = {paper_id: index for index, paper_id in enumerate(like_ids)}
    shared = np.zeros((len(order), len(like_ids)), dtype=bool)
    for row, i in enumerate(order):
        for name in window.words.author_names[i]:
            for paper_id in model.liked_by.get(name, ()):
                if paper_id in column:
                    shared[row, column[paper_id]] = True
    return shared if shared.any() else None


def _trending(
    storage: Storage,
    start: date,
    end: date,
    limit: int,
    now: datetime,
    seen: frozenset[str],
    rankings: RankingCache | None,
    signals: MemberSignals,
) -> Recommendations:
    """Return the window's trending papers the member has not seen."""
    # Members share the window's ranking: its first `limit` unseen are among its first
    # `limit + len(seen)`, asked for in hundreds so that most members ask for as many.
    ranked, _ = first_ids(
        storage,
        sort=SortMode.TRENDING,
        count=math.ceil((limit + len(seen)) / 100) * 100,
        now=now,
        start=start,
        end=end,
        rankings=rankings,
    )
    featured = featured_papers(
        storage, [paper_id for paper_id in ranked if paper_id not in seen][:limit], rankings
    )
    items = [Recommendation(item, 0.0) for item in featured]
    return Recommendations(
        items,
        start,
        end,
        personal=False,
        waiting_for_model=bool(signals.positives),  # their model is being fitted
        cold_start=signals.empty,
    )


# -- signals ------------------------------------------------------------------------------


def dismiss(*, storage: Storage, user_id: int, paper_id: str, now: datetime) -> None:
    """Record "not interested in this paper" and have the member's model refitted."""
    if not storage.get_papers([paper_id]):
        raise NotFound(f"paper {paper_id} is not on this site")
    storage.dismiss_paper(user_id=user_id, paper_id=paper_id, now=now)
    storage.mark_signals_changed(user_id)


def undo_dismiss(*, storage: Storage, user_id: int, paper_id: str) -> bool:
    """Take back a "not interested"; return whether there was one."""
    undone = storage.undismiss_paper(user_id=user_id, paper_id=paper_id)
    if undone:
        storage.mark_signals_changed(user_id)
    return undone


@dataclass(frozen=True, slots=True)
class SeedReport:
    """What a cold-start form gave: papers taken as likes, and lines not understood."""

    paper_ids: list[str]
    unknown: list[str]


def seed_interests(
    *,
    storage: Storage,
    user_id: int,
    categories: Sequence[str],
    pasted: str,
    now: datetime,
) -> SeedReport:
    """Take pasted arXiv ids, URLs or titles and picked categories as the member's first likes.

    A category contributes its most upvoted recent papers on this site. The lines and the
    categories that name nothing here are reported back.
    """
    found: list[str] = []
    unknown: list[str] = []
    lines = [line.strip() for line in pasted.splitlines() if line.strip()]
    if len(lines) > MAX_SEED_LINES:
        raise InvalidInput(f"paste at most {MAX_SEED_LINES} lines")
    for line in lines:
        paper_id = normalize_arxiv_id(line) if is_arxiv_id(line) else None
        if paper_id and storage.get_papers([paper_id]):
            found.append(paper_id)
            continue
        titled = storage.find_titled(line)
        if titled:
            found.append(titled[0])
        else:
            unknown.append(line)
    for category in categories:
        cleaned = category.strip()
        if not cleaned:
            continue
        if " " in cleaned or ":" in cleaned:  # not a category: said so, as a pasted line is
            unknown.append(cleaned)
            continue
        recent = storage.search_lexical(parse_query(f"cat:{cleaned}"), limit=100)
        papers = storage.get_papers(recent)
        if not papers:
            unknown.append(cleaned)
        best = sorted(papers.values(), key=lambda paper: (-paper.upvotes, paper.id))
        found.extend(paper.id for paper in best[:SEEDS_PER_CATEGORY])
    if found:
        storage.add_interest_seeds(user_id=user_id, paper_ids=found, now=now)
        storage.mark_signals_changed(user_id)
    return SeedReport(list(dict.fromkeys(found)), unknown)


# -- fitting, in the background -----------------------------------------------------------


def refit_member_model(
    *,
    storage: Storage,
    user_id: int,
    model_name: str,
    now: datetime,
) -> MemberModel | None:
    """Fit the member's scorer on their current signals; None if they have no usable likes."""
    signals = storage.member_signals(user_id, limit=MAX_SIGNALS)
    liked_ids, liked = storage.paper_vectors(model=model_name, paper_ids=signals.positives)
    if len(liked) == 0:
        return None
    disliked_ids, disliked = storage.paper_vectors(model=model_name, paper_ids=signals.negatives)
    window = _background(storage, model_name=model_name, today=now.date())
    seen = signals.seen
    keep = [row for row, paper_id in enumerate(window.ids) if paper_id not in seen]
    background = window.vectors[keep[: DEFAULT_CHOICES.background]]
    if len(disliked) == 0:
        disliked = np.zeros((0, liked.shape[1]), dtype=np.float32)
    if len(background) == 0 and len(disliked) == 0:
        return None
    texts = storage.paper_texts([*liked_ids, *disliked_ids])
    fitted = fit_member(
        liked=liked,
        disliked=disliked,
        background=background,
        words=window.words,
        liked_texts=[texts[i][0] for i in liked_ids if i in texts],
        disliked_texts=[texts[i][0] for i in disliked_ids if i in texts],
        liked_authors=[texts[i][1] for i in liked_ids if i in texts],
    )
    return MemberModel(
        user_id=user_id,
        model=model_name,
        weights=fitted.weights,
        bias=fitted.bias,
        positives=len(liked),
        negatives=len(disliked) + len(background),
        fitted_at=now,
        terms=fitted.terms,
        authors=fitted.authors,
        liked_by=_liked_by(fitted.authors, liked_ids, texts),
    )


def _background(storage: Storage, *, model_name: str, today: date) -> Window:
    """Return the papers every refit contrasts likes with: the most recently featured."""
    return BACKGROUND_PAPERS.get(
        storage,
        model=model_name,
        start=today - timedelta(days=BACKGROUND_DAYS),
        end=today + timedelta(days=1),
        limit=DEFAULT_CHOICES.background + MAX_SIGNALS * 2,  # room for the member's own papers
    )


def _liked_by(
    authors: dict[str, float], liked_ids: list[str], texts: dict[str, tuple[str, tuple[str, ...]]]
) -> dict[str, list[str]]:
    """Return, per author the model weighs, their newest liked papers (a few)."""
    liked_by: dict[str, list[str]] = {}
    for paper_id in liked_ids:
        for name in texts.get(paper_id, ("", ()))[1]:
            papers = liked_by.setdefault(name, []) if name in authors else []
            if len(papers) < LIKED_BY_KEPT and paper_id not in papers:
                papers.append(paper_id)
    return liked_by


def refit_stale_models(
    *, storage: Storage, model_name: str | None, now: datetime, limit: int = 100
) -> int:
    """Refit the models of members whose signals changed since their last fit; return how many.

    While any member has a model, the background papers are read first, even when none is
    stale: reading them (10,000 vectors, the words of 5,000 papers counted) is most of a
    process's first refit at a million papers, 2.4 s of CPU against 0.3 s for a refit once
    they are kept. So the job reads them when it starts, they are refreshed on a thread
    every ten minutes after, and no member's refit waits for them.

    With no model name, the site's embedding model is used: the only one with vectors, or
    while the site changes models, the one with the most.
    """
    if not storage.any_member_models():
        return 0
    if model_name is None:
        model_name = _site_model(storage)
        if model_name is None:
            return 0
    _background(storage, model_name=model_name, today=now.date())
    stale = storage.stale_member_models(limit=limit)
    for user_id, version in stale:
        fitted = refit_member_model(
            storage=storage, user_id=user_id, model_name=model_name, now=now
        )
        with storage.transaction():
            if fitted is None:
                storage.forget_member_model(user_id, fitted_version=version)
            else:
                storage.save_member_model(fitted, fitted_version=version)
    return len(stale)


def _site_model(storage: Storage) -> str | None:
    """Return the embedding model the site's vectors are of, counting them only if several."""
    models = storage.embedding_models()
    if len(models) <= 1:
        return models[0] if models else None
    counts = storage.count_embeddings()  # a change of models is under way: rare
    return max(models, key=lambda name: counts.get(name, 0))
