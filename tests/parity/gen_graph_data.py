"""Record PyTorch's autograd graphs, walked the way gradcli's graph model walks them,
into tests/parity/data/graph_walks.json.

Run with torch 2.13.0 (CPU) installed:  python tests/parity/gen_graph_data.py
Each case is a few lines of code that end by assigning `out`; the same code runs
in gradcli (tests/show/test_graph.py) with `torch`/`F` bound to gradcli's tables.
The walk is a depth-first pre-order from out.grad_fn with inputs in argument
order (next_functions), each node numbered at its first visit, so a node met
twice is recorded once. Per node: the grad_fn name, its inputs as node numbers
(null for a slot without gradient), and for AccumulateGrad the leaf's name.
Also the output's value and every leaf's gradient after out.backward().
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F

OUT = Path(__file__).parent / "data" / "graph_walks.json"

SCALARS = {"x": (0.7, True), "y": (-1.3, True), "w": (0.25, True)}
VECTORS = {"v": ([0.5, -1.0, 2.0], True), "u": ([1.5, 0.25, -0.75], True), "t": ([0.0, 1.0, 1.0], False)}
MATRIX = {"W": ([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]], True)}

CASES = [
    ("shared leaf", SCALARS, "out = x * y + x.sin()"),
    ("constants in slots", SCALARS, "out = (x * 2 + 1).exp()"),
    ("shared op", SCALARS, "a = x * x\nout = (a + a.sin()) * a"),
    ("reflected ops", SCALARS, "out = 2 / x + 3 - x"),
    ("tensor power", SCALARS, "out = x ** y"),
    ("functions", SCALARS, "out = torch.tanh(x) / (1 + y ** 2) - y.sigmoid()"),
    ("bce with logits", {**SCALARS, **VECTORS}, "z = v * w + u\nout = F.binary_cross_entropy_with_logits(z, t)"),
    ("sum chain", VECTORS, "out = (v * v).sum() * 2"),
    ("reductions", VECTORS, "out = v.relu().mean() + (v - u).abs().max()"),
    ("mse", VECTORS, "out = F.mse_loss(v.exp(), t)"),
    ("where", VECTORS, "out = torch.where(v > 0, v, u * 3).sum()"),
    ("log_softmax", VECTORS, "out = F.log_softmax(v * u, dim=0).sum()"),
    ("matmul", {**VECTORS, **MATRIX}, "out = (W @ v).sum()"),
    ("cat", VECTORS, "out = torch.cat([v * 2, u]).sum()"),
    ("deep reuse", SCALARS, "a = x\nfor _ in range(4):\n    a = a * a + a\nout = a"),
]


def leaves(spec: dict) -> dict:
    return {name: torch.tensor(data, dtype=torch.float64, requires_grad=grad) for name, (data, grad) in spec.items()}


def walk(out: torch.Tensor, names: dict) -> list:
    index: dict = {}
    order: list = []
    stack = [out.grad_fn]
    while stack:
        fn = stack.pop()
        if fn in index:
            continue
        index[fn] = len(order)
        order.append(fn)
        for child, _ in reversed(fn.next_functions):
            if child is not None:
                stack.append(child)
    by_leaf = {id(t): n for n, t in names.items()}
    nodes = []
    for fn in order:
        node = {"grad_fn": fn.name().split("::")[-1],  # "torch::autograd::AccumulateGrad" for leaves
                "inputs": [None if c is None else index[c] for c, _ in fn.next_functions]}
        if node["grad_fn"] == "AccumulateGrad":
            node["leaf"] = by_leaf[id(fn.variable)]
        nodes.append(node)
    return nodes


def main() -> None:
    cases = []
    for label, spec, code in CASES:
        env = leaves(spec)
        names = dict(env)
        exec(code, {"torch": torch, "F": F}, env)
        out = env["out"]
        nodes = walk(out, names)
        out.backward()
        cases.append({
            "label": label, "leaves": {n: {"data": d, "requires_grad": g} for n, (d, g) in spec.items()},
            "code": code, "nodes": nodes, "value": out.item(),
            "grads": {n: t.grad.tolist() for n, t in names.items() if t.grad is not None},
        })
    OUT.write_text(json.dumps({"torch": torch.__version__, "cases": cases}, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
