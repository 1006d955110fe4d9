"""Shape ops: views (view, reshape, t, transpose, permute, squeeze, unsqueeze, expand),
cat and stack, and indexing (`t[idx]`, `t[idx] = v`).

A view's array is a NumPy view of its input's, and the result shares the input's
version counter and `_base`, as in PyTorch: writes through either are seen by
both, and saved-value checks and the leaf-view rule keep working. Each op is a
Function with PyTorch's grad_fn name; backward rules use shape ops' `.call`, so
they differentiate again under create_graph.

Indexing follows PyTorch's order, which differs from NumPy's: integers, slices
and None are applied first, one node per dimension (Select, Slice, Unsqueeze);
list, integer-tensor and mask indices are then applied together as one
IndexBackward0 on the result.
"""

from __future__ import annotations

import math
import operator
import warnings
import weakref

import numpy as np

from gradcli.engine import limits
from gradcli.engine.dtypes import result_dtype
from gradcli.engine.function import Function
from gradcli.engine.ops.cascade import torch_sum
from gradcli.engine.grad_mode import set_grad_enabled, state
from gradcli.engine.ops.elementwise import Clone, ToCopy, Where
from gradcli.engine.tensor import Tensor, require_tensor
from gradcli.errors import (ArgumentError, AutogradError, GradcliWarning, IndexOutOfRange, ShapeError,
                            ValueTypeError)

ALL = slice(None)
MAX_DIMS = 64  # NumPy's limit on dimensions


# -- helpers -------------------------------------------------------------------------------
def sum_to(g, shape):
    """Sum a broadcast gradient back to `shape` (arrays here; Tensors through reduce)."""
    if isinstance(g, Tensor):
        from gradcli.engine.ops.reduce import sum_to_tensor
        return sum_to_tensor(g, shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    out = torch_sum(g, axes, True) if axes else g  # PyTorch's sum_to: its sum, in its order of additions
    return out.reshape(shape)


def _share(out: Tensor, t: Tensor) -> Tensor:
    """Mark `out` (whose array is a NumPy view of t's) as a view of t: one version counter, one base."""
    out._version = t._version
    base = t._base
    out._base = t if base is None else base
    if out.array.dtype.kind == "f":  # only float tensors take part in autograd
        _track(out)
    return out


def _track(view: Tensor) -> None:
    """List a view on its storage's version counter, `[count, weakref to a view, ...]`, which every alias
    of the storage shares (views, the base, detach()): a write through any of them can then give the
    view a new grad_fn (`refresh_views`)."""
    counter = view._version
    counter.append(weakref.ref(view))
    n = len(counter)
    if n > 16 and not n & (n - 1):  # at each power of two, forget the views that are gone (amortised O(1))
        counter[1:] = [r for r in counter[1:] if r() is not None]


def _nd(g):
    """Backward may get a NumPy scalar for a 0-d gradient; make it an array (Tensors pass)."""
    return g if isinstance(g, (np.ndarray, Tensor)) else np.asarray(g)


def _reshape_any(g, shape):
    """Reshape a gradient: a NumPy reshape for arrays, the recorded op for Tensors."""
    if isinstance(g, Tensor):
        return reshape(g, shape)
    return np.reshape(g, shape)


def _cast(g, dtype):
    """Give a gradient its input's NumPy dtype (cat/stack/setitem inputs may differ from the result)."""
    have = g.array.dtype if isinstance(g, Tensor) else g.dtype
    return g if have == dtype else ToCopy.call(g, dtype=dtype)


def _need_tensor(x, what: str) -> Tensor:
    return require_tensor(x, what)


def _dim(dim, ndim: int, extra: int = 0) -> int:
    """Normalise a dim for a tensor of `ndim` dims (+`extra` for unsqueeze/stack positions)."""
    n = max(ndim + extra, 1)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise ValueTypeError(f"dim must be an integer, not {type(dim).__name__}")
    if not -n <= dim < n:
        raise IndexOutOfRange(f"dimension {dim} is out of range for a tensor with {ndim} dimension(s)",
                              hint=f"use a dim between {-n} and {n - 1}")
    return int(dim) % n


def _int(x, what: str) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer, Tensor)):
        raise ValueTypeError(f"{what} must be an integer, not {type(x).__name__}")
    return operator.index(x)


def _check_ndim(n: int) -> None:
    if n > MAX_DIMS:
        raise ShapeError(f"a tensor can have at most {MAX_DIMS} dimensions; this would have {n}")


