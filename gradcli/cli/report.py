"""Printing the calculator's results: text (PyTorch-style tensors, shortest numbers) or one JSON object."""

from __future__ import annotations

import math

from gradcli.cli.console import Streams


class CalcOptions:
    """The calculator's flags (a plain class: no dataclass machinery on the start-up path)."""

    def __init__(self, wrt=None, dtype="float64", jacobian=False, vjp=None, hessian=False, json=False,
                 tree=False, ledger=False, explain=False, emit=None):
        self.wrt, self.dtype, self.jacobian, self.vjp, self.hessian = wrt, dtype, jacobian, vjp, hessian
        self.json, self.tree, self.ledger, self.explain, self.emit = json, tree, ledger, explain, emit


def calculator(streams: Streams, expression: str, assignments: list[str], opts: CalcOptions) -> None:
    from gradcli.cli import calc

    expression = expression.strip()
    streams.sources["<expr>"] = expression
    for a in assignments:
        m = calc.ASSIGNMENT.match(a)
        if m:
            streams.sources[f"<{m.group(1)}>"] = m.group(2)
    if opts.emit is not None:
        from gradcli.show.emit import emit_torch
        if opts.emit != "torch":
            from gradcli.errors import UsageError
            raise UsageError(f"--emit supports 'torch', not '{opts.emit}'")
        streams.out(emit_torch(expression, calc.split_assignments(assignments), opts.dtype))
        return
    result = calc.calculate(expression, assignments, dtype=opts.dtype, wrt=opts.wrt, jacobian=opts.jacobian,
                            hessian=opts.hessian, vjp=opts.vjp)
    if result.nonfinite is not None:
        err = result.nonfinite
        streams.warning(err.message, err.span, err.hint)
    for name in result.unused:
        streams.warning(f"{name} is not used by the expression", hint=f"remove {name}=..., or check the spelling")
    if opts.json:
        import json
        streams.print(json.dumps(to_json(result, opts), ensure_ascii=False))
        return
    streams.out(as_text(result))
    if opts.tree or opts.ledger:
        from gradcli.engine.tensor import Tensor
        from gradcli.errors import UsageError
        if not isinstance(result.value, Tensor) or not result.value.requires_grad:
            raise UsageError("--tree and --ledger need an expression of variables", hint="e.g. x=2")
    if opts.tree:
        from gradcli.show import graph, render, tree
        model = graph.build(result.value, names={"f": result.value}, grads=result.gradients)
        streams.out(render.to_text(tree.render_tree(model, explain=opts.explain, ascii=not render.utf8_output())))
    if opts.ledger:
        from gradcli.errors import UsageError
        from gradcli.show import ledger, render
        if result.value.numel() != 1:
            raise UsageError("--ledger needs a scalar expression", hint="reduce it first, e.g. sum(...)")
        streams.out(ledger.ledger_text(result.value, list(result.variables.values()),
                                       ascii=not render.utf8_output()))


def number_text(value, dtype=None) -> str:
    """Shortest round-trip form, in the value's own precision: 330, 0.2, -1.5e-07."""
    import numpy as np

    from gradcli.engine.tensor import Tensor
    if isinstance(value, Tensor):
        dtype = value.array.dtype
        value = value.array.reshape(()).item() if value.array.dtype.kind != "f" else value.array.reshape(())[()]
    if isinstance(value, bool) or isinstance(value, (int, np.integer)):
        from gradcli.show.values import int_text
        return int_text(int(value)) if not isinstance(value, bool) else str(value)
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = str(np.float32(value)) if dtype == np.float32 else repr(x)
    if text.endswith(".0"):
        text = text[:-2]
    if "e" in text:
        mant, exp = text.split("e")
        if mant.endswith(".0"):
            mant = mant[:-2]
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        text = f"{mant}e{sign}{digits}"
    return text


def value_text(v) -> str:
    from gradcli.engine.tensor import Tensor
    from gradcli.show.values import repr_value, tensor_repr

    if isinstance(v, Tensor):
        if v.array.ndim == 0:
            return number_text(v)
        return tensor_repr(v.detach())
    if isinstance(v, float) or isinstance(v, int):
        return number_text(v)
    return repr_value(v)


def _line(label: str, v) -> str:
    text = value_text(v)
    if "\n" in text:
        return f"{label} =\n{text}\n"
    return f"{label} = {text}\n"


def as_text(result) -> str:
    out = [_line("f", result.value)]
    for name, g in result.gradients.items():
        out.append(_line(f"df/d{name}", g))
    if result.jacobian:
        for name, j in result.jacobian.items():
            out.append(_line(f"J[{name}]", j))
    if result.hessian:
        for (a, b), h in result.hessian.items():
            label = f"d2f/d{a}2" if a == b else f"d2f/d{a}d{b}"
            out.append(_line(label, h))
    return "".join(out)


def plain_number(x):
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 1000:
        return float(x) if x.bit_length() < 1024 else None  # JSON readers cannot take it either
    return x


def json_value(v):
    """Numbers and nested lists; NaN and infinities become null (JSON has no spelling for them)."""
    from gradcli.engine.tensor import Tensor

    if isinstance(v, Tensor):
        v = v.array.tolist()
    if isinstance(v, list):
        stack = [v]
        while stack:
            lst = stack.pop()
            for i, x in enumerate(lst):
                if isinstance(x, list):
                    stack.append(x)
                else:
                    lst[i] = plain_number(x)
        return v
    return plain_number(v)


def to_json(result, opts: CalcOptions) -> dict:
    from gradcli.engine.tensor import Tensor

    value = result.value
    out = {
        "expression": result.expression,
        "value": json_value(value),
        "gradients": {n: json_value(g) for n, g in result.gradients.items()},
        "dtype": value.dtype.name if isinstance(value, Tensor) else type(value).__name__,
        "shapes": {"value": list(value.shape) if isinstance(value, Tensor) else [],
                   **{n: list(t.shape) for n, t in result.variables.items()}},
    }
    if result.jacobian is not None:
        out["jacobian"] = {n: json_value(j) for n, j in result.jacobian.items()}
    if result.hessian is not None:
        out["hessian"] = {f"{a},{b}": json_value(h) for (a, b), h in result.hessian.items()}
    return out
