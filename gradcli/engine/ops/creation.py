"""Tensor factories: tensor(), ones, zeros, full, eye, arange, linspace, random ones, *_like; and the
in-place fills (`fill_`, `zero_`, `normal_`, `uniform_`), which overwrite a tensor with new values."""

from __future__ import annotations

import functools
import math
import os

import numpy as np

from gradcli.engine import dtypes, limits
from gradcli.engine.function import Function
from gradcli.engine.ops.elementwise import no_gradient
from gradcli.engine.random import _fma_checked
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
    seen = 0
    while stack:
        v = stack.pop()
        seen += 1
        if seen > limits.max_elements:  # also ends a list that contains itself
            limits.refuse((seen,))
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
    dt = np_dtype(dtype, _infer_dtype(fill_value) or dtypes.DEFAULT_FLOAT.np)
    if isinstance(fill_value, (bool, int, float)):  # PyTorch fills with fill_: a value that overflows is refused
        fill_value = _fill_value(fill_value, np.dtype(dt))
    return finish(np.full(shape_of((size,)), fill_value, dtype=dt), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    shape = shape_of((n, n if m is None else m))
    return finish(np.eye(*shape, dtype=np_dtype(dtype, dtypes.DEFAULT_FLOAT.np)), requires_grad)


# --- arange and linspace, bit for bit with torch 2.13's CPU kernels ---------
#
# Why this much care: torch prints in scientific notation as soon as one tiny
# nonzero value appears, so an element one ulp away from torch's (0.0 where
# torch has -2.98e-08 in linspace(-1, 1, 25)) changes the printed text.
#
# linspace: each element on its own, with one fused multiply-add in the output
# type (float64 for integer outputs, then truncated): fma(step, i, start) below
# steps // 2, fma(-step, steps - 1 - i, end) from there, where
# step = (end - start) / (steps - 1).  float16 rounds after every operation.
#
# arange, float outputs: torch runs its AVX2 kernel (also on AVX512 machines)
# in float64 (float32 for float16 outputs).  Each thread's range goes in blocks
# of two 32-byte vectors; a vector starting at index v holds
# out(base) + k*step for lanes k, base = fma(step, v, start), each sum fused and
# rounded to the output type.  What is left after the last whole block is
# out(fma(step, i, start)) one by one.  Ranges over 32768 elements are split
# in equal chunks between torch's threads, which moves the blocks.

_GRAIN = 32768  # at::internal::GRAIN_SIZE
_VECTOR_BYTES = 32  # one AVX2 register
_BLOCK = 1 << 20  # elements per NumPy pass: bounds the temporaries


def _fused(a, b, c, dt) -> np.ndarray:
    """a*b + c rounded once to dt, as the contracted C++ computes it.

    An exact zero takes its sign from IEEE addition (-0.0 + -0.0 is -0.0), which
    the plain sum gets right and the error-free fma path does not.
    """
    dt = np.dtype(dt)
    out = _fma_checked(a, b, c, dt)
    zero = out == 0
    if zero.any():
        plain = np.asarray(np.asarray(a, dt) * np.asarray(b, dt) + np.asarray(c, dt), dtype=dt)
        out = np.where(zero & (plain == 0), plain, out)
    return out


@functools.lru_cache(maxsize=1)
def torch_threads() -> int:
    """torch's default intra-op thread count: OMP/MKL_NUM_THREADS, else physical cores."""
    count = 0
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # torch lets MKL's override OMP's
        value = os.environ.get(var, "").strip()
        if value.isdigit() and int(value) > 0:
            count = int(value)
    return count or _physical_cores()


def _physical_cores() -> int:
    """Distinct (package, core) pairs in /proc/cpuinfo, as cpuinfo counts them."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            blocks = f.read().split("\n\n")
    except OSError:
        blocks = []
    cores = set()
    for block in blocks:
        fields = dict(line.split(":", 1) for line in block.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        if "core id" in fields:
            cores.add((fields.get("physical id"), fields["core id"]))
    return len(cores) or os.cpu_count() or 1


def _thread_ranges(n: int, threads: int) -> list[tuple[int, int]]:
    """The [begin, end) pieces at::parallel_for gives its threads (OpenMP build)."""
    if n <= _GRAIN or threads <= 1:
        return [(0, n)]
    size = -(-n // min(threads, -(-n // _GRAIN)))
    return [(b, min(n, b + size)) for b in range(0, n, size)]


def _number(value, fn: str):
    """A Python int or float from a number or a one-element tensor (bool counts as int)."""
    if isinstance(value, Tensor):
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        value = int(value)
    if not isinstance(value, (int, float)):
        raise ValueTypeError(f"{fn} takes numbers, not {type(value).__name__}")
    if isinstance(value, int) and not -2**63 <= value < 2**63:
        raise ArgumentError(f"{fn}: {value} does not fit in 64 bits")
    return value


def _fits(value, dt: np.dtype, fn: str):
    """value converted as c10's checked Scalar.to<T>(): truncate, refuse overflow."""
    if dt.kind == "f":
        if isinstance(value, int):
            return np.int64(value).astype(dt)
        if math.isfinite(value) and abs(value) > float(np.finfo(dt).max):
            raise ArgumentError(f"{fn}: {value} is too large for {dtypes.from_numpy(dt)}")
        return dt.type(value)
    info = np.iinfo(dt)
    if isinstance(value, float):
        if not info.min <= value <= info.max:  # also refuses nan and -0.5 for uint8
            raise ArgumentError(f"{fn}: {value} does not fit in {dtypes.from_numpy(dt)}",
                                hint="use a wider or a floating dtype")
        value = int(value)  # truncates toward zero, as C++ does
    low = -info.max if info.min == 0 else info.min  # an int may wrap into an unsigned type
    if not low <= value <= info.max:
        raise ArgumentError(f"{fn}: {value} does not fit in {dtypes.from_numpy(dt)}",
                            hint="use a wider dtype")
    return np.int64(value).astype(dt)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    """torch.arange: torch's checks, element count and rounding (see the note above)."""
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v, "arange()") for v in (start, end, step))
    default = dtypes.int64.np if all(isinstance(v, int) for v in (start, end, step)) \
        else dtypes.DEFAULT_FLOAT.np
    dt = np.dtype(np_dtype(dtype, default))
    if dt.kind == "b":
        raise DTypeError("arange() cannot make bool tensors", hint="use an integer or float dtype")
    _check_range(float(start), float(end), float(step))
    if dt.kind == "f":
        acc = np.dtype(np.float32 if dt.itemsize < 4 else np.float64)  # at::acc_type on CPU
        first, delta = _fits(start, acc, "arange()"), _fits(step, acc, "arange()")
        n = _arange_size((float(end) - float(start)) / float(step))
        return finish(_arange_float(first, delta, n, dt, torch_threads()), requires_grad)
    first, last, delta = (int(_fits(v, np.dtype(np.int64), "arange()")) for v in (start, end, step))
    if dt == np.int64:  # torch counts int64 ranges in integers, after truncating the bounds
        if delta == 0:
            raise ArgumentError("arange() step must not be zero",
                                hint=f"step {step} truncates to 0 for an integer dtype")
        sign = 1 if delta > 0 else -1
        n = max(0, _trunc_div(last - first + delta - sign, delta))
    else:
        n = _arange_size((float(end) - float(start)) / float(step))
    limits.check_shape((n,))
    with np.errstate(all="ignore"):
        values = np.int64(first) + np.int64(delta) * np.arange(n, dtype=np.int64)
    return finish(values.astype(dt), requires_grad)


