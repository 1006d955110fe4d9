"""Tutorial variants: seeded random scripts modelled on the autograd tutorials, recorded under PyTorch.

Run with torch 2.13.0 (CPU) installed:

    python tests/parity/gen_variants.py            # (re)write tests/parity/data/variants.json
    python tests/parity/gen_variants.py --compare  # run every variant in gradcli too; list mismatches

Each template below is modelled on an example of the tutorials in /work/shared/seeds (one-layer net
with BCE-with-logits, grad_fn printing, backward with gradient=, retain_graph, no_grad/detach, .data,
accumulation and zero_, SGD loops, Jacobian products, partial derivatives, polynomials, mean, chains
of ops) or on SPEC §2's minimum op surface, and draws its numbers, shapes, dtypes, ops and statement
order from a `random.Random` seeded by the template's name and the variant's number, so the scripts
are the same on every run. A script is valid Python and a valid gradcli script; it runs under torch the
way examples/torch_reference.py runs one (each top-level statement typed at the prompt: bare
expressions echo their repr; `<X object at 0x..>` prints as `<X>`).

Recorded per variant: the code, stdout, and, when the script fails, the exception's class and first
line, the index of the top-level statement that raised it, and the script lines of its traceback.
gradcli must print the same stdout and fail at the same statement (its error wording is its own).
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import math
import random
import sys
import traceback
import warnings
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "data" / "variants.json"
FILENAME = "variant.grad"

HEADER = "import torch\nimport torch.nn.functional as F\n"

TEMPLATES: list = []


def template(count: int):
    """Register a template: a function of a Random that returns a script body (HEADER is prepended)."""
    def register(fn):
        TEMPLATES.append((fn.__name__, fn, count))
        return fn
    return register


# ------------------------------------------------------------------------------------------- values

def lit(v) -> str:
    """A Python literal for a number."""
    if isinstance(v, bool):
        return repr(v)
    if isinstance(v, int):
        return str(v)
    if math.isinf(v):
        return "float('inf')" if v > 0 else "float('-inf')"
    if math.isnan(v):
        return "float('nan')"
    return repr(float(v))


SCALES = ["int", "dec", "dec", "pos", "wide", "big", "tiny", "zeros", "dec"]


def number(rng: random.Random, scale: str) -> float:
    if scale == "int":
        return float(rng.randint(-5, 5))
    if scale == "dec":
        return round(rng.uniform(-3, 3), rng.choice([1, 2, 3]))
    if scale == "pos":
        return round(rng.uniform(0.1, 4), 2)
    if scale == "wide":
        return rng.choice([-1, 1]) * round(10 ** rng.uniform(-4, 5), 3 if rng.random() < 0.5 else 6)
    if scale == "big":
        return rng.choice([-1, 1, 1]) * float(round(10 ** rng.uniform(4, 9)))
    if scale == "tiny":
        return rng.choice([-1, 1]) * float(f"{10 ** rng.uniform(-8, -3):.3g}")
    if scale == "zeros":
        return rng.choice([0.0, 0.0, 1.0, -1.0, 0.5, 2.0])
    raise ValueError(scale)


def numbers(rng: random.Random, n: int, scale: str | None = None) -> list:
    scale = scale or rng.choice(SCALES)
    return [number(rng, scale) for _ in range(n)]


def nested(shape: tuple, flat: list) -> str:
    """The nested-list literal of `flat` (row-major) in `shape`."""
    if not shape:
        return lit(flat[0])
    step = len(flat) // shape[0] if shape[0] else 0
    return "[" + ", ".join(nested(shape[1:], flat[i * step:(i + 1) * step]) for i in range(shape[0])) + "]"


def sz(shape) -> str:
    """A shape as size arguments: `2, 3`, or `()` for a 0-d shape."""
    return ", ".join(map(str, shape)) if shape else "()"


def prod(shape) -> int:
    out = 1
    for s in shape:
        out *= s
    return out


def shape_of(rng: random.Random, ndim: int, lo: int = 1, hi: int = 4) -> tuple:
    return tuple(rng.randint(lo, hi) for _ in range(ndim))


def tensor(rng: random.Random, shape: tuple, scale: str | None = None, grad: bool = False, dtype: str | None = None,
           ints: bool = False) -> str:
    """A torch.tensor(...) literal of the given shape."""
    n = prod(shape)
    if ints:
        flat = [rng.randint(-4, 6) for _ in range(n)]
    else:
        flat = numbers(rng, n, scale)
    args = [nested(shape, flat)]
    if dtype:
        args.append(f"dtype=torch.{dtype}")
    if grad:
        args.append("requires_grad=True")
    return f"torch.tensor({', '.join(args)})"


def fdtype(rng: random.Random, p64: float = 0.3) -> str | None:
    return "float64" if rng.random() < p64 else None


def dkw(dtype: str | None) -> str:
    return f", dtype=torch.{dtype}" if dtype else ""


def seed_line(rng: random.Random) -> str:
    return f"torch.manual_seed({rng.choice([0, 1, 2, 7, 42, 123, 2024, rng.randint(0, 10 ** 6)])})\n"


def show(rng: random.Random, expr: str, label: str | None = None) -> str:
    """Print or echo an expression, the three ways the tutorials do."""
    how = rng.random()
    if how < 0.35:
        return f"{expr}\n"
    if how < 0.7 or label is None:
        return f"print({expr})\n"
    if how < 0.85:
        return f"print({label!r}, {expr})\n"
    return f"print(f\"{label} {{{expr}}}\")\n"


# ---------------------------------------------------------------------------------------- templates
# Each returns a script body. Names of templates are part of the variant names in the data.

@template(14)
def one_layer_net(rng):
    n, m = rng.randint(1, 6), rng.randint(1, 5)
    dt = fdtype(rng, 0.25)
    batch = rng.random() < 0.3
    k = rng.randint(2, 3)
    xshape = f"{k}, {n}" if batch else f"{n}"
    yshape = f"{k}, {m}" if batch else f"{m}"
    code = seed_line(rng)
    code += rng.choice([f"x = torch.ones({xshape}{dkw(dt)})  # input tensor\n",
                        f"x = torch.randn({xshape}{dkw(dt)})\n",
                        f"x = torch.full(({xshape},), {lit(number(rng, 'dec'))}{dkw(dt)})\n"])
    code += rng.choice([f"y = torch.zeros({yshape}{dkw(dt)})  # expected output\n",
                        f"y = torch.ones({yshape}{dkw(dt)})\n",
                        f"y = torch.rand({yshape}{dkw(dt)})\n"])
    code += f"w = torch.randn({n}, {m}{dkw(dt)}, requires_grad=True)\n"
    code += f"b = torch.randn({m}{dkw(dt)}, requires_grad=True)\n"
    code += rng.choice(["z = torch.matmul(x, w)+b\n", "z = x @ w + b\n", "z = torch.add(torch.matmul(x, w), b)\n",
                        "z = b + x.matmul(w)\n"])
    red = rng.choice(["", "", ", reduction='sum'", ", reduction='mean'", ", reduction='none'"])
    code += f"loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y{red})\n"
    if rng.random() < 0.4:
        code += "x.shape, w.shape\n"
    code += 'print(f"Gradient function for z = {z.grad_fn}")\n'
    code += rng.choice(['print(f"Gradient function for loss = {loss.grad_fn}")\n',
                        "print('Gradient function for loss =', loss.grad_fn)\n"])
    if "none" in red:
        code += "loss = loss.sum()\n"
    retain = rng.random() < 0.3
    code += "loss.backward(retain_graph=True)\n" if retain else "loss.backward()\n"
    if retain:
        code += "loss.backward()\n"
    code += rng.choice(["print(w.grad)\nprint(b.grad)\n", 'print("Derivative of w: ",w.grad)\nprint("Derivative of b: ",b.grad)\n',
                        "w.grad\nb.grad\n"])
    code += "z = torch.matmul(x, w)+b\nprint(z.requires_grad)\n"
    code += "with torch.no_grad():\n    z = torch.matmul(x, w)+b\nprint(z.requires_grad)\n"
    if rng.random() < 0.5:
        code += 'z = torch.matmul(x,w)+b\nprint("Before detach(): ",z.requires_grad)\nz_det = z.detach()\n'
        code += 'print("After detach(): ",z_det.requires_grad)\nz_det\n'
    if rng.random() < 0.3:
        code += "loss.backward()\n"  # a second backward through the freed graph
    return code


@template(10)
def retain_graph(rng):
    code = seed_line(rng)
    n, m = rng.randint(2, 5), rng.randint(1, 4)
    code += f"x = torch.ones({n})\ny = torch.zeros({m})\n"
    code += f"w = torch.randn({n}, {m}, requires_grad=True)\nb = torch.randn({m}, requires_grad=True)\n"
    code += "z = torch.matmul(x, w) + b\nloss = torch.nn.functional.binary_cross_entropy_with_logits(z,y)\n"
    kind = rng.choice(["twice", "retain", "multi", "times2", "grad"])
    if kind == "twice":
        code += "loss.backward()\nprint(w.grad)\nloss.backward()\nprint('unreachable')\n"
    elif kind == "retain":
        times = rng.randint(2, 4)
        code += "loss.backward(retain_graph=True)\n" * (times - 1) + "loss.backward()\n"
        code += 'print("Derivative of w: ",w.grad)\nprint("Derivative of b: ",b.grad)\n'
        if rng.random() < 0.5:
            code += "loss.backward()\n"
    elif kind == "multi":
        code += "loss1 = loss\nloss2 = (z ** 2).mean()\n"
        code += "loss1.backward(retain_graph=True)\nloss2.backward()\nprint(w.grad, b.grad)\n"
        code += rng.choice(["", "loss1.backward()\n", "z.sum().backward()\n"])
    elif kind == "times2":
        code += "loss.backward()\n"
        code += 'print("Derivative of w: ",w.grad*2)\nprint("Derivative of b: ",b.grad*2)\n'
        code += "w.grad.zero_()\nb.grad.zero_()\nprint(w.grad.sum(), b.grad)\n"
    else:
        code += "g = torch.autograd.grad(loss, [w, b], retain_graph=True)\nprint(g)\n"
        code += "loss.backward()\nprint(w.grad.eq(g[0]).all(), b.grad.eq(g[1]).all())\n"
        code += rng.choice(["", "torch.autograd.grad(loss, w)\n"])
    return code


@template(12)
def jacobian_product(rng):
    n, m = rng.randint(1, 5), rng.randint(1, 6)
    dt = fdtype(rng)
    c = rng.choice([1, 2, -1, 0.5, 3])
    p = rng.choice([2, 3, 0.5, -1, 2.5])
    op = rng.choice(["t()", "T", "transpose(0, 1)", "sum(0)", "exp()", "relu()", "t().sin()"])
    code = f"inp = torch.eye({n}, {m}{dkw(dt)}, requires_grad=True)\n"
    code += f"out = (inp+{c}).pow({p}).{op}\n"
    if rng.random() < 0.3:
        code += "out\n"
    v = rng.choice(["torch.ones_like(out)", "torch.full_like(out, 0.5)", "2 * torch.ones_like(out)",
                    "torch.rand_like(out)", "out.detach()"])
    code += f"out.backward({v}, retain_graph=True)\n"
    code += 'print(f"First call\\n{inp.grad}")\n'
    code += f"out.backward({v}, retain_graph=True)\n"
    code += 'print(f"\\nSecond call\\n{inp.grad}")\n'
    code += rng.choice(["inp.grad.zero_()\n", "inp.grad = None\n", "inp.grad.data.zero_()\n"])
    code += f"out.backward({v}, retain_graph=True)\n"
    code += 'print(f"\\nCall after zeroing gradients\\n{inp.grad}")\n'
    if rng.random() < 0.3:
        code += "out.backward()\n"  # non-scalar: needs gradient=
    return code


@template(10)
def arithmetic_grad_fn(rng):
    r, c = rng.randint(1, 3), rng.randint(1, 3)
    dt = fdtype(rng, 0.2)
    fill = rng.choice(["ones", "zeros", "full"])
    make = f"torch.full(({r}, {c}), {lit(number(rng, 'dec'))}{dkw(dt)}, requires_grad=True)" if fill == "full" \
        else f"torch.{fill}({r}, {c}{dkw(dt)}, requires_grad=True)"
    code = f"x1 = torch.ones({r}, {c})\nprint(x1)\ny1 = x1 + 2\nprint(y1)\n"
    code += f"x = {make}\nprint(x)\n"
    ops = ["x + {s}", "x - {s}", "x * {s}", "x / {s}", "{s} - x", "{s} * x", "{s} / x", "x ** {s}", "{s} ** x",
           "-x", "x + x", "x * x", "x / (x + 1)", "x - x * {s}", "(x + {s}) * (x - {s})", "x // {s}", "x % {s}",
           "torch.add(x, {s})", "torch.sub(x, {s}, alpha=2)", "torch.mul(x, {s})", "torch.div(x, {s})", "x.pow({s})",
           "torch.neg(x)", "x.add(x, alpha={s})", "abs(x - {s})", "+x"]
    for i, op in enumerate(rng.sample(ops, rng.randint(3, 6)), 1):
        s = lit(rng.choice([2, 2.0, 0.5, -1, 3, 1e-3, 0.0]) if "/" not in op else rng.choice([2, 0.5, -4, 3.0]))
        code += f"y{i} = {op.format(s=s)}\n"
        code += show(rng, f"y{i}", f"y{i} =")
        if rng.random() < 0.4:
            code += show(rng, f"y{i}.grad_fn")
    return code


@template(8)
def requires_grad_(rng):
    r, c = rng.randint(1, 3), rng.randint(1, 3)
    code = seed_line(rng)
    code += rng.choice([f"x = torch.ones({r}, {c})\n", f"x = torch.randn({r}, {c})\n",
                        f"x = torch.arange({r * c}.).reshape({r}, {c})\n"])
    code += f"y = x + {rng.choice([2, -1, 0.5])}\nprint(x)\nprint(y)\n"
    code += rng.choice(["y.requires_grad_(True)\n", "y.requires_grad_()\n", "_ = y.requires_grad_(True)\n"])
    code += "print(x)\nprint(y)\nprint(y.is_leaf, y.grad_fn, y.requires_grad)\n"
    code += "z = (y * y).sum()\nz\nz.backward()\nprint(y.grad)\nprint(x.grad)\n"
    tail = rng.choice(["", "torch.tensor([1, 2]).requires_grad_()\n", "z.requires_grad_(False)\n",
                       "y.requires_grad_(False)\nprint(y.requires_grad, (y * 2).requires_grad)\n",
                       "torch.ones(2, requires_grad=True, dtype=torch.int64)\n",
                       "w = torch.tensor([1., 2.]).requires_grad_()\nw.requires_grad = False\nw\n"])
    return code + tail


@template(12)
def polynomial(rng):
    dt = fdtype(rng)
    a = rng.choice([2.0, -1.5, 0.0, 0.5, 3.0, 10.0, -2.0, 1e-3, 100.0, 1.0])
    degree = rng.randint(2, 5)
    terms = []
    for d in range(degree, -1, -1):
        coef = rng.choice([1, 2, 3, 6, 9, -1, -4, 0.5, 1.5])
        if d == 0:
            terms.append(f"{coef}")
        elif d == 1:
            terms.append(f"{coef}*x")
        else:
            terms.append(f"{coef}*x**{d}")
    expr = " + ".join(terms).replace("+ -", "- ")
    vec = rng.random() < 0.35
    if vec:
        vals = [rng.choice([2.0, -1.5, 0.0, 0.5, 3.0, -2.0, 1.25]) for _ in range(rng.randint(2, 4))]
        code = f"x = torch.tensor({vals}{dkw(dt)}, requires_grad=True)\n"
        code += f"y = {expr}\n"
        code += show(rng, "y")
        code += rng.choice(["y.sum().backward()\n", "y.backward(torch.ones_like(y))\n", "y.mean().backward()\n"])
    else:
        code = f"x = torch.tensor({lit(a)}{dkw(dt)}, requires_grad=True)\n"
        code += f"y = {expr}\n"
        code += show(rng, "y")
        code += "y.backward()\n"
    code += rng.choice(["print(x.grad)\n", "x.grad\n", "print(x.grad.item())\n", "print(x.grad.tolist())\n",
                        "print(f'dy/dx = {x.grad}')\n"])
    if rng.random() < 0.4:
        code += "y.grad_fn\ny.grad_fn.next_functions\n"
    return code


@template(8)
def backward_non_scalar(rng):
    code = seed_line(rng)
    shape = shape_of(rng, rng.randint(1, 3), 2, 3)
    code += f"x = torch.randn({sz(shape)}, requires_grad=True)\n"
    code += f"y = x + {rng.choice([2, 1, -3])}\n"
    code += rng.choice(["z = (y * y)\n", "z = y ** 2\n", "z = y * y * 3\n"])
    if rng.random() < 0.5:
        code += "z.backward()\n"
        return code
    code += rng.choice(["z = z.sum()\n", "z = z.mean()\n", "z = z.sum() / 4\n"])
    code += "z.backward()\n"
    for name in rng.sample(["x", "y", "z", "x.grad", "y.grad", "z.grad"], 6):
        code += f"print({name})\n"
    return code


@template(8)
def backward_with_gradient(rng):
    code = seed_line(rng)
    shape = shape_of(rng, rng.randint(1, 3), 1, 3)
    s = sz(shape)
    code += f"x = torch.randn({s}, requires_grad=True)\ny = x + 2\n"
    code += rng.choice(["z = (y * y)\n", "z = y.exp()\n", "z = y * x\n"])
    g = rng.choice(["z", "torch.ones_like(y)", f"torch.full(({s},), 0.1)", "z.detach() * 2", "x.detach()",
                    f"torch.randn({s})", "torch.ones(1)", "torch.tensor(2.)"])
    code += f"y.backward({g})\n" if rng.random() < 0.5 else f"y.backward(gradient={g})\n"
    code += "print(x.grad)\n"
    if g == "z":
        code += "print(x.grad.eq(z).all())\n"
    if rng.random() < 0.4:
        code += f"z.backward({rng.choice(['torch.ones(7)', 'torch.ones_like(z)', 'None'])})\nprint(x.grad)\n"
    return code


@template(10)
def mean_chain(rng):
    shape = shape_of(rng, rng.randint(0, 3), 1, 3)
    dt = fdtype(rng)
    code = f"x = {tensor(rng, shape, dtype=dt, grad=True)}\n"
    code += show(rng, "x")
    a, b = rng.choice([2, -1, 0.5, 10]), rng.choice([3, 2, -0.5, 1e3])
    code += f"y = x + {a}\n" + show(rng, "y")
    code += f"z = y * y * {b}\n" + show(rng, "z")
    if shape and rng.random() < 0.4:
        d = rng.randrange(-len(shape), len(shape))
        code += f"out = z.mean(dim={d}, keepdim={rng.random() < 0.5}).sum()\n"
    else:
        code += rng.choice(["out = z.mean()\n", "out = torch.mean(z)\n"])
    code += show(rng, "out", "out:")
    code += "out.backward()\nprint(x.grad)\n"
    if rng.random() < 0.3:
        code += "print(z, '\\n', out)\n"
    return code


@template(8)
def partial_derivatives(rng):
    dt = fdtype(rng)
    vx, vz = rng.choice([1.0, -2.0, 0.5, 0.0, 3.0]), rng.choice([2.0, -1.0, 1.5, 0.0, 4.0])
    code = f"x = torch.tensor({lit(vx)}{dkw(dt)}, requires_grad=True)\n"
    code += f"z = torch.tensor({lit(vz)}{dkw(dt)}, requires_grad=True)\n"
    p, q = rng.choice([2, 3, 4]), rng.choice([2, 3, 0.5])
    extra = rng.choice(["", " + x*z", " - 2*x*z**2", " + torch.sin(x)*z", " + x/(z+10)"])
    code += f"y = x**{p} + z**{q}{extra}\n"
    code += "y.backward()\nprint(x.grad, z.grad)\n"
    if rng.random() < 0.5:
        code += "print(y)\n"
    return code


@template(8)
def no_grad_flags(rng):
    code = seed_line(rng)
    code += rng.choice(["x = torch.tensor(1.0, requires_grad = True)\n", "x = torch.randn(3, requires_grad=True)\n",
                        "x = torch.ones(2, 2, requires_grad=True)\n"])
    code += "print(x.requires_grad)\nprint((x ** 2).requires_grad)\n"
    code += "with torch.no_grad():\n    print(x.requires_grad)\n    print((x**2).requires_grad)\n"
    if rng.random() < 0.5:
        code += "    y = x * 2\n    y\n"
    code += "print(x.requires_grad)\n"
    if rng.random() < 0.5:
        code += "y = x.detach()\nprint(y.requires_grad)\nprint(x.eq(y).all())\ny.is_leaf\ny.grad_fn\n"
    if rng.random() < 0.5:
        code += "with torch.no_grad():\n    w = x + 1\n    w.requires_grad_()\n    v = w * 2\n"
        code += "print(w.requires_grad, v.requires_grad, w.is_leaf)\n"
    return code


@template(8)
def requires_grad_after_ops(rng):
    r, c = rng.randint(1, 3), rng.randint(1, 3)
    code = seed_line(rng)
    code += f"a = torch.randn({r}, {c})\na = ((a * 3) / (a - 1))\n"
    code += 'print("a =", a)\nprint(a.requires_grad, \'\\n\')\n'
    code += 'a.requires_grad_(True)\nprint("a =", a)\nprint(a.requires_grad, \'\\n\')\n'
    code += rng.choice(["b = (a * a).sum()\n", "b = (a * a).mean()\n", "b = a.pow(2).sum() / 2\n"])
    code += "print(b.grad_fn)\nb.backward()\nprint(a.grad)\n"
    return code


@template(10)
def while_norm(rng):
    n = rng.randint(2, 4)
    dt = fdtype(rng, 0.2)
    code = seed_line(rng)
    code += f"x = torch.randn({n}{dkw(dt)}, requires_grad=True)\n"
    k = rng.choice([2, 3, 1.5])
    limit = rng.choice([10, 1000, 1e5, 100])
    code += f"y = x * {k}\nwhile y.data.norm() < {limit}:\n    y = y * {k}\n"
    code += 'print("NORM : ", y.data.norm())\nprint(y)\n'
    v = [rng.choice([0.1, 1.0, 0.0001, 1e-6, 10.0, 0.0, -2.0]) for _ in range(n)]
    code += f"v = torch.tensor({v}, dtype=torch.{dt or 'float'})\ny.backward(v)\nprint(x.grad)\n"
    if rng.random() < 0.3:
        code += "y.grad_fn.next_functions[0][0].next_functions\n"
    return code


@template(12)
def sgd_loop(rng):
    code = seed_line(rng)
    n = rng.randint(3, 6)
    f = rng.randint(1, 3)
    code += f"X = torch.randn({n}, {f})\n"
    code += f"true_w = torch.tensor({[round(rng.uniform(-2, 2), 1) for _ in range(f)]})\n"
    code += f"Y = X @ true_w + {round(rng.uniform(-1, 1), 1)}\n"
    code += f"w = torch.zeros({f}, requires_grad=True)\nb = torch.zeros(1, requires_grad=True)\n"
    lr = rng.choice([0.1, 0.05, 0.01, 0.5, 1e-3])
    mom = rng.choice([None, 0.0, 0.9, 0.5])
    manual = rng.random() < 0.25
    if not manual:
        code += f"opt = torch.optim.SGD([w, b], lr={lr}{'' if mom is None else f', momentum={mom}'})\n"
    steps = rng.randint(2, 5)
    zero = rng.random() < 0.8
    loss = rng.choice(["F.mse_loss(pred, Y)", "((pred - Y) ** 2).mean()", "(pred - Y).abs().sum()",
                       "torch.nn.functional.mse_loss(pred, Y, reduction='sum')"])
    code += f"for i in range({steps}):\n"
    if zero and not manual:
        code += "    opt.zero_grad()\n"
    code += f"    pred = X @ w + b\n    loss = {loss}\n    loss.backward()\n"
    pr = rng.choice(['    print(f"{i}: loss={loss.item():.4f}")\n', "    print(i, loss)\n",
                     '    print(f"{i}번째 loss.backward()", w.grad[0:6])\n', "    loss\n",
                     "    print(i, loss.item(), w.grad)\n"])
    code += pr
    if manual:
        code += f"    with torch.no_grad():\n        w -= {lr} * w.grad\n        b -= {lr} * b.grad\n"
        if zero:
            code += "        w.grad.zero_()\n        b.grad.zero_()\n"
    else:
        code += "    opt.step()\n"
    code += "print(w, b)\n"
    if rng.random() < 0.4:
        code += "print(w.grad, b.grad)\n"
    if not manual and rng.random() < 0.3:
        code += "opt.zero_grad()\nprint(w.grad)\n"
    return code


@template(8)
def data_attribute(rng):
    code = seed_line(rng)
    n = rng.randint(2, 4)
    code += f"w = torch.randn({n}, requires_grad=True)\n"
    code += "y = (w * w).sum()\ny.backward()\n"
    kind = rng.choice(["update", "assign", "norm", "nonleaf", "inplace"])
    if kind == "update":
        lr = rng.choice([0.1, 0.5, 1e-2])
        code += f"w.data -= {lr} * w.grad.data\nprint(w)\nprint(w.data)\nw.data.requires_grad, w.data.is_leaf\n"
    elif kind == "assign":
        code += f"w.data = torch.zeros({n})\nprint(w, w.grad)\nw.data = torch.ones({n}, dtype=torch.float64)\nw\n"
    elif kind == "norm":
        code += "print(w.data.norm(), w.grad.data.norm())\nprint(w.data.norm() < 10)\n"
    elif kind == "nonleaf":
        code += "z = w * 3\nprint(z.data)\nz.data.grad_fn\nz.data.mul_(2)\nprint(z)\n"
    else:
        code += "w.data.add_(1)\nw.data.mul_(2)\nprint(w)\nprint(w.grad)\nw.grad.data.zero_()\nw.grad\n"
    return code


@template(8)
def accumulation(rng):
    dt = fdtype(rng, 0.2)
    vals = [rng.choice([1.0, -1.0, 2.0, 0.5, 0.0, 3.0]) for _ in range(rng.randint(1, 4))]
    code = f"x = torch.tensor({vals}{dkw(dt)}, requires_grad=True)\n"
    k = rng.randint(2, 4)
    op = rng.choice(["(x * x).sum()", "(x ** 3).sum()", "x.exp().sum()", "(2 * x).mean()"])
    code += f"for i in range({k}):\n    y = {op}\n    y.backward()\n    print(i, x.grad)\n"
    code += rng.choice(["x.grad.zero_()\n", "x.grad = None\n", "x.grad.data.zero_()\n", ""])
    code += f"y = {op}\ny.backward()\nx.grad\n"
    if rng.random() < 0.4:
        code += "x.grad.zero_()\nx.grad\n"
    return code


# ------------------------------------------------------------------------------ ops of the surface

def maybe_neg_dim(rng, d, ndim):
    return d - ndim if rng.random() < 0.3 else d


@template(26)
def reductions(rng):
    ndim = rng.randint(0, 3)
    shape = shape_of(rng, ndim, 1, 4)
    dt = fdtype(rng, 0.25)
    ints = rng.random() < 0.12
    code = f"x = {tensor(rng, shape, dtype=dt, grad=not ints, ints=ints, scale=rng.choice(['int', 'dec', 'zeros', 'wide', 'pos']))}\n"
    op = rng.choice(["sum", "mean", "max", "min", "prod", "amax", "argmax", "argmin", "max", "min", "sum", "mean",
                     "amin", "norm"])
    form = rng.choice(["method", "torch"])
    args = []
    if ndim and rng.random() < 0.75:
        if op in ("sum", "mean", "amax", "amin") and ndim >= 2 and rng.random() < 0.3:
            dims = rng.sample(range(ndim), 2)
            args.append(f"dim=({maybe_neg_dim(rng, dims[0], ndim)}, {dims[1]})")
        else:
            d = maybe_neg_dim(rng, rng.randrange(ndim), ndim)
            args.append(f"{d}" if rng.random() < 0.5 else f"dim={d}")
        if rng.random() < 0.5:
            args.append(f"keepdim={rng.random() < 0.6}")
    call = f"x.{op}({', '.join(args)})" if form == "method" else f"torch.{op}(x{''.join(', ' + a for a in args)})"
    code += f"r = {call}\n"
    code += show(rng, "r")
    if op in ("max", "min") and any(a.startswith(("dim", "0", "1", "2", "-")) for a in args):
        code += rng.choice(["values, indices = r\nprint(values, indices)\n", "r.values\nr.indices\n",
                            "r[0]\nr[1]\n", "print(r.values.shape, r.indices.dtype)\n"])
        out = "r[0]"
    else:
        out = "r"
    if not ints and op not in ("argmax", "argmin"):
        code += rng.choice([f"{out}.sum().backward()\n", f"({out} * {out}).sum().backward()\n",
                            f"{out}.backward(torch.ones_like({out}))\n"])
        code += "print(x.grad)\n"
        if rng.random() < 0.5:
            code += f"{out}.grad_fn\n"
    return code


@template(12)
def norms(rng):
    ndim = rng.randint(1, 3)
    shape = shape_of(rng, ndim, 1, 4)
    dt = fdtype(rng)
    code = f"x = {tensor(rng, shape, dtype=dt, grad=True, scale=rng.choice(['int', 'dec', 'zeros', 'wide']))}\n"
    p = rng.choice([None, 1, 2, 3, "float('inf')", 0.5, "'fro'", "float('-inf')", 0])
    args = []
    if p is not None:
        args.append(f"p={p}" if rng.random() < 0.6 else f"{p}")
    if rng.random() < 0.6:
        d = rng.randrange(ndim)
        args.append(f"dim={maybe_neg_dim(rng, d, ndim)}")
        if rng.random() < 0.5:
            args.append(f"keepdim={rng.random() < 0.5}")
    if rng.random() < 0.5:
        call = f"x.norm({', '.join(args)})"
    else:
        call = f"torch.norm(x{''.join(', ' + a for a in args)})"
    code += f"n = {call}\n" + show(rng, "n", "norm:")
    code += "n.sum().backward()\nprint(x.grad)\n"
    if rng.random() < 0.3:
        code += "n.grad_fn\n"
    return code


@template(12)
def softmaxes(rng):
    ndim = rng.randint(1, 3)
    shape = shape_of(rng, ndim, 1, 4)
    dt = fdtype(rng)
    code = seed_line(rng)
    code += f"x = {tensor(rng, shape, dtype=dt, grad=True, scale=rng.choice(['dec', 'int', 'wide', 'zeros']))}\n"
    fn = rng.choice(["F.softmax", "F.log_softmax", "torch.softmax", "torch.log_softmax", "x.softmax", "x.log_softmax",
                     "torch.nn.functional.softmax"])
    d = maybe_neg_dim(rng, rng.randrange(ndim), ndim)
    darg = f"dim={d}" if rng.random() < 0.6 or fn.startswith("torch.") and "functional" not in fn else f"{d}"
    call = f"{fn}({darg})" if fn.startswith("x.") else f"{fn}(x, {darg})"
    code += f"s = {call}\n" + show(rng, "s")
    code += f"w = torch.randn({sz(shape)}{dkw(dt)})\n"
    code += "(s * w).sum().backward()\nprint(x.grad)\n"
    if rng.random() < 0.5:
        code += f"print(s.sum({d}))\n"
    return code


def class_targets(rng, n_shape, classes, ignore=None):
    flat = [rng.randrange(classes) for _ in range(prod(n_shape))]
    if ignore is not None and flat:
        for i in rng.sample(range(len(flat)), max(1, len(flat) // 3)):
            flat[i] = ignore
    return nested(n_shape, flat) if n_shape else lit(flat[0])


@template(26)
def cross_entropy(rng):
    classes = rng.randint(2, 5)
    layout = rng.choice(["NC", "NC", "C", "NCd", "NCdd"])
    n = rng.randint(1, 3)
    if layout == "C":
        shape, tshape = (classes,), ()
    elif layout == "NC":
        shape, tshape = (n, classes), (n,)
    elif layout == "NCd":
        d = rng.randint(1, 3)
        shape, tshape = (n, classes, d), (n, d)
    else:
        d1, d2 = rng.randint(1, 2), rng.randint(1, 3)
        shape, tshape = (n, classes, d1, d2), (n, d1, d2)
    dt = fdtype(rng, 0.2)
    code = seed_line(rng)
    code += f"logits = torch.randn({sz(shape)}{dkw(dt)}, requires_grad=True)\n"
    probs = rng.random() < 0.25
    kwargs = []
    ignore = None
    if probs:
        code += f"target = torch.randn({sz(shape)}{dkw(dt)}).softmax(dim={1 if len(shape) > 1 else 0})\n"
    else:
        if rng.random() < 0.35:
            ignore = rng.choice([-100, 0, 1, -1])
            if ignore == -100:
                tgt = class_targets(rng, tshape, classes, -100)
            else:
                tgt = class_targets(rng, tshape, classes, ignore if ignore >= 0 else -1)
                kwargs.append(f"ignore_index={ignore}")
        else:
            tgt = class_targets(rng, tshape, classes)
        code += f"target = torch.tensor({tgt})\n"
    if rng.random() < 0.35:
        code += f"weight = torch.tensor({[round(rng.uniform(0.1, 2), 1) for _ in range(classes)]}{dkw(dt)})\n"
        kwargs.append("weight=weight")
    if rng.random() < 0.45:
        kwargs.append(f"reduction={rng.choice(['none', 'sum', 'mean'])!r}")
    if rng.random() < 0.35:
        kwargs.append(f"label_smoothing={rng.choice([0.0, 0.1, 0.25, 0.5])}")
    fn = rng.choice(["F.cross_entropy", "torch.nn.functional.cross_entropy"])
    code += f"loss = {fn}(logits, target{''.join(', ' + k for k in kwargs)})\n"
    code += show(rng, "loss", "loss:")
    code += rng.choice(["loss.sum().backward()\n", "loss.mean().backward()\n"])
    code += "print(logits.grad)\n"
    if rng.random() < 0.3:
        code += "loss.grad_fn\n"
    return code


@template(12)
def nll_loss(rng):
    classes = rng.randint(2, 5)
    n = rng.randint(1, 4)
    extra = rng.choice([(), (), (rng.randint(1, 3),)])
    shape = (n, classes) + extra
    tshape = (n,) + extra
    code = seed_line(rng)
    code += f"x = torch.randn({sz(shape)}, requires_grad=True)\n"
    code += "logp = F.log_softmax(x, dim=1)\n"
    kwargs = []
    ignore = None
    if rng.random() < 0.3:
        ignore = rng.choice([0, 2, -1])
        kwargs.append(f"ignore_index={ignore}")
    code += f"target = torch.tensor({class_targets(rng, tshape, classes, ignore if ignore is not None and ignore < classes else None)})\n"
    if rng.random() < 0.4:
        code += f"weight = torch.tensor({[round(rng.uniform(0.1, 2), 1) for _ in range(classes)]})\n"
        kwargs.append("weight=weight")
    if rng.random() < 0.5:
        kwargs.append(f"reduction={rng.choice(['none', 'sum', 'mean'])!r}")
    code += f"loss = F.nll_loss(logp, target{''.join(', ' + k for k in kwargs)})\n"
    code += show(rng, "loss", "nll:")
    code += "loss.sum().backward()\nprint(x.grad)\n"
    if rng.random() < 0.3:
        code += "loss.grad_fn, logp.grad_fn\n"
    return code


@template(12)
def regression_losses(rng):
    shape = shape_of(rng, rng.randint(0, 3), 1, 3)
    s = sz(shape)
    dt = fdtype(rng, 0.2)
    code = seed_line(rng)
    fn = rng.choice(["mse", "bce", "bcel", "bcel_w"])
    red = rng.choice(["", ", reduction='sum'", ", reduction='none'", ", reduction='mean'"])
    if fn == "mse":
        code += f"a = torch.randn({s}{dkw(dt)}, requires_grad=True)\nb = torch.randn({s}{dkw(dt)})\n"
        code += f"loss = F.mse_loss(a, b{red})\n"
    elif fn == "bce":
        code += f"a = torch.randn({s}{dkw(dt)}, requires_grad=True)\np = torch.sigmoid(a)\nb = torch.rand({s}{dkw(dt)})\n"
        if rng.random() < 0.3:
            code += "b = (b > 0.5).float()\n" if not dt else "b = (b > 0.5).double()\n"
        code += f"loss = F.binary_cross_entropy(p, b{red})\n"
    else:
        code += f"a = torch.randn({s}{dkw(dt)}, requires_grad=True)\nb = torch.rand({s}{dkw(dt)})\n"
        w = f", weight=torch.rand({s}{dkw(dt)})" if fn == "bcel_w" else ""
        code += f"loss = F.binary_cross_entropy_with_logits(a, b{w}{red})\n"
    code += show(rng, "loss", "loss =")
    code += "loss.sum().backward()\nprint(a.grad)\n"
    return code


MATMUL_SHAPES = {
    (1, 1): lambda r: ((r[0],), (r[0],)),
    (1, 2): lambda r: ((r[0],), (r[0], r[1])),
    (2, 1): lambda r: ((r[1], r[0]), (r[0],)),
    (2, 2): lambda r: ((r[1], r[0]), (r[0], r[2])),
    (3, 1): lambda r: ((r[3], r[1], r[0]), (r[0],)),
    (1, 3): lambda r: ((r[0],), (r[3], r[0], r[1])),
    (3, 2): lambda r: ((r[3], r[1], r[0]), (r[0], r[2])),
    (2, 3): lambda r: ((r[1], r[0]), (r[3], r[0], r[2])),
    (3, 3): lambda r: ((r[3], r[1], r[0]), (r[3], r[0], r[2])),
    (3, 3.5): lambda r: ((1, r[1], r[0]), (r[3], r[0], r[2])),
    (4, 3): lambda r: ((2, 1, r[1], r[0]), (r[3], r[0], r[2])),
    (4, 1): lambda r: ((2, r[3], r[1], r[0]), (r[0],)),
    (1, 4): lambda r: ((r[0],), (2, 1, r[0], r[2])),
    (4, 2): lambda r: ((1, 2, r[1], r[0]), (r[0], r[2])),
    (2, 4): lambda r: ((r[1], r[0]), (2, r[3], r[0], r[2])),
}


@template(30)
def matmul_ranks(rng):
    key = rng.choice(list(MATMUL_SHAPES))
    r = [rng.randint(1, 4) for _ in range(4)]
    sa, sb = MATMUL_SHAPES[key](r)
    bad = rng.random() < 0.1
    if bad:
        sb = tuple(list(sb[:-2]) + [sb[-2] + 1, sb[-1]]) if len(sb) >= 2 else (sb[0] + 1,)
    dt = fdtype(rng, 0.2)
    code = seed_line(rng)
    code += f"a = torch.randn({sz(sa)}{dkw(dt)}, requires_grad=True)\n"
    code += f"b = torch.randn({sz(sb)}{dkw(dt)}, requires_grad={rng.random() < 0.8})\n"
    forms = ["torch.matmul(a, b)", "a @ b", "a.matmul(b)"]
    if len(sa) == 2 and len(sb) == 2:
        forms += ["torch.mm(a, b)", "a.mm(b)"]
    if len(sa) == 1 and len(sb) == 1:
        forms += ["torch.dot(a, b)", "a.dot(b)"]
    code += f"c = {rng.choice(forms)}\n"
    code += show(rng, "c")
    code += "c.shape\n"
    code += rng.choice(["c.sum().backward()\n", "(c * c).sum().backward()\n", "c.backward(torch.ones_like(c))\n"])
    code += "print(a.grad)\nprint(b.grad)\n"
    if rng.random() < 0.3:
        code += "c.grad_fn\n"
    return code


@template(14)
def cat_stack(rng):
    ndim = rng.randint(1, 3)
    base = list(shape_of(rng, ndim, 1, 3))
    d = rng.randrange(ndim)
    op = rng.choice(["cat", "stack", "cat"])
    k = rng.randint(2, 3)
    code = seed_line(rng)
    shapes = []
    for i in range(k):
        s = list(base)
        if op == "cat":
            s[d] = rng.randint(1, 3)
        shapes.append(s)
    if rng.random() < 0.1:
        shapes[-1][(d + 1) % ndim] += 1  # mismatched
    names = []
    for i, s in enumerate(shapes):
        names.append(f"t{i}")
        grad = rng.random() < 0.7
        code += f"t{i} = torch.randn({sz(s)}, requires_grad={grad})\n"
    dim = maybe_neg_dim(rng, d if op == "cat" else rng.randrange(ndim + 1), ndim + (op == "stack"))
    seq = f"[{', '.join(names)}]" if rng.random() < 0.7 else f"({', '.join(names)})"
    darg = rng.choice([f", dim={dim}", f", {dim}"]) if dim or rng.random() < 0.6 else ""
    code += f"r = torch.{op}({seq}{darg})\n"
    code += show(rng, "r") + "r.shape\n"
    code += "w = torch.arange(r.numel(), dtype=torch.float32).reshape(r.shape)\n"
    code += "(r * w).sum().backward()\n"
    for name in names:
        code += f"print({name}.grad)\n"
    return code


INDEXES = {
    1: ["[0]", "[-1]", "[1:3]", "[::2]", "[-2:]", "[:-1]", "[None]", "[...]", "[x > 0]", "[torch.tensor([0, 2])]",
        "[[0, 1, 0]]", "[torch.tensor([True, False, True, False])]", "[::-1]", "[1:]", "[5]", "[1::2]", "[:, None]",
        "[torch.tensor(1)]", "[-3:-1]", "[2:1]"],
    2: ["[0]", "[-1]", "[:, 1]", "[1:3]", "[:, -2:]", "[..., 0]", "[1, 2]", "[0, :]", "[x > 0]", "[x[:, 0] > 0]",
        "[torch.tensor([0, 2])]", "[[0, 1], [1, 2]]", "[:, [2, 0]]", "[1, [0, 2]]", "[::2, ::2]", "[:, ::-1]",
        "[None, 1]", "[-1, -1]", "[:, 3:]", "[0][1]", "[5, 0]", "[1:, :-1]"],
    3: ["[0]", "[:, 0]", "[..., -1]", "[0, 1]", "[:, :, 1:]", "[x > 0]", "[1, :, [0, 2]]", "[:, 1, 2]",
        "[torch.tensor([1, 0])]", "[..., None, 0]", "[0, ..., 1]", "[:, [0, 1], :]", "[-1, -1, -1]", "[x[..., 0] > 0]"],
}


@template(30)
def indexing(rng):
    ndim = rng.randint(1, 3)
    shape = {1: (4,), 2: (3, 4), 3: (2, 3, 4)}[ndim]
    dt = fdtype(rng, 0.2)
    code = seed_line(rng)
    make = rng.choice(["randn", "arange"])
    if make == "randn":
        code += f"x = torch.randn({sz(shape)}{dkw(dt)}, requires_grad=True)\n"
    else:
        code += f"x = torch.arange({prod(shape)}{dkw(dt or 'float32')}).reshape({sz(shape)}) - 5\n"
        code += "x.requires_grad_()\n"
    picks = rng.sample(INDEXES[ndim], rng.randint(1, 3))
    for i, ix in enumerate(picks):
        code += f"y{i} = x{ix}\n" + show(rng, f"y{i}")
        if rng.random() < 0.3:
            code += f"y{i}.shape, y{i}.grad_fn\n"
    total = " + ".join(f"(y{i} * {i + 2}).sum()" for i in range(len(picks)))
    code += f"({total}).backward()\nprint(x.grad)\n"
    if rng.random() < 0.2:
        code += "x[0] = 1.\n"  # in-place on a leaf that requires grad
    return code


@template(12)
def clamps(rng):
    shape = shape_of(rng, rng.randint(0, 2), 2, 4)
    s = sz(shape)
    dt = fdtype(rng, 0.2)
    code = f"x = {tensor(rng, shape, dtype=dt, grad=True, scale=rng.choice(['int', 'dec', 'zeros']))}\n"
    kind = rng.choice(["scalar", "scalar", "min", "max", "tensors", "tensor_grad", "pos", "both_none"])
    lo, hi = sorted(rng.sample([-2, -1, -0.5, 0, 0.5, 1, 2], 2))
    if kind == "scalar":
        call = rng.choice([f"x.clamp({lo}, {hi})", f"torch.clamp(x, min={lo}, max={hi})", f"x.clamp(min={lo}, max={hi})"])
    elif kind == "min":
        call = rng.choice([f"x.clamp(min={lo})", f"torch.clamp(x, {lo})", f"torch.clamp(x, min=torch.zeros({s}))"])
    elif kind == "max":
        call = rng.choice([f"x.clamp(max={hi})", f"torch.clamp(x, max={hi})"])
    elif kind == "tensors":
        code += f"lo = {tensor(rng, shape or (1,), scale='int')}\nhi = lo + {rng.choice([0, 1, 2, -1])}\n"
        call = rng.choice(["torch.clamp(x, lo, hi)", "x.clamp(min=lo, max=hi)", "x.clamp(max=hi)", "torch.clamp(x, min=lo)"])
    elif kind == "tensor_grad":
        code += f"lo = {tensor(rng, shape, scale='int', grad=True, dtype=dt)}\n"
        call = rng.choice(["torch.clamp(x, min=lo)", "x.clamp(max=lo)", "x.clamp(lo, lo + 1)"])
    elif kind == "pos":
        call = f"x.clamp({hi}, {lo})"  # min > max: everything is max
    else:
        call = "x.clamp()"
    code += f"c = {call}\n" + show(rng, "c")
    code += "c.sum().backward()\nprint(x.grad)\n"
    if "lo" in code.split("c = ")[0] and "requires_grad=True" in code.split("\n")[1]:
        code += "print(lo.grad)\n"
    return code


@template(10)
def where_maximum(rng):
    shape = shape_of(rng, rng.randint(1, 2), 2, 3)
    code = f"a = {tensor(rng, shape, scale='int', grad=True)}\n"
    code += f"b = {tensor(rng, shape[-1:], scale='int', grad=True)}\n"
    kind = rng.choice(["where", "where_scalar", "maximum", "minimum", "max2", "where_bool"])
    if kind == "where":
        call = rng.choice(["torch.where(a > b, a, b)", "torch.where(a > 0, a, b * 2)", "a.where(a < b, b)"])
    elif kind == "where_scalar":
        call = rng.choice(["torch.where(a > 0, a, 0.)", "torch.where(a > 0, 1., a)", "torch.where(b >= 0, a, -1.)"])
    elif kind == "where_bool":
        code += f"m = torch.tensor({nested(shape, [rng.random() < 0.5 for _ in range(prod(shape))])})\n"
        call = "torch.where(m, a, b)"
    elif kind == "maximum":
        call = rng.choice(["torch.maximum(a, b)", "a.maximum(b)", "torch.max(a, b)"])
    elif kind == "minimum":
        call = rng.choice(["torch.minimum(a, b)", "b.minimum(a)", "torch.min(a, b)"])
    else:
        call = rng.choice(["torch.max(a)", "a.min()", "torch.max(a * b)"])
    code += f"r = {call}\n" + show(rng, "r")
    code += "r.sum().backward()\nprint(a.grad, b.grad)\n"
    return code


UNARY = ["exp", "log", "log1p", "sqrt", "sin", "cos", "tan", "tanh", "sigmoid", "relu", "abs", "neg"]


@template(26)
def elementwise(rng):
    shape = shape_of(rng, rng.randint(0, 3), 1, 3)
    dt = fdtype(rng)
    scale = rng.choice(["dec", "int", "zeros", "pos", "wide", "tiny", "big"])
    code = f"x = {tensor(rng, shape, scale=scale, dtype=dt, grad=True)}\n"
    chain = rng.sample(UNARY, rng.randint(1, 3))
    expr = "x"
    for fn in chain:
        form = rng.choice(["method", "torch", "F"] if fn in ("relu", "sigmoid", "tanh") else ["method", "torch"])
        if form == "method":
            expr = f"{expr}.{fn}()"
        elif form == "torch":
            expr = f"torch.{fn}({expr})"
        else:
            expr = f"F.{fn}({expr})"
    code += f"y = {expr}\n" + show(rng, "y")
    if rng.random() < 0.3:
        code += "y.grad_fn\n"
    code += rng.choice(["y.sum().backward()\n", "y.backward(torch.ones_like(y))\n"])
    code += "print(x.grad)\n"
    return code


SHAPE_OPS = [
    ("reshape", lambda s, r: f"reshape({', '.join(map(str, reversed(s)))})" if len(s) else "reshape(1)"),
    ("reshape_neg", lambda s, r: "reshape(-1)"),
    ("view", lambda s, r: f"view({prod(s)})"),
    ("view_neg", lambda s, r: "view(-1, 1)"),
    ("flatten", lambda s, r: "flatten()"),
    ("unsqueeze", lambda s, r: f"unsqueeze({r.randint(-len(s) - 1, len(s))})"),
    ("squeeze", lambda s, r: "squeeze()"),
    ("squeeze_dim", lambda s, r: f"squeeze({r.randrange(len(s))})" if s else "squeeze()"),
    ("t", lambda s, r: "t()"),
    ("T", lambda s, r: "T"),
    ("transpose", lambda s, r: f"transpose(0, {len(s) - 1})" if s else "transpose(0, 0)"),
    ("permute", lambda s, r: f"permute({', '.join(map(str, r.sample(range(len(s)), len(s))))})" if s else "permute()"),
    ("expand", lambda s, r: f"expand(2, {sz(s)})"),
    ("flatten_dim", lambda s, r: f"flatten({r.randrange(len(s))})" if s else "flatten()"),
]


def result_shape(op: str, args: str, s: tuple) -> tuple | None:
    """The shape after a shape op (enough of torch's rules for chaining); None if unknown."""
    import re
    nums = [int(v) for v in re.findall(r"-?\d+", args)]
    try:
        if op in ("reshape", "view"):
            return tuple(nums) if nums else ()
        if op in ("reshape_neg", "flatten"):
            return (prod(s),) if op == "reshape_neg" or len(s) else (1,)
        if op == "view_neg":
            return (prod(s), 1)
        if op == "unsqueeze":
            d = nums[0] % (len(s) + 1)
            return s[:d] + (1,) + s[d:]
        if op == "squeeze":
            return tuple(v for v in s if v != 1)
        if op == "squeeze_dim":
            return s[:nums[0]] + s[nums[0] + 1:] if s and s[nums[0]] == 1 else s
        if op in ("t", "T"):
            return tuple(reversed(s)) if len(s) <= 2 else None
        if op == "transpose":
            if not s:
                return s
            t = list(s)
            t[0], t[-1] = t[-1], t[0]
            return tuple(t)
        if op == "permute":
            return tuple(s[i] for i in nums)
        if op == "expand":
            return (2,) + s
        if op == "flatten_dim":
            if not s:
                return (1,)
            return s[:nums[0]] + (prod(s[nums[0]:]),)
    except (IndexError, ZeroDivisionError):
        return None
    return None


@template(22)
def shape_ops(rng):
    shape = shape_of(rng, rng.randint(0, 3), 1, 3)
    code = seed_line(rng)
    code += f"x = torch.randn({sz(shape)}, requires_grad=True)\n"
    expr, s = "x", shape
    for i in range(rng.randint(1, 4)):
        op, make = rng.choice(SHAPE_OPS)
        args = make(s, rng)
        code += f"y{i} = {expr}.{args}\n"
        if rng.random() < 0.5:
            code += show(rng, f"y{i}")
        if rng.random() < 0.5:
            code += rng.choice([f"y{i}.shape\n", f"y{i}.size()\n", f"print(y{i}.dim(), y{i}.numel())\n",
                                f"y{i}.grad_fn\n", f"y{i}.is_contiguous()\n", f"y{i}.size(0)\n"])
        expr = f"y{i}"
        s = result_shape(op, args, s)
        if s is None:
            break
    code += f"w = torch.arange({expr}.numel(), dtype=torch.float32).reshape({expr}.shape)\n"
    code += f"({expr} * w).sum().backward()\nprint(x.grad)\n"
    return code


@template(20)
def factories(rng):
    code = seed_line(rng)
    lines = []
    for _ in range(rng.randint(2, 4)):
        kind = rng.choice(["full", "arange", "linspace", "eye", "likes", "rand", "randint", "zeros", "tensor_int",
                           "tensor_bool", "randn_like"])
        shape = shape_of(rng, rng.randint(0, 3), 1, 3)
        s = sz(shape)
        dt = rng.choice([None, None, "float64", "int64", "int32", "float32"])
        if kind == "full":
            v = rng.choice([3, 2.5, -1, 1e-5, 1e6, True, 0])
            lines.append(f"torch.full(({s}{',' if len(shape) == 1 else ''}), {lit(v)}{dkw(dt)})")
        elif kind == "arange":
            a = rng.choice(["5", "1, 7", "0, 1, 0.25", "-3, 3, 2", "10.", "2, 9, 3", "0.5, 3"])
            lines.append(f"torch.arange({a}{dkw(dt)})")
        elif kind == "linspace":
            a = rng.choice(["0, 1, 5", "-1, 1, 4", "0, 100, 3", "1e-3, 1, 6", "-10, 10, 11", "0, 1, 1"])
            lines.append(f"torch.linspace({a}{dkw(dt if dt and dt.startswith('float') else None)})")
        elif kind == "eye":
            lines.append(f"torch.eye({rng.randint(1, 4)}{', ' + str(rng.randint(1, 4)) if rng.random() < 0.5 else ''}{dkw(dt)})")
        elif kind == "likes":
            lines.append(f"t = torch.ones({s}{dkw(dt)})")
            lines.append(rng.choice(["torch.zeros_like(t)", "torch.ones_like(t)", "torch.full_like(t, 7)",
                                     "torch.full_like(t, 0.5)", "torch.zeros_like(t, dtype=torch.float64)"]))
        elif kind == "rand":
            fd = dt if dt in ("float64", "float32") else None
            lines.append(f"torch.rand({s}{dkw(fd)})")
        elif kind == "randint":
            lines.append(f"torch.randint({rng.choice(['10', '-5, 5', '0, 2', '100, 1000'])}, ({s}{',' if len(shape) == 1 else ''}))")
        elif kind == "zeros":
            lines.append(f"torch.zeros({s}{dkw(dt)})")
        elif kind == "tensor_int":
            lines.append(tensor(rng, shape, ints=True, dtype=rng.choice([None, "int32", "float64"])))
        elif kind == "tensor_bool":
            lines.append(f"torch.tensor({nested(shape, [rng.random() < 0.5 for _ in range(prod(shape))])})")
        else:
            lines.append(f"t = torch.randn({s})")
            lines.append("torch.randn_like(t)")
    for line in lines:
        if line.startswith("t ="):
            code += line + "\n"
        else:
            code += f"v = {line}\n" + show(rng, "v")
            if rng.random() < 0.5:
                code += rng.choice(["v.dtype\n", "v.shape\n", "print(v.dtype, v.size(), v.dim(), v.numel())\n",
                                    "v.tolist()\n", "v.sum()\n", "v.float().mean()\n", "v.sum().item()\n"])
    return code


@template(26)
def print_modes(rng):
    kind = rng.choice(["wide", "big", "tiny", "ints", "mixed", "nan_inf", "summarise", "neg_zero", "empty", "f64",
                       "grad_print", "int_big", "round"])
    shape = shape_of(rng, rng.randint(0, 3), 1, 4)
    code = ""
    if kind in ("wide", "big", "tiny", "mixed", "round"):
        scale = {"wide": "wide", "big": "big", "tiny": "tiny", "mixed": rng.choice(SCALES), "round": "dec"}[kind]
        dt = fdtype(rng)
        code += f"x = {tensor(rng, shape, scale=scale, dtype=dt, grad=rng.random() < 0.3)}\n"
        code += show(rng, "x")
        code += show(rng, f"x * {lit(rng.choice([1e-3, 1e3, 2, -1, 1e10, 1e-10]))}")
    elif kind == "nan_inf":
        flat = [rng.choice([float("nan"), float("inf"), float("-inf"), 1.0, -2.5, 0.0, 1e5, 1e-5]) for _ in range(prod(shape))]
        code += f"x = torch.tensor({nested(shape, flat)})\n" + show(rng, "x")
        code += show(rng, "x * 0") + show(rng, "x.sum()")
    elif kind == "summarise":
        n = rng.choice([1001, 1200, 2000, 5000])
        code += rng.choice([f"x = torch.arange({n}.)\n", f"x = torch.arange({n})\n", f"x = torch.linspace(-1, 1, {n})\n",
                            f"x = torch.arange({n - n % 10}.).reshape(10, -1)\n",
                            f"x = torch.arange({n - n % 20}.).reshape(2, 10, -1) / 7\n"])
        code += show(rng, "x")
        if rng.random() < 0.5:
            code += "x.requires_grad_()\ny = x * 2\ny\n"
    elif kind == "neg_zero":
        code += f"x = torch.tensor({nested(shape, [rng.choice([-0.0, 0.0, -1.0, 1.5]) for _ in range(prod(shape))])})\n"
        code += show(rng, "x") + show(rng, "x * -1") + show(rng, "-x.abs()")
    elif kind == "empty":
        code += rng.choice(["x = torch.zeros(0)\n", "x = torch.ones(2, 0)\n", "x = torch.tensor([])\n",
                            "x = torch.zeros(0, 3, dtype=torch.int64)\n", "x = torch.randn(0, requires_grad=True)\n"])
        code += show(rng, "x") + "x.shape\n" + show(rng, "x.sum()")
    elif kind == "f64":
        code += f"x = {tensor(rng, shape, dtype='float64', scale=rng.choice(SCALES))}\n" + show(rng, "x")
        code += show(rng, "x.float()") + show(rng, "x.to(torch.float32) + 1")
    elif kind == "grad_print":
        code += f"x = {tensor(rng, shape, scale=rng.choice(SCALES), grad=True)}\n"
        code += "y = x * 2 + 1\ny\nprint(y)\ny.sum()\ny.mean()\n"
    elif kind == "int_big":
        code += f"x = torch.tensor({nested(shape, [rng.choice([1, -7, 10 ** 6, 123456789, 0, -42]) for _ in range(prod(shape))])})\n"
        code += show(rng, "x") + show(rng, "x * 3") + show(rng, "x / 7")
    return code


@template(12)
def fstrings(rng):
    code = seed_line(rng)
    code += "x = torch.randn(3, requires_grad=True)\ny = (x * 2).sum()\n"
    for _ in range(rng.randint(2, 5)):
        code += rng.choice([
            'print(f"y = {y}")\n', 'print(f"y.grad_fn = {y.grad_fn}")\n', 'print(f"{x.shape} {x.dtype}")\n',
            'print(f"value {y.item():.4f}")\n', 'print(f"x: {x}")\n', "print(str(y))\n", "print(repr(x))\n",
            'print(f"{y.grad_fn.next_functions}")\n', "print('loss:', y.item())\n", "print(x, y, sep=' | ')\n",
            'print(f"{x.detach()}")\n', 'print(f"{y:.3f}")\n', 'print(f"{y.item():.2e}")\n',
            "print(f'{x.requires_grad=}')\n", "print(f'req={x.requires_grad}, leaf={x.is_leaf}')\n",
            'print(f"{x.grad}")\n', 'print("sum:", x.sum(), "mean:", x.mean())\n', 'print(f"{x.tolist()}")\n',
            'print(f"{x.size()}, {x.dim()}, {x.numel()}")\n', "print(x.grad_fn)\n",
        ])
    code += "y.backward()\n"
    code += rng.choice(['print(f"grad: {x.grad}")\n', 'print(f"Gradient function for y = {y.grad_fn}")\n',
                        "print('grad', x.grad, end='!\\n')\n"])
    return code


@template(12)
def next_functions(rng):
    code = seed_line(rng)
    code += "a = torch.randn(2, requires_grad=True)\nb = torch.randn(2, requires_grad=True)\nc = torch.randn(2)\n"
    expr = rng.choice(["a * b + c", "(a + b).exp() * c", "a.sum() * b", "torch.matmul(a, b) + 1", "a / b - a",
                       "(a ** 2).mean() + b.mean()", "torch.cat([a, b]) * 2", "torch.stack([a, c]).sum(0)",
                       "a[0] * b[1]", "a.sigmoid() * b.tanh()", "F.relu(a) - c", "a * 3", "c * 3 + a.detach()",
                       "torch.where(c > 0, a, b)", "a.clamp(0, 1) + b.abs()"])
    code += f"y = {expr}\n"
    code += "y.grad_fn\ny.grad_fn.next_functions\n"
    if rng.random() < 0.6:
        code += "y.grad_fn.next_functions[0][0]\ny.grad_fn.next_functions[0][0].next_functions\n"
    if rng.random() < 0.4:
        code += "y.grad_fn.name()\n"
    if rng.random() < 0.3:
        code += "y.grad_fn.next_functions[0][0].variable\n"
    return code


@template(12)
def autograd_grad(rng):
    dt = fdtype(rng)
    code = f"x = {tensor(rng, (rng.randint(1, 3),), scale=rng.choice(['dec', 'int', 'pos']), dtype=dt, grad=True)}\n"
    kind = rng.choice(["simple", "create", "multi", "outputs", "unused", "second_nonscalar"])
    fn = rng.choice(["(x ** 3).sum()", "(x.sin() * x).sum()", "(x.exp() / (1 + x ** 2)).sum()", "(x * x * x - 2 * x).sum()"])
    if kind == "simple":
        code += f"y = {fn}\ng, = torch.autograd.grad(y, x)\nprint(g)\nprint(x.grad)\n"
    elif kind == "create":
        code += f"y = {fn}\ng, = torch.autograd.grad(y, x, create_graph=True)\nprint(g)\n"
        code += "h, = torch.autograd.grad(g.sum(), x)\nprint(h)\ng.grad_fn is None\n"
    elif kind == "multi":
        code += f"z = torch.tensor(2.{dkw(dt)}, requires_grad=True)\ny = {fn} * z\n"
        code += "gx, gz = torch.autograd.grad(y, [x, z])\nprint(gx, gz)\n"
    elif kind == "outputs":
        code += "y = x ** 2\ng = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y) * 3)\ng\n"
        code += "torch.autograd.grad(y, x)\n"
    elif kind == "unused":
        code += f"z = torch.ones(2, requires_grad=True)\ny = {fn}\n"
        code += rng.choice(["torch.autograd.grad(y, [x, z])\n", "torch.autograd.grad(y, [x, z], allow_unused=True)\n"])
    else:
        code += f"y = {fn}\ny.backward(create_graph=True)\nprint(x.grad)\n"
        code += "g = x.grad\nx.grad = None\ng.sum().backward()\nprint(x.grad)\n"
    return code


@template(14)
def dtype_promotion(rng):
    code = ""
    a = tensor(rng, (rng.randint(1, 3),), ints=True)
    code += f"i = {a}\n" + show(rng, "i") + "i.dtype\n"
    for _ in range(rng.randint(2, 4)):
        expr = rng.choice(["i + 1.5", "i * 2", "i / 2", "i // 2", "i % 3", "i ** 2", "i + torch.ones(1)",
                           "i.float() + torch.ones(1, dtype=torch.float64)", "i * True", "i.double()", "i.sum()",
                           "i.mean()", "i.float().mean()", "i > 0", "(i > 0).sum()", "i.max()", "i.argmax()",
                           "torch.tensor(2) ** 2", "torch.tensor(2.5) + i", "i.to(torch.float64) * 0.1",
                           "i.abs()", "-i", "i.prod()", "i.clamp(0, 2)", "i.float().requires_grad_()",
                           "torch.ones(2, dtype=torch.float64) + torch.ones(2)", "i.type(torch.float32)", "i.long()", "i.type()",
                           "torch.tensor([1, 2], dtype=torch.int32) + torch.tensor([1, 2])", "i.exp()", "i.sqrt()",
                           "torch.tensor(3) / torch.tensor(2)", "i.float().norm()"])
        code += show(rng, expr)
    if rng.random() < 0.3:
        code += rng.choice(["i.requires_grad_()\n", "torch.tensor([1, 2], requires_grad=True)\n", "i.mean()\n"])
    return code


@template(10)
def inplace(rng):
    code = seed_line(rng)
    code += "x = torch.randn(3, requires_grad=True)\n"
    kind = rng.choice(["leaf", "leaf_nograd", "intermediate", "saved", "view_leaf", "grad_of"])
    if kind == "leaf":
        code += rng.choice(["x += 1\n", "x *= 2\n", "x.add_(1)\n", "x.zero_()\n", "x[0] = 0.\n"])
    elif kind == "leaf_nograd":
        code += "with torch.no_grad():\n    x += 1\n    x *= 2\nprint(x)\nx.is_leaf, x.grad_fn\n"
        code += "(x * x).sum().backward()\nx.grad\n"
    elif kind == "intermediate":
        code += f"y = x * 2\ny {rng.choice(['+=', '-=', '*=', '/='])} {rng.choice([1, 2, 0.5])}\ny\ny.grad_fn\n"
        code += "y.sum().backward()\nx.grad\n"
    elif kind == "saved":
        code += "y = x.exp()\nz = y.sum()\ny += 1\nprint(y)\nz.backward()\nprint(x.grad)\n"
    elif kind == "view_leaf":
        code += "v = x[:2]\nv\nv += 1\n"
    else:
        code += "(x * 2).sum().backward()\nx.grad += 1\nx.grad\nx.grad *= 0\nx.grad\n"
    return code


# chains of ops: random expression trees over a few tensors of broadcast-compatible shapes
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * {b}", "{a} / ({b}.abs() + 1)", "torch.maximum({a}, {b})",
          "torch.minimum({a}, {b})", "torch.where({a} > {b}, {a}, {b})", "torch.add({a}, {b})", "torch.mul({a}, {b})"]
