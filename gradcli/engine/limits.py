"""Safety limits the engine enforces, configurable by the command line."""

from __future__ import annotations

from gradcli.errors import LimitExceeded

max_elements = 2**27


def refuse(shape) -> None:
    n = 1
    for s in shape:
        n *= s
    raise LimitExceeded(f"a tensor of shape {list(shape)} would have {n:,} elements, "
                        f"more than the limit of {max_elements:,}",
                        hint="use smaller shapes, or raise the cap with --max-elements")


def check_shape(shape) -> None:
    n = 1
    for s in shape:
        n *= s
    if n > max_elements:
        refuse(shape)
