"""Record which in-place writes after an op PyTorch refuses at backward into tests/parity/data/saved_checks.json.

Run with torch 2.13.0 (CPU) installed:  python tests/parity/gen_saved_checks_data.py

PyTorch saves some of an op's inputs (and maybe its result) for backward and checks their
version counters there: a write between forward and backward is refused ("modified by an
inplace operation") exactly when the written tensor was saved. Which ones are saved depends on
the op and on which inputs require grad (`a * b` saves b only for a's gradient). For every
differentiable op gradcli exposes, each input position and each requires-grad pattern, a case
builds the op, writes one tensor in place and runs backward:

- the written input is an intermediate `w = x * 1` that requires grad, or a constant (then some
  other input requires grad); every other float input is a constant or a leaf that requires grad;
  integer and bool inputs (indices, targets, conditions) are constants, written too;
- separately, the op's result is written (`y.add_(1)`), for ops whose result is not a view;
- for the ops whose backward saves values itself, the same after a create_graph backward: the
  write comes between the first and the second backward.

Recorded per case: "ok", "refused" (the version check) or "error" (any other error) for the write
and for the backward, and each leaf's gradient. Each case is code that runs unchanged with torch
and with gradcli's Python API (tests/parity/test_saved_checks.py).
"""

from __future__ import annotations

import itertools
import json
import sys
import warnings
from pathlib import Path

OUT = Path(__file__).parent / "data" / "saved_checks.json"

# -- inputs ---------------------------------------------------------------------------------------
# kind "f": float64 (may require grad); "i": int64; "b": bool. Values keep every op smooth (no ties,
# no kinks, in each function's domain) before and after the default write, `add_(1)`.
V3 = ("f", "[0.7, -1.3, 2.1]")
P3 = ("f", "[0.7, 1.3, 2.1]")  # positive
U3 = ("f", "[0.2, 0.6, 0.4]")  # probabilities
M23 = ("f", "[[0.7, -1.3, 2.1], [0.4, 1.7, -0.6]]")
P23 = ("f", "[[0.7, 1.3, 2.1], [0.4, 1.7, 0.6]]")
M32 = ("f", "[[0.5, -1.1], [1.9, 0.3], [-0.8, 1.4]]")
B223 = ("f", "[[[0.7, -1.3, 2.1], [0.4, 1.7, -0.6]], [[1.2, 0.9, -0.2], [-1.5, 0.8, 0.3]]]")
B232 = ("f", "[[[0.5, -1.1], [1.9, 0.3], [-0.8, 1.4]], [[1.1, 0.6], [-0.4, 0.9], [0.2, -1.7]]]")
S0 = ("f", "1.7")


def W(values, dtype):
    """A constant of another dtype (written too)."""
    return ("i" if dtype == "int64" else "b", values)


