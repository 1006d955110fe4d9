"""AST → closures. Each node is compiled once into a Python function of the frame.

Loops then run those closures directly instead of re-walking the tree. Errors
from below get the span of the innermost expression that raised them.
Control flow (break, continue, return) travels as small exceptions.
"""

from __future__ import annotations

import operator
import re

from gradcli.engine import grad_mode
from gradcli.engine.tensor import Tensor
from gradcli.errors import (ArgumentError, GradcliError, GradcliSyntaxError, IndexOutOfRange, LimitExceeded,
                            UnknownName, ValueTypeError)
from gradcli.lang import ast as A
from gradcli.lang import builtins as B
from gradcli.lang.names import get_attribute, set_attribute, suggest


class BreakLoop(Exception):
    pass


class ContinueLoop(Exception):
    pass


class ReturnValue(Exception):
    def __init__(self, value):
        self.value = value


class Frame:
    """Variables of one scope; `globals` is the script's, `parent` the enclosing function's."""

    __slots__ = ("vars", "globals", "parent", "depth")

    def __init__(self, vars: dict, globals: dict | None = None, parent: "Frame | None" = None, depth: int = 0):
        self.vars = vars
        self.globals = vars if globals is None else globals
        self.parent = parent
        self.depth = depth


MAX_CALL_DEPTH = 120


def lookup(frame: Frame, name: str, span):
    f = frame
    while f is not None:
        v = f.vars.get(name, _MISSING)
        if v is not _MISSING:
            return v
        f = f.parent
    v = frame.globals.get(name, _MISSING)
    if v is not _MISSING:
        return v
    v = B.BUILTINS.get(name, _MISSING)
    if v is not _MISSING:
        return v
    known = [*frame.globals, *B.BUILTINS]
    hint = suggest(name, known) or "assign it first, or pass NAME=VALUE on the command line"
    raise UnknownName(f"name '{name}' is not defined", hint=hint, span=span)


_MISSING = object()

BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
          "floordiv": operator.floordiv, "mod": operator.mod, "matmul": operator.matmul}
COMPARE = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
           "ne": operator.ne, "is": operator.is_, "is_not": operator.is_not,
           "in": lambda a, b: operator.contains(b, a), "not_in": lambda a, b: not operator.contains(b, a)}


def translate(exc: Exception, span) -> GradcliError:
    """A Python exception from a computation, as a gradcli error (never a traceback)."""
    if isinstance(exc, GradcliError):
        return exc.with_span(span)
    if isinstance(exc, ZeroDivisionError):
        return ArgumentError("division by zero", hint="use a tensor (tensor(1.) / 0 is inf) or check the divisor",
                             span=span)
    if isinstance(exc, RecursionError):
        return LimitExceeded("too deeply nested to evaluate", hint="simplify the expression or the data",
                             span=span)
    if isinstance(exc, MemoryError):
        return LimitExceeded("out of memory", hint="use smaller tensors or lists", span=span)
    if isinstance(exc, KeyError):
        return IndexOutOfRange(f"key {exc} not found", span=span)
    if isinstance(exc, IndexError):
        return IndexOutOfRange(str(exc) or "index out of range", span=span)
    if isinstance(exc, TypeError):
        return ValueTypeError(_clean(str(exc)), span=span)
    if isinstance(exc, OverflowError):
        return ArgumentError(f"number too large: {_clean(str(exc))}", span=span)
    return ArgumentError(_clean(str(exc)) or type(exc).__name__, span=span)


_INTERNALS = [
    (re.compile(r"Exceeds the limit \(\d+ digits\) for integer string conversion.*"),
     "integer too large to convert to text"),
    (re.compile(r"[\w.]*<locals>\."), ""),
    (re.compile(r"Python int too large to convert to C \w+"), "integer too large for this operation"),
    (re.compile(r"\b_+([A-Za-z]\w*)\(\)"), r"\1()"),
    (re.compile(r"\b__init__\(\)"), "()"),
    (re.compile(r"operand type\(s\) all returned NotImplemented from __array_ufunc__.*"),
     "unsupported operand types"),
    (re.compile(r"gradcli\.[\w.]*"), ""),
    (re.compile(r"'?numpy\.[\w.]*'?"), "an array"),
]


