"""The runner: scripts behave as if typed at Python's prompt, errors carry spans, state survives errors."""

from __future__ import annotations

import io

import pytest

from gradcli.errors import GradcliError, GradcliSyntaxError, UnknownName
from gradcli.lang.runner import Runner


def run(source: str, echo: bool = True) -> str:
    out = io.StringIO()
    Runner(write=out.write, warn=lambda m, s: out.write(f"warning: {m}\n"), echo=echo).run(source, "t.grad")
    return out.getvalue()


def error_of(source: str) -> GradcliError:
    with pytest.raises(GradcliError) as info:
        run(source)
    return info.value


def test_polynomial_gradient_is_330():
    src = "x = tensor(2.0, requires_grad=True)\ny = 9*x**4 + 2*x**3 + 3*x**2 + 6*x + 1\ny.backward()\nx.grad\n"
    assert run(src) == "tensor(330.)\n"


def test_caret_is_power_and_binds_tighter_than_unary_minus():
    assert run("-2^2\n2^3^2\n") == "-4\n512\n"


def test_bare_expressions_echo_but_none_does_not():
    assert run("1 + 1\nNone\nprint('hi')\nmanual_seed(1)\n") == "2\nhi\n"


def test_echo_inside_loops_like_the_python_prompt_but_not_inside_functions():
    src = "for i in range(2):\n    i\ndef f():\n    5\n    return 1\nf()\n"
    assert run(src) == "0\n1\n1\n"


def test_script_mode_without_echo():
    assert run("1 + 1\nprint(3)\n", echo=False) == "3\n"


def test_torch_prefixes_and_imports():
    src = ("import torch\nimport torch.nn.functional as F\nfrom torch import nn\n"
           "a = torch.ones(2)\nprint(F.relu(a - 2), nn.functional.relu(a))\n")
    assert run(src) == "tensor([0., 0.]) tensor([1., 1.])\n"


def test_other_imports_are_refused_with_a_hint():
    err = error_of("import os\n")
    assert isinstance(err, GradcliSyntaxError) and err.span.line == 1 and err.hint


def test_fstrings_format_zero_dim_tensors_as_numbers():
    src = "t = tensor(1.5)\nprint(f'{t} {t:.3f} {t.shape} {[1, 2]!r}')\n"
    assert run(src) == "1.5 1.500 torch.Size([]) [1, 2]\n"


def test_grad_fn_prints_without_an_address():
    src = "x = ones(2, requires_grad=True)\ny = x * 2\nprint(y.grad_fn)\ny.grad_fn.next_functions\n"
    assert run(src) == "<MulBackward0>\n((<AccumulateGrad>, 0), (None, 0))\n"


def test_functions_defaults_and_recursion():
    src = "def f(n, acc=1):\n    if n <= 1:\n        return acc\n    return f(n - 1, acc * n)\nf(5)\n"
    assert run(src) == "120\n"


def test_runaway_recursion_is_a_clear_error():
    err = error_of("def f(n):\n    return f(n + 1)\nf(0)\n")
    assert "deep" in err.message


def test_while_break_continue_and_tuple_unpacking():
    src = "a, b = 0, 1\nn = 0\nwhile True:\n    n += 1\n    if n % 2:\n        continue\n    a, b = b, a + b\n" \
          "    if n > 8:\n        break\nprint(a, b)\n"
    assert run(src) == "5 8\n"


def test_no_grad_block():
    src = "x = ones(2, requires_grad=True)\nwith torch.no_grad():\n    y = x * 2\nprint(y.requires_grad)\n"
    assert run(src) == "False\n"


def test_unknown_name_suggests_the_closest():
    err = error_of("x = onse(3)\n")
    assert isinstance(err, UnknownName)
    assert err.hint == "did you mean 'ones'?"
    assert (err.span.line, err.span.column) == (1, 5)


def test_error_span_points_at_the_failing_expression():
    err = error_of("a = ones(3)\nb = ones(4)\nc = a + b\n")
    assert (err.span.line, err.span.column, err.span.end_column) == (3, 5, 10)
    assert "[3]" in err.message and "[4]" in err.message


