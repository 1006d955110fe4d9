"""Shape ops (placeholder while being written)."""
import numpy as np

from gradcli.engine.tensor import Tensor

FUNCTIONS: dict = {}


def sum_to(g, shape):
    if isinstance(g, Tensor):
        from gradcli.engine.ops.reduce import sum_to_tensor
        return sum_to_tensor(g, shape)
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and g.shape[i + lead] != 1)
    out = g.sum(axis=axes, keepdims=True) if axes else g
    return out.reshape(shape)


def getitem(t, idx):
    raise NotImplementedError


def setitem(t, idx, v):
    raise NotImplementedError


def matrix_transpose(t):
    raise NotImplementedError
