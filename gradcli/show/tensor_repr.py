"""PyTorch's `repr(tensor)`, character for character, from a NumPy array.

Users compare gradcli's output with PyTorch's, so this module follows torch
2.13's `torch/_tensor_str.py` with default print options (precision 4,
threshold 1000, edgeitems 3, linewidth 80). One formatter per tensor is built
from a *sample*: every element, or when the tensor has more than 1000 elements
only the first and last 3 indices of each dim longer than 6. Only the sample
is ever turned into Python values, so a huge tensor costs no more than a
small one. Layout is built bottom-up (innermost rows first), so depth is
bounded by a loop, not by recursion.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.errors import DTypeError

PREFIX = "tensor("
INDENT = len(PREFIX)
LINEWIDTH = 80
THRESHOLD = 1000  # more elements than this → summarise
EDGEITEMS = 3

_FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})
_INTS = frozenset({"uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64"})
_SHOWN_WITHOUT_DTYPE = frozenset({"float32", "int64", "bool"})  # torch's defaults
_ALIASES = {
    "float": "float32", "double": "float64", "half": "float16", "long": "int64",
    "int": "int32", "short": "int16", "bool_": "bool",
}
# NumPy storage for each dtype; bfloat16 has none, its values arrive as floats.
_NUMPY = {
    "float16": np.dtype(np.float16), "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64), "bool": np.dtype(np.bool_),
    **{name: np.dtype(name) for name in _INTS},
}


def format_tensor(
    values: np.ndarray, dtype: str, grad_fn: str | None = None, requires_grad: bool = False
) -> str:
    """Exact torch repr of a tensor holding `values` with torch dtype `dtype`."""
    dtype = _canonical(dtype)
    arr = np.asarray(values)
    storage = _NUMPY.get(dtype)
    if storage is not None and arr.dtype != storage:
        arr = arr.astype(storage)  # the printed digits are those of the stored dtype
    elif dtype == "bfloat16" and arr.dtype.kind != "f":
        arr = arr.astype(np.float32)
    suffixes = []
    if arr.size == 0:
        # No element tells the dtype, so every non-default one is named (int64 too).
        body = "[]"
        if arr.ndim != 1:
            suffixes.append("size=" + str(tuple(int(n) for n in arr.shape)))
        if dtype != "float32":
            suffixes.append("dtype=torch." + dtype)
    else:
        body = _body(arr, dtype in _FLOATS)
        if dtype not in _SHOWN_WITHOUT_DTYPE:
            suffixes.append("dtype=torch." + dtype)
    if grad_fn is not None:
        suffixes.append(f"grad_fn=<{grad_fn}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(PREFIX + body, suffixes)


def format_size(shape: tuple[int, ...]) -> str:
    """`torch.Size([5, 3])`, as `x.shape` prints."""
    return "torch.Size([" + ", ".join(str(int(n)) for n in shape) + "])"


def format_scalar(value: float | int | bool) -> str:
    """What Python prints for `t.item()`: the exact stored value, shortest round-trip form."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, (int, np.integer)):
        return repr(int(value))
    return repr(float(value))


def _canonical(dtype: str) -> str:
    """Accept `torch.float64`, `double`, ... and return torch's own name."""
    name = dtype[6:] if dtype.startswith("torch.") else dtype
    name = _ALIASES.get(name, name)
    if name not in _FLOATS and name not in _INTS and name != "bool":
        raise DTypeError(
            f"cannot print a tensor of dtype {dtype!r}",
            hint="printable dtypes are float16/32/64, bfloat16, integers and bool",
        )
    return name


def _body(arr: np.ndarray, floating: bool) -> str:
    """The bracketed data part of the repr (no prefix, no suffixes)."""
    shape = arr.shape
    summarize = arr.size > THRESHOLD
    cut = tuple(summarize and n > 2 * EDGEITEMS for n in shape)
    if any(cut):
        arr = arr[np.ix_(*(_edge_index(n) if c else range(n) for n, c in zip(shape, cut)))]
    flat = arr.ravel().tolist()
    fmt, width = _float_formatter(flat) if floating else _plain_formatter(flat)
    texts = [fmt(v) for v in flat]
    if not shape:
        return texts[0]
    return _layout(texts, arr.shape, cut, width)