def test_state_survives_an_error():
    runner = Runner(write=lambda s: None)
    runner.run("x = 1\n")
    with pytest.raises(GradcliError):
        runner.run("y = x + undefined_name\n")
    runner.run("z = x + 1\n")
    assert runner.variables["z"] == 2


def test_first_error_stops_the_script():
    out = io.StringIO()
    with pytest.raises(GradcliError):
        Runner(write=out.write).run("print(1)\n1/0\nprint(2)\n", "t")
    assert out.getvalue() == "1\n"


def test_try_except_catches_pytorch_error_kinds():
    src = ("x = ones(3, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ntry:\n    y.backward()\n"
           "except RuntimeError as e:\n    print('caught')\n")
    assert run(src) == "caught\n"


def test_huge_integer_power_is_refused_not_hung():
    err = error_of("10 ** 10 ** 10\n")
    assert "too large" in err.message


def test_huge_list_repetition_is_refused():
    err = error_of("[0] * 10**12\n")
    assert "limit" in err.message


def test_non_leaf_grad_warns_once_per_line():
    src = "x = ones(2, requires_grad=True)\ny = x * 2\ny.sum().backward()\nfor i in range(3):\n    print(y.grad)\n"
    out = run(src)
    assert out.count("warning:") == 1
    assert out.splitlines().count("None") == 3


def test_list_comprehension_and_builtins():
    assert run("[i * i for i in range(4) if i % 2 == 0]\nsum([1, 2, 3])\nlen('abc')\n") == "[0, 4]\n6\n3\n"


def test_anomaly_detection_points_at_the_op_that_made_the_first_nan():
    src = ("x = tensor([1.0, 0.0], requires_grad=True)\n"
           "with torch.autograd.detect_anomaly():\n"
           "    y = x * 2\n"
           "    z = torch.log(y - 2) + 1\n")
    err = error_of(src)
    assert (err.span.line, err.span.column) == (4, 9)
    assert "NaN" in err.message or "infinity" in err.message


def test_set_detect_anomaly_turns_it_on_for_what_follows():
    src = ("torch.autograd.set_detect_anomaly(True)\nx = tensor(-1.0)\na = x + 1\nb = sqrt(x)\n")
    try:
        err = error_of(src)
    finally:
        run("torch.autograd.set_detect_anomaly(False)\n")
    assert err.span.line == 4


def test_a_very_deep_graph_runs_backward_iteratively():
    x = "x = tensor([1.0, 2.0], requires_grad=True)\ny = x\n"
    src = x + "for i in range(200000):\n    y = y * 1.0\ny.sum().backward()\nprint(x.grad)\n"
    assert run(src) == "tensor([1., 1.])\n"


def test_an_error_inside_a_function_names_its_call_sites():
    from gradcli.show.diagnostics import render_error
    src = "def f(x):\n    return x + ones(4)\ndef g(y):\n    return f(y) * 2\ng(ones(3))\n"
    err = error_of(src)
    assert err.span.line == 2
    text = render_error(err, src)
    assert "note: in f() called at t.grad:4:12" in text and "note: in g() called at t.grad:5:1" in text


def test_no_grad_and_enable_grad_decorate_functions_as_in_pytorch():
    src = ("import torch\nx = torch.ones(2, requires_grad=True)\n@torch.no_grad()\ndef f(t):\n    return t * 2\n"
           "@torch.no_grad\ndef g(t):\n    return t * 3\nf(x).requires_grad, g(x).requires_grad\n"
           "with torch.no_grad():\n    @torch.enable_grad()\n    def h(t):\n        return t * 4\n    h(x).requires_grad\n"
           "(x * 2).requires_grad\n")
    assert run(src) == "(False, False)\nTrue\nTrue\n"
    assert "decorators" in error_of("@print\ndef f():\n    pass\n").message


def test_grad_mode_objects_echo_as_pytorch_prints_them():
    src = "import torch\ntorch.set_grad_enabled(False)\ntorch.set_grad_enabled(True)\ntorch.no_grad()\n"
    assert run(src) == ("torch.autograd.grad_mode.set_grad_enabled(mode=False)\n"
                        "torch.autograd.grad_mode.set_grad_enabled(mode=True)\n<torch.autograd.grad_mode.no_grad>\n")