def _sizes(args, what: str) -> list:
    """`f(3, 2)`, `f((3, 2))`, `f([3, 2])` and `f(torch.Size([3, 2]))` all mean [3, 2]."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    out = []
    for s in args:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer, Tensor)):
            raise ValueTypeError(f"{what}() sizes must be integers, got {type(s).__name__} {s!r}",
                                 hint=f"write {what}(3, 2) or {what}((3, 2))")
        out.append(operator.index(s))
    return out


def _infer(sizes: list, in_shape: tuple) -> tuple:
    """Resolve one -1 in a requested shape, checking the element count (PyTorch's infer_size)."""
    numel = math.prod(in_shape)
    _check_ndim(len(sizes))
    holes = [i for i, s in enumerate(sizes) if s == -1]
    if len(holes) > 1:
        raise ShapeError(f"shape {sizes} has more than one -1: only one size can be inferred")
    if any(s < -1 for s in sizes):
        raise ShapeError(f"shape {sizes} has a negative size")
    known = 1
    for s in sizes:
        if s != -1:
            known *= s
    if holes and known != 0 and numel % known == 0:
        sizes = list(sizes)
        sizes[holes[0]] = numel // known
    elif holes or known != numel:
        raise ShapeError(f"cannot reshape a tensor of shape {list(in_shape)} ({numel} elements) into shape "
                         f"{list(sizes)}",
                         hint=f"the sizes must multiply to {numel}; write -1 for one size to have it inferred")
    return tuple(sizes)


def _no_copy_reshape(a: np.ndarray, shape):
    """The reshaped view if the layout allows one (PyTorch's computeStride), else None."""
    try:
        return np.reshape(a, shape, copy=False)
    except ValueError:
        return None


# -- views: reshape family ---------------------------------------------------------------------
class View(Function):
    name = "ViewBackward0"
    rule = ("∂ view(u)/∂u = 1 (the gradient reshaped back)",)

    def forward(self, a, shape):
        self.in_shape = a.shape
        out = _no_copy_reshape(a, shape)
        if out is None:
            raise ShapeError(f"view({list(shape)}) is not possible on this tensor of shape {list(a.shape)}: "
                             "its elements are not laid out in memory in a compatible order "
                             "(e.g. after .t() or a strided slice)",
                             hint="use .reshape(...) instead, which copies when it must (or .contiguous() first)")
        return out

    def backward(self, g, a):
        return (_reshape_any(g, self.in_shape),)


class ReshapeAlias(View):
    """reshape() of a non-contiguous tensor whose layout still allows a view."""

    name = "ReshapeAliasBackward0"


class UnsafeView(View):
    """reshape() after the copy it needed (the Clone before it is a separate node)."""

    name = "UnsafeViewBackward0"

    def forward(self, a, shape):
        self.in_shape = a.shape
        return a.reshape(shape)


class Alias(Function):
    """`t[...]`, `t[()]`, `t[:, :]`: a new tensor over the same elements."""

    name = "AliasBackward0"
    rule = ("∂u/∂u = 1",)

    def forward(self, a):
        return a[...]

    def backward(self, g, a):
        return (g,)


def reshape(x, *shape):
    """A view when the memory layout allows one (ViewBackward0 or ReshapeAliasBackward0), else a copy
    (UnsafeViewBackward0 over CloneBackward0), exactly where PyTorch copies."""
    x = _need_tensor(x, "reshape")
    a = x.array
    shape = _infer(_sizes(shape, "reshape"), a.shape)
    if a.flags.c_contiguous:
        return _share(View.apply(x, shape=shape), x)
    if _no_copy_reshape(a, shape) is not None:
        return _share(ReshapeAlias.apply(x, shape=shape), x)
    return UnsafeView.apply(Clone.apply(x), shape=shape)


def view(x, *shape):
    x = _need_tensor(x, "view")
    return _share(View.apply(x, shape=_infer(_sizes(shape, "view"), x.array.shape)), x)


def view_as(x, other):
    return view(x, _need_tensor(other, "view_as").array.shape)


def reshape_as(x, other):
    return reshape(x, _need_tensor(other, "reshape_as").array.shape)


def flatten(x, start_dim=0, end_dim=-1):
    x = _need_tensor(x, "flatten")
    shape = x.array.shape
    if not shape:
        return reshape(x, 1)
    s, e = _dim(start_dim, len(shape)), _dim(end_dim, len(shape))
    if s > e:
        raise ArgumentError(f"flatten(): start_dim ({start_dim}) comes after end_dim ({end_dim})",
                            hint="start_dim must not be after end_dim")
    if s == e:
        return x
    return reshape(x, shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])


def unflatten(x, dim, sizes):
    x = _need_tensor(x, "unflatten")
    shape = x.array.shape
    d = _dim(dim, len(shape))
    sizes = _sizes((sizes,), "unflatten")
    part = _infer(sizes, shape[d:d + 1])
    return view(x, shape[:d] + part + shape[d + 1:])


def contiguous(x):
    return x if x.array.flags.c_contiguous else Clone.apply(x)


def is_contiguous(x) -> bool:
    return bool(x.array.flags.c_contiguous)


# -- views: dimension order -----------------------------------------------------------------------
class T(Function):
    name = "TBackward0"
    rule = ("∂ uᵀ/∂u = 1 (the gradient transposed back)",)

    def forward(self, a):
        return a.T

    def backward(self, g, a):
        return (T.call(g),)


class Transpose(Function):
    name = "TransposeBackward0"
    rule = ("∂ transpose(u)/∂u = 1 (the gradient transposed back)",)

    def forward(self, a, dim0, dim1):
        self.dims = (dim0, dim1)
        return np.swapaxes(a, dim0, dim1) if a.ndim else a[...]

    def backward(self, g, a):
        return (Transpose.call(_nd(g), dim0=self.dims[0], dim1=self.dims[1]),)


class Permute(Function):
    name = "PermuteBackward0"
    rule = ("∂ permute(u)/∂u = 1 (the gradient permuted back)",)

    def forward(self, a, dims):
        self.dims = dims
        return np.transpose(a, dims)

    def backward(self, g, a):
        inverse = tuple(int(i) for i in np.argsort(self.dims))
        return (Permute.call(_nd(g), dims=inverse),)


def t(x):
    x = _need_tensor(x, "t")
    if x.array.ndim > 2:
        raise ShapeError(f"t() works on tensors with at most 2 dimensions; this one has shape {list(x.shape)}",
                         hint="use .transpose(dim0, dim1) or .permute(...) for more dimensions")
    return _share(T.apply(x), x)


def transpose(x, dim0, dim1):
    x = _need_tensor(x, "transpose")
    n = x.array.ndim
    return _share(Transpose.apply(x, dim0=_dim(dim0, n), dim1=_dim(dim1, n)), x)


def permute(x, *dims):
    x = _need_tensor(x, "permute")
    n = x.array.ndim
    dims = _sizes(dims, "permute")
    if len(dims) != n:
        raise ShapeError(f"permute() needs one dim per dimension: the tensor has shape {list(x.shape)} "
                         f"({n} dims) but {len(dims)} were given", hint="list every dim exactly once")
    norm = tuple(_dim(d, n) for d in dims)
    if len(set(norm)) != n:
        raise ArgumentError(f"permute() dims {dims} repeat a dimension", hint="list every dim exactly once")
    return _share(Permute.apply(x, dims=norm), x)


def matrix_transpose(x):
    """`x.T`: reverses all dims (PermuteBackward0, as PyTorch records it); PyTorch deprecates it
    for tensors that are not 2-D, so those get a warning."""
    n = x.array.ndim
    if n != 2:
        warnings.warn(f"x.T on a {n}-D tensor reverses all its dimensions; PyTorch deprecates this "
                      "(use x.mT for batches of matrices, or x.permute(...))", GradcliWarning, stacklevel=2)
    return _share(Permute.apply(x, dims=tuple(range(n - 1, -1, -1))), x)


