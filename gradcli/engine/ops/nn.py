"""torch.nn.functional: softmax family, losses and the extra activations.

Each loss is one node with PyTorch's grad_fn name and formula (the clamps,
epsilons and stable forms torch uses), so values and `next_functions` match.
`cross_entropy` is not a node of its own: like torch it composes log_softmax
with nll_loss (class indices) or with mul/sum/neg/div (class probabilities).
Backward rules use operators and `Op.call`; sums over a dimension inside them
go through the Tensor `.sum` method on Tensors (create_graph) and NumPy on arrays.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from gradcli.engine import limits

from gradcli.engine import dtypes
from gradcli.engine.function import Function
from gradcli.engine.ops.cascade import torch_sum
from gradcli.engine.ops import shape as shape_ops
from gradcli.engine.ops.vecmath import sleef_expf
from gradcli.engine.ops.elementwise import (Clamp, Div, Exp, Log, Log1p, Minimum, Mul, Neg, Relu, Sigmoid,
                                           SigmoidGrad, Tanh, Where, exp32, log1p32, log32, no_gradient, promote,
                                           to_dtype)
from gradcli.engine.tensor import Tensor, require_tensor
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliWarning, IndexOutOfRange,
                            ShapeError, ValueTypeError)

REDUCTIONS = ("mean", "sum", "none")


# -- helpers that work on arrays (plain backward) and Tensors (create_graph) -------------------
def _sum_keep(x, axis):
    """Σ over one axis, keeping it, differentiably when x is a Tensor."""
    if isinstance(x, Tensor):
        return x.sum(axis, keepdim=True)
    return np.sum(x, axis=axis, keepdims=True)


def _dim_sum(x, axis):
    """Σ over one axis, keeping it, in the order of PyTorch's softmax kernels: along the last axis its
    vectorized reduce_all (one accumulator of 512-bit lanes, then a halving tree across the lanes);
    along another axis a running sum from 0."""
    if isinstance(x, Tensor):
        return x.sum(axis, keepdim=True)
    n = x.shape[axis]
    if x.dtype.kind != "f" or n == 0:
        return np.sum(x, axis=axis, keepdims=True)
    if axis % x.ndim != x.ndim - 1:
        return np.expand_dims(np.cumsum(x, axis=axis, dtype=x.dtype).take(-1, axis=axis) + x.dtype.type(0), axis)
    lanes = 64 // x.itemsize
    if n < lanes:  # vec_reduce_all over a partial vector: lane 0 plus each other lane, in order
        return np.cumsum(x, axis=-1, dtype=x.dtype)[..., -1:]
    lead = x.shape[:-1]
    full = n // lanes * lanes
    acc = np.cumsum(x[..., :full].reshape(lead + (full // lanes, lanes)), axis=-2, dtype=x.dtype)[..., -1, :]
    if full < n:
        acc[..., :n - full] += x[..., full:]
    while acc.shape[-1] > 1:
        half = acc.shape[-1] // 2
        acc = acc[..., :half] + acc[..., half:]
    return acc


def _kernel_exp(x, axis, step=16):
    """exp as PyTorch's softmax kernels compute it: vectorized (SLEEF's expf) along the last dim, and
    along another dim for the inner positions that fill whole steps of `step` floats (softmax takes
    two 16-float vectors at a time, log_softmax one); the scalar tail uses the C library's (correctly
    rounded) exp."""
    if x.dtype != np.float32:
        return np.exp(x)
    if axis == x.ndim - 1:
        return sleef_expf(x)
    inner = math.prod(x.shape[axis + 1:])
    vectorized = inner // step * step
    if vectorized == 0:
        return exp32(x)
    flat = x.reshape(x.shape[:axis + 1] + (inner,))
    out = np.concatenate([sleef_expf(flat[..., :vectorized]), exp32(flat[..., vectorized:])], axis=-1)
    return out.reshape(x.shape)


def _times(x, c):
    """x * c for a constant array c; on Tensors c becomes a constant Tensor so the product
    differentiates again (elementwise backward rules take Tensors or numbers, not arrays)."""
    if isinstance(x, Tensor):
        return Mul.apply(x, Tensor(c))
    return x * c


def _unsqueeze(x, axis):
    if isinstance(x, Tensor):
        return x.unsqueeze(axis)
    x = np.asarray(x)
    axis = axis % (x.ndim + 1)
    return x.reshape(x.shape[:axis] + (1,) + x.shape[axis:])  # np.expand_dims, minus its overhead


def _reduce(loss, reduction):
    """A loss reduction of a per-element array, in its dtype (the mean of nothing is NaN, as in torch)."""
    if reduction == "none":
        return loss
    total = torch_sum(loss, tuple(range(loss.ndim))) if loss.size else loss.sum(dtype=loss.dtype)
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore"):
        return np.true_divide(total, loss.dtype.type(loss.size)).astype(loss.dtype)


# -- softmax family ------------------------------------------------------------------------------
class Softmax(Function):
    name = "SoftmaxBackward0"
    saves = ("out",)
    rule = ("∂ softmax(u)ᵢ/∂uⱼ = yᵢ(δᵢⱼ − yⱼ)",)

    def forward(self, a, dim):
        self.dim = dim
        if dim is None:  # a 0-d tensor: softmax over one element
            return np.ones_like(a)
        if a.size == 0:
            return a.copy()
        e = _kernel_exp(a - a.max(axis=dim, keepdims=True), dim, step=32)
        if dim == a.ndim - 1:
            return e * (1 / _dim_sum(e, dim))  # PyTorch's last-dim kernel: exp(x - max) * (1 / Σ)
        return e / _dim_sum(e, dim)

    def backward(self, g, a, out):
        if self.dim is None:
            return (g * 0,)
        if type(g) is np.ndarray and g.dtype == np.float32 and self.dim != g.ndim - 1:
            # PyTorch's kernel along another dim: Σ g·y accumulated with one FMA per step, from 0
            gm, ym = np.moveaxis(g, self.dim, 0), np.moveaxis(out, self.dim, 0)
            acc = np.zeros(gm.shape[1:], np.float32)
            for d in range(gm.shape[0]):
                acc = (acc + gm[d].astype(np.float64) * ym[d]).astype(np.float32)
            return (out * (g - np.expand_dims(acc, self.dim)),)
        return (out * (g - _dim_sum(g * out, self.dim)),)


class LogSoftmax(Function):
    name = "LogSoftmaxBackward0"
    saves = ("out",)
    rule = ("∂ log_softmax(u)ᵢ/∂uⱼ = δᵢⱼ − softmax(u)ⱼ",)

    def forward(self, a, dim):
        self.dim = dim
        if dim is None:
            return np.zeros_like(a)
        if a.size == 0:
            return a.copy()
        shifted = a - a.max(axis=dim, keepdims=True)  # log-sum-exp never sees a large exponent
        shifted -= log32(_dim_sum(_kernel_exp(shifted, dim), dim))  # PyTorch's kernel: (x - max) - log(Σ exp(x - max))
        return shifted

    def backward(self, g, a, out):
        if self.dim is None:
            return (g * 0,)
        if type(g) is np.ndarray and g.dtype == np.float32:
            # PyTorch's kernel: g - exp(out) * Σg, compiled to one fused multiply-subtract
            e, total = _kernel_exp(out, self.dim).astype(np.float64), _dim_sum(g, self.dim).astype(np.float64)
            return ((g - e * total).astype(np.float32),)
        return (g - Exp.call(out) * _dim_sum(g, self.dim),)


def _softmax_input(input, dim, dtype, who):
    input = _tensor_arg(input, "input", who)
    if dtype is not None:
        if not isinstance(dtype, dtypes.DType):
            raise ValueTypeError(f"{who}() dtype must be a torch dtype, not {dtype!r}",
                                 hint="pass dtype=torch.float64 (or leave it out)")
        input = to_dtype(input, dtype.np)
    if input.array.dtype.kind != "f":
        raise DTypeError(f"{who}() needs a floating-point tensor, not {input.dtype}",
                         hint="convert it first: x.float()")
    if dim is None:
        raise ArgumentError(f"{who}() needs the dimension to normalise over",
                            hint=f"pass dim, e.g. {who}(x, dim=1) or x.{who}(-1)")
    axis = input._dim(dim)
    return input, (axis if input.array.ndim else None)


def _implicit_dim(who, ndim, dim):
    """torch.nn.functional's deprecated choice when dim is left out (with its warning)."""
    if dim is not None:
        return dim
    warnings.warn(f"F.{who}() without dim picks a dimension implicitly; pass dim=... to be explicit",
                  GradcliWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, dtype=None):
    input, axis = _softmax_input(input, dim, dtype, "softmax")
    return Softmax.apply(input, dim=axis)