# Each op: (name, expression in a, b, c, ..., inputs, options). Options: "write" per input
# ({"a": "a.mul_(0.5)"}), "pick" (the tensor backward starts from, default "y"), "view" (the result
# is a view of an input: its write is view semantics, not a saved-value check), "second" (also the
# create_graph cases).
OPS = [
    # elementwise, two tensors
    ("add", "a + b", [V3, P3], {}),
    ("sub", "a - b", [V3, P3], {}),
    ("mul", "a * b", [V3, P3], {"second": True}),
    ("mul broadcast", "a * b", [M23, P3], {}),
    ("mul by a 0-dim tensor", "a * b", [V3, S0], {}),
    ("div", "a / b", [V3, P3], {"second": True}),
    ("div broadcast", "a / b", [P3, M23], {}),
    ("div rounding floor", "torch.div(a, b, rounding_mode='floor')", [V3, P3], {}),
    ("div rounding trunc", "torch.div(a, b, rounding_mode='trunc')", [V3, P3], {}),
    ("div rounding None", "torch.div(a, b, rounding_mode=None)", [V3, P3], {}),
    ("remainder", "a % b", [V3, P3], {}),
    ("fmod", "torch.fmod(a, b)", [V3, P3], {}),
    ("pow tensor exponent", "a ** b", [P3, V3], {"second": True}),
    ("maximum", "torch.maximum(a, b)", [V3, P3], {"second": True}),
    ("minimum", "torch.minimum(a, b)", [V3, P3], {}),
    ("max of two tensors", "torch.max(a, b)", [V3, P3], {}),
    ("floor_divide", "a // b", [V3, P3], {}),
    ("where", "torch.where(c, a, b)", [V3, P3, W("[True, False, True]", "bool")],
     {"write": {"c": "c.fill_(False)"}, "second": True}),
    # elementwise, a tensor and a number
    ("add number", "a + 2.0", [V3], {}),
    ("mul number", "a * 2.5", [V3], {}),
    ("number times", "2.5 * a", [V3], {}),
    ("div by number", "a / 2.5", [V3], {}),
    ("number over", "2.5 / a", [V3], {"second": True}),
    ("rsub", "2.5 - a", [V3], {}),
    ("pow number", "a ** 3", [V3], {"second": True}),
    ("pow 0.5", "a ** 0.5", [P3], {}),
    ("number pow", "2.5 ** a", [V3], {"second": True}),
    ("remainder by number", "a % 2.5", [V3], {}),
    ("fmod by number", "torch.fmod(a, 2.5)", [V3], {}),
    ("div number rounding", "torch.div(a, 2.5, rounding_mode='floor')", [V3], {}),
    # unary
    ("neg", "-a", [V3], {}),
    ("exp", "a.exp()", [V3], {"second": True}),
    ("log", "a.log()", [P3], {"second": True}),
    ("log1p", "a.log1p()", [P3], {"second": True}),
    ("sqrt", "a.sqrt()", [P3], {"second": True}),
    ("sin", "a.sin()", [V3], {"second": True}),
    ("cos", "a.cos()", [V3], {"second": True}),
    ("tan", "a.tan()", [("f", "[0.7, -0.3, 0.1]")], {"second": True}),
    ("tanh", "a.tanh()", [V3], {"second": True}),
    ("sigmoid", "a.sigmoid()", [V3], {"second": True}),
    ("relu", "a.relu()", [V3], {"second": True}),
    ("abs", "a.abs()", [V3], {"second": True}),
    ("sign", "a.sign()", [V3], {}),
    ("reciprocal", "a.reciprocal()", [V3], {"second": True}),
    ("clone", "a.clone()", [V3], {}),
    ("clamp", "a.clamp(-1.0, 1.0)", [V3], {"second": True}),
    ("clamp min", "a.clamp(min=0.0)", [V3], {}),
    ("clamp max", "torch.clamp(a, max=0.5)", [V3], {}),
    ("to float32", "a.float()", [V3], {}),
    ("F.relu", "F.relu(a)", [V3], {}),
    ("leaky_relu", "F.leaky_relu(a, 0.1)", [V3], {"second": True}),
    ("softplus", "F.softplus(a)", [V3], {"second": True}),
    ("gelu", "F.gelu(a)", [V3], {"second": True}),
    ("gelu tanh", "F.gelu(a, approximate='tanh')", [V3], {"second": True}),
    ("softmax", "a.softmax(-1)", [M23], {"second": True}),
    ("log_softmax", "torch.log_softmax(a, 1)", [M23], {"second": True}),
    ("F.softmax", "F.softmax(a, dim=0)", [M23], {}),
    # reductions
    ("sum", "a.sum()", [M23], {}),
    ("sum dim", "a.sum(0)", [M23], {}),
    ("mean", "a.mean()", [M23], {}),
    ("mean dim", "a.mean(1, keepdim=True)", [M23], {}),
    ("prod", "a.prod()", [M23], {"second": True}),
    ("prod dim", "a.prod(1)", [M23], {"second": True}),
    ("max", "a.max()", [M23], {"second": True}),
    ("min", "a.min()", [M23], {}),
    ("max dim", "a.max(1)", [M23], {"pick": "y.values", "indices": True}),
    ("min dim keepdim", "a.min(0, keepdim=True)", [M23], {"pick": "y[0]", "indices": True}),
    ("amax", "a.amax(1)", [M23], {"second": True}),
    ("amin", "torch.amin(a)", [M23], {}),
    ("norm", "a.norm()", [M23], {"second": True}),
    ("norm 1", "a.norm(1)", [M23], {"second": True}),
    ("norm inf dim", "a.norm(float('inf'), 1)", [M23], {"second": True}),
    ("norm 3", "torch.norm(a, 3)", [M23], {"second": True}),
    ("vector_norm 0.5", "torch.linalg.vector_norm(a, 0.5)", [M23], {"second": True}),
    ("vector_norm 0", "torch.linalg.vector_norm(a, 0)", [M23], {}),
    # matrix products
    ("dot", "torch.dot(a, b)", [V3, P3], {"second": True}),
    ("mv", "torch.mv(a, b)", [M23, P3], {"second": True}),
    ("mm", "torch.mm(a, b)", [M23, M32], {"second": True}),
    ("bmm", "torch.bmm(a, b)", [B223, B232], {"second": True}),
    ("matmul 1-D 2-D", "a @ b", [("f", "[0.5, -1.1]"), M23], {}),
    ("matmul 2-D 1-D", "a @ b", [M23, P3], {}),
    ("matmul 3-D 2-D", "a @ b", [B223, M32], {}),
    ("matmul 2-D 3-D", "a @ b", [M23, B232], {}),
    ("matmul 3-D 3-D", "torch.matmul(a, b)", [B223, B232], {}),
    ("matmul 3-D 1-D", "a @ b", [B223, P3], {}),
    # shape ops and indexing
    ("view", "a.view(3, 2)", [M23], {"view": True}),
    ("reshape", "a.reshape(-1)", [M23], {"view": True}),
    ("reshape of a transpose", "a.t().reshape(6)", [M23], {}),
    ("flatten", "torch.flatten(a)", [M23], {"view": True}),
    ("t", "a.t()", [M23], {"view": True}),
    ("transpose", "a.transpose(0, 1)", [M23], {"view": True}),
    ("permute", "a.permute(1, 0)", [M23], {"view": True}),
    ("T", "a.T", [M23], {"view": True}),
    ("squeeze", "a.unsqueeze(0).squeeze()", [M23], {"view": True}),
    ("unsqueeze", "a.unsqueeze(1)", [V3], {"view": True}),
    ("expand", "a.expand(2, 3)", [V3], {"view": True}),
    ("contiguous", "a.t().contiguous()", [M23], {}),
    ("cat", "torch.cat([a, b])", [V3, P3], {}),
    ("cat dim 1", "torch.cat([a, b], 1)", [M23, P23], {}),
    ("stack", "torch.stack([a, b], 1)", [V3, P3], {}),
    ("narrow", "a.narrow(1, 1, 2)", [M23], {"view": True}),
    ("split", "a.split(2, 1)", [M23], {"pick": "y[0]", "view": True}),
    ("chunk", "torch.chunk(a, 3, 1)", [M23], {"pick": "y[1]", "view": True}),
    ("unbind", "a.unbind()", [M23], {"pick": "y[1]", "view": True}),
    ("repeat", "a.repeat(2, 1)", [V3], {}),
    ("select", "a[1]", [M23], {"view": True}),
    ("slice", "a[:, 1:]", [M23], {"view": True}),
    ("list index", "a[[1, 0, 1]]", [V3], {}),
    ("int64 tensor index", "a[b]", [V3, W("[2, 0, 2]", "int64")], {"write": {"b": "b.fill_(1)"}}),
    ("int64 tensor index, 2-D", "a[:, b]", [M23, W("[2, 0]", "int64")], {"write": {"b": "b.fill_(1)"}}),
    ("bool mask index", "a[b]", [V3, W("[True, False, True]", "bool")], {"write": {"b": "b.fill_(True)"}}),
    # writes: `y = a * 1; y[idx] = b` (the op is the write into y)
    ("setitem slice", "_set(a, slice(0, 2), b)", [V3, ("f", "[0.5, -1.1]")], {}),
    ("setitem int64 tensor index", "_set(a, c, b)", [V3, ("f", "[0.5, -1.1]"), W("[2, 0]", "int64")],
     {"write": {"c": "c.fill_(1)"}}),
    ("setitem bool mask", "_set(a, c, b)", [V3, ("f", "[0.5, -1.1]"), W("[True, False, True]", "bool")],
     {"write": {"c": "c.fill_(False)"}}),
    # losses
    ("mse_loss", "F.mse_loss(a, b)", [V3, P3], {"second": True}),
    ("mse_loss none", "F.mse_loss(a, b, reduction='none')", [V3, P3], {}),
    ("mse_loss broadcast", "F.mse_loss(a, b)", [M23, P3], {}),
    ("binary_cross_entropy", "F.binary_cross_entropy(a, b)", [U3, ("f", "[0.1, 0.8, 0.5]")],
     {"write": {"a": "a.mul_(0.5)", "b": "b.mul_(0.5)"}}),
    ("binary_cross_entropy weight", "F.binary_cross_entropy(a, b, weight=c)",
     [U3, ("f", "[0.1, 0.8, 0.5]"), ("f", "[1.5, 0.5, 2.0]")],
     {"write": {"a": "a.mul_(0.5)", "b": "b.mul_(0.5)"}, "grad": "ab"}),
    ("bce_with_logits", "F.binary_cross_entropy_with_logits(a, b)", [V3, U3], {"second": True}),
    ("bce_with_logits weights", "F.binary_cross_entropy_with_logits(a, b, weight=c, pos_weight=d)",
     [V3, U3, ("f", "[1.5, 0.5, 2.0]"), ("f", "[0.5, 2.0, 3.0]")], {"grad": "ab"}),
    ("nll_loss", "F.nll_loss(a, b)", [M23, W("[2, 0]", "int64")], {"write": {"b": "b.fill_(1)"}, "second": True}),
    ("nll_loss weight", "F.nll_loss(a, b, weight=c)", [M23, W("[2, 0]", "int64"), ("f", "[1.5, 0.5, 2.0]")],
     {"write": {"b": "b.fill_(1)"}, "grad": "a"}),
    ("cross_entropy", "F.cross_entropy(a, b)", [M23, W("[2, 0]", "int64")],
     {"write": {"b": "b.fill_(1)"}, "second": True}),
    ("cross_entropy probabilities", "F.cross_entropy(a, b)", [M23, ("f", "[[0.2, 0.3, 0.5], [0.6, 0.1, 0.3]]")],
     {"second": True}),
    ("cross_entropy label_smoothing weight", "F.cross_entropy(a, b, weight=c, label_smoothing=0.1)",
     [M23, W("[2, 0]", "int64"), ("f", "[1.5, 0.5, 2.0]")], {"write": {"b": "b.fill_(1)"}, "grad": "a"}),
    ("cross_entropy label_smoothing", "F.cross_entropy(a, b, label_smoothing=0.1)", [M23, W("[2, 0]", "int64")],
     {"write": {"b": "b.fill_(1)"}}),
    # in-place ops on an intermediate (the result is the input itself)
    ("mul_", "a.mul_(b)", [V3, P3], {"inplace": True}),
    ("div_", "a.div_(b)", [V3, P3], {"inplace": True}),
    ("add_", "a.add_(b)", [V3, P3], {"inplace": True}),
    ("sub_", "a.sub_(b)", [V3, P3], {"inplace": True}),
    ("pow_", "a.pow_(2)", [V3], {"inplace": True}),
    ("pow_ tensor exponent", "a.pow_(b)", [P3, V3], {"inplace": True}),
    ("remainder_", "a.remainder_(b)", [V3, P3], {"inplace": True}),
    ("fmod_", "a.fmod_(b)", [V3, P3], {"inplace": True}),
    ("log_", "a.log_()", [P3], {"inplace": True}),
    ("cos_", "a.cos_()", [V3], {"inplace": True}),
    ("neg_", "a.neg_()", [V3], {"inplace": True}),
    ("exp_", "a.exp_()", [V3], {"inplace": True}),
    ("sin_", "a.sin_()", [V3], {"inplace": True}),
    ("sqrt_", "a.sqrt_()", [P3], {"inplace": True}),
    ("tanh_", "a.tanh_()", [V3], {"inplace": True}),
    ("sigmoid_", "a.sigmoid_()", [V3], {"inplace": True}),
    ("relu_", "a.relu_()", [V3], {"inplace": True}),
    ("abs_", "a.abs_()", [V3], {"inplace": True}),
    ("fill_ with a tensor", "a.fill_(b)", [V3, S0], {"inplace": True}),
    ("zero_", "a.zero_()", [V3], {"inplace": True}),
    ("clamp_", "a.clamp_(-1.0, 1.0)", [V3], {"inplace": True}),
    ("leaky_relu inplace", "F.leaky_relu(a, 0.1, inplace=True)", [V3], {"inplace": True, "second": True}),
    ("leaky_relu inplace, negative slope", "F.leaky_relu(a, -0.1, inplace=True)", [V3], {"inplace": True}),
    ("softplus beta", "F.softplus(a, beta=2.0, threshold=3.0)", [V3], {"second": True}),
]

