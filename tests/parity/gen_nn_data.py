"""Record PyTorch's nn.functional values, gradients and grad_fn chains, and SGD updates,
into tests/parity/data/nn_cases.json.

Run with torch 2.13.0 (CPU) installed:  python tests/parity/gen_nn_data.py
Every input is stored with its exact values (float32 values are exact as JSON
doubles), so tests/engine/test_nn.py and test_optim.py replay the same calls in
gradcli without torch. For each call: the output, and the gradient of every
input that requires grad after backward(upstream) (upstream stored too).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).parent / "data" / "nn_cases.json"
DTYPES = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "uint8": torch.uint8}
GEN = torch.Generator().manual_seed(1234)


# --- input builders --------------------------------------------------------------------------
def spec(t: torch.Tensor, grad=False) -> dict:
    return {"data": t.tolist(), "dtype": str(t.dtype).removeprefix("torch."), "requires_grad": grad}


def randn(*shape, dtype="float64", scale=1.0, grad=False):
    return spec(torch.randn(*shape, generator=GEN, dtype=DTYPES[dtype]) * scale, grad)


def uniform(*shape, lo=0.0, hi=1.0, dtype="float64", grad=False):
    return spec(torch.rand(*shape, generator=GEN, dtype=DTYPES[dtype]) * (hi - lo) + lo, grad)


def probs(*shape, dtype="float64"):
    return spec(torch.softmax(torch.randn(*shape, generator=GEN, dtype=DTYPES[dtype]), -1))


def const(data, dtype="float64", grad=False):
    return spec(torch.tensor(data, dtype=DTYPES[dtype]), grad)


def classes(n, c, ignore_at=()):
    t = torch.randint(0, c, (n,), generator=GEN)
    for i in ignore_at:
        t[i] = -100
    return spec(t)


def build(s):
    if isinstance(s, dict) and "data" in s:
        return torch.tensor(s["data"], dtype=DTYPES[s["dtype"]], requires_grad=s["requires_grad"])
    return s


# --- the calls -------------------------------------------------------------------------------
def cases():
    out = []

    def case(name, fn, *args, **kwargs):
        out.append({"name": name, "fn": fn, "args": list(args), "kwargs": kwargs})

    for dt in ("float64", "float32"):
        case(f"softmax dim1 {dt}", "softmax", randn(3, 4, dtype=dt, grad=True), dim=1)
        case(f"softmax dim0 {dt}", "softmax", randn(3, 4, dtype=dt, grad=True), dim=0)
        case(f"softmax 3d dim-1 {dt}", "softmax", randn(2, 3, 4, dtype=dt, grad=True), dim=-1)
        case(f"log_softmax dim1 {dt}", "log_softmax", randn(3, 4, dtype=dt, grad=True), dim=1)
        case(f"log_softmax 1d {dt}", "log_softmax", randn(5, dtype=dt, grad=True), dim=0)
        case(f"softmax extreme {dt}", "softmax", const([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dt, True), dim=1)
        case(f"log_softmax extreme {dt}", "log_softmax", const([[1e4, -1e4, 0.0], [3e4, 1.0, -2e4]], dt, True),
             dim=1)
        for red in ("mean", "sum", "none"):
            case(f"mse {red} {dt}", "mse_loss", randn(3, 4, dtype=dt, grad=True), randn(3, 4, dtype=dt),
                 reduction=red)
            case(f"bce {red} {dt}", "binary_cross_entropy", uniform(2, 5, lo=0.02, hi=0.98, dtype=dt, grad=True),
                 uniform(2, 5, dtype=dt), reduction=red)
            case(f"bce weight {red} {dt}", "binary_cross_entropy",
                 uniform(2, 5, lo=0.02, hi=0.98, dtype=dt, grad=True), uniform(2, 5, dtype=dt),
                 weight=uniform(5, lo=0.5, hi=2.0, dtype=dt), reduction=red)
            case(f"bcel {red} {dt}", "binary_cross_entropy_with_logits", randn(2, 5, dtype=dt, scale=3, grad=True),
                 uniform(2, 5, dtype=dt), reduction=red)
            case(f"bcel weights {red} {dt}", "binary_cross_entropy_with_logits",
                 randn(2, 5, dtype=dt, scale=3, grad=True), uniform(2, 5, dtype=dt),
                 weight=uniform(2, 1, lo=0.5, hi=2.0, dtype=dt), pos_weight=uniform(5, lo=0.5, hi=3.0, dtype=dt),
                 reduction=red)
            case(f"nll {red} {dt}", "nll_loss", randn(4, 3, dtype=dt, grad=True), classes(4, 3), reduction=red)
            case(f"nll weight ignore {red} {dt}", "nll_loss", randn(5, 4, dtype=dt, grad=True),
                 classes(5, 4, ignore_at=(1,)), weight=uniform(4, lo=0.5, hi=2.0, dtype=dt), reduction=red)
            case(f"ce {red} {dt}", "cross_entropy", randn(4, 5, dtype=dt, grad=True), classes(4, 5), reduction=red)
            case(f"ce weight ignore {red} {dt}", "cross_entropy", randn(4, 5, dtype=dt, grad=True),
                 classes(4, 5, ignore_at=(2,)), weight=uniform(5, lo=0.5, hi=2.0, dtype=dt), ignore_index=-100,
                 reduction=red)
            case(f"ce smoothing {red} {dt}", "cross_entropy", randn(4, 5, dtype=dt, grad=True),
                 classes(4, 5, ignore_at=(0,)), label_smoothing=0.1, reduction=red)
            case(f"ce smoothing weight {red} {dt}", "cross_entropy", randn(4, 5, dtype=dt, grad=True),
                 classes(4, 5), weight=uniform(5, lo=0.5, hi=2.0, dtype=dt), label_smoothing=0.2, reduction=red)
            case(f"ce probs {red} {dt}", "cross_entropy", randn(3, 4, dtype=dt, grad=True), probs(3, 4, dtype=dt),
                 reduction=red)
            case(f"ce probs weight smoothing {red} {dt}", "cross_entropy", randn(3, 4, dtype=dt, grad=True),
                 probs(3, 4, dtype=dt), weight=uniform(4, lo=0.5, hi=2.0, dtype=dt), label_smoothing=0.3,
                 reduction=red)
        case(f"mse target grad {dt}", "mse_loss", randn(5, dtype=dt, grad=True), randn(5, dtype=dt, grad=True))
        case(f"bce target grad {dt}", "binary_cross_entropy", uniform(4, lo=0.1, hi=0.9, dtype=dt, grad=True),
             uniform(4, lo=0.1, hi=0.9, dtype=dt, grad=True))
        case(f"bce at 0 and 1 {dt}", "binary_cross_entropy", const([0.0, 1.0, 0.0, 1.0, 0.5], dt, True),
             const([0.0, 1.0, 1.0, 0.0, 0.5], dt))
        case(f"bcel target grad {dt}", "binary_cross_entropy_with_logits", randn(4, dtype=dt, grad=True),
             uniform(4, dtype=dt, grad=True))
        case(f"bcel target grad pos_weight {dt}", "binary_cross_entropy_with_logits", randn(4, dtype=dt, grad=True),
             uniform(4, dtype=dt, grad=True), pos_weight=uniform(4, lo=0.5, hi=3.0, dtype=dt))
        case(f"bcel extreme {dt}", "binary_cross_entropy_with_logits",
             const([1e4, -1e4, 1e4, -1e4, 0.0], dt, True), const([0.0, 1.0, 1.0, 0.0, 0.5], dt))
        case(f"nll 1d {dt}", "nll_loss", randn(4, dtype=dt, grad=True), spec(torch.tensor(2)))
        case(f"nll all ignored {dt}", "nll_loss", randn(2, 3, dtype=dt, grad=True), const([-100, -100], "int64"))
        case(f"ce 1d {dt}", "cross_entropy", randn(4, dtype=dt, grad=True), spec(torch.tensor(3)))
        case(f"ce 1d probs {dt}", "cross_entropy", randn(4, dtype=dt, grad=True), probs(4, dtype=dt))
        case(f"ce extreme {dt}", "cross_entropy", const([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], dt, True),
             const([1, 0], "int64"))
        case(f"ce uint8 target {dt}", "cross_entropy", randn(3, 4, dtype=dt, grad=True), const([0, 3, 1], "uint8"))
        for fn in ("relu", "sigmoid", "tanh", "gelu", "softplus", "leaky_relu"):
            case(f"{fn} {dt}", fn, randn(7, dtype=dt, scale=2, grad=True))
        case(f"gelu tanh {dt}", "gelu", randn(7, dtype=dt, scale=2, grad=True), approximate="tanh")
        case(f"softplus beta threshold {dt}", "softplus", randn(7, dtype=dt, scale=4, grad=True), beta=2.0,
             threshold=3.0)
        case(f"leaky_relu slope {dt}", "leaky_relu", randn(7, dtype=dt, scale=2, grad=True), negative_slope=0.2)
        case(f"sigmoid extreme {dt}", "sigmoid", const([1e4, -1e4, 88.0, -104.0], dt, True))
    case("mse mixed dtypes", "mse_loss", randn(4, dtype="float32", grad=True), randn(4, dtype="float64", grad=True))
    case("mse int target", "mse_loss", randn(3, dtype="float32", grad=True), const([1, 2, 3], "int64"))
    case("bcel float64 target", "binary_cross_entropy_with_logits", randn(3, dtype="float32", grad=True),
         uniform(3, dtype="float64"))
    case("ce float64 probs for float32 input", "cross_entropy", randn(2, 3, dtype="float32", grad=True),
         probs(2, 3, dtype="float64"))
    case("mse broadcast input", "mse_loss", randn(3, grad=True), randn(2, 3, grad=True))
    case("softmax dtype", "softmax", randn(2, 3, dtype="float32", grad=True), dim=1, dtype="float64")
    return out


def run(c):
    args = [build(a) for a in c["args"]]
    kw = {k: (DTYPES[v] if k == "dtype" else build(v)) for k, v in c["kwargs"].items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mse_loss's broadcasting warning
        out = getattr(F, c["fn"])(*args, **kw)
    c["out"] = out.tolist()
    c["out_dtype"] = str(out.dtype).removeprefix("torch.")
    c["grad_fn"] = chain(out.grad_fn)
    upstream = torch.ones_like(out) if out.dim() == 0 else torch.linspace(-1.0, 2.0, out.numel(),
                                                                          dtype=out.dtype).reshape(out.shape)
    c["upstream"] = upstream.tolist()
    out.backward(upstream)
    c["grads"] = [a.grad.tolist() if isinstance(a, torch.Tensor) and a.requires_grad else None for a in args]
    return c


def chain(fn):
    """A grad_fn graph as nested [name, [children]] (None for empty slots)."""
    if fn is None:
        return None
    return [type(fn).__name__, [chain(f) for f, _ in fn.next_functions]]


def tutorial():
    torch.manual_seed(1)
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = F.binary_cross_entropy_with_logits(z, y)
    loss.backward()
    return {"w": w.tolist(), "b": b.tolist(), "z": z.tolist(), "loss": loss.item(),
            "w_grad": w.grad.tolist(), "b_grad": b.grad.tolist()}


# --- SGD ---------------------------------------------------------------------------------------
def sgd_cases():
    configs = [
        dict(lr=0.1),
        dict(lr=0.05, momentum=0.9),
        dict(lr=0.05, momentum=0.9, dampening=0.3),
        dict(lr=0.02, momentum=0.8, nesterov=True),
        dict(lr=0.1, weight_decay=0.01),
        dict(lr=0.03, momentum=0.5, weight_decay=0.1, nesterov=True),
        dict(lr=0.1, momentum=0.9, maximize=True),
        dict(lr=0.01, momentum=0.9, weight_decay=0.05, dampening=0.1),
    ]
    out = []
    for dt in ("float32", "float64"):
        for cfg in configs:
            params = [torch.randn(3, generator=GEN, dtype=DTYPES[dt]).requires_grad_(),
                      torch.randn(2, 2, generator=GEN, dtype=DTYPES[dt]).requires_grad_()]
            start = [p.tolist() for p in params]
            opt = torch.optim.SGD(params, **cfg)
            steps = []
            for i in range(4):
                grads = [torch.randn(p.shape, generator=GEN, dtype=DTYPES[dt]) for p in params]
                if i == 2:
                    grads[1] = None  # a parameter without a gradient is skipped
                for p, g in zip(params, grads):
                    p.grad = g
                opt.step()
                steps.append({"grads": [g.tolist() if g is not None else None for g in grads],
                              "params": [p.tolist() for p in params]})
            out.append({"dtype": dt, "config": cfg, "start": start, "steps": steps, "repr": repr(opt)})
    return out


def sgd_reference():
    """TORCH_REFERENCE Part C: SGD(lr=0.1) on (w**2).sum(), w = [1, -2]."""
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    (w ** 2).sum().backward()
    opt.step()
    after = w.tolist()
    version = w._version
    opt.zero_grad()
    return {"after": after, "version": version, "grad_after_zero_grad": None if w.grad is None else w.grad.tolist(),
            "repr_default": repr(torch.optim.SGD([w]))}


def main() -> None:
    if not torch.__version__.startswith("2.13.0"):
        print(f"warning: generated with torch {torch.__version__}, expected 2.13.0", file=sys.stderr)
    data = {"torch": torch.__version__, "cases": [run(c) for c in cases()], "tutorial": tutorial(),
            "sgd": sgd_cases(), "sgd_reference": sgd_reference()}
    OUT.write_text(json.dumps(data, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {len(data['cases'])} cases and {len(data['sgd'])} SGD runs to {OUT}")


if __name__ == "__main__":
    main()
