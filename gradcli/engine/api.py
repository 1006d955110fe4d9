"""The one registry that binds ops to Tensor operators and methods and to the torch namespace.

Each op family module exports `FUNCTIONS` (torch.X names) and may export
`METHODS` (Tensor methods that are not simply torch.X with the tensor first)
and `FUNCTIONAL` (torch.nn.functional names). Importing this module attaches
everything to `Tensor` once.
"""

from __future__ import annotations

import types

import numpy as np

from gradcli.engine import autograd, dtypes, grad_mode, optim
from gradcli.engine.ops import creation, elementwise as ew, linalg, nn, reduce, shape
from gradcli.engine.tensor import Tensor

FAMILIES = (ew, creation, reduce, linalg, shape, nn)

TORCH: dict = {}
for _family in FAMILIES:
    TORCH.update(_family.FUNCTIONS)

FUNCTIONAL: dict = dict(nn.FUNCTIONAL)
for _name in ("relu", "sigmoid", "tanh", "softmax", "log_softmax"):
    if _name in TORCH:
        FUNCTIONAL.setdefault(_name, TORCH[_name])

TORCH.update(
    {d.name: d for d in dtypes.ALL},
    float=dtypes.float32, double=dtypes.float64, half=dtypes.float16, long=dtypes.int64,
    int=dtypes.int32, bool=dtypes.bool_,
    no_grad=grad_mode.no_grad, enable_grad=grad_mode.enable_grad,
    set_grad_enabled=grad_mode.set_grad_enabled, is_grad_enabled=grad_mode.is_grad_enabled,
    is_tensor=lambda x: isinstance(x, Tensor), numel=lambda t: ew.tensor_arg(t, "numel").numel(),
)

AUTOGRAD = dict(grad=autograd.grad, gradcheck=lambda *args, **kw: _gradcheck()(*args, **kw), backward=lambda t, grad_tensors=None, retain_graph=None,
                create_graph=False, inputs=None: autograd.backward(t, grad_tensors, retain_graph, create_graph,
                                                                   inputs),
                no_grad=grad_mode.no_grad, enable_grad=grad_mode.enable_grad,
                detect_anomaly=grad_mode.detect_anomaly, set_detect_anomaly=grad_mode.set_detect_anomaly,
                is_anomaly_enabled=grad_mode.is_anomaly_enabled, set_grad_enabled=grad_mode.set_grad_enabled)

def _gradcheck():
    from gradcli.engine.gradcheck import gradcheck  # rarely used: kept off the start-up path
    return gradcheck


OPTIM = dict(SGD=optim.SGD)
LINALG = dict(reduce.LINALG)

# Tensor methods: every torch.X that takes the tensor first, unless a family says otherwise.
_NOT_METHODS = set(creation.FUNCTIONS) | {"where", "cat", "stack", "concat", "concatenate", "is_tensor",
                                         "set_grad_enabled", "is_grad_enabled", "no_grad", "enable_grad",
                                         "rsub"} | {d.name for d in dtypes.ALL}
METHODS: dict = {name: fn for name, fn in TORCH.items() if callable(fn) and name not in _NOT_METHODS
                 and not isinstance(fn, type)}
for _family in FAMILIES:
    METHODS.update(getattr(_family, "METHODS", {}))


def _inplace(fn):
    def method(self, *args, **kw):
        self.check_inplace()
        return self.write_inplace(fn(self, *args, **kw))
    method.__name__ = fn.__name__ + "_"
    return method


for _name in ("add", "sub", "mul", "div", "pow", "clamp", "clip", "exp", "log", "sqrt", "sin", "cos",
              "tanh", "sigmoid", "relu", "abs", "neg", "floor_divide", "remainder", "fmod"):
    METHODS[_name + "_"] = _inplace(METHODS[_name])
METHODS.update(
    float=lambda t: ew.to_dtype(t, dtypes.float32.np), double=lambda t: ew.to_dtype(t, dtypes.float64.np),
    long=lambda t: ew.to_dtype(t, dtypes.int64.np), int=lambda t: ew.to_dtype(t, dtypes.int32.np),
    bool=lambda t: ew.to_dtype(t, dtypes.bool_.np), half=lambda t: ew.to_dtype(t, dtypes.float16.np),
    type_as=lambda t, other: ew.to_dtype(t, ew.tensor_arg(other, "type_as").array.dtype),
)