def log_softmax(input, dim=None, dtype=None):
    input, axis = _softmax_input(input, dim, dtype, "log_softmax")
    return LogSoftmax.apply(input, dim=axis)


def f_softmax(input, dim=None, _stacklevel=3, dtype=None):
    input = _tensor_arg(input, "input", "softmax")
    return softmax(input, _implicit_dim("softmax", input.array.ndim, dim), dtype)


def f_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    input = _tensor_arg(input, "input", "log_softmax")
    return log_softmax(input, _implicit_dim("log_softmax", input.array.ndim, dim), dtype)


# -- losses --------------------------------------------------------------------------------------
class MseLoss(Function):
    name = "MseLossBackward0"
    saves = (0, 1)
    broadcasts = True  # only restores each input's dtype: shapes are equal by the time it runs
    rule = ("∂ mean((u−t)²)/∂u = 2(u−t)/n", "∂ mean((u−t)²)/∂t = −2(u−t)/n")

    def forward(self, a, b, reduction):
        self.reduction = reduction
        a, b, _ = promote(a, b)
        d = a - b
        self.n = d.size
        return _reduce(d * d, reduction)

    def backward(self, g, a, b):
        # PyTorch's mse_loss_backward, for the target with the operands swapped: an op of its own, which
        # under create_graph saves the input and the target, so a later write into either is refused
        r, n = self.reduction, self.n
        return (MseLossGrad.call(g, a, b, reduction=r, n=n) if self.needs(0) else None,
                MseLossGrad.call(g, b, a, reduction=r, n=n) if self.needs(1) else None)


