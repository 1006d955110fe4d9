"""Reductions: sum, mean, prod, max/min (full, per dim, amax/amin), vector norms, argmax/argmin, all/any.

Each differentiable reduction is one op whose backward first gives the
incoming gradient back its reduced dimensions (a view to the keepdim shape)
and then spreads it over the input: `expand` for sum and mean, a weight mask
for max/min (ties split evenly for full reductions, the first maximum takes
all for `max(dim)`), the "product of the others" for prod (exact with zeros).
Masks are constants computed from the saved arrays, so the same backward
differentiates again under create_graph.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.engine import limits

from gradcli.engine.function import Function
from gradcli.engine.ops.cascade import torch_sum
from gradcli.engine.ops import shape as shape_ops
from gradcli.engine.ops.elementwise import Abs, Add, Maximum, Minimum, Mul, Pow, Sgn, ToCopy, Where
from gradcli.engine.tensor import Tensor, require_tensor
from gradcli.errors import ArgumentError, DTypeError, IndexOutOfRange, ValueTypeError

INT64 = np.dtype(np.int64)


# -- dims and shapes --------------------------------------------------------------------------
def normalize_dims(dim, ndim: int, op: str, single: bool = False) -> tuple:
    """`dim` (an int, a list/tuple of ints, or None for all) as sorted non-negative axes.

    A 0-d tensor accepts dim 0 and -1, as in PyTorch; it reduces over nothing."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, (list, tuple)):
        if single:
            raise ValueTypeError(f"{op}() takes a single dim, not a {type(dim).__name__}",
                                 hint=f"reduce one dimension at a time: {op}(dim=0)")
        dims = dim
    else:
        dims = (dim,)
    n = max(ndim, 1)
    out = []
    for d in dims:
        if isinstance(d, Tensor) and d.array.ndim == 0 and d.array.dtype.kind in "iu":
            d = int(d.array)
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
            raise ValueTypeError(f"{op}() dim must be an integer, not {type(d).__name__}",
                                 hint=f"write {op}(dim=0) or {op}(dim=(0, 1))")
        if not -n <= d < n:
            raise IndexOutOfRange(f"dimension {d} is out of range for a tensor with {ndim} dimension(s)",
                                  hint=f"use a dim between {-n} and {n - 1}")
        d = int(d) % n
        if d in out:
            raise ArgumentError(f"{op}(): dim {d} appears more than once in the list of dims",
                                hint="list each dimension once")
        out.append(d)
    if ndim == 0:
        return ()
    return tuple(sorted(out))


def kept_shape(shape: tuple, axes: tuple) -> tuple:
    """The shape of a reduction over `axes` with keepdim=True."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def as_tensor_arg(x, op: str) -> Tensor:
    return require_tensor(x, op)


# -- views used inside backward (arrays: NumPy; Tensors: the recorded shape ops) ----------------
def view(x, shape):
    """x reshaped to `shape`, recording the shape op (ViewBackward0) when x is a Tensor."""
    shape = tuple(shape)
    if isinstance(x, Tensor):
        return x if x.array.shape == shape else shape_ops.reshape(x, shape)
    return np.reshape(x, shape)


def expand(x, shape):
    """x broadcast to `shape` (no copy), recording ExpandBackward0 when x is a Tensor."""
    shape = tuple(shape)
    if isinstance(x, Tensor):
        return x if x.array.shape == shape else shape_ops.expand(x, shape)
    return np.broadcast_to(x, shape)


def array_of(x):
    """The NumPy value of a saved input (a Tensor under create_graph)."""
    return x.array if isinstance(x, Tensor) else np.asarray(x)


def times(g, w):
    """g * w for a constant array w; records MulBackward0 (w a constant slot) when g is a Tensor."""
    return Mul.apply(g, Tensor(w)) if isinstance(g, Tensor) else g * w


def plus(x, c):
    """x + c for a constant array c."""
    return Add.apply(x, Tensor(c)) if isinstance(x, Tensor) else x + c


def sum_to_tensor(t: Tensor, shape) -> Tensor:
    """Sum a broadcast gradient back to `shape` with recorded ops (PyTorch's at::sum_to)."""
    shape = tuple(shape)
    have = t.array.shape
    if have == shape:
        return t
    if not shape:
        return Sum.apply(t)  # to a 0-dim tensor: one full sum, as at::sum_to does
    lead = len(have) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and have[i + lead] != 1)
    out = SumDim.apply(t, dim=axes, keepdim=True) if axes else t
    return view(out, shape) if lead > 0 else out


