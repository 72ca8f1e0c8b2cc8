"""The search page says when meaning-based search is off and how to turn it on."""

import os
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from dailypapers.search.availability import TURN_ON_COMMAND, semantic_search_unavailable
from dailypapers.search.onnx_minilm import MINILM_PACKAGE
from dailypapers.storage import Storage, open_storage
from dailypapers.web.pages.semantic_status import announce_semantic_search_off

from support.accounts import make_site
from support.serve_process import serve_process


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


@pytest.mark.parametrize("arguments", [(), ("--workers", "2")], ids=["one process", "workers"])
def test_serve_says_meaning_based_search_is_off_in_every_process(
    arguments: tuple[str, ...], tmp_path: Path
) -> None:
    """Without the weights package, each page says so, however many processes serve."""
    url = f"sqlite:///{tmp_path / 'site.db'}"
    open_storage(url).close()
    # The weights package is not to be found in any process the server starts, and no
    # model was built in this data directory.
    hidden = tmp_path / "without_weights"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text(
        f"import sys\nsys.modules[{MINILM_PACKAGE!r}] = None\n"
    )
    environment = {
        "PYTHONPATH": os.pathsep.join([str(hidden), os.environ.get("PYTHONPATH", "")]),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    log = tmp_path / "serve.log"
    with serve_process(url, log, *arguments, environment=environment) as base:
        pages = [httpx.get(f"{base}/search", params={"q": "diffusion"}).text for _ in range(8)]

    assert "Meaning-based search is off" in log.read_text()
    for page in pages:  # new connections: each process answers some of them
        assert "Meaning-based search is off" in page
        assert TURN_ON_COMMAND in page
