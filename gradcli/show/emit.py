"""`--emit torch`: the same calculation as runnable PyTorch code.

The expression is parsed with gradcli's own parser and printed back as
Python: `^` becomes `**`, bare functions get their namespace (`sin` →
`torch.sin`, `mse_loss` → `F.mse_loss`, `ln` → `torch.log`, `pi` →
`math.pi`), and parentheses appear only where Python's precedence needs
them (`-2^2` → `-2 ** 2`, `(a^b)^c` → `(a ** b) ** c`). Each NAME=VALUE
becomes a leaf tensor in the calculator's dtype that requires grad. The
printer works from an explicit stack, so deeply nested input is fine.
"""

from __future__ import annotations

import keyword
import math

from gradcli.errors import UsageError
from gradcli.lang import ast as A
from gradcli.lang.parser import parse_expression

# Python's precedence ladder, loosest first (as in the grammar).
LAMBDA, IFEXP, OR, AND, NOT, CMP, ARITH, TERM, FACTOR, POWER, ATOM = range(1, 12)

_BINARY = {"add": ("+", ARITH), "sub": ("-", ARITH), "mul": ("*", TERM), "div": ("/", TERM),
           "floordiv": ("//", TERM), "mod": ("%", TERM), "matmul": ("@", TERM), "pow": ("**", POWER)}
_UNARY = {"neg": "-", "pos": "+"}
_COMPARE = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!=", "in": "in",
            "not_in": "not in", "is": "is", "is_not": "is not"}
# Python builtins the language keeps as they are; abs/min/max/sum act as torch's on tensors.
_PYTHON = {"print", "len", "range", "round", "float", "int", "bool", "str", "repr", "enumerate", "zip", "list",
           "tuple", "dict", "sorted", "reversed", "any", "all", "isinstance"}
_TORCH_ON_TENSORS = {"abs", "min", "max", "sum"}
_RENAMED = {"ln": "log"}  # gradcli names torch spells differently


class _Names:
    """How a bare name of the calculator is spelled in PyTorch code, and which imports that needs."""

    def __init__(self, variables):
        from gradcli.engine import api
        from gradcli.lang import names
        self.variables = set(variables)
        self.torch, self.functional, self.autograd = api.TORCH, api.FUNCTIONAL, api.AUTOGRAD
        self.constants = names.CONSTANTS
        self.imports: set = set()
        self.unknown: list = []

    def spell(self, name: str, first_arg=None) -> str:
        if name in self.variables:
            return name
        if name in self.constants:
            self.imports.add("math")
            return f"math.{name}"
        if name in ("torch", "F", "nn"):
            self.imports.add(name)
            return name
        if name in _PYTHON or (name in _TORCH_ON_TENSORS and _is_number(first_arg)):
            return name
        if name in _RENAMED:
            return f"torch.{_RENAMED[name]}"
        if name in self.torch:
            return f"torch.{name}"
        if name in self.functional:
            self.imports.add("F")
            return f"F.{name}"
        if name in self.autograd:
            return f"torch.autograd.{name}"
        if name == "SGD":
            return "torch.optim.SGD"
        if name not in self.unknown:
            self.unknown.append(name)
        return name


def _is_number(node) -> bool:
    while isinstance(node, A.UnaryOp) and node.op in _UNARY:
        node = node.operand
    return isinstance(node, A.Num)


class _Text:
    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text


def to_python(node: A.Expr, names: _Names) -> str:
    """Print an expression AST as Python source with minimal parentheses."""
    out: list[str] = []
    stack: list = [(node, LAMBDA)]
    while stack:
        item = stack.pop()
        if isinstance(item, _Text):
            out.append(item.text)
            continue
        n, need = item
        prec, parts = _expand(n, names)
        if prec < need:
            parts = [_Text("(")] + parts + [_Text(")")]
        stack.extend(reversed(parts))
    return "".join(out)


def _seq(items, sep=", ", need=LAMBDA) -> list:
    parts: list = []
    for i, x in enumerate(items):
        if i:
            parts.append(_Text(sep))
        parts.append(x if isinstance(x, _Text) else (x, need))
    return parts


