"""The search page says when meaning-based search is off and how to turn it on."""

from fastapi.testclient import TestClient

from dailypapers.search.availability import TURN_ON_COMMAND, semantic_search_unavailable
from dailypapers.storage import Storage
from dailypapers.web.semantic_status import announce_semantic_search_off

from support.accounts import make_site


def test_the_search_page_says_meaning_based_search_is_off_and_how_to_turn_it_on(
    loaded_storage: Storage, tmp_path
) -> None:
    reason = semantic_search_unavailable(package="no_such_weights_package", model_dir=tmp_path)
    assert reason is not None
    app = make_site(loaded_storage)
    announce_semantic_search_off(app, reason)
    client = TestClient(app)

    empty = client.get("/search").text
    results = client.get("/search", params={"q": "diffusion"}).text

    for page in (empty, results):
        assert "Meaning-based search is off" in page
        assert TURN_ON_COMMAND in page
        assert "the language model is loading" not in page  # not a promise that never comes


def test_with_the_model_installed_the_page_does_not_say_it_is_off(loaded_storage: Storage) -> None:
    page = TestClient(make_site(loaded_storage)).get("/search").text

    assert "Meaning-based search is off" not in page
