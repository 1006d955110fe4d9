"""Elementwise ops: arithmetic, math functions, activations, clamps and selection.

Each class is one op: PyTorch's grad_fn name, the forward on arrays, the
backward rule (written with operators and `Op.call`, so it differentiates
again under create_graph), and the rule in symbols for the ledger.
"""

from __future__ import annotations

import math

import numpy as np
from numpy import ndarray  # not np.ndarray in hot code: numpy's module __getattr__ stops CPython caching it

from gradcli.engine import dtypes, limits
from gradcli.engine.dtypes import ARRAY_OUT, result_dtype
from gradcli.engine.function import Function
from gradcli.engine.tensor import Tensor
from gradcli.errors import ShapeError

def promote(a, b):
    """Cast array operands to PyTorch's result dtype of (a, b); Python scalars stay weak."""
    if type(a) is ndarray and type(b) is ndarray:
        if a.dtype == b.dtype:
            return a, b, a.dtype
    elif type(a) is ndarray and type(b) is float and a.dtype.kind == "f":
        return a, b, a.dtype
    dt = result_dtype(a, b)
    if isinstance(a, (ndarray, np.generic)) and a.dtype != dt:
        a = a.astype(dt)
    if isinstance(b, (ndarray, np.generic)) and b.dtype != dt:
        b = b.astype(dt)
    return a, b, dt


def as_float(a):
    """Integer and bool inputs of float functions compute in the default float dtype."""
    if isinstance(a, ndarray) and a.dtype.kind != "f":
        return a.astype(dtypes.DEFAULT_FLOAT.np)
    return a


def broadcast_check(a, b):
    sa = a.shape if isinstance(a, ndarray) else ()
    sb = b.shape if isinstance(b, ndarray) else ()
    if sa == sb or not sa or not sb:
        return
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise ShapeError(f"shapes {list(sa)} and {list(sb)} cannot be broadcast together: size {x} "
                             f"does not match size {y} at dimension {max(len(sa), len(sb)) - i}",
                             hint="make the sizes equal or 1 in that dimension (reshape, unsqueeze)")
    limits.check_shape(np.broadcast_shapes(sa, sb))  # refuse before NumPy allocates the result


def binary(ufunc, flags_fix=True):
    """The forward of an op that is one NumPy ufunc of two operands, with PyTorch's type promotion and
    broadcasting checks. Most ops run one: the common cases (same dtype and shape; a float array and a
    Python float) are decided here, in one call. Those never need their gradients fixed (un-broadcast,
    dtype restored), so only the other path flags the node for `Function.record` to work that out
    (flags_fix=False: a helper for other ops' forwards and backwards, which flags nothing)."""

    def forward(self, a, b):
        if type(a) is ndarray:
            dt = a.dtype
            if type(b) is ndarray:
                if b.dtype is dt and a.shape == b.shape:  # `is`: NumPy's built-in dtypes are singletons
                    out = ufunc(a, b) if a.ndim else ufunc(a, b, out=ARRAY_OUT)  # (see ARRAY_OUT)
                    return out if out.dtype is dt else out.astype(dt)  # bool // bool is int8 in NumPy
            elif type(b) is float and dt.kind == "f":
                table = _weak_scalars.get(dt)
                c = table.get(b) if table is not None else None
                if c is None:
                    c = _weak_scalar(b, dt)
                return ufunc(a, c) if a.ndim else ufunc(a, c, out=ARRAY_OUT)
        if flags_fix:
            self.fix = True
        return _promoted(ufunc, a, b)

    forward.flags_fix = flags_fix  # so Function.record skips its own check of shapes and dtypes
    return forward


def _promoted(ufunc, a, b):
    a, b, dt = promote(a, b)
    if isinstance(a, ndarray) and isinstance(b, ndarray) and a.shape != b.shape:
        broadcast_check(a, b)
    out = ufunc(a, b, out=ARRAY_OUT)
    if out.dtype != dt:
        out = out.astype(dt)
    return out


_multiply, _subtract = binary(np.multiply, flags_fix=False), binary(np.subtract, flags_fix=False)


_weak_scalars: dict = {}  # float dtype -> {Python float: that float as a read-only 0-dim array of the dtype}


def _weak_scalar(b: float, dt: np.dtype):
    """A Python float operand of a `dt` array, as the 0-dim `dt` array NumPy (NEP 50) and PyTorch turn
    it into anyway. Cached: NumPy's conversion costs more than multiplying two scalars. Zero (0.0 and
    -0.0 are one dict key), NaN and values that overflow `dt` stay Python floats."""
    table = _weak_scalars.setdefault(dt, {})
    with np.errstate(over="raise"):
        try:
            c = np.array(b, dtype=dt)
        except FloatingPointError:
            return b
    if b == 0.0 or b != b or len(table) >= 1024:
        return b
    c.flags.writeable = False
    table[b] = c
    return c


def scalar(a):
    """A 0-dim array as the NumPy scalar backward computes with (see times); anything else as it is."""
    return a[()] if type(a) is ndarray and not a.ndim else a


def times(g, c):
    """g * c in a backward rule, by NumPy's cheapest route. A 0-dim gradient is a NumPy scalar (NumPy's
    own operators return one for 0-dim operands), and scalar-by-scalar products skip the ufunc
    machinery: several times faster, with the same IEEE result."""
    if type(g) is ndarray:
        if type(c) is float:
            return _multiply(None, g, c)  # the cached conversion of `binary`
    elif type(c) is ndarray and not c.ndim and isinstance(g, np.generic):
        return g * c[()]
    return g * c


class Add(Function):
    name = "AddBackward0"
    grows = False  # `binary` checks a broadcast result against the cap before NumPy allocates it
    broadcasts = True
    rule = ("∂(a+b)/∂a = 1", "∂(a+b)/∂b = 1")

    forward = binary(np.add)

    def backward(self, g, a, b):
        return g, g


