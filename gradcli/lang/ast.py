"""The gradcli syntax tree: small immutable node classes that remember where they came from.

Every node has a keyword-only ``span`` (a `gradcli.errors.Span` with the source
name) so the runner can point at the exact text that failed. Spans are left out
of ``==`` and ``repr`` so trees compare by structure. Sequences are tuples.

Node set (positional fields in order; ``None`` marks an absent optional part)::

    Module(body)

    Statements (all subclass Stmt)
      Assign(targets, value)         a = v -> targets (Name a,);  a = b = v -> (Name a, Name b)
                                     a, b = v -> (TupleExpr(Name a, Name b),)
                                     targets are Name, Attribute, Subscript or Tuple/ListExpr of targets
      AugAssign(target, op, value)   op: add sub mul div floordiv mod pow matmul  (`^=` is pow)
      ExprStmt(value)                also docstrings
      If(test, body, orelse)         `elif` is an If alone in orelse
      While(test, body, orelse)
      For(target, iter, body, orelse)
      With(context, target, body)    target None without `as`; `with a, b:` nests two Withs
      FunctionDef(name, params, defaults, body, vararg, kwarg, decorators)
                                     params: names; defaults: exprs for the LAST len(defaults)
                                     params (Python's rule); vararg/kwarg: `*args`/`**kw` names or None
      Return(value)  Break()  Continue()  Pass()
      Import(module, alias)          `import torch.nn.functional as F`; `import a, b` -> two Imports
      ImportFrom(module, names, level)   names: ((name, alias or None), ...), ("*", None) for star;
                                     level: number of leading dots
      Parsed for pasted tutorial code, the runner may reject them:
      ClassDef(name, bases, keywords, body, decorators)
      Try(body, handlers, orelse, finalbody)  ExceptHandler(type, name, body)
      Raise(exc, cause)  Assert(test, msg)  Delete(targets)  Global(names, nonlocal_)

    Expressions (all subclass Expr)
      Name(id)  Num(value: int | float)  Str(value)  Const(value: True | False | None)  Ellipsis()
      FString(parts)                 parts: Str and FormattedValue, in order
      FormattedValue(value, conversion, format_spec)   conversion: "r" "s" "a" or None;
                                     format_spec: FString or None (`{x:.4f}`, `{x:{w}}`)
      ListExpr(elts)  TupleExpr(elts)  DictExpr(keys, values)
      ListComp(elt, generators)  GeneratorExp(elt, generators)  Comprehension(target, iter, ifs)
      BinOp(op, left, right)         op: add sub mul div floordiv mod matmul pow (`^` is pow)
      UnaryOp(op, operand)           op: neg pos not
      BoolOp(op, values)             op: and or; `a or b or c` is one BoolOp with three values
      Compare(ops, operands)         ops: lt le gt ge eq ne in not_in is is_not;
                                     len(operands) == len(ops) + 1 (`a < b < c`)
      IfExp(test, body, orelse)      body if test else orelse
      Call(func, args, kwargs, starargs, kwstarargs)
                                     args: positional exprs; kwargs: Keyword nodes;
                                     starargs: the `*x` exprs (after all positional args);
                                     kwstarargs: the `**x` exprs
      Keyword(name, value)
      Attribute(value, attr)
      Subscript(value, index)        index: Expr, Slice, or TupleExpr whose elts may be Slices
                                     (`a[:, 1]`, `a[..., 0]`, `a[None]`)
      Slice(lower, upper, step)
      Lambda(params, defaults, body, vararg, kwarg)   body is one Expr
"""

from __future__ import annotations

from typing import Iterator, Optional, Union

from gradcli.errors import Span

_REQUIRED = object()


def _node(cls):
    """Give `cls` its fields (annotations, in order after its base's) and their defaults.

    Plain classes rather than dataclasses: generating code for 58 dataclasses cost
    ~15 ms of start-up, and start-up matters for a command-line tool.
    """
    own = [n for n in cls.__dict__.get("__annotations__", {}) if n != "span"]
    names = cls.__match_args__ + tuple(own)
    defaults = dict(zip(cls.__match_args__, cls._defaults))
    for n in own:
        defaults[n] = cls.__dict__.get(n, _REQUIRED)
    cls.__match_args__ = names
    cls._defaults = tuple(defaults[n] for n in names)
    return cls


