"""Everything a script can name, as explicit tables: nothing reaches Python by reflection.

A script sees builtins, the torch namespaces (`torch.`, `torch.nn.functional.`
/ `F.`, `nn.`, `torch.autograd.`, `torch.optim.`, `torch.linalg.`), the same
functions bare (`ones(5)`), and on values only the attributes and methods
listed here. Unknown names suggest the closest known one.
"""

from __future__ import annotations

import functools
import math

from gradcli.engine import api, optim
from gradcli.engine.dtypes import DType
from gradcli.engine.function import AccumulateGrad, Function
from gradcli.engine.ops.reduce import MinMaxResult
from gradcli.engine.tensor import Size, Tensor
from gradcli.errors import UnknownAttribute, ValueTypeError


class Namespace:
    """A module-like table (`torch`, `F`, ...): attribute access reads the table."""

    def __init__(self, display: str, table: dict):
        self.display_name = f"<module '{display}'>"
        self.path = display
        self.table = table

    def lookup(self, attr: str):
        if attr in self.table:
            return self.table[attr]
        raise UnknownAttribute(f"'{self.path}' has no '{attr}'", hint=suggest(attr, self.table))


def suggest(name: str, choices) -> str | None:
    import difflib  # only when there is an error to explain
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


FUNCTIONAL = Namespace("torch.nn.functional", api.FUNCTIONAL)
NN = Namespace("torch.nn", {"functional": FUNCTIONAL})
AUTOGRAD = Namespace("torch.autograd", api.AUTOGRAD)
OPTIM = Namespace("torch.optim", api.OPTIM)
LINALG = Namespace("torch.linalg", api.LINALG)
TORCH = Namespace("torch", {**api.TORCH, "nn": NN, "autograd": AUTOGRAD, "optim": OPTIM,
                            "linalg": LINALG, "pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan,
                            "Tensor": Tensor, "Size": Size})

MODULES = {"torch": TORCH, "torch.nn": NN, "torch.nn.functional": FUNCTIONAL, "torch.autograd": AUTOGRAD,
           "torch.optim": OPTIM, "torch.linalg": LINALG}

CONSTANTS = {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}

# Bare names: torch functions, then nn.functional, then autograd (`grad(y, x)`).
BARE: dict = {}
BARE.update(api.AUTOGRAD)
BARE.update(api.FUNCTIONAL)
BARE.update(api.TORCH)
BARE.update(CONSTANTS)
BARE.update(torch=TORCH, F=FUNCTIONAL, nn=NN, SGD=optim.SGD)

# -- attributes of values ---------------------------------------------------------------
TENSOR_PROPERTIES = {
    "grad": lambda t: t.grad, "grad_fn": lambda t: t.grad_fn, "requires_grad": lambda t: t.requires_grad,
    "is_leaf": lambda t: t.is_leaf, "data": lambda t: t.data, "shape": lambda t: t.shape,
    "dtype": lambda t: t.dtype, "T": lambda t: t.T, "mT": lambda t: t.mT, "ndim": lambda t: t.dim(),
    "device": lambda t: t.device, "retains_grad": lambda t: t.retains_grad,
    "_version": lambda t: t._version[0], "name": lambda t: t.name,
}
def _numpy(t: Tensor) -> Tensor:
    """Scripts never hold raw NumPy arrays: numpy() keeps PyTorch's check and gives a detached tensor."""
    t.numpy()
    return t.detach()


TENSOR_METHODS = dict(api.METHODS)
TENSOR_METHODS.update(
    backward=Tensor.backward, requires_grad_=Tensor.requires_grad_, retain_grad=Tensor.retain_grad,
    detach=Tensor.detach, item=Tensor.item, tolist=Tensor.tolist, size=Tensor.size, dim=Tensor.dim,
    numel=Tensor.numel, is_floating_point=Tensor.is_floating_point, numpy=_numpy,
)


def _set_requires_grad(t: Tensor, value) -> None:
    if not isinstance(value, bool):
        raise ValueTypeError(f"requires_grad must be True or False, not {type_name(value)}")
    t.requires_grad_(value)


def _set_grad(t: Tensor, value) -> None:
    t.grad = value


def _set_data(t: Tensor, value) -> None:
    t.data = value


TENSOR_SETTERS = {"requires_grad": _set_requires_grad, "grad": _set_grad, "data": _set_data}

NODE_ATTRS = {"next_functions": lambda n: n.next_functions, "name": lambda n: (lambda: n.name),
              "variable": lambda n: n.variable if isinstance(n, AccumulateGrad) else _no_attr(n, "variable")}

LIST_METHODS = {name: getattr(list, name) for name in
                ("append", "extend", "pop", "insert", "index", "count", "reverse", "copy", "clear", "remove")}
DICT_METHODS = {name: getattr(dict, name) for name in ("items", "keys", "values", "get", "pop", "update",
                                                         "copy", "clear", "setdefault")}
STR_METHODS = {name: getattr(str, name) for name in
               ("upper", "lower", "strip", "lstrip", "rstrip", "split", "join", "replace", "startswith",
                "endswith", "find", "center", "ljust", "rjust", "title", "capitalize", "count", "zfill",
                "isdigit", "isalpha", "splitlines")}