class Sub(Function):
    name = "SubBackward0"
    grows = False
    broadcasts = True
    rule = ("∂(a−b)/∂a = 1", "∂(a−b)/∂b = −1")

    forward = binary(np.subtract)

    def backward(self, g, a, b):
        return g, -g


class Rsub(Function):
    """`scalar - a`: PyTorch records rsub with the scalar as a parameter (one slot)."""

    name = "RsubBackward1"
    rule = ("∂(c−a)/∂a = −1",)

    def forward(self, a, other):
        return _subtract(self, other, a)

    def backward(self, g, a):
        return (-g,)


class Mul(Function):
    name = "MulBackward0"
    grows = False
    saves = (0, 1)
    read_by = ((1,), (0,))  # each input differentiates the other
    broadcasts = True
    rule = ("∂(a·b)/∂a = b", "∂(a·b)/∂b = a")

    forward = binary(np.multiply)

    def backward(self, g, a, b):
        wants = self.next_nodes
        return (times(g, b) if wants[0] is not None else None, times(g, a) if wants[1] is not None else None)


class Div(Function):
    name = "DivBackward0"
    grows = False
    saves = (0, 1)
    read_by = ((1,), (0, 1))  # a differentiates b; b both
    broadcasts = True
    rule = ("∂(a/b)/∂a = 1/b", "∂(a/b)/∂b = −a/b²")

    def forward(self, a, b):
        a, b, dt = promote(a, b)
        if dt.kind != "f":
            dt = dtypes.DEFAULT_FLOAT.np
            a, b = np.asarray(a, dtype=dt), np.asarray(b, dtype=dt)
        if isinstance(a, ndarray) and isinstance(b, ndarray) and a.shape != b.shape:
            broadcast_check(a, b)
        out = np.true_divide(a, b)
        return out if out.dtype == dt else out.astype(dt)

    def backward(self, g, a, b):
        # ∂/∂b as PyTorch writes it, -g·((a/b)/b): under create_graph a/b saves a, so a later write into a
        # is refused there too (and the rounding is PyTorch's)
        return (g / b if self.needs(0) else None, -g * (a / b / b) if self.needs(1) else None)


def _array(x):
    """The array of a saved input (a Tensor under create_graph)."""
    return x.array if type(x) is Tensor else x


def no_gradient(g):
    """Zeros like the incoming gradient (PyTorch's zeros_like(grad)) for an op whose result does not
    change with its input. Never part of a graph, also under create_graph; unlike g * 0, no NaN from
    an infinite g."""
    return Tensor(np.zeros_like(g.array)) if type(g) is Tensor else np.zeros_like(g)


def _integer_division(ufunc, what: str):
    """The forward of a division-like op: `binary(ufunc)`, with PyTorch's refusals for integer operands:
    a zero divisor (NumPy would give 0), and two bool operands (PyTorch has no bool kernel)."""
    forward = binary(ufunc)

    def checked(self, a, b):
        if _integral(b) and _integral(a):
            from gradcli.errors import ArgumentError, DTypeError
            if _boolean(a) and _boolean(b):
                raise DTypeError(f"{what} is not implemented for bool tensors",
                                 hint="convert them first, e.g. a.long() // b.long()")
            if np.any(np.equal(b, 0)):
                raise ArgumentError("integer division by zero",
                                    hint="divide by a nonzero number, or use float tensors (7. // 0 is inf)")
        return forward(self, a, b)

    return checked


def _boolean(x) -> bool:
    return x.dtype.kind == "b" if isinstance(x, (ndarray, np.generic)) else isinstance(x, bool)


def _integral(x) -> bool:
    return x.dtype.kind in "iub" if isinstance(x, (ndarray, np.generic)) else isinstance(x, int)


def _trunc_divide(a, b, out=None):
    """Division rounded toward zero (C's `/` on integers, trunc(a / b) on floats)."""
    if np.result_type(a, b).kind == "f":
        return np.trunc(np.true_divide(a, b))
    q = np.floor_divide(a, b)
    return q + ((np.remainder(a, b) != 0) & ((np.less(a, 0)) != (np.less(b, 0))))


def _torch_remainder(a, b, out=None):
    """PyTorch's remainder: the sign of the divisor, computed from fmod, so a zero keeps the sign fmod
    gives it (-2. % 2 is -0.; NumPy's remainder would give 0.)."""
    m = np.fmod(a, b)
    if m.dtype.kind != "f":
        return np.remainder(a, b)
    fix = (m != 0) & (np.less(b, 0) != (m < 0))
    return np.where(fix, m + b, m) if fix.any() else m


class NotDifferentiable(Function):
    """An op PyTorch has no derivative for: its node (`NotImplemented`) lists only the inputs that require
    grad, and backward through it is an error, raised when the walk reaches it."""

    name = "NotImplemented"
    op = hint = ""

    @property
    def next_functions(self) -> tuple:
        return tuple((node, 0) for node in self.next_nodes if node is not None)

    def backward(self, g, a, b):
        from gradcli.errors import AutogradError
        raise AutogradError(f"{self.op} has no derivative (PyTorch does not implement one), so gradients "
                            "cannot flow back through it",
                            hint=self.hint)


class FloorDiv(NotDifferentiable):
    """`a // b`, `floor_divide`."""

    op = "floor_divide (//)"
    hint = ("detach what goes into it (x.detach() // 2), or use torch.div(x, 2, rounding_mode='floor'), "
            "whose gradient is zero")

    forward = _integer_division(np.floor_divide, "floor_divide (//)")


class RemainderOfNumber(NotDifferentiable):
    """`c % a` with a number c (PyTorch's remainder.Scalar_Tensor)."""

    op = "remainder (%) of a number by a tensor"
    hint = "make the number a tensor: torch.tensor(5.) % x"

    forward = _integer_division(_torch_remainder, "remainder (%)")