def mT(x):
    """`x.mT`: the last two dims swapped (TransposeBackward0); needs at least 2 dims."""
    n = x.array.ndim
    if n < 2:
        raise ShapeError(f"x.mT needs a matrix or a batch of matrices; this tensor has shape {list(x.shape)}",
                         hint="for a vector there is nothing to transpose; use unsqueeze to make it a matrix")
    return _share(Transpose.apply(x, dim0=n - 2, dim1=n - 1), x)


# -- views: adding and removing size-1 dims, expand ------------------------------------------------
class Squeeze(Function):
    """squeeze() of every size-1 dim; the `dims` parameter lists the ones removed."""

    name = "SqueezeBackward0"
    rule = ("∂ squeeze(u)/∂u = 1 (the gradient reshaped back)",)

    def forward(self, a, dims):
        self.in_shape = a.shape
        return np.squeeze(a, axis=dims) if dims else a[...]

    def backward(self, g, a):
        return (_reshape_any(g, self.in_shape),)


class SqueezeDim(Squeeze):
    name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    name = "SqueezeBackward2"


class Unsqueeze(Function):
    name = "UnsqueezeBackward0"
    rule = ("∂ unsqueeze(u)/∂u = 1 (the gradient squeezed back)",)

    def forward(self, a, dim):
        self.dim = dim
        return a[(ALL,) * dim + (None, Ellipsis)]

    def backward(self, g, a):
        return (SqueezeDim.call(g, dims=(self.dim,)),)


class Expand(Function):
    name = "ExpandBackward0"
    rule = ("∂ expand(u)/∂u = 1, summed over the copies",)

    def forward(self, a, shape):
        self.in_shape = a.shape
        return np.broadcast_to(a, shape)

    def backward(self, g, a):
        return (sum_to(_nd(g), self.in_shape),)


def squeeze(x, dim=None):
    x = _need_tensor(x, "squeeze")
    shape = x.array.shape
    if dim is None:
        return _share(Squeeze.apply(x, dims=tuple(i for i, s in enumerate(shape) if s == 1)), x)
    if isinstance(dim, (tuple, list)):
        dims = sorted({_dim(d, len(shape)) for d in dim})
        cls = SqueezeDims
    else:
        dims = [_dim(dim, len(shape))]
        cls = SqueezeDim
    return _share(cls.apply(x, dims=tuple(d for d in dims if d < len(shape) and shape[d] == 1)), x)


def unsqueeze(x, dim):
    x = _need_tensor(x, "unsqueeze")
    _check_ndim(x.array.ndim + 1)
    return _share(Unsqueeze.apply(x, dim=_dim(dim, x.array.ndim, extra=1)), x)


def expand(x, *sizes):
    """Broadcast to `sizes` without copying (-1 keeps a size); the result is read-only."""
    x = _need_tensor(x, "expand")
    shape = x.array.shape
    sizes = _sizes(sizes, "expand")
    _check_ndim(len(sizes))
    if len(sizes) < len(shape):
        raise ShapeError(f"expand() got {len(sizes)} sizes for a tensor of shape {list(shape)}; "
                         "it needs at least one per dimension", hint="new dimensions can only be added in front")
    lead = len(sizes) - len(shape)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise ShapeError(f"expand(): size {s} is not allowed for the new leading dimension {i}",
                                 hint="-1 keeps an existing size; new dimensions need an explicit size")
            out.append(s)
            continue
        old = shape[i - lead]
        if s == -1:
            s = old
        elif s < 0 or (old != 1 and s != old):
            raise ShapeError(f"cannot expand a tensor of shape {list(shape)} to {list(sizes)}: size {old} of "
                             f"dimension {i - lead} must be 1 or equal the new size {s}",
                             hint="only size-1 dimensions can be expanded (use repeat() to tile others)")
        out.append(s)
    return _share(Expand.apply(x, shape=tuple(out)), x)


def expand_as(x, other):
    return expand(x, _need_tensor(other, "expand_as").array.shape)


# -- cat and stack ------------------------------------------------------------------------------
def _tensor_list(tensors, what: str) -> list:
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise ValueTypeError(f"{what}() takes a list or tuple of tensors, not {type(tensors).__name__}",
                             hint=f"write torch.{what}([a, b])")
    if not tensors:
        raise ArgumentError(f"{what}() needs at least one tensor")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise ValueTypeError(f"{what}() takes tensors, but element {i} is a {type(x).__name__}")
    return list(tensors)


class Cat(Function):
    name = "CatBackward0"
    rule = "∂ cat(u₁,…)/∂uᵢ = 1 on uᵢ's part of the result"

    def forward(self, *arrays, dim):
        dtype = result_dtype(*arrays)
        self.dim = dim
        self.dtypes = [a.dtype for a in arrays]
        # PyTorch skips legacy empty 1-D tensors (shape [0]) whatever the other shapes are
        ndim = next((a.ndim for a in arrays if a.shape != (0,)), 1)
        self.skipped = [a.shape == (0,) and ndim != 1 for a in arrays]
        parts = [a for a, s in zip(arrays, self.skipped) if not s]
        self.bounds = []
        start = 0
        for a, s in zip(arrays, self.skipped):
            n = 0 if s else a.shape[dim]
            self.bounds.append((start, start + n))
            start += n
        return np.concatenate([a if a.dtype == dtype else a.astype(dtype) for a in parts], axis=dim)

    def backward(self, g, *saved):
        g = _nd(g)
        grads = []
        for i, ((lo, hi), dt, s) in enumerate(zip(self.bounds, self.dtypes, self.skipped)):
            if not self.needs(i) or s:
                grads.append(None)
                continue
            grads.append(_cast(Slice.call(g, dim=self.dim, start=lo, stop=hi, step=1), dt))
        return grads


