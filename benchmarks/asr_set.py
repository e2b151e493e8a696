"""The speech benchmarks' evaluation set: after-sales voice notes spoken by espeak-ng, cached under var/bench/asr/.

English notes are spoken by four voices (en-us, en-gb, en-us slow and fast), Mandarin notes by `cmn-latn-pinyin`
reading numbered pinyin made with pypinyin (the reference stays the Chinese text), and a few Indonesian, Malay,
Vietnamese and Thai notes serve language identification only. Sentences are joined into notes of about 3 to 30 s.
Build it once (it takes seconds) with:
    .venv/bin/python benchmarks/asr_set.py
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models.errors import MediaError  # noqa: E402
from media.audio import decode_audio  # noqa: E402

logger = logging.getLogger("kefu.benchmarks")

CACHE = ROOT / "var" / "bench" / "asr"
SAMPLE_RATE = 16_000
KINDS = ("en", "zh", "sea")
SEA_LANGUAGES = ("id", "ms", "vi", "th")
# Bump when the way notes are made changes, so stale caches are rebuilt.
_FORMAT = 2
# Notes stay inside one 30-s Whisper window, as most voice notes do.
_MAX_S = 29.5
# Target lengths of the English and Mandarin notes, each spoken by every voice (4 × 10 = 40 notes): a third near 5 s,
# a third near 10 s and a fifth 22-30 s, so the throughput benchmark finds notes of each length it measures.
_TARGETS_S = (3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 24.0, 28.0)
EN_VOICES = (("en-us", 150), ("en-gb", 150), ("en-us", 130), ("en-us", 175))
# Whisper hears espeak's Mandarin badly and often loops on it; slower speech and its female variants fare best
# (CER 0.44-0.58 for f2/f3 against 0.76-0.83 for the default voice on a trial of eight notes).
ZH_VOICES = (
    ("cmn-latn-pinyin", 130), ("cmn-latn-pinyin+f2", 140), ("cmn-latn-pinyin+f3", 130), ("cmn-latn-pinyin+Annie", 130)
)

EN_SENTENCES = (
    "Hi, I placed an order five days ago and it still has not shipped.",
    "Can you tell me when my package will leave the warehouse?",
    "The tracking page has not been updated since Monday.",
    "I tried to use my coupon at checkout but it says the code is invalid.",
    "The coupon was supposed to take 20 dollars off orders over one hundred dollars.",
    "My discount code expired yesterday, can you extend it for me?",
    "The cardigan I bought last week is now 15 percent cheaper.",
    "Can you refund the price difference, since the price dropped right after I paid?",
    "The sweater arrived with a snag on the left sleeve.",
    "There is a small hole near the collar of the shirt.",
    "I found a stain on the front of the white dress when I opened the box.",
    "The zipper on the jacket is broken and will not close.",
    "I would like to return these jeans because they are too small.",
    "How do I get a return label for my order?",
    "Can I exchange the blue coat for a larger size instead of getting a refund?",
    "I need to change the delivery address on my order.",
    "Please send it to my office instead of my home.",
    "I moved last week and forgot to update my address before paying.",
    "Is there a duty free limit for orders shipped to Singapore?",
    "Will I have to pay import tax if my order is over the limit?",
    "Can you split my order into two parcels to stay under the duty free limit?",
    "The package says delivered but I never received it.",
    "I was charged twice for the same order.",
    "When will the refund be back on my credit card?",
    "The shoes I received do not look like the photo on the website.",
    "One of the buttons fell off the first time I wore the shirt.",
    "I ordered 3 pairs of socks but only two were in the box.",
    "The size chart says medium but the label says small.",
    "Could you check if the black hoodie is back in stock?",
    "I returned the parcel two weeks ago and I still have no refund.",
    "The courier left my parcel outside in the rain and the box is soaked.",
    "Please stop my order, I bought the wrong size.",
    "Can I still add an item to my order before it ships?",
    "The seams on the trousers are coming apart after one wash.",
    "The order number is on my receipt, but the app says it does not exist.",
    "Is it possible to get free shipping on the replacement?",
    "The price dropped by 10 dollars the day after I bought it.",
    "I would like to speak to someone about a damaged item.",
    "Thank you for your help, please let me know as soon as possible.",
    "The scarf smells strongly of chemicals, is that normal?",
    "The customs office is holding my parcel and asking for an invoice.",
    "My tracking number does not work on the courier website.",
)

ZH_SENTENCES = (
    "你好，我的订单已经五天了还没有发货。",
    "请问我的包裹什么时候能从仓库发出？",
    "物流信息三天都没有更新了。",
    "我结账的时候优惠券用不了，显示无效。",
    "满一百减二十的优惠券怎么不能用？",
    "我的优惠码昨天过期了，能帮我延长一下吗？",
    "我上周买的开衫现在降价了，能退差价吗？",
    "我付款以后就降价了，可以保价吗？",
    "毛衣收到的时候袖子上有一根抽丝。",
    "衬衫领子旁边有一个小洞。",
    "打开包裹发现白色裙子前面有一块污渍。",
    "外套的拉链坏了，拉不上。",
    "这条牛仔裤太小了，我想退货。",
    "怎么申请退货的快递单？",
    "我不要退款，可以换一件大一号的吗？",
    "我想修改订单的收货地址。",
    "请帮我改成公司的地址，不要寄到家里。",
    "我上周搬家了，付款前忘了改地址。",
    "寄到新加坡的订单有免税额度吗？",
    "如果超过免税额度，我需要交进口税吗？",
    "能不能把订单拆成两个包裹，这样不超过免税额度？",
    "物流显示已经签收，但是我根本没收到。",
    "同一个订单扣了我两次钱。",
    "退款什么时候能回到我的信用卡？",
    "收到的鞋子和图片上的颜色不一样。",
    "衬衫第一次穿扣子就掉了一个。",
    "我买了三双袜子，但是盒子里只有两双。",
    "尺码表写的是中号，标签上却是小号。",
    "黑色卫衣什么时候补货？",
    "我两个星期前就寄回去了，到现在还没退款。",
    "快递员把包裹放在门外淋雨，箱子全湿了。",
    "我拍错尺码了，请帮我取消订单。",
    "发货之前还能再加一件商品吗？",
    "裤子洗了一次，缝线就开了。",
    "换货的时候可以免运费吗？",
    "我买完第二天就便宜了十块钱。",
    "商品有破损，我想找人工客服。",
    "谢谢你的帮助，请尽快给我回复。",
    "这条围巾有很重的化学味道，正常吗？",
    "海关扣了我的包裹，要我提供发票。",
    "我的订单显示已发货，但是快递单号查不到。",
    "能不能帮我催一下发货？",
)

# Language identification only: one voice each, a few notes of one or two sentences.
SEA_NOTES = {
    "id": (
        "Halo, pesanan saya belum dikirim sejak minggu lalu.",
        "Kode kupon saya tidak bisa dipakai saat pembayaran. Tolong dibantu ya.",
        "Baju yang saya terima ada noda di bagian depan, saya mau mengembalikannya.",
        "Harganya turun sehari setelah saya beli, apakah selisihnya bisa dikembalikan?",
        "Tolong ganti alamat pengiriman saya ke kantor di Jakarta Selatan.",
    ),
    "ms": (
        "Helo, pesanan saya masih belum dihantar sejak minggu lepas.",
        "Kod kupon saya tidak boleh digunakan semasa pembayaran. Boleh tolong semak?",
        "Baju yang saya terima ada kesan kotoran, saya mahu memulangkannya.",
        "Harga turun sehari selepas saya membeli, bolehkah saya dapat balik perbezaan harga?",
        "Sila tukar alamat penghantaran saya ke pejabat di Kuala Lumpur.",
    ),
    "vi": (
        "Xin chào, đơn hàng của tôi vẫn chưa được giao từ tuần trước.",
        "Mã giảm giá của tôi không dùng được khi thanh toán. Bạn kiểm tra giúp tôi nhé.",
        "Chiếc áo tôi nhận được bị thủng một lỗ, tôi muốn trả hàng.",
        "Giá đã giảm ngay sau khi tôi mua, tôi có được hoàn lại tiền chênh lệch không?",
        "Làm ơn đổi địa chỉ giao hàng sang văn phòng của tôi ở Hà Nội.",
    ),
    "th": (
        "สวัสดีค่ะ คำสั่งซื้อของฉันยังไม่ได้จัดส่งตั้งแต่สัปดาห์ที่แล้ว",
        "คูปองส่วนลดของฉันใช้ไม่ได้ตอนชำระเงิน ช่วยตรวจสอบให้หน่อยค่ะ",
        "เสื้อที่ได้รับมีรอยเปื้อนด้านหน้า ฉันอยากคืนสินค้า",
        "ราคาลดลงหลังจากที่ฉันซื้อไปหนึ่งวัน ขอเงินส่วนต่างคืนได้ไหม",
        "กรุณาเปลี่ยนที่อยู่จัดส่งเป็นที่ทำงานของฉันในกรุงเทพ",
    ),
}

# pypinyin keeps Chinese punctuation; espeak pauses on ASCII punctuation.
_ZH_PUNCTUATION = str.maketrans({"，": ",", "、": ",", "；": ",", "：": ",", "。": ".", "！": ".", "？": "?"})


class AsrSetError(RuntimeError):
    """The evaluation set cannot be built or read (espeak-ng missing, unknown kind, unreadable cache)."""


@dataclass(frozen=True)
class Note:
    """One spoken voice note.

    Attributes:
        id: Stable name, e.g. "en-017".
        audio: 16 kHz mono float32 waveform, decoded by `media.audio.decode_audio` as the service decodes uploads.
        text: What was said: the reference transcript (Chinese characters for Mandarin, never the pinyin).
        language: ISO 639-1 code ("en", "zh", "id", "ms", "vi", "th").
        voice: espeak-ng voice that spoke it.
        speed: espeak-ng speed in words per minute.
        seconds: Length of the audio.
    """

    id: str
    audio: np.ndarray
    text: str
    language: str
    voice: str
    speed: int
    seconds: float


@dataclass(frozen=True)
class _Script:
    """What espeak-ng is asked to say for one note, and the reference text it stands for."""

    id: str
    text: str
    spoken: str
    language: str
    voice: str
    speed: int


def to_pinyin(text: str) -> str:
    """Chinese text → numbered pinyin ("wo3 de5 ding4 dan1, ...") that espeak-ng's cmn-latn-pinyin voice reads."""
    from pypinyin import Style, lazy_pinyin

    out = ""
    for piece in lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True):
        piece = piece.translate(_ZH_PUNCTUATION).strip()
        if not piece:
            continue
        out += piece if piece[0] in ",.?!" or not out else " " + piece
    return out