class DivRounding(Function):
    """`div(a, b, rounding_mode=...)`: PyTorch's div.Tensor_mode. A rounded quotient is piecewise
    constant, so its gradient is zero; rounding_mode=None divides as `/` does."""

    name = "DivBackward2"
    saves = (0, 1)
    read_by = Div.read_by  # PyTorch saves what `/` saves, also with a rounding mode (whose gradient is zero)
    broadcasts = True
    rule = ("∂ round(a/b)/∂a = 0 (1/b without rounding)", "∂ round(a/b)/∂b = 0 (−a/b² without rounding)")

    _floor = _integer_division(np.floor_divide, "div(rounding_mode='floor')")
    _trunc = _integer_division(_trunc_divide, "div(rounding_mode='trunc')")

    def forward(self, a, b, rounding_mode):
        self.mode = rounding_mode
        if rounding_mode == "floor":
            return self._floor(a, b)
        if rounding_mode == "trunc":
            return self._trunc(a, b)
        return Div.forward(self, a, b)

    def backward(self, g, a, b):
        if self.mode is not None:
            zero = no_gradient(g)
            return (zero if self.needs(0) else None, zero if self.needs(1) else None)
        return Div.backward(self, g, a, b)


_remainder, _fmod = _integer_division(_torch_remainder, "remainder (%)"), _integer_division(np.fmod, "fmod")


class RemainderScalar(Function):
    """`a % c` with a number c."""

    name = "RemainderBackward0"
    rule = ("∂(a mod c)/∂a = 1",)

    def forward(self, a, other):
        return _remainder(self, a, other)

    def backward(self, g, a):
        return (g,)


class Remainder(Function):
    """`a % b` with a tensor b that requires grad: both operands are saved, for b's gradient."""

    name = "RemainderBackward1"
    broadcasts = True
    saves = (0, 1)
    rule = ("∂(a mod b)/∂a = 1", "∂(a mod b)/∂b = −⌊a/b⌋")

    forward = _remainder

    def backward(self, g, a, b):
        return (g if self.needs(0) else None, -g * DivRounding.call(a, b, rounding_mode="floor"))


class RemainderByConstant(Function):
    """`a % b` with a tensor b that does not require grad: nothing is saved (PyTorch saves only for b).
    Not a subclass of Remainder: an op class's backward is bound when the class is made."""

    name = "RemainderBackward1"
    broadcasts = True
    rule = Remainder.rule

    forward = Remainder.forward

    def backward(self, g, a, b):
        return (g, None)


class FmodScalar(Function):
    """`fmod(a, c)` with a number c: the remainder of division rounded toward zero (C's fmod)."""

    name = "FmodBackward0"
    rule = ("∂ fmod(a, c)/∂a = 1",)

    def forward(self, a, other):
        return _fmod(self, a, other)

    def backward(self, g, a):
        return (g,)


class Fmod(Function):
    name = "FmodBackward1"
    broadcasts = True
    saves = (0, 1)
    rule = ("∂ fmod(a, b)/∂a = 1", "∂ fmod(a, b)/∂b = −trunc(a/b)")

    forward = _fmod

    def backward(self, g, a, b):
        return (g if self.needs(0) else None, -g * DivRounding.call(a, b, rounding_mode="trunc"))


class FmodByConstant(Function):
    name = "FmodBackward1"
    broadcasts = True
    rule = Fmod.rule

    forward = Fmod.forward

    def backward(self, g, a, b):
        return (g, None)


class Neg(Function):
    name = "NegBackward0"
    rule = ("∂(−u)/∂u = −1",)

    def forward(self, a):
        return np.negative(a)

    def backward(self, g, a):
        return (-g,)


class Reciprocal(Function):
    name = "ReciprocalBackward0"
    saves = ("out",)
    rule = ("∂(1/u)/∂u = −1/u²",)

    def forward(self, a):
        return np.reciprocal(as_float(a))

    def backward(self, g, a, out):
        return (-g * (out * out),)  # PyTorch's order: -grad * (result * result)


class Pow(Function):
    """`a ** p` with a number p."""

    name = "PowBackward0"
    saves = (0,)
    rule = ("∂(uᵖ)/∂u = p·uᵖ⁻¹",)

    def forward(self, a, exponent):
        self.exponent = exponent
        if isinstance(exponent, float) and a.dtype.kind != "f":
            a = a.astype(dtypes.DEFAULT_FLOAT.np)
        if a.dtype.kind in "iu" and isinstance(exponent, int) and exponent < 0:
            from gradcli.errors import ArgumentError
            raise ArgumentError("integers cannot be raised to negative integer powers",
                                hint="use a float tensor (tensor(2.)) or a float exponent")
        return np.power(a, exponent)

    def backward(self, g, a):
        p = self.exponent
        if p == 0:
            return (no_gradient(g),)  # PyTorch: zeros_like(self)
        return (g * (p * Pow.call(a, exponent=p - 1)),)


class PowTensor(Function):
    """`a ** b` with a tensor exponent."""

    name = "PowBackward1"
    saves = (0, 1, "out")
    broadcasts = True
    rule = ("∂(aᵇ)/∂a = b·aᵇ⁻¹", "∂(aᵇ)/∂b = aᵇ·ln a")

    _power = binary(np.power)

    def forward(self, a, b):
        if _boolean(a) and _boolean(b):
            from gradcli.errors import DTypeError
            raise DTypeError("pow is not implemented for two bool tensors", hint="convert one first: a.long() ** b")
        return self._power(a, b)

    def backward(self, g, a, b, out):
        ga = gb = None
        if self.needs(0):
            ga = Where.call(b == 0, 0.0, g * b * PowTensor.call(a, b - 1))
        if self.needs(1):
            gb = Where.call((a == 0) & (b >= 0), 0.0, g * out * Log.call(a))
        return ga, gb