class MseLossGrad(Function):
    """MseLoss's backward 2(u − t)·g (÷ n for the mean) as an op: MseLossBackwardBackward0."""

    name = "MseLossBackwardBackward0"
    saves = (0, 1, 2)
    broadcasts = True
    rule = ("∂/∂g = 2(u − t) (÷ n for the mean)", "∂/∂u = 2g (÷ n)", "∂/∂t = −2g (÷ n)")

    def forward(self, g, a, b, reduction, n):
        self.reduction, self.n = reduction, n
        self.norm = 2 / max(n, 1) if reduction == "mean" else 2
        a, b, _ = promote(a, b)
        return (a - b) * self.norm * g

    def backward(self, gg, g, a, b):
        r, n, norm = self.reduction, self.n, self.norm
        wants = self.next_nodes
        gg_g = ga = gb = None
        if wants[0] is not None:
            gg_g = MseLossGrad.call(gg, a, b, reduction=r, n=n)
            if r != "none":  # g was the loss's 0-dim gradient
                gg_g = gg_g.sum()
        if wants[1] is not None or wants[2] is not None:
            gga = gg * g * norm
            ga = gga if wants[1] is not None else None
            gb = -gga if wants[2] is not None else None
        return gg_g, ga, gb


class BinaryCrossEntropy(Function):
    name = "BinaryCrossEntropyBackward0"
    saves = (0, 1)
    rule = ("∂ bce/∂x = (x − y) / (x(1 − x))", "∂ bce/∂y = −logit(x)")
    EPSILON = float(np.float32(1e-12))  # torch's floor for x(1 − x) in the gradient (a C++ float)

    def forward(self, x, y, weight, reduction):
        self.weight, self.reduction, self.n = weight, reduction, x.size
        with np.errstate(divide="ignore"):  # log(0) = -inf, floored at -100 as torch does
            loss = (y - 1) * np.maximum(log1p32(-x), -100) - y * np.maximum(log32(x), -100)
        if weight is not None:
            loss *= weight
        return _reduce(loss, reduction)

    def backward(self, g, x, y):
        with np.errstate(divide="ignore"):
            return self._grads(g, x, y)

    def _grads(self, g, x, y):
        gx = gy = None
        w = self.weight
        if self.needs(0):
            gx = g * (x - y) / Clamp.call((1 - x) * x, min=self.EPSILON)
            if w is not None:
                gx = _times(gx, w)
            if self.reduction == "mean":
                gx = gx / self.n
        if self.needs(1):
            gy = (Log.call(x) - Log1p.call(-x)) * (-g)
            if w is not None:
                gy = _times(gy, w)
            if self.reduction == "mean":
                gy = gy / self.n
        return gx, gy


class BinaryCrossEntropyWithLogits(Function):
    name = "BinaryCrossEntropyWithLogitsBackward0"
    saves = (0, 1)
    broadcasts = True  # restores the dtype of a lower-precision target
    rule = ("∂ bce(σ(z))/∂z = σ(z) − y", "∂ bce(σ(z))/∂y = −z")

    def forward(self, z, y, weight, pos_weight, reduction):
        self.weight, self.pos_weight, self.reduction, self.n = weight, pos_weight, reduction, z.size
        # log σ(z) = min(z, 0) − log1p(exp(−|z|)): no overflow for any z. Like torch, it is
        # computed in z's dtype and promoted with a wider target only afterwards.
        log_sig = _log_sigmoid(z)
        if pos_weight is not None:
            log_sig = (log_sig * ((pos_weight - 1) * y + 1)).astype(log_sig.dtype, copy=False)
        loss = (1 - y) * z - log_sig
        if weight is not None:
            loss *= weight
        return _reduce(loss, self.reduction)

    def backward(self, g, z, y):
        w, pw = self.weight, self.pos_weight
        gz = gy = None
        if self.needs(0):
            if pw is None:
                gz = (_sigmoid(z) - y) * g
            else:
                t = _times(y, pw)
                gz = ((t + 1 - y) * _sigmoid(z) - t) * g
        if self.needs(1):
            if pw is None:
                gy = -z * g
            else:
                gy = (_log_sigmoid(-z) - _times(_log_sigmoid(z), pw)) * g
        out = []
        for grad in (gz, gy):
            if grad is not None:
                if w is not None:
                    grad = _times(grad, w)
                if self.reduction == "mean":
                    grad = grad / self.n
            out.append(grad)
        return tuple(out)


def _sigmoid(z):
    """σ(z) as torch's CPU kernel computes it, 1/(1 + exp(−z)) (IEEE-safe at both tails: exp
    overflows to inf and the quotient to 0); this form reproduces torch's float32 results more
    often than elementwise.Sigmoid's, e.g. the tutorial's b.grad to the last bit."""
    if isinstance(z, Tensor):
        return Sigmoid.call(z)
    with np.errstate(over="ignore"):
        return (1 / (1 + exp32(-z))).astype(z.dtype, copy=False)


def _log_sigmoid(z):
    if isinstance(z, Tensor):
        return Minimum.call(z, 0.0) - Log1p.call(Exp.call(-abs(z)))
    # PyTorch's log_sigmoid kernel takes SLEEF's exp (ops.vecmath); that emulation costs ~40 NumPy
    # calls, more than the whole tutorial step, so this takes the exp rounded once, equal to it
    # nearly always
    return np.minimum(z, 0) - log1p32(exp32(-np.abs(z)))


