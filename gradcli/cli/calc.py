"""The one-liner calculator: evaluate an expression of free variables and differentiate it.

Free variables are float leaves (float64 unless --dtype says otherwise) whose
values come from NAME=VALUE arguments, each VALUE itself an expression.
"""

from __future__ import annotations

import math
import re

import numpy as np

from gradcli.errors import GradcliError, Span, UsageError

ASSIGNMENT = re.compile(r"^\s*([A-Za-z_][A-Za-z_0-9]*)\s*=(?!=)(.*)$", re.S)


class Result:
    """What the calculator found: the value, and the derivatives that were asked for."""

    def __init__(self, expression: str, value, variables: dict, unused: list | None = None):
        self.expression = expression
        self.value = value  # Tensor or plain number
        self.variables = variables  # name -> Tensor leaf
        self.gradients: dict = {}  # name -> Tensor
        self.jacobian: dict | None = None
        self.hessian: dict | None = None  # (name, name) -> Tensor
        self.unused = unused or []
        self.nonfinite: GradcliError | None = None  # where the first NaN/inf appeared, if one did


def split_assignments(args: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for a in args:
        m = ASSIGNMENT.match(a)
        if not m:
            raise UsageError(f"expected NAME=VALUE, got '{a}'", hint="e.g. x=2 or v='[1, 2, 3]'")
        pairs.append((m.group(1), m.group(2)))
    return pairs


def free_names(node) -> list[str]:
    """Names read by an expression, in first-appearance order (iteratively: no recursion limit)."""
    from gradcli.lang import ast as A

    seen: list[str] = []
    stack = [node]  # a called name (sin(x)) is a function, never a variable
    while stack:
        n = stack.pop()
        if isinstance(n, A.Name):
            if n.id not in seen:
                seen.append(n.id)
            continue
        children = []
        for f in n.__match_args__:
            if f == "func" and isinstance(n.func, A.Name):
                continue
            v = getattr(n, f)
            if isinstance(v, A.Node):
                children.append(v)
            elif isinstance(v, tuple):
                children.extend(x for x in v if isinstance(x, A.Node))
        stack.extend(reversed(children))
    return seen


def calculate(expression: str, assignments: list[str], **options) -> Result:
    """Evaluate and differentiate; if a NaN or inf appears, say where it first did and still give the values."""
    from gradcli.engine.grad_mode import detect_anomaly
    from gradcli.errors import NumericError

    try:
        with detect_anomaly():
            return _calculate(expression, assignments, **options)
    except NumericError as err:
        result = _calculate(expression, assignments, **options)
        result.nonfinite = err
        return result


def variables_of(expression: str, assignments: list[str], dtype: str = "float64"):
    """Parse the expression, evaluate NAME=VALUE arguments.

    Returns (runner, {name: leaf}, unused names, the compiled expression)."""
    from gradcli.engine import dtypes
    from gradcli.lang import builtins as B
    from gradcli.lang.runner import Runner

    dt = dtypes.BY_NAME[dtype]
    dtypes.set_default_dtype(dt)
    runner = Runner(echo=False)
    f = runner.expression(expression, "<expr>")
    names = free_names(f.node)
    given = {}
    for name, text in split_assignments(assignments):
        if name in given:
            raise UsageError(f"'{name}' is given twice", hint="pass each NAME=VALUE once")
        given[name] = _leaf(runner.evaluate(text, f"<{name}>"), dt, name)
    variables = {}
    for name in names:
        if name in given:
            variables[name] = given[name]
        elif name not in B.BUILTINS:
            raise UsageError(f"no value for variable '{name}'", hint=f"pass {name}=VALUE, e.g. {name}=2")
    unused = [n for n in given if n not in variables]
    runner.variables.update(variables)
    return runner, variables, unused, f


def check(expression: str, assignments: list[str]):
    """Autograd against finite differences at the given point (float64)."""
    from gradcli.engine.gradcheck import compare

    runner, variables, _, value = variables_of(expression, assignments)
    names = list(variables)

    def f(*xs):
        runner.variables.update(zip(names, xs))
        return value()

    if not names:
        raise UsageError("the expression has no variables to check", hint="e.g. gradcli check 'sin(x)' x=1")
    return compare(f, [variables[n] for n in names], names)


def _calculate(expression: str, assignments: list[str], *, dtype: str = "float64", wrt: list[str] | None = None,
               jacobian: bool = False, hessian: bool = False, vjp: str | None = None) -> Result:
    from gradcli.engine import dtypes
    from gradcli.engine.tensor import Tensor

    dt = dtypes.BY_NAME[dtype]
    if jacobian and vjp is not None:
        raise UsageError("--jacobian and --vjp ask for different things", hint="pass one of them")
    runner, variables, unused, f = variables_of(expression, assignments, dtype)
    value = f()
    if not isinstance(value, (Tensor, int, float)):
        from gradcli.errors import ValueTypeError
        from gradcli.lang.names import type_name
        raise ValueTypeError(f"the expression's value is {type_name(value)}, not a number or a tensor",
                             hint="the calculator differentiates numbers and tensors")
    result = Result(expression, value, variables, unused=unused)
    if not isinstance(value, Tensor) or not value.requires_grad:
        return result
    targets = wrt if wrt else list(variables)
    for name in targets:
        if name not in variables:
            raise UsageError(f"--wrt names '{name}', which is not a variable of the expression",
                             hint=f"variables: {', '.join(variables) or 'none'}")
    try:
        _differentiate(result, runner, value, [variables[n] for n in targets], targets, dt, jacobian, hessian, vjp)
    except GradcliError as e:  # an engine error (no derivative, a NaN check...): point at the expression
        if not isinstance(e, UsageError):
            lines = expression.split("\n")
            e.with_span(Span(1, 1, len(lines), len(lines[-1]) + 1, "<expr>"))
        raise
    return result


def _differentiate(result: Result, runner, value, leaves: list, targets: list, dt, jacobian: bool, hessian: bool,
                   vjp: str | None) -> None:
    from gradcli.engine import autograd
    from gradcli.engine.ops.creation import tensor
    from gradcli.engine.tensor import Tensor

    if vjp is not None:
        v = runner.evaluate(vjp, "<vjp>")
        if not isinstance(v, (Tensor, int, float, list, tuple)) or isinstance(v, bool):
            raise UsageError("--vjp needs a vector of numbers, e.g. --vjp '[1, 0, 0]'")
        v = v if isinstance(v, Tensor) else tensor(v, dtype=dt)
        grads = autograd.grad(value, leaves, grad_outputs=v.to(dt), allow_unused=True, materialize_grads=True)
        result.gradients = dict(zip(targets, grads))
    elif jacobian:
        result.jacobian = _jacobian(value, leaves, targets)
    elif value.numel() != 1:
        raise UsageError(f"the expression's value has shape {list(value.shape)}, so it has no single gradient",
                         hint="pass --jacobian for the full Jacobian, --vjp '[...]' for a vector-Jacobian "
                              "product, or reduce it (.sum())")
    if value.numel() == 1 and vjp is None:
        grads = autograd.grad(value, leaves, allow_unused=True, materialize_grads=True,
                              create_graph=hessian, retain_graph=True)
        result.gradients = dict(zip(targets, grads))
        if hessian:
            result.hessian = _hessian(grads, leaves, targets)


def _leaf(value, dt, name):
    from gradcli.engine.ops.creation import tensor
    from gradcli.engine.tensor import Tensor

    if isinstance(value, Tensor):
        if value.array.dtype.kind not in "fiub":
            raise UsageError(f"{name} must be numeric")
        t = tensor(value.detach(), dtype=dt)
    elif isinstance(value, (int, float, bool, list, tuple)):
        try:
            t = tensor(value, dtype=dt)
        except GradcliError as e:
            raise UsageError(f"{name}={value!r}: {e.message}", hint=e.hint) from None
    else:
        raise UsageError(f"the value of {name} is not a number or a tensor", hint=f"e.g. {name}=2")
    t.requires_grad_(True)
    t.name = name
    return t


def _jacobian(value, leaves, targets) -> dict:
    from gradcli.engine import autograd

    flat = value.reshape(-1)
    rows = {n: [] for n in targets}
    for i in range(flat.numel()):
        grads = autograd.grad(flat[i], leaves, retain_graph=True, allow_unused=True, materialize_grads=True)
        for n, g in zip(targets, grads):
            rows[n].append(g.array)
    from gradcli.engine.tensor import Tensor
    return {n: Tensor(np.stack(rows[n]).reshape(tuple(value.shape) + tuple(leaf.shape)))
            for n, leaf in zip(targets, leaves)}


def _hessian(grads, leaves, targets) -> dict:
    from gradcli.engine import autograd
    from gradcli.engine.tensor import Tensor

    out = {}
    for ni, gi, li in zip(targets, grads, leaves):
        flat = gi.reshape(-1)
        blocks = {nj: [] for nj in targets}
        for k in range(flat.numel()):
            if not flat[k].requires_grad:
                for nj, lj in zip(targets, leaves):
                    blocks[nj].append(np.zeros(lj.array.shape, lj.array.dtype))
                continue
            second = autograd.grad(flat[k], leaves, retain_graph=True, allow_unused=True, materialize_grads=True)
            for nj, s in zip(targets, second):
                blocks[nj].append(s.array)
        for nj, lj in zip(targets, leaves):
            out[(ni, nj)] = Tensor(np.stack(blocks[nj]).reshape(tuple(li.shape) + tuple(lj.shape)))
    return out


def sample(expression: str, spec: str, others: list[str], points: int):
    """f and f' at evenly spaced points of one variable given as NAME=A:B (other variables fixed)."""
    import numpy as np

    from gradcli.engine import autograd
    from gradcli.engine.tensor import Tensor

    m = ASSIGNMENT.match(spec)
    if not m or ":" not in m.group(2):
        raise UsageError(f"expected NAME=A:B for the plotted range, got '{spec}'", hint="e.g. x=-3:3")
    name, (a_text, _, b_text) = m.group(1), m.group(2).partition(":")
    runner, variables, _, value = variables_of(expression, others + [f"{name}=0"])
    a, b = (float(runner.evaluate(t, f"<{name}>")) for t in (a_text, b_text))
    if not (math.isfinite(a) and math.isfinite(b)) or a >= b:
        raise UsageError(f"the range {a_text}:{b_text} must go from a smaller to a larger finite number")
    xs = np.linspace(a, b, points)
    ys, ds = np.empty(points), np.empty(points)
    for i, x in enumerate(xs):
        leaf = Tensor(np.array(x), True)
        runner.variables[name] = leaf
        f = value()
        if not isinstance(f, Tensor) or f.numel() != 1:
            raise UsageError("plot needs an expression with one number as its value")
        ys[i] = float(f.item())
        (g,) = autograd.grad(f, [leaf], allow_unused=True, materialize_grads=True) if f.requires_grad else (None,)
        ds[i] = float(g.item()) if g is not None else 0.0
    return name, xs, ys, ds