# -- forward kernels ----------------------------------------------------------------------------
def _sum_array(a, axes, keepdim, dtype=None):
    if dtype is None:
        if a.dtype.kind in "biu":
            dtype = INT64
        elif a.dtype == np.float16:
            return np.sum(a, axis=axes, keepdims=keepdim, dtype=np.float32).astype(np.float16)
    if a.dtype.kind == "f" and (dtype is None or np.dtype(dtype).kind == "f"):
        if dtype is not None and a.dtype != dtype:
            a = a.astype(dtype)
        return torch_sum(a, _axes(axes, a.ndim), keepdim)  # PyTorch's order of additions, to the last bit
    out = np.sum(a, axis=axes, keepdims=keepdim, dtype=dtype)
    return out


def _axes(axes, ndim) -> tuple:
    if axes is None:
        return tuple(range(ndim))
    return tuple(sorted(a % ndim for a in axes)) if isinstance(axes, tuple) else (axes % ndim,)


def _mean_array(a, axes, keepdim, dtype=None):
    """PyTorch's CPU mean: the sum (in its order), divided by the count in the result's dtype."""
    out_dtype = np.dtype(dtype or a.dtype)
    if a.dtype != out_dtype:
        a = a.astype(out_dtype)
    axes = _axes(axes, a.ndim)
    n = math.prod(a.shape[i] for i in axes)
    return np.asarray(torch_sum(a, axes, keepdim) / out_dtype.type(n), dtype=out_dtype)


def _spread(g, in_shape, axes, keepdim):
    """The incoming gradient of a reduction, broadcast back over the input shape."""
    if not keepdim and axes:
        g = view(g, kept_shape(in_shape, axes))
    return expand(g, in_shape)


def _restore_dtype(g, dtype):
    """A reduction with dtype= computed in another dtype; its gradient goes back to the input's."""
    return g if array_of(g).dtype == dtype else ToCopy.call(g, dtype=dtype)


# -- sum and mean -------------------------------------------------------------------------------
class Sum(Function):
    name = "SumBackward0"
    rule = ("∂(Σᵢ uᵢ)/∂uⱼ = 1",)

    def forward(self, a, dtype=None):
        self.shape, self.dtype = a.shape, a.dtype
        return _sum_array(a, None, False, dtype)

    def backward(self, g, a):
        return (_restore_dtype(expand(g, self.shape), self.dtype),)


class SumDim(Function):
    name = "SumBackward1"
    rule = ("∂(Σᵢ uᵢ)/∂uⱼ = 1 along the summed dims",)

    def forward(self, a, dim, keepdim=False, dtype=None):
        self.shape, self.dtype, self.axes, self.keepdim = a.shape, a.dtype, dim, keepdim
        _check_empty_reduction(a, dim, keepdim)
        return _sum_array(a, dim, keepdim, dtype)

    def backward(self, g, a):
        return (_restore_dtype(_spread(g, self.shape, self.axes, self.keepdim), self.dtype),)


def _check_empty_reduction(a, dim, keepdim) -> None:
    """Reducing an empty dimension can make a result far larger than the input: refuse it before NumPy does it."""
    if a.size == 0:
        axes = dim if isinstance(dim, tuple) else (dim,)
        axes = {ax % a.ndim for ax in axes} if a.ndim else set()
        limits.check_shape(tuple(1 if i in axes else n for i, n in enumerate(a.shape) if keepdim or i not in axes))


def _float_only(a, op):
    if a.dtype.kind != "f":
        from gradcli.engine.dtypes import from_numpy
        raise DTypeError(f"{op}() needs a floating-point tensor, got {from_numpy(a.dtype)}",
                         hint=f"convert first: x.float().{op}()  (or create it with float values)")


