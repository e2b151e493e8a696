"""Decoding user media: audio in every container a phone sends, images, videos, and every way they go wrong."""

from __future__ import annotations

import io
import struct
import time
import wave
import zlib

import av
import numpy as np
import pytest
from PIL import Image

from media.audio import decode_audio
from media.errors import InvalidMedia, MediaError, MediaTooLarge, UnsupportedMedia
from media.image import decode_image
from media.video import decode_video_frames

# (container, encoder, encoder sample rate): what WeChat, WhatsApp, browsers and phones record voice notes in.
AUDIO_FORMATS = [
    ("wav", "pcm_s16le", 44_100),
    ("flac", "flac", 44_100),
    ("mp3", "libmp3lame", 44_100),
    ("ogg", "libopus", 48_000),
    ("webm", "libopus", 48_000),
    ("ipod", "aac", 44_100),  # .m4a
    ("amr", "libopencore_amrnb", 8_000),
]


def tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * freq * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def encode_audio(samples: np.ndarray, rate: int, fmt: str, codec: str, codec_rate: int) -> bytes:
    """Write a mono float waveform with PyAV, converted to whatever sample format and frame size the codec wants."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=codec_rate)
        stream.layout = "mono"
        ctx = stream.codec_context
        resampler = av.AudioResampler(format=ctx.format.name, layout="mono", rate=codec_rate, frame_size=ctx.frame_size or 1024)
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="flt", layout="mono")
        frame.sample_rate = rate
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(chunk):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def encode_video(seconds: float, fps: int = 10, size: tuple[int, int] = (64, 48), fmt: str = "mp4") -> bytes:
    """A clip whose frame i is a flat grey of level 5*i, so a decoded frame tells which source frame it was."""
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream("libx264" if "libx264" in av.codecs_available else "mpeg4", rate=fps)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        for i in range(int(seconds * fps)):
            pixels = np.full((size[1], size[0], 3), (5 * i) % 256, dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def image_bytes(image: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **options)
    return buf.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG signature and header claiming `width` x `height`, with almost no pixel data behind it."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def photo(width: int = 96, height: int = 64) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


# ------------------------------------------------------------------------------------------------------- audio


@pytest.mark.parametrize(("fmt", "codec", "codec_rate"), AUDIO_FORMATS, ids=[f[0] + "-" + f[1] for f in AUDIO_FORMATS])
def test_audio_formats_decode_to_16k_mono(fmt, codec, codec_rate):
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build cannot encode {codec}")
    data = encode_audio(tone(2.0, 22_050), 22_050, fmt, codec, codec_rate)
    audio = decode_audio(data)
    assert audio.dtype == np.float32 and audio.ndim == 1
    # Lossy codecs pad with a few ms of priming samples; the length must still be about two seconds at 16 kHz.
    assert abs(len(audio) / 16_000 - 2.0) < 0.1
    assert 0.2 < float(np.abs(audio).max()) < 0.45


def test_audio_is_resampled_to_the_requested_rate_and_keeps_its_pitch():
    data = encode_audio(tone(1.0, 44_100, freq=1_000.0), 44_100, "wav", "pcm_s16le", 44_100)
    audio = decode_audio(data, sample_rate=8_000)
    assert abs(len(audio) - 8_000) <= 16
    spectrum = np.abs(np.fft.rfft(audio))
    peak_hz = np.argmax(spectrum) * 8_000 / len(audio)
    assert abs(peak_hz - 1_000.0) < 5.0


def test_stereo_is_mixed_down_to_mono():
    left = tone(1.0, 16_000)
    buf = io.BytesIO()
    with av.open(buf, "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=16_000, layout="stereo")
        pcm = (np.stack([left, left]) * 32767).astype(np.int16).T.reshape(1, -1)  # packed s16: L R L R ...
        frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="stereo")
        frame.sample_rate = 16_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    audio = decode_audio(buf.getvalue())
    assert audio.shape == (16_000,)
    assert 0.2 < float(np.abs(audio).max()) < 0.45


def test_audio_over_the_limit_is_refused_without_decoding_it_all():
    data = encode_audio(tone(30.0, 16_000), 16_000, "wav", "pcm_s16le", 16_000)
    assert len(decode_audio(data, max_seconds=31.0)) == 30 * 16_000
    with pytest.raises(MediaTooLarge, match="5 s"):
        decode_audio(data, max_seconds=5.0)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", InvalidMedia),
        (b"hello, this is not audio", UnsupportedMedia),
        (None, UnsupportedMedia),  # filled in below: a JPEG, which FFmpeg opens but which has no audio track
    ],
    ids=["empty", "text", "image"],
)
def test_audio_refuses_what_is_not_audio(data, error):
    data = image_bytes(photo(), "JPEG") if data is None else data
    with pytest.raises(error):
        decode_audio(data)


def test_wav_with_no_samples_is_invalid():
    buf = io.BytesIO()
    with wave.open(buf, "wb") as empty:  # a well-formed WAV header announcing zero samples
        empty.setnchannels(1)
        empty.setsampwidth(2)
        empty.setframerate(16_000)
    with pytest.raises(InvalidMedia, match="no samples"):
        decode_audio(buf.getvalue())


def test_random_bytes_are_refused_by_every_decoder():
    rng = np.random.default_rng(7)
    for _ in range(10):
        junk = rng.bytes(4096)
        for decode in (decode_audio, decode_image, decode_video_frames):
            with pytest.raises((UnsupportedMedia, InvalidMedia)):
                decode(junk)


def test_media_errors_are_value_errors_with_codes():
    with pytest.raises(ValueError) as caught:
        decode_audio(b"")
    assert isinstance(caught.value, MediaError) and caught.value.code == "invalid_media"


# ------------------------------------------------------------------------------------------------------ images


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF", "TIFF"])
def test_images_decode_to_rgb(fmt):
    original = photo()
    picture = decode_image(image_bytes(original, fmt))
    assert picture.mode == "RGB" and picture.size == original.size


def test_exif_orientation_is_applied():
    original = photo(96, 64)
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    picture = decode_image(image_bytes(original, "JPEG", exif=exif.tobytes()))
    assert picture.size == (64, 96)


def test_transparent_pixels_become_white_not_black():
    rgba = Image.new("RGBA", (8, 8), (0, 0, 0, 0))
    picture = decode_image(image_bytes(rgba, "PNG"))
    assert picture.getpixel((0, 0)) == (255, 255, 255)


def test_grey_and_16_bit_images_become_rgb():
    grey = Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8), "L")
    assert decode_image(image_bytes(grey, "PNG")).mode == "RGB"
    deep = Image.fromarray((np.arange(64, dtype=np.uint16) * 1000).reshape(8, 8))
    picture = decode_image(image_bytes(deep, "PNG"))
    assert picture.mode == "RGB"
    assert picture.getpixel((0, 0))[0] < picture.getpixel((7, 7))[0]


def test_truncated_jpeg_is_invalid():
    data = image_bytes(photo(), "JPEG")
    with pytest.raises(InvalidMedia):
        decode_image(data[: len(data) // 2])


def test_not_an_image_is_unsupported():
    with pytest.raises(UnsupportedMedia):
        decode_image(b"%PDF-1.7 not a photo at all")
    with pytest.raises(UnsupportedMedia):
        decode_image(encode_audio(tone(0.5, 16_000), 16_000, "wav", "pcm_s16le", 16_000))
    with pytest.raises(InvalidMedia, match="empty"):
        decode_image(b"")


def test_decompression_bomb_is_refused_from_the_header():
    started = time.perf_counter()
    with pytest.raises(MediaTooLarge):
        decode_image(png_header_only(100_000, 100_000))
    with pytest.raises(MediaTooLarge, match="limit"):
        decode_image(png_header_only(8_000, 6_000))  # under Pillow's own limit, over ours
    assert time.perf_counter() - started < 1.0


def test_pixel_limit_is_configurable():
    data = image_bytes(photo(100, 100), "PNG")
    assert decode_image(data, max_pixels=10_000).size == (100, 100)
    with pytest.raises(MediaTooLarge):
        decode_image(data, max_pixels=9_999)


# ------------------------------------------------------------------------------------------------------ video


def test_video_frames_are_spread_over_the_clip_in_order():
    frames = decode_video_frames(encode_video(4.0, fps=10), max_frames=8)
    assert len(frames) == 8
    times = [t for t, _ in frames]
    assert all(a < b for a, b in zip(times, times[1:]))
    assert times[0] < 0.6 and times[-1] > 3.4, "frames should cover the whole clip, not bunch at the start"
    for t, picture in frames:
        assert picture.mode == "RGB" and picture.size == (64, 48)
        # Frame i was painted grey level 5*i: the pixel must match the timestamp the decoder reported.
        assert abs(picture.getpixel((32, 24))[0] - 5 * round(t * 10)) <= 6


def test_short_video_gives_each_frame_at_most_once():
    frames = decode_video_frames(encode_video(0.5, fps=10), max_frames=16)
    assert 1 <= len(frames) <= 5
    times = [t for t, _ in frames]
    assert len(set(times)) == len(times)


def test_video_without_reported_duration_is_subsampled():
    # Raw H.264 carries no container duration, so the decoder must walk the frames and thin them out.
    if "libx264" not in av.codecs_available:
        pytest.skip("this FFmpeg build cannot encode H.264")
    frames = decode_video_frames(encode_video(3.0, fps=10, fmt="h264"), max_frames=5)
    assert len(frames) == 5
    times = [t for t, _ in frames]
    assert all(a < b for a, b in zip(times, times[1:]))


def test_long_video_is_refused():
    data = encode_video(20.0, fps=2)
    assert decode_video_frames(data, max_seconds=30.0)
    with pytest.raises(MediaTooLarge):
        decode_video_frames(data, max_seconds=10.0)


def test_video_decoder_refuses_audio_and_images():
    with pytest.raises(UnsupportedMedia, match="no video"):
        decode_video_frames(encode_audio(tone(0.5, 16_000), 16_000, "wav", "pcm_s16le", 16_000))
    with pytest.raises(UnsupportedMedia, match="still image"):
        decode_video_frames(image_bytes(photo(), "JPEG"))
    with pytest.raises(InvalidMedia):
        decode_video_frames(b"")


def test_video_with_a_sound_track_also_gives_its_audio():
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        video = container.add_stream("mpeg4", rate=10)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        sound = container.add_stream("aac", rate=16_000)
        sound.layout = "mono"
        for i in range(10):
            for packet in video.encode(av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")):
                container.mux(packet)
        resampler = av.AudioResampler(format="fltp", layout="mono", rate=16_000, frame_size=1024)
        frame = av.AudioFrame.from_ndarray(tone(1.0, 16_000)[None, :], format="flt", layout="mono")
        frame.sample_rate = 16_000
        for chunk in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in sound.encode(chunk):
                container.mux(packet)
        for packet in [*video.encode(None), *sound.encode(None)]:
            container.mux(packet)
    data = buf.getvalue()
    assert abs(len(decode_audio(data)) / 16_000 - 1.0) < 0.1
    assert decode_video_frames(data, max_frames=4)


def test_unknown_bytes_stay_unsupported_after_ultralytics_patches_pillow():
    # ultralytics swaps Image.open for a wrapper that tries to install a HEIF plugin on unknown input.
    import ultralytics  # noqa: F401

    from media.image import decode_image

    with pytest.raises(UnsupportedMedia):
        decode_image(b"GIF89a-not-really-an-image")


# ------------------------------------------------------------------------------------- video: scene changes


CATALOG_IMAGES = __import__("pathlib").Path(__file__).resolve().parents[2] / "catalog_index" / "demo" / "images"
VIDEO_CODECS = [("mp4", "libx264"), ("mp4", "mpeg4"), ("mov", "libx264"), ("mov", "mpeg4"),
                ("webm", "libvpx"), ("webm", "libvpx-vp9")]


def encode_scenes(scenes: list[tuple[Image.Image, float]], fmt: str = "mp4", codec: str = "mpeg4",
                  fps: int = 10, size: int = 96) -> bytes:
    """One clip of several still scenes, each drifting slowly (a hand-held camera) for its number of seconds."""
    if codec not in av.codecs_available:
        pytest.skip(f"this FFmpeg build cannot encode {codec}")
    buf = io.BytesIO()
    with av.open(buf, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = size, size, "yuv420p"
        for picture, seconds in scenes:
            base = picture.convert("RGB").resize((size + 16, size + 16))
            for i in range(int(seconds * fps)):
                shift = abs(i % 30 - 15)  # back and forth, one pixel a frame
                for packet in stream.encode(av.VideoFrame.from_image(base.crop((shift, 0, shift + size, size)))):
                    container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buf.getvalue()


def catalog_picture(sku: str) -> Image.Image:
    return Image.open(CATALOG_IMAGES / f"{sku}.jpg")


def segment_of(picture: Image.Image, a: Image.Image, b: Image.Image) -> str:
    """Which of two scenes a decoded frame shows, by the nearer mean colour."""
    mean = np.asarray(picture.resize((8, 8)), np.float32).mean(axis=(0, 1))
    dist = [np.abs(mean - np.asarray(s.convert("RGB").resize((8, 8)), np.float32).mean(axis=(0, 1))).sum() for s in (a, b)]
    return "AB"[int(np.argmin(dist))]


@pytest.mark.parametrize(("fmt", "codec"), VIDEO_CODECS, ids=[f"{f}-{c}" for f, c in VIDEO_CODECS])
def test_every_container_and_codec_a_phone_sends_decodes_with_its_cut(fmt, codec):
    a, b = catalog_picture("KF-JK-001"), catalog_picture("KF-DR-002")
    frames = decode_video_frames(encode_scenes([(a, 2.0), (b, 2.0)], fmt, codec), max_frames=6)
    times = [t for t, _ in frames]
    assert 1 <= len(frames) <= 6 and times == sorted(times) and len(set(times)) == len(times)
    assert all(0.0 <= t < 4.1 for t in times)
    seen = [segment_of(p, a, b) for _, p in frames]
    assert "A" in seen and "B" in seen
    after_cut = [t for t, p in frames if 2.0 - 0.05 <= t <= 2.2]
    assert after_cut, f"no frame within 0.2 s after the cut at 2.0 s: {times}"


def test_a_short_scene_between_evenly_spread_samples_is_not_missed():
    # 4 even samples of a 4 s clip land near 0.5, 1.5, 2.5, 3.5 s: a 0.3 s scene at 1.6 s would fall between them.
    a, b = catalog_picture("KF-JK-001"), catalog_picture("KF-DR-002")
    data = encode_scenes([(a, 1.6), (b, 0.3), (a, 2.1)])
    without = decode_video_frames(data, max_frames=4, scene_threshold=None)
    assert [segment_of(p, a, b) for _, p in without] == ["A"] * 4
    frames = decode_video_frames(data, max_frames=4)
    assert len(frames) == 4
    found = [t for t, p in frames if segment_of(p, a, b) == "B"]
    assert found and 1.55 <= found[0] <= 1.8, [t for t, _ in frames]
    # The cut back to A is kept too (it is a scene change), and the even samples fill what room is left.
    assert any(1.85 <= t <= 2.0 for t, _ in frames)


def test_camera_drift_and_fades_are_not_scene_changes():
    # The grey ramp brightens 5 levels a frame and the drifting scene pans 1 px a frame: neither is a cut, so the
    # frames stay evenly spread exactly as with detection switched off.
    for data in (encode_video(4.0, fps=10), encode_scenes([(catalog_picture("KF-JK-001"), 4.0)])):
        on = [t for t, _ in decode_video_frames(data, max_frames=5)]
        off = [t for t, _ in decode_video_frames(data, max_frames=5, scene_threshold=None)]
        assert on == off


def test_scene_changes_beyond_the_frame_budget_keep_the_strongest():
    # Eight scenes alternating between two products: seven cuts, but only three frames allowed.
    a, b = catalog_picture("KF-JK-001"), catalog_picture("KF-DR-002")
    frames = decode_video_frames(encode_scenes([(a, 0.5), (b, 0.5)] * 4), max_frames=3)
    times = [t for t, _ in frames]
    assert len(frames) == 3 and times == sorted(times)
    assert all(abs(t * 2 - round(t * 2)) < 0.11 for t in times), f"every kept frame should start a scene: {times}"


def test_bad_scene_threshold_is_refused():
    data = encode_video(1.0)
    for bad in (0.0, -0.1, 1.5):
        with pytest.raises(ValueError, match="scene_threshold"):
            decode_video_frames(data, scene_threshold=bad)