def _clean(msg: str) -> str:
    """A Python exception's text, without Python's internals (module paths, <locals>, dunders)."""
    msg = msg.split("\n")[0]
    for pattern, replacement in _INTERNALS:
        msg = pattern.sub(replacement, msg)
    return msg[:300]


def guarded(fn, span):
    """Wrap a closure so any error it raises carries `span` (unless it already has one)."""
    def run(frame):
        try:
            return fn(frame)
        except (GradcliError, ArithmeticError, TypeError, ValueError, IndexError, KeyError, RecursionError,
                MemoryError) as exc:
            raise translate(exc, span) from None
    return run


class Compiler:
    """Compiles statements and expressions; `echo` is called for bare expression values."""

    def __init__(self, echo=None):
        self.echo = echo
        self.in_function = 0
        self.in_loop = 0

    # -- statements ------------------------------------------------------------------------
    def block(self, stmts):
        fns = [self.stmt(s) for s in stmts]
        if len(fns) == 1:
            return fns[0]

        def run(frame):
            for f in fns:
                f(frame)
        return run

    def stmt(self, node):
        method = self.STATEMENTS.get(type(node))
        if method is None:
            raise GradcliSyntaxError(f"'{_describe(node)}' is not supported in gradcli", span=node.span,
                                     hint="gradcli runs a Python-like subset: see `gradcli --help`")
        try:
            return method(self, node)
        except RecursionError:
            raise LimitExceeded("the program is nested too deeply", span=node.span,
                                hint="split long expressions into several statements") from None

    def s_expr(self, node):
        value = self.expr(node.value)
        echo = self.echo if not self.in_function else None
        if echo is None:
            return value

        def run(frame):
            v = value(frame)
            if v is not None:
                echo(v)
        return run

    def s_assign(self, node):
        value = self.expr(node.value)
        stores = [self.target(t) for t in node.targets]
        if len(stores) == 1:
            store = stores[0]
            return lambda frame: store(frame, value(frame))

        def run(frame):
            v = value(frame)
            for s in stores:
                s(frame, v)
        return run

    def s_augassign(self, node):
        value = self.expr(node.value)
        op = _augmented(node.op)
        t = node.target
        span = node.span
        if isinstance(t, A.Name):
            name = t.id
            load = self.expr(t)

            def run(frame):
                v = op(load(frame), value(frame))
                frame.vars[name] = v
            return guarded(run, span)
        if isinstance(t, A.Attribute):
            obj = self.expr(t.value)
            attr = t.attr

            def run(frame):
                o = obj(frame)
                set_attribute(o, attr, op(get_attribute(o, attr), value(frame)))
            return guarded(run, span)
        if isinstance(t, A.Subscript):
            obj = self.expr(t.value)
            index = self.index(t.index)

            def run(frame):
                o = obj(frame)
                i = index(frame)
                o[i] = op(o[i], value(frame))
            return guarded(run, span)
        raise GradcliSyntaxError("cannot assign to this expression", span=t.span)

    def s_if(self, node):
        test = self.expr(node.test)
        body = self.block(node.body)
        orelse = self.block(node.orelse) if node.orelse else None
        span = node.test.span

        def run(frame):
            if truth(test(frame), span):
                body(frame)
            elif orelse is not None:
                orelse(frame)
        return run

    def loop_body(self, stmts):
        self.in_loop += 1
        try:
            return self.block(stmts)
        finally:
            self.in_loop -= 1

    def s_while(self, node):
        test = self.expr(node.test)
        body = self.loop_body(node.body)
        orelse = self.block(node.orelse) if node.orelse else None
        span = node.test.span

        def run(frame):
            while truth(test(frame), span):
                try:
                    body(frame)
                except BreakLoop:
                    return
                except ContinueLoop:
                    continue
            if orelse is not None:
                orelse(frame)
        return run

    def s_for(self, node):
        iterable = self.expr(node.iter)
        store = self.target(node.target)
        body = self.loop_body(node.body)
        orelse = self.block(node.orelse) if node.orelse else None
        span = node.iter.span

        def run(frame):
            it = iterable(frame)
            try:
                items = iter(it)
            except TypeError:
                raise ValueTypeError(f"cannot loop over {B.type_name(it)}", span=span) from None
            for item in items:
                store(frame, item)
                try:
                    body(frame)
                except BreakLoop:
                    return
                except ContinueLoop:
                    continue
            if orelse is not None:
                orelse(frame)
        return run

    def s_with(self, node):
        context = self.expr(node.context)
        store = self.target(node.target) if node.target is not None else None
        body = self.block(node.body)
        span = node.context.span

        def run(frame):
            ctx = context(frame)
            if not isinstance(ctx, B.CONTEXT_TYPES):
                raise ValueTypeError(f"{B.type_name(ctx)} cannot be used in a with statement",
                                     hint="use `with torch.no_grad():`", span=span)
            entered = ctx.__enter__()
            try:
                if store is not None:
                    store(frame, entered)
                body(frame)
            finally:
                ctx.__exit__(None, None, None)
        return run

    def s_def(self, node):
        decorators = [(self.expr(d), d.span) for d in node.decorators]
        fn = self.function(node.name, node.params, node.defaults, node.vararg, node.kwarg, node.body,
                           node.span)
        name = node.name

        def run(frame):
            f = fn(frame)
            for dec, span in reversed(decorators):
                _grad_mode_decorator(f, dec(frame), span)
            frame.vars[name] = f
        return run

    def s_return(self, node):
        if not self.in_function:
            raise GradcliSyntaxError("'return' outside a function", span=node.span)
        value = self.expr(node.value) if node.value is not None else (lambda frame: None)

        def run(frame):
            raise ReturnValue(value(frame))
        return run

    def s_break(self, node):
        if not self.in_loop:
            raise GradcliSyntaxError("'break' outside a loop", span=node.span)

        def run(frame):
            raise BreakLoop()
        return run

    def s_continue(self, node):
        if not self.in_loop:
            raise GradcliSyntaxError("'continue' outside a loop", span=node.span)

        def run(frame):
            raise ContinueLoop()
        return run

    def s_pass(self, node):
        return lambda frame: None

    def s_import(self, node):
        module = node.module
        if module not in B.MODULES:
            raise GradcliSyntaxError(f"cannot import '{module}': gradcli provides only torch's names",
                                     span=node.span,
                                     hint="use `import torch`, `import torch.nn.functional as F` or "
                                          "`from torch import nn`")
        value = B.MODULES[module if node.alias else module.split(".")[0]]
        name = node.alias or module.split(".")[0]
        _check_name(name, node.span)

        def run(frame):
            frame.vars[name] = value
        return run

    def s_importfrom(self, node):
        module = node.module
        ns = B.MODULES.get(module)
        if ns is None or node.level:
            raise GradcliSyntaxError(f"cannot import from '{module}': gradcli provides only torch's names",
                                     span=node.span, hint="use `from torch import nn`")
        pairs = []
        for name, alias in node.names:
            if name == "*":
                raise GradcliSyntaxError("`import *` is not supported", span=node.span,
                                         hint="torch's functions are available bare already (ones(5))")
            full = f"{module}.{name}"
            value = B.MODULES[full] if full in B.MODULES else ns.lookup(name) if name in ns.table else None
            if value is None:
                raise GradcliSyntaxError(f"'{module}' has no '{name}'", span=node.span,
                                         hint=suggest(name, ns.table))
            _check_name(alias or name, node.span)
            pairs.append((alias or name, value))

        def run(frame):
            for n, v in pairs:
                frame.vars[n] = v
        return run

    def s_try(self, node):
        body = self.block(node.body)
        handlers = []
        for h in node.handlers:
            kinds = self.expr(h.type) if h.type is not None else None
            handlers.append((kinds, h.name, self.block(h.body), h.span))
        orelse = self.block(node.orelse) if node.orelse else None
        final = self.block(node.finalbody) if node.finalbody else None

        def run(frame):
            try:
                try:
                    body(frame)
                except GradcliError as err:
                    if isinstance(err, (LimitExceeded, B.Interrupted)):
                        raise
                    for kinds, name, hbody, span in handlers:
                        if kinds is None or B.exception_matches(err, kinds(frame)):
                            if name is not None:
                                frame.vars[name] = B.CaughtError(err)
                            hbody(frame)
                            break
                    else:
                        raise
                else:
                    if orelse is not None:
                        orelse(frame)
            finally:
                if final is not None:
                    final(frame)
        return run

    def s_raise(self, node):
        exc = self.expr(node.exc) if node.exc is not None else None
        span = node.span

        def run(frame):
            raise B.user_raise(exc(frame) if exc is not None else None).with_span(span)
        return run

    def s_assert(self, node):
        test = self.expr(node.test)
        msg = self.expr(node.msg) if node.msg is not None else None
        span = node.span

        def run(frame):
            if not truth(test(frame), span):
                text = B.str_value(msg(frame)) if msg is not None else "assertion failed"
                raise B.AssertionFailed(text, span=span)
        return run

    def s_delete(self, node):
        names = []
        for t in node.targets:
            if not isinstance(t, A.Name):
                raise GradcliSyntaxError("only names can be deleted", span=t.span)
            names.append((t.id, t.span))

        def run(frame):
            for n, span in names:
                if n not in frame.vars:
                    raise UnknownName(f"name '{n}' is not defined", span=span)
                del frame.vars[n]
        return run

    def s_global(self, node):
        raise GradcliSyntaxError("'global'/'nonlocal' are not supported", span=node.span,
                                 hint="return values from functions instead")

    # -- targets -----------------------------------------------------------------------------
    def target(self, node):
        """A function (frame, value) that stores value into the target."""
        if isinstance(node, A.Name):
            name = node.id
            _check_name(name, node.span)

            def store(frame, v):
                if isinstance(v, Tensor) and v.name is None:
                    v.name = name
                frame.vars[name] = v
            return store
        if isinstance(node, (A.TupleExpr, A.ListExpr)):
            stores = [self.target(e) for e in node.elts]
            n = len(stores)
            span = node.span

            def store(frame, v):
                try:
                    items = list(v) if not isinstance(v, (list, tuple)) else v
                except TypeError:
                    raise ValueTypeError(f"cannot unpack {B.type_name(v)}", span=span) from None
                if len(items) != n:
                    raise ArgumentError(f"expected {n} values to unpack, got {len(items)}", span=span)
                for s, item in zip(stores, items):
                    s(frame, item)
            return store
        if isinstance(node, A.Attribute):
            obj = self.expr(node.value)
            attr = node.attr
            span = node.span

            def store(frame, v):
                try:
                    set_attribute(obj(frame), attr, v)
                except GradcliError as e:
                    raise e.with_span(span)
            return store
        if isinstance(node, A.Subscript):
            obj = self.expr(node.value)
            index = self.index(node.index)
            span = node.span

            def store(frame, v):
                o = obj(frame)
                if not isinstance(o, (Tensor, list, dict)):
                    raise ValueTypeError(f"{B.type_name(o)} does not support item assignment", span=span)
                try:
                    i = index(frame)
                    if isinstance(o, list) and isinstance(i, slice) and hasattr(v, "__len__"):
                        B.check_length(len(o) + len(v))
                    o[i] = v
                except Exception as exc:  # noqa: BLE001 - every failure becomes a diagnostic
                    raise translate(exc, span) from None
            return store
        raise GradcliSyntaxError("cannot assign to this expression", span=node.span)

    # -- expressions -------------------------------------------------------------------------
    def expr(self, node):
        method = self.EXPRESSIONS.get(type(node))
        if method is None:
            raise GradcliSyntaxError(f"'{_describe(node)}' is not supported here", span=node.span)
        return method(self, node)

    def e_name(self, node):
        name = node.id
        span = node.span
        _check_name(name, span)

        def load(frame):
            v = frame.vars.get(name, _MISSING)
            if v is _MISSING:
                return lookup(frame, name, span)
            return v
        return load

    def e_num(self, node):
        value = node.value
        return lambda frame: value

    e_str = e_const = e_num

    def e_ellipsis(self, node):
        return lambda frame: Ellipsis

    def e_fstring(self, node):
        parts = []
        for p in node.parts:
            if isinstance(p, A.Str):
                text = p.value
                parts.append(lambda frame, text=text: text)
            else:
                parts.append(self.formatted(p))

        def run(frame):
            return "".join(p(frame) for p in parts)
        return run

    def formatted(self, node):
        value = self.expr(node.value)
        conv = node.conversion
        spec = self.expr(node.format_spec) if node.format_spec is not None else None
        span = node.span

        def run(frame):
            v = value(frame)
            if conv == "r" or conv == "a":
                v = B.repr_value(v)
            elif conv == "s":
                v = B.str_value(v)
            s = spec(frame) if spec is not None else ""
            B.check_widths(s)
            try:
                return B.format_value(v, s)
            except (ValueError, TypeError) as e:
                raise ArgumentError(f"invalid format '{s}' for {B.type_name(v)}", span=span,
                                    hint=_clean(str(e))) from None
        return run

    def e_list(self, node):
        elts = [self.expr(e) for e in node.elts]
        return lambda frame: [e(frame) for e in elts]

    def e_tuple(self, node):
        elts = [self.expr(e) for e in node.elts]
        return lambda frame: tuple(e(frame) for e in elts)

    def e_dict(self, node):
        keys = [self.expr(k) for k in node.keys]
        values = [self.expr(v) for v in node.values]
        span = node.span

        def run(frame):
            out = {}
            for k, v in zip(keys, values):
                key = k(frame)
                if isinstance(key, (Tensor, list, dict)):
                    raise ValueTypeError(f"{B.type_name(key)} cannot be a dict key", span=span)
                out[key] = v(frame)
            return out
        return run

    def e_binop(self, node):
        left = self.expr(node.left)
        right = self.expr(node.right)
        span = node.span
        if node.op == "pow":
            fn = B.safe_pow
        elif node.op == "mul":
            fn = B.safe_mul
        elif node.op == "add":
            fn = B.safe_add
        elif node.op == "mod":
            fn = B.safe_mod
        else:
            fn = BINARY[node.op]

        def run(frame):
            a = left(frame)
            b = right(frame)
            try:
                return fn(a, b)
            except GradcliError as e:
                raise e.with_span(span)
            except (ArithmeticError, TypeError, ValueError, MemoryError, IndexError) as exc:
                raise _binop_error(exc, node.op, a, b, span) from None
        return run

    def e_unary(self, node):
        operand = self.expr(node.operand)
        span = node.span
        if node.op == "not":
            return lambda frame: not truth(operand(frame), span)
        fn = operator.neg if node.op == "neg" else operator.pos
        return guarded(lambda frame: fn(operand(frame)), span)

    def e_boolop(self, node):
        values = [self.expr(v) for v in node.values]
        span = node.span
        if node.op == "and":
            def run(frame):
                v = None
                for f in values:
                    v = f(frame)
                    if not truth(v, span):
                        return v
                return v
        else:
            def run(frame):
                v = None
                for f in values:
                    v = f(frame)
                    if truth(v, span):
                        return v
                return v
        return run

    def e_compare(self, node):
        operands = [self.expr(o) for o in node.operands]
        ops = [COMPARE[o] for o in node.ops]
        span = node.span
        if len(ops) == 1:
            op, a, b = ops[0], operands[0], operands[1]
            return guarded(lambda frame: op(a(frame), b(frame)), span)

        def run(frame):
            left = operands[0](frame)
            result = True
            for op, f in zip(ops, operands[1:]):
                right = f(frame)
                result = op(left, right)
                if not truth(result, span):
                    return result
                left = right
            return result
        return guarded(run, span)

    def e_ifexp(self, node):
        test, body, orelse = self.expr(node.test), self.expr(node.body), self.expr(node.orelse)
        span = node.test.span
        return lambda frame: body(frame) if truth(test(frame), span) else orelse(frame)

    def e_call(self, node):
        func = self.expr(node.func)
        args = [self.expr(a) for a in node.args]
        kwargs = [(k.name, self.expr(k.value)) for k in node.kwargs]
        stars = [self.expr(s) for s in node.starargs]
        kwstars = [self.expr(s) for s in node.kwstarargs]
        span = node.span
        for name, _ in kwargs:
            if name.startswith("__"):
                raise GradcliSyntaxError(f"keyword '{name}' is not allowed", span=span)

        def run(frame):
            f = func(frame)
            a = [x(frame) for x in args]
            for s in stars:
                a.extend(B.iterate(s(frame), span))
            kw = {k: v(frame) for k, v in kwargs}
            for s in kwstars:
                d = s(frame)
                if not isinstance(d, dict) or not all(isinstance(k, str) and not k.startswith("__") for k in d):
                    raise ValueTypeError("** needs a dict with string keys", span=span)
                kw.update(d)
            return B.call(f, a, kw, span)
        return run

    def e_attribute(self, node):
        value = self.expr(node.value)
        attr = node.attr
        span = node.span
        if attr.startswith("__"):
            raise GradcliSyntaxError(f"'{attr}' is not available in gradcli", span=span,
                                     hint="names with double underscores are not part of the language")

        def run(frame):
            obj = value(frame)
            try:
                return get_attribute(obj, attr)
            except GradcliError as e:
                raise e.with_span(span)
        return run

    def e_subscript(self, node):
        value = self.expr(node.value)
        index = self.index(node.index)
        span = node.span

        def run(frame):
            obj = value(frame)
            i = index(frame)
            if not isinstance(obj, B.SUBSCRIPTABLE):
                raise ValueTypeError(f"{B.type_name(obj)} cannot be indexed", span=span)
            try:
                return obj[i]
            except GradcliError as e:
                raise e.with_span(span)
            except Exception as exc:  # noqa: BLE001 - every failure becomes a diagnostic
                raise translate(exc, span) from None
        return run

    def index(self, node):
        if isinstance(node, A.Slice):
            parts = [self.expr(p) if p is not None else None for p in (node.lower, node.upper, node.step)]

            def run(frame):
                return slice(*[p(frame) if p is not None else None for p in parts])
            return run
        if isinstance(node, A.TupleExpr):
            items = [self.index(e) for e in node.elts]
            return lambda frame: tuple(i(frame) for i in items)
        return self.expr(node)

    def e_slice(self, node):
        return self.index(node)

    def e_lambda(self, node):
        body = (A.Return(node.body, span=node.body.span),)
        return self.function("<lambda>", node.params, node.defaults, node.vararg, node.kwarg, body, node.span)

    def e_listcomp(self, node):
        return self.comprehension(node, list)

    def e_genexp(self, node):
        return self.comprehension(node, B.GeneratorList)

    def comprehension(self, node, kind):
        elt = self.expr(node.elt)
        gens = [(self.target(g.target), self.expr(g.iter), [self.expr(c) for c in g.ifs], g.iter.span)
                for g in node.generators]

        def run(frame):
            inner = Frame({}, frame.globals, frame, frame.depth)
            out = []

            def loop(level):
                store, it, ifs, span = gens[level]
                for item in B.iterate(it(inner), span):
                    store(inner, item)
                    if all(truth(c(inner), span) for c in ifs):
                        if level + 1 == len(gens):
                            out.append(elt(inner))
                            B.check_length(len(out), span)
                        else:
                            loop(level + 1)
            loop(0)
            return kind(out)
        return run

    def function(self, name, params, defaults, vararg, kwarg, body_stmts, span):
        for p in (*params, vararg, kwarg):
            if p is not None:
                _check_name(p, span)
        default_fns = [self.expr(d) for d in defaults]
        self.in_function += 1
        loops, self.in_loop = self.in_loop, 0  # a loop around a def does not make `break` valid inside it
        try:
            body = self.block(body_stmts)
        finally:
            self.in_function -= 1
            self.in_loop = loops

        def make(frame):
            return B.UserFunction(name, params, [d(frame) for d in default_fns], vararg, kwarg, body, frame,
                                  span, run_body)
        return make

    STATEMENTS = {}
    EXPRESSIONS = {}