NAMES = "abcd"
PRELUDE = ("F = torch.nn.functional\n"
           "def _set(t, idx, v):\n    t = t * 1\n    t[idx] = v\n    return t\n")


def _backward(pick: str, indent: str = "") -> str:
    """The loss: a weighted sum, so that every element's gradient counts (softmax's sum has none)."""
    return (f"{indent}out = {pick}\n"
            f"{indent}k = torch.arange(1.0, out.numel() + 1.0, dtype=torch.float64).reshape(out.shape)\n"
            f"{indent}loss = (out * k).sum()\n")


def _leaf(name, kind, values, rg):
    if kind == "f":
        return f"{name} = torch.tensor({values}, dtype=torch.float64, requires_grad={rg})\n"
    dt = "torch.int64" if kind == "i" else "torch.bool"
    return f"{name} = torch.tensor({values}, dtype={dt})\n"


def _cases_for(name, expr, inputs, opts):
    names = NAMES[:len(inputs)]
    floats = [n for n, (k, _) in zip(names, inputs) if k == "f"]
    grad_ok = set(opts.get("grad", "".join(floats)))  # inputs a gradient may flow to (weights: none)
    writes = opts.get("write", {})
    pick = opts.get("pick", "y")
    cases = []

    def build(written, rg, intermediate):
        """Leaves (x<name> behind an intermediate), then the op. An in-place op's first input is
        always an intermediate or a constant: a leaf that requires grad cannot be written."""
        code = ""
        for n, (kind, values) in zip(names, inputs):
            if (n == written and intermediate) or (opts.get("inplace") and n == "a" and n in rg):
                code += _leaf("x" + n, kind, values, True) + f"{n} = x{n} * 1\n"
            else:
                code += _leaf(n, kind, values, n in rg)
        return code + f"y = {expr}\n"

    def patterns(others):
        for bits in itertools.product((False, True), repeat=len(others)):
            yield {n for n, bit in zip(others, bits) if bit}

    # 1. an input written after the op
    for written, (kind, _) in zip(names, inputs):
        others = [n for n in floats if n != written and n in grad_ok]
        for intermediate in ((True, False) if kind == "f" and written in grad_ok else (False,)):
            for rg in patterns(others):
                if not intermediate and not rg:
                    continue  # nothing requires grad: no graph
                if opts.get("inplace") and written == "a":
                    continue  # the input is the result: see 2.
                code = build(written, rg, intermediate)
                label = ("requires grad" if intermediate else "constant")
                label += "; " + (", ".join(sorted(rg)) + " require grad" if rg else "others constant")
                write = writes.get(written, f"{written}.add_(1)")
                cases.append((f"{name}: write {written} ({label})", code, write, pick))
    # 2. the result written after the op (not for views: writing one is view semantics)
    if not opts.get("view"):
        for rg in patterns([n for n in floats if n in grad_ok]):
            if not rg:
                continue
            code = build(None, rg, False)
            label = ", ".join(sorted(rg)) + " require grad"
            target = "y.values" if opts.get("indices") else ("y[0]" if pick.startswith("y[") else "y")
            cases.append((f"{name}: write the result ({label})", code, f"{target}.add_(1)", pick))
            if opts.get("indices"):
                cases.append((f"{name}: write the indices ({label})", code, "y[1].fill_(0)", pick))
    return cases