class Stack(Function):
    name = "StackBackward0"
    rule = "∂ stack(u₁,…)/∂uᵢ = 1 on uᵢ's slice of the result"

    def forward(self, *arrays, dim):
        dtype = result_dtype(*arrays)
        self.dim = dim
        self.dtypes = [a.dtype for a in arrays]
        return np.stack([a if a.dtype == dtype else a.astype(dtype) for a in arrays], axis=dim)

    def backward(self, g, *saved):
        g = _nd(g)
        return [_cast(Select.call(g, dim=self.dim, index=i), dt) if self.needs(i) else None
                for i, dt in enumerate(self.dtypes)]


def cat(tensors, dim=0, axis=None):
    """Join along an existing dim; one next_functions slot per input, PyTorch's dtype promotion."""
    tensors = _tensor_list(tensors, "cat")
    if axis is not None:
        dim = axis
    for i, x in enumerate(tensors):
        if x.array.ndim == 0:
            raise ShapeError(f"cat() cannot join 0-dimensional tensors (element {i} is a scalar)",
                             hint="use torch.stack(...) to make a new dimension, or unsqueeze(0) each one")
    ref = next((x for x in tensors if x.array.shape != (0,)), tensors[0])
    shape = ref.array.shape
    d = _dim(dim, len(shape))
    for i, x in enumerate(tensors):
        s = x.array.shape
        if s == (0,) and len(shape) != 1:
            continue
        if len(s) != len(shape):
            raise ShapeError(f"cat() needs tensors with the same number of dimensions: got shapes "
                             f"{list(shape)} and {list(s)} (element {i})", hint="unsqueeze or reshape one of them")
        for k in range(len(s)):
            if k != d and s[k] != shape[k]:
                raise ShapeError(f"cat() along dim {d}: shapes {list(shape)} and {list(s)} (element {i}) differ "
                                 f"in dimension {k} ({shape[k]} vs {s[k]})",
                                 hint=f"all sizes must match except in dimension {d}")
    return Cat.apply(*tensors, dim=d)


def stack(tensors, dim=0):
    """Join along a new dim; every tensor must have the same shape."""
    tensors = _tensor_list(tensors, "stack")
    shape = tensors[0].array.shape
    for i, x in enumerate(tensors):
        if x.array.shape != shape:
            raise ShapeError(f"stack() needs tensors of equal shape: element 0 has shape {list(shape)} but "
                             f"element {i} has shape {list(x.shape)}", hint="reshape them to the same shape first")
    return Stack.apply(*tensors, dim=_dim(dim, len(shape), extra=1))


# -- indexing: the ops ---------------------------------------------------------------------------
class Select(Function):
    name = "SelectBackward0"
    rule = ("∂ u[i]/∂u = 1 at i, 0 elsewhere",)

    def forward(self, a, dim, index):
        self.dim, self.index, self.in_shape = dim, index, a.shape
        return a[(ALL,) * dim + (index, Ellipsis)]

    def backward(self, g, a):
        return (SelectGrad.call(g, shape=self.in_shape, dim=self.dim, index=self.index),)


class SelectGrad(Function):
    """Select's backward as an op (zeros with g placed at the index), so it differentiates again."""

    name = "SelectBackwardBackward0"
    rule = ("∂/∂g = 1 at the selected index",)

    def forward(self, g, shape, dim, index):
        self.dim, self.index = dim, index
        out = np.zeros(shape, dtype=g.dtype)
        out[(ALL,) * dim + (index, Ellipsis)] = g
        return out

    def backward(self, gg, g):
        return (Select.call(gg, dim=self.dim, index=self.index),)


class Slice(Function):
    name = "SliceBackward0"
    rule = ("∂ u[a:b:s]/∂u = 1 on the slice, 0 elsewhere",)

    def forward(self, a, dim, start, stop, step):
        self.in_shape = a.shape
        self.key = (ALL,) * dim + (slice(start, stop, step),)
        return a[self.key]

    def backward(self, g, a):
        return (SliceGrad.call(g, shape=self.in_shape, key=self.key),)


class SliceGrad(Function):
    name = "SliceBackwardBackward0"
    rule = ("∂/∂g = 1 on the slice",)

    def forward(self, g, shape, key):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        out[key] = g
        return out

    def backward(self, gg, g):
        dim = len(self.key) - 1
        s = self.key[-1]
        return (Slice.call(gg, dim=dim, start=s.start, stop=s.stop, step=s.step),)


class Index(Function):
    """Advanced indexing (lists, integer tensors, masks); repeated indices add up in backward."""

    name = "IndexBackward0"
    # PyTorch saves the indices: a second backward without retain_graph is refused, as there
    saves = ("indices",)
    rule = ("∂ u[idx]/∂u = 1 at each index (repeats add up)",)

    def forward(self, a, key):
        self.in_shape, self.key = a.shape, key
        return a[key]

    def backward(self, g, a):
        return (IndexGrad.call(g, shape=self.in_shape, key=self.key),)


class IndexGrad(Function):
    name = "IndexPutImplBackward0"
    rule = ("∂/∂g = 1 at each index",)

    def forward(self, g, shape, key):
        self.key = key
        out = np.zeros(shape, dtype=g.dtype)
        np.add.at(out, key, g)
        return out

    def backward(self, gg, g):
        return (Index.call(gg, key=self.key),)


class AsStrided(Function):
    """The new grad_fn of a view after a write into its storage: its elements, read from the base.

    Elements are named by their flat (C-order) positions in the base, which also works for a
    0-d base, where NumPy allows no integer index. For a view (`view`, its own array) they are
    found when backward first needs them: a write gives every live view of the storage a node."""

    name = "AsStridedBackward0"
    rule = ("∂ view(u)/∂u = 1 at the view's elements",)

    def forward(self, base, positions=None, view=None):
        self.in_shape = base.shape
        if view is not None:
            self._positions, self._arrays = positions, (view, base) if positions is None else None
            return view
        self._positions = positions
        return base.reshape(-1)[positions]

    @property
    def positions(self) -> np.ndarray:
        if self._positions is None:
            self._positions = _positions_in_base(*self._arrays)
            self._arrays = None
        return self._positions

    def backward(self, g, base):
        return (AsStridedGrad.call(g, shape=self.in_shape, positions=self.positions),)