class RPow(Function):
    """`c ** a` with a number base c."""

    name = "PowBackward2"
    saves = (0, "out")  # PyTorch saves the exponent too (its backward reads only the result)
    rule = ("∂(cᵘ)/∂u = cᵘ·ln c",)

    def forward(self, a, base):
        self.base = base
        return np.power(base, as_float(a) if isinstance(base, float) else a)

    def backward(self, g, a, out):
        c = self.base
        if c == 0:
            return (g * 0,)
        return (g * (out * float(np.log(c))),)  # PyTorch's order: grad * (result * log(base))


def _unary(np_fn, grad_fn_name, rule, derivative, save="x", grad_op=None, divides=False):
    """Build a float function op class: y = f(u), ∂y/∂u = derivative(u), or derivative(y) for an op
    that saves its result (save="out"). With `grad_op`, backward is grad_op(g, y), an op of its own
    (PyTorch's sigmoid_backward, tanh_backward), so a second derivative records PyTorch's node. With
    `divides`, backward is g / derivative, as PyTorch writes log's, log1p's and sqrt's (g * (1/u)
    rounds differently): under create_graph the division saves u, so a later write into u is refused
    there too."""

    array_out = {"out": ARRAY_OUT} if isinstance(np_fn, np.ufunc) else {}
    if grad_op is not None:
        grad_call, grad_forward, grad_scratch = grad_op.call, grad_op.forward, grad_op._scratch

    class Unary(Function):
        name = grad_fn_name
        grows = False
        saves = ("out",) if save == "out" else (0,)

        def forward(self, a):
            if type(a) is not ndarray:
                if isinstance(a, np.floating):  # a 0-dim value in backward: stays a NumPy scalar (see times)
                    return np_fn(a)
                a = as_float(a)
            elif a.dtype.kind != "f":
                a = as_float(a)
            return np_fn(a) if a.ndim or not array_out else np_fn(a, out=ARRAY_OUT)

        if grad_op is not None:
            def backward(self, g, a, out):
                if type(out) is ndarray:  # first order (create_graph saves Tensors): the arithmetic, no node
                    return (grad_forward(grad_scratch, g, out if type(g) is ndarray else scalar(out)),)
                return (grad_call(g, out),)
        elif divides and save == "out":
            def backward(self, g, a, out):
                return (g / derivative(scalar(out) if type(g) is not ndarray else out),)
        elif divides:
            def backward(self, g, a):
                return (g / derivative(scalar(a) if type(g) is not ndarray else a),)
        elif save == "out":
            def backward(self, g, a, out):
                return (times(g, derivative(scalar(out) if type(g) is not ndarray else out)),)
        else:
            def backward(self, g, a):
                return (times(g, derivative(scalar(a) if type(g) is not ndarray else a)),)

    Unary.rule = (rule,)
    Unary.__name__ = Unary.__qualname__ = grad_fn_name.replace("Backward0", "")
    return Unary


ROUND_ONCE_MAX = 1 << 16


def rounded(ufunc, exact):
    """A float32 math function computed in float64 and rounded once. PyTorch's CPU kernels (SLEEF's
    1-ULP functions) nearly always return the correctly rounded float32 result; NumPy's float32 loops
    are one ULP off it for many values, which .item() shows. Against torch 2.13 on 100,000 values:
    exp 40 % → 1 %, tanh 32 % → 0.1 %, log 17 % → 8 %. (sin and cos, 13 % and 19 % → 5 %, keep NumPy's
    loops: rounding an array once costs two more NumPy calls per op, and they chain long.)
    A 0-dim value goes through `exact`, the math module's function: cheaper than NumPy's call.
    Arrays of more than ROUND_ONCE_MAX elements keep NumPy's float32 loop: rounding doubles the cost
    of the op there (an MLP layer's tanh), and such tensors print summarised."""
    f32, f64 = np.dtype(np.float32), np.dtype(np.float64)
    as_scalar = np.float32

    def fn(a):
        if a.dtype is f32 and a.size <= ROUND_ONCE_MAX:
            if not a.ndim:
                try:
                    r = exact(a)
                except (ValueError, OverflowError):  # log(0), exp(1000.): NumPy's inf or nan below
                    pass
                else:
                    return np.array(r, f32) if type(a) is ndarray else as_scalar(r)
            return ufunc(a.astype(f64)).astype(f32)
        return ufunc(a, out=ARRAY_OUT) if type(a) is ndarray and not a.ndim else ufunc(a)

    fn.__name__ = ufunc.__name__
    return fn


exp32, log32, log1p32 = rounded(np.exp, math.exp), rounded(np.log, math.log), rounded(np.log1p, math.log1p)


Exp = _unary(exp32, "ExpBackward0", "∂ exp(u)/∂u = exp(u)", lambda y: y, save="out")
Log = _unary(log32, "LogBackward0", "∂ ln(u)/∂u = 1/u", lambda x: x, divides=True)
Log1p = _unary(log1p32, "Log1PBackward0", "∂ ln(1+u)/∂u = 1/(1+u)", lambda x: x + 1, divides=True)
Sqrt = _unary(np.sqrt, "SqrtBackward0", "∂ √u/∂u = 1/(2√u)", lambda y: 2 * y, save="out", divides=True)
Cos = _unary(np.cos, "CosBackward0", "∂ cos(u)/∂u = −sin(u)", lambda x: -Sin.call(x))
Sin = _unary(np.sin, "SinBackward0", "∂ sin(u)/∂u = cos(u)", Cos.call)
Tan = _unary(np.tan, "TanBackward0", "∂ tan(u)/∂u = 1 + tan²(u)", lambda y: 1 + y * y, save="out")