def _second_order(name, expr, inputs, opts):
    """y = op(...); g = grad(loss, leaves, create_graph=True); write; backward through g."""
    names = NAMES[:len(inputs)]
    floats = [n for n, (k, _) in zip(names, inputs) if k == "f" and n in opts.get("grad", names)]
    out = []
    inplace = opts.get("inplace")
    targets = [(n, f"{n}.add_(1)") for n in floats if not (inplace and n == "a")] + [("the result", "y.add_(1)")]
    for written, write in targets:
        code = ""
        behind = {written} | ({"a"} if inplace else set())  # intermediates x<name> * 1
        for n, (kind, values) in zip(names, inputs):
            if n in behind:
                code += _leaf("x" + n, kind, values, True) + f"{n} = x{n} * 1\n"
            else:
                code += _leaf(n, kind, values, n in floats)
        code += f"y = {expr}\n" + _backward(opts.get("pick", "y"))
        leaves = ", ".join(("x" + n if n in behind else n) for n in floats)
        code += f"gs = torch.autograd.grad(loss, [{leaves}], create_graph=True)\n"
        out.append((f"{name}: create_graph, write {written} before the second backward", code, write,
                    "sum((g * g).sum() for g in gs)"))
    return out


def cases() -> list:
    """(name, code) of every case: code sets R['write'], R['backward'] and R['grad.<leaf>']."""
    out = []
    for name, expr, inputs, opts in OPS:
        found = _cases_for(name, expr, inputs, opts)
        for label, code, write, pick in found:
            # after the write, reading a view of the written tensor may itself be an error: in the step
            loss = "def backward():\n" + _backward(pick, "    ") + "    loss.backward()\n"
            out.append((label, code + _step("write", write) + loss + _step("backward", "backward()")))
        if opts.get("second"):
            for label, code, write, second in _second_order(name, expr, inputs, opts):
                out.append((label, code + _step("write", write) + _step("backward", f"({second}).backward()")))
    return out