class NllLoss(Function):
    """Negative log-likelihood of class indices; the target and weight are parameters, not slots.

    Input (C,) with a 0-d target, or (N, C, ...) with a target (N, ...): the class is axis 1 (0 for 1-D).
    The forward sums the picked terms in PyTorch's order (`_nll_sums`), the backward writes
    PyTorch's -w·g (or w·(−g/Σw)) into zeros, so every other entry is +0."""

    name = "NllLossBackward0"
    saves = (0,)  # torch saves the input too, so a second backward is refused the same way
    rule = ("∂ nll/∂uᵢₖ = −w_k (÷ Σw for mean) where k = targetᵢ, else 0",)

    def forward(self, x, target, weight, ignore_index, reduction):
        self.reduction = reduction
        keep = target != ignore_index
        t = np.where(keep, target, 0).astype(np.intp)
        self.axis = axis = 1 if x.ndim > 1 else 0
        self.t, self.keep, self.weighted = np.expand_dims(t, axis), keep, weight is not None
        w = np.where(keep, weight[t], 0).astype(x.dtype) if weight is not None else keep.astype(x.dtype)
        self.w = w
        picked = np.take_along_axis(x, self.t, axis=axis).squeeze(axis)
        if reduction == "none":
            return np.where(keep, -picked * w if weight is not None else -picked, 0).astype(x.dtype, copy=False)
        loss, total = _nll_sums(picked, w, keep, weight is not None, x.dtype)
        self.total = total
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):  # nothing counted: NaN, as in torch
                return np.asarray(loss / total, dtype=x.dtype)
        return np.asarray(loss, dtype=x.dtype)

    def backward(self, g, x):
        if isinstance(g, Tensor):  # create_graph: the same numbers, through recorded ops
            coef = -self.w
            if self.reduction == "mean":
                with np.errstate(invalid="ignore", divide="ignore"):
                    coef = np.where(self.w != 0, coef / self.total, 0).astype(self.w.dtype)
            dense = np.zeros(array_shape(x), dtype=self.w.dtype)
            np.put_along_axis(dense, self.t, np.expand_dims(coef, self.axis), axis=self.axis)
            if self.reduction == "none" and self.axis:
                g = _unsqueeze(g, self.axis)
            return (_times(g, dense),)
        dt = self.w.dtype
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            if self.reduction == "none":  # PyTorch: -w * grad_output, per element
                vals = -self.w * g if self.weighted else -g
            else:  # PyTorch: grad = -(grad_output / Σw) (mean) or -grad_output; w * grad
                grad = -(g / self.total) if self.reduction == "mean" else -g
                vals = self.w * grad if self.weighted else np.broadcast_to(grad, self.w.shape)
        vals = np.where(self.keep, vals, np.zeros((), dt)).astype(dt, copy=False)
        dense = np.zeros(array_shape(x), dtype=dt)
        np.put_along_axis(dense, self.t, np.expand_dims(vals, self.axis), axis=self.axis)
        return (dense,)


class NllLoss2d(NllLoss):
    """nll_loss of a 4-D input (N, C, H, W): PyTorch's nll_loss2d, the same sums in the same order."""

    name = "NllLoss2DBackward0"


def array_shape(x):
    return x.array.shape if isinstance(x, Tensor) else x.shape


NLL_CASCADE_LIMIT = 1 << 16  # beyond this many terms, NumPy's sum (PyTorch's order, emulated, is a Python loop)


def _nll_sums(picked, w, keep, weighted, dtype):
    """Σ −x·w over the kept positions and Σ w, summed as PyTorch's nll_loss (and nll_loss2d) kernels
    sum them on CPU: in position order, in the input's dtype, through an 8-level cascade that moves the
    running sum one level up at every kept position that is a multiple of 16 (of 256 for the next
    level, ...). The rounding of every step is PyTorch's, so the loss agrees to the last bit."""
    flat_x, flat_w, flat_keep = picked.ravel(), w.ravel(), keep.ravel()
    kept = np.flatnonzero(flat_keep)
    zero = dtype.type(0)
    count = dtype.type(kept.size)
    if kept.size > NLL_CASCADE_LIMIT:
        terms = -flat_x[kept] * flat_w[kept] if weighted else -flat_x[kept]
        return terms.sum(dtype=dtype), (flat_w[kept].sum(dtype=dtype) if weighted else count)
    levels, power = 8, 4
    mask = (1 << power) - 1
    loss = [zero] * levels
    wsum = [zero] * levels
    xs, ws = flat_x[kept], flat_w[kept]
    for i, b in enumerate(kept.tolist()):
        if weighted:
            wv = ws[i]
            loss[0] = loss[0] - xs[i] * wv
            wsum[0] = wsum[0] + wv
        else:
            loss[0] = loss[0] - xs[i]
        for j in range(levels - 1):
            if b & (mask << (j * power)):
                break
            loss[j + 1] = loss[j + 1] + loss[j]
            wsum[j + 1] = wsum[j + 1] + wsum[j]
            loss[j] = wsum[j] = zero
    total_loss, total_w = zero, zero
    for j in range(levels):
        total_loss = total_loss + loss[j]
        total_w = total_w + wsum[j]
    return total_loss, (total_w if weighted else count)