def _check_range(start: float, end: float, step: float) -> None:
    """torch's refusals, made on the float64 values whatever the dtype."""
    if not step > 0 and not step < 0:
        raise ArgumentError("arange() step must not be zero", hint="arange(0, 1, 0.1)")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ArgumentError(f"arange() bounds must be finite, got {start} to {end}")
    if (step > 0 and end < start) or (step < 0 and end > start):
        raise ArgumentError(f"arange() cannot go from {start} to {end} with step {step}",
                            hint="a negative step counts down: arange(5, 0, -1)")


def _arange_size(ratio: float) -> int:
    """ceil((end - start) / step), computed in float64 as torch does for every non-int64 dtype."""
    size = math.ceil(ratio) if math.isfinite(ratio) else -1
    if not 0 <= size <= 2**63 - 1:
        raise ArgumentError("arange() would have an invalid number of elements")
    limits.check_shape((size,))
    return size


def _trunc_div(a: int, b: int) -> int:
    """C's integer division (rounds toward zero)."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _arange_float(start, step, n: int, dt: np.dtype, threads: int) -> np.ndarray:
    """torch's vectorised arange loop (see the note above), in blocks of NumPy work."""
    acc = np.dtype(type(start))
    exact = 2.0 ** (np.finfo(dt).nmant + 1)
    if float(start).is_integer() and float(step).is_integer() \
            and abs(float(start)) + abs(float(step)) * n <= exact:
        # whole numbers that dt holds exactly: no rounding anywhere, so the plain sum is torch's
        return (start + step * np.arange(n, dtype=acc)).astype(dt)
    lanes = _VECTOR_BYTES // dt.itemsize
    pair = 2 * lanes
    k = np.arange(lanes, dtype=acc)
    out = np.empty(n, dt)
    with np.errstate(all="ignore"):
        for b, e in _thread_ranges(n, threads):
            whole = b + (e - b) // pair * pair
            for s in range(b, whole, _BLOCK // pair * pair):
                t = min(whole, s + _BLOCK // pair * pair)
                vec = np.arange(s, t, lanes).astype(acc)
                base = _fused(step, vec, start, acc).astype(dt).astype(acc)[:, None]
                block = _fused(k[None, :], step, base, acc)
                block[:, 0] = base[:, 0]  # lane 0 is the base itself (keeps a -0.0)
                out[s:t] = block.astype(dt).ravel()
            out[whole:e] = _fused(step, np.arange(whole, e).astype(acc), start, acc).astype(dt)
    return out


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """torch.linspace: torch's conversions and rounding (see the note above)."""
    if isinstance(steps, Tensor):
        steps = steps.__index__()
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ArgumentError("linspace() steps must be a non-negative integer")
    steps = int(steps)
    limits.check_shape((steps,))
    dt = np.dtype(np_dtype(dtype, dtypes.DEFAULT_FLOAT.np))
    if dt.kind == "b":
        raise DTypeError("linspace() cannot make bool tensors", hint="use an integer or float dtype")
    start, end = _number(start, "linspace()"), _number(end, "linspace()")
    first = last = None  # like torch, convert only the bounds that are used
    if steps == 1 and dt == np.float16:  # torch's fill_ does not check the range there
        with np.errstate(all="ignore"):
            first = np.float32(start).astype(np.float16)
    elif steps >= 1:
        first = _fits(start, dt, "linspace()")
    if steps >= 2:
        last = _fits(end, dt, "linspace()")
    return finish(_linspace_values(first, last, steps, dt), requires_grad)


def _linspace_values(start, end, steps: int, dt: np.dtype) -> np.ndarray:
    """torch's linspace kernel (see the note above); start and end are already dt values."""
    if steps <= 1:
        return np.full(steps, start, dtype=dt)
    if dt == np.float16:
        return _linspace_half(start, end, steps)
    work = np.dtype(dt if dt.kind == "f" else np.float64)
    a, b = work.type(start), work.type(end)
    half = steps // 2
    out = np.empty(steps, dt)
    with np.errstate(all="ignore"):
        step = (b - a) / work.type(steps - 1)
        for s in range(0, steps, _BLOCK):
            e = min(steps, s + _BLOCK)
            m = min(max(half, s), e)  # [s, m) counts up from start, [m, e) back from end
            out[s:m] = _fused(step, np.arange(s, m).astype(work), a, work).astype(dt)
            back = np.arange(steps - 1 - m, steps - 1 - e, -1).astype(work)
            out[m:e] = _fused(-step, back, b, work).astype(dt)
    return out


def _linspace_half(start, end, steps: int) -> np.ndarray:
    """c10::Half arithmetic: each operation in float32, rounded back to float16."""
    f32 = np.float32

    def rnd(x):
        return np.asarray(x, f32).astype(np.float16).astype(f32)

    a, b = f32(start), f32(end)
    idx = np.arange(steps)
    with np.errstate(all="ignore"):
        step = rnd(rnd(b - a) / rnd(f32(steps - 1)))
        up = rnd(a + rnd(step * rnd(idx.astype(f32))))
        down = rnd(b - rnd(step * rnd((steps - 1 - idx).astype(f32))))
        return np.where(idx < steps // 2, up, down).astype(np.float16)


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
    low, high = (_int_bound(v) for v in (low, high))
    if high <= low:
        raise ArgumentError(f"randint() needs low < high, got low={low}, high={high}")
    arr = _generator().randint(int(low), int(high), shape_of((size,)))
    return finish(arr.astype(np_dtype(dtype, dtypes.int64.np)), requires_grad)


def _int_bound(v):
    """randint's bounds are integers (a 0-dim integer tensor counts), as PyTorch's argument parser has it."""
    if isinstance(v, Tensor) and v.array.ndim == 0 and v.array.dtype.kind in "iu":
        return int(v.array)
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueTypeError(f"randint() bounds must be integers, not {type(v).__name__}",
                             hint="e.g. randint(0, 10, (3,))")
    return int(v)


def randperm(n, dtype=None, requires_grad=False, device=None, generator=None):
    shape_of((n,))
    return finish(_generator().randperm(int(n)).astype(np_dtype(dtype, dtypes.int64.np)), requires_grad)


def manual_seed(seed) -> None:
    if isinstance(seed, float):  # torch.manual_seed does int(seed)
        if not math.isfinite(seed):
            raise ArgumentError(f"manual_seed(): cannot convert {seed} to an integer", hint="pass an integer seed")
        seed = int(seed)
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
    if not isinstance(t, Tensor):
        raise ValueTypeError("rand_like() needs a tensor")
    return rand(t.array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def _randn_like(t, dtype=None, requires_grad=False, device=None):
    if not isinstance(t, Tensor):
        raise ValueTypeError("randn_like() needs a tensor")
    return randn(t.array.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


_ones_shape.__name__, _zeros_shape.__name__ = "ones", "zeros"


# -- in-place fills: new values that do not depend on the old ones ---------------------------------
class FillValue(Function):
    """`t.fill_(number)`: PyTorch's fill_.Scalar."""

    name = "FillBackward2"
    rule = ("∂ fill(u, c)/∂u = 0",)

    def forward(self, a, value):
        return np.full(a.shape, value, dtype=a.dtype)

    def backward(self, g, a):
        return (no_gradient(g),)


class FillTensor(Function):
    """`t.fill_(v)` with a 0-dim tensor v: PyTorch's fill_.Tensor; v gets the summed gradient (the
    sum and v's dtype come from un-broadcasting)."""

    name = "FillBackward3"
    broadcasts = True
    rule = ("∂ fill(u, v)/∂u = 0", "∂ fill(u, v)/∂v = 1 for each element")

    def forward(self, a, v):
        return np.full(a.shape, _fill_value(v.item(), a.dtype), dtype=a.dtype)

    def backward(self, g, a, v):
        return (no_gradient(g), g)


class Zero(Function):
    name = "ZeroBackward0"
    rule = ("∂ zero(u)/∂u = 0",)

    def forward(self, a):
        return np.zeros_like(a)

    def backward(self, g, a):
        return (no_gradient(g),)


class Normal(Function):
    """`t.normal_(mean, std)`: samples from torch's CPU stream, in t's shape and dtype."""

    name = "NormalBackward0"
    rule = ("∂ normal_(u)/∂u = 0",)

    def forward(self, a, mean=0.0, std=1.0):
        return _generator().normal(a.shape, _number(mean, "normal_()"), _number(std, "normal_()"), a.dtype)

    def backward(self, g, a):
        return (no_gradient(g),)


class Uniform(Function):
    """`t.uniform_(from, to)`."""

    name = "UniformBackward0"
    rule = ("∂ uniform_(u)/∂u = 0",)

    def forward(self, a, low=0.0, high=1.0):
        return _generator().uniform(a.shape, _number(low, "uniform_()"), _number(high, "uniform_()"), a.dtype)

    def backward(self, g, a):
        return (no_gradient(g),)


def _fill_value(value, dt: np.dtype):
    """A number converted to dt as c10 converts it for fill_: truncated, refused if it overflows."""
    if dt.kind == "b":
        return bool(value)
    if dt.kind == "f" and isinstance(value, int) and not -2**63 <= value < 2**63:
        value = float(value)
    return _fits(value, dt, "fill_()")


def _overwrite(t: Tensor, op, *inputs, **params) -> Tensor:
    """Write the op's result into t: PyTorch's in-place rules, one version bump, and t takes the op's
    node when gradients are recorded (Tensor.write_inplace)."""
    t.check_inplace()
    return t.write_inplace(op.apply(t, *inputs, **params))


def fill_(t, value):
    if isinstance(value, Tensor):
        if value.array.ndim:
            raise ShapeError(f"fill_() takes a number or a 0-dim tensor, not a tensor of shape {list(value.shape)}",
                             hint="pass one element: value[0], or value.item()")
        return _overwrite(t, FillTensor, value)
    if isinstance(value, np.generic):
        value = value.item()
    if not isinstance(value, (bool, int, float)):
        raise ValueTypeError(f"fill_() takes a number or a 0-dim tensor, not {type(value).__name__}")
    return _overwrite(t, FillValue, value=_fill_value(value, t.array.dtype))


def zero_(t):
    return _overwrite(t, Zero)


def normal_(t, mean=0.0, std=1.0, generator=None):
    return _overwrite(t, Normal, mean=mean, std=std)


def uniform_(t, low=0.0, high=1.0, generator=None):
    return _overwrite(t, Uniform, low=low, high=high)


METHODS = dict(fill_=fill_, zero_=zero_, normal_=normal_, uniform_=uniform_)

FUNCTIONS = dict(tensor=tensor, as_tensor=tensor, ones=ones, zeros=zeros, empty=empty, full=full, eye=eye,
                 arange=arange, linspace=linspace, rand=rand, randn=randn, randint=randint,
                 randperm=randperm, manual_seed=manual_seed, seed=initial_seed, initial_seed=initial_seed,
                 ones_like=_like(_ones_shape), zeros_like=_like(_zeros_shape), empty_like=_like(_zeros_shape),
                 full_like=_full_like, rand_like=_rand_like, randn_like=_randn_like)
