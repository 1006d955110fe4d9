"""Torch dtypes over NumPy dtypes, and PyTorch's type-promotion rules.

NumPy's promotion differs from PyTorch's (int64 + float32 is float64 in NumPy,
float32 in PyTorch; a 0-dim float64 does not promote a float32 vector in
PyTorch), so every op asks `result_dtype` and casts when NumPy disagrees.
"""

from __future__ import annotations

import numpy as np


class DType:
    """A torch dtype: prints as `torch.float32`, wraps a NumPy dtype."""

    __slots__ = ("name", "np", "category")

    def __init__(self, name: str, np_dtype, category: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.category = category  # 0 bool, 1 integer, 2 floating

    @property
    def is_floating_point(self) -> bool:
        return self.category == 2

    @property
    def itemsize(self) -> int:
        return self.np.itemsize

    def __repr__(self) -> str:
        return f"torch.{self.name}"


bool_ = DType("bool", np.bool_, 0)
uint8 = DType("uint8", np.uint8, 1)
int8 = DType("int8", np.int8, 1)
int16 = DType("int16", np.int16, 1)
int32 = DType("int32", np.int32, 1)
int64 = DType("int64", np.int64, 1)
float16 = DType("float16", np.float16, 2)
float32 = DType("float32", np.float32, 2)
float64 = DType("float64", np.float64, 2)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, float32, float64)
BY_NAME = {d.name: d for d in ALL}
BY_NAME.update({"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
                "short": int16})
_BY_NP = {d.np: d for d in ALL}

# `ufunc(..., out=ARRAY_OUT)` returns a 0-dim array, not a NumPy scalar, where NumPy can (2.3+),
# which spares the hot path an np.asarray per op; on older NumPy it is out=None, the default.
ARRAY_OUT = ... if tuple(int(p) for p in np.__version__.split(".")[:2]) >= (2, 3) else None

DEFAULT_FLOAT = float32  # read it as `dtypes.DEFAULT_FLOAT`: set_default_dtype changes it


def set_default_dtype(d: DType) -> None:
    """What Python floats and float factories become (float32 in scripts, float64 in the calculator)."""
    global DEFAULT_FLOAT
    if not isinstance(d, DType) or d.category != 2:
        from gradcli.errors import DTypeError
        raise DTypeError(f"the default dtype must be a floating dtype, not {d!r}")
    DEFAULT_FLOAT = d
    _cache.clear()


def get_default_dtype() -> DType:
    return DEFAULT_FLOAT


def from_numpy(np_dtype) -> DType:
    return _BY_NP[np.dtype(np_dtype)]


def _promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """PyTorch's promote_types for two dtypes of the same priority."""
    if a is b or a == b:
        return a
    ka, kb = _BY_NP[a].category, _BY_NP[b].category
    if ka != kb:
        return a if ka > kb else b
    if ka == 2:
        return a if a.itemsize >= b.itemsize else b
    return np.promote_types(a, b)


def _scalar_dtype(value) -> np.dtype:
    if isinstance(value, bool):
        return bool_.np
    if isinstance(value, int):
        return int64.np
    return DEFAULT_FLOAT.np


def _combine(higher, lower):
    """A lower-priority group only wins by being of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if _BY_NP[higher].category == 2:
        return higher
    if _BY_NP[higher].category == 0 or _BY_NP[lower].category == 2:
        return _promote(higher, lower)
    return higher


_cache: dict = {}


def result_dtype(*operands) -> np.dtype:
    """The NumPy dtype PyTorch gives an op on these operands (arrays or Python scalars).

    Priority: arrays with dimensions, then 0-dim arrays, then Python scalars.
    """
    key = tuple((o.dtype, o.ndim > 0) if isinstance(o, (np.ndarray, np.generic)) else type(o) for o in operands)
    hit = _cache.get(key)
    if hit is not None:
        return hit
    dims = zero = wrapped = None
    for o in operands:
        if isinstance(o, (np.ndarray, np.generic)):  # NumPy scalars are 0-dim arrays, not Python numbers
            if o.ndim:
                dims = o.dtype if dims is None else _promote(dims, o.dtype)
            else:
                zero = o.dtype if zero is None else _promote(zero, o.dtype)
        else:
            d = _scalar_dtype(o)
            wrapped = d if wrapped is None else _promote(wrapped, d)
    out = _combine(dims, _combine(zero, wrapped))
    _cache[key] = out
    return out
