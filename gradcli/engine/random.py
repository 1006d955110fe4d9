"""PyTorch's CPU random streams (torch 2.13, x86-64), bit for bit, in NumPy.

Why this much care: `manual_seed(1); randn(5, 3)` must print the numbers the
PyTorch tutorial prints.  The recipe (TORCH_REFERENCE.md, part D) is:
MT19937 words; uniforms from masked words; normals by Box-Muller, either
per element in float64 with a cached second sample (fewer than 16 elements)
or in blocks of 16 with the float32 Cephes log/sincos of torch's AVX2 kernel,
whose rounding steps and fused multiply-adds are reproduced one by one.
"""

from __future__ import annotations

import functools
import math
import operator
import os

import numpy as np

from gradcli.errors import ArgumentError, DTypeError, LimitExceeded, ValueTypeError

__all__ = ["Generator", "default_generator", "manual_seed", "initial_seed"]

_U64 = 1 << 64
_MASK24 = np.uint64((1 << 24) - 1)
_MASK53 = np.uint64((1 << 53) - 1)
_VECTOR_MIN = 16  # torch's normal kernel switches to 16-blocks from here
_RANDPERM_MAX = 0xFFFFFFFF // 20  # torch uses another shuffle from here on
_CHUNK_ROWS = 4096  # 16-blocks per vectorised step

_f32 = np.float32
# Cephes single-precision constants, as in avx_mathfun.h (used by torch).
_ONE, _HALF, _MINUS_TWO = _f32(1.0), _f32(0.5), _f32(-2.0)
_TWO_PI = _f32(2.0 * math.pi)
_SQRTHF = _f32(0.707106781186547524)
_LOG_P = [_f32(c) for c in (
    7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
    1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1,
    3.3333331174e-1)]
_LOG_Q1, _LOG_Q2 = _f32(-2.12194440e-4), _f32(0.693359375)
_FOPI = _f32(1.27323954473516)
_DP1, _DP2, _DP3 = (_f32(-0.78515625), _f32(-2.4187564849853515625e-4),
                    _f32(-3.77489497744594108e-8))
_SIN = [_f32(c) for c in (-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1)]
_COS = [_f32(c) for c in (2.443315711809948e-5, -1.388731625493765e-3,
                          4.166664568298827e-2)]


# --- float32 arithmetic as the AVX2 kernel does it ---------------------------