class TanhGrad(Function):
    """Tanh's backward g·(1 − y²) as an op (PyTorch's tanh_backward(g, y)): TanhBackwardBackward0."""

    name = "TanhBackwardBackward0"
    grows = False
    saves = (0, 1)
    rule = ("∂/∂g = 1 − tanh²(u)", "∂/∂tanh(u) = −2·tanh(u)·g")

    def forward(self, g, y):
        if y.dtype == np.float32 and y.size <= ROUND_ONCE_MAX:  # PyTorch's kernel fuses 1 - y·y (an FMA)
            return g * (1 - y.astype(np.float64) * y).astype(np.float32)
        return g * (1 - y * y)

    def backward(self, gg, g, y):
        wants = self.next_nodes
        return (TanhGrad.call(gg, y) if wants[0] is not None else None,
                -2 * y * gg * g if wants[1] is not None else None)


class SigmoidGrad(Function):
    """Sigmoid's backward g·y(1 − y) as an op (PyTorch's sigmoid_backward(g, y)): SigmoidBackwardBackward0."""

    name = "SigmoidBackwardBackward0"
    grows = False
    saves = (0, 1)
    rule = ("∂/∂g = σ(u)(1 − σ(u))", "∂/∂σ(u) = g·(1 − 2σ(u))")

    def forward(self, g, y):
        return g * (1 - y) * y  # PyTorch's kernel: grad * (1 - y) * y

    def backward(self, gg, g, y):
        wants = self.next_nodes
        return (SigmoidGrad.call(gg, y) if wants[0] is not None else None,
                gg * g * (-2 * y + 1) if wants[1] is not None else None)


Tanh = _unary(rounded(np.tanh, math.tanh), "TanhBackward0", "∂ tanh(u)/∂u = 1 − tanh²(u)", lambda y: 1 - y * y, save="out",
              grad_op=TanhGrad)


def _sigmoid(a):
    # PyTorch's kernel form, safe at both tails: exp(-a) → inf gives 0, → 0 gives 1
    with np.errstate(over="ignore"):
        return (1 / (1 + exp32(-a))).astype(a.dtype, copy=False)


Sigmoid = _unary(_sigmoid, "SigmoidBackward0", "∂ σ(u)/∂u = σ(u)(1 − σ(u))", lambda y: y * (1 - y),
                 save="out", grad_op=SigmoidGrad)


class Relu(Function):
    name = "ReluBackward0"
    saves = ("out",)
    rule = ("∂ relu(u)/∂u = 1 if u > 0 else 0",)

    def forward(self, a):
        return np.maximum(0, a).astype(a.dtype, copy=False)  # NumPy keeps its second operand on a tie: relu(-0.) is -0., as in PyTorch

    def backward(self, g, a, out):
        return (ReluGrad.call(g, out),)


class ReluGrad(Function):
    """Relu's backward as an op (PyTorch's threshold_backward(g, result, 0)). Under create_graph it
    takes the result as an input, with a zero derivative, so the gradient requires grad whenever the
    result does, as in PyTorch; a bare `g * mask` would lose that."""

    name = "ThresholdBackwardBackward0"
    grows = False
    saves = (1,)
    rule = ("∂/∂g = 1 where relu(u) > 0", "∂/∂relu(u) = 0")

    def forward(self, g, out):
        return np.where(out > 0, g, np.zeros((), g.dtype))  # +0 elsewhere, as PyTorch's (g * mask gives -0)

    def backward(self, gg, g, out):
        return ReluGrad.call(gg, out), no_gradient(gg)


class Abs(Function):
    name = "AbsBackward0"
    saves = (0,)
    rule = ("∂|u|/∂u = sign(u)",)

    def forward(self, a):
        return np.abs(a)

    def backward(self, g, a):
        return (g * Sgn.call(a),)


class Sign(Function):
    name = "SignBackward0"
    rule = ("∂ sign(u)/∂u = 0",)

    def forward(self, a):
        return np.sign(a)

    def backward(self, g, a):
        return (no_gradient(g),)  # PyTorch: zeros_like(grad)


class Sgn(Function):
    """sgn(u), which PyTorch's gradients of abs and of norms take (sign(u) for real u). Unlike sign it
    saves u and its result, so under create_graph a later write into u is refused, as in PyTorch."""

    name = "SgnBackward0"
    saves = (0, "out")
    rule = ("∂ sgn(u)/∂u = 0",)

    def forward(self, a):
        return np.sign(a)

    def backward(self, g, a, out):
        return (no_gradient(g),)  # PyTorch: zeros_like for real u (+0, never the -0 of g * 0)


class Clamp(Function):
    name = "ClampBackward1"
    saves = (0,)
    rule = ("∂ clamp(u)/∂u = 1 if lo ≤ u ≤ hi else 0",)

    def forward(self, a, min=None, max=None):
        self.lo, self.hi = min, max
        if min is not None and max is not None:
            return np.minimum(max, np.maximum(min, a)).astype(a.dtype, copy=False) if min <= max \
                else np.full_like(a, max)
        if min is not None:
            return np.maximum(min, a).astype(a.dtype, copy=False)  # a tie keeps a (-0. stays -0.), as in PyTorch
        if max is not None:
            return np.minimum(max, a).astype(a.dtype, copy=False)
        from gradcli.errors import ArgumentError
        raise ArgumentError("clamp() needs min or max", hint="clamp(x, min=0.0) or clamp(x, 0.0, 1.0)")

    def backward(self, g, a):
        mask = True
        if self.lo is not None:
            mask = a >= self.lo
        if self.hi is not None:
            mask = (a <= self.hi) & mask
        return (Where.call(mask, g, 0.0),)  # PyTorch: where(mask, grad, 0), so +0 outside, never -0