class Node:
    """Base of every node: immutable; the span is keyword-only and ignored by == and repr."""

    __match_args__: tuple = ()
    _defaults: tuple = ()
    span: Span

    def __init__(self, *args, span: Span, **kwargs):
        names = self.__match_args__
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} fields, got {len(args)}")
        put = object.__setattr__
        for name, value in zip(names, args):
            put(self, name, value)
        for i in range(len(args), len(names)):
            name = names[i]
            value = kwargs.pop(name) if name in kwargs else self._defaults[i]
            if value is _REQUIRED:
                raise TypeError(f"{type(self).__name__} needs '{name}'")
            put(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field '{next(iter(kwargs))}'")
        put(self, "span", span)

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is immutable")

    def replace(self, **changes) -> "Node":
        """A copy with some fields changed (the span too, if given)."""
        span = changes.pop("span", self.span)
        return type(self)(*[changes.pop(n) if n in changes else getattr(self, n) for n in self.__match_args__],
                          span=span)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__match_args__)

    def __hash__(self) -> int:
        return hash((type(self).__name__,) + tuple(getattr(self, f) for f in self.__match_args__))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={getattr(self, f)!r}" for f in self.__match_args__)
        return f"{type(self).__name__}({inner})"


@_node
class Stmt(Node):
    """Base of statements."""


@_node
class Expr(Node):
    """Base of expressions."""


# ------------------------------------------------------------------ module
@_node
class Module(Node):
    """A whole script or REPL entry."""

    body: tuple[Stmt, ...]


# -------------------------------------------------------------- statements
@_node
class Assign(Stmt):
    """`a = v`, `a = b = v`, `a, b = v`: one target per `=`, tuples unpack."""

    targets: tuple[Expr, ...]
    value: Expr


@_node
class AugAssign(Stmt):
    """`x += v`: in place on tensors, with PyTorch's rules."""

    target: Expr
    op: str
    value: Expr


@_node
class ExprStmt(Stmt):
    """An expression on its own line; the REPL echoes its value."""

    value: Expr


@_node
class If(Stmt):
    """`if`/`elif`/`else`; an `elif` is an If alone in orelse."""

    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@_node
class While(Stmt):
    """`while test:` with an optional `else:`."""

    test: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@_node
class For(Stmt):
    """`for target in iter:` with an optional `else:`."""

    target: Expr
    iter: Expr
    body: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()


@_node
class With(Stmt):
    """`with context [as target]:`, e.g. `with torch.no_grad():`."""

    context: Expr
    target: Optional[Expr]
    body: tuple[Stmt, ...]


@_node
class FunctionDef(Stmt):
    """`def name(params):`; defaults belong to the last len(defaults) params."""

    name: str
    params: tuple[str, ...]
    defaults: tuple[Expr, ...]
    body: tuple[Stmt, ...]
    vararg: Optional[str] = None
    kwarg: Optional[str] = None
    decorators: tuple[Expr, ...] = ()


@_node
class ClassDef(Stmt):
    """`class Name(bases):` (parsed so pasted code parses; the runner may refuse it)."""

    name: str
    bases: tuple[Expr, ...]
    keywords: tuple["Keyword", ...]
    body: tuple[Stmt, ...]
    decorators: tuple[Expr, ...] = ()


@_node
class Return(Stmt):
    """`return [value]`."""

    value: Optional[Expr]


@_node
class Break(Stmt):
    """`break`."""


@_node
class Continue(Stmt):
    """`continue`."""


@_node
class Pass(Stmt):
    """`pass`."""


@_node
class Import(Stmt):
    """`import module [as alias]`; the runner decides which modules exist."""

    module: str
    alias: Optional[str]


@_node
class ImportFrom(Stmt):
    """`from module import name [as alias], ...`."""

    module: str
    names: tuple[tuple[str, Optional[str]], ...]
    level: int = 0


@_node
class ExceptHandler(Node):
    """`except [type [as name]]:` inside a Try."""

    type: Optional[Expr]
    name: Optional[str]
    body: tuple[Stmt, ...]


@_node
class Try(Stmt):
    """`try:` with handlers, `else:` and `finally:`."""

    body: tuple[Stmt, ...]
    handlers: tuple[ExceptHandler, ...]
    orelse: tuple[Stmt, ...] = ()
    finalbody: tuple[Stmt, ...] = ()


@_node
class Raise(Stmt):
    """`raise [exc [from cause]]`."""

    exc: Optional[Expr]
    cause: Optional[Expr] = None


@_node
class Assert(Stmt):
    """`assert test[, msg]`."""

    test: Expr
    msg: Optional[Expr] = None


@_node
class Delete(Stmt):
    """`del a, b[0]`."""

    targets: tuple[Expr, ...]


@_node
class Global(Stmt):
    """`global a, b` (or `nonlocal`)."""

    names: tuple[str, ...]
    nonlocal_: bool = False


# ------------------------------------------------------------- expressions
@_node
class Name(Expr):
    """A variable or function name (NFKC-normalised, as Python does)."""

    id: str


@_node
class Num(Expr):
    """An int or float literal; `1e999` is inf, as in Python."""

    value: Union[int, float]