def speak(text: str, voice: str, speed: int) -> bytes:
    """WAV bytes of espeak-ng saying `text`.

    Raises:
        AsrSetError: espeak-ng is not installed, or it failed on this voice.
    """
    if shutil.which("espeak-ng") is None:
        raise AsrSetError("espeak-ng is not installed (`make test` installs it: apt-get install espeak-ng)")
    # A file, not --stdout: a piped WAV's header announces ~2 GB of audio, which decode_audio rejects as truncated.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "note.wav"
        try:
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True,
                           capture_output=True, timeout=60)
        except subprocess.CalledProcessError as exc:
            raise AsrSetError(f"espeak-ng failed for voice {voice!r}: {exc.stderr.decode(errors='replace')}") from exc
        except subprocess.TimeoutExpired as exc:
            raise AsrSetError(f"espeak-ng took over 60 s on voice {voice!r}") from exc
        return path.read_bytes()


def _seconds(wav: bytes) -> float:
    return decode_audio(wav).shape[0] / SAMPLE_RATE


def _compose(kind: str, sentences: tuple[str, ...], voices, spoken_form, joiner: str) -> list[_Script]:
    """Notes of every target length by every voice, from consecutive sentences of a shuffled pool."""
    order = list(range(len(sentences)))
    random.Random(kind).shuffle(order)
    lengths: dict[tuple[int, str, int], float] = {}

    def length(i: int, voice: str, speed: int) -> float:
        if (i, voice, speed) not in lengths:
            lengths[(i, voice, speed)] = _seconds(speak(spoken_form(sentences[i]), voice, speed))
        return lengths[(i, voice, speed)]

    scripts, cursor = [], 0
    for target in _TARGETS_S:
        for voice, speed in voices:
            picked: list[int] = []
            total = 0.0
            while total < target:
                i = order[cursor % len(order)]
                if i in picked:
                    break  # the pool is used up within this note
                seconds = length(i, voice, speed)
                if picked and total + seconds > _MAX_S:
                    break
                picked.append(i)
                total += seconds
                cursor += 1
            # Spoken together a note comes out a little longer than its sentences alone: drop sentences to fit.
            while len(picked) > 1 and _seconds(speak(spoken_form(joiner.join(sentences[i] for i in picked)), voice,
                                                     speed)) > _MAX_S:
                picked.pop()
            text = joiner.join(sentences[i] for i in picked)
            scripts.append(_Script(f"{kind}-{len(scripts):03d}", text, spoken_form(text), kind, voice, speed))
    return scripts