class Mean(Function):
    name = "MeanBackward0"
    rule = ("∂(Σᵢ uᵢ / n)/∂uⱼ = 1/n",)

    def forward(self, a, dtype=None):
        _float_only(a if dtype is None else np.empty(0, dtype), "mean")
        self.shape, self.dtype = a.shape, a.dtype
        if a.size == 0:  # PyTorch: nan, silently
            return np.full((), np.nan, dtype or a.dtype)
        return _mean_array(a, None, False, dtype)

    def backward(self, g, a):
        n = math.prod(self.shape)
        return (_restore_dtype(expand(g / n, self.shape), self.dtype),)


class MeanDim(Function):
    name = "MeanBackward1"
    rule = ("∂(Σᵢ uᵢ / n)/∂uⱼ = 1/n along the averaged dims",)

    def forward(self, a, dim, keepdim=False, dtype=None):
        _float_only(a if dtype is None else np.empty(0, dtype), "mean")
        self.shape, self.dtype, self.axes, self.keepdim = a.shape, a.dtype, dim, keepdim
        _check_empty_reduction(a, dim, keepdim)
        if a.size == 0:
            total = np.sum(a, axis=dim, keepdims=keepdim, dtype=dtype)
            return np.full(total.shape, np.nan if total.size else 0, dtype or a.dtype)
        return _mean_array(a, dim, keepdim, dtype)

    def backward(self, g, a):
        n = math.prod(self.shape[i] for i in self.axes)
        return (_restore_dtype(_spread(g / n, self.shape, self.axes, self.keepdim), self.dtype),)


# -- prod ---------------------------------------------------------------------------------------
def _exclusive_prod(a, axis):
    """For each element, the product of the others along `axis` (exact when zeros are present)."""
    n = a.shape[axis]
    ones = np.ones_like(np.take(a, [0], axis=axis))
    left = np.concatenate([ones, np.cumprod(np.take(a, range(n - 1), axis=axis), axis=axis)], axis=axis)
    rev = np.flip(a, axis=axis)
    right = np.concatenate([ones, np.cumprod(np.take(rev, range(n - 1), axis=axis), axis=axis)], axis=axis)
    return left * np.flip(right, axis=axis)


def _others_tensor(a: Tensor, axis: int) -> Tensor:
    """Product of the others along `axis`, built from recorded ops so it differentiates again:
    stack n copies of `a` with a 1 on the diagonal of (copy, axis) and take their product."""
    shape = a.array.shape
    n = shape[axis]
    mask_shape = (1,) * axis + (n, n) + (1,) * (len(shape) - axis - 1)
    eye = np.eye(n, dtype=bool).reshape(mask_shape)
    stacked = Where.call(eye, 1.0, view(a, shape[:axis] + (1,) + shape[axis:]))
    return ProdDim.apply(stacked, dim=axis + 1, keepdim=False)


def _prod_grad(g_full, a, out_kept, axis):
    """g · ∏_{k≠j} a_k, with PyTorch's rule: g·out/a when there is no zero, exact products otherwise."""
    arr = array_of(a)
    if not (arr == 0).any():
        return g_full * (out_kept / a) if isinstance(a, Tensor) else g_full * (array_of(out_kept) / arr)
    if isinstance(a, Tensor):
        return g_full * _others_tensor(a, axis)
    return g_full * _exclusive_prod(arr, axis)


def _prod_array(a, axis, keepdim, dtype):
    if dtype is None and a.dtype.kind in "biu":
        dtype = INT64
    return np.prod(a, axis=axis, keepdims=keepdim, dtype=dtype)


class Prod(Function):
    name = "ProdBackward0"
    saves = (0, "out")
    rule = ("∂(Πᵢ uᵢ)/∂uⱼ = Πᵢ≠ⱼ uᵢ",)

    def forward(self, a, dtype=None):
        self.shape = a.shape
        return _prod_array(a, None, False, dtype)

    def backward(self, g, a, out):
        if len(self.shape) == 0:
            return (g,)
        flat = (math.prod(self.shape),)
        grad = _prod_grad(expand(g, flat), view(a, flat), out, 0)
        return (view(grad, self.shape),)


