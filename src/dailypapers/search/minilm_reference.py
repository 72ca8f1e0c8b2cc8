"""Compute MiniLM embeddings in plain fp32 numpy: the oracle the int8 ONNX model is checked against.

It shares no code with the ONNX graph, so a mistake in the graph cannot hide in both. It is
slow (about a second for a handful of abstracts) and meant for tests and benchmarks only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from dailypapers.search.onnx_minilm import BertShape, MiniLMSource, WeightMap

_erf = np.vectorize(math.erf, otypes=[np.float64])


def _layer_norm(
    x: NDArray[np.float64], gamma: NDArray[np.float32], beta: NDArray[np.float32], eps: float
) -> NDArray[np.float64]:
    """Normalize the last axis to zero mean and unit variance, then scale and shift."""
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    normalized: NDArray[np.float64] = (x - mean) / np.sqrt(variance + eps) * gamma + beta
    return normalized


def _linear(x: NDArray[np.float64], weights: WeightMap, name: str) -> NDArray[np.float64]:
    """Apply a torch-style Linear layer (weight stored as out x in)."""
    return x @ weights[f"{name}.weight"].T.astype(np.float64) + weights[f"{name}.bias"]


def _encode_one(ids: list[int], weights: WeightMap, shape: BertShape) -> NDArray[np.float32]:
    """Run the encoder on one unpadded token sequence; return its unit mean-pooled vector."""
    n = len(ids)
    x = (
        weights["embeddings.word_embeddings.weight"][ids].astype(np.float64)
        + weights["embeddings.position_embeddings.weight"][:n]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = _layer_norm(
        x,
        weights["embeddings.LayerNorm.weight"],
        weights["embeddings.LayerNorm.bias"],
        shape.layer_norm_eps,
    )
    head_size = shape.hidden // shape.heads
    for index in range(shape.layers):
        prefix = f"encoder.layer.{index}"
        q, k, v = (
            _linear(x, weights, f"{prefix}.attention.self.{part}")
            .reshape(n, shape.heads, head_size)
            .transpose(1, 0, 2)
            for part in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attended = (scores / scores.sum(axis=-1, keepdims=True)) @ v
        attended = attended.transpose(1, 0, 2).reshape(n, shape.hidden)
        x = _layer_norm(
            x + _linear(attended, weights, f"{prefix}.attention.output.dense"),
            weights[f"{prefix}.attention.output.LayerNorm.weight"],
            weights[f"{prefix}.attention.output.LayerNorm.bias"],
            shape.layer_norm_eps,
        )
        widened = _linear(x, weights, f"{prefix}.intermediate.dense")
        activated = 0.5 * widened * (1.0 + _erf(widened / math.sqrt(2.0)))
        x = _layer_norm(
            x + _linear(activated, weights, f"{prefix}.output.dense"),
            weights[f"{prefix}.output.LayerNorm.weight"],
            weights[f"{prefix}.output.LayerNorm.bias"],
            shape.layer_norm_eps,
        )
    mean = x.mean(axis=0)
    return np.asarray(mean / max(float(np.linalg.norm(mean)), 1e-12), dtype=np.float32)


def reference_embeddings(
    source: MiniLMSource, texts: Sequence[str], *, max_tokens: int
) -> NDArray[np.float32]:
    """Embed `texts` as sentence-transformers does, truncated to `max_tokens` tokens."""
    tokenizer = Tokenizer.from_file(str(source.tokenizer))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens)
    weights, shape = source.load_weights(), source.shape()
    vectors = [_encode_one(tokenizer.encode(text).ids, weights, shape) for text in texts]
    return np.stack(vectors) if vectors else np.zeros((0, shape.hidden), dtype=np.float32)