def _maximum(a, b, out=None):
    """np.maximum keeping `a` on a tie, as PyTorch does (maximum(-0., 0.) is -0.): NumPy keeps its second operand."""
    return np.maximum(b, a, out=out)


def _minimum(a, b, out=None):
    return np.minimum(b, a, out=out)


class ClampTensor(Function):
    """`clamp` with tensor bounds (either may be None): PyTorch's clamp.Tensor, whose result broadcasts
    the input with the bounds, and whose bounds get gradients where they are the result."""

    name = "ClampBackward0"
    saves = (0, 1, 2)
    broadcasts = True
    rule = ("∂ clamp(u)/∂u = 1 if lo ≤ u ≤ hi else 0", "∂ clamp(u)/∂lo = 1 where u < lo < hi",
            "∂ clamp(u)/∂hi = 1 where u > hi or hi < lo")

    def forward(self, a, lo, hi):
        present = [x for x in (a, lo, hi) if x is not None]
        if len(present) == 1:
            from gradcli.errors import ArgumentError
            raise ArgumentError("clamp() needs min or max", hint="clamp(x, min=0.0) or clamp(x, 0.0, 1.0)")
        dt = result_dtype(*present)
        for x in present[1:]:
            broadcast_check(np.asarray(a), np.asarray(x))
        out = np.asarray(a, dtype=dt)
        if lo is not None:  # the input's operand second: NumPy keeps it on a tie, as PyTorch keeps the input
            out = np.maximum(np.asarray(lo, dtype=dt), out)
        if hi is not None:
            out = np.minimum(np.asarray(hi, dtype=dt), out)
        return out

    def backward(self, g, a, lo, hi):
        # PyTorch's clamp_backward_min_max: where(condition, grad, 0) for each input
        a, lo, hi = _array(a), _array(lo), _array(hi)
        ga = glo = ghi = None
        if lo is not None and hi is not None:
            if self.needs(0):
                ga = Where.call((a >= lo) & (a <= hi), g, 0.0)
            if self.needs(1):
                glo = Where.call((a < lo) & (lo < hi), g, 0.0)
            if self.needs(2):
                ghi = Where.call((a > hi) | (hi < lo), g, 0.0)
        elif lo is not None:
            ga = Where.call(a >= lo, g, 0.0) if self.needs(0) else None
            glo = Where.call(a < lo, g, 0.0) if self.needs(1) else None
        else:
            ga = Where.call(a <= hi, g, 0.0) if self.needs(0) else None
            ghi = Where.call(a > hi, g, 0.0) if self.needs(2) else None
        return ga, glo, ghi


class Maximum(Function):
    name = "MaximumBackward0"
    saves = (0, 1)
    broadcasts = True
    rule = ("∂ max(a,b)/∂a = 1 if a > b (½ if a = b)", "∂ max(a,b)/∂b = 1 if b > a (½ if a = b)")

    forward = binary(_maximum)

    def backward(self, g, a, b):
        # PyTorch: where(a == b, grad / 2, grad).masked_fill_(a < b, 0) for a (a > b for b): +0, never -0
        a, b = _array(a), _array(b)
        split = Where.call(a == b, g / 2, g)
        return (Where.call(a < b, 0.0, split) if self.needs(0) else None,
                Where.call(a > b, 0.0, split) if self.needs(1) else None)


class Minimum(Function):
    name = "MinimumBackward0"
    saves = (0, 1)
    broadcasts = True
    rule = ("∂ min(a,b)/∂a = 1 if a < b (½ if a = b)", "∂ min(a,b)/∂b = 1 if b < a (½ if a = b)")

    forward = binary(_minimum)

    def backward(self, g, a, b):
        a, b = _array(a), _array(b)
        split = Where.call(a == b, g / 2, g)
        return (Where.call(a > b, 0.0, split) if self.needs(0) else None,
                Where.call(a < b, 0.0, split) if self.needs(1) else None)


class Where(Function):
    """`where(cond, a, b)`: the condition is a parameter, not a slot (as in PyTorch)."""

    name = "WhereBackward0"
    # PyTorch saves the condition: a second backward without retain_graph is refused, as there
    saves = ("condition",)
    broadcasts = True
    rule = ("∂/∂a = 1 where cond", "∂/∂b = 1 where not cond")

    @classmethod
    def call(cls, cond, a, b):
        from gradcli.engine.tensor import Tensor
        if isinstance(cond, Tensor):  # a copy: backward must not see a later write into the condition
            cond = cond.array.copy()
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            return cls.apply(a, b, cond=cond)
        return cls.__new__(cls).forward(a, b, cond=cond)

    def forward(self, a, b, cond):
        self.cond = np.asarray(cond, dtype=bool)
        a, b, dt = promote(a, b)
        limits.check_shape(np.broadcast_shapes(self.cond.shape, np.shape(a), np.shape(b)))
        out = np.where(self.cond, a, b)
        return out if out.dtype == dt else out.astype(dt)

    def backward(self, g, a, b):
        # PyTorch: where(cond, grad, 0) and where(cond, 0, grad): +0, never the -0 of g * 0
        return (Where.call(self.cond, g, 0.0) if self.needs(0) else None,
                Where.call(self.cond, 0.0, g) if self.needs(1) else None)


class Clone(Function):
    name = "CloneBackward0"
    rule = ("∂u/∂u = 1",)

    def forward(self, a):
        return a.copy()

    def backward(self, g, a):
        return (g,)


class ToCopy(Function):
    """Dtype conversion (`.double()`, `.to(torch.float64)`): the gradient converts back."""

    name = "ToCopyBackward0"
    rule = ("∂u/∂u = 1",)

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def backward(self, g, a):
        return (ToCopy.call(g, dtype=self.dtype) if self.dtype.kind == "f" else None,)