GRAD_MODE_DECORATORS = (grad_mode.no_grad, grad_mode.enable_grad)


def _grad_mode_decorator(fn, mode, span) -> None:
    """`@torch.no_grad()` / `@torch.enable_grad()` (with or without the call): every call of fn runs in
    that grad mode, as in PyTorch. No other decorator is supported."""
    cls = mode if isinstance(mode, type) else type(mode)
    if cls not in GRAD_MODE_DECORATORS:
        raise GradcliSyntaxError("only @torch.no_grad() and @torch.enable_grad() decorators are supported",
                                 hint="call the function inside `with torch.no_grad():` instead", span=span)
    inner = fn.runner

    def runner(f, args, kwargs):
        with cls():
            return inner(f, args, kwargs)
    fn.runner = runner


def run_body(fn, args, kwargs):
    """Call a user function: bind arguments into a new frame, run, return its value."""
    frame = fn.frame
    if frame.depth >= MAX_CALL_DEPTH:
        raise LimitExceeded(f"calls nested more than {MAX_CALL_DEPTH} deep (runaway recursion?)",
                            hint="check the function's stopping condition")
    local = B.bind_arguments(fn, args, kwargs)
    new = Frame(local, frame.globals, frame if frame.vars is not frame.globals else None, frame.depth + 1)
    try:
        fn.body(new)
    except ReturnValue as r:
        return r.value
    except (BreakLoop, ContinueLoop):
        raise GradcliSyntaxError("'break' or 'continue' outside a loop", span=fn.span) from None
    return None


