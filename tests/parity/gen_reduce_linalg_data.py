"""Record PyTorch's reductions and matrix products into tests/parity/data/reduce_linalg_cases.json.

Run with torch 2.13.0 (CPU) installed:  python tests/parity/gen_reduce_linalg_data.py
tests/engine/test_reduce.py and test_linalg.py replay every call in gradcli
without torch:
- "calls": an op (a Tensor method name, or "linalg.norm") with its arguments on
  stored inputs (float64, exact in JSON); the output (values/indices for
  max(dim)), its dtype and grad_fn name, and the gradient of each input that
  requires grad after backward(upstream). Includes the conventions at kinks
  (ties in max/min, norm at 0, prod with zeros, NaN).
- "dtypes": result dtypes of reductions on integer and bool tensors, or the
  exception type PyTorch raises.
- "layouts": the whole grad_fn graph of matmul for many shape pairs and
  requires_grad combinations (leaves named "a" and "b").
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import torch

OUT = Path(__file__).parent / "data" / "reduce_linalg_cases.json"
GEN = torch.Generator().manual_seed(20240601)
INF = math.inf


def randn(*shape, scale=1.0):
    return (torch.randn(*shape, generator=GEN, dtype=torch.float64) * scale).tolist()


def away_from_zero(*shape):
    """Random values with |x| in [0.5, 1.5]: products and p-norms stay smooth and well scaled."""
    mag = torch.rand(*shape, generator=GEN, dtype=torch.float64) + 0.5
    sign = torch.where(torch.rand(*shape, generator=GEN) < 0.5, -1.0, 1.0).double()
    return (mag * sign).tolist()


def run_op(x, op, args, kwargs):
    if op == "linalg.norm":
        return torch.linalg.norm(x, *args, **kwargs)
    if op == "linalg.vector_norm":
        return torch.linalg.vector_norm(x, *args, **kwargs)
    return getattr(x, op)(*args, **kwargs)


def record_call(label, data, op, args=(), kwargs=None, shape=None):
    kwargs = kwargs or {}
    x = torch.tensor(data, dtype=torch.float64)
    if shape is not None:
        x = x.reshape(shape)
    x.requires_grad_(True)
    out = run_op(x, op, list(args), dict(kwargs))
    case = {"label": label, "input": x.tolist(), "op": op, "args": list(args), "kwargs": kwargs}
    if isinstance(out, tuple):  # torch.return_types.max/min
        values, indices = out
        case["indices"] = indices.tolist()
        case["indices_dtype"] = str(indices.dtype).removeprefix("torch.")
    else:
        values = out
    upstream = torch.randn(values.shape, generator=GEN, dtype=torch.float64)
    case["output"] = values.tolist()
    case["dtype"] = str(values.dtype).removeprefix("torch.")
    case["grad_fn"] = type(values.grad_fn).__name__ if values.grad_fn is not None else None
    case["upstream"] = upstream.tolist()
    values.backward(upstream)
    case["grad"] = None if x.grad is None else x.grad.tolist()
    return case


def calls():
    out = []
    A3 = randn(2, 3, 4)
    M = randn(3, 5)
    P = away_from_zero(3, 4)
    for op, args, kwargs in [
        ("sum", [], {}), ("sum", [1], {}), ("sum", [[0, 2]], {"keepdim": True}), ("sum", [-1], {"keepdim": True}),
        ("sum", [[]], {}), ("mean", [], {}), ("mean", [0], {}), ("mean", [[0, 2]], {}),
        ("mean", [-2], {"keepdim": True}), ("amax", [], {}), ("amax", [[0, 1]], {}), ("amin", [2], {"keepdim": True}),
        ("max", [], {}), ("min", [], {}), ("max", [1], {}), ("min", [0], {"keepdim": True}), ("max", [-1], {}),
        ("norm", [], {}), ("norm", [], {"dim": 1}), ("norm", [], {"p": 1}), ("norm", [], {"p": 3, "dim": 0, "keepdim": True}),
        ("norm", [], {"p": INF}), ("norm", [], {"p": -INF, "dim": 2}), ("norm", [], {"p": 0}), ("norm", ["fro"], {}),
        ("norm", [], {"dim": [0, 2]}), ("linalg.norm", [], {}), ("linalg.norm", [], {"dim": 1, "keepdim": True}),
        ("linalg.vector_norm", [3.5], {}), ("linalg.norm", [1], {"dim": -1}),
    ]:
        out.append(record_call(f"{op}{args}{kwargs} of 2x3x4", A3, op, args, kwargs))
    for op, args, kwargs in [("prod", [], {}), ("prod", [1], {}), ("prod", [0], {"keepdim": True}),
                             ("norm", [], {"p": 0.5}), ("norm", [], {"p": 1.5, "dim": 1}), ("norm", [], {"p": -2.0})]:
        out.append(record_call(f"{op}{args}{kwargs} of 3x4 away from 0", P, op, args, kwargs))
    out.append(record_call("sum of a matrix", M, "sum"))
    # conventions at kinks
    kinks = [
        ("max with a tie splits evenly", [1.0, 3.0, 3.0], "max", [], {}),
        ("min with a tie splits evenly", [2.0, -1.0, 4.0, -1.0], "min", [], {}),
        ("max(dim) sends all to the first maximum", [1.0, 3.0, 3.0], "max", [0], {}),
        ("min(dim) ties along rows", [[1.0, 1.0, 2.0], [0.0, 5.0, 0.0]], "min", [1], {}),
        ("amax ties along rows", [[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], "amax", [1], {}),
        ("amin over all with ties", [[1.0, 0.0], [0.0, 4.0]], "amin", [], {}),
        ("max with NaN", [1.0, math.nan, 2.0], "max", [], {}),
        ("max(dim) with NaN", [[1.0, math.nan, 2.0], [4.0, 3.0, 4.0]], "max", [1], {}),
        ("norm at the zero vector", [0.0, 0.0, 0.0], "norm", [], {}),
        ("norm(dim) with a zero row", [[0.0, 0.0], [3.0, 4.0]], "norm", [], {"dim": 1}),
        ("3-norm at zero", [0.0, 0.0], "norm", [], {"p": 3}),
        ("1-norm with a zero entry", [0.0, -2.0, 3.0], "norm", [], {"p": 1}),
        ("inf-norm with a tie", [-3.0, 1.0, 3.0], "norm", [], {"p": INF}),
        ("inf-norm at zero", [0.0, 0.0], "norm", [], {"p": INF}),
        ("0.5-norm with a zero entry", [0.0, 4.0, 1.0], "norm", [], {"p": 0.5}),
        ("prod with one zero", [1.0, 0.0, 2.0], "prod", [], {}),
        ("prod with two zeros", [0.0, 0.0, 3.0], "prod", [], {}),
        ("prod(dim) with zeros in a row", [[0.0, 0.0, 2.0], [1.0, 2.0, 3.0]], "prod", [1], {}),
        ("prod(dim) with one zero per column", [[0.0, 2.0], [3.0, 0.0], [5.0, 7.0]], "prod", [0], {}),
        ("prod of a 0-d tensor", 0.0, "prod", [], {}),
        ("max(dim) of a 0-d tensor", 2.5, "max", [0], {}),
        ("sum over dim 0 of a 0-d tensor", 2.5, "sum", [0], {}),
    ]
    for label, data, op, args, kwargs in kinks:
        out.append(record_call(label, data, op, args, kwargs))
    return out


def dtypes():
    out = []
    inputs = {"int64": torch.tensor([[1, 2, 3], [4, 0, 6]]), "int32": torch.tensor([[1, 2], [3, 4]], dtype=torch.int32),
              "uint8": torch.tensor([1, 2, 200], dtype=torch.uint8), "bool": torch.tensor([[True, False], [True, True]]),
              "float16": torch.tensor([1.5, 2.25, 3.0], dtype=torch.float16)}
    for name, x in inputs.items():
        for op, args in [("sum", []), ("sum", [0]), ("prod", []), ("mean", []), ("max", []), ("amax", []),
                         ("argmax", []), ("argmin", [0]), ("norm", []), ("all", []), ("any", [0]), ("min", [0])]:
            entry = {"input": x.tolist(), "input_dtype": name, "op": op, "args": args}
            try:
                r = getattr(x, op)(*args)
                r = r[0] if isinstance(r, tuple) else r
                entry["dtype"] = str(r.dtype).removeprefix("torch.")
                entry["value"] = r.tolist()
            except Exception as e:  # noqa: BLE001 - we record what torch raises
                entry["error"] = type(e).__name__
            out.append(entry)
    return out


def layout(fn, names):
    if fn is None:
        return None
    if type(fn).__name__ == "AccumulateGrad":
        for k, t in names.items():
            if t is fn.variable:
                return ["AccumulateGrad", k]
    return [type(fn).__name__, [layout(f, names) for f, _ in fn.next_functions]]


LAYOUT_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((2, 3, 4), (2, 4, 5)),
                 ((2, 3, 4), (4, 5)), ((2, 3, 4), (4,)), ((3,), (2, 3, 4)), ((3, 4), (2, 4, 5)),
                 ((2, 1, 3, 4), (5, 4, 2)), ((2, 1, 3, 4), (1, 5, 4, 2)), ((2, 3, 4), (1, 4, 2)),
                 ((1, 3, 4), (2, 4, 2)), ((4,), (2, 1, 4, 3)), ((2, 2, 3, 4), (4,)), ((5, 1, 4), (1, 4, 3)),
                 ((1, 4), (3, 4, 1)), ((3, 1), (2, 1, 4)), ((2, 3, 0), (0, 4)), ((2, 1, 3), (3,)), ((3,), (1, 3, 1)),
                 ((2, 2, 3), (2, 3, 1)), ((4, 3), (3, 2, 3, 5))]


def layouts():
    out = []
    for sa, sb in LAYOUT_SHAPES:
        for ra, rb in [(True, True), (True, False), (False, True)]:
            a = torch.randn(*sa, generator=GEN, dtype=torch.float64).requires_grad_(ra)
            b = torch.randn(*sb, generator=GEN, dtype=torch.float64).requires_grad_(rb)
            y = torch.matmul(a, b)
            up = torch.randn(y.shape, generator=GEN, dtype=torch.float64)
            y.backward(up)
            out.append({"a": a.tolist(), "b": b.tolist(), "a_shape": list(sa), "b_shape": list(sb),
                        "a_requires_grad": ra, "b_requires_grad": rb, "out_shape": list(y.shape),
                        "output": y.tolist(), "upstream": up.tolist(),
                        "a_grad": a.grad.tolist() if ra else None, "b_grad": b.grad.tolist() if rb else None,
                        "layout": layout(y.grad_fn, {"a": a, "b": b})})
    return out


def main():
    data = {"torch": torch.__version__, "calls": calls(), "dtypes": dtypes(), "layouts": layouts()}
    OUT.write_text(json.dumps(data, indent=None) + "\n")
    print(f"wrote {OUT} ({len(data['calls'])} calls, {len(data['dtypes'])} dtype cases, "
          f"{len(data['layouts'])} layouts)")


if __name__ == "__main__":
    main()