def _scripts(kind: str) -> list[_Script]:
    if kind == "en":
        return _compose("en", EN_SENTENCES, EN_VOICES, lambda text: text, " ")
    if kind == "zh":
        return _compose("zh", ZH_SENTENCES, ZH_VOICES, to_pinyin, "")
    if kind == "sea":
        return [
            _Script(f"{language}-{n:03d}", text, text, language, language, 150)
            for language in SEA_LANGUAGES
            for n, text in enumerate(SEA_NOTES[language])
        ]
    raise AsrSetError(f"unknown set {kind!r}; expected one of {list(KINDS)}")


def _key(kind: str) -> str:
    """What the cached notes were made from: a new sentence, voice, target or espeak-ng version rebuilds them."""
    version = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.strip()
    spec = {
        "format": _FORMAT,
        "kind": kind,
        "espeak": version,
        "targets": _TARGETS_S,
        "voices": {"en": EN_VOICES, "zh": ZH_VOICES}.get(kind),
        "sentences": {"en": EN_SENTENCES, "zh": ZH_SENTENCES, "sea": SEA_NOTES}[kind],
    }
    return hashlib.sha256(json.dumps(spec, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]


def build(kind: str, cache: Path = CACHE, force: bool = False) -> Path:
    """Speak the notes of `kind` into `cache/<kind>/` unless an up-to-date copy is there; the manifest's path.

    Raises:
        AsrSetError: Unknown kind, or espeak-ng missing or failing.
    """
    if kind not in KINDS:
        raise AsrSetError(f"unknown set {kind!r}; expected one of {list(KINDS)}")
    if shutil.which("espeak-ng") is None:
        raise AsrSetError("espeak-ng is not installed (`make test` installs it: apt-get install espeak-ng)")
    folder = cache / kind
    manifest = folder / "manifest.json"
    key = _key(kind)
    if not force and manifest.is_file():
        try:
            if json.loads(manifest.read_text())["key"] == key:
                return manifest
        except (ValueError, KeyError) as exc:
            logger.info("rebuilding %s: unreadable manifest (%s)", kind, exc)
    folder.mkdir(parents=True, exist_ok=True)
    entries = []
    for script in _scripts(kind):
        wav = speak(script.spoken, script.voice, script.speed)
        (folder / f"{script.id}.wav").write_bytes(wav)
        entries.append({
            "id": script.id, "file": f"{script.id}.wav", "text": script.text, "language": script.language,
            "voice": script.voice, "speed": script.speed, "seconds": round(_seconds(wav), 3),
        })
    tmp = manifest.with_suffix(".tmp")
    tmp.write_text(json.dumps({"key": key, "notes": entries}, ensure_ascii=False, indent=1) + "\n")
    os.replace(tmp, manifest)  # a build cut short leaves the old manifest (or none), never a half-written one
    logger.info("built %d %s notes in %s", len(entries), kind, folder)
    return manifest


def load_set(kind: str, cache: Path = CACHE) -> list[Note]:
    """The notes of one set: "en", "zh" or "sea" (id, ms, vi, th); built first if missing or stale.

    Raises:
        AsrSetError: Unknown kind, espeak-ng missing, or a cached file unreadable.
    """
    manifest = build(kind, cache)
    notes = []
    for entry in json.loads(manifest.read_text())["notes"]:
        path = manifest.parent / entry["file"]
        try:
            audio = decode_audio(path.read_bytes())
        except (OSError, MediaError) as exc:
            raise AsrSetError(f"cached note {path} is unreadable ({exc}); rebuild with --force") from exc
        notes.append(Note(entry["id"], audio, entry["text"], entry["language"], entry["voice"], entry["speed"],
                          audio.shape[0] / SAMPLE_RATE))
    return notes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {','.join(KINDS)}")
    parser.add_argument("--force", action="store_true", help="speak every note again even if the cache is current")
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for kind in args.kinds.split(","):
        build(kind, args.cache, force=args.force)
        notes = load_set(kind, args.cache)
        seconds = [n.seconds for n in notes]
        languages = sorted({n.language for n in notes})
        logger.info("%-3s %3d notes (%s), %.0f s of audio, %.1f-%.1f s each", kind, len(notes), ",".join(languages),
                    sum(seconds), min(seconds), max(seconds))


if __name__ == "__main__":
    main()