class ProdDim(Function):
    name = "ProdBackward1"
    saves = (0, "out")
    rule = ("∂(Πᵢ uᵢ)/∂uⱼ = Πᵢ≠ⱼ uᵢ along dim",)

    def forward(self, a, dim, keepdim=False, dtype=None):
        self.shape, self.axis, self.keepdim = a.shape, dim, keepdim
        return _prod_array(a, None if a.ndim == 0 else dim, keepdim, dtype)

    def backward(self, g, a, out):
        if len(self.shape) == 0:
            return (g,)
        kept = kept_shape(self.shape, (self.axis,))
        if not self.keepdim:
            out = view(out, kept)
        return (_prod_grad(_spread(g, self.shape, (self.axis,), self.keepdim), a, out, self.axis),)


# -- max / min ----------------------------------------------------------------------------------
def _check_nonempty(a, axes, op):
    if a.size:
        return
    if axes is None:
        raise ArgumentError(f"{op}() of an empty tensor needs a dim to reduce over",
                            hint=f"pass dim=..., e.g. {op}(dim=0)")
    for ax in axes:
        if a.shape[ax] == 0:
            raise IndexOutOfRange(f"{op}(): dimension {ax} has size 0, there is nothing to take the {op} of",
                                  hint="reduce over a non-empty dimension")


def _ties(a, out_kept, axes):
    """The elements equal to the extreme (NaN counts as the extreme), and how many there are."""
    hit = a == out_kept
    nan = np.isnan(out_kept) if a.dtype.kind == "f" else None
    if nan is not None and nan.any():
        hit |= np.isnan(a)
    return hit, hit.sum(axis=axes, keepdims=True).astype(a.dtype)


def _tie_weights(a, out_kept, axes):
    """1/k on each of the k elements equal to the extreme (NaN counts as the extreme), 0 elsewhere."""
    hit, count = _ties(a, out_kept, axes)
    return hit.astype(a.dtype) / count


def _extreme(np_fn, grad_fn_name, symbol, fill):
    """Full max/min (MaxBackward1) or amax/amin (AmaxBackward0): ties share the gradient evenly.

    As PyTorch computes it: max()/min() put grad / k into zeros (`fill`: evenly_distribute_backward,
    masked_fill_), amax/amin multiply grad / k by the mask (scale_grad_by_count), so -0 where grad < 0."""

    class Extreme(Function):
        name = grad_fn_name
        saves = (0, "out")
        rule = (f"∂ {symbol}(u)/∂uⱼ = 1/k if uⱼ is one of the k extreme elements, else 0",)

        def forward(self, a, dim=None, keepdim=False):
            self.axes, self.keepdim = dim, keepdim
            _check_nonempty(a, dim, symbol)
            return np_fn(a, axis=dim, keepdims=keepdim)

        def backward(self, g, a, out):
            a, out = array_of(a), array_of(out)
            axes = tuple(range(a.ndim)) if self.axes is None else self.axes
            kept = kept_shape(a.shape, axes)
            if not self.keepdim:
                g = view(g, kept)
            if isinstance(g, Tensor):
                return (times(g, _tie_weights(a, np.reshape(out, kept), axes)),)
            hit, count = _ties(a, np.reshape(out, kept), axes)
            share = g / count
            if fill:
                return (np.where(hit, share, np.zeros((), share.dtype)),)
            return (share * hit,)

    Extreme.__name__ = Extreme.__qualname__ = grad_fn_name.replace("Backward", "")
    return Extreme


MaxAll = _extreme(np.max, "MaxBackward1", "max", fill=True)
MinAll = _extreme(np.min, "MinBackward1", "min", fill=True)
Amax = _extreme(np.max, "AmaxBackward0", "max", fill=False)
Amin = _extreme(np.min, "AminBackward0", "min", fill=False)