SEQ_METHODS = {"index": tuple.index, "count": tuple.count}
def _cap(n: int) -> None:
    from gradcli.engine import limits
    from gradcli.errors import LimitExceeded
    if n > limits.max_elements:
        raise LimitExceeded(f"a value of {n:,} items would be over the limit of {limits.max_elements:,}",
                            hint="use smaller sizes, or raise --max-elements")


def _padded(method):
    def pad(s, width, *fill):
        if isinstance(width, int):
            _cap(width)
        return method(s, width, *fill)
    return pad


def _replace(s, old, new, count=-1):
    if isinstance(old, str) and isinstance(new, str) and old:
        hits = s.count(old) if count < 0 else min(count, s.count(old))
        _cap(len(s) + hits * max(0, len(new) - len(old)))
    return s.replace(old, new, count)


def _join(sep, items):
    out = sep.join(items)
    _cap(len(out))
    return out


def _extend(lst, items):
    items = list(items) if not hasattr(items, "__len__") else items
    _cap(len(lst) + len(items))
    lst.extend(items)


def _update(d, *args, **kw):
    d.update(*args, **kw)
    _cap(len(d))


STR_METHODS.update(ljust=_padded(str.ljust), rjust=_padded(str.rjust), center=_padded(str.center),
                   zfill=_padded(str.zfill), replace=_replace, join=_join)
LIST_METHODS["extend"] = _extend
DICT_METHODS["update"] = _update
DTYPE_ATTRS = {"is_floating_point": lambda d: d.is_floating_point, "itemsize": lambda d: d.itemsize}
FLOAT_METHODS = {"is_integer": float.is_integer, "hex": float.hex}


def _no_attr(obj, attr):
    raise UnknownAttribute(f"{type_name(obj)} has no attribute '{attr}'")


def type_name(v) -> str:
    if isinstance(v, Tensor):
        return "a tensor"
    if isinstance(v, (Function, AccumulateGrad)):
        return f"grad_fn {v.name}"
    if isinstance(v, Namespace):
        return f"module '{v.path}'"
    if isinstance(v, bool):
        return "a bool"
    return {int: "an int", float: "a float", str: "a string", list: "a list", tuple: "a tuple",
            dict: "a dict", type(None): "None"}.get(type(v), f"a {type(v).__name__} value")


def get_attribute(obj, attr: str):
    """`obj.attr` for the language: tables only."""
    if attr.startswith("__"):
        raise UnknownAttribute(f"'{attr}' is not available in gradcli",
                               hint="names with double underscores are not part of the language")
    if isinstance(obj, Tensor):
        getter = TENSOR_PROPERTIES.get(attr)
        if getter is not None:
            return getter(obj)
        method = TENSOR_METHODS.get(attr)
        if method is not None:
            return bound(method, obj, attr)
        raise UnknownAttribute(f"a tensor has no attribute '{attr}'",
                               hint=suggest(attr, [*TENSOR_PROPERTIES, *TENSOR_METHODS]))
    if isinstance(obj, Namespace):
        return obj.lookup(attr)
    if isinstance(obj, (Function, AccumulateGrad)):
        getter = NODE_ATTRS.get(attr)
        if getter is not None:
            return getter(obj)
        raise UnknownAttribute(f"grad_fn {obj.name} has no attribute '{attr}'", hint=suggest(attr, NODE_ATTRS))
    if isinstance(obj, MinMaxResult) and attr in ("values", "indices"):
        return obj[0] if attr == "values" else obj[1]
    table = _table_for(obj)
    if table is not None and attr in table:
        entry = table[attr]
        if isinstance(obj, DType):
            return entry(obj)
        return bound(entry, obj, attr)
    attrs = getattr(type(obj), "language_attributes", None)
    if attrs is not None and attr in attrs:
        value = attrs[attr](obj)
        return value
    raise UnknownAttribute(f"{type_name(obj)} has no attribute '{attr}'",
                           hint=suggest(attr, table or attrs or ()))


def _table_for(obj):
    if isinstance(obj, list):
        return LIST_METHODS
    if isinstance(obj, dict):
        return DICT_METHODS
    if isinstance(obj, str):
        return STR_METHODS
    if isinstance(obj, tuple):
        return SEQ_METHODS
    if isinstance(obj, DType):
        return DTYPE_ATTRS
    if isinstance(obj, float):
        return FLOAT_METHODS
    return None


def bound(fn, obj, attr):
    method = functools.partial(fn, obj)
    return BoundMethod(method, attr)


class BoundMethod:
    """A method taken from a value (`x.backward`): callable, prints without an address."""

    __slots__ = ("fn", "display_name")

    def __init__(self, fn, attr):
        self.fn = fn
        self.display_name = f"<bound method {attr}>"

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)


def set_attribute(obj, attr: str, value) -> None:
    if isinstance(obj, Tensor) and attr in TENSOR_SETTERS:
        TENSOR_SETTERS[attr](obj, value)
        return
    if attr.startswith("__"):
        raise UnknownAttribute(f"'{attr}' is not available in gradcli")
    raise UnknownAttribute(f"cannot set attribute '{attr}' of {type_name(obj)}",
                           hint="tensors accept .grad, .requires_grad and .data" if isinstance(obj, Tensor)
                           else None)