UNARY_SAFE = ["{a}.exp()", "{a}.sin()", "{a}.cos()", "{a}.tanh()", "{a}.sigmoid()", "{a}.relu()", "{a}.abs()",
              "-{a}", "{a} ** 2", "({a} * {a} + 1).sqrt()", "({a}.abs() + 1).log()", "{a}.abs().log1p()",
              "F.relu({a})", "torch.sigmoid({a})", "{a}.clamp(-1, 1)", "{a} * 0.5", "2 ** {a}", "{a}.pow(3)", "({a} / 2).exp()"]


def chain_expr(rng, names, depth):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(names)
    if rng.random() < 0.5:
        return "(" + rng.choice(UNARY_SAFE).format(a=chain_expr(rng, names, depth - 1)) + ")"
    return "(" + rng.choice(BINARY).format(a=chain_expr(rng, names, depth - 1), b=chain_expr(rng, names, depth - 1)) + ")"


@template(24)
def chains(rng):
    shape = shape_of(rng, rng.randint(0, 3), 1, 3)
    dt = fdtype(rng, 0.25)
    code = seed_line(rng)
    code += f"a = torch.randn({sz(shape)}{dkw(dt)}, requires_grad=True)\n"
    bshape = shape[rng.randint(0, len(shape)):] if shape else ()
    code += f"b = torch.randn({sz(bshape)}{dkw(dt)}, requires_grad={rng.random() < 0.7})\n"
    code += f"c = {tensor(rng, bshape, scale=rng.choice(['int', 'dec']), dtype=dt)}\n"
    names = ["a", "b", "c", "a", "b"]
    for i in range(rng.randint(1, 3)):
        code += f"h{i} = {chain_expr(rng, names, rng.randint(1, 3))}\n"
        if rng.random() < 0.5:
            code += show(rng, f"h{i}")
        names.append(f"h{i}")
    last = names[-1]
    red = rng.choice(["sum()", "mean()", "sum()", "norm()", "prod()", "max()"])
    code += f"out = {last}.{red}\n" + show(rng, "out")
    code += "if out.requires_grad:\n    out.backward()\n"
    code += "print(a.grad)\nprint(b.grad)\n"
    return code


