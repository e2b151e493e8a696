"""Exceptions raised by kefu's model layer: missing or corrupt weights, and bad user media (no HTTP here)."""

from __future__ import annotations


class ModelError(Exception):
    """Base for errors raised by kefu's model layer."""


class WeightsNotFound(ModelError):
    """A registry name is not prepared, a weights path does not exist, or a source package is not installed.

    The message always says how to fix it (which pip package to install, or which command to run).
    """


class ChecksumMismatch(ModelError):
    """Assembled weights do not have the sha256 the registry pins; the bad output has been deleted."""


class MediaError(ModelError, ValueError):
    """Media a user sent cannot be used. `code` is a stable machine-readable reason for API clients."""

    code: str = "invalid_media"


class InvalidMedia(MediaError):
    """The file is of a known kind but undecodable, truncated or empty."""

    code = "invalid_media"


class UnsupportedMedia(MediaError):
    """The file is not audio, not an image or not a video at all (or a codec this FFmpeg build lacks)."""

    code = "unsupported_media"


class MediaTooLarge(MediaError):
    """The file is over a byte, pixel or duration limit."""

    code = "media_too_large"


class UnsupportedOperation(ModelError):
    """The model cannot do what was asked (e.g. text embedding on an image-only model)."""

    code = "unsupported_operation"


class UnsupportedLanguage(UnsupportedOperation):
    """A language code the speech model does not know."""

    code = "unsupported_language"


class NoSpeech(InvalidMedia):
    """The audio decoded but holds no speech: silence, a tone, noise, or only captions Whisper hallucinates."""

    code = "no_speech"