def _selected(grad_fn_name, symbol):
    """max(dim)/min(dim) values: the whole gradient goes to the element the index points at."""

    class Selected(Function):
        name = grad_fn_name
        # PyTorch saves the indices (no input, not the values): a second backward without
        # retain_graph fails, but no input's or output's version is checked.
        saves = ("indices",)
        rule = (f"∂ {symbol}(u, dim)/∂uⱼ = 1 at the returned index, else 0",)

        def forward(self, a, dim, keepdim, indices):
            self.shape, self.axis, self.keepdim = a.shape, dim, keepdim
            self.indices = indices  # keepdim shape
            if a.ndim == 0:
                return a.copy()
            out = np.take_along_axis(a, indices, axis=dim)
            return out if keepdim else np.squeeze(out, axis=dim)

        def backward(self, g, a):
            if len(self.shape) == 0:
                return (g,)
            ax = self.axis
            n = self.shape[ax]
            positions = np.arange(n).reshape((n,) + (1,) * (len(self.shape) - ax - 1))
            onehot = positions == self.indices
            if not self.keepdim:
                g = view(g, kept_shape(self.shape, (ax,)))
            if isinstance(g, Tensor):
                return (times(g, onehot),)
            # PyTorch scatters grad into zeros (value_selecting_reduction_backward): +0, never g * 0 = -0
            return (np.where(onehot, g, np.zeros((), g.dtype)),)

    Selected.__name__ = Selected.__qualname__ = grad_fn_name.replace("Backward", "")
    return Selected


MaxDim = _selected("MaxBackward0", "max")
MinDim = _selected("MinBackward0", "min")


class MinMaxResult(tuple):
    """What `max(dim)`/`min(dim)` return: a (values, indices) pair with named fields.

    `op` ("max" or "min") lets the show layer print `torch.return_types.max(...)`."""

    def __new__(cls, values, indices, op):
        self = super().__new__(cls, (values, indices))
        self.op = op
        return self

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self) -> str:  # the show layer prints it like PyTorch
        return f"MinMaxResult(op={self.op!r}, values={self[0]!r}, indices={self[1]!r})"


def _max_or_min(op, full, per_dim, elementwise, arg):
    def fn(input, dim=None, keepdim=False, other=None):
        input = as_tensor_arg(input, op)
        if isinstance(dim, Tensor) or other is not None:  # torch.max(a, b): elementwise
            return elementwise.apply(input, dim if other is None else other)
        if isinstance(dim, float):
            bound = "min" if op == "max" else "max"
            raise ValueTypeError(f"{op}(tensor, number): the second argument of {op}() is a dim or a tensor",
                                 hint=f"use torch.clamp(x, {bound}={dim}) or torch.{op}imum(x, torch.tensor({dim}))")
        if dim is None:
            if keepdim:
                raise ArgumentError(f"{op}(keepdim=True) needs a dim", hint=f"write {op}(dim=0, keepdim=True)")
            return full.apply(input)
        a = input.array
        axes = normalize_dims(dim, a.ndim, op, single=True)
        if a.ndim == 0:
            return MinMaxResult(per_dim.apply(input, dim=0, keepdim=keepdim, indices=None),
                                Tensor(np.zeros((), INT64)), op)
        _check_nonempty(a, axes, op)
        ax = axes[0]
        idx = np.expand_dims(arg(a, axis=ax), ax)
        values = per_dim.apply(input, dim=ax, keepdim=bool(keepdim), indices=idx)
        indices = idx if keepdim else np.squeeze(idx, axis=ax)
        # a copy: the node keeps `idx`, which a write into the returned indices must not change
        return MinMaxResult(values, Tensor(indices.astype(INT64)), op)

    fn.__name__ = op
    return fn


max_ = _max_or_min("max", MaxAll, MaxDim, Maximum, np.argmax)
min_ = _max_or_min("min", MinAll, MinDim, Minimum, np.argmin)


def no_dims(dim) -> bool:
    """dim=None and dim=() both mean every dimension."""
    return dim is None or (isinstance(dim, (list, tuple)) and len(dim) == 0)


