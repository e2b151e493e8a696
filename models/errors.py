"""Exceptions raised by kefu's model layer: missing or corrupt weights, and bad user media (no HTTP here)."""

from __future__ import annotations

# Bad user media is media's own error; the model layer raises the same ones for inputs it cannot use.
from media.errors import InvalidMedia, MediaError, MediaTooLarge, UnsupportedMedia


class ModelError(Exception):
    """Base for errors raised by kefu's model layer."""


class WeightsNotFound(ModelError):
    """A registry name is not prepared, a weights path does not exist, or a source package is not installed.

    The message always says how to fix it (which pip package to install, or which command to run).
    """


class ChecksumMismatch(ModelError):
    """Assembled weights do not have the sha256 the registry pins; the bad output has been deleted."""


class UnsupportedOperation(ModelError):
    """The model cannot do what was asked (e.g. text embedding on an image-only model)."""

    code = "unsupported_operation"


class UnsupportedLanguage(UnsupportedOperation):
    """A language code the speech model does not know."""

    code = "unsupported_language"


class NoSpeech(InvalidMedia):
    """The audio decoded but holds no speech: silence, a tone, noise, or only captions Whisper hallucinates."""

    code = "no_speech"


__all__ = ["ChecksumMismatch", "InvalidMedia", "MediaError", "MediaTooLarge", "ModelError", "NoSpeech",
           "UnsupportedLanguage", "UnsupportedMedia", "UnsupportedOperation", "WeightsNotFound"]