# -- bindings: the functions behind operators, methods and torch.X -------------------------
def _tensor():
    return Tensor


def operand(x, what="argument"):
    """A Tensor or a Python number; anything else is a clear type error."""
    if isinstance(x, (bool, int, float)) or isinstance(x, _tensor()):
        return x
    if isinstance(x, (np.floating, np.integer, np.bool_)):
        return x.item()
    from gradcli.errors import ValueTypeError
    raise ValueTypeError(f"expected a tensor or a number as {what}, got {type(x).__name__}")


def fused_add(a, b, alpha):
    """a + alpha·b rounded once, as PyTorch's vectorized add with alpha computes it (an FMA; alpha
    first converted to the dtype). float64 has no exact FMA in NumPy: two roundings there."""
    if a.dtype == np.float32 and getattr(b, "dtype", None) == np.float32:
        alpha = float(np.float32(alpha))
        return (a.astype(np.float64) + b.astype(np.float64) * alpha).astype(np.float32)
    return a + b * a.dtype.type(alpha) if a.dtype.kind == "f" else a + b * alpha


class AddAlpha(Function):
    """`add(a, b, alpha=c)` with a tensor b: one node, as in PyTorch (a + c·b, rounded once)."""

    name = "AddBackward0"
    broadcasts = True
    rule = ("∂(a + c·b)/∂a = 1", "∂(a + c·b)/∂b = c")
    sign = 1

    def forward(self, a, b, alpha):
        self.alpha = alpha
        a, b, dt = promote(a, b)
        if isinstance(a, ndarray) and isinstance(b, ndarray) and a.shape != b.shape:
            broadcast_check(a, b)
        a, b = np.asarray(a, dtype=dt), np.asarray(b, dtype=dt)
        out = fused_add(*np.broadcast_arrays(a, b), alpha * self.sign)
        return out if out.dtype == dt else out.astype(dt)

    def backward(self, g, a, b):
        # PyTorch: grad for a; grad * alpha for b (sub: -grad * alpha)
        return (g if self.needs(0) else None, (g if self.sign > 0 else -g) * self.alpha if self.needs(1) else None)


class SubAlpha(AddAlpha):
    """`sub(a, b, alpha=c)` with a tensor b: SubBackward0, a − c·b."""

    name = "SubBackward0"
    rule = ("∂(a − c·b)/∂a = 1", "∂(a − c·b)/∂b = −c")
    sign = -1


def add(a, b, alpha=1):
    if type(a) is Tensor and (type(b) is Tensor or type(b) is float) and alpha == 1:
        return Add.record((a, b))  # the common case, without the checks below
    b = operand(b)
    if alpha != 1:
        if isinstance(b, _tensor()):
            return AddAlpha.apply(a, b, alpha=alpha)
        b = b * alpha
    return Add.apply(a, b) if isinstance(a, _tensor()) else Add.apply(b, a)


def sub(a, b, alpha=1):
    b = operand(b)
    if alpha != 1:
        if isinstance(b, _tensor()):
            return SubAlpha.apply(a, b, alpha=alpha)
        b = b * alpha
    if isinstance(a, _tensor()):
        return Sub.apply(a, b)
    return rsub(b, a)


def rsub(a, b):
    """b - a for a tensor a and a number b."""
    if isinstance(b, _tensor()):
        return Sub.apply(b, a)
    return Rsub.apply(a, other=operand(b))


def mul(a, b):
    if type(a) is Tensor and (type(b) is Tensor or type(b) is float):
        return Mul.record((a, b))
    b = operand(b)
    return Mul.apply(a, b) if isinstance(a, _tensor()) else Mul.apply(b, a)


_UNSET = object()


def div(a, b, rounding_mode=_UNSET):
    if rounding_mode is not _UNSET:  # PyTorch's div.Tensor_mode, even for rounding_mode=None
        if rounding_mode not in (None, "floor", "trunc"):
            from gradcli.errors import ArgumentError
            raise ArgumentError(f"div() rounding_mode must be None, 'trunc' or 'floor', not {rounding_mode!r}",
                                hint="'floor' rounds down as // does, 'trunc' rounds toward zero")
        a, b = operand(a), operand(b)
        if not isinstance(a, _tensor()) and not isinstance(b, _tensor()):
            a = tensor_arg(a, "div")
        return DivRounding.apply(a, b, rounding_mode=rounding_mode)
    b = operand(b)
    if isinstance(a, _tensor()):
        return Div.apply(a, b)
    return rdiv(b, a)


def rdiv(a, b):
    """b / a for a tensor a and a number b: PyTorch records reciprocal then mul."""
    if isinstance(b, _tensor()):
        return Div.apply(b, a)
    return Mul.apply(Reciprocal.apply(a), operand(b))


def pow(a, exponent):
    exponent = operand(exponent, "exponent")
    if not isinstance(a, _tensor()):
        return RPow.apply(exponent, base=operand(a))
    if isinstance(exponent, _tensor()):
        return PowTensor.apply(a, exponent)
    return Pow.apply(a, exponent=exponent)


def rpow(a, base):
    return RPow.apply(a, base=operand(base, "base"))


def floor_divide(a, b):
    return FloorDiv.apply(a, operand(b)) if isinstance(a, _tensor()) else FloorDiv.apply(operand(a), b)


def _modulo(scalar_cls, tensor_cls, constant_cls, of_number=None):
    """remainder / fmod: a number divisor is a parameter (one slot); a tensor divisor is saved only
    when it requires grad, as PyTorch saves only what a requested gradient needs."""
    def op(a, b):
        b = operand(b)
        if not isinstance(a, _tensor()):
            if of_number is None:
                from gradcli.errors import ValueTypeError
                raise ValueTypeError(f"{scalar_cls.name[:-9].lower()}() needs a tensor as its first argument",
                                     hint="wrap the number in torch.tensor(...)")
            return of_number.apply(operand(a), b)
        if not isinstance(b, _tensor()):
            return scalar_cls.apply(a, other=b)
        return (tensor_cls if b.requires_grad else constant_cls).apply(a, b)
    return op


