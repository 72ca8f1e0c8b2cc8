"""The response cache never shows stale data after a write, nor caches personal pages."""

import asyncio
from dataclasses import replace

import httpx

from dailypapers.web.cache import ENTRY_BYTES, ResponseCache

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


class FixedGeneration:
    def generation(self):
        return 1


def test_concurrent_misses_render_a_page_once():
    renders = []

    async def slow_page(scope, receive, send):
        renders.append(scope["path"])
        await asyncio.sleep(0.05)
        status = 500 if scope["path"] == "/broken" else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b"page %d" % len(renders)})

    async def main():
        cache = ResponseCache(slow_page, storage=FixedGeneration(), ttl_s=60)
        transport = httpx.ASGITransport(cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            pages = await asyncio.gather(*(client.get("/") for _ in range(8)))
            broken = await asyncio.gather(*(client.get("/broken") for _ in range(3)))
        return pages, broken, cache

    pages, broken, cache = asyncio.run(main())
    assert {page.text for page in pages} == {"page 1"}
    assert [response.status_code for response in broken] == [500] * 3  # errors are not shared
    assert renders == ["/"] + ["/broken"] * 3
    assert cache.renders == {}


def test_the_pages_kept_weigh_no_more_than_the_budget_the_least_recently_served_go_first():
    renders = []

    async def page_of_its_size(scope, receive, send):
        renders.append(scope["path"])
        size = int(scope["path"].strip("/").split("-")[1])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x" * size})

    async def main():
        cache = ResponseCache(
            page_of_its_size, storage=FixedGeneration(), ttl_s=60, max_bytes=1000 + 2 * ENTRY_BYTES
        )
        transport = httpx.ASGITransport(cache)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            for path in ["/a-400", "/b-400", "/a-400", "/c-400", "/huge-6000", "/a-400", "/b-400"]:
                assert (await client.get(path)).status_code == 200
        return cache

    cache = asyncio.run(main())
    # /b was served least recently when /c came; /huge alone is over the budget
    assert renders == ["/a-400", "/b-400", "/c-400", "/huge-6000", "/b-400"]
    assert [path for path, _ in cache.entries] == ["/a-400", "/b-400"]
    assert cache.size == 800 + 2 * ENTRY_BYTES