@template(10)
def statement_order(rng):
    code = seed_line(rng)
    code += "x = torch.randn(2, requires_grad=True)\n"
    steps = ["print(x.grad)", "y = (x * 3).sum()", "print(y)", "y.backward()", "print(x.grad)", "x.grad"]
    # a few shuffles that keep y defined before it is used
    order = list(range(len(steps)))
    rng.shuffle(order)
    seen_y = False
    done = []
    for i in order:
        s = steps[i]
        if s.startswith("y =") or "y" not in s:
            done.append(s)
            seen_y = seen_y or s.startswith("y =")
        elif seen_y:
            done.append(s)
    code += "\n".join(done) + "\n"
    code += rng.choice(["x.grad = None\nprint(x.grad)\n", "x.grad.zero_()\nx.grad\n", "x.grad * 2\n", ""])
    return code


@template(24)
def errors(rng):
    code = seed_line(rng)
    kind = rng.choice(["shape_add", "matmul", "int_grad", "item_nonscalar", "view_noncontig", "index_oob",
                       "cross_entropy_target", "cat_dims", "backward_twice_inner", "grad_nonleaf", "neg_step",
                       "reshape_bad", "no_grad_fn", "grad_none_zero", "mean_int", "bce_range", "view_two_neg",
                       "stack_shapes", "unknown_fn", "dim_oob", "mm_1d", "dot_len", "nll_float_target",
                       "softmax_int"])
    if kind == "shape_add":
        code += "a = torch.ones(2, 3)\nb = torch.ones(3, 2)\nprint('before')\na + b\nprint('after')\n"
    elif kind == "matmul":
        code += "a = torch.randn(2, 3)\nb = torch.randn(2, 3)\na @ b.t()\na @ b\n"
    elif kind == "int_grad":
        code += "x = torch.tensor([1, 2, 3], requires_grad=True)\n"
    elif kind == "item_nonscalar":
        code += "x = torch.randn(3)\nx.sum().item() > -100\nx.item()\n"
    elif kind == "view_noncontig":
        code += "x = torch.randn(2, 3)\nx.t().reshape(6)\nx.t().view(6)\n"
    elif kind == "index_oob":
        code += "x = torch.randn(3)\nx[2]\nx[3]\n"
    elif kind == "cross_entropy_target":
        code += "x = torch.randn(2, 3, requires_grad=True)\nF.cross_entropy(x, torch.tensor([0, 3]))\n"
    elif kind == "cat_dims":
        code += "torch.cat([torch.ones(2), torch.ones(2, 2)])\n"
    elif kind == "backward_twice_inner":
        code += ("x = torch.ones(2, requires_grad=True)\ndef f():\n    y = (x * x).sum()\n    y.backward()\n"
                 "    y.backward()\n    return y\nprint('go')\nf()\n")
    elif kind == "grad_nonleaf":
        code += "x = torch.ones(2, requires_grad=True)\ny = x * 2\ny.retain_grad()\n(y * y).sum().backward()\ny.grad\nx.grad\n"
    elif kind == "neg_step":
        code += "x = torch.arange(6.)\nx[::2]\nx[1:4]\nx[::-1]\n"
    elif kind == "reshape_bad":
        code += "x = torch.arange(6.)\nx.reshape(2, 3)\nx.reshape(4, 2)\n"
    elif kind == "no_grad_fn":
        code += "x = torch.ones(2, requires_grad=True)\nwith torch.no_grad():\n    y = (x * 2).sum()\ny\ny.backward()\n"
    elif kind == "grad_none_zero":
        code += "x = torch.ones(2, requires_grad=True)\nprint(x.grad)\nx.grad.zero_()\n"
    elif kind == "mean_int":
        code += "x = torch.tensor([1, 2, 3])\nx.sum()\nx.float().mean()\nx.mean()\n"
    elif kind == "bce_range":
        code += "p = torch.tensor([0.2, 1.5])\nF.binary_cross_entropy(p, torch.tensor([0., 1.]))\n"
    elif kind == "view_two_neg":
        code += "x = torch.arange(6.)\nx.view(-1, 2)\nx.view(-1, -1)\n"
    elif kind == "stack_shapes":
        code += "torch.stack([torch.ones(2), torch.ones(2)])\ntorch.stack([torch.ones(2), torch.ones(3)])\n"
    elif kind == "unknown_fn":
        code += "x = torch.ones(2)\nprint(x)\ntorch.frobnicate(x)\n"
    elif kind == "dim_oob":
        code += "x = torch.ones(2, 3)\nx.sum(dim=1)\nx.sum(dim=2)\n"
    elif kind == "mm_1d":
        code += "torch.mm(torch.ones(2, 2), torch.ones(2, 2))\ntorch.mm(torch.ones(2), torch.ones(2, 2))\n"
    elif kind == "dot_len":
        code += "torch.dot(torch.ones(3), torch.ones(3))\ntorch.dot(torch.ones(3), torch.ones(2))\n"
    elif kind == "nll_float_target":
        code += "x = torch.randn(2, 3)\nF.nll_loss(x, torch.tensor([0., 1.]))\n"
    else:
        code += "x = torch.tensor([1, 2, 3])\nF.softmax(x.float(), dim=0)\nF.softmax(x, dim=0)\n"
    return code


