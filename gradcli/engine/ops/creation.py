"""Tensor factories: tensor(), ones, zeros, full, eye, arange, linspace, random ones, *_like."""

from __future__ import annotations

import math

import numpy as np

from gradcli.engine import dtypes, limits
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, DTypeError, ShapeError, ValueTypeError


def np_dtype(dtype, default=None):
    """A NumPy dtype from a torch dtype (or Python's float/int/bool), or the default."""
    if dtype is None:
        return default
    if isinstance(dtype, dtypes.DType):
        return dtype.np
    if dtype is float:
        return dtypes.float64.np
    if dtype is int:
        return dtypes.int64.np
    if dtype is bool:
        return dtypes.bool_.np
    raise ValueTypeError(f"dtype must be a torch dtype such as torch.float64, not {dtype!r}")


def finish(array: np.ndarray, requires_grad=False) -> Tensor:
    t = Tensor(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def shape_of(size) -> tuple:
    """ones(5, 3), ones((5, 3)), ones([5, 3]) and ones(torch.Size([5, 3])) all mean shape (5, 3)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.__index__()
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
            raise ValueTypeError(f"sizes must be integers, got {type(s).__name__} {s!r}",
                                 hint="write ones(5, 3) or ones((5, 3))")
        if s < 0:
            raise ShapeError(f"a size cannot be negative ({s})")
        out.append(int(s))
    limits.check_shape(out)
    return tuple(out)


def _infer_dtype(value) -> np.dtype:
    """PyTorch's inference: any float → float32; all bool → bool; else int64."""
    kinds = set()
    stack = [value]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor):
            kinds.add(v.array.dtype.kind)
        elif isinstance(v, bool):
            kinds.add("b")
        elif isinstance(v, int):
            kinds.add("i")
        elif isinstance(v, float):
            kinds.add("f")
        else:
            raise ValueTypeError(f"tensor() takes numbers, lists of numbers and tensors, not "
                                 f"{type(v).__name__}")
    if "f" in kinds:
        return dtypes.DEFAULT_FLOAT.np
    if "i" in kinds or "u" in kinds:
        return dtypes.int64.np
    if "b" in kinds:
        return dtypes.bool_.np
    return dtypes.DEFAULT_FLOAT.np  # tensor([]) is float32


def _plain(value):
    """Replace element tensors by their values so NumPy sees nested lists of numbers."""
    if isinstance(value, Tensor):
        return value.array.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def tensor(data, dtype=None, requires_grad=False, device=None) -> Tensor:
    if isinstance(data, Tensor):
        arr = data.array.astype(np_dtype(dtype, data.array.dtype), copy=True)
        return finish(arr, requires_grad)
    dt = np_dtype(dtype) or _infer_dtype(data)
    try:
        with np.errstate(all="ignore"):
            raw = np.array(_plain(data))
    except (ValueError, OverflowError) as e:
        raise ShapeError("tensor() needs a rectangular nested list of numbers "
                         "(every row the same length)", hint=str(e).split("\n")[0][:120]) from None
    if raw.dtype == object:
        raise ValueTypeError("tensor() needs numbers that fit in 64 bits")
    limits.check_shape(raw.shape)
    if raw.dtype.kind == "f" and dt.kind in "iub":
        if not np.isfinite(raw).all():
            raise ArgumentError("cannot convert a non-finite number to an integer tensor")
    with np.errstate(all="ignore"):
        arr = raw.astype(dt)
    return finish(arr, requires_grad)


def _filled(fill, size, dtype, requires_grad, default=None):
    dt = np_dtype(dtype, default or dtypes.DEFAULT_FLOAT.np)
    return finish(np.full(shape_of(size), fill, dtype=dt), requires_grad)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _filled(1, size, dtype, requires_grad)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    return _filled(0, size, dtype, requires_grad)