def truth(v, span) -> bool:
    try:
        return bool(v)
    except GradcliError as e:
        raise e.with_span(span)


def _augmented(op):
    if op == "pow":
        return B.safe_pow
    if op == "mul":
        return lambda a, b: a.__imul__(b) if isinstance(a, Tensor) else B.safe_mul(a, b)
    if op == "add":
        return lambda a, b: a.__iadd__(b) if isinstance(a, Tensor) else B.safe_iadd(a, b)
    if op == "mod":
        return B.safe_mod
    return {"sub": operator.isub, "div": operator.itruediv, "floordiv": operator.ifloordiv,
            "matmul": operator.imatmul}[op]


def _binop_error(exc, op, a, b, span):
    if isinstance(exc, TypeError):
        sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "floordiv": "//", "mod": "%", "matmul": "@",
               "pow": "**"}[op]
        return ValueTypeError(f"unsupported operand types for {sym}: {B.type_name(a)} and {B.type_name(b)}",
                              span=span)
    return translate(exc, span)


def _check_name(name: str, span) -> None:
    if name.startswith("__"):
        raise GradcliSyntaxError(f"'{name}' is not available in gradcli", span=span,
                                 hint="names with double underscores are not part of the language")


def _describe(node) -> str:
    return {"ClassDef": "class", "Global": "global"}.get(type(node).__name__, type(node).__name__)