@template(12)
def item_prints(rng):
    code = seed_line(rng)
    n = rng.randint(2, 7)
    dt = fdtype(rng, 0.2)
    code += f"x = torch.randn({n}{dkw(dt)}, requires_grad=True)\n"
    code += f"t = torch.rand({n}{dkw(dt)})\n"
    for _ in range(rng.randint(2, 4)):
        expr = rng.choice(["F.mse_loss(x, t)", "F.binary_cross_entropy_with_logits(x, t)", "x.sum()", "x.mean()",
                           "(x * t).sum()", "x.norm()", "x.exp().sum()", "F.softmax(x, dim=0).max()",
                           "F.log_softmax(x, dim=0).sum()", "torch.sigmoid(x).mean()", "(x ** 2).mean()",
                           "F.binary_cross_entropy(torch.sigmoid(x), t)", "x.tanh().sum()", "(x @ t)",
                           "F.cross_entropy(x.unsqueeze(0), torch.tensor([0]))"])
        code += rng.choice([f"print({expr}.item())\n", f"{expr}.item()\n", f"print({expr}.tolist())\n",
                            f"print(f'{{{expr}.item():.6f}}')\n"])
    code += rng.choice(["F.softmax(x, dim=0).tolist()\n", "x.detach().tolist()\n", ""])
    code += "loss = F.mse_loss(x, t)\nloss.backward()\nx.grad.tolist()\n"
    return code