class DivScalar(Function):
    """`tensor / number` as torch records it from C++ (cross_entropy's mean): one slot."""

    name = "DivBackward1"
    rule = ("∂(u/c)/∂u = 1/c",)

    def forward(self, a, other):
        self.other = other
        return Div.forward(self, a, other)

    def backward(self, g, a):
        return (g / self.other,)


class MulScalar(Function):
    """`tensor * number` as torch records it from C++ (label smoothing): one slot."""

    name = "MulBackward1"
    rule = ("∂(u·c)/∂u = c",)

    def forward(self, a, other):
        self.other = other
        return Mul.forward(self, a, other)

    def backward(self, g, a):
        return (g * self.other,)


class MaskedFill(Function):
    """`u.masked_fill(mask, value)`: the mask and value are parameters; filled places get no gradient."""

    name = "MaskedFillBackward0"
    rule = ("∂/∂u = 0 where mask else 1",)

    def forward(self, a, mask, value):
        self.mask = mask
        return np.where(mask, np.asarray(value, dtype=a.dtype), a)

    def backward(self, g, a):
        return (Where.call(self.mask, 0.0, g),)  # PyTorch: grad.masked_fill(mask, 0), so no NaN from an infinite g


# -- loss bindings: argument checks, then one node --------------------------------------------
def _tensor_arg(x, what, who):
    return require_tensor(x, who, what)


def _reduction(reduction, size_average=None, reduce=None, who="loss"):
    if size_average is not None or reduce is not None:  # torch's deprecated spelling
        warnings.warn(f"{who}(): size_average and reduce are deprecated; use reduction=",
                      GradcliWarning, stacklevel=3)
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in REDUCTIONS:
        raise ArgumentError(f"{reduction!r} is not a valid reduction",
                            hint="use reduction='mean', 'sum' or 'none'")
    return reduction


def _float_input(input, who):
    if input.array.dtype.kind != "f":
        raise DTypeError(f"{who}() needs a floating-point input, not {input.dtype}",
                         hint="convert it first: x.float()")


def _same_shape(input, target, who):
    if input.array.shape != target.array.shape:
        raise ShapeError(f"{who}(): the target has shape {list(target.shape)} but the input has shape "
                         f"{list(input.shape)}; they must be the same",
                         hint="reshape the target (or the input) so the two shapes match")


def _constant(t, what, who, shape, dtype):
    """A weight-like argument as an array: no gradient flows to it (as in torch)."""
    if t is None:
        return None
    t = _tensor_arg(t, what, who)
    if t.requires_grad:
        raise AutogradError(f"{who}() is not differentiable with respect to {what}, so it cannot require grad",
                            hint=f"pass {what}.detach()")
    a = t.array
    try:
        out = np.broadcast_shapes(a.shape, shape)
    except ValueError:
        out = None
    if out != tuple(shape):
        raise ShapeError(f"{who}(): {what} of shape {list(a.shape)} does not broadcast to the input's shape "
                         f"{list(shape)}", hint=f"give {what} a shape that broadcasts to {list(shape)}")
    return a.astype(dtype)  # a copy: backward must not see a later write into the tensor


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    input, target = _tensor_arg(input, "input", "mse_loss"), _tensor_arg(target, "target", "mse_loss")
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    _float_input(input, "mse_loss")
    si, st = input.array.shape, target.array.shape
    if si != st:
        try:
            shape = np.broadcast_shapes(si, st)
            limits.check_shape(shape)
        except ValueError:
            raise ShapeError(f"mse_loss(): the input of shape {list(si)} and the target of shape {list(st)} "
                             "cannot be broadcast together",
                             hint="give the target the input's shape") from None
        warnings.warn(f"mse_loss(): the target shape {list(st)} differs from the input shape {list(si)}; "
                      "they are broadcast, which is rarely intended", GradcliWarning, stacklevel=2)
        input, target = _expand(input, shape), _expand(target, shape)
    return MseLoss.apply(input, target, reduction=reduction)