def _expand(n, names: _Names):
    """(precedence of n, the pieces that print it: _Text or (child, needed precedence))."""
    T = _Text
    if isinstance(n, A.Name):
        return ATOM, [T(names.spell(n.id))]
    if isinstance(n, A.Num):
        v = n.value
        if isinstance(v, float) and not math.isfinite(v):
            return ATOM, [T(f"float('{v}')")]
        return ATOM, [T(repr(v))]
    if isinstance(n, A.Str):
        return ATOM, [T(repr(n.value))]
    if isinstance(n, A.Const):
        return ATOM, [T(repr(n.value))]
    if isinstance(n, A.Ellipsis):
        return ATOM, [T("...")]
    if isinstance(n, A.BinOp):
        sym, prec = _BINARY[n.op]
        if n.op == "pow":  # right-associative; the base must be a primary, the exponent may be unary
            return prec, [(n.left, ATOM), T(f" {sym} "), (n.right, FACTOR)]
        return prec, [(n.left, prec), T(f" {sym} "), (n.right, prec + 1)]
    if isinstance(n, A.UnaryOp):
        if n.op == "not":
            return NOT, [T("not "), (n.operand, NOT)]
        inner = n.operand
        space = " " if isinstance(inner, A.UnaryOp) and inner.op in _UNARY else ""
        return FACTOR, [T(_UNARY[n.op] + space), (inner, FACTOR)]
    if isinstance(n, A.BoolOp):
        prec = AND if n.op == "and" else OR
        return prec, _seq(n.values, f" {n.op} ", prec + 1)
    if isinstance(n, A.Compare):
        parts = [(n.operands[0], CMP + 1)]
        for op, x in zip(n.ops, n.operands[1:]):
            parts += [T(f" {_COMPARE[op]} "), (x, CMP + 1)]
        return CMP, parts
    if isinstance(n, A.IfExp):
        return IFEXP, [(n.body, OR), T(" if "), (n.test, OR), T(" else "), (n.orelse, IFEXP)]
    if isinstance(n, A.Call):
        return ATOM, _call(n, names)
    if isinstance(n, A.Attribute):
        if isinstance(n.value, A.Name) and n.value.id == "torch" and n.attr in _RENAMED:
            names.spell("torch")
            return ATOM, [T(f"torch.{_RENAMED[n.attr]}")]
        base = (n.value, ATOM + 1) if isinstance(n.value, A.Num) else (n.value, ATOM)  # (2).real
        return ATOM, [base, T("." + n.attr)]
    if isinstance(n, A.Subscript):
        index = n.index.elts if isinstance(n.index, A.TupleExpr) and n.index.elts else (n.index,)
        trailing = [T(",")] if isinstance(n.index, A.TupleExpr) and len(n.index.elts) == 1 else []
        return ATOM, [(n.value, ATOM), T("[")] + _seq(index) + trailing + [T("]")]
    if isinstance(n, A.Slice):
        parts = [] if n.lower is None else [(n.lower, LAMBDA)]
        parts.append(T(":"))
        if n.upper is not None:
            parts.append((n.upper, LAMBDA))
        if n.step is not None:
            parts += [T(":"), (n.step, LAMBDA)]
        return ATOM, parts
    if isinstance(n, A.ListExpr):
        return ATOM, [T("[")] + _seq(n.elts) + [T("]")]
    if isinstance(n, A.TupleExpr):
        if len(n.elts) == 1:
            return ATOM, [T("("), (n.elts[0], LAMBDA), T(",)")]
        return ATOM, [T("(")] + _seq(n.elts) + [T(")")]
    if isinstance(n, A.DictExpr):
        parts = [T("{")]
        for i, (k, v) in enumerate(zip(n.keys, n.values)):
            parts += ([T(", ")] if i else []) + [(k, LAMBDA), T(": "), (v, LAMBDA)]
        return ATOM, parts + [T("}")]
    if isinstance(n, (A.ListComp, A.GeneratorExp)):
        opening, closing = ("[", "]") if isinstance(n, A.ListComp) else ("(", ")")
        for g in n.generators:  # loop variables are names of the code, not calculator variables
            names.variables.update(x.id for x in A.walk(g.target) if isinstance(x, A.Name))
        parts = [T(opening), (n.elt, LAMBDA)]
        for g in n.generators:
            parts += [T(" for "), (g.target, ATOM), T(" in "), (g.iter, OR)]
            for cond in g.ifs:
                parts += [T(" if "), (cond, OR)]
        return ATOM, parts + [T(closing)]
    if isinstance(n, A.Lambda):
        params = list(n.params)
        k = len(params) - len(n.defaults)
        parts: list = [T("lambda")]
        pieces: list = [[T(p)] for p in params[:k]] + [[T(p + "="), (d, LAMBDA)]
                                                        for p, d in zip(params[k:], n.defaults)]
        if n.vararg:
            pieces.append([T("*" + n.vararg)])
        if n.kwarg:
            pieces.append([T("**" + n.kwarg)])
        for i, piece in enumerate(pieces):
            parts += [T(" " if i == 0 else ", ")] + piece
        names.variables.update(params)
        return LAMBDA, parts + [T(": "), (n.body, LAMBDA)]
    if isinstance(n, A.FString):
        # f"a{x:>5}" as "".join(("a", format(x, ">5"))): the same text, and no quoting rules to get right
        parts = [T('"".join((')]
        for i, p in enumerate(n.parts):
            parts += ([T(", ")] if i else []) + ([T(repr(p.value))] if isinstance(p, A.Str) else _format_call(p))
        return ATOM, parts + [T(",))" if len(n.parts) == 1 else "))")]
    raise UsageError(f"--emit torch cannot translate {type(n).__name__} expressions")