class AsStridedGrad(Function):
    """AsStrided's backward as an op: g added at the positions, in zeros of the base's shape."""

    name = "AsStridedBackwardBackward0"
    rule = ("∂/∂g = 1 at the view's elements",)

    def forward(self, g, shape, positions):
        self.positions = positions
        out = np.zeros(math.prod(shape), dtype=g.dtype)
        np.add.at(out, positions, g)  # an expanded view repeats positions: their gradients add up
        return out.reshape(shape)

    def backward(self, gg, g):
        return (AsStrided.call(gg, positions=self.positions),)


# -- indexing: reading ---------------------------------------------------------------------------
def _index_entries(idx):
    """Classify each index entry: (kind, value, dims of the input it consumes)."""
    entries = idx if type(idx) is tuple else (idx,)
    out = []
    for e in entries:
        te = type(e)
        if te is int:
            out.append(("int", e, 1))
        elif te is slice:
            out.append(("slice", e, 1))
        elif e is None:
            out.append(("none", None, 0))
        elif e is Ellipsis:
            out.append(("ellipsis", None, 0))
        elif isinstance(e, (bool, np.bool_)):
            out.append(("bool", bool(e), 0))
        elif isinstance(e, (int, np.integer)):
            out.append(("int", int(e), 1))
        elif isinstance(e, slice):
            out.append(("slice", e, 1))
        else:
            if isinstance(e, Tensor):
                arr = e.array
            elif isinstance(e, (list, tuple, np.ndarray)):
                try:
                    arr = np.asarray(e)
                except ValueError:
                    raise ValueTypeError("a list index must be a rectangular list of integers or booleans")
                if arr.size == 0 and arr.dtype.kind == "f":
                    arr = arr.astype(np.int64)
            else:
                raise IndexOutOfRange(f"a {type(e).__name__} cannot be used as an index",
                                      hint="index with integers, slices (a:b), None, ..., lists of integers, "
                                           "or integer/boolean tensors")
            kind = arr.dtype.kind
            if kind == "b":
                out.append(("bool", bool(arr), 0) if arr.ndim == 0 else ("mask", arr, arr.ndim))
            elif kind in "iu":
                # a tensor's indices are copied: backward must not see a later write into that tensor
                out.append(("int", int(arr), 1) if arr.ndim == 0 and isinstance(e, Tensor)
                           else ("adv", arr.astype(np.int64, copy=isinstance(e, Tensor)), 1))
            else:
                raise IndexOutOfRange(f"an index must hold integers or booleans, not {arr.dtype} values",
                                      hint="convert it with .long() or use a boolean mask")
    return out


def _slice_bounds(v: slice, size: int):
    """PyTorch's normalised (start, stop, step) of a slice over `size` elements (clamped, step > 0)."""
    try:
        start, stop, step = (None if x is None else operator.index(x) for x in (v.start, v.stop, v.step))
    except TypeError:
        raise ValueTypeError("slice bounds must be integers or None")
    if step is not None and step <= 0:
        raise ArgumentError(f"slice step must be positive, got {step}",
                            hint="slices go forwards only (negative steps are not supported)")
    start, stop, step = slice(start, stop, step).indices(size)
    return start, max(stop, start), step


def _plan(shape, idx, single_slice_counts: bool):
    """PyTorch's indexing steps for an input of `shape`.

    Returns (steps, key, adv): `steps` are the basic ops in order, each ("select", dim, i),
    ("slice", dim, (start, stop, step)) or ("unsqueeze", dim, None); `key` is the equivalent
    NumPy basic index; `adv` is the advanced index applied to that result (None if none)."""
    entries = _index_entries(idx)
    ndim = len(shape)
    consumed = sum(c for _, _, c in entries)
    if consumed > ndim:
        if ndim == 0:
            raise IndexOutOfRange("a 0-dimensional tensor cannot be indexed",
                                  hint="use .item() to get its value")
        raise IndexOutOfRange(f"too many indices ({consumed}) for a tensor with {ndim} dimension(s), "
                              f"shape {list(shape)}")
    if sum(1 for k, _, _ in entries if k == "ellipsis") > 1:
        raise IndexOutOfRange("an index can contain only one ellipsis (...)")
    single = single_slice_counts and type(idx) is slice
    cur = list(shape)
    steps, key, adv = [], [], []
    bounds = []  # advanced indices with an entry out of range: (position in adv, input dim)
    dim = src = 0  # position in the result being built; dimension of the input (for messages)
    for kind, v, _ in entries:
        if kind == "int":
            size = cur[dim]
            if not -size <= v < size:
                raise IndexOutOfRange(f"index {v} is out of range for dimension {src} of size {size}",
                                      hint=f"valid indices are {-size} to {size - 1}" if size else
                                      "that dimension is empty")
            v %= size
            steps.append(("select", dim, v))
            key.append(v)
            del cur[dim]
            src += 1
        elif kind == "slice":
            size = cur[dim]
            if v.start is None and v.stop is None and v.step is None:
                start, stop, step = 0, size, 1
            else:
                start, stop, step = _slice_bounds(v, size)
            # PyTorch skips a slice inside a tuple when it is written as the whole range: a start of
            # 0 (a negative start that means 0 still counts), any stop past the end, step 1
            if single or not ((v.start is None or operator.index(v.start) == 0) and stop == size and step == 1):
                steps.append(("slice", dim, (start, stop, step)))
            key.append(slice(start, stop, step))
            cur[dim] = len(range(start, stop, step))
            dim += 1
            src += 1
        elif kind == "none":
            _check_ndim(len(cur) + 1)
            steps.append(("unsqueeze", dim, None))
            key.append(None)
            cur.insert(dim, 1)
            dim += 1
        elif kind == "ellipsis":
            n = ndim - consumed
            key.extend([ALL] * n)
            dim += n
            src += n
        elif kind == "adv":
            if v.size and (v.max() >= cur[dim] or v.min() < -cur[dim]):
                bounds.append((len(adv), src))
            adv.append((dim, v))
            key.append(ALL)
            dim += 1
            src += 1
        elif kind == "mask":
            k = v.ndim
            if list(v.shape) != cur[dim:dim + k]:
                raise IndexOutOfRange(f"a boolean mask of shape {list(v.shape)} does not match the indexed "
                                      f"dimensions {cur[dim:dim + k]} of a tensor of shape {list(shape)}",
                                      hint="the mask must have the shape of the dimensions it selects from")
            adv.extend((dim + j, nz) for j, nz in enumerate(v.nonzero()))
            key.extend([ALL] * k)
            dim += k
            src += k
        else:  # a Python bool: a new dim of size 1 (True) or 0 (False)
            steps.append(("unsqueeze", dim, None))
            key.append(None)
            cur.insert(dim, 1)
            adv.append((dim, np.zeros(1 if v else 0, dtype=np.int64)))
            dim += 1
    key.append(Ellipsis)
    if not adv:
        return steps, tuple(key), None
    if bounds or len(adv) > 1:
        adv = _check_advanced(adv, bounds, cur)
    adv_key = [ALL] * (max(p for p, _ in adv) + 1)
    for p, arr in adv:
        adv_key[p] = arr
    return steps, tuple(key), tuple(adv_key)