def empty(*size, dtype=None, requires_grad=False, device=None):
    return _filled(0, size, dtype, requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled(fill_value, (size,), dtype, requires_grad, default=_infer_dtype(fill_value))


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    shape = shape_of((n, n if m is None else m))
    return finish(np.eye(*shape, dtype=np_dtype(dtype, dtypes.DEFAULT_FLOAT.np)), requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    for v in vals:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueTypeError("arange() takes numbers")
    start, end, step = vals
    if step == 0:
        raise ArgumentError("arange() step must not be zero")
    if not all(math.isfinite(v) for v in vals):
        raise ArgumentError("arange() bounds must be finite")
    n = max(0, math.ceil((end - start) / step))
    limits.check_shape((n,))
    default = dtypes.int64.np if all(isinstance(v, int) for v in vals) else dtypes.DEFAULT_FLOAT.np
    dt = np_dtype(dtype, default)
    if dt.kind == "f":
        arr = (start + np.arange(n, dtype=np.float64) * step).astype(dt)
    else:
        arr = (start + np.arange(n, dtype=np.int64) * step).astype(dt)
    return finish(arr, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ArgumentError("linspace() steps must be a non-negative integer")
    limits.check_shape((steps,))
    dt = np_dtype(dtype, dtypes.DEFAULT_FLOAT.np)
    if steps == 1:
        return finish(np.array([start], dtype=dt), requires_grad)
    # PyTorch fills from both ends so that the last element is exactly `end`
    idx = np.arange(steps)
    step = (end - start) / (steps - 1)
    half = steps // 2
    arr = np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    return finish(arr.astype(dt), requires_grad)


def _like(fn):
    def like(t, dtype=None, requires_grad=False, device=None, **kw):
        if not isinstance(t, Tensor):
            raise ValueTypeError(f"{fn.__name__}_like() needs a tensor")
        return fn(t.array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad, **kw)
    like.__name__ = fn.__name__ + "_like"
    return like


def _generator():
    from gradcli.engine import random
    return random.default_generator


def _float_dtype(dtype):
    dt = np_dtype(dtype, dtypes.DEFAULT_FLOAT.np)
    if dt.kind != "f":
        raise DTypeError(f"random floats need a floating dtype, not {dtypes.from_numpy(dt)}")
    return dt


def rand(*size, dtype=None, requires_grad=False, device=None, generator=None):
    return finish(_generator().rand(shape_of(size), _float_dtype(dtype)), requires_grad)


def randn(*size, dtype=None, requires_grad=False, device=None, generator=None):
    return finish(_generator().randn(shape_of(size), _float_dtype(dtype)), requires_grad)


def randint(*args, size=None, dtype=None, requires_grad=False, device=None, generator=None):
    """randint(high, size) or randint(low, high, size)."""
    if size is None:
        if not args:
            raise ArgumentError("randint() needs high and size", hint="randint(0, 10, (3,))")
        *bounds, size = args
    else:
        bounds = list(args)
    if len(bounds) == 1:
        low, high = 0, bounds[0]
    elif len(bounds) == 2:
        low, high = bounds
    else:
        raise ArgumentError("randint() takes (high, size) or (low, high, size)")
    if not isinstance(size, (tuple, list)):
        raise ValueTypeError("randint() size must be a tuple, like (3,)")
    if high <= low:
        raise ArgumentError(f"randint() needs low < high, got low={low}, high={high}")
    arr = _generator().randint(int(low), int(high), shape_of((size,)))
    return finish(arr.astype(np_dtype(dtype, dtypes.int64.np)), requires_grad)


def randperm(n, dtype=None, requires_grad=False, device=None, generator=None):
    shape_of((n,))
    return finish(_generator().randperm(int(n)).astype(np_dtype(dtype, dtypes.int64.np)), requires_grad)


def manual_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueTypeError("manual_seed() takes an integer")
    _generator().manual_seed(seed)


def initial_seed() -> int:
    return _generator().initial_seed()


def _ones_shape(shape, **kw):
    return ones(shape, **kw)


def _zeros_shape(shape, **kw):
    return zeros(shape, **kw)


def _full_like(t, fill_value, dtype=None, requires_grad=False, device=None):
    if not isinstance(t, Tensor):
        raise ValueTypeError("full_like() needs a tensor")
    return full(t.array.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def _rand_like(t, dtype=None, requires_grad=False, device=None):
    return rand(t.array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def _randn_like(t, dtype=None, requires_grad=False, device=None):
    return randn(t.array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


_ones_shape.__name__, _zeros_shape.__name__ = "ones", "zeros"

FUNCTIONS = dict(tensor=tensor, as_tensor=tensor, ones=ones, zeros=zeros, empty=empty, full=full, eye=eye,
                 arange=arange, linspace=linspace, rand=rand, randn=randn, randint=randint,
                 randperm=randperm, manual_seed=manual_seed, seed=initial_seed, initial_seed=initial_seed,
                 ones_like=_like(_ones_shape), zeros_like=_like(_zeros_shape), empty_like=_like(_zeros_shape),
                 full_like=_full_like, rand_like=_rand_like, randn_like=_randn_like)