@template(10)
def inplace_nonleaf(rng):
    code = seed_line(rng)
    shape = shape_of(rng, rng.randint(1, 2), 2, 3)
    code += f"x = torch.randn({sz(shape)}, requires_grad=True)\n"
    code += f"y = x * {rng.choice([2, 0.5, -1])}\n"
    for _ in range(rng.randint(1, 3)):
        code += rng.choice(["y.add_(1)\n", "y.mul_(2)\n", "y.sub_(0.5)\n", "y.div_(4)\n", "y.exp_()\n",
                            "y.relu_()\n", "y.clamp_(-1, 1)\n", "y.sigmoid_()\n", "y.tanh_()\n", "y += x\n",
                            "y *= x\n", "y.pow_(2)\n", "y.abs_()\n", "y.neg_()\n", "y[0] = 0.\n"])
        if rng.random() < 0.5:
            code += "y\n"
    code += "y.grad_fn\ny.is_leaf\n"
    code += "y.sum().backward()\nprint(x.grad)\n"
    return code


@template(10)
def containers(rng):
    code = seed_line(rng)
    code += "x = torch.randn(2, 3, requires_grad=True)\ny = x.sum(0)\n"
    for _ in range(rng.randint(3, 6)):
        code += rng.choice(["[x, y]\n", "(x.shape, y.shape)\n", "x.grad is None\n", "len(x)\n", "x.shape[0]\n",
                            "list(x.shape)\n", "x.size()\n", "x.shape == (2, 3)\n", "x.size(-1)\n",
                            "{'y': y}\n", "[t.shape for t in [x, y]]\n", "x.dtype, y.dtype\n",
                            "print(x.shape, x.size(1), x.dim(), x.ndim)\n", "x.numel()\n", "tuple(y.shape)\n",
                            "y.requires_grad, y.is_leaf, x.is_leaf\n", "[y.grad_fn]\n", "str(x.dtype)\n",
                            "x[0].tolist()\n", "x.T.shape\n", "print([x.grad])\n", "max(y.tolist()) > -10\n"])
    code += "y.sum().backward()\n(x.grad, y.grad)\n"
    return code


