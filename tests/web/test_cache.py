"""The response cache never shows stale data after a write, nor caches personal pages."""

from dataclasses import replace

from support.sites import make_client


def upvotes_shown(client):
    return client.get("/api/papers/2510.14545").json()["upvotes"]


def test_a_write_shows_at_once(loaded_storage):
    client = make_client(loaded_storage, cache_seconds=60)
    assert upvotes_shown(client) == 61
    paper = loaded_storage.get_papers(["2510.14545"])["2510.14545"]
    with loaded_storage.transaction():
        loaded_storage.save_papers([replace(paper, upvotes=99)])
    assert upvotes_shown(client) == 99


def test_repeated_requests_are_served_from_memory(loaded_storage):
    client = make_client(loaded_storage, cache_seconds=60)
    first = client.get("/papers/date/2025-10-17")
    paper = loaded_storage.get_papers(["2510.14545"])["2510.14545"]
    # Change the row behind the storage's back: only a cached page can still show 61.
    loaded_storage._execute("UPDATE papers SET upvotes = 7 WHERE id = '2510.14545'")
    assert client.get("/papers/date/2025-10-17").text == first.text
    assert paper.upvotes == 61


def test_requests_with_cookies_are_not_cached(loaded_storage):
    client = make_client(loaded_storage, cache_seconds=60)
    client.get("/api/papers/2510.14545")
    loaded_storage._execute("UPDATE papers SET upvotes = 7 WHERE id = '2510.14545'")
    client.cookies.set("session", "x")
    assert upvotes_shown(client) == 7


def test_a_zero_ttl_turns_the_cache_off(loaded_storage):
    client = make_client(loaded_storage, cache_seconds=0)
    upvotes_shown(client)
    loaded_storage._execute("UPDATE papers SET upvotes = 7 WHERE id = '2510.14545'")
    assert upvotes_shown(client) == 7