def _edge_index(n: int) -> list[int]:
    return [*range(EDGEITEMS), *range(n - EDGEITEMS, n)]


def _plain_formatter(flat: list):
    """Integers and bools: `str(v)` right-aligned to the longest one."""
    width = max(1, max(len(str(v)) for v in flat))

    def fmt(v) -> str:
        return str(v).rjust(width)

    return fmt, width


def _float_formatter(flat: list[float]):
    """Choose integer / fixed / scientific mode and the column width from finite nonzero values."""
    isfinite = math.isfinite
    nonzero = [v for v in flat if v != 0.0 and isfinite(v)]
    if not nonzero:
        sci, int_mode, width = False, True, 1
    else:
        magnitudes = [abs(v) for v in nonzero]
        biggest, smallest = max(magnitudes), min(magnitudes)
        sci = biggest / smallest > 1000.0 or biggest > 1.0e8 or smallest < 1.0e-4
        int_mode = all(v.is_integer() for v in nonzero)
        if sci:
            width = max(len(f"{v:.4e}") for v in nonzero)
        elif int_mode:
            width = max(len(f"{v:.0f}") for v in nonzero) + 1
        else:
            width = max(len(f"{v:.4f}") for v in nonzero)
        width = max(width, 1)

    if sci:
        def fmt(v: float) -> str:
            return f"{v:{width}.4e}"
    elif int_mode:
        def fmt(v: float) -> str:
            # "." marks a float; inf/nan get none. Zeros and non-finites never widened the column.
            text = f"{v:.0f}." if isfinite(v) else f"{v:.0f}"
            return text.rjust(width)
    else:
        def fmt(v: float) -> str:
            return f"{v:.4f}".rjust(width)
    return fmt, width


def _layout(texts: list[str], shape: tuple[int, ...], cut: tuple[bool, ...], width: int) -> str:
    """Nest element texts into torch's bracket layout, innermost dim first."""
    ndim = len(shape)
    # 1-D rows sit at indent INDENT + ndim - 1 and wrap to the line width.
    indent = INDENT + ndim - 1
    per_line = max(1, (LINEWIDTH - indent) // (width + 2))
    line_sep = ",\n" + " " * (indent + 1)
    n = shape[-1]
    blocks = []
    for start in range(0, len(texts), n):
        items = texts[start:start + n]
        if cut[-1]:
            items[EDGEITEMS:EDGEITEMS] = [" ..."]
        lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
        blocks.append("[" + line_sep.join(lines) + "]")
    # Outer dims: sub-blocks separated by one more blank line per remaining dim.
    for axis in range(ndim - 2, -1, -1):
        n = shape[axis]
        sep = "," + "\n" * (ndim - axis - 1) + " " * (INDENT + axis + 1)
        grouped = []
        for start in range(0, len(blocks), n):
            group = blocks[start:start + n]
            if cut[axis]:
                group[EDGEITEMS:EDGEITEMS] = ["..."]
            grouped.append("[" + sep.join(group) + "]")
        blocks = grouped
    return blocks[0]


def _add_suffixes(text: str, suffixes: list[str]) -> str:
    """Append `, suffix` items, moving one to its own line when it would pass column 80."""
    parts = [text]
    used = len(text) - text.rfind("\n") + 1  # torch's count: last line length + 2
    for suffix in suffixes:
        if used + len(suffix) + 2 > LINEWIDTH:
            parts.append(",\n" + " " * INDENT + suffix)
            used = INDENT + len(suffix)
        else:
            parts.append(", " + suffix)
            used += len(suffix) + 2
    parts.append(")")
    return "".join(parts)