@template(10)
def training_bce(rng):
    code = seed_line(rng)
    n, f = rng.randint(3, 8), rng.randint(1, 4)
    code += f"X = torch.randn({n}, {f})\nY = (torch.rand({n}) > 0.5).float()\n"
    code += f"w = torch.zeros({f}, requires_grad=True)\nb = torch.zeros(1, requires_grad=True)\n"
    lr = rng.choice([0.1, 0.5, 1.0, 0.05])
    code += f"opt = torch.optim.SGD([w, b], lr={lr}{rng.choice(['', ', momentum=0.9'])})\n"
    code += f"for epoch in range({rng.randint(2, 5)}):\n"
    code += "    opt.zero_grad()\n    logits = X @ w + b\n"
    code += rng.choice(["    loss = F.binary_cross_entropy_with_logits(logits, Y)\n",
                        "    loss = F.binary_cross_entropy(torch.sigmoid(logits), Y)\n",
                        "    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, Y, reduction='sum')\n"])
    code += "    loss.backward()\n    opt.step()\n"
    code += rng.choice(['    print(f"epoch {epoch}: {loss.item()}")\n', "    print(epoch, loss.item())\n",
                        '    print(f"{epoch} {loss.item():.4f}")\n', "    loss\n"])
    code += "print(w, b)\n"
    code += rng.choice(["print(((X @ w + b) > 0).float().eq(Y).float().mean())\n", "torch.sigmoid(X @ w + b)\n", ""])
    return code


