"""The promotion traffic mix: text turns in the seven languages of the held-out messages (written apart from any
training data), photo turns, voice note + photo turns and short videos, from a crowd of customers: the demo shop's
own (their orders are in the store) and first-time ones.

Each request is built once, on the wire as the open-loop generator sends it; wrk gets the text bodies as a file.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load.openloop import Request

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "benchmarks" / "heldout" / "messages"
KNOWN_CUSTOMERS = ("C1001", "C1002", "C1003", "C1004", "C1005", "C1006")
# The share of each kind of turn at a promotion peak (most customers type; some send a photo, fewer a voice note).
PROMOTION_MIX = {"text": 0.85, "photo": 0.09, "voice_photo": 0.04, "video": 0.02}


def texts() -> list[dict]:
    """The held-out messages: text and language."""
    rows = []
    for path in sorted(HELDOUT.glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [{"text": r["text"], "language": r["language"]} for r in rows]


@dataclass(frozen=True)
class Crowd:
    """Who writes: `known_share` of the turns come from the demo shop's customers, the rest from new ones; each
    conversation runs `turns_per_conversation` turns on average."""

    known_share: float = 0.5
    turns_per_conversation: int = 4
    seed: int = 0

    def conversations(self, n: int, run: str) -> list[tuple[str, str]]:
        """(conversation id, customer id) for `n` turns."""
        rng = random.Random(self.seed)
        out = []
        for i in range(max(1, n // self.turns_per_conversation)):
            customer = rng.choice(KNOWN_CUSTOMERS) if rng.random() < self.known_share else f"new-{run}-{i}"
            out += [(f"{run}-{i}", customer)] * self.turns_per_conversation
        rng.shuffle(out)
        return out[:n]


def text_body(message: dict, customer: str) -> bytes:
    return json.dumps({"customer_id": customer, "channel": "app", "text": message["text"]},
                      ensure_ascii=False).encode()


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes, str]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, data, ctype in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {ctype}\r\n\r\n'.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


@dataclass(frozen=True)
class Media:
    """The files the media turns send: goods photos of the demo catalog, voice notes, a short video."""

    photos: tuple[bytes, ...]
    notes: tuple[tuple[bytes, str], ...]  # (wav, language)
    video: bytes

    @classmethod
    def make(cls) -> "Media":
        from tests.media import espeak_wav, mp4_from_image

        images = sorted((ROOT / "catalog_index" / "demo" / "images").glob("*.jpg"))
        notes = (
            (espeak_wav("Hello. I bought this sweater last week and it already has a snag. Can I exchange it?"), "en"),
            (espeak_wav("The mug I received is cracked, I want a refund please.", voice="en-gb"), "en"),
            (espeak_wav("Wo3 mai3 de yi1 fu2 you3 ge4 dong4, ke3 yi3 tui4 huo4 ma5?", voice="cmn-latn-pinyin"), "zh"),
        )
        return cls(tuple(p.read_bytes() for p in images[:6]), notes, mp4_from_image(images[0], seconds=2.0))


def requests(n: int, host: str, crowd: Crowd, run: str, media: Media | None = None,
             mix: dict[str, float] | None = None) -> tuple[list[Request], list[float]]:
    """`n` requests of the mix (text only without `media`), with their weights for the generator."""
    mix = mix or ({"text": 1.0} if media is None else PROMOTION_MIX)
    rng = random.Random(crowd.seed + 1)
    messages = texts()
    out = []
    for (conversation, customer), kind in zip(crowd.conversations(n, run),
                                              rng.choices(list(mix), weights=list(mix.values()), k=n)):
        path = f"/v1/conversations/{conversation}/messages"
        fields = {"customer_id": customer, "channel": "app"}
        if kind == "text":
            out.append(Request.build(kind, host, path, text_body(rng.choice(messages), customer), "application/json"))
            continue
        assert media is not None, "media turns need Media"
        photo = ("image", "p.jpg", rng.choice(media.photos), "image/jpeg")
        if kind == "photo":
            body, ctype = multipart({**fields, "text": rng.choice(messages)["text"]}, [photo])
        elif kind == "voice_photo":
            wav, language = rng.choice(media.notes)
            body, ctype = multipart({**fields, "language": language}, [("audio", "n.wav", wav, "audio/wav"), photo])
        else:
            body, ctype = multipart(fields, [("video", "v.mp4", media.video, "video/mp4")])
        out.append(Request.build(kind, host, path, body, ctype))
    return out, [1.0] * len(out)


def write_wrk_bodies(path: Path, n: int, crowd: Crowd, run: str) -> Path:
    """Text turns for wrk's Lua script: one line per request, `conversation<TAB>JSON body`."""
    rng = random.Random(crowd.seed + 2)
    messages = texts()
    lines = [f"{conversation}\t{text_body(rng.choice(messages), customer).decode()}"
             for conversation, customer in crowd.conversations(n, run)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
