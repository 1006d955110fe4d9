"""Record what PyTorch prints for short autograd scenarios into tests/parity/data/semantics_cases.json.

Run with torch 2.13.0 (CPU) installed:  python tests/parity/gen_semantics_data.py
Each case is code that runs unchanged as a Python script with torch and as a gradcli
script (tests/parity/test_semantics_cases.py). Recorded per case: stdout (node
addresses masked), and the error that ended the script, if any (Python class and
torch's message; gradcli words its own). The cases cover what the older oracle
(shared/torch-oracle/autograd_cases.json) does not: in-place fills and random
fills in a graph, ops without a derivative and the rounded divisions, the `.grad`
of backward(create_graph=True), `x.data = y` and version counters, and the nodes
of second-order graphs.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import sys
import warnings
from pathlib import Path

OUT = Path(__file__).parent / "data" / "semantics_cases.json"

X = "x = torch.tensor([1., -2., 3.], requires_grad=True)\n"

CASES = [
    # -- 1. in-place fills and random fills of a tensor in a graph --------------------------------------
    ("fill_ on an intermediate records FillBackward2 and passes no gradient",
     X + "y = x * 2\nprint(y.fill_(2.5) is y, y, y._version)\nprint(y.grad_fn.next_functions)\n"
         "(y * x).sum().backward()\nprint(x.grad)\nx.grad = None\ny = x * 2\ny.fill_(1.)\ny.sum().backward()\n"
         "print(x.grad)"),
    ("zero_ on an intermediate records ZeroBackward0 and writes +0",
     X + "y = x * 2\ny.zero_()\nprint(y, y._version, y.grad_fn.next_functions)\ny.sum().backward()\nprint(x.grad)"),
    ("normal_ and uniform_ on intermediates draw torch's stream and pass no gradient",
     "torch.manual_seed(0)\n" + X + "y = x * 2\ny.normal_()\nprint(y, y._version)\n"
     "z = x * 3\nz.uniform_(-1., 1.)\nprint(z, z.grad_fn.next_functions)\n"
     "w = x * 4\nw.normal_(1., 0.5)\nprint(w)\n(y * x + z + w).sum().backward()\nprint(x.grad)"),
    ("fill_ with a 0-dim tensor that requires grad: FillBackward3, the value gets the sum",
     X + "w = torch.tensor(3., requires_grad=True)\ny = x * 2\ny.fill_(w)\nprint(y, y.grad_fn.next_functions)\n"
         "y.sum().backward()\nprint(w.grad, x.grad)\nc = torch.zeros(3)\nc.fill_(w)\n"
         "print(c, c.requires_grad, c.is_leaf, c.grad_fn.next_functions)\nw.grad = None\n"
         "(c * torch.tensor([1., 2., 3.])).sum().backward()\nprint(w.grad)\n"
         "d = x * 1\nd.fill_(torch.tensor(7.))\nprint(d.grad_fn.next_functions)"),
    ("fills on a leaf that requires grad are refused; allowed under no_grad, which bumps the version",
     X + "for fill in [lambda t: t.fill_(1.), lambda t: t.zero_(), lambda t: t.normal_(), lambda t: t.uniform_()]:\n"
         "    try:\n        fill(x)\n        print('allowed')\n    except RuntimeError:\n        print('refused')\n"
         "    try:\n        fill(x[:2])\n        print('allowed')\n    except RuntimeError:\n        print('view refused')\n"
         "    with torch.no_grad():\n        fill(x)\n    print(x._version, x.is_leaf, x.requires_grad, x.grad_fn)"),
    ("a fill of a value saved for backward is caught by the version counter",
     X + "y = x * 2\nz = y * y\ny.fill_(1.)\nprint(y._version)\nz.sum().backward()"),
    ("fills through a view of an intermediate",
     X + "y = x * 2\nv = y[:2]\nv.fill_(5.)\nprint(v, y, y._version, v._version)\nprint(v.grad_fn, y.grad_fn)\n"
         "y.sum().backward()\nprint(x.grad)\nx.grad = None\ny = x * 2\ny[1].zero_()\n(y * y).sum().backward()\n"
         "print(y, x.grad)"),
    ("fill_ converts the value to the tensor's dtype",
     "print(torch.tensor([1, 2]).fill_(2.7), torch.tensor([True, False]).fill_(2.7))\n"
     "print(torch.tensor([1, 2]).fill_(torch.tensor(-2.7)), torch.zeros(2).fill_(torch.tensor(2)))\n"
     "print(torch.zeros(2).fill_(True), torch.zeros(2, dtype=torch.float64).fill_(1e300))"),
    ("fill_ with a value tensor that is not 0-dim", "torch.zeros(3).fill_(torch.tensor([2.]))"),
    ("fill_ of an integer tensor with nan", "torch.tensor([1, 2]).fill_(float('nan'))"),
    ("normal_ with a negative std", "torch.zeros(2).normal_(0., -1.)"),
    ("uniform_ with from > to", "torch.zeros(2).uniform_(2., 1.)"),
    ("fills of plain tensors and of .grad",
     "torch.manual_seed(3)\nt = torch.ones(2, 3)\nprint(t.normal_(), t._version)\nprint(t.uniform_(), t.fill_(-1), t.zero_())\n"
     "print(t._version, t.grad_fn, t.requires_grad)\nx = torch.tensor([2.], requires_grad=True)\n(x * x).sum().backward()\n"
     "print(x.grad.zero_(), x.grad)"),
    ("fills under create_graph: the zero gradient is not part of the graph",
     X + "y = x * x\ny.fill_(2.)\ng, = torch.autograd.grad((y * x).sum(), x, create_graph=True)\nprint(g)\n"
         "y = x * x\ny.zero_()\ng, = torch.autograd.grad((y * x).sum(), x, create_graph=True)\nprint(g)\n"
         "y = x * 1\nz = (y * y).sum()\ny.zero_()\ng, = torch.autograd.grad(y.sum(), x, create_graph=True)\nprint(g)"),

    # -- 2. ops without a derivative, and the rounded divisions ---------------------------------------------
    ("floor_divide records NotImplemented with slots only for inputs that require grad",
     X + "c = torch.tensor([2., 2., 2.])\n"
         "for y in [x // 2, x // c, c // x, x // x, 7 // x, torch.floor_divide(x, 2), x.floor_divide(c)]:\n"
         "    print(y, y.grad_fn.next_functions)\n"
         "with torch.no_grad():\n    print((x // 2).requires_grad)\nprint((x.detach() // 2).grad_fn)"),
    ("backward through floor_divide is an error", X + "y = x // 2\nprint(y)\n(y * x).sum().backward()"),
    ("backward through x // x is an error", X + "(x // x).sum().backward()"),
    ("autograd.grad through floor_divide is an error",
     X + "torch.autograd.grad((x // 2 + x).sum(), x)"),
    ("floor_divide_ in place on an intermediate is an error at backward",
     X + "y = x * 1\ny.floor_divide_(2)\nprint(y, y.grad_fn.next_functions)\ny.sum().backward()"),
    ("floor_divide off the path to the input is fine",
     X + "w = torch.tensor([1., 1., 1.], requires_grad=True)\ny = x // 2 + w * 3\n"
         "print(torch.autograd.grad(y.sum(), w))\nz = (x // 2).detach() * x\nz.sum().backward()\nprint(x.grad)"),
    ("div with a rounding mode records DivBackward2 with a zero gradient",
     X + "c = torch.tensor([2., 2., 2.])\n"
         "for y in [torch.div(x, 2, rounding_mode='floor'), torch.div(x, c, rounding_mode='trunc'),\n"
         "          torch.div(c, x, rounding_mode='trunc'), torch.div(2, x, rounding_mode='floor'),\n"
         "          x.div(x, rounding_mode='floor'), x.div(2, rounding_mode=None)]:\n"
         "    g, = torch.autograd.grad((y * torch.tensor([1., 2., 3.])).sum(), x, create_graph=True)\n"
         "    print(y, y.grad_fn.next_functions, g)"),
    ("remainder and fmod: nodes, values and gradients",
     X + "c = torch.tensor([2., 2., 2.])\n"
         "for y in [x % 2, torch.remainder(x, c), c % x, x % x, x.fmod(2), torch.fmod(x, c), torch.fmod(c, x),\n"
         "          x.fmod(x), x.fmod(-2.5), x % -2.5]:\n"
         "    g, = torch.autograd.grad((y * torch.tensor([1., 2., 3.])).sum(), x, create_graph=True)\n"
         "    print(y, y.grad_fn.next_functions, g)"),
    ("remainder of a number by a tensor has no derivative",
     X + "y = 5 % x\nprint(y, y.grad_fn.next_functions)\ny.sum().backward()"),
    ("which of remainder, fmod and div(rounding_mode) survive a second backward",
     X + "c = torch.tensor([2., 2., 2.])\n"
         "for f in [lambda: x % 2, lambda: x % c, lambda: c % x, lambda: x.fmod(2), lambda: x.fmod(c),\n"
         "          lambda: x.div(c, rounding_mode='floor')]:\n"
         "    s = f().sum()\n    s.backward()\n    try:\n        s.backward()\n        print('again')\n"
         "    except RuntimeError:\n        print('freed')"),
    ("integer and float division by zero",
     "print(torch.tensor([7., -7., 0.]) // 0, torch.tensor([7., 0.]) % 0, torch.tensor([7., -0., 1.]).div(0, rounding_mode='trunc'))\n"
     "print(torch.tensor([7, -7]) // 2, torch.tensor([7, -7]).div(2, rounding_mode='trunc'), torch.tensor([7, -7]).fmod(2),\n"
     "      torch.tensor([7, -7]) % -2, torch.tensor([7, -7]).fmod(2.5), torch.tensor([7, -7]) // 2.5)\n"
     "n, d = torch.tensor([0., -0., 1., -1., 4., -4., 5.5]), torch.tensor([-2., 2., -2., 2., 2., 2., -2.])\n"
     "print(n // d, n % d, n.fmod(d), n.div(d, rounding_mode='trunc'), n % -2., n.fmod(2.))\n"
     "for f in [lambda: torch.tensor([7, 0]) // 0, lambda: torch.tensor([7]) % torch.tensor([0]),\n"
     "          lambda: torch.tensor([7]).fmod(0), lambda: torch.tensor([7]).div(0, rounding_mode='floor'),\n"
     "          lambda: torch.tensor([7]).div(0, rounding_mode='trunc'), lambda: 7 // torch.tensor([0])]:\n"
     "    try:\n        print(f())\n    except RuntimeError:\n        print('refused')"),
    ("bool tensors: no floor division, remainder or power of two bools",
     "a, b = torch.tensor([True, False]), torch.tensor([True, True])\nprint(a // 2, a % 2, a ** 2, 2 ** a)\n"
     "for f in [lambda: a // b, lambda: a % b, lambda: a.fmod(b), lambda: a ** b]:\n"
     "    try:\n        print(f())\n    except RuntimeError:\n        print('refused')"),
    ("div with an unknown rounding mode", "torch.div(torch.ones(2), 2, rounding_mode='round')"),

    # -- 3. the .grad that backward(create_graph=True) fills ------------------------------------------------
    ("backward(create_graph=True): CopyBackwards on a leaf's .grad, CloneBackward0 on a retained non-leaf's",
     "x = torch.tensor([1., 2.], requires_grad=True)\ny = x * 3\ny.retain_grad()\n(y * y).sum().backward(create_graph=True)\n"
     "print(x.grad, x.grad.grad_fn.next_functions)\nprint(y.grad, y.grad.grad_fn.next_functions, y.grad.is_leaf)\n"
     "gx, gy = x.grad, y.grad\n(y * y).sum().backward(create_graph=True)\nprint(x.grad, x.grad.grad_fn.next_functions)\n"
     "print(y.grad, y.grad.grad_fn.next_functions)\nx.grad = None\ngx.sum().backward(retain_graph=True)\nprint(x.grad)\n"
     "x.grad = None\ngy.sum().backward()\nprint(x.grad)"),
    ("create_graph .grad of autograd.grad's retained non-leaf, of a linear graph, of the root",
     "x = torch.tensor([1., 2.], requires_grad=True)\ny = x * 3\ny.retain_grad()\n"
     "torch.autograd.grad((y * y).sum(), x, create_graph=True)\nprint(y.grad)\n"
     "y = x * 3\ny.retain_grad()\nx.grad = None\ny.sum().backward(create_graph=True)\nprint(x.grad, y.grad)\n"
     "s = (x * x).sum()\ns.retain_grad()\ns.backward(create_graph=True)\nprint(s.grad)"),

    # -- 4. x.data = y, and the version counters -----------------------------------------------------------
    ("x.data = y: x keeps its own version counter",
     "x = torch.tensor([1., 2.], requires_grad=True)\ny = torch.tensor([5., 6.])\ny.add_(1)\ny.add_(1)\ny.add_(1)\n"
     "with torch.no_grad():\n    x.mul_(1)\nprint(x._version, y._version)\nx.data = y\nprint(x._version, y._version, x)\n"
     "y.add_(1)\nprint(x._version, y._version, x)\nwith torch.no_grad():\n    x.add_(1)\nprint(x._version, y._version, x, y)\n"
     "x.data.add_(1)\nprint(x._version, y._version)\nx.detach().add_(1)\nprint(x._version, y._version, x.requires_grad, x.is_leaf)"),
    ("x.data = y between forward and backward: the saved-value check follows x's own counter",
     "x = torch.tensor([1., 2.], requires_grad=True)\na = x * 1\nz = a * a\nn = torch.tensor([3., 4.])\na.data = n\n"
     "n.add_(1)\nprint(a._version, n._version)\nz.sum().backward(retain_graph=True)\nprint(x.grad)\n"
     "a.add_(1)\nprint(a._version, n._version)\nz.sum().backward()"),
    ("writes through x.data are not seen by the saved-value check; through detach() they are",
     "x = torch.tensor([1., 2.], requires_grad=True)\na = x * 1\nb = a * a\na.data.add_(1)\nprint(a._version, a)\n"
     "b.sum().backward()\nprint(x.grad)\na = x * 1\nb = a * a\na.detach().add_(1)\nprint(a._version)\nb.sum().backward()"),
    ("x.data = y and views: old views keep sharing x's counter, new views of x do not see y's",
     "x = torch.tensor([1., 2.])\nv = x[:1]\nx.data = torch.tensor([7., 8.])\nv.add_(1)\nprint(x, v, x._version, v._version)\n"
     "x = torch.tensor([1., 2.])\ny = torch.tensor([5., 6.])\nx.data = y\nw = x[:1]\nw.add_(1)\n"
     "print(x._version, y._version, w._version, y)\nyy = y[:1]\nyy.add_(1)\nprint(x._version, y._version, yy._version)"),
    ("a view made before base.data = ... is read at its offsets in the new data",
     "x = torch.tensor([1., 2., 3.], requires_grad=True)\nv = x[1:]\nx.data = torch.tensor([10., 20., 30.])\n"
     "with torch.no_grad():\n    x.add_(1)\nprint(x, v, x._version, v._version, v.grad_fn)\nv.sum().backward()\nprint(x.grad)\n"
     "x = torch.tensor([1., 2., 3.], requires_grad=True)\ny = x * 1\nv = y[1:]\ny.data = torch.tensor([10., 20., 30.])\n"
     "y.mul_(2)\nprint(y, v, y._version, v._version, v.grad_fn)\nv.sum().backward()\nprint(x.grad)\n"
     "x = torch.tensor([1., 2., 3.], requires_grad=True)\ny = x * 1\nv = y[1:]\ny.data = torch.tensor([10., 20., 30.])\n"
     "v.mul_(2)\nprint(y, v, y._version, v._version, v.grad_fn, y.grad_fn)\n(y.sum() + v.sum()).backward()\nprint(x.grad)"),
    ("x.data = y may change shape and float dtype",
     "x = torch.tensor([1., 2.], requires_grad=True)\nx.data = torch.zeros(3)\nprint(x, x.shape)\n"
     "x.data = torch.tensor([1., 2.], dtype=torch.float64)\nprint(x, x.dtype)\nc = torch.tensor([1., 2.])\n"
     "c.data = torch.tensor([3, 4])\nprint(c, c.dtype)"),
    ("x.data = an integer tensor, when x requires grad",
     "x = torch.tensor([1., 2.], requires_grad=True)\nx.data = torch.tensor([1, 2])"),

    # -- 5. nodes of second-order graphs ---------------------------------------------------------------------
    ("create_graph through sigmoid, tanh, relu, leaky_relu: their backward nodes and third derivatives",
     "x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)\n"
     "for f in [torch.sigmoid, torch.tanh, torch.relu, torch.nn.functional.leaky_relu, lambda t: t.sigmoid().tanh()]:\n"
     "    y = f(x)\n    g, = torch.autograd.grad((y * torch.tensor([1., 2., 3.])).sum(), x, create_graph=True)\n"
     "    print(g, g.grad_fn.next_functions)\n"
     "    h, = torch.autograd.grad((g * torch.tensor([1., -1., 0.5])).sum(), x, create_graph=True, allow_unused=True)\n"
     "    print(h)\n    if h is not None and h.requires_grad:\n"
     "        print(h.grad_fn, torch.autograd.grad(h.sum(), x, allow_unused=True))"),
    ("create_graph through a broadcast: the gradient is summed back to the input's shape by recorded ops",
     "x = torch.tensor([[1., 2.], [3., 4.]], requires_grad=True)\n"
     "for s in [torch.tensor(3., requires_grad=True), torch.tensor([3., -1.], requires_grad=True),\n"
     "          torch.tensor([[3.], [-1.]], requires_grad=True), torch.tensor([[[2.]]], requires_grad=True),\n"
     "          torch.tensor(2., dtype=torch.float64, requires_grad=True)]:\n"
     "    g, = torch.autograd.grad((x * s * x).sum(), s, create_graph=True)\n"
     "    print(g, g.grad_fn, g.grad_fn.next_functions)\n"
     "    print(torch.autograd.grad(g.sum(), x))"),
]


def mask(text: str) -> str:
    return re.sub(r" object at 0x[0-9a-f]+>", ">", text)


def run(code: str) -> dict:
    import torch  # noqa: F401  (the cases' `torch`)

    out = io.StringIO()
    error = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(out):
            try:
                exec(compile(code, "<case>", "exec"), {"torch": torch})
            except Exception as e:  # the case's recorded error
                error = {"type": type(e).__name__, "message": str(e).split("\n")[0]}
    return {"stdout": mask(out.getvalue()), "error": error}


def record() -> list:
    import torch

    cases = []
    for name, code in CASES:
        torch.manual_seed(0)
        cases.append({"name": name, "code": code, **run(code)})
    return cases


def main() -> None:
    import torch

    cases = record()
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
