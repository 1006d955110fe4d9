"""Matrix products: dot, mv, mm, bmm, and `matmul`, composed from them exactly as PyTorch records it.

The four kernels are one NumPy matmul each forward and one per needed input
backward (inputs that need no gradient are skipped). `matmul` follows ATen's
`_matmul_impl`: 1-D·2-D is unsqueeze → mm → squeeze_ (SqueezeBackward4);
N-D·(1-D|2-D) folds the batch into rows (view → mm/mv → _unsafe_view); other
batched products expand both batches, flatten them and call bmm. Whether a
reshape is a view, an alias or a copy is decided by the shape ops from the
arrays' real strides, as ATen decides it, so the recorded graph has PyTorch's
nodes. Only SqueezeBackward4 is defined here; the other nodes are the shape ops'.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.engine import limits
from gradcli.engine.dtypes import from_numpy
from gradcli.engine.function import Function
from gradcli.engine.grad_mode import state
from gradcli.engine.ops import shape as shape_ops
from gradcli.engine.tensor import Tensor
from gradcli.errors import DTypeError, ShapeError, ValueTypeError


# -- checks -------------------------------------------------------------------------------------
def _dims_text(a, b) -> str:
    return f"{a.ndim}-D and {b.ndim}-D"


def _same_dtype(a, b, op: str) -> None:
    if a.dtype != b.dtype:
        da, db = from_numpy(a.dtype), from_numpy(b.dtype)
        raise DTypeError(f"{op} needs both tensors to have the same dtype, got {da} and {db}",
                         hint=f"convert one of them, e.g. x.to({db}) or y.to({da})")
    if a.dtype == np.bool_:
        raise DTypeError(f"{op} is not defined for bool tensors", hint="convert first: x.float() or x.long()")


def _matrix_text(shape) -> str:
    return "x".join(str(s) for s in shape)


def _check_mm(a, b, op="mm") -> None:
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"{op}() multiplies two matrices (2-D), got {_dims_text(a, b)} tensors",
                         hint="use torch.matmul (or @) for vectors and batches")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(f"cannot multiply a {_matrix_text(a.shape)} matrix by a {_matrix_text(b.shape)} matrix: "
                         f"{a.shape[1]} columns against {b.shape[0]} rows",
                         hint="the first's columns must equal the second's rows; transpose one (.T) or fix the shapes")
    _same_dtype(a, b, op)


# -- PyTorch's order of float32 products -----------------------------------------------------------
# A float32 product of k terms rounds differently in another order. Where PyTorch's own code fixes
# the order (dot of up to 3 elements, bmm's loop for small sizes), `_ordered` follows it; mm and mv
# go to MKL in PyTorch, whose order depends on the CPU, shapes and layouts, and here to NumPy's BLAS:
# the last bit may differ (TORCH_REFERENCE.md: bit-equality of computed results is not generally
# achievable), and emulating MKL's order as measured on one machine cost the tutorial step a
# quarter of its time.
def _ordered(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ_p a[..., :, p] · b[..., p, :] as a running float32 sum from 0, in order of p. Small products
    in a few NumPy calls: cumsum adds in order, and adding 0 gives the sum from 0 its sign of zero."""
    if a.shape[-2] * a.shape[-1] * b.shape[-1] <= 1 << 16:
        return np.cumsum(a[..., :, :, None] * b[..., None, :, :], axis=-2)[..., -1, :] + a.dtype.type(0)
    out = np.zeros(a.shape[:-1] + b.shape[-1:], a.dtype)
    for p in range(a.shape[-1]):
        out = out + a[..., :, p:p + 1] * b[..., p:p + 1, :]
    return out


_mm = _mv = np.matmul


def _dot(a: np.ndarray, b: np.ndarray):
    if a.dtype == np.float32 and a.shape[0] <= 3:
        return _ordered(a[None], b[:, None])[0, 0]
    return np.dot(a, b)


