"""Device and thread settings shared by the torch-based wrappers."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("kefu.models")

_DEVICE = re.compile(r"^(auto|cpu|mps|cuda(:\d+)?)$")


def check_device(requested: str) -> None:
    """Refuse a device string that is none of auto, cpu, mps, cuda, cuda:N (ValueError, for config validation)."""
    if not isinstance(requested, str) or not _DEVICE.match(requested):
        raise ValueError(f"device must be auto, cpu, mps, cuda or cuda:N, not {requested!r}")


def pick_device(requested: str = "auto") -> str:
    """The torch device string to run on: "auto" means CUDA when torch sees a GPU, else CPU.

    Raises:
        ValueError: `requested` is not one of auto, cpu, mps, cuda, cuda:N.
        models.errors.ModelError: CUDA (or MPS) was asked for but torch cannot use it here.
    """
    import torch

    from models.errors import ModelError

    check_device(requested)
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ModelError(f"device {requested!r} was requested but torch sees no CUDA GPU; use device: auto or cpu")
        index = int(requested.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ModelError(f"device {requested!r} was requested but only {torch.cuda.device_count()} GPU(s) exist")
    if requested == "mps" and not torch.backends.mps.is_available():
        raise ModelError("device 'mps' was requested but torch cannot use Apple MPS here")
    return requested


def cap_threads(threads: int | None) -> None:
    """Limit torch's intra-op CPU threads (process-wide); None leaves torch's default.

    Several replicas share a small box: without a cap each one starts a thread per core and they thrash.
    """
    if threads is None:
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer or None, not {threads!r}")
    import torch

    if torch.get_num_threads() != threads:
        logger.info("capping torch intra-op threads at %d (was %d)", threads, torch.get_num_threads())
        torch.set_num_threads(threads)
