"""The Python side of the language: builtins, user functions, exceptions, and guarded arithmetic.

Every builtin here is safe by construction: no access to files, modules or
object internals, and sizes are capped so no script can exhaust memory.
"""

from __future__ import annotations

import math
import re
import sys

from gradcli.engine import grad_mode, limits
from gradcli.engine.tensor import Size, Tensor, require_tensor
from gradcli.errors import (ArgumentError, AutogradError, DTypeError, GradcliError, IndexOutOfRange, Interrupted,
                            LimitExceeded, NumericError, ShapeError, UnknownAttribute, UnknownName,
                            ValueTypeError)
from gradcli.lang import names
from gradcli.lang.names import MODULES, type_name  # noqa: F401 - re-exported for the compiler
from gradcli.show.values import format_value, register_names, repr_value, str_value  # noqa: F401


class Output:
    """Where print() and echoes go; the runner points `write` at its stream."""

    write = staticmethod(sys.stdout.write)


output = Output()

MAX_INT_BITS = 100_000


def check_length(n: int, span=None) -> None:
    if n > limits.max_elements:
        raise LimitExceeded(f"a sequence of {n:,} items is over the limit of {limits.max_elements:,}",
                            span=span, hint="use smaller sizes, or raise --max-elements")


def safe_pow(a, b):
    if type(a) is int and type(b) is int and b > 0 and abs(a) > 1:
        if b * a.bit_length() > MAX_INT_BITS:
            raise LimitExceeded(f"{a} ** {b} is too large an integer",
                                hint="use a float (2.0 ** 1000) or a tensor")
    out = a ** b
    if isinstance(out, complex):
        return math.nan  # a negative base to a fractional power: nan, as for tensors
    return out


def safe_mul(a, b):
    if isinstance(a, (list, tuple, str)) and isinstance(b, int):
        check_length(len(a) * max(b, 0))
    elif isinstance(b, (list, tuple, str)) and isinstance(a, int):
        check_length(len(b) * max(a, 0))
    return a * b


def safe_add(a, b):
    if isinstance(a, (list, tuple, str)) and isinstance(b, (list, tuple, str)):
        check_length(len(a) + len(b))
    return a + b


def safe_iadd(a, b):
    if isinstance(a, list) and hasattr(b, "__len__"):
        check_length(len(a) + len(b))
        a += b
        return a
    return safe_add(a, b)


_WIDTHS = re.compile(r"(\d+)")


def check_widths(spec: str) -> None:
    """A format width or precision is a size too: `f"{x:999999999}"` must not allocate a gigabyte."""
    for digits in _WIDTHS.findall(spec):
        if len(digits) > 12:
            raise LimitExceeded("a format width is too large")
        check_length(int(digits))


def safe_mod(a, b):
    """`'%s' % v` formats through the language's str(), never Python's repr of an object."""
    if isinstance(a, str):
        check_widths(a)
        args = b if isinstance(b, tuple) else (b,)
        args = tuple(x if isinstance(x, (int, float, str)) else str_value(x) for x in args)
        out = a % (args if isinstance(b, tuple) else args[0])
        check_length(len(out))
        return out
    return a % b


def iterate(v, span):
    if isinstance(v, (int, float, bool)) or v is None:
        raise ValueTypeError(f"cannot iterate over {type_name(v)}", span=span)
    try:
        return iter(v)
    except TypeError:
        raise ValueTypeError(f"cannot iterate over {type_name(v)}", span=span) from None


class GeneratorList(list):
    """A generator expression, evaluated eagerly (it is only ever consumed once)."""


# -- functions ------------------------------------------------------------------------------
class UserFunction:
    """A `def` or `lambda`: compiled body plus the frame it was defined in."""

    __slots__ = ("name", "params", "defaults", "vararg", "kwarg", "body", "frame", "span", "runner",
                 "display_name")

    def __init__(self, name, params, defaults, vararg, kwarg, body, frame, span, runner):
        self.name, self.params, self.defaults = name, params, defaults
        self.vararg, self.kwarg, self.body, self.frame, self.span = vararg, kwarg, body, frame, span
        self.runner = runner
        self.display_name = f"<function {name}>"

    def __call__(self, *args, **kwargs):
        return self.runner(self, args, kwargs)


def bind_arguments(fn: UserFunction, args, kwargs) -> dict:
    params = fn.params
    local = {}
    n = len(params)
    if len(args) > n and fn.vararg is None:
        raise ValueTypeError(f"{fn.name}() takes {n} positional argument{'s' * (n != 1)} but "
                             f"{len(args)} were given")
    for p, a in zip(params, args):
        local[p] = a
    if fn.vararg is not None:
        local[fn.vararg] = tuple(args[n:])
    extra = {}
    for k, v in kwargs.items():
        if k in params:
            if k in local:
                raise ValueTypeError(f"{fn.name}() got multiple values for argument '{k}'")
            local[k] = v
        elif fn.kwarg is not None:
            extra[k] = v
        else:
            raise ValueTypeError(f"{fn.name}() got an unexpected keyword argument '{k}'")
    if fn.kwarg is not None:
        local[fn.kwarg] = extra
    first_default = n - len(fn.defaults)
    for i, p in enumerate(params):
        if p not in local:
            if i >= first_default:
                local[p] = fn.defaults[i - first_default]
            else:
                raise ValueTypeError(f"{fn.name}() missing required argument '{p}'")
    return local