def _expand(t, shape):
    if t.array.shape == shape:
        return t
    return t.expand(*shape)  # a view, sharing t's version counter: a later write into t is refused


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    who = "binary_cross_entropy"
    input, target = _tensor_arg(input, "input", who), _tensor_arg(target, "target", who)
    reduction = _reduction(reduction, size_average, reduce, who)
    _float_input(input, who)
    _same_shape(input, target, who)
    x, y = input.array, target.array
    if y.dtype != x.dtype:
        raise DTypeError(f"{who}(): the target has dtype {target.dtype} but the input has {input.dtype}",
                         hint="convert the target: target.to(input.dtype)")
    if not ((x >= 0) & (x <= 1)).all():
        raise ArgumentError(f"{who}(): every input value must be a probability between 0 and 1",
                            hint="apply sigmoid first, or use binary_cross_entropy_with_logits on raw scores")
    if not ((y >= 0) & (y <= 1)).all():
        raise ArgumentError(f"{who}(): every target value must be between 0 and 1",
                            hint="targets are probabilities (0. or 1. for hard labels)")
    w = _constant(weight, "weight", who, x.shape, x.dtype)
    return BinaryCrossEntropy.apply(input, target, weight=w, reduction=reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    who = "binary_cross_entropy_with_logits"
    input, target = _tensor_arg(input, "input", who), _tensor_arg(target, "target", who)
    reduction = _reduction(reduction, size_average, reduce, who)
    _float_input(input, who)
    _same_shape(input, target, who)
    if target.array.dtype.kind != "f":
        raise DTypeError(f"{who}(): the target must be floating point, not {target.dtype}",
                         hint="convert it: target.float()")
    dt = promote(input.array, target.array)[2]
    w = _constant(weight, "weight", who, input.array.shape, dt)
    pw = _constant(pos_weight, "pos_weight", who, input.array.shape, dt)
    return BinaryCrossEntropyWithLogits.apply(input, target, weight=w, pos_weight=pw, reduction=reduction)


def _class_weight(weight, classes, dtype, who, same_dtype=False):
    if weight is None:
        return None
    weight = _tensor_arg(weight, "weight", who)
    shape = weight.array.shape
    if same_dtype and weight.array.dtype != dtype:  # the class-index kernels take the input's dtype only
        raise DTypeError(f"{who}(): the weight has dtype {weight.dtype} but the input has {dtypes.from_numpy(dtype)}",
                         hint="convert the weight: weight.to(input.dtype)")
    if shape != (classes,):
        raise ShapeError(f"{who}(): weight must hold one value per class ({classes}), but has shape "
                         f"{list(shape)}", hint=f"pass a weight of shape [{classes}]")
    return _constant(weight, "weight", who, (classes,), dtype)


def _check_ignore_index(ignore_index, who):
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, (int, np.integer)):
        raise ValueTypeError(f"{who}(): ignore_index must be an integer, not {type(ignore_index).__name__}",
                             hint="e.g. ignore_index=-100 (the default)")


def _check_targets(input, target, ignore_index, who):
    """nll_loss's input (C,), (N, C) or (N, C, d1, ...) and int64 class-index target (), (N,) or (N, d1, ...)."""
    x, t = input.array, target.array
    if t.dtype not in (np.int64, np.uint8):
        raise DTypeError(f"{who}(): class-index targets must be int64 (or uint8), not {target.dtype}",
                         hint="convert them: target.long()")
    if x.ndim == 0:
        raise ShapeError(f"{who}(): the input must have shape (C,), (N, C) or (N, C, d1, ...), not a 0-d tensor",
                         hint="pass one score per class")
    want = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if t.shape != want:
        raise ShapeError(f"{who}(): an input of shape {list(x.shape)} needs a target of shape {list(want)}, "
                         f"but the target has shape {list(t.shape)}",
                         hint="one class index per row of the input (the classes are dimension 1)")
    classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
    bad = ((t < 0) | (t >= classes)) & (t != ignore_index)
    if bad.any():
        value = int(t[bad].flat[0]) if t.ndim else int(t)
        raise IndexOutOfRange(f"{who}(): target class {value} is out of range for {classes} classes",
                              hint=f"class indices go from 0 to {classes - 1}")
    return classes


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    who = "nll_loss"
    _check_ignore_index(ignore_index, who)
    input, target = _tensor_arg(input, "input", who), _tensor_arg(target, "target", who)
    reduction = _reduction(reduction, size_average, reduce, who)
    _float_input(input, who)
    classes = _check_targets(input, target, ignore_index, who)
    w = _class_weight(weight, classes, input.array.dtype, who, same_dtype=True)
    return _nll_nd(input, target.array, w, ignore_index, reduction)


def _nll_nd(input, target, w, ignore_index, reduction):
    """PyTorch's nll_loss_nd: (C,) and (N, C) go to nll_loss, (N, C, H, W) to nll_loss2d, and any other
    rank is viewed as (N, C, 1, -1) for nll_loss2d (its per-element result viewed back for 'none')."""
    x = input.array
    params = dict(weight=w, ignore_index=ignore_index, reduction=reduction)
    if x.ndim <= 2:
        return NllLoss.apply(input, target=target, **params)
    if x.ndim == 4:
        return NllLoss2d.apply(input, target=target, **params)
    n, c = x.shape[:2]
    flat = (n, c, 1, -1) if x.size else (n, c, 0, 0)
    viewed = shape_ops.view(shape_ops.contiguous(input), flat)
    tgt = target.reshape((n, 1, -1) if target.size else (n, 0, 0))
    out = NllLoss2d.apply(viewed, target=tgt, **params)
    return shape_ops.view(out, (n,) + x.shape[2:]) if reduction == "none" else out


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    who = "cross_entropy"
    _check_ignore_index(ignore_index, who)
    input, target = _tensor_arg(input, "input", who), _tensor_arg(target, "target", who)
    reduction = _reduction(reduction, size_average, reduce, who)
    _float_input(input, who)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ArgumentError(f"{who}(): label_smoothing must be between 0 and 1, not {label_smoothing}",
                            hint="a small value such as label_smoothing=0.1 is usual")
    if input.array.ndim == 0:
        raise ShapeError(f"{who}(): the input must have shape (N, C) or (C,), not a 0-d tensor",
                         hint="pass one score per class")
    class_dim = 0 if input.array.ndim == 1 else 1
    if target.array.dtype.kind == "f":
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, class_dim)
    classes = _check_targets(input, target, ignore_index, who)
    w = _class_weight(weight, classes, input.array.dtype, who, same_dtype=True)
    logp = LogSoftmax.apply(input, dim=class_dim)
    loss = _nll_nd(logp, target.array, w, ignore_index, reduction)
    if not label_smoothing:
        return loss
    return _smoothed(logp, loss, target, weight, ignore_index, reduction, label_smoothing, class_dim)


