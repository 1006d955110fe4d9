"""How language values print: Python's repr, with PyTorch's forms for torch objects.

`repr_value` is what the REPL echoes and what `print` shows for a tensor; it
never prints a memory address, so output is deterministic.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.engine.ops.reduce import MinMaxResult
from gradcli.engine.tensor import Size, Tensor
from gradcli.show.tensor_repr import format_tensor


def tensor_repr(t: Tensor) -> str:
    fn = t.grad_fn
    return format_tensor(t.array, t.dtype.name, fn.name if fn is not None else None, t.requires_grad)


def repr_value(v) -> str:
    """Python's repr for plain values, PyTorch's for tensors, sizes and graph nodes."""
    if isinstance(v, Tensor):
        return tensor_repr(v)
    if v is None or isinstance(v, (bool, str)):
        return repr(v)
    if isinstance(v, int):
        return int_text(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, Size):
        return repr(v)
    if isinstance(v, MinMaxResult):
        return f"torch.return_types.{v.op}(\nvalues={repr_value(v[0])},\nindices={repr_value(v[1])})"
    if isinstance(v, tuple):
        if len(v) == 1:
            return f"({repr_value(v[0])},)"
        return "(" + ", ".join(repr_value(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ", ".join(repr_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{repr_value(k)}: {repr_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, range):
        return repr(v)
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return repr(v.item())
    describe = getattr(type(v), "describe", None)
    if describe is not None:
        return v.describe()
    name = getattr(v, "display_name", None)
    if name is not None:
        return name
    if hasattr(v, "next_functions"):
        return f"<{v.name}>"
    if isinstance(v, type):
        return f"<class '{_NAMES.get(id(v), v.__name__)}'>"
    if callable(v):  # never Python's repr: it shows addresses and internal names
        name = _NAMES.get(id(v))
        return f"<built-in function {name}>" if name else "<built-in function>"
    text = repr(v)
    if " at 0x" in text or text.startswith("<"):
        return f"<{type(v).__name__} object>"
    return text


_NAMES: dict[int, str] = {}


def register_names(table: dict) -> None:
    """Names for the language's functions and classes, so they print as `<built-in function print>`."""
    for name, value in table.items():
        if callable(value):
            _NAMES.setdefault(id(value), name)


def int_text(n: int) -> str:
    """Python's int printing, with a readable answer past its digit limit instead of an error."""
    try:
        return repr(n)
    except ValueError:
        return f"<an integer of about {int(n.bit_length() * 0.30103) + 1} digits>"


def str_value(v) -> str:
    """What `print(v)` shows: strings bare, everything else as its repr."""
    if isinstance(v, str):
        return v
    return repr_value(v)


def format_value(v, spec: str) -> str:
    """f-string formatting: a one-element tensor formats as its Python number, as in PyTorch."""
    if isinstance(v, Tensor):
        if v.array.ndim == 0 or (spec and v.array.size == 1):
            v = v.item()
        elif not spec:
            return tensor_repr(v)
    if isinstance(v, (int, float, str, bool)) or v is None:
        return format(v, spec)
    if spec:
        return format(str_value(v), spec)
    return str_value(v)


def shortest(x: float) -> str:
    """A float in shortest round-trip form without a needless `.0`: 330, 0.2, -1.5e-07, inf."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == int(x) and abs(x) < 1e16:
        return str(int(x)) if x != 0 or math.copysign(1, x) > 0 else "-0"
    return repr(float(x))