def _allowed_types():
    from gradcli.engine import optim
    return {int, float, bool, str, list, tuple, dict, range, enumerate, zip, reversed, Size,
            grad_mode.no_grad, grad_mode.enable_grad, grad_mode.set_grad_enabled, grad_mode.detect_anomaly,
            optim.SGD}


ALLOWED_TYPES: set = set()


def call(f, args, kwargs, span):
    """Call a language value. Only functions from the tables and user functions are callable."""
    if isinstance(f, type):
        if not ALLOWED_TYPES:
            ALLOWED_TYPES.update(_allowed_types())
        if f not in ALLOWED_TYPES:
            raise ValueTypeError(f"{f.__name__} cannot be called in gradcli", span=span)
    elif not callable(f) or isinstance(f, (Tensor, names.Namespace)):
        raise ValueTypeError(f"{type_name(f)} is not callable", span=span)
    try:
        return f(*args, **kwargs)
    except GradcliError as e:
        if isinstance(f, UserFunction) and e.span is not None and span is not None:
            _note_call_site(e, f.name, span)
        raise e.with_span(span)
    except KeyboardInterrupt:
        raise
    except RecursionError:
        raise LimitExceeded("too deeply nested to evaluate", span=span,
                            hint="check for runaway recursion") from None
    except (ArithmeticError, TypeError, ValueError, IndexError, KeyError, MemoryError) as exc:
        from gradcli.lang.compiler import translate
        raise translate(exc, span) from None


MAX_CALL_NOTES = 3


def _note_call_site(err: GradcliError, name: str, span) -> None:
    """An error inside a function also says where the function was called from (innermost first)."""
    calls = getattr(err, "calls", [])
    if len(calls) < MAX_CALL_NOTES:
        calls.append(f"{name}() called at {span.source}:{span.line}:{span.column}")
    elif len(calls) == MAX_CALL_NOTES:
        calls.append("…")
    err.calls = calls


# -- exceptions the language can catch and raise ----------------------------------------------
class ExceptionKind:
    """`RuntimeError`, `ValueError`, ... as the language sees them: names to catch and raise."""

    def __init__(self, name, matches):
        self.name = name
        self.matches = matches  # gradcli error classes this kind catches
        self.display_name = f"<class '{name}'>"

    def __call__(self, *args):
        return RaisedError(self, " ".join(str_value(a) for a in args))


class RaisedError(GradcliError):
    kind = "raised"

    def __init__(self, exc_kind: ExceptionKind, message: str):
        super().__init__(f"{exc_kind.name}: {message}" if message else exc_kind.name)
        self.exc_kind = exc_kind
        self.text = message
        self.display_name = f"{exc_kind.name}({message!r})"  # how the value prints, as Python would


class AssertionFailed(GradcliError):
    kind = "assertion"


_ENGINE = (AutogradError, ShapeError, DTypeError, NumericError, ArgumentError)
EXCEPTIONS = {
    "Exception": ExceptionKind("Exception", (GradcliError,)),
    "RuntimeError": ExceptionKind("RuntimeError", _ENGINE),
    "ValueError": ExceptionKind("ValueError", (ArgumentError,)),
    "TypeError": ExceptionKind("TypeError", (ValueTypeError,)),
    "IndexError": ExceptionKind("IndexError", (IndexOutOfRange,)),
    "KeyError": ExceptionKind("KeyError", (IndexOutOfRange,)),
    "NameError": ExceptionKind("NameError", (UnknownName,)),
    "AttributeError": ExceptionKind("AttributeError", (UnknownAttribute,)),
    "ZeroDivisionError": ExceptionKind("ZeroDivisionError", (ArgumentError,)),
    "AssertionError": ExceptionKind("AssertionError", (AssertionFailed,)),
}
EXCEPTIONS["ArithmeticError"] = EXCEPTIONS["ZeroDivisionError"]
EXCEPTIONS["LookupError"] = EXCEPTIONS["IndexError"]


def exception_matches(err: GradcliError, kinds) -> bool:
    if isinstance(kinds, tuple):
        return any(exception_matches(err, k) for k in kinds)
    if not isinstance(kinds, ExceptionKind):
        raise ValueTypeError(f"except needs an exception name such as RuntimeError, not {type_name(kinds)}")
    if isinstance(err, RaisedError):
        return err.exc_kind is kinds or kinds.name == "Exception"
    return isinstance(err, kinds.matches)


class CaughtError:
    """The value bound by `except ... as e`: prints its message."""

    def __init__(self, err: GradcliError):
        self.err = err
        self.display_name = err.text if isinstance(err, RaisedError) else err.message

    def __str__(self) -> str:
        return self.display_name