@template(8)
def training_softmax(rng):
    code = seed_line(rng)
    n, f, c = rng.randint(3, 8), rng.randint(2, 4), rng.randint(2, 4)
    code += f"X = torch.randn({n}, {f})\ny = torch.randint(0, {c}, ({n},))\n"
    code += f"W = torch.randn({f}, {c}, requires_grad=True)\nb = torch.zeros({c}, requires_grad=True)\n"
    code += f"opt = torch.optim.SGD([W, b], lr={rng.choice([0.1, 0.5, 0.01])})\n"
    code += f"for step in range({rng.randint(2, 4)}):\n"
    code += "    logits = X @ W + b\n"
    code += rng.choice(["    loss = F.cross_entropy(logits, y)\n", "    loss = F.nll_loss(F.log_softmax(logits, dim=1), y)\n",
                        "    loss = F.cross_entropy(logits, y, label_smoothing=0.1)\n"])
    code += "    opt.zero_grad()\n    loss.backward()\n    opt.step()\n"
    code += rng.choice(["    print(step, loss.item())\n", '    print(f"step {step}: loss {loss.item():.4f}")\n'])
    code += "print(W.grad)\nprint(logits.argmax(dim=1), (logits.argmax(1) == y).type(torch.float).sum().item())\n"
    return code


