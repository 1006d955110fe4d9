"""torch.optim.SGD: the update rule of PyTorch, applied in place to parameter arrays.

The step writes straight into each parameter's array (no graph is recorded,
as under torch's no_grad) and bumps its version counter, so a graph that saved
the old value refuses to backpropagate, exactly as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from gradcli.engine.grad_mode import set_grad_enabled
from gradcli.engine.ops.elementwise import fused_add
from gradcli.engine.tensor import Tensor
from gradcli.errors import ArgumentError, ValueTypeError


class SGD:
    """Stochastic gradient descent with optional momentum, dampening, Nesterov and weight decay."""

    # what the language may reach on an optimiser (gradcli.lang.names reads this table)
    language_attributes = {
        "step": lambda self: self.step,
        "zero_grad": lambda self: self.zero_grad,
        "add_param_group": lambda self: self.add_param_group,
        "state_dict": lambda self: self.state_dict,
        "param_groups": lambda self: self.param_groups,
        "defaults": lambda self: self.defaults,
    }

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        for what, value in (("learning rate", lr), ("momentum", momentum), ("dampening", dampening),
                            ("weight_decay", weight_decay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueTypeError(f"SGD {what} must be a number, not {type(value).__name__}",
                                     hint="e.g. SGD([w], lr=0.1, momentum=0.9)")
        if lr < 0:
            raise ArgumentError(f"invalid learning rate {lr}: it cannot be negative",
                                hint="pass lr= a positive number such as 0.1")
        if momentum < 0:
            raise ArgumentError(f"invalid momentum {momentum}: it cannot be negative",
                                hint="momentum is usually 0 or between 0.5 and 0.99")
        if weight_decay < 0:
            raise ArgumentError(f"invalid weight_decay {weight_decay}: it cannot be negative",
                                hint="weight_decay is 0 (off) or a small positive number such as 1e-4")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ArgumentError("Nesterov momentum needs a positive momentum and zero dampening",
                                hint="pass momentum=0.9 (and leave dampening at 0) with nesterov=True")
        self.defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                             nesterov=nesterov, maximize=maximize, foreach=foreach,
                             differentiable=differentiable, fused=fused)
        self.state: dict = {}  # id(parameter) -> {"momentum_buffer": Tensor}, as torch keys by tensor
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise ValueTypeError("SGD needs a list of tensors, not a single tensor",
                                 hint="wrap it in a list: SGD([w], lr=0.1)")
        try:
            groups = list(params)
        except TypeError:
            raise ValueTypeError(f"SGD needs a list of tensors, not {type(params).__name__}",
                                 hint="pass the parameters as a list: SGD([w, b], lr=0.1)") from None
        if not groups:
            raise ArgumentError("SGD got an empty parameter list", hint="pass the tensors to optimise: SGD([w])")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        if not isinstance(group, dict) or "params" not in group:
            raise ValueTypeError("a parameter group must be a dict with a 'params' list",
                                 hint="e.g. {'params': [w], 'lr': 0.01}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise ValueTypeError(f"SGD can only optimise tensors, not {type(p).__name__}",
                                     hint="pass the tensors created with requires_grad=True")
            if p.grad_fn is not None:
                raise ArgumentError("SGD cannot optimise a tensor computed from others (a non-leaf)",
                                    hint="optimise the leaf tensors created with requires_grad=True")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ArgumentError("a tensor appears in more than one parameter group",
                                hint="list each tensor in one group only")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ArgumentError(f"unknown SGD option {sorted(unknown)[0]!r}",
                                hint="options: " + ", ".join(sorted(self.defaults)))
        full = {"params": params}
        for key, value in self.defaults.items():
            full[key] = group.get(key, value)
        self.param_groups.append(full)

    def step(self, closure=None):
        """One update of every parameter that has a gradient; returns closure() if given."""
        loss = None
        if closure is not None:
            with set_grad_enabled(True):
                loss = closure()
        for group in self.param_groups:
            if not isinstance(group, dict) or not all(isinstance(p, Tensor) for p in group.get("params", ())):
                raise ValueTypeError("SGD's param_groups were changed into something that is not groups of "
                                     "tensors", hint="build a new optimizer instead of editing param_groups")
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                a = p.array
                d = g.array
                if maximize:
                    d = -d
                # PyTorch's updates, each `x.add(y, alpha=c)` one fused multiply-add (see fused_add)
                if decay != 0:
                    d = fused_add(d, a, decay)
                if momentum != 0:
                    state = self.state.setdefault(id(p), {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = Tensor(np.array(d, dtype=a.dtype, copy=True))
                    else:
                        b = buf.array
                        b *= b.dtype.type(momentum)
                        b[...] = fused_add(b, d, 1 - dampening)
                        buf._version[0] += 1
                    d = fused_add(d, buf.array, momentum) if nesterov else buf.array
                a[...] = fused_add(a, d, -lr)
                p._version[0] += 1
                p.refresh_views()
        return loss

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: None by default, or zeros kept in place."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g.grad_fn is not None or g.requires_grad:
                    g = p._grad = Tensor(g.array.copy())
                g.array[...] = 0
                g._version[0] += 1

    def state_dict(self) -> dict:
        ids = {}
        groups = []
        for group in self.param_groups:
            entry = {k: v for k, v in group.items() if k != "params"}
            entry["params"] = [ids.setdefault(id(p), len(ids)) for p in group["params"]]
            groups.append(entry)
        state = {ids[key]: dict(s) for key, s in self.state.items() if key in ids}
        return {"state": state, "param_groups": groups}

    def describe(self) -> str:
        """PyTorch's printed form of the optimiser (its repr)."""
        lines = ["SGD ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {group[key]}" for key in sorted(group) if key != "params")
        lines.append(")")
        return "\n".join(lines)