def _fma32(a, b, c) -> np.ndarray:
    """Fused a*b + c for float32 values, rounded once (normal-range results).

    The float64 product is exact and the float64 sum is rounded once; rounding
    that to float32 is right unless the sum fell exactly on a float32 midpoint,
    where the lost TwoSum error decides the direction.
    """
    p = np.multiply(a, b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    s = np.asarray(p + c)
    out = s.astype(np.float32)
    mid = np.flatnonzero((s.view(np.uint64) & np.uint64(0x1FFFFFFF)) == np.uint64(0x10000000))
    if mid.size:  # rare: redo those few with the rounding error of the sum
        p, c, s = p.flat[mid], np.broadcast_to(c, out.shape).flat[mid], s.flat[mid]
        t = s - p
        err = (p - (s - t)) + (c - t)
        s = np.where(err != 0, np.nextafter(s, np.copysign(np.inf, err)), s)
        out.flat[mid] = s.astype(np.float32)
    return out


def _two_sum(a, b):
    s = a + b
    t = s - a
    return s, (a - (s - t)) + (b - t)


def _split(a):
    t = 134217729.0 * a  # Veltkamp: 2**27 + 1
    hi = t - (t - a)
    return hi, a - hi


def _fma64(a, b, c) -> np.ndarray:
    """Fused a*b + c in float64 (Boldo-Melquiond: exact product, round-to-odd)."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in (a, b, c)))
    uh = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    ul = ((ah * bh - uh) + ah * bl + al * bh) + al * bl
    th, tl = _two_sum(c, uh)
    v, ve = _two_sum(tl, ul)
    even = (v.view(np.uint64) & np.uint64(1)) == 0
    v = np.where((ve != 0) & even, np.nextafter(v, np.copysign(np.inf, ve)), v)
    return th + v


def _fma_checked(a, b, c, dt: np.dtype) -> np.ndarray:
    """fma in dtype dt for any inputs: fast paths, exact fallback at the extremes."""
    a, b, c = np.broadcast_arrays(*(np.asarray(v, dtype=dt) for v in (a, b, c)))
    tiny, huge = (2.0 ** -120, 2.0 ** 120) if dt == np.float32 else (2.0 ** -960, 2.0 ** 960)
    with np.errstate(all="ignore"):
        out = _fma32(a, b, c) if dt == np.float32 else _fma64(a, b, c)
        mag = np.abs(np.stack((a.astype(np.float64) * b, c, out)))
    odd = ((mag != 0) & (mag < tiny)) | ~(mag < huge)
    for i in np.flatnonzero(odd.any(axis=0)):
        out.flat[i] = _exact_fma(float(a.flat[i]), float(b.flat[i]), float(c.flat[i]), dt)
    return out


def _exact_fma(a: float, b: float, c: float, dt: np.dtype):
    """a*b + c rounded once to dt, via exact rationals (rare, extreme values)."""
    from fractions import Fraction  # rarely needed: keep it off the import path

    if not all(map(math.isfinite, (a, b, c))):
        return dt.type(a * b + c)
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    if exact == 0:
        return dt.type(a * b + c)  # the sign of zero follows IEEE addition
    overflow = 2 ** 1024 - 2 ** 970 if dt == np.float64 else 2 ** 128 - 2 ** 103
    if abs(exact) >= overflow:
        return dt.type(math.copysign(math.inf, exact))
    d = float(exact)  # correctly rounded to float64
    if dt == np.float64:
        return np.float64(d)
    best = None
    f = np.float32(d)
    for cand in (np.nextafter(f, np.float32(-np.inf)), f, np.nextafter(f, np.float32(np.inf))):
        if not np.isfinite(cand):
            continue
        key = (abs(Fraction(float(cand)) - exact), int(np.float32(cand).view(np.uint32)) & 1)
        if best is None or key < best[0]:
            best = (key, cand)
    return best[1] if best is not None else f


def _log32(x: np.ndarray) -> np.ndarray:
    """Natural log of float32 x in (0, 1], Cephes scheme with torch's fusions."""
    bits = x.view(np.uint32)
    e = ((bits >> np.uint32(23)).astype(np.int32) - 127).astype(np.float32) + _ONE
    m = ((bits & np.uint32(0x807FFFFF)) | np.uint32(0x3F000000)).view(np.float32)
    small = m < _SQRTHF
    e = e - np.where(small, _ONE, _f32(0))
    m = (m - _ONE) + np.where(small, m, _f32(0))
    z = m * m
    y = _fma32(_LOG_P[0], m, _LOG_P[1])
    for p in _LOG_P[2:]:
        y = _fma32(y, m, p)
    y = y * m
    y = _fma32(y, z, e * _LOG_Q1)
    y = y - z * _HALF
    return _fma32(e, _LOG_Q2, m + y)


def _sincos32(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """sin and cos of float32 theta >= 0, Cephes scheme with torch's fusions."""
    j = (theta * _FOPI).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(np.float32)
    x = _fma32(y, _DP1, theta)
    x = _fma32(y, _DP2, x)
    x = _fma32(y, _DP3, x)
    z = x * x
    c = _fma32(_fma32(_COS[0], z, _COS[1]), z, _COS[2]) * z
    c = _fma32(c, z, -(z * _HALF)) + _ONE
    s = _fma32(_fma32(_SIN[0], z, _SIN[1]), z, _SIN[2]) * z
    s = _fma32(s, x, x)
    swap = (j & 2) != 0
    sin, cos = np.where(swap, c, s), np.where(swap, s, c)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((j - 2) & 4) == 0, -cos, cos)
    return sin, cos


def _box_muller32(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Rows of 16 float32 uniforms -> rows of 16 normals (torch's AVX2 kernel)."""
    radius = np.sqrt(_MINUS_TWO * _log32(_ONE - blocks[:, :8]))
    sin, cos = _sincos32(_TWO_PI * blocks[:, 8:])
    out = np.concatenate((radius * cos, radius * sin), axis=1)
    return _scale(out, mean, std)


def _box_muller64(blocks: np.ndarray, mean: float, std: float) -> np.ndarray:
    """Rows of 16 float64 uniforms -> normals, with the C library's log/sin/cos."""
    u1 = (1.0 - blocks[:, :8]).ravel().tolist()
    theta = ((2.0 * math.pi) * blocks[:, 8:]).ravel().tolist()
    radius = np.sqrt(-2.0 * np.array(list(map(math.log, u1))))
    cos = np.array(list(map(math.cos, theta)))
    sin = np.array(list(map(math.sin, theta)))
    out = np.concatenate(((radius * cos).reshape(-1, 8), (radius * sin).reshape(-1, 8)), axis=1)
    return _scale(out, mean, std)


def _scale(x: np.ndarray, mean: float, std: float) -> np.ndarray:
    """torch's fused x*std + mean in x's dtype (std=1, mean=0 only turns -0 into +0)."""
    if std == 1.0 and mean == 0.0:
        return x + x.dtype.type(0)
    return _fma_checked(x, std, mean, x.dtype)


# --- arguments ---------------------------------------------------------------

def _shape(shape) -> tuple[tuple[int, ...], int]:
    """Normalise a shape to a tuple of ints and return it with its numel."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise ValueTypeError(f"a shape must be a sequence of integers, got {shape!r}",
                             hint="write sizes as whole numbers, e.g. randn(2, 3)") from None
    for d in dims:
        if d < 0:
            raise ArgumentError(f"cannot make a tensor with negative size {d} in shape {list(dims)}",
                                hint="every size must be 0 or more")
    return dims, math.prod(dims)


def _float_dtype(dtype) -> np.dtype:
    """Only float32 and float64 have torch-exact streams here (None: float32)."""
    try:
        dt = np.dtype(np.float32 if dtype is None else dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise DTypeError(f"random floats are available as float32 or float64, not {dtype}",
                         hint="use dtype=float32 (the default) or float64")
    return dt


def _check_int(value, what: str) -> int:
    try:
        return operator.index(value)
    except TypeError:
        raise ValueTypeError(f"{what} must be an integer, got {type(value).__name__}",
                             hint=f"pass a whole number as {what}") from None


def _seed_key(seed32: int) -> np.ndarray:
    """MT19937's 624-word key for a 32-bit seed (init_genrand, as std::mt19937)."""
    return np.random.RandomState(seed32).get_state()[1]


def _memory_guard(method):
    """Report a draw too large for memory as a gradcli error, not a MemoryError."""
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except MemoryError:
            raise LimitExceeded(f"not enough memory for {method.__name__}",
                                hint="ask for fewer random numbers") from None
    return guarded


# --- the generator -----------------------------------------------------------

class Generator:
    """One MT19937 stream plus the cached second Box-Muller sample, like torch's."""

    def __init__(self, seed: int | None = None):
        self._seed: int | None = None
        self._engine: np.random.MT19937 | None = None
        self._cached_normal: float | None = None
        if seed is not None:
            self.manual_seed(seed)

    # seeding
    def manual_seed(self, seed: int) -> None:
        """Seed like torch: -2**63 <= seed < 2**64, negatives wrap mod 2**64."""
        if isinstance(seed, (float, np.floating)) or not hasattr(seed, "__index__"):
            raise ValueTypeError(f"a seed must be an integer, got {type(seed).__name__}",
                                 hint="pass a whole number, e.g. manual_seed(0)")
        seed = operator.index(seed)
        if not -(1 << 63) <= seed < _U64:
            raise ArgumentError(f"seed {seed} is out of range",
                                hint="use a seed between -2**63 and 2**64 - 1")
        self._seed = seed % _U64
        engine = np.random.MT19937()
        engine.state = {"bit_generator": "MT19937",
                        "state": {"key": _seed_key(self._seed & 0xFFFFFFFF), "pos": 624}}
        self._engine = engine
        self._cached_normal = None

    def initial_seed(self) -> int:
        """The seed in use, as torch reports it (an unsigned 64-bit number)."""
        self._ensure_seeded()
        return self._seed

    def _ensure_seeded(self) -> None:
        if self._engine is None:
            self.manual_seed(int.from_bytes(os.urandom(8), "little"))

    def _words(self, n: int) -> np.ndarray:
        """The next n 32-bit words of the stream (as uint64)."""
        self._ensure_seeded()
        if n == 0:
            return np.zeros(0, dtype=np.uint64)
        return self._engine.random_raw(n)

    def _words64(self, n: int) -> np.ndarray:
        """n 64-bit draws; torch takes the first word of each pair as the high half."""
        w = self._words(2 * n)
        return (w[0::2] << np.uint64(32)) | w[1::2]

    def _uniform(self, n: int, dt: np.dtype) -> np.ndarray:
        """n uniforms in [0, 1): 24 bits of one word, or 53 bits of two."""
        if dt == np.float32:
            return (self._words(n) & _MASK24).astype(np.float32) * _f32(2.0 ** -24)
        return (self._words64(n) & _MASK53).astype(np.float64) * 2.0 ** -53

    # public draws
    @_memory_guard
    def rand(self, shape, dtype=np.float32) -> np.ndarray:
        """Uniform [0, 1), row-major."""
        return self.uniform(shape, 0.0, 1.0, dtype)

    @_memory_guard
    def uniform(self, shape, low: float, high: float, dtype=np.float32) -> np.ndarray:
        """uniform_(low, high): u * (high - low) + low in the dtype."""
        dims, n = _shape(shape)
        dt = _float_dtype(dtype)
        low, high = float(low), float(high)
        top = float(np.finfo(dt).max)
        if not (-top <= low <= top and -top <= high <= top):
            raise ArgumentError(f"uniform bounds must be finite {dt.name} numbers, got {low} and {high}",
                                hint=f"use bounds within +-{top:g}")
        if not low <= high:
            raise ArgumentError(f"uniform needs low <= high, got low={low} and high={high}",
                                hint="swap the bounds")
        if not high - low <= top:
            raise ArgumentError(f"uniform range {low}..{high} is too wide for {dt.name}",
                                hint=f"keep high - low within {top:g}")
        u = self._uniform(n, dt)
        if low != 0.0 or high != 1.0:
            lo, hi = dt.type(low), dt.type(high)
            u = _fma_checked(u, hi - lo, lo, dt)  # torch: u * (to - from) + from, fused
        return u.reshape(dims)

    @_memory_guard
    def randn(self, shape, dtype=np.float32) -> np.ndarray:
        """Standard normal samples."""
        return self.normal(shape, 0.0, 1.0, dtype)

    @_memory_guard
    def normal(self, shape, mean: float, std: float, dtype=np.float32) -> np.ndarray:
        """normal_(mean, std): 16-blocks from 16 elements on, else per element."""
        dims, n = _shape(shape)
        dt = _float_dtype(dtype)
        mean, std = float(mean), float(std)
        if not std >= 0.0:
            raise ArgumentError(f"normal needs std >= 0, got std={std}",
                                hint="a standard deviation cannot be negative")
        if n < _VECTOR_MIN:  # float64 maths, then rounded to the dtype
            raw = np.array(self._normal_scalar(n), dtype=np.float64)
            return _scale(raw, mean, std).astype(dt).reshape(dims)
        return self._normal_vector(n, dt, mean, std).reshape(dims)

    def _normal_scalar(self, n: int) -> list[float]:
        """Per element in float64; every second sample comes from the cache."""
        cached = self._cached_normal
        need = (n - (cached is not None) + 1) // 2
        w = self._words64(2 * need) & _MASK53
        u = (w.astype(np.float64) * 2.0 ** -53).tolist()
        out, k = [], 0
        for _ in range(n):
            if cached is not None:
                out.append(cached)
                cached = None
                continue
            u1, u2 = u[k], u[k + 1]
            k += 2
            r = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            cached = r * math.sin(theta)
            out.append(r * math.cos(theta))
        self._cached_normal = cached
        return out

    def _normal_vector(self, n: int, dt: np.dtype, mean: float, std: float) -> np.ndarray:
        """All n uniforms, Box-Muller per full 16-block, then a fresh 16 for the tail."""
        full = n // 16 * 16
        u = self._uniform(n, dt)
        blocks = u[:full].reshape(-1, 16)
        if n != full:
            blocks = np.concatenate((blocks, self._uniform(16, dt).reshape(1, 16)))
        fill = _box_muller32 if dt == np.float32 else _box_muller64
        res = np.empty(blocks.shape, dtype=dt)
        for i in range(0, len(blocks), _CHUNK_ROWS):  # cache-sized pieces: ~3x faster
            res[i:i + _CHUNK_ROWS] = fill(blocks[i:i + _CHUNK_ROWS], mean, std)
        res = res.ravel()
        if n == full:
            return res
        out = np.empty(n, dtype=dt)
        out[:full] = res[:full]
        out[n - 16:] = res[full:]  # the redrawn tail overwrites the last slots
        return out

    @_memory_guard
    def randint(self, low: int, high: int, shape) -> np.ndarray:
        """int64 in [low, high): draw mod range + low, no rejection (as torch).

        The draw is one word below a range of 2**28 and two words from there on
        (the public wheels' threshold; torch's internal builds use 2**32).
        """
        low, high = _check_int(low, "low"), _check_int(high, "high")
        dims, n = _shape(shape)
        if not low < high:
            raise ArgumentError(f"randint needs low < high, got low={low} and high={high}",
                                hint="the upper bound is exclusive: randint(0, 10, ...) gives 0..9")
        if not (-(1 << 63) <= low and high < 1 << 63):
            raise ArgumentError("randint bounds must fit in a 64-bit integer",
                                hint="use bounds between -2**63 and 2**63 - 1")
        span = high - low
        w = self._words(n) if span < 1 << 28 else self._words64(n)  # 2**28, not 2**32
        v = (w % np.uint64(span)) + np.uint64(low % _U64)  # wraps mod 2**64
        return v.view(np.int64).reshape(dims)

    @_memory_guard
    def randperm(self, n: int) -> np.ndarray:
        """Torch's swap shuffle: for i, swap p[i] with p[i + word mod (n - i)]."""
        n = _check_int(n, "n")
        if n < 0:
            raise ArgumentError(f"randperm needs n >= 0, got {n}", hint="pass a size of 0 or more")
        if n >= _RANDPERM_MAX:
            raise LimitExceeded(f"randperm({n}) is too large to reproduce",
                                hint=f"use n below {_RANDPERM_MAX}")
        p = np.arange(n, dtype=np.int64)
        if n <= 1:
            return p
        left = np.arange(n, 1, -1, dtype=np.uint64)
        ks = ((self._words(n - 1) % left) + np.arange(n - 1, dtype=np.uint64)).tolist()
        perm = p.tolist()
        for i, k in enumerate(ks):
            perm[i], perm[k] = perm[k], perm[i]
        return np.array(perm, dtype=np.int64)


default_generator = Generator()


def manual_seed(seed) -> None:
    """Seed the default generator; like torch.manual_seed, a float is truncated."""
    if isinstance(seed, (float, np.floating)) and math.isfinite(seed):
        seed = int(seed)
    default_generator.manual_seed(seed)


def initial_seed() -> int:
    return default_generator.initial_seed()