def _check_advanced(adv, bounds, cur):
    """Index arrays must broadcast together and stay in range, except that (as in PyTorch) nothing
    is checked for a result with no elements, where no index is ever read."""
    try:
        n = np.broadcast_shapes(*(arr.shape for _, arr in adv))
    except ValueError:
        raise IndexOutOfRange("the index arrays have shapes " + ", ".join(str(list(a.shape)) for _, a in adv)
                              + ", which cannot be broadcast together",
                              hint="index arrays are combined elementwise, so their shapes must broadcast")
    positions = {p for p, _ in adv}
    empty = 0 in n or any(c == 0 for j, c in enumerate(cur) if j not in positions)
    adv = list(adv)
    for i, src in bounds:
        p, arr = adv[i]
        size = cur[p]
        if empty and size:
            adv[i] = (p, np.zeros_like(arr))
            continue
        bad = int(arr[(arr >= size) | (arr < -size)].flat[0])
        raise IndexOutOfRange(f"index {bad} is out of range for dimension {src} of size {size}",
                              hint=f"valid indices are {-size} to {size - 1}" if size else "that dimension is empty")
    return adv


def _select(x, dim, index):
    return _share(Select.apply(x, dim=dim, index=index), x)


def getitem(x, idx):
    """`x[idx]` with PyTorch's graph: one Select/Slice/Unsqueeze per indexed dim, then one Index for
    advanced indices. Basic results are views of x; advanced results are copies."""
    a = x.array
    if type(idx) is int and a.ndim:  # the common case, kept short
        size = a.shape[0]
        if -size <= idx < size:
            return _select(x, 0, idx % size)
    steps, key, adv = _plan(a.shape, idx, single_slice_counts=True)
    if not (state.enabled and x.requires_grad):
        out = a[key]
        return Tensor(out[adv]) if adv is not None else _share(Tensor(out), x)
    y = x
    for kind, dim, arg in steps:
        if kind == "select":
            y = _select(y, dim, arg)
        elif kind == "slice":
            y = _share(Slice.apply(y, dim=dim, start=arg[0], stop=arg[1], step=arg[2]), y)
        else:
            y = _share(Unsqueeze.apply(y, dim=dim), y)
    if adv is not None:
        return Index.apply(y, key=adv)
    return _share(Alias.apply(x), x) if y is x else y


# -- indexing: writing ------------------------------------------------------------------------------
class CopySlices(Function):
    """`t[idx] = v` on basic indices: t's old values lose the region, v fills it."""

    name = "CopySlices"
    rule = ("∂ t'/∂t = 1 outside the written region, 0 inside", "∂ t'/∂v = 1 on the written region")

    def forward(self, a, v, key, adv):
        self.shape, self.key, self.adv = a.shape, key, adv
        if not isinstance(v, (bool, int, float)):
            self.vshape, self.vdtype = np.shape(v), np.result_type(v)
        return a  # already written by setitem; the node only records the write

    def backward(self, g, a, v):
        g = _nd(g)
        gt = gv = None
        if self.needs(0):
            if isinstance(g, Tensor):
                gt = Where.call(self._region_mask(), 0.0, g)
            else:
                gt = np.array(g, copy=True)
                _write_region(gt, self.key, self.adv, 0)
        if self.needs(1):
            if isinstance(g, Tensor):
                gv = g if self.key == (Ellipsis,) else getitem(g, self.key)
                if self.adv is not None:
                    gv = getitem(gv, self.adv)
            else:
                gv = g[self.key]
                if self.adv is not None:
                    gv = gv[self.adv]
            if gv.shape != self.vshape:
                gv = sum_to(gv, self.vshape)
            gv = _cast(gv, self.vdtype)
        return gt, gv

    def _region_mask(self):
        mask = np.zeros(self.shape, dtype=bool)
        _write_region(mask, self.key, self.adv, True)
        return mask


class IndexPut(CopySlices):
    name = "IndexPutBackward0"


class Fill(CopySlices):
    """`t[...] = number or 0-d tensor`: the whole tensor is written."""

    name = "FillBackward3"


class Copy(CopySlices):
    """`t[...] = tensor`: the whole tensor is written."""

    name = "CopyBackwards"


def _advanced_shape(shape, adv) -> tuple:
    """The shape of arr[adv] for an array of `shape`, without computing it (NumPy's rule)."""
    positions = [p for p, a in enumerate(adv) if a is not ALL]
    b = np.broadcast_shapes(*(adv[p].shape for p in positions))
    rest = [s for p, s in enumerate(shape) if p not in positions]
    if positions == list(range(positions[0], positions[-1] + 1)):
        return tuple(rest[:positions[0]]) + b + tuple(rest[positions[0]:])
    return b + tuple(rest)