def _a_extreme(op, cls):
    def fn(input, dim=(), keepdim=False):
        a = as_tensor_arg(input, op).array
        axes = None if no_dims(dim) else normalize_dims(dim, a.ndim, op)
        if axes is not None and a.ndim == 0:
            axes = None
        return cls.apply(input, dim=axes, keepdim=bool(keepdim))

    fn.__name__ = op
    return fn


amax = _a_extreme("amax", Amax)
amin = _a_extreme("amin", Amin)


# -- vector norm --------------------------------------------------------------------------------
# PyTorch's norm kernel (binary_kernel_reduce with NormOps) adds the terms one after the other in the
# input's float type, each |u|^p a correctly rounded pow, and takes pow(Σ, 1/p) with 1/p rounded to that
# type; a reduction over one element is just |u|. (p = 2 goes through another kernel: NumPy's sum.)
def _reduced_size(x, dim) -> int:
    axes = range(x.ndim) if dim is None else dim
    return math.prod(x.shape[i] for i in axes)


def _kept_out(x, dim) -> tuple:
    axes = range(x.ndim) if dim is None else dim
    return tuple(s for i, s in enumerate(x.shape) if i not in axes)


def _running_sum(t, dim, keepdim):
    """Σ of t over dim (None: all) in C order, one addition after the other, from 0."""
    axes = tuple(range(t.ndim)) if dim is None else tuple(dim)
    moved = np.moveaxis(t, axes, tuple(range(t.ndim - len(axes), t.ndim)))
    flat = moved.reshape(moved.shape[:t.ndim - len(axes)] + (-1,))
    out = np.cumsum(flat, axis=-1, dtype=t.dtype)[..., -1] + t.dtype.type(0) if flat.shape[-1] else \
        np.zeros(flat.shape[:-1], t.dtype)
    return out.reshape(kept_shape(t.shape, axes)) if keepdim else out


def _p_norm(x, p, dim, keepdim):
    wide = x.astype(np.float64) if x.dtype == np.float32 else x
    with np.errstate(divide="ignore", over="ignore"):
        terms = np.power(np.abs(wide), p).astype(x.dtype)
        total = _running_sum(terms, dim, keepdim)
        inverse = x.dtype.type(1) / x.dtype.type(p)
        return np.power(total.astype(np.float64), np.float64(inverse)).astype(x.dtype)