def _to(self, *args, dtype=None, **kw):
    for a in args:
        if isinstance(a, dtypes.DType):
            dtype = a
        elif isinstance(a, Tensor):
            dtype = a.dtype
    return self if dtype is None else ew.to_dtype(self, dtype.np)


METHODS["to"] = _to

# PyTorch's legacy CPU tensor type names, which `t.type()` returns and `t.type(name)` accepts
LEGACY_TYPES = {"bool": "BoolTensor", "uint8": "ByteTensor", "int8": "CharTensor", "int16": "ShortTensor",
                "int32": "IntTensor", "int64": "LongTensor", "float16": "HalfTensor", "float32": "FloatTensor",
                "float64": "DoubleTensor"}


def _type(self, dtype=None, non_blocking=False, **kw):
    """`t.type()` names the tensor's type ('torch.FloatTensor'); `t.type(torch.float64)` or
    `t.type('torch.DoubleTensor')` converts, as `t.to(...)` does."""
    if dtype is None:
        return "torch." + LEGACY_TYPES[self.dtype.name]
    if isinstance(dtype, str):
        names = {f"torch.{v}": k for k, v in LEGACY_TYPES.items()}
        if dtype not in names:
            from gradcli.errors import ArgumentError
            raise ArgumentError(f"invalid type: {dtype!r}", hint="use a dtype (torch.float32) or 'torch.FloatTensor'")
        dtype = dtypes.BY_NAME[names[dtype]]
    if not isinstance(dtype, dtypes.DType):
        from gradcli.errors import ValueTypeError
        raise ValueTypeError(f"type() takes a dtype or a type name, not {type(dtype).__name__}",
                             hint="t.type(torch.float32)")
    return ew.to_dtype(self, dtype.np)


METHODS["type"] = _type
METHODS["cpu"] = lambda self: self

def _as_method(fn):
    """Bound classmethods (Op.apply) are not descriptors; wrap them so `t.sin()` passes t."""
    if isinstance(fn, types.FunctionType):
        return fn
    return lambda self, *args, **kw: fn(self, *args, **kw)


_OWN = set(vars(Tensor))  # state methods written in tensor.py stay as they are
for _name, _fn in list(METHODS.items()):
    if _name in _OWN:
        del METHODS[_name]
        continue
    setattr(Tensor, _name, _as_method(_fn))

# Operators. Reflected forms keep the tensor first, as PyTorch records them.
_OPERATORS = dict(
    __add__=ew.add, __radd__=ew.add, __sub__=ew.sub, __rsub__=ew.rsub, __mul__=ew.mul, __rmul__=ew.mul,
    __truediv__=ew.div, __rtruediv__=ew.rdiv, __pow__=ew.pow, __rpow__=ew.rpow,
    __floordiv__=ew.floor_divide, __rfloordiv__=lambda a, b: ew.floor_divide(b, a),
    __mod__=ew.remainder, __rmod__=lambda a, b: ew.remainder(b, a),
    __matmul__=linalg.matmul, __rmatmul__=lambda a, b: linalg.matmul(b, a),
    __neg__=ew.Neg.apply, __pos__=lambda a: a, __abs__=ew.Abs.apply,
    __eq__=ew.eq, __ne__=ew.ne, __lt__=ew.lt, __le__=ew.le, __gt__=ew.gt, __ge__=ew.ge,
    __and__=lambda a, b: ew.logical(np.logical_and)(a, b), __or__=lambda a, b: ew.logical(np.logical_or)(a, b),
    __invert__=lambda a: ew.logical(np.logical_not)(a),
    __getitem__=shape.getitem, __setitem__=shape.setitem,
    __iadd__=_inplace(ew.add), __isub__=_inplace(ew.sub), __imul__=_inplace(ew.mul),
    __itruediv__=_inplace(ew.div),
)
for _name, _fn in _OPERATORS.items():
    setattr(Tensor, _name, _as_method(_fn))
Tensor.T = property(shape.matrix_transpose)
Tensor.mT = property(shape.mT)