def _bmm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """PyTorch's bmm runs its own loop (the running sum, in any float dtype) when m·k·n < 400."""
    if a.dtype.kind == "f" and a.shape[1] * a.shape[2] * b.shape[2] < 400:
        return _ordered(a, b)
    return np.matmul(a, b)


# -- kernels ------------------------------------------------------------------------------------
def _mT(x):
    """Swap the last two dims (records TransposeBackward0 for a Tensor)."""
    return shape_ops.mT(x) if isinstance(x, Tensor) else np.swapaxes(x, -1, -2)


def _t(x):
    """Transpose a matrix (records TBackward0 for a Tensor)."""
    return shape_ops.t(x) if isinstance(x, Tensor) else x.T


class Dot(Function):
    name = "DotBackward0"
    saves = (0, 1)
    read_by = ((1,), (0,))  # each input differentiates the other
    rule = ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a")

    def forward(self, a, b):
        if a.ndim != 1 or b.ndim != 1:
            raise ShapeError(f"dot() takes two 1-D tensors, got {_dims_text(a, b)} tensors",
                             hint="use torch.matmul (or @) for matrices")
        if a.shape[0] != b.shape[0]:
            raise ShapeError(f"dot() needs vectors of the same length, got {a.shape[0]} and {b.shape[0]} elements",
                             hint="both vectors must have the same number of elements")
        _same_dtype(a, b, "dot")
        return _dot(a, b)

    def backward(self, g, a, b):
        return (g * b if self.needs(0) else None, g * a if self.needs(1) else None)


class Mv(Function):
    name = "MvBackward0"
    saves = (0, 1)
    read_by = ((1,), (0,))  # each input differentiates the other
    rule = ("∂(M·v)/∂M = g vᵀ", "∂(M·v)/∂v = Mᵀ g")

    def forward(self, m, v):
        if m.ndim != 2 or v.ndim != 1:
            raise ShapeError(f"mv() multiplies a matrix (2-D) by a vector (1-D), got {_dims_text(m, v)} tensors",
                             hint="use torch.matmul (or @) for other shapes")
        if m.shape[1] != v.shape[0]:
            raise ShapeError(f"cannot multiply a {_matrix_text(m.shape)} matrix by a vector of {v.shape[0]} "
                             f"elements: {m.shape[1]} columns against {v.shape[0]} elements",
                             hint="the vector's length must equal the matrix's number of columns")
        _same_dtype(m, v, "mv")
        return _mv(m, v)

    def backward(self, g, m, v):
        gm = gv = None
        if self.needs(0):
            if isinstance(g, Tensor):
                gm = shape_ops.unsqueeze(g, 1) * v
            else:
                gm = np.outer(g, v)
        if self.needs(1):
            gv = Mv.call(_t(m), g)
        return gm, gv


class Mm(Function):
    name = "MmBackward0"
    saves = (0, 1)
    read_by = ((1,), (0,))  # each input differentiates the other
    rule = ("∂(A·B)/∂A = g Bᵀ", "∂(A·B)/∂B = Aᵀ g")

    def forward(self, a, b):
        _check_mm(a, b)
        limits.check_shape((a.shape[0], b.shape[1]))
        return _mm(a, b)

    def backward(self, g, a, b):
        return (Mm.call(g, _t(b)) if self.needs(0) else None,
                Mm.call(_t(a), g) if self.needs(1) else None)


