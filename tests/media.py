"""Test media made on the spot: speech from espeak-ng, tones, photos and videos from catalog images."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image


def espeak_wav(text: str, voice: str = "en-us", speed: int = 150) -> bytes:
    """A spoken voice note as WAV bytes; skips the test where espeak-ng is missing (make test installs it)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (make test installs it)")
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "--stdout", text], check=True, capture_output=True
    )
    return out.stdout


def tone_wav(seconds: float = 1.0, rate: int = 16_000, freq: float = 440.0) -> bytes:
    samples = (0.3 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)
    buf = io.BytesIO()
    with av.open(buf, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=rate, layout="mono")
        frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16)[None, :], format="s16", layout="mono")
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def mp4_from_image(path: Path, seconds: float = 2.0, fps: int = 10, zoom: float = 0.08) -> bytes:
    """A short video slowly zooming into one picture, as a shopper's clip of a product would."""
    base = Image.open(path).convert("RGB").resize((320, 320))
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 320, 320, "yuv420p"
        frames = int(seconds * fps)
        for i in range(frames):
            margin = int(320 * zoom * i / max(frames - 1, 1) / 2)
            frame_img = base.crop((margin, margin, 320 - margin, 320 - margin)).resize((320, 320))
            for packet in stream.encode(av.VideoFrame.from_image(frame_img)):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def unseen_defect_plans(seed: int, clean: bool = False):
    """Endless plans of 480-px photos in the looks only the test split uses (reserved materials, palettes, light and
    ranges), at most one defect each (none when `clean`); render one with training.defect_scene.render_scene."""
    from training.defect_data import image_entropy
    from training.defect_scene import SceneOptions, plan_scene

    options = SceneOptions(size=480, clean_share=1.0 if clean else 0.0, max_defects=1)
    index = 0
    while True:
        yield plan_scene(image_entropy(seed, "test", index), "test", options, "textures")
        index += 1