class VectorNorm(Function):
    """‖u‖ₚ = (Σ|uᵢ|ᵖ)^(1/p); p = ±inf is max/min |uᵢ|, p = 0 counts nonzeros."""

    name = "LinalgVectorNormBackward0"
    saves = (0, "out")
    rule = ("∂‖u‖ₚ/∂uⱼ = sign(uⱼ)·|uⱼ|ᵖ⁻¹ / ‖u‖ₚᵖ⁻¹  (u/‖u‖ for p = 2; 0 at u = 0)",)

    def forward(self, a, ord=2.0, dim=None, keepdim=False):
        self.ord, self.axes, self.keepdim = ord, dim, keepdim
        x = a.astype(np.float32) if a.dtype == np.float16 else a
        if ord == 2:
            if dim is None and not keepdim:
                r = x.ravel()
                out = np.sqrt(np.dot(r, r))
            else:
                out = np.sqrt(np.sum(x * x, axis=dim, keepdims=keepdim))
        elif ord == 0:
            out = np.sum(x != 0, axis=dim, keepdims=keepdim).astype(x.dtype)
        elif math.isinf(ord):
            _check_nonempty(a, dim, "norm")
            out = (np.max if ord > 0 else np.min)(np.abs(x), axis=dim, keepdims=keepdim)
        elif x.dtype.kind == "f" and x.size and _reduced_size(x, dim) == 1:
            out = np.abs(x) if keepdim or dim is None and x.ndim == 0 else np.abs(x).reshape(_kept_out(x, dim))
        elif ord == 1:
            out = _running_sum(np.abs(x), dim, keepdim)
        else:
            out = _p_norm(x, ord, dim, keepdim)
        return np.asarray(out).astype(a.dtype, copy=False)

    def backward(self, g, a, norm):
        p = self.ord
        if p == 0:
            return (None,)
        arr = array_of(a)
        axes = tuple(range(arr.ndim)) if self.axes is None else self.axes
        kept = kept_shape(arr.shape, axes)
        if not self.keepdim:
            g, norm = view(g, kept), view(norm, kept)
        if p == 1:
            return (g * Sgn.call(a),)
        norm_arr = array_of(norm)
        if p == 2:
            # a / ‖a‖, and 0 where the norm is 0 (there a is 0 too, so a safe denominator suffices)
            return (g * (a / plus(norm, (norm_arr == 0).astype(arr.dtype))),)
        if math.isinf(p):  # PyTorch: sgn(a) * ((grad / k) * mask), k the number of ties
            if isinstance(g, Tensor):
                return (times(g, _tie_weights(np.abs(arr), norm_arr, axes)) * Sgn.call(a),)
            hit, count = _ties(np.abs(arr), norm_arr, axes)
            return (np.sign(arr) * ((g / count) * hit),)
        abs_a = Abs.call(a)
        safe_abs = plus(abs_a, (arr == 0).astype(arr.dtype))  # |a|^(p-1) is finite and sign(a) = 0 there
        if p < 2:
            scaled = Sgn.call(a) * Pow.call(safe_abs, exponent=p - 1)
        else:  # PyTorch's form for p > 2: a * |a|^(p-2), which rounds differently from sgn(a) * |a|^(p-1)
            scaled = a * Pow.call(safe_abs, exponent=p - 2)
        if p < 1:
            return (scaled * g * Pow.call(norm, exponent=1 - p),)
        safe_norm = plus(norm, (norm_arr == 0).astype(arr.dtype))
        return (scaled * (g / Pow.call(safe_norm, exponent=p - 1)),)


def _ord(p, who):
    if isinstance(p, Tensor):
        p = p.item()
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise ValueTypeError(f"{who}: the order p must be a number (or 'fro'), not {p!r}",
                             hint="use p=2 (the default), p=1, or p=float('inf')")
    return float(p)