class Bmm(Function):
    name = "BmmBackward0"
    saves = (0, 1)
    read_by = ((1,), (0,))  # each input differentiates the other
    rule = ("∂(A·B)/∂A = g Bᵀ per batch", "∂(A·B)/∂B = Aᵀ g per batch")

    def forward(self, a, b):
        if a.ndim != 3 or b.ndim != 3:
            raise ShapeError(f"bmm() multiplies two batches of matrices (3-D), got {_dims_text(a, b)} tensors",
                             hint="use torch.matmul (or @), which broadcasts batches")
        if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
            raise ShapeError(f"bmm() cannot multiply shapes {list(a.shape)} and {list(b.shape)}: the batch sizes "
                             f"must match and the first's columns must equal the second's rows",
                             hint=f"the second would need shape {[a.shape[0], a.shape[2], b.shape[2]]}")
        _same_dtype(a, b, "bmm")
        limits.check_shape((a.shape[0], a.shape[1], b.shape[2]))
        return _bmm(a, b)

    def backward(self, g, a, b):
        return (Bmm.call(g, _mT(b)) if self.needs(0) else None,
                Bmm.call(_mT(a), g) if self.needs(1) else None)


# -- the one node of matmul the shape ops do not have ------------------------------------------------
class SqueezeFirst(Function):
    """The in-place `squeeze_(0)` that ends matmul's vector·matrix case."""

    name = "SqueezeBackward4"
    rule = ("∂ squeeze(u)/∂u = 1 (unsqueezed back)",)

    def forward(self, a):
        return a.reshape(a.shape[1:])

    def backward(self, g, a):
        return (shape_ops.unsqueeze(g, 0) if isinstance(g, Tensor) else np.asarray(g)[None],)


def _strides(array: np.ndarray) -> tuple:
    size = array.itemsize
    return tuple(s // size for s in array.strides)


# -- matmul ---------------------------------------------------------------------------------------
def _operand(x, op):
    if not isinstance(x, Tensor):
        raise ValueTypeError(f"{op} needs tensors on both sides, got {type(x).__name__}",
                             hint="use * to multiply by a number")
    return x


def _broadcast_batches(a, b, sa, sb):
    out = []
    for i in range(1, max(len(sa), len(sb)) + 1):
        x = sa[-i] if i <= len(sa) else 1
        y = sb[-i] if i <= len(sb) else 1
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"matmul cannot broadcast the batch dimensions {list(sa)} and {list(sb)} of shapes "
                             f"{list(a.shape)} and {list(b.shape)}: size {x} against {y}",
                             hint="batch sizes must be equal or 1 in each dimension")
        out.append(max(x, y))
    return tuple(reversed(out))


def _check_matmul(a, b):
    sa, sb = a.array.shape, b.array.shape
    if not sa or not sb:
        raise ShapeError(f"matmul needs tensors with at least one dimension, got {len(sa)}-D and {len(sb)}-D",
                         hint="use * to multiply by a scalar")
    _same_dtype(a.array, b.array, "matmul")
    inner_b = sb[-2] if len(sb) >= 2 else sb[0]
    if sa[-1] != inner_b:
        if len(sa) == 1 and len(sb) == 1:
            raise ShapeError(f"matmul of two vectors needs the same length, got {sa[0]} and {sb[0]} elements",
                             hint="both vectors must have the same number of elements")
        if len(sa) == 2 and len(sb) == 2:
            _check_mm(a.array, b.array, "matmul")
        raise ShapeError(f"cannot multiply shapes {list(sa)} and {list(sb)}: the first's last dimension ({sa[-1]}) "
                         f"must equal the second's {'size' if len(sb) == 1 else 'second-to-last dimension'} "
                         f"({inner_b})", hint="transpose one of them (.mT or .T) or fix the shapes")
    _broadcast_batches(a, b, sa[:-2], sb[:-2])


def _should_fold(a: Tensor, b: Tensor) -> bool:
    da, db = a.ndim, b.ndim
    a_larger = da >= db
    dim_t1, dim_t2 = (da, db) if a_larger else (db, da)
    if not (dim_t1 >= 3 and dim_t2 <= 2):
        return False
    if (b if a_larger else a).requires_grad:
        return True
    if da == 2:
        return False
    t1 = a.array if a_larger else np.swapaxes(b.array, -1, -2)
    if t1.size == 0:
        return True
    shape, strides = t1.shape, _strides(t1)
    return all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(dim_t1 - 2))