def _fits(value_shape, region_shape) -> bool:
    """PyTorch's rule: without its leading size-1 dims, the value broadcasts to the region."""
    k = 0
    while k < len(value_shape) and value_shape[k] == 1:
        k += 1
    vs = value_shape[k:]
    if len(vs) > len(region_shape):
        return False
    return all(v == 1 or v == r for v, r in zip(reversed(vs), reversed(region_shape)))


def _write_region(arr, key, adv, value):
    """Assign into arr[key][adv] (PyTorch's order), in place."""
    if adv is None:
        arr[key] = value
    else:
        arr[key][adv] = value


def _prepare_value(value: Tensor, region_shape, advanced: bool) -> Tensor:
    """The value as PyTorch records it before the write: for basic indexing a view without leading
    size-1 dims and an expand to the region (unless it already fits or is 0-d); for advanced
    indexing only the view, and only when there are leading size-1 dims to drop."""
    shape = value.array.shape
    k = 0
    while k < len(shape) and shape[k] == 1:
        k += 1
    if advanced:
        return view(value, shape[k:]) if k else value
    if not shape or shape == region_shape:
        return value
    value = view(value, shape[k:])
    return value if shape[k:] == region_shape else expand(value, region_shape)


def _offsets(shape, strides):
    off = np.zeros(shape, dtype=np.int64)
    n = len(shape)
    for k, (size, stride) in enumerate(zip(shape, strides)):
        off += (np.arange(size, dtype=np.int64) * stride).reshape((size,) + (1,) * (n - k - 1))
    return off


def _positions_in_base(view_arr: np.ndarray, base_arr: np.ndarray) -> np.ndarray:
    """For each element of a view, its flat (C-order) index in the base it views.

    A view made before `base.data = ...` lies in the base's old storage: as PyTorch does, it is read at
    the same offsets in the new one (counted from the start of the storage each lies in)."""
    origin = base_arr
    if not np.may_share_memory(view_arr, base_arr):
        origin = view_arr
        while isinstance(origin.base, np.ndarray):
            origin = origin.base
    start = view_arr.__array_interface__["data"][0] - origin.__array_interface__["data"][0]
    voff = _offsets(view_arr.shape, view_arr.strides) + start
    if base_arr.flags.c_contiguous:
        pos = voff // base_arr.itemsize
    else:
        boff = _offsets(base_arr.shape, base_arr.strides).ravel()
        order = np.argsort(boff, kind="stable")
        pos = order[np.minimum(np.searchsorted(boff[order], voff), boff.size - 1)]
        if origin is not base_arr and not np.array_equal(boff[pos], voff):
            pos = np.full(voff.shape, -1)
    if origin is not base_arr and pos.size and (pos.min() < 0 or pos.max() >= base_arr.size):
        raise AutogradError(f"a view of shape {list(view_arr.shape)} no longer fits its base, whose data was "
                            f"replaced (base.data = ...) by a tensor of shape {list(base_arr.shape)}",
                            hint="make the view again after assigning .data")
    return pos


def setitem(x, idx, value):
    """`x[idx] = value` with PyTorch's rules: in-place checks, broadcasting, a version bump, and a
    CopySlices/IndexPutBackward0 node when gradients are recorded (moved to the base for a view)."""
    if state.enabled and x.requires_grad and x.grad_fn is None:
        raise AutogradError("a view of a leaf tensor that requires grad cannot be modified in place "
                            "(x[...] = ... writes into such a view)",
                            hint="do the update inside `with torch.no_grad():`, or clone() first")
    x.check_inplace()
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        value = value.item()
    if not isinstance(value, (Tensor, bool, int, float)):
        raise ValueTypeError(f"cannot assign a {type(value).__name__} into a tensor",
                             hint="assign a number or a tensor (torch.tensor([...]))")
    a = x.array
    if not a.flags.writeable:
        raise AutogradError(f"this tensor of shape {list(x.shape)} is an expanded view in which several "
                            "elements share memory, so it cannot be written in place",
                            hint="clone() it first")
    steps, key, adv = _plan(a.shape, idx, single_slice_counts=False)
    region = a[key]
    v = value.array if isinstance(value, Tensor) else value
    region_shape = region.shape if adv is None else _advanced_shape(region.shape, adv)
    if isinstance(value, Tensor) and not _fits(value.array.shape, region_shape):
        raise ShapeError(f"cannot write a value of shape {list(value.shape)} into the indexed region of shape "
                         f"{list(region_shape)}", hint="the value must broadcast to the region's shape")
    try:
        if adv is None:
            region[...] = v
        else:
            region[adv] = v
    except ValueError:
        raise ShapeError(f"cannot write a value of shape {list(np.shape(v))} into the indexed region of shape "
                         f"{list(region_shape)}", hint="the value must broadcast to the region's shape")
    x._version[0] += 1
    base = x._base
    value_grad = isinstance(value, Tensor) and value.requires_grad
    if not (state.enabled and a.dtype.kind == "f"
            and (value_grad or x.requires_grad or (base is not None and base.requires_grad))):
        refresh_views(x._version)
        return
    if value_grad:
        value = _prepare_value(value, region_shape, advanced=adv is not None)
    if base is None:
        if steps:
            cls = CopySlices
        elif adv is not None:
            cls = IndexPut
        else:
            cls = Copy if isinstance(value, Tensor) and value.array.ndim else Fill
        x.take_over(cls.apply(x, value, key=key, adv=adv).grad_fn)
        refresh_views(x._version)
        return
    _rebase(x, value, key, adv)


def rebase_view(x: Tensor, result: Tensor) -> None:
    """After an in-place op wrote `result` into the view x (tensor.write_inplace), record it as
    PyTorch does: the base takes a CopySlices node and x reads its elements back from the base."""
    _rebase(x, result, (Ellipsis,), None)


def _rebase(x: Tensor, value, key, adv) -> None:
    base = x._base
    a = x.array
    pos = _positions_in_base(a, base.array)
    region_pos = pos[key] if adv is None else pos[key][adv]
    base_key = _index_in_base(region_pos, base.array.shape)
    base.take_over(CopySlices.apply(base, value, key=(Ellipsis,), adv=base_key).grad_fn)
    x.take_over(AsStrided.apply(base, positions=pos, view=a).grad_fn)
    refresh_views(x._version, skip=x)


