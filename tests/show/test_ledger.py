"""The chain-rule ledger: every path, its local derivatives and product, and a sum that is the gradient."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gradcli.engine.api as api
from gradcli.engine import autograd
from gradcli.errors import ArgumentError, AutogradError
from gradcli.show import ledger as L
from gradcli.show.ledger import ledger, ledger_text

T = api.TORCH


def leaf(value, name, dtype="float64"):
    t = T["tensor"](value, dtype=T[dtype], requires_grad=True)
    t.name = name
    return t


def test_text_of_a_small_expression():
    x, y = leaf(1.0, "x"), leaf(2.0, "y")
    z = x * y + x.sin()
    text = ledger_text(z, [x, y])
    s, c = repr(2 + math.sin(1.0)), repr(math.cos(1.0))
    assert text == (
        f"f = {s}\n"
        "\n"
        "∂f/∂x: 2 paths\n"
        "  path 1: f <- AddBackward0 <- MulBackward0 <- x\n"
        "    AddBackward0  ∂(a+b)/∂a = 1  1\n"
        "    MulBackward0  ∂(a·b)/∂a = b  2\n"
        "    product                      2\n"
        "  path 2: f <- AddBackward0 <- SinBackward0 <- x\n"
        "    AddBackward0  ∂(a+b)/∂b = 1         1\n"
        f"    SinBackward0  ∂ sin(u)/∂u = cos(u)  {c}\n"
        f"    product                             {c}\n"
        f"  sum over paths    = {repr(2 + math.cos(1.0))}\n"
        f"  autograd gradient = {repr(2 + math.cos(1.0))}  ✓ equal\n"
        "\n"
        "∂f/∂y: 1 path\n"
        "  path 1: f <- AddBackward0 <- MulBackward0 <- y\n"
        "    AddBackward0  ∂(a+b)/∂a = 1  1\n"
        "    MulBackward0  ∂(a·b)/∂b = a  1\n"
        "    product                      1\n"
        "  sum over paths    = 1\n"
        "  autograd gradient = 1  ✓ equal\n")


def test_local_derivatives_are_the_calculus_values():
    x = leaf(0.3, "x")
    f = (x.exp() * 3).tanh()
    (path,) = ledger(f, [x]).sections[0].paths
    e = math.exp(0.3)
    want = [1 - math.tanh(3 * e) ** 2, 3.0, e]  # d tanh(u)/du, d(3u)/du, d exp(x)/dx
    assert [float(s.local) for s in path.steps] == pytest.approx(want, rel=1e-12)
    assert float(path.product) == pytest.approx(math.prod(want), rel=1e-12)


def test_named_intermediates_label_the_steps():
    x = leaf(2.0, "x")
    h = x * x
    h.name = "h"
    out = h.sin()
    out.name = "out"
    text = ledger_text(out, [x])
    assert text.startswith("out = ")
    assert "∂out/∂x: 2 paths" in text and "MulBackward0 (h)" in text


def test_tensor_steps_show_what_they_carry():
    v = leaf([1.0, 2.0, 3.0], "v")
    f = (v * v).sum() * 2
    led = ledger(f, [v])
    sec = led.sections[0]
    assert sec.count == 2 and sec.summed == "paths" and sec.equal
    np.testing.assert_allclose(sec.total, [4.0, 8.0, 12.0])
    mul, total, elementwise = sec.paths[0].steps
    assert float(mul.local) == 2.0
    np.testing.assert_allclose(total.local, [1.0, 1.0, 1.0])  # a Jacobian row: d sum/dv
    assert elementwise.local is None  # a tensor result: no single number
    np.testing.assert_allclose(elementwise.carried, [2.0, 4.0, 6.0])
    text = led.text()
    assert "carries [2, 4, 6]" in text and "'carries' shows the gradient" in text


def test_many_paths_are_counted_not_listed():
    x = leaf(1.0001, "x")
    a = x
    for _ in range(13):  # 2**13 paths: more than are ever enumerated
        a = a * a
    sec = ledger(a, [x], max_paths=3).sections[0]
    assert sec.count == 2 ** 13 and len(sec.paths) == 3 and sec.summed == "graph" and sec.equal
    assert float(sec.total) == pytest.approx(2 ** 13 * 1.0001 ** (2 ** 13 - 1), rel=1e-9)
    text = ledger_text(a, [x], max_paths=3)
    assert "∂f/∂x: 8,192 paths" in text and "… 8,189 more paths not shown (showing 3" in text
    assert "sum over all paths (accumulated node by node)" in text


def test_all_paths_summed_when_they_fit_even_if_few_are_shown():
    x = leaf(1.5, "x")
    a = x
    for _ in range(6):  # 64 paths
        a = a * a
    sec = ledger(a, [x], max_paths=5).sections[0]
    assert sec.count == 64 and len(sec.paths) == 5 and sec.summed == "paths" and sec.equal


def test_long_path_rows_are_cut_in_the_middle():
    x = leaf(0.5, "x")
    y = x
    for _ in range(500):
        y = y * 1.001
    text = ledger_text(y, [x])
    rows = [line for line in text.splitlines() if line.startswith("    MulBackward0 ")]
    assert "… 460 more steps" in text and len(rows) == L.MAX_STEPS
    assert "autograd gradient" in text and "✓ equal" in text


def test_unused_input_and_output_that_is_the_input():
    x, y = leaf(1.0, "x"), leaf(2.0, "y")
    f = x.exp()
    sec = ledger(f, [y]).sections[0]
    assert sec.count == 0 and float(sec.total) == 0.0 and sec.equal
    assert "no path: f does not depend on y" in ledger_text(f, [y])
    sec = ledger(x, [x]).sections[0]
    assert sec.count == 1 and float(sec.total) == 1.0


def test_errors():
    x = leaf([1.0, 2.0], "x")
    with pytest.raises(ArgumentError) as e:
        ledger(x * 2, [x])
    assert e.value.hint
    with pytest.raises(AutogradError):
        ledger((x * 2).sum(), [T["tensor"](1.0)])
    y = leaf(2.0, "y")
    f = (y * y).exp()
    f.backward()  # frees the saved values
    with pytest.raises(AutogradError) as e:
        ledger(f, [y])
    assert "retain_graph" in e.value.hint


def test_ledger_leaves_gradients_alone_and_is_deterministic():
    x = leaf(0.7, "x")
    f = x.sin() * x.cos()
    assert ledger_text(f, [x]) == ledger_text(f, [x])
    assert x._grad is None
    f.backward()  # the graph still works after the ledger used it
    assert float(x._grad.array) == pytest.approx(math.cos(1.4), rel=1e-12)


def test_describe_is_the_text():
    x = leaf(1.0, "x")
    led = ledger(x * 3, x)
    assert led.describe() + "\n" == led.text()


def test_float32_steps_use_float32_tolerance():
    x = leaf(0.1, "x", "float32")
    f = (x * x).exp() + x.tanh()
    sec = ledger(f, [x]).sections[0]
    assert sec.equal and sec.total.dtype == np.float32


# -- property: for random expressions the ledger's sum is the gradient ---------------------------------
UNARY = [lambda a: a.sin(), lambda a: a.tanh(), lambda a: a.sigmoid(), lambda a: a.tanh().exp(),
         lambda a: a * a, lambda a: a * 0.5 - 1.0, lambda a: 2.0 - a, lambda a: (a * a + 1.0).sqrt(),
         lambda a: -a]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / (b * b + 1.0)]


@st.composite
def programs(draw):
    steps = draw(st.lists(st.tuples(st.booleans(), st.integers(0, 8), st.integers(0, 99), st.integers(0, 99)),
                          min_size=1, max_size=8))
    values = draw(st.lists(st.floats(-2, 2, allow_nan=False, allow_infinity=False), min_size=2, max_size=2))
    shape = draw(st.sampled_from([(), (3,)]))
    return steps, values, shape


def run(program, arrays):
    steps, _, _ = program
    pool = list(arrays)
    for binary, op, i, j in steps:
        a, b = pool[i % len(pool)], pool[j % len(pool)]  # reuse makes several paths to a leaf
        pool.append(BINARY[op % len(BINARY)](a, b) if binary else UNARY[op](a))
    out = pool[-1]
    return out.sum() if out.shape != () else out


@settings(max_examples=60, deadline=None)
@given(programs())
def test_sum_over_paths_equals_the_autograd_gradient(program):
    _, values, shape = program
    leaves = [leaf((np.full(shape, v) + np.arange(np.prod(shape, dtype=int)).reshape(shape) * 0.1).tolist(), n)
              for v, n in zip(values, "xy")]
    f = run(program, leaves)
    if not f.requires_grad:
        return
    led = ledger(f, leaves, max_paths=1000)
    for k, (x, sec) in enumerate(zip(leaves, led.sections)):
        reference = autograd.grad(f, [x], retain_graph=True, allow_unused=True, materialize_grads=True)[0].array
        np.testing.assert_allclose(sec.total, reference, rtol=1e-9, atol=1e-12)
        assert sec.equal
        # independent of autograd: central finite differences of the same program
        numeric = np.zeros_like(x.array)
        for idx in np.ndindex(x.array.shape):
            hi = [t.detach() for t in leaves]
            lo = [t.detach() for t in leaves]
            hi[k] = T["tensor"](x.array.tolist(), dtype=T["float64"])
            lo[k] = T["tensor"](x.array.tolist(), dtype=T["float64"])
            hi[k].array[idx] += 1e-6
            lo[k].array[idx] -= 1e-6
            numeric[idx] = (run(program, hi).item() - run(program, lo).item()) / 2e-6
        np.testing.assert_allclose(sec.total, numeric, rtol=1e-5, atol=1e-6)
        # each listed scalar path's product is the product of its local derivatives
        if sec.summed == "paths":
            assert len(sec.paths) == min(sec.count, 1000)
        for path in sec.paths:
            if all(s.local is not None and np.size(s.local) == 1 for s in path.steps):
                prod = math.prod(float(s.local) for s in path.steps)
                assert float(path.product) == pytest.approx(prod, rel=1e-9, abs=1e-300)


def test_ascii_text():
    x = leaf(1.0, "x")
    text = ledger_text(x.sin() * 2, [x], ascii=True)
    assert text.isascii() and "df/dx: 1 path" in text and "ok equal" in text