def _folded(a: Tensor, b: Tensor) -> Tensor:
    """N-D · (1-D | 2-D): fold the batch into matrix rows and use one mm or mv."""
    transpose = b.ndim > a.ndim
    t1 = shape_ops.mT(b) if transpose else a
    t2 = (shape_ops.t(a) if a.ndim == 2 else a) if transpose else b
    sizes = t1.array.shape
    out_shape = sizes[:-1]
    folded = shape_ops.reshape(t1, (math.prod(out_shape), sizes[-1]))
    if t2.ndim == 2:
        out = shape_ops.UnsafeView.apply(Mm.apply(folded, t2), shape=out_shape + (t2.array.shape[1],))
        return shape_ops.contiguous(shape_ops.mT(out)) if transpose else out
    return shape_ops.UnsafeView.apply(Mv.apply(folded, t2), shape=out_shape)


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """Broadcast the batch dims of both, flatten them and use one bmm."""
    sa, sb = a.array.shape, b.array.shape
    da, db = len(sa), len(sb)
    n = sa[-2] if da > 1 else 1
    m1 = sa[-1]
    m2 = sb[-2] if db > 1 else sb[0]
    p = sb[-1] if db > 1 else 1
    batch1, batch2 = sa[:max(da - 2, 0)], sb[:max(db - 2, 0)]
    if da == 3 and db == 3 and batch1[0] != batch2[0]:
        if batch1[0] == 1 and a.requires_grad:
            return matmul(shape_ops.squeeze(a, 0), b)
        if batch2[0] == 1 and b.requires_grad:
            return matmul(a, shape_ops.squeeze(b, 0))
    batch = _broadcast_batches(a, b, batch1, batch2)
    size = math.prod(batch)
    left = shape_ops.reshape(shape_ops.expand(a, batch + (n, m1)), (size, n, m1))
    if db == 1:
        right = shape_ops.unsqueeze(shape_ops.reshape(shape_ops.expand(b, batch + (m2,)), (size, m2)), 2)
    else:
        right = shape_ops.reshape(shape_ops.expand(b, batch + (m2, p)), (size, m2, p))
    out_shape = batch + ((n,) if da > 1 else ()) + ((p,) if db > 1 else ())
    out = Bmm.apply(left, right)
    if db == 1:
        out = shape_ops.squeeze(out, -1)
    return shape_ops.UnsafeView.apply(out, shape=out_shape)


def matmul(a, b):
    """torch.matmul / `@`: dot, mv, mm or a batched product by the operands' dimensions."""
    a, b = _operand(a, "matmul"), _operand(b, "matmul")
    _check_matmul(a, b)
    da, db = a.ndim, b.ndim
    if da == 1 and db == 1:
        return Dot.apply(a, b)
    if da == 2 and db == 1:
        return Mv.apply(a, b)
    if da == 1 and db == 2:
        return SqueezeFirst.apply(Mm.apply(shape_ops.unsqueeze(a, 0), b))
    if da == 2 and db == 2:
        return Mm.apply(a, b)
    if not (state.enabled and (a.requires_grad or b.requires_grad)):
        return Tensor(np.matmul(a.array, b.array))  # nothing to record: one NumPy call, same values
    if _should_fold(a, b):
        return _folded(a, b)
    return _batched(a, b)


def mm(a, b):
    return Mm.apply(_operand(a, "mm"), _operand(b, "mm"))


def mv(a, b):
    return Mv.apply(_operand(a, "mv"), _operand(b, "mv"))


def dot(a, b):
    return Dot.apply(_operand(a, "dot"), _operand(b, "dot"))


def bmm(a, b):
    return Bmm.apply(_operand(a, "bmm"), _operand(b, "bmm"))


FUNCTIONS = dict(matmul=matmul, mm=mm, mv=mv, dot=dot, bmm=bmm)