@_node
class Str(Expr):
    """A string literal, escapes decoded; adjacent literals are joined."""

    value: str


@_node
class FormattedValue(Expr):
    """One `{value!conversion:spec}` field of an f-string."""

    value: Expr
    conversion: Optional[str] = None
    format_spec: Optional["FString"] = None


@_node
class FString(Expr):
    """An f-string: literal text and fields, in order."""

    parts: tuple[Union[Str, FormattedValue], ...]


@_node
class Const(Expr):
    """`True`, `False` or `None`."""

    value: Union[bool, None]


@_node
class Ellipsis(Expr):  # noqa: A001 - the node for `...`, as in Python's ast
    """`...`, as in `a[..., 0]`."""


@_node
class ListExpr(Expr):
    """`[a, b]`."""

    elts: tuple[Expr, ...]


@_node
class TupleExpr(Expr):
    """`(a, b)`, `a, b` or `()`."""

    elts: tuple[Expr, ...]


@_node
class DictExpr(Expr):
    """`{k: v, ...}`."""

    keys: tuple[Expr, ...]
    values: tuple[Expr, ...]


@_node
class Comprehension(Node):
    """One `for target in iter [if cond]...` clause."""

    target: Expr
    iter: Expr
    ifs: tuple[Expr, ...] = ()


@_node
class ListComp(Expr):
    """`[elt for ...]`."""

    elt: Expr
    generators: tuple[Comprehension, ...]


@_node
class GeneratorExp(Expr):
    """`(elt for ...)`, also the sole argument of a call."""

    elt: Expr
    generators: tuple[Comprehension, ...]


@_node
class BinOp(Expr):
    """A binary operator; `^` is parsed as "pow", like `**`."""

    op: str
    left: Expr
    right: Expr


@_node
class UnaryOp(Expr):
    """`-x`, `+x`, `not x`."""

    op: str
    operand: Expr


@_node
class BoolOp(Expr):
    """`a and b`, `a or b or c`."""

    op: str
    values: tuple[Expr, ...]


@_node
class Compare(Expr):
    """A comparison chain such as `a < b <= c`."""

    ops: tuple[str, ...]
    operands: tuple[Expr, ...]


@_node
class IfExp(Expr):
    """`body if test else orelse`."""

    test: Expr
    body: Expr
    orelse: Expr


@_node
class Keyword(Node):
    """A `name=value` argument of a call."""

    name: str
    value: Expr


@_node
class Call(Expr):
    """A call: `f(a, k=v, *args, **kw)`."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[Keyword, ...] = ()
    starargs: tuple[Expr, ...] = ()
    kwstarargs: tuple[Expr, ...] = ()


@_node
class Attribute(Expr):
    """`value.attr`."""

    value: Expr
    attr: str


@_node
class Slice(Expr):
    """`lower:upper:step` inside brackets; parts may be None."""

    lower: Optional[Expr] = None
    upper: Optional[Expr] = None
    step: Optional[Expr] = None


@_node
class Subscript(Expr):
    """`value[index]`; a multi-dimensional index is a TupleExpr."""

    value: Expr
    index: Expr


@_node
class Lambda(Expr):
    """`lambda params: body`."""

    params: tuple[str, ...]
    defaults: tuple[Expr, ...]
    body: Expr
    vararg: Optional[str] = None
    kwarg: Optional[str] = None


# ----------------------------------------------------------------- helpers
def iter_child_nodes(parent: Node) -> Iterator[Node]:
    """The direct child nodes of `parent`, in field order."""
    for field_name in parent.__match_args__:
        value = getattr(parent, field_name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself first), depth-first, without recursion."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(iter_child_nodes(current))))


def dump(node: Node) -> str:
    """A compact one-line s-expression of a tree, for tests and debugging.

    `parse_expression("-2^2")` dumps as ``(UnaryOp 'neg' (BinOp 'pow' (Num 2) (Num 2)))``.
    Built with an explicit stack so deep trees cannot exhaust Python's recursion.
    """
    out: list[str] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            out.append(item.text)
        elif isinstance(item, Node):
            parts: list[object] = [_Text("(" + type(item).__name__)]
            for f in item.__match_args__:
                parts += [_Text(" "), getattr(item, f)]
            parts.append(_Text(")"))
            stack.extend(reversed(parts))
        elif isinstance(item, tuple):
            parts = [_Text("[")]
            for i, sub in enumerate(item):
                parts += ([_Text(" ")] if i else []) + [sub]
            parts.append(_Text("]"))
            stack.extend(reversed(parts))
        else:
            out.append(repr(item) if isinstance(item, str) else str(item))
    return "".join(out)


class _Text:
    """Literal output text in dump()."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text