def _format_call(part: A.FormattedValue) -> list:
    conv = {"r": "repr", "s": "str", "a": "ascii"}.get(part.conversion)
    value = [_Text(f"{conv}("), (part.value, LAMBDA), _Text(")")] if conv else [(part.value, LAMBDA)]
    spec = [_Text(", "), (part.format_spec, LAMBDA)] if part.format_spec is not None else []
    return [_Text("format(")] + value + spec + [_Text(")")]


def _call(n: A.Call, names: _Names) -> list:
    func = n.func
    first = n.args[0] if n.args else None
    head = [_Text(names.spell(func.id, first))] if isinstance(func, A.Name) else [(func, ATOM)]
    args: list = [(a, LAMBDA) for a in n.args]
    args += [[_Text("*"), (s, LAMBDA)] for s in n.starargs]
    args += [[_Text(k.name + "="), (k.value, LAMBDA)] for k in n.kwargs]
    args += [[_Text("**"), (s, LAMBDA)] for s in n.kwstarargs]
    parts = head + [_Text("(")]
    for i, a in enumerate(args):
        if i:
            parts.append(_Text(", "))
        parts += a if isinstance(a, list) else [a]
    return parts + [_Text(")")]


def _free_names(node) -> list:
    seen: list = []
    for n in A.walk(node):
        if isinstance(n, A.Name) and n.id not in seen:
            seen.append(n.id)
    return seen


def _calls_factory(node) -> bool:
    from gradcli.engine.ops import creation
    for n in A.walk(node):
        if isinstance(n, A.Call):
            f = n.func
            name = f.id if isinstance(f, A.Name) else f.attr if isinstance(f, A.Attribute) else None
            if name in creation.FUNCTIONS:
                return True
    return False


def emit_torch(expression: str, assignments: list, dtype: str = "float64") -> str:
    """PyTorch code that computes the calculator's value and gradients for `expression`."""
    tree = parse_expression(expression, "<expr>")
    values = []
    for name, text in assignments:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise UsageError(f"'{name}' is not a valid variable name for PyTorch code")
        values.append((name, parse_expression(text, f"<{name}>")))
    given = [name for name, _ in values]
    names = _Names(given)
    used = [n for n in _free_names(tree) if n in names.variables]
    body = to_python(tree, names)
    if names.unknown:
        name = names.unknown[0]
        raise UsageError(f"no value for variable '{name}'", hint=f"pass {name}=VALUE, e.g. {name}=2")
    leaf_lines = []
    factory = _calls_factory(tree)
    for name, node in values:
        value_names = _Names(())
        text = to_python(node, value_names)
        if value_names.unknown:
            bad = value_names.unknown[0]
            raise UsageError(f"the value of {name} uses '{bad}', which has no value here",
                             hint="a VALUE may use numbers, lists and functions, not other variables")
        names.imports |= value_names.imports
        if _calls_factory(node):
            factory = True
            leaf_lines.append(f"{name} = torch.as_tensor({text}, dtype=torch.{dtype}).detach().requires_grad_()")
        else:
            leaf_lines.append(f"{name} = torch.tensor({text}, dtype=torch.{dtype}, requires_grad=True)")
    out_name = "f"
    while out_name in given:
        out_name += "_"
    lines = ["import math"] if "math" in names.imports else []
    lines.append("import torch")
    if "F" in names.imports:
        lines.append("import torch.nn.functional as F")
    if "nn" in names.imports:
        lines.append("from torch import nn")
    lines.append("")
    if factory and dtype != "float32":
        lines.append(f"torch.set_default_dtype(torch.{dtype})  # the calculator's dtype, also for factories")
    lines += leaf_lines
    lines.append(f"{out_name} = {body}")
    if used:
        lines.append(f"{out_name}.backward()")
        lines.append(f"print({out_name}.item())")
        lines += [f"print({name}.grad)" for name in used]
    else:
        lines.append(f"print({out_name})")
    return "\n".join(lines) + "\n"