Compiler.STATEMENTS = {
    A.ExprStmt: Compiler.s_expr, A.Assign: Compiler.s_assign, A.AugAssign: Compiler.s_augassign,
    A.If: Compiler.s_if, A.While: Compiler.s_while, A.For: Compiler.s_for, A.With: Compiler.s_with,
    A.FunctionDef: Compiler.s_def, A.Return: Compiler.s_return, A.Break: Compiler.s_break,
    A.Continue: Compiler.s_continue, A.Pass: Compiler.s_pass, A.Import: Compiler.s_import,
    A.ImportFrom: Compiler.s_importfrom, A.Try: Compiler.s_try, A.Raise: Compiler.s_raise,
    A.Assert: Compiler.s_assert, A.Delete: Compiler.s_delete, A.Global: Compiler.s_global,
}
Compiler.EXPRESSIONS = {
    A.Name: Compiler.e_name, A.Num: Compiler.e_num, A.Str: Compiler.e_str, A.Const: Compiler.e_const,
    A.Ellipsis: Compiler.e_ellipsis, A.FString: Compiler.e_fstring, A.ListExpr: Compiler.e_list,
    A.TupleExpr: Compiler.e_tuple, A.DictExpr: Compiler.e_dict, A.BinOp: Compiler.e_binop,
    A.UnaryOp: Compiler.e_unary, A.BoolOp: Compiler.e_boolop, A.Compare: Compiler.e_compare,
    A.IfExp: Compiler.e_ifexp, A.Call: Compiler.e_call, A.Attribute: Compiler.e_attribute,
    A.Subscript: Compiler.e_subscript, A.Slice: Compiler.e_slice, A.Lambda: Compiler.e_lambda,
    A.ListComp: Compiler.e_listcomp, A.GeneratorExp: Compiler.e_genexp,
}