remainder = _modulo(RemainderScalar, Remainder, RemainderByConstant, of_number=RemainderOfNumber)
fmod = _modulo(FmodScalar, Fmod, FmodByConstant)


def clamp(a, min=None, max=None):
    """PyTorch's two overloads: number bounds (ClampBackward1) or tensor bounds (ClampBackward0).
    A 0-dim tensor next to a number bound counts as a number, as PyTorch's argument parser has it."""
    from gradcli.errors import ValueTypeError
    T = _tensor()
    bounds = [min, max]
    tensors = [isinstance(b, T) for b in bounds]
    numbers = [b is not None and not t for b, t in zip(bounds, tensors)]
    if any(tensors) and any(numbers):
        if not all(b.array.ndim == 0 for b, t in zip(bounds, tensors) if t):
            raise ValueTypeError("clamp() takes number bounds or tensor bounds, not a number and a tensor",
                                 hint="make both bounds tensors (torch.full_like(x, 0.)) or both numbers")
        bounds = [b.item() if t else b for b, t in zip(bounds, tensors)]
        tensors = [False, False]
    bounds = [int(b) if isinstance(b, bool) else b for b in bounds]  # a bool is a number to PyTorch
    for bound, t in zip(bounds, tensors):
        if bound is not None and not t and not isinstance(bound, (int, float)):
            raise ValueTypeError(f"clamp() bounds must be numbers or tensors, got {type(bound).__name__}")
    if any(tensors):
        return ClampTensor.apply(tensor_arg(a, "clamp"), bounds[0], bounds[1])
    return Clamp.apply(tensor_arg(a, "clamp"), min=bounds[0], max=bounds[1])


def where(cond, a, b):
    out = Where.call(cond, operand(a), operand(b))
    return out if isinstance(out, _tensor()) else _tensor()(np.asarray(out))


def _two_tensors(a, b, who):
    """torch.maximum/minimum take two tensors; a number is a type error in PyTorch."""
    for x in (a, b):
        if not isinstance(x, _tensor()):
            from gradcli.errors import ValueTypeError
            raise ValueTypeError(f"{who}() takes two tensors, not {type(x).__name__}",
                                 hint=f"wrap the number: torch.{who}(x, torch.tensor(0.)), or use clamp")


def maximum(a, b):
    _two_tensors(a, b, "maximum")
    return Maximum.apply(a, b)


def minimum(a, b):
    _two_tensors(a, b, "minimum")
    return Minimum.apply(a, b)


def _compare(ufunc):
    def compare(a, b):
        T = _tensor()
        b = operand(b)
        x, y, _ = promote(a.array if isinstance(a, T) else a, b.array if isinstance(b, T) else b)
        if isinstance(x, ndarray) and isinstance(y, ndarray) and x.shape != y.shape:
            broadcast_check(x, y)
        return T(np.asarray(ufunc(x, y)))
    compare.__name__ = ufunc.__name__
    return compare


eq, ne, lt, le, gt, ge = (_compare(u) for u in (np.equal, np.not_equal, np.less, np.less_equal,
                                                np.greater, np.greater_equal))


def logical(ufunc):
    def op(a, b=None):
        T = _tensor()
        args = [x.array if isinstance(x, T) else x for x in ((a,) if b is None else (a, b))]
        return T(np.asarray(ufunc(*args)))
    return op


def to_dtype(a, dtype):
    a = tensor_arg(a, "to")
    if a.array.dtype == dtype:
        return a
    if a.requires_grad and dtype.kind != "f":
        return _tensor()(a.array.astype(dtype))
    return ToCopy.apply(a, dtype=dtype)


UNARY = {"neg": Neg, "negative": Neg, "exp": Exp, "log": Log, "log1p": Log1p, "sqrt": Sqrt, "sin": Sin,
         "cos": Cos, "tan": Tan, "tanh": Tanh, "sigmoid": Sigmoid, "relu": Relu, "abs": Abs, "sign": Sign,
         "reciprocal": Reciprocal, "clone": Clone}

def tensor_arg(x, who: str):
    """The tensor an op works on; a Python number becomes a 0-dim tensor (exp(1.0) is fine)."""
    if type(x) is Tensor:
        return x
    if isinstance(x, (bool, int, float, np.number)):
        from gradcli.engine.ops.creation import tensor
        return tensor(x.item() if isinstance(x, np.number) else x)
    from gradcli.errors import ValueTypeError
    raise ValueTypeError(f"{who}() needs a tensor, got {type(x).__name__}")


def _on_tensor(cls, name):
    record = cls.record

    def op(x):
        return record((x if type(x) is Tensor else tensor_arg(x, name),))
    op.__name__ = op.__qualname__ = name
    return op


FUNCTIONS = {name: _on_tensor(cls, name) for name, cls in UNARY.items()}
FUNCTIONS.update(add=add, sub=sub, subtract=sub, mul=mul, multiply=mul, div=div, divide=div,
                 true_divide=div, pow=pow, floor_divide=floor_divide, remainder=remainder, fmod=fmod,
                 clamp=clamp, clip=clamp, where=where, maximum=maximum, minimum=minimum, rsub=rsub,
                 eq=eq, ne=ne, lt=lt, le=le, gt=gt, ge=ge, greater=gt, less=lt,
                 logical_not=logical(np.logical_not), logical_and=logical(np.logical_and),
                 logical_or=logical(np.logical_or), detach=lambda t: tensor_arg(t, "detach").detach())
FUNCTIONS["ln"] = _on_tensor(Log, "ln")