def _index_in_base(positions: np.ndarray, base_shape) -> tuple:
    """The NumPy index that reads the elements at flat `positions` of an array of `base_shape`, in the
    shape of `positions`. A 0-d base allows only None and booleans, so there a written region (one
    element or none: a writable view of one element holds at most one) is None per size-1 dimension,
    and a False for an empty one."""
    if base_shape:
        return np.unravel_index(positions, base_shape)
    if positions.size:
        return (None,) * positions.ndim
    return (np.False_,) + (None,) * max(positions.ndim - 1, 0)  # its other sizes do not matter: nothing is read


def refresh_views(counter: list, skip: Tensor | None = None) -> None:
    """After a write into a storage (through the base, a view, or a detach() alias): each other live
    view of it gets AsStridedBackward0 on its base's grad_fn as it is now, as PyTorch gives a view
    whose version changed since its grad_fn was made. Its old grad_fn led to the base's old graph,
    which no longer produced these values (`a.t()` then `a.mul_(3)`: the gradient must see the 3).

    PyTorch does this lazily, when the view's grad_fn is next read; doing it at the write gives the
    same graph (the base's grad_fn changes only by writes). The view written through (`skip`) already
    has its new node; views of a base that does not require grad get none."""
    if len(counter) == 1:
        return
    with set_grad_enabled(True):  # also after a write under no_grad(), as in PyTorch
        for ref in counter[1:]:
            v = ref()
            if v is not None and v is not skip and v._base.requires_grad:
                v.take_over(AsStrided.apply(v._base, view=v.array).grad_fn)


# -- extras: narrow, split, chunk, unbind, repeat -------------------------------------------------
class Split(Slice):
    name = "SplitBackward0"


class SplitWithSizes(Slice):
    name = "SplitWithSizesBackward0"


class Unbind(Select):
    name = "UnbindBackward0"


class Repeat(Function):
    name = "RepeatBackward0"
    rule = ("∂ repeat(u)/∂u = 1, summed over the tiles",)

    def forward(self, a, reps):
        self.in_shape = (1,) * (len(reps) - a.ndim) + a.shape
        self.reps = reps
        self.orig_shape = a.shape
        return np.tile(a, reps)

    def backward(self, g, a):
        split = []
        ones = []
        for r, s in zip(self.reps, self.in_shape):
            split += [r, s]
            ones += [1, s]
        g = sum_to(_reshape_any(_nd(g), tuple(split)), tuple(ones))
        return (_reshape_any(g, self.orig_shape),)


def narrow(x, dim, start, length):
    x = _need_tensor(x, "narrow")
    d = _dim(dim, x.array.ndim)
    size = x.array.shape[d]
    start, length = _int(start, "narrow() start"), _int(length, "narrow() length")
    if start < 0:
        start += size
    if not 0 <= start <= size or length < 0 or start + length > size:
        raise ShapeError(f"narrow(): start {start} and length {length} do not fit dimension {d} of size {size}",
                              hint="start + length must be at most the size")
    return _share(Slice.apply(x, dim=d, start=start, stop=start + length, step=1), x)


def split(x, split_size_or_sections, dim=0):
    x = _need_tensor(x, "split")
    d = _dim(dim, x.array.ndim)
    size = x.array.shape[d]
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = _sizes((split_size_or_sections,), "split")
        if sum(sizes) != size or any(s < 0 for s in sizes):
            raise ShapeError(f"split(): sizes {sizes} do not add up to the size {size} of dimension {d}",
                             hint=f"the sizes must be non-negative and sum to {size}")
        cls = SplitWithSizes
    else:
        n = _int(split_size_or_sections, "split() size")
        if n <= 0:
            raise ArgumentError(f"split(): the split size must be positive, got {n}")
        sizes = [min(n, size - i) for i in range(0, size, n)] or [0]
        cls = Split
    out, start = [], 0
    for s in sizes:
        out.append(_share(cls.apply(x, dim=d, start=start, stop=start + s, step=1), x))
        start += s
    return tuple(out)


def chunk(x, chunks, dim=0):
    x = _need_tensor(x, "chunk")
    chunks = _int(chunks, "chunk() count")
    if chunks <= 0:
        raise ArgumentError(f"chunk(): the number of chunks must be positive, got {chunks}")
    size = x.array.shape[_dim(dim, x.array.ndim)]
    return split(x, max(-(-size // chunks), 1), dim)


def unbind(x, dim=0):
    x = _need_tensor(x, "unbind")
    d = _dim(dim, x.array.ndim)
    return tuple(_share(Unbind.apply(x, dim=d, index=i), x) for i in range(x.array.shape[d]))


def repeat(x, *sizes):
    x = _need_tensor(x, "repeat")
    reps = tuple(_sizes(sizes, "repeat"))
    if len(reps) < x.array.ndim:
        raise ShapeError(f"repeat() got {len(reps)} repeat counts for a tensor of shape {list(x.shape)}",
                         hint="give at least one count per dimension")
    if any(r < 0 for r in reps):
        raise ArgumentError(f"repeat() counts must not be negative, got {list(reps)}")
    _check_ndim(len(reps))
    shape = (1,) * (len(reps) - x.array.ndim) + x.array.shape
    limits.check_shape([r * s for r, s in zip(reps, shape)])
    return Repeat.apply(x, reps=reps)


def swapaxes(x, axis0, axis1):
    return transpose(x, axis0, axis1)


# -- bindings ---------------------------------------------------------------------------------------
FUNCTIONS = dict(
    reshape=reshape, flatten=flatten, unflatten=unflatten, transpose=transpose, swapaxes=swapaxes,
    swapdims=swapaxes, permute=permute, squeeze=squeeze, unsqueeze=unsqueeze, t=t, cat=cat, concat=cat,
    concatenate=cat, stack=stack, narrow=narrow, split=split, chunk=chunk, unbind=unbind,
)

METHODS = dict(
    view=view, view_as=view_as, reshape_as=reshape_as, expand=expand, expand_as=expand_as,
    contiguous=contiguous, is_contiguous=is_contiguous, repeat=repeat,
)