TWICE_OPS = ["x * 2", "x + 1", "x / 2", "2 / x", "x ** 2", "2 ** x", "-x", "x.exp()", "x.abs()", "x.sin()", "x.tanh()",
             "x.sigmoid()", "x.relu()", "x.clamp(0, 1)", "torch.where(x > 0, x, torch.zeros(3))", "x[0]", "x[1:]",
             "x[[0, 1]]", "x[x > 0]", "x.reshape(3, 1)", "torch.cat([x, x])", "torch.stack([x, x])", "x.sum()",
             "x.mean()", "x.max()", "x.norm()", "F.softmax(x, 0)", "F.log_softmax(x, 0)", "F.mse_loss(x, torch.ones(3))",
             "F.binary_cross_entropy_with_logits(x, torch.ones(3))", "x @ x", "x * x", "x.clone()", "x.t()",
             "torch.maximum(x, torch.zeros(3))", "x.clamp(min=torch.zeros(3))", "x.prod()", "x.amax(0)"]


@template(16)
def backward_twice(rng):
    code = f"x = torch.tensor({[rng.choice([0.5, -1.5, 2.0, 1.0, -0.25, 3.0]) for _ in range(3)]}, requires_grad=True)\n"
    op = rng.choice(TWICE_OPS)
    code += f"y = ({op}).sum()\n"
    first = rng.choice(["y.backward()\n", "y.backward(retain_graph=True)\n", "torch.autograd.grad(y, x, retain_graph=True)\n"])
    code += first + "print(x.grad)\n"
    code += rng.choice(["y.backward()\n", "y.backward(retain_graph=True)\n", "torch.autograd.grad(y, x)\n"])
    code += "print(x.grad)\n"
    return code


@template(12)
def grad_modes(rng):
    code = seed_line(rng)
    code += f"x = torch.randn({rng.randint(1, 4)}, requires_grad=True)\n"
    parts = [
        "@torch.no_grad()\ndef predict(t):\n    return t * 2 + 1\ny = predict(x)\nprint(y, y.requires_grad)\n",
        "@torch.no_grad\ndef predict(t):\n    return (t ** 2).sum()\npredict(x)\n",
        "with torch.no_grad():\n    @torch.enable_grad()\n    def g(t):\n        return t.exp()\n    z = g(x)\nz.requires_grad, z.grad_fn\n",
        "torch.set_grad_enabled(False)\nw = x * 3\nw.requires_grad\ntorch.set_grad_enabled(True)\n(x * 3).requires_grad\n",
        "with torch.enable_grad():\n    e = x.sin()\ne\n",
        "torch.is_grad_enabled()\nwith torch.no_grad():\n    print(torch.is_grad_enabled())\n",
        "x.requires_grad = False\nx.requires_grad, (x * 2).requires_grad\nx.requires_grad = True\n",
        "h = x * 2\nh.retain_grad()\n(h * h).sum().backward()\nh.grad, x.grad\n",
        "q = (x * x).sum()\nq.backward(torch.tensor(1.0))\nx.grad\nx.grad.data.zero_()\nx.grad\n",
        "with torch.set_grad_enabled(False):\n    u = x + 1\nu.requires_grad\n",
        "d = x.detach()\nd.requires_grad_()\n(d * 2).sum().backward()\nd.grad, x.grad\n",
        "torch.no_grad()\n",
    ]
    for part in rng.sample(parts, rng.randint(2, 4)):
        code += part
    return code


@template(14)
def layouts_and_sizes(rng):
    code = seed_line(rng)
    kind = rng.choice(["transposed", "big_grad", "expanded", "sliced", "sum_dtype", "ties", "bools", "python_floats"])
    if kind == "transposed":
        r, c = rng.randint(2, 5), rng.randint(2, 9)
        code += f"x = torch.randn({r}, {c}, requires_grad=True)\nt = x.t()\n"
        code += rng.choice(["y = t.sum(0)\n", "y = t.sum(1)\n", "y = t.mean(0)\n", "y = (t * t).sum(dim=1, keepdim=True)\n",
                            "y = t.max(0)[0]\n", "y = F.softmax(t, dim=0)\n", "y = F.log_softmax(t, dim=1)\n", "y = t.norm(dim=0)\n"])
        code += "y\ny.sum().backward()\nx.grad\n"
    elif kind == "big_grad":
        shape = rng.choice([(40, 30), (1200,), (11, 11, 11), (3, 400)])
        code += f"x = torch.randn({sz(shape)}, requires_grad=True)\ny = (x * x).sum()\ny.backward()\n"
        code += rng.choice(["x.grad\n", "print(x.grad)\n", "x.grad.shape, x.grad.sum()\n", "y\n"])
    elif kind == "expanded":
        code += "a = torch.randn(3, 1, requires_grad=True)\nb = a.expand(3, 4)\nc = (b * torch.arange(4.)).sum(1)\n"
        code += "c\nc.sum().backward()\na.grad\n"
    elif kind == "sliced":
        code += "x = torch.randn(6, 5, requires_grad=True)\nv = x[::2, 1:4]\nv.sum()\nv.sum(0)\nv.mean(1)\n"
        code += "(v ** 2).sum().backward()\nx.grad\n"
    elif kind == "sum_dtype":
        code += "x = torch.randn(5)\nx.sum(dtype=torch.float64)\ntorch.tensor([1, 2, 3]).sum(dtype=torch.float32)\n"
        code += "x.double().mean()\nx.mean(dtype=torch.float64)\n"
    elif kind == "ties":
        code += f"x = torch.tensor({[rng.choice([1., 2., 2., 3., 3.]) for _ in range(6)]}, requires_grad=True)\n"
        code += "x.max()\nx.argmax()\nx.max(0)\nx.min(dim=0)\nm = x.reshape(2, 3)\nm.max(1)\nm.argmin(0)\n"
        code += rng.choice(["x.max().backward()\n", "m.max(1)[0].sum().backward()\n", "x.amax(0).backward()\n"])
        code += "x.grad\n"
    elif kind == "bools":
        code += "x = torch.randn(2, 3)\nb = x > 0\nb\nb.sum()\nb.float().mean()\nb.all(), b.any()\nb.logical_not().int()\n"
        code += "torch.where(b, x, torch.zeros_like(x))\nx[b].numel() + x[b.logical_not()].numel()\n"
    else:
        code += "x = torch.tensor(3., requires_grad=True)\ny = x ** 2\ny.backward()\ng = x.grad.item()\ng\n"
        code += "g * 0.1\nround(g / 7, 4)\nfloat(x)\nint(x.detach())\nx.item() / 3\n"
    return code


@template(1)
def bitwise_not(rng):
    # PyTorch's own error text suggests `~mask`; gradcli's grammar has no bitwise operators (by design)
    return "x = torch.randn(4)\nmask = x > 0\nx[~mask]\n"


@template(1)
def view_under_no_grad(rng):
    # PyTorch: a view made while its base does not record reports the base's requires_grad, with no grad_fn
    return "w = torch.ones(2, 3, requires_grad=True)\nwith torch.no_grad():\n    print(w[0])\n    v = w.view(6)\nv.requires_grad\n"


@template(1)
def view_before_requires_grad_(rng):
    return "a = torch.arange(4.) - 5\nb = a[1:]\na.requires_grad_()\nb\nb.requires_grad, b.grad_fn\n"


# ------------------------------------------------------------------------------------- generation

def generate() -> list[dict]:
    """Every variant's name and code (deterministic: each template's Random is seeded by name and number)."""
    cases = []
    for name, fn, count in TEMPLATES:
        for i in range(count):
            rng = random.Random(f"{name}/{i}")
            cases.append({"name": f"{name}-{i:02d}", "code": HEADER + fn(rng)})
    return cases


def top_level_ranges(code: str) -> list[tuple[int, int]]:
    """(first line, last line) of every top-level statement."""
    return [(node.lineno, node.end_lineno) for node in ast.parse(code).body]


def statement_index(code: str, line: int) -> int | None:
    for i, (first, last) in enumerate(top_level_ranges(code)):
        if first <= line <= last:
            return i
    return None


@functools.lru_cache(maxsize=None)
def _reference():
    spec = importlib.util.spec_from_file_location("torch_reference", ROOT / "examples" / "torch_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_torch(code: str) -> dict:
    """Run a variant under torch, prompt-style; stdout, and the error (None, or where and what)."""
    import torch

    ref = _reference()
    torch.manual_seed(0)
    torch.set_grad_enabled(True)  # a variant that switched grad mode off must not leak it into the next
    out = StringIO()
    namespace: dict = {"__name__": "__main__"}
    error = None
    saved_hook = sys.displayhook
    sys.displayhook = ref._displayhook
    try:
        with warnings.catch_warnings(), redirect_stdout(out):
            warnings.simplefilter("ignore")
            for index, compiled in enumerate(ref.statements(code, FILENAME)):
                try:
                    exec(compiled, namespace)
                except Exception as exc:  # noqa: BLE001 - recorded, as a prompt would report it
                    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
                             if frame.filename == FILENAME]
                    error = {"type": type(exc).__name__, "message": str(exc).split("\n")[0],
                             "statement": index, "lines": lines}
                    break
    finally:
        sys.displayhook = saved_hook
    return {"stdout": ref.normalise(out.getvalue()), "error": error}


def record() -> list[dict]:
    return [{**case, **run_torch(case["code"])} for case in generate()]


def main(argv: list[str]) -> int:
    import torch

    if "--compare" in argv:
        sys.path.insert(0, str(HERE))
        import test_variants as tv

        cases = json.loads(OUT.read_text())["cases"] if "--data" in argv else record()
        bad = 0
        for case in cases:
            problem = tv.mismatch(case)
            if problem:
                bad += 1
                print(f"=== {case['name']}: {problem}")
        print(f"{len(cases) - bad}/{len(cases)} match", file=sys.stderr)
        return 0
    cases = record()
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    failing = sum(1 for c in cases if c["error"])
    print(f"wrote {len(cases)} variants ({failing} end in an error) to {OUT}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