def vector_norm(input, ord=2, dim=None, keepdim=False, dtype=None):
    """torch.linalg.vector_norm: the p-norm over `dim` (all elements when None)."""
    x = as_tensor_arg(input, "norm")
    if dtype is not None:
        from gradcli.engine.ops.elementwise import to_dtype
        x = to_dtype(x, dtype.np if hasattr(dtype, "np") else np.dtype(dtype))
    a = x.array
    if a.dtype.kind != "f":
        from gradcli.engine.dtypes import from_numpy
        raise DTypeError(f"norm() needs a floating-point tensor, got {from_numpy(a.dtype)}",
                         hint="convert first: x.float().norm()")
    p = _ord(ord, "norm")
    axes = None if dim is None else normalize_dims(dim, a.ndim, "norm")
    if axes is not None and (a.ndim == 0 or axes == tuple(range(a.ndim))) and not keepdim:
        axes = None
    if axes == ():
        axes = None
    return VectorNorm.apply(x, ord=p, dim=axes, keepdim=bool(keepdim))


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm / Tensor.norm: a vector norm (p='fro' is the 2-norm of all elements)."""
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise ArgumentError(f"norm(p={p!r}) is not supported", hint="use p='fro', or a number such as 1, 2, inf")
    return vector_norm(input, p, dim, keepdim, dtype)


def linalg_norm(input, ord=None, dim=None, keepdim=False, dtype=None):
    """torch.linalg.norm for vector norms (and the Frobenius norm of a matrix)."""
    a = as_tensor_arg(input, "norm").array
    if ord == "fro":
        ord = None
    if ord is None:
        return vector_norm(input, 2, dim, keepdim, dtype)
    matrix = (a.ndim == 2 and dim is None) or (isinstance(dim, (list, tuple)) and len(dim) == 2)
    if isinstance(ord, str) or matrix:
        raise ArgumentError(f"linalg.norm(ord={ord!r}) over a matrix (a matrix norm) is not supported",
                            hint="use torch.linalg.vector_norm(x, ord) for the vector norm of all elements, "
                                 "or pass a single dim")
    if dim is None and a.ndim > 2:
        raise ArgumentError(f"linalg.norm(ord={ord!r}) of a {a.ndim}-D tensor needs dim",
                            hint="pass dim=..., or use torch.linalg.vector_norm(x, ord)")
    return vector_norm(input, ord, dim, keepdim, dtype)


# -- bindings -----------------------------------------------------------------------------------
def _dtype_np(dtype):
    if dtype is None:
        return None
    return dtype.np if hasattr(dtype, "np") else np.dtype(dtype)


def _full_or_dims(whole, per_dim, op):
    """sum/mean: the whole-tensor op (…Backward0) or the per-dim one (…Backward1), as PyTorch records them."""
    def reduce(input, dim=None, keepdim=False, dtype=None):
        a = as_tensor_arg(input, op).array
        dtype = _dtype_np(dtype)
        if dim is None and not keepdim:
            return whole.apply(input, dtype=dtype)
        axes = normalize_dims(None if no_dims(dim) else dim, a.ndim, op)
        return per_dim.apply(input, dim=axes, keepdim=bool(keepdim), dtype=dtype)
    reduce.__name__ = op
    return reduce


sum_ = _full_or_dims(Sum, SumDim, "sum")
mean = _full_or_dims(Mean, MeanDim, "mean")


def prod(input, dim=None, keepdim=False, dtype=None):
    a = as_tensor_arg(input, "prod").array
    dtype = _dtype_np(dtype)
    if dim is None:
        if keepdim:
            raise ArgumentError("prod(keepdim=True) needs a dim", hint="write prod(dim=0, keepdim=True)")
        return Prod.apply(input, dtype=dtype)
    axes = normalize_dims(dim, a.ndim, "prod", single=True)
    return ProdDim.apply(input, dim=axes[0] if axes else 0, keepdim=bool(keepdim), dtype=dtype)


def _arg(op, np_fn):
    def fn(input, dim=None, keepdim=False):
        a = as_tensor_arg(input, op).array
        if a.dtype == np.bool_:
            raise DTypeError(f"{op}() does not take a bool tensor", hint=f"convert first: x.int().{op}()")
        if dim is None:
            if a.size == 0:
                raise ArgumentError(f"{op}() of an empty tensor needs a dim", hint=f"pass dim=..., e.g. {op}(dim=0)")
            idx = np_fn(a.reshape(-1))
            out = np.asarray(idx, dtype=INT64)
            return Tensor(out.reshape((1,) * a.ndim) if keepdim else out)
        axes = normalize_dims(dim, a.ndim, op, single=True)
        if a.ndim == 0:
            return Tensor(np.zeros((), INT64))
        _check_nonempty(a, axes, op)
        return Tensor(np.asarray(np_fn(a, axis=axes[0], keepdims=bool(keepdim)), dtype=INT64))

    fn.__name__ = op
    return fn


argmax = _arg("argmax", np.argmax)
argmin = _arg("argmin", np.argmin)


def _logical(op, np_fn):
    def fn(input, dim=None, keepdim=False):
        a = as_tensor_arg(input, op).array
        axes = None if dim is None else normalize_dims(dim, a.ndim, op)
        if axes == () and a.ndim == 0:
            axes = None
        out = np.asarray(np_fn(a, axis=axes, keepdims=bool(keepdim)))
        return Tensor(out.astype(np.uint8) if a.dtype == np.uint8 else out)  # PyTorch keeps uint8 here

    fn.__name__ = op
    return fn


all_ = _logical("all", np.all)
any_ = _logical("any", np.any)

FUNCTIONS = dict(sum=sum_, mean=mean, prod=prod, max=max_, min=min_, amax=amax, amin=amin, norm=norm,
                 argmax=argmax, argmin=argmin, all=all_, any=any_)
LINALG = dict(norm=linalg_norm, vector_norm=vector_norm)