def _step(label: str, stmt: str) -> str:
    return f"R['{label}'] = step(lambda: {stmt})\n"


def leaves(code: str) -> list:
    """The names of the leaves that require grad in a case, in order."""
    import re
    return re.findall(r"^(\w+) = torch\.tensor\([^\n]*requires_grad=True\)$", code, re.M)


def run(code: str, torch, F, refused, errors) -> dict:
    """Run one case; `refused(e)` tells the version check's error from others."""
    R: dict = {}

    def step(fn):
        if "error" in R.values() or "refused" in R.values():
            return "skipped"
        try:
            fn()
        except errors as e:
            return "refused" if refused(e) else "error"
        return "ok"

    ns = {"torch": torch, "R": R, "step": step}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(PRELUDE + code, "<case>", "exec"), ns)
    if R["backward"] == "ok":
        for n in leaves(code):
            g = ns[n].grad
            R["grad." + n] = None if g is None else _tolist(g)
    return R


def _tolist(t):
    try:
        return t.tolist()
    except RuntimeError:  # torch's "efficient zeros" (sgn's gradient, ...) have no storage
        import torch
        return torch.zeros(tuple(t.shape), dtype=t.dtype).tolist()


def run_torch(code: str) -> dict:
    import torch

    return run(code, torch, torch.nn.functional, lambda e: "modified by an inplace operation" in str(e),
               (RuntimeError,))


def record() -> list:
    return [{"name": name, "code": code, **run_torch(code)} for name, code in cases()]


def main() -> None:
    import torch

    recorded = record()
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in recorded)  # one case a line
    OUT.write_text(f'{{"torch": {json.dumps(torch.__version__)}, "cases": [\n{lines}\n]}}\n')
    print(f"wrote {len(recorded)} cases to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