def user_raise(value) -> GradcliError:
    if isinstance(value, ExceptionKind):
        return RaisedError(value, "")
    if isinstance(value, RaisedError):
        return value
    if isinstance(value, CaughtError):
        return value.err
    return ValueTypeError(f"raise needs an exception such as ValueError('...'), not {type_name(value)}")


# -- builtins -------------------------------------------------------------------------------
def _print(*args, sep=" ", end="\n"):
    if not isinstance(sep, str) or not isinstance(end, str):
        raise ValueTypeError("print() sep and end must be strings")
    output.write(sep.join(str_value(a) for a in args) + end)


def _sized(kind):
    """list(), tuple(), dict() that stop at the size cap instead of filling memory first."""
    def make(*args, **kw):
        if not args:
            return kind(**kw)
        source = args[0]
        if hasattr(source, "__len__"):
            check_length(len(source))
            out = kind(source, **kw)
        else:
            items = []
            for item in iterate(source, None):
                items.append(item)
                if len(items) > limits.max_elements:
                    check_length(len(items))
            out = kind(items, **kw)
        check_length(len(out))
        return out
    make.__name__ = kind.__name__
    return make


def _round(x, ndigits=None):
    if isinstance(x, Tensor):
        x = x.item()
    return round(x) if ndigits is None else round(x, ndigits)


def _isinstance(value, kinds):
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    types = []
    for k in kinds:
        k = _AS_TYPE.get(k, k)  # the language's int, float, str, list... are wrappers of Python's types
        if not isinstance(k, type):
            raise ValueTypeError("isinstance() needs types such as int, float or torch.Tensor")
        types.append(k)
    if bool not in types and isinstance(value, bool) and int in types:
        return True
    return isinstance(value, tuple(types))


def _str(v=""):
    return str_value(v)


def _float(v=0.0):
    return float(v.item() if isinstance(v, Tensor) else v)


def _int(v=0, *base):
    return int(v.item() if isinstance(v, Tensor) else v, *base)


def _bounded(fn):
    """Builtins that consume a whole iterable in one C call: refuse one over the size cap (a timeout
    could not interrupt them)."""
    def run(*args, **kw):
        if len(args) == 1 and hasattr(args[0], "__len__") and not isinstance(args[0], Tensor):
            check_length(len(args[0]))
        return fn(*args, **kw)
    run.__name__ = getattr(fn, "__name__", "builtin")
    return run


def _sorted(items, key=None, reverse=False):
    items = _sized(list)(items)
    check_length(len(items))
    return sorted(items, key=key, reverse=reverse)


# -- views of the graph (print what they show; return nothing) --------------------------------
def _tree(t, explain=False):
    from gradcli.show import graph, render, tree
    g = graph.build(require_tensor(t, "tree"))
    output.write(render.to_text(tree.render_tree(g, explain=bool(explain), ascii=not render.utf8_output())))


def _chain(t):
    from gradcli.show import chain, graph
    output.write(chain.chain_text(graph.build(require_tensor(t, "chain"))))


def _ledger(t, inputs, max_paths=50):
    from gradcli.show import ledger, render
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    output.write(ledger.ledger_text(require_tensor(t, "ledger"), inputs, max_paths=max_paths,
                                    ascii=not render.utf8_output()))


BUILTINS: dict = dict(names.BARE)
BUILTINS.update(
    print=_print, len=len, range=range, abs=abs, min=min, max=max, round=_round, float=_float, int=_int,
    bool=bool, str=_str, repr=repr_value, enumerate=enumerate, zip=zip, list=_sized(list),
    tuple=_sized(tuple), dict=_sized(dict), sorted=_sorted, reversed=reversed, any=_bounded(any), all=_bounded(all), isinstance=_isinstance,
    tree=_tree, chain=_chain, ledger=_ledger,
)
BUILTINS["sum"] = _bounded(lambda items, start=0: sum(items, start))
BUILTINS["min"], BUILTINS["max"] = _bounded(min), _bounded(max)
BUILTINS.update(EXCEPTIONS)
# math on plain numbers and tensors alike: sum/min/max of tensors are torch's when given a tensor
for _name in ("sum", "min", "max", "abs"):
    _python = BUILTINS[_name]
    _torch = names.api.TORCH.get(_name)
    if _torch is not None:
        def _either(*args, _python=_python, _torch=_torch, **kw):
            if args and isinstance(args[0], Tensor):
                return _torch(*args, **kw)
            return _python(*args, **kw)
        BUILTINS[_name] = _either

for _table in (BUILTINS, names.TORCH.table, names.FUNCTIONAL.table, names.AUTOGRAD.table, names.OPTIM.table,
               names.LINALG.table):
    register_names(_table)

_AS_TYPE = {BUILTINS["int"]: int, BUILTINS["float"]: float, BUILTINS["str"]: str, BUILTINS["list"]: list,
            BUILTINS["tuple"]: tuple, BUILTINS["dict"]: dict}

CONTEXT_TYPES = (grad_mode.no_grad, grad_mode.set_grad_enabled, grad_mode.detect_anomaly)
SUBSCRIPTABLE = (Tensor, list, tuple, str, dict, range)

__all__ = ["Interrupted"]