def _smoothed(logp, loss, target, weight, ignore_index, reduction, eps, class_dim):
    """torch's label-smoothing composite: (1−ε)·nll + ε/C · (−Σ_c log p), ignored rows excluded."""
    classes = logp.array.shape[class_dim]
    ignore = target.array == ignore_index
    if weight is None:
        smooth = Neg.apply(logp.sum(class_dim))
    else:
        w = weight.array.astype(logp.array.dtype)  # a copy: backward must not see a later write into weight
        smooth = Neg.apply(_times(logp, _class_shaped(w, logp.array.ndim, class_dim)).sum(class_dim))
    smooth = MaskedFill.apply(smooth, mask=ignore, value=0.0)
    if reduction == "mean":
        kept = target.array[~ignore]
        if weight is None:
            denom = np.asarray(kept.size, dtype=np.int64)
        else:
            picked = weight.array[kept].ravel()
            denom = torch_sum(picked, (0,)) if picked.size else picked.sum(dtype=weight.array.dtype)
        smooth = Div.apply(smooth.sum(), Tensor(np.asarray(denom)))
    elif reduction == "sum":
        smooth = smooth.sum()
    return MulScalar.apply(loss, other=1 - eps) + MulScalar.apply(smooth, other=eps / classes)


def _class_shaped(w, ndim, class_dim):
    """A per-class weight shaped to broadcast along the class dimension (PyTorch's weight.view)."""
    shape = [1] * ndim
    shape[class_dim] = w.shape[0]
    return w.reshape(shape)


def _cross_entropy_probs(input, target, weight, reduction, eps, class_dim):
    """Class-probability targets: −Σ target·log_softmax(input), as torch composes it."""
    who = "cross_entropy"
    if target.array.shape != input.array.shape:
        raise ShapeError(f"{who}(): probability targets must have the input's shape {list(input.shape)}, "
                         f"but have shape {list(target.shape)}",
                         hint="pass class indices (int64, one per row) or one probability per class")
    classes = input.array.shape[class_dim]
    w = _class_weight(weight, classes, input.array.dtype, who)
    logp = LogSoftmax.apply(input, dim=class_dim)
    if eps:
        target = target * (1 - eps) + eps / classes
    prod = Mul.apply(logp, target)
    if w is not None:
        prod = _times(prod, _class_shaped(w, input.array.ndim, class_dim))
    if reduction == "none":
        return Neg.apply(prod.sum(class_dim))
    loss = Neg.apply(prod.sum())
    if reduction == "sum":
        return loss
    rows = input.array.size // classes if classes else 0
    return DivScalar.apply(loss, other=rows if rows else math.nan)


# -- extra activations --------------------------------------------------------------------------
class LeakyRelu(Function):
    name = "LeakyReluBackward0"
    saves = (0,)
    rule = ("∂ leaky_relu(u)/∂u = 1 if u > 0 else slope",)

    def forward(self, a, negative_slope):
        self.slope = negative_slope
        return np.where(a > 0, a, a * negative_slope).astype(a.dtype, copy=False)

    def backward(self, g, a):
        return (LeakyReluGrad.call(g, a, negative_slope=self.slope),)


class LeakyReluInplace(Function):
    """`leaky_relu(u, inplace=True)`: PyTorch's leaky_relu_ saves its result (u itself after the write),
    not u before it, so a later write into u is refused; and it refuses a negative slope at backward,
    where the result no longer tells the sign of u. (Not a subclass of LeakyRelu: an op class's
    backward is bound when the class is made.)"""

    name = "LeakyReluBackward1"
    saves = ("out",)
    rule = LeakyRelu.rule

    forward = LeakyRelu.forward

    def backward(self, g, a, out):
        if self.slope < 0:
            raise AutogradError("the gradient of an in-place leaky_relu with a negative slope cannot be "
                                "computed: its result no longer tells where the input was negative",
                                hint="call leaky_relu without inplace=True")
        return (LeakyReluGrad.call(g, out, negative_slope=self.slope),)


class LeakyReluGrad(Function):
    """LeakyRelu's backward as an op, with the input as an input (zero derivative), so that under
    create_graph the gradient requires grad as PyTorch's does (see elementwise.ReluGrad)."""

    name = "LeakyReluBackwardBackward0"
    grows = False
    saves = (1,)
    rule = ("∂/∂g = 1 where u > 0, slope elsewhere", "∂/∂u = 0")

    def forward(self, g, a, negative_slope):
        self.slope = negative_slope
        return np.where(a > 0, g, g * negative_slope).astype(g.dtype, copy=False)

    def backward(self, gg, g, a):
        return LeakyReluGrad.call(gg, a, negative_slope=self.slope), no_gradient(gg)


