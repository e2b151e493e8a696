"""The constrained field types the model configs share: pydantic checks them when a config is built or read."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

# Whole numbers given as such (YAML's `true` is not a thread count), at least one.
Count = Annotated[int, Field(strict=True, ge=1)]
# A share or a score in [0, 1].
Fraction = Annotated[float, Field(strict=True, ge=0.0, le=1.0)]
# A name or a path: not empty, not only spaces.
Name = Annotated[str, Field(pattern=r"\S")]


def _device(value: str) -> str:
    from models.device import check_device

    check_device(value)
    return value


# auto, cpu, mps, cuda or cuda:N.
Device = Annotated[str, AfterValidator(_device)]