class Softplus(Function):
    name = "SoftplusBackward0"
    saves = (0,)
    rule = ("∂ softplus(u)/∂u = σ(βu) (1 above the threshold)",)

    def forward(self, a, beta, threshold):
        self.beta, self.threshold = beta, threshold
        z = a * beta
        with np.errstate(over="ignore"):
            soft = np.log1p(np.exp(np.minimum(z, threshold))) / beta
        return np.where(z > threshold, a, soft).astype(a.dtype, copy=False)

    def backward(self, g, a):
        return (SoftplusGrad.call(g, a, beta=self.beta, threshold=self.threshold),)


class SoftplusGrad(Function):
    """Softplus's backward as an op (PyTorch's softplus_backward(g, u)): under create_graph it records
    SoftplusBackwardBackward0, which saves u, so a later write into u is refused, as in PyTorch."""

    name = "SoftplusBackwardBackward0"
    grows = False
    saves = (0, 1)
    rule = ("∂/∂g = σ(βu) (1 above the threshold)", "∂/∂u = g·β·σ(βu)(1 − σ(βu)) (0 above the threshold)")

    def forward(self, g, a, beta, threshold):
        self.beta, self.threshold = beta, threshold
        z = a * beta
        return Where.call(z > threshold, g, g * Sigmoid.call(z))

    def backward(self, gg, g, a):
        beta, threshold = self.beta, self.threshold
        wants = self.next_nodes
        gg_g = SoftplusGrad.call(gg, a, beta=beta, threshold=threshold) if wants[0] is not None else None
        ga = None
        if wants[1] is not None:  # PyTorch's softplus_double_backward
            arr = a.array if isinstance(a, Tensor) else np.asarray(a)
            below = ((arr * beta < threshold) * beta).astype(arr.dtype)
            ga = _times(SigmoidGrad.call(gg * g, Sigmoid.call(a * beta)), below)
        return gg_g, ga


_erf_object = np.frompyfunc(math.erf, 1, 1)


def _erf(a):
    return np.asarray(_erf_object(a), dtype=a.dtype)


class Erf(Function):
    """erf, needed by the exact GELU (NumPy has none); not exported as torch.erf here."""

    name = "ErfBackward0"
    saves = (0,)
    rule = ("∂ erf(u)/∂u = 2/√π · exp(−u²)",)

    def forward(self, a):
        return _erf(a)

    def backward(self, g, a):
        return (g * (2 / math.sqrt(math.pi)) * Exp.call(-(a * a)),)


class Gelu(Function):
    name = "GeluBackward0"
    saves = (0,)
    rule = ("∂ gelu(u)/∂u = Φ(u) + u·φ(u)",)
    K = math.sqrt(2 / math.pi)

    def forward(self, a, approximate):
        self.approximate = approximate
        if approximate == "tanh":
            return (0.5 * a * (1 + np.tanh(self.K * (a + 0.044715 * a ** 3)))).astype(a.dtype, copy=False)
        return (a * 0.5 * (1 + _erf(a * (1 / math.sqrt(2))))).astype(a.dtype, copy=False)

    def backward(self, g, a):
        if self.approximate == "tanh":
            inner = (a + a * a * a * 0.044715) * self.K
            th = Tanh.call(inner)
            d_inner = (a * a * (3 * 0.044715) + 1) * self.K
            return (g * ((th + 1) * 0.5 + a * 0.5 * (1 - th * th) * d_inner),)
        cdf = (Erf.call(a * (1 / math.sqrt(2))) + 1) * 0.5
        pdf = Exp.call(a * a * -0.5) * (1 / math.sqrt(2 * math.pi))
        return (g * (cdf + a * pdf),)


def _float_activation(input, who):
    input = _tensor_arg(input, "input", who)
    _float_input(input, who)
    return input


def relu(input, inplace=False):
    input = _tensor_arg(input, "input", "relu")
    return input.relu_() if inplace else Relu.apply(input)


def sigmoid(input):
    return Sigmoid.apply(_tensor_arg(input, "input", "sigmoid"))


def tanh(input):
    return Tanh.apply(_tensor_arg(input, "input", "tanh"))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    input = _float_activation(input, "leaky_relu")
    if inplace:
        input.check_inplace()
        return input.write_inplace(LeakyReluInplace.apply(input, negative_slope=negative_slope))
    return LeakyRelu.apply(input, negative_slope=negative_slope)


def softplus(input, beta=1.0, threshold=20.0):
    return Softplus.apply(_float_activation(input, "softplus"), beta=beta, threshold=threshold)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu(): approximate must be 'none' or 'tanh', not {approximate!r}",
                            hint="gelu(x) for the exact form, gelu(x, approximate='tanh') for the fast one")
    return Gelu.apply(_float_activation(input, "gelu"), approximate=approximate)


# -- bindings -----------------------------------------------------------------------------------
FUNCTIONS = {"softmax": softmax, "log_softmax": log_softmax}

FUNCTIONAL = {
    "softmax": f_softmax, "log_softmax": f_log_softmax,
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
    "leaky_relu": leaky_relu, "softplus": softplus, "gelu": gelu,
    "mse_loss": mse_loss, "binary_cross_entropy": binary_cross_entropy,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "nll_loss": nll_loss, "cross_entropy": cross_entropy,
}
