"""Hostile input: whatever a script says, gradcli answers with a diagnostic, never a Python traceback.

Every input goes through the Runner in-process and must either succeed or raise a GradcliError whose
message is non-empty (and not the runner's last-resort "internal error", which means a raw Python
exception reached it) and whose span lies inside the input. A sample also goes through the real
`gradcli` command, which must exit 0/1/2 with a rustc-style `error:` and no traceback.

A newly found bug can be recorded as `xfail(strict=True)` with a reason naming it (plus an entry in
KNOWN_BUG_MESSAGES so the random generators keep looking for new ones); strict mode flags the mark
once the bug is fixed. Every bug found so far is fixed, so none is marked.
"""

from __future__ import annotations

import contextlib
import copy
import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcli.engine import dtypes, grad_mode, limits
from gradcli.engine import random as grandom
from gradcli.errors import GradcliError, GradcliSyntaxError, LimitExceeded
from gradcli.lang import builtins as B
from gradcli.lang import names as N
from gradcli.lang.runner import Runner

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
REPO = HERE.parents[1]
FILENAME = "f.grad"
SMALL_CAP = 100_000  # element cap for in-process runs: a runaway size fails fast instead of allocating
HANG_SECONDS = 10.0  # an in-process run longer than this counts as a hang

# Messages of bugs that have their own strict-xfail test below; the random generators tolerate them so
# they keep looking for new ones. Delete an entry when its bug is fixed.
KNOWN_BUG_MESSAGES: dict = {}  # regex -> reason; empty: every bug found so far is fixed


# ----------------------------------------------------------------------------- checking one input
class Hang(BaseException):
    """Raised by the watchdog; a BaseException so the runner's `except Exception` cannot swallow it."""


@contextlib.contextmanager
def watchdog(seconds: float = HANG_SECONDS):
    """Fail an in-process run that takes too long (only Python-level loops can be interrupted)."""
    def on_alarm(signum, frame):
        raise Hang(f"no answer after {seconds} s")
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run_script(source: str, seconds: float = HANG_SECONDS):
    """Run a whole script; return (output, warnings, error or None). Other exceptions propagate."""
    out, warned = [], []
    runner = Runner(write=out.append, warn=lambda message, span: warned.append((message, span)), echo=True)
    with watchdog(seconds):
        try:
            runner.run(source, FILENAME)
        except GradcliError as err:
            return "".join(out), warned, err
    return "".join(out), warned, None


def source_lines(source: str) -> list[str]:
    return re.split(r"\r\n|\r|\n", source)


def assert_span_inside(span, source: str, what: str) -> None:
    lines = source_lines(source)
    assert span.source == FILENAME, f"{what}: span names {span.source!r}, not the input"
    assert 1 <= span.line <= span.end_line <= len(lines) + 1, f"{what}: span {span} outside {len(lines)} lines"
    assert span.column >= 1 and span.end_column >= 1, f"{what}: span {span} has a column below 1"
    if span.line <= len(lines):
        assert span.column <= len(lines[span.line - 1]) + 2, f"{what}: span {span} starts past its line's end"
    if span.line == span.end_line:
        assert span.end_column >= span.column, f"{what}: span {span} ends before it starts"


def known_bug(err: GradcliError) -> str | None:
    for pattern, reason in KNOWN_BUG_MESSAGES.items():
        if re.search(pattern, err.message):
            return reason
    return None


def check(source: str, *, tolerate_known: bool = False, seconds: float = HANG_SECONDS) -> GradcliError | None:
    """The promise: success, or a GradcliError with a real message and a span inside the input."""
    _, warned, err = run_script(source, seconds)
    for message, span in warned:
        assert message.strip(), "empty warning"
        if span is not None:
            assert_span_inside(span, source, f"warning {message!r}")
    if err is None:
        return None
    if tolerate_known and known_bug(err):
        return err
    assert isinstance(err.message, str) and err.message.strip(), f"empty message from {type(err).__name__}"
    assert not err.message.startswith("internal error"), f"a Python exception reached the runner: {err.message}"
    assert err.exit_code in (1, 2), f"exit code {err.exit_code} for {type(err).__name__}"
    if err.span is not None:
        assert_span_inside(err.span, source, f"{type(err).__name__} {err.message!r}")
    return err


@pytest.fixture(autouse=True)
def isolated_engine():
    """Scripts change process-wide state (grad mode, default dtype, RNG, the cap): restore it after each test."""
    saved = (grad_mode.state.enabled, grad_mode.state.anomaly, dtypes.get_default_dtype(), limits.max_elements,
             copy.deepcopy(grandom.default_generator.__dict__), B.output.write)
    limits.max_elements = SMALL_CAP
    yield
    (grad_mode.state.enabled, grad_mode.state.anomaly, default, limits.max_elements, rng, B.output.write) = saved
    dtypes.set_default_dtype(default)
    grandom.default_generator.__dict__.update(rng)


def sources(section: str, *texts: str):
    return [pytest.param(t, id=f"{section}-{i}") for i, t in enumerate(texts)]


# ----------------------------------------------------------------------------- hand-written corpus
SYNTAX = sources(
    "syntax",
    "", "\n", "   \n\t\n", "# only a comment", "#!/usr/bin/env gradcli\n# c\n\n", "\\", "\\\n", "1 +\\", ";", ";;",
    "x = 1;;", "(", ")", "[", "]", "{", "}", "(]", "[)", "{)", "x = (\n", "x = [1,\n2,\n", "x = )", "'abc", '"abc',
    "'''abc", '"""', "'abc\ndef'", "f'", "f'{", "f'{x", "f'{}'", "f'{ }'", "f'}'", "f'{x!}'", "f'{x!z}'", "f'{1!r!s}'",
    "f'{x:{y:{z}}}'", "f'{#}'", "f'{'a'}'", "f\"{f'{f\"{1}\"}'}\"", "f'{1:{2:{3}}}'", "f'{*[1]}'", "f'{**{}}'",
    "f'{lambda: 1}'", "f'{\\'a\\'}'", "f'{x=}'", "f'{1,2}'", "rf'{1}\\n'", "f'''{\n1\n}'''", "b'abc'", "rb'x'", "br'x'",
    "'\\x'", "'\\u12'", "'\\U0011ffff'", "'\\N{NOPE}'", "'\\N{GREEK SMALL LETTER ALPHA}'", "'\\777'", "1__0", "1_",
    "0xg", "08", "1e", "1e+", ".e1", "1j", "0x", "1.2.3", "..", "....", ":=", "x := 1", "(x := 1)", "`x`", "<>",
    "1 <> 2", "$x", "x?", "x!", "@", "@x", "x @ = 1", "print >> x", "x = ,", "print(,)", "f(,1)", "a[1:2:3:4]", "a[]",
    "0 if 1", "1 else 2", "not", "1 not 2", "1 is not not 2", "if x := 1: pass", "{x: 1 for x in range(3)}",
    "{x for x in range(3)}", "{1, 2}", "[*range(3)]", "{**{}}", "a, *b = [1, 2, 3]", "*a, = [1]", "x: int = 1",
    "match x:\n case 1: pass", "type X = int", "async def f(): pass", "await x",
)

KEYWORDS = sources(
    "keywords",
    "def if(): pass", "for = 1", "x = lambda", "print(if=1)", "print(x=1, x=2)", "print(x=1, 2)", "def (): pass",
    "def f: pass", "def f(: pass", "def f() pass", "def f(1): pass", "def f(a, a): pass", "def f(a=1, b): pass",
    "def f(a, b=1, *c, d, **e): pass", "def f(*, a): return a", "def f(a, /, b): return a", "lambda: ",
    "lambda x, x: 1", "lambda *: 1", "lambda **: 1", "lambda *, x: x", "lambda x,: x", "(lambda: 1)(1)",
    "(lambda x: x)()", "(lambda x: x)(y=1)", "(lambda x=print: x)()(1)", "(lambda: (yield))()",
    "def f():\n    yield 1", "yield 1", "x = yield", "return 1", "return", "if 1:\n    return 2", "break",
    "continue", "def f():\n    break\nf()", "for i in range(3):\n    def g():\n        break\n    g()",
    "def f():\n    continue", "nonlocal x", "global", "def f():\n    global x\n    x = 1\nf()", "del",
    "x = 1\ndel x\nx", "del (1)", "del x[0]", "x = [1]\ndel x[0]", "del 1, x", "del f()", "x = 1\ndel x, x",
    "class A: pass", "class A:\n    def __init__(self): pass", "@x\n@y\ndef f(): pass",
    "try:\n    1/0", "try: pass\nexcept: pass\nexcept ValueError: pass",
    "try: pass\nexcept ValueError, TypeError: pass",
    "try: pass\nexcept* ValueError: pass", "try:\n    pass\nelse:\n    pass", "else: pass", "elif 1: pass",
    "if 1: pass\nelif: pass", "for in range(3): pass", "for x in : pass", "for x in range(3) pass", "while: pass",
    "if: pass", "with: pass", "with 1: pass", "with print: pass", "with no_grad() as (a, b): pass",
    "with no_grad() as 1: pass", "with no_grad(), no_grad(): pass", "raise", "raise ValueError",
    "raise ValueError('x') from None", "raise print", "raise SystemExit", "raise Exception(print)",
    "try:\n    raise ValueError('x')\nexcept ValueError:\n    raise", "assert False", "assert False, 'why'",
    "assert 1, 2, 3", "import", "import os", "import os.path", "import sys", "import subprocess", "import numpy",
    "import numpy as torch", "import torch.nn as", "import torch.foo", "from torch.foo import x",
    "from torch import foo",
    "from torch import *", "from . import x", "from .. import torch", "from builtins import open",
    "from os import system",
    "f() = 1", "None = 1", "True = 1", "x + 1 = 2", "[a, b] = 1", "a, b = 1, 2, 3", "a.b = 1", "(a) = 1",
    "a = b = c = 1\nc", "x = [1]\nx[0], x = 2, 3", "x: int", "print(1) if True else print(2)", "True(1)", "None()",
    "None.x", "...", "Ellipsis", "x = 1\nx()", "'abc'()", "[1]()", "{}()", "lambda: (yield)", "global x",
    "del x", "@print\ndef f(): pass", "1 = x",
)

INDENTATION = sources(
    "indent",
    "   1", "\t1", "if 1:\npass", "if 1:\n  1\n 2", "if 1:\n pass\n  pass", "if 1:\n\t1\n        2",
    "if 1:\n        1\n\t2", "if 1:\n    1\n\t\t2", "if 1:\n  \t1\n\t  2", "x = 1\n    ",
    "if 1:\n    pass\n  else: pass",
    "def f():\nreturn 1", "for i in range(2):\n    if i:\n        pass\n   print(i)", "if 1:\r\n    2\r\n",
    "x = 1\r\nx\r\n", "x = 1\rx", "if 1:\r    2\r", "x = 1\n\x0cx", "\ufeffx = 1\nx", "x = 1\n\n\n\n   \n\t\nx",
    "if 1:\n    pass\n\n\n    pass", "if 1:\n    # comment\n# comment\n    pass", "while 0:\n    pass\nelse:\n  1",
)

UNICODE_AND_JUNK = sources(
    "unicode",
    "变量 = 1\n变量", "π = 3.14\nπ*2", "ｘ = 1\nx", "ℌ = 1\nH", "x\u200d = 1", "x\u200b = 1", "\u202ex = 1",
    "x = '\u202e'\nx", "x = '\u200f\u200e'\nlen(x)", "é = 1\ne\u0301", "e\u0301 = 2\né", "🙂 = 1", "x = '🙂'\nlen(x)",
    "x = '👨\u200d👩\u200d👧'\nprint(x, len(x))", "'\\udfff' + 'a'", "x = '\\ud800'\nx.upper()",
    "f'{\"\\ud800\"}'", "repr('\\udcff')", "x = 1\x00", "\x00", "'\x00'", "# \x00\n1", "x = '\x00'\nlen(x)", "1\x0b",
    "\x1b[31m", "1 \u00a0+ 1", "1\u3000+1", "\u2028", "x = 1\u20281", "\x85", "\udcff", "print('\udcff')", "\ud800 = 1",
    "x = '\udc80\udcff'\nx", "\x7f", "\ufffe", "\U0010ffff", "'\U0010ffff'", "Ω = 1\nΩ + 1", "ß = 1\nss",
    "ﬁ = 1\nfi", "x\u0300 = 1", "١ = 1", "x = ١", "x = ²", "tensor([1., 2.])\u00b2", "'\\ud800'",
)

NUMBERS = sources(
    "numbers",
    "1e999", "-1e999", "1e-999", "1e308 * 10", "int(1e999)", "int(float('nan'))", "float('1e999')", "2**100000",
    "10**10**10", "9**9**9", "(-2)**100001", "2**-100000", "10**400", "-(10**400)", "10**4299", "2.0**10000",
    "2**0.5**2**100", "0**-1", "0.0**-1", "(-8)**(1/3)", "10**-10**10", "1/0", "1//0", "1%0", "1.0/0", "0/0",
    "tensor(1.)/0", "tensor(0.)/0", "tensor(1)//0", "tensor(1) % 0", "int('9'*5000)", "int('zz', 36)",
    "int('1', 99)", "int('1', 2**70)", "round(1e300, -400)", "round(float('inf'))", "round(nan)",
    "round(1.5, 10**20)", "1 << 2", "1 | 2", "~1", "1 & 2", "0x" + "f" * 5000, "1" * 5000, "1" * 4300,
    "0." + "1" * 10000, "1e" + "9" * 1000, "1e-" + "9" * 1000, "tensor(2**63)", "tensor(-2**63)",
    "tensor([2**63, 1.5])", "tensor(10**400)", "tensor(1e400)", "tensor(2**64) + 1",
    "ones(2, 3).long() + 2**63", "ones(2).long() * 2**62 * 4", "tensor([1, 2], dtype=torch.int8) * 1000",
    "tensor([1., 2.], dtype=torch.uint8) - 3", "tensor(True) + tensor(True)", "-tensor([True])",
    "tensor([1., 2.]) + 10**400", "x = ones(3)\nx[0] = 10**400", "x = ones(3).long()\nx[0] = 2**64",
    "ones(2).uniform_(0, 10**400)", "manual_seed(2**70)", "manual_seed(-2**64)", "randint(0, 10**30, (2,))",
    "randint(-2**63, 2**63, (2,))", "arange(nan)", "arange(inf)", "arange(0, 1, 1e-300)", "linspace(0, 1, 2**62)",
    "full((2,), 1e999)", "sqrt(tensor(-1.))", "log(tensor(0.))", "exp(tensor(1000.))", "tensor(1e38) * 10",
    "tensor(1., dtype=torch.float16) * 70000", "'%c' % 10**10", "'%d' % 1e999", "'%.*f' % (10**6, 1.0)",
    "f'{1:99999999999999999999}'", "f'{1e999:.2f}'", "f'{nan:d}'", "f'{2**64:c}'",
    "len(range(10**20))", "range(10**18)[10**19]", "range(10**18)[::2]", "range(0, 10, 0)", "range(1.5)",
    "x = [1, 2]\nx.pop(10**20)", "x = [1, 2]\nx.insert(10**20, 1)\nx", "'a'.center(10**20)", "'a'.ljust(2**63)",
    "'abc'.find('b', 10**20)", "[1][10**20]", "ones(10)[10**20]", "ones(10)[2**63]", "ones(10).sum(dim=10**20)",
    "ones(10).transpose(0, 10**20)", "ones(10)[10**20:]", "x = [1, 2]\nx[10**20] = 1",
)

HUGE_SIZES = sources(
    "huge",
    "zeros(10**12)", "ones(2**40)", "ones(2**31, 2**31)", "zeros(2**63)", "zeros(2**64)", "zeros(10**100)",
    "randn(10**9)", "rand(10**6, 10**6)", "eye(10**6)", "full([10**12], 1.)", "arange(10**15)",
    "arange(0, 1, 1e-12)", "linspace(0, 1, 10**12)", "randint(0, 10, (10**6, 10**6))", "randperm(10**18)",
    "empty(10**12)", "zeros(10**6, 10**6, 0)", "zeros(0, 10**12)", "zeros(-1)", "zeros((2, -3))", "zeros(1.5)",
    "zeros('a')", "zeros((2, 3), (4,))", "zeros(None)", "zeros([])", "zeros(True)", "ones(1).expand(10**12)",
    "ones(1, 1).expand(10**6, 10**6)", "ones(10).repeat(10**12)", "ones(10).repeat(10**6, 10**6)",
    "ones(10).view(10**12, -1)", "ones(10).reshape(2**63, 0)", "ones(10).unflatten(0, (10**6, -1))",
    "ones(10).narrow(0, 5, 10**9)", "chunk(ones(10), 10**9)", "split(ones(10), 10**12)", "[0] * 10**10",
    "'a' * 10**10", "(1,) * 10**10", "10**10 * [0]", "x = [1]\nx *= 10**10", "x = 'a'\nx *= 10**10",
    "[[0] * 10**6] * 10**6", "list(range(10**18))", "tuple(range(10**18))", "list(range(10**18))[0]",
    "sorted(range(10**18))", "[i for i in range(10**18)]", "tensor(list(range(10**18)))",
    "tensor([0] * 10**10)", "ones(5)[[0] * 10**10]", "'a'.zfill(2**62)",
    "'a'.ljust(2**63 - 1)", "f\"{'a':>{2**62}}\"", "str([0] * 10**6) * 10**6", "'%*d' % (2**62, 1)",
)

RUNTIME_TYPES = sources(
    "types",
    "x = tensor([1.,2.])\nx + 'a'", "ones(2) + None", "None + ones(2)", "[1] + ones(2)", "'a' + ones(2)",
    "ones(2) ** 'a'", "ones(2) @ ones(3)", "ones(2, 3) @ ones(2, 3)", "ones(2) @ 1", "1 @ 2", "ones(2).pow(print)",
    "ones(2) * ones(3)", "ones(2, 3) + ones(3, 2)", "ones(2).view(3)", "ones(2, 3).T.view(6)",
    "ones(2, 3).view(-1, -1)",
    "ones(2, 3).view(print)", "ones(2, 3).size(print)", "ones(2, 3).size(5)", "ones(2, 3).dim(1)", "ones(2, 3).item()",
    "ones(2, 3).tolist(1)", "ones(2, 3).repeat()", "ones(2, 3).repeat(print)", "ones(2, 3).repeat(-1, 1)",
    "ones(2, 3).clamp()", "ones(2, 3).clamp(min='a')", "ones(2, 3).clamp(min=ones(5))", "ones(2).fill_(print)",
    "ones(2).fill_(ones(3))", "ones(2).normal_(print)", "ones(2).uniform_(1, 0)", "ones(2).normal_(0, -1)",
    "ones(2).to('cuda')", "ones(2).to(print)", "ones(2).view_as(1)", "ones(2).expand_as([1, 2])",
    "tensor([[1, 2], [3]])", "tensor([[1, 2], 3])", "tensor([1, 'a'])", "tensor(['a'])", "tensor([None])",
    "tensor(None)", "tensor([]).max()", "tensor([]).argmax()", "tensor([]).min(0)", "tensor([1.]).max(1)",
    "tensor([1.]).max(dim=0).values.x", "tensor([1, 2]).mean()", "tensor([1, 2]).requires_grad_()",
    "tensor([1., 2.], dtype=torch.int64, requires_grad=True)", "tensor([1., 2.], dtype='float32')",
    "tensor([1., 2.], dtype=print)", "tensor(1, dtype=torch.bool, requires_grad=True)", "x = ones(3)\nx[print]",
    "x = ones(3)\nx['a']", "x = ones(3)\nx[1.5]", "x = ones(3)\nx[..., ...]", "x = ones(3)\nx[0, 0]",
    "x = ones(3)\nx[[True, False]]", "x = ones(3)\nx[tensor([0.5])]", "x = ones(3)\nx['a':'b']", "x = ones(3)\nx[::0]",
    "x = ones(3)\nx[::-1]", "x = ones(3)\nx[:tensor([1, 2])]", "x = ones(3)\nx[{}]", "x = ones(3)\nx[x]",
    "x = ones(3)\nx[x > 0] = print", "x = ones(3)\nx[x > 0] = ones(5)", "x = ones(3)\nx[0] = 'a'",
    "x = ones(3, requires_grad=True)\nx[0] = 1", "x = ones(3, requires_grad=True)\nx.add_(1)",
    "x = ones(3, requires_grad=True)\ny = x.exp()\ny.add_(1)\ny.sum().backward()",
    "x = tensor(1., requires_grad=True)\ny = x * 2\ny.backward()\ny.backward()", "ones(2).backward()",
    "ones(2, requires_grad=True).backward()", "x = ones(2, requires_grad=True)\n(x * 2).backward(print)",
    "x = ones(2, requires_grad=True)\n(x * 2).backward(gradient=ones(3))", "grad(1, 2)", "grad(ones(2), print)",
    "x = tensor(1., requires_grad=True)\ngrad([x * 2], [x], grad_outputs=[print])",
    "x = tensor(1., requires_grad=True)\ngrad([], [x])", "backward(print)", "x = tensor(1.)\nx.grad.zero_()",
    "x = tensor(1.)\nx.grad = print", "x = tensor(1., requires_grad=True)\nx.grad = tensor([1., 2., 3.])",
    "x = tensor(1.)\nx.data = 5", "x = tensor([1, 2])\nx.requires_grad = True", "x = tensor(1.)\nx.foo = 1",
    "torch.ones = print", "torch.foo = 1", "print.x = 1", "x = 1\nx @= 2", "x = tensor([1.])\nx.grad += 1",
    "x = [1]\nx[5] += 1", "x = {}\nx['a'] += 1", "(1).real", "1 .real", "1.5.hex()", "''.join([1])",
    "'a' * -1", "[1] * -1", "[0] * 2.5", "'a' * tensor(3)", "[1, 2] * tensor([2])", "range(3) + range(3)",
    "range('a')", "enumerate(1)", "zip(1)", "dict(1)", "dict([[1, 2, 3]])", "dict(**{1: 2})",
    "f = lambda **k: k\nf(**{'a b': 1})", "print(**{'sep': 1})", "print(*1)", "print(sep=print)", "print(file=1)",
    "min()", "min([])", "max(1, 'a')", "sum(['a', 'b'], '')", "sum(1)", "any(1)", "abs('a')", "len(1)",
    "len(tensor(1.))", "bool(tensor([1., 2.]))", "if tensor([1., 2.]): pass", "while tensor([1., 2.]): pass",
    "tensor([1.]) and tensor([1., 2.])", "not tensor([1., 2.])", "1 if tensor([1., 2.]) else 2",
    "[i for i in range(3) if tensor([1., 2.])]", "sorted([tensor([1., 2.]), tensor([2., 1.])])",
    "max([tensor([1., 2.]), tensor([2., 1.])])", "list(tensor(1.))", "for v in tensor(1.):\n    pass",
    "a, b = tensor(1.)", "'a' in tensor([1., 2.])", "tensor([1., 2.]) in [1]", "tensor([1., 2.]) == [1, 2]",
    "tensor([1., 2.]) < 'a'", "{tensor(1.): 1}", "x = [1, 2]\nx[print] = 1", "x = [1, 2]\nx[0:1] = print",
    "x = [1, 2]\nx[::2] = [1, 2, 3]", "x = {}\nx[[]] = 1", "x = (1, 2)\nx[0] = 5", "x = 'ab'\nx[0] = 'c'",
    "x = range(3)\nx[0] = 1", "x = [1, 2]\nx.index(5)", "x = [1]\nx.remove(5)", "x = [1]\nx.sort()",
    "d = {'a': 1}\nd.pop('b')", "d = {'a': 1}\nd.update(print)", "d = {'a': 1}\nd.update(1, 2)",
    "d = {'a': 1}\nfor k in d.keys():\n    d['b'] = 1", "'a b'.split(print)", "'a'.replace('a', 'b', print)",
    "'a'.center(5, 'ab')", "'a'.join(print)", "'a'.join([print])", "with set_grad_enabled(False): 1",
    "set_grad_enabled()", "set_grad_enabled(print)", "enable_grad(1)", "no_grad(1)", "SGD()", "SGD(1)",
    "SGD([], lr=0.1)", "SGD([tensor(1.)], lr=-1)", "SGD([tensor(1., requires_grad=True)], lr=print)",
    "SGD([tensor(1., requires_grad=True)], lr=0.1, foo=1)", "SGD([1, 2], lr=0.1)", "SGD([{}], lr=0.1)",
    "SGD([{'params': print}], lr=0.1)", "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.state",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.lr = print",
    "o = SGD([tensor(1., requires_grad=True)])\no(1)",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.param_groups[0]['lr'] = 'abc'\n"
    "o.param_groups[0]['params'][0].grad = tensor(1.)\no.step()",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.param_groups[0].clear()\no.step()",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.param_groups.append(1)\no.step()",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.add_param_group(print)",
    "o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.add_param_group({'params': [print]})",
    "with torch.autograd.detect_anomaly():\n    x = tensor(-1., requires_grad=True)\n    x.log().backward()",
    "x = tensor(1., requires_grad=True)\ny = x * 2\ny.grad_fn(tensor(1.))", "tensor(1.).dtype(1)", "no_grad()(print)",
    "torch.Size([1])(1)", "torch.Size(1)", "torch.Tensor(3)", "isinstance(1, print)", "isinstance(1, (int, print))",
    "float('abc')", "int('abc')", "int(None)", "float(print)", "int(tensor([]))", "str(1, 2)", "repr()",
    "manual_seed(1.5)", "randint(5)", "randint(0, 5, 3)", "randperm(-1)", "arange(0, 10, -1)", "arange(0, 1, 0)",
    "full((2,), 'a')", "eye(2, 3, 4)", "eye(-1)", "mse_loss(ones(2), ones(3))", "cross_entropy(ones(2, 3), ones(2))",
    "nll_loss(ones(2, 3), tensor([5, 0]))", "F.softmax(ones(2), dim=5)", "binary_cross_entropy(ones(2) * 2, ones(2))",
    "tree(1)", "chain('a')", "ledger(1, 2)", "gradcheck(1, 2)",
    "gradcheck(print, [tensor(1., dtype=torch.float64, requires_grad=True)])",
    "try:\n    1/0\nexcept print:\n    pass", "try:\n    1/0\nexcept (1, 2):\n    pass",
    "try:\n    1/0\nexcept Exception as e:\n    e.err", "try:\n    1/0\nexcept Exception as e:\n    tensor(e)",
    "ValueError.x", "ValueError(1).x", "x = no_grad()\nx.prev", "x = tensor(1.)\nx.grad_fn.name()",
)

RECURSION_AND_LOOPS = sources(
    "recursion",
    "def f(): return f()\nf()", "def f(n): return f(n + 1) + 1\nf(0)", "f = lambda: f()\nf()",
    "def f(x): return x(x)\nf(f)", "g = lambda f: f(f)\ng(g)", "def f(n):\n    for i in range(n):\n        f(n)\nf(3)",
    "def outer():\n    def inner():\n        return outer()\n    return inner()\nouter()",
    "def f():\n    return [f() for _ in range(2)]\nf()", "sorted([3, 1], key=lambda v: sorted([v], key=lambda w: w))",
    "a = []\na.append(a)\na", "a = []\na.append(a)\nprint(a)", "d = {}\nd[1] = d\nd", "d = {}\nd['k'] = d\nstr(d)",
    "a = []\na.append(a)\na == a", "a = []\na.append(a)\nsorted([a, a])",
    "a = []\nfor i in range(5000):\n    a = [a]\na",
    "a = []\nfor i in range(5000):\n    a = [a]\nstr(a)", "a = []\nfor i in range(100000):\n    a = [a]\ntensor(a)",
    "a = ()\nb = ()\nfor i in range(100000):\n    a = (a,)\n    b = (b,)\na == b",
    "d = {}\nfor i in range(5000):\n    d = {'k': d}\nd", "a = [1.]\nfor i in range(300):\n    a = [a]\ntensor(a)",
    "n = 0\nwhile True:\n    n += 1\n    if n > 1000:\n        break\nn",
    "for i in range(3):\n    continue\nelse:\n    i",
    "x = tensor(1., requires_grad=True)\ny = x\nfor i in range(20000):\n    y = y * 1.0001\ny.backward()\nx.grad",
    "x = tensor(1., requires_grad=True)\nfor i in range(3):\n    x = x * 2\nx.backward()\nx.grad",
    "def f(n):\n    if n == 0:\n        return tensor(1., requires_grad=True)\n"
    "    return f(n - 1) * 2\nf(100).backward()",
    "try:\n    def f(): return f()\n    f()\nexcept Exception:\n    print('caught')",
    "def f(*a): return len(a)\nf(*range(10**5))", "print(*[[]] * 10)",
)

CALCULATOR_EXPRESSIONS = [  # the one-liner's input, through Runner.evaluate
    "x ** 2", "x ^ 2 ^ 3", "-x", "x @ x", "x.backward()", "x[0]", "x[5]", "x.__class__", "__import__('os')", "1/0",
    "x / 0", "log(x - 10)", "x = 1", "1; 2", "if x: 1", "lambda: 1", "(lambda: x)()", "[x for x in range(3)]",
    "f'{x}'", "x.grad", "x.grad_fn.next_functions", "2**100000", "10**4299", "zeros(10**12)", "x.numpy",
    "print(x)", "", " ", "#", "\\", "(", "x,", "x, y", "import os", "del x", "x.sum().backward() or x.grad",
]


@pytest.mark.parametrize("source", SYNTAX + KEYWORDS + INDENTATION + UNICODE_AND_JUNK + NUMBERS + HUGE_SIZES
                         + RUNTIME_TYPES + RECURSION_AND_LOOPS)
def test_hand_written_hostile_input(source):
    check(source)


@pytest.mark.parametrize("expression", CALCULATOR_EXPRESSIONS)
def test_calculator_expressions_fail_cleanly(expression):
    runner = Runner(write=lambda s: None, warn=lambda m, s: None, echo=False)
    runner.variables.update(x=B.BUILTINS["tensor"]([1.0, 2.0], requires_grad=True), y=B.BUILTINS["tensor"](3.0))
    try:
        with watchdog():
            runner.evaluate(expression, "f.grad")
    except GradcliError as err:
        assert err.message.strip() and not err.message.startswith("internal error"), err.message
        if err.span is not None:
            assert_span_inside(err.span, expression, err.message)


def test_huge_sizes_are_refused_before_allocating_under_the_default_cap():
    """The default cap (2**27) refuses these by arithmetic on the shape, in milliseconds."""
    limits.max_elements = 2**27
    for source in ("zeros(10**12)", "ones(2**40)", "[0] * 10**10", "'a' * 10**10", "list(range(10**18))",
                   "eye(10**6)", "randn(10**9)", "ones(1).expand(10**12)", "ones(10).repeat(10**12)"):
        start = time.perf_counter()
        err = check(source)
        assert isinstance(err, LimitExceeded), (source, err)
        assert time.perf_counter() - start < 2, source


# ----------------------------------------------------------------------------- deep nesting
DEEP = {
    "10k-parens": "(" * 10_000 + "1" + ")" * 10_000,
    "10k-open-parens": "(" * 10_000,
    "10k-brackets": "[" * 10_000 + "]" * 10_000,
    "10k-open-brackets": "[" * 10_000,
    "10k-braces": "{" * 10_000,
    "10k-dict-nest": "{1:" * 10_000 + "1" + "}" * 10_000,
    "1000-nested-if": "".join(" " * i + "if 1:\n" for i in range(1000)) + " " * 1000 + "pass\n",
    "1000-nested-if-tabs": "".join("\t" * i + "if 1:\n" for i in range(1000)) + "\t" * 1000 + "pass\n",
    "150-nested-def": "".join("    " * i + "def f():\n" for i in range(150)) + "    " * 150 + "pass\n",
    "90-nested-try": "".join("    " * i + "try:\n" for i in range(90)) + "    " * 90 + "1/0\n"
                     + "".join("    " * i + "except Exception:\n" + "    " * i + "    pass\n"
                               for i in reversed(range(90))),
    "10k-minus": "-" * 10_000 + "1",
    "10k-plus": "+" * 10_000 + "1",
    "10k-not": "not " * 10_000 + "1",
    "10k-tilde": "~" * 10_000 + "1",
    "10k-pow-chain": "**".join(["1"] * 10_000),
    "10k-caret-chain": "^".join(["1"] * 10_000),
    "10k-attribute-chain": "a" + ".b" * 10_000,
    "10k-torch-chain": "torch" + ".nn" * 10_000,
    "10k-call-chain": "f" + "()" * 10_000,
    "10k-index-chain": "a" + "[0]" * 10_000,
    "10k-slice-chain": "a" + "[:]" * 10_000,
    "10k-lambda-chain": "lambda: " * 10_000 + "1",
    "400-lambda-chain": "f = " + "lambda: " * 400 + "1",
    "300-lambda-expression": "lambda: " * 300 + "1",
    "150-lambda-calls": "f = " + "lambda: " * 150 + "1\nf" + "()" * 150,
    "10k-ifexp-chain": "1 if 1 else " * 10_000 + "1",
    "10k-backslash-lines": "1 + \\\n" * 10_000 + "1",
    "100k-term-sum": "+".join(["1"] * 100_000),
    "10k-term-sum-of-names": "x = 1\n" + "+".join(["x"] * 10_000),
    "10k-and": " and ".join(["1"] * 10_000),
    "10k-comparisons": " < ".join(["1"] * 10_000),
    "10k-tuple": ",".join(["1"] * 10_000),
    "10k-call-args": "print(" + ",".join(["1"] * 10_000) + ")",
    "10k-dict": "{" + ", ".join(f"{i}: {i}" for i in range(10_000)) + "}",
    "10k-elif": "x = 1\nif x == 0:\n    pass\n" + "".join(f"elif x == {i}:\n    pass\n" for i in range(1, 10_000)),
    "10k-string-concat": " ".join(["'a'"] * 10_000),
    "1M-string": "'" + "a" * 1_000_000 + "'",
    "100k-name": "a" * 100_000,
    "1M-comment": "#" + "x" * 1_000_000,
    "100k-blank-lines": "\n" * 100_000 + "1",
    "5k-statements": "x = 1\n" * 5_000,
    "5k-semicolons": "x=1;" * 5_000,
    "50-fstring-nest": "f'{" * 50 + "1" + "}'" * 50,
    "90-fstring-braces": "f'" + "{" * 90 + "1" + "}" * 90 + "'",
    "200-calls-of-tensors": "x = tensor(1.)\n" + "exp(" * 199 + "x" + ")" * 199,
    "150-comprehensions": "[" * 150 + "1" + " for _ in [0]]" * 150,
    "201-parens": "(" * 201 + "1" + ")" * 201,
}


@pytest.mark.parametrize("source", [pytest.param(v, id=k) for k, v in DEEP.items()])
def test_deep_nesting_and_long_inputs(source):
    check(source, seconds=30)


# ----------------------------------------------------------------------------- binary junk
def _junk():
    rng = random.Random("gradcli binary junk")
    out = []
    for i in range(40):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        if i % 4 == 3:  # junk inside an otherwise sensible script
            data = b"x = tensor([1., 2.])\n" + data + b"\nprint(x)\n"
        text = data.decode("utf-8", "surrogateescape") if i % 2 else data.decode("latin-1")
        out.append(pytest.param(text, id=f"junk-{i}"))
    return out


@pytest.mark.parametrize("source", _junk())
def test_binary_junk(source):
    check(source)


# ----------------------------------------------------------------------------- mutated example programs
def _example_programs() -> dict[str, str]:
    programs = {p.stem: p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("*.grad"))}
    seeds = REPO / "tests" / "data" / "seeds"
    for path in sorted(seeds.glob("*.txt")) if seeds.is_dir() else []:
        blocks = re.findall(r"^```python[^\n]*\n(.*?)^```", path.read_text(encoding="utf-8"), re.S | re.M)
        if blocks:
            programs[f"tutorial{path.stem[:3]}"] = "\n".join(textwrap.dedent(b) for b in blocks[:6])
    return programs


TOKENS = re.compile(r"\s+|[A-Za-z_]\w*|\d+\.?\d*(?:e[-+]?\d+)?|'[^'\n]*'|\"[^\"\n]*\"|\*\*|//|[=!<>]=|\S")
INSERTS = list("()[]{}:;,.'\"\\#@*=-+\t\n ") + ["    ", "\x00", "é", "🙂", "\u200b", "__class__", "lambda", "if ",
                                                "def ", "return ", "f'{", "}", "**", "1e999", "10**10**10"]


def mutate(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(8)
        if op < 4:
            i = rng.randrange(len(text) + 1)
            if op == 0:
                text = text[:i] + text[i + 1:]  # drop a character
            elif op == 1:
                text = text[:i] + text[i:i + 1] * 2 + text[i + 1:]  # duplicate one
            elif op == 2 and i + 1 < len(text):
                text = text[:i] + text[i + 1] + text[i] + text[i + 2:]  # swap two
            else:
                text = text[:i] + rng.choice(INSERTS) + text[i:]  # insert something
            continue
        toks = TOKENS.findall(text)
        if len(toks) < 2:
            continue
        i, j = rng.randrange(len(toks)), rng.randrange(len(toks))
        if op == 4:
            del toks[i]  # drop a token
        elif op == 5:
            toks.insert(i, toks[i])  # duplicate one
        elif op == 6:
            toks[i], toks[j] = toks[j], toks[i]  # swap two
        else:
            toks[i] = toks[j]  # replace one by another from the same program
        text = "".join(toks)
    return text


MUTANTS_PER_PROGRAM = 30


def _mutants():
    out = []
    for name, text in _example_programs().items():
        rng = random.Random(f"mutants of {name}")
        out += [pytest.param(mutate(text, rng), id=f"{name}-{i}") for i in range(MUTANTS_PER_PROGRAM)]
    return out


def test_example_programs_run_cleanly():
    for name in ("tutorial", "polynomial", "training", "control", "shapes", "display"):
        _, _, err = run_script((CORPUS / f"{name}.grad").read_text(encoding="utf-8"))
        assert err is None, (name, err.message if err else None)


@pytest.mark.parametrize("source", _mutants())
def test_mutated_example_programs(source):
    check(source, tolerate_known=True)


# ----------------------------------------------------------------------------- every builtin, badly called
WRONG_ARGUMENTS = ("", "1", "2.5", "'a'", "None", "[[1], [1, 2]]", "print", "torch.float64", "-1", "10**20", "nan",
                   "(1, 2)", "{}", "True", "x.grad_fn", "tensor([], requires_grad=True)", "zeros(0, 2)",
                   "ones(2), ones(3)", "x, 'a'", "1, 2, 3", "x, dim=5", "x, x, x, x")
PRELUDE = "x = tensor([1., 2.], requires_grad=True) * 2\n"
CALLABLE_BUILTINS = sorted(k for k, v in B.BUILTINS.items() if callable(v) and k not in ("range",))
METHOD_NAMES = sorted(N.TENSOR_METHODS)

_NON_TENSOR_BUG = ("engine function given a non-tensor raises a raw AttributeError "
                   "('internal error (AttributeError): ... has no attribute ...')")
KNOWN_BAD_BUILTINS: dict = {}  # name -> reason, for a builtin that still fails (none now)
KNOWN_BAD_METHODS: dict = {}


def _marked(names, known):
    return [pytest.param(n, id=n, marks=pytest.mark.xfail(strict=True, reason=known[n])) if n in known
            else pytest.param(n, id=n) for n in names]


@pytest.mark.parametrize("name", _marked(CALLABLE_BUILTINS, KNOWN_BAD_BUILTINS))
def test_every_builtin_rejects_wrong_arguments(name):
    for args in WRONG_ARGUMENTS:
        check(f"{PRELUDE}{name}({args})")


@pytest.mark.parametrize("name", _marked(METHOD_NAMES, KNOWN_BAD_METHODS))
def test_every_tensor_method_rejects_wrong_arguments(name):
    for receiver in ("x", "ones(2, 3)"):
        for args in WRONG_ARGUMENTS:
            check(f"{PRELUDE}{receiver}.{name}({args})")


# ----------------------------------------------------------------------------- generated programs
VARS = ("x", "y", "w", "v", "loss")
ATOMS = (
    "0", "1", "2", "3", "-1", "0.5", "-2.5", "1e-320", "1e308", "1e999", "-1e999", "10**12", "2**63",
    "-(2**63) - 1", "10**400", "nan", "inf", "pi", "True", "False", "None", "''", "'a'", "'abc'", "[]", "()", "{}",
    "[1, 2]", "[1., -2., 3.]", "[[1., 2.], [3., 4.]]", "[[1], [1, 2]]", "(2, 3)", "{'a': 1}", "...", "[None]",
    "['a', 1]", "tensor(2.)", "tensor(3)", "tensor([1., -2., 3.])", "tensor([[1., 2.], [3., 4.]], requires_grad=True)",
    "tensor([True, False])", "tensor([], requires_grad=True)", "ones(2, 3)", "ones(2, 1, 3)", "zeros(0)", "zeros(3, 0)",
    "randn(3, requires_grad=True)", "arange(6)", "eye(2)", "tensor(1., dtype=torch.float64)",
    "tensor([1, 2], dtype=torch.uint8)", "tensor([1., 2.], dtype=torch.float16)", "torch.tensor([[0.5]])",
    "torch.float64", "torch.int64", "torch.bool", "float32", "print", "len", "F.relu", "torch.ones",
    "(lambda a: a * 2)", "(lambda *a, **k: k)", "SGD", "no_grad()", "torch", "F", "nn", "ValueError", "range(3)",
    "range(0)",
)
TENSOR_ATOMS = ("x", "y", "w", "v", "loss", "x", "w", "tensor(2.)", "tensor(3)", "tensor([1., -2., 3.])",
                "tensor([[1., 2.], [3., 4.]], requires_grad=True)", "tensor([True, False])", "zeros(0)",
                "zeros(3, 0)", "ones(2, 1, 3)", "arange(6)", "eye(3)", "tensor([1, 2], dtype=torch.uint8)",
                "tensor([0.5, 0.25], dtype=torch.float16)", "tensor(1., dtype=torch.float64, requires_grad=True)",
                "randn(2, 3, requires_grad=True)", "x.detach()", "y.grad_fn.next_functions[0][0].variable",
                "tensor([], requires_grad=True)", "tensor([[0., 1.]])", "tensor([0, 2])", "tensor(-1.)")
SMALL = ("0", "1", "-1", "2", "3", "-2", "0.5", "1e-8", "(0, 1)", "(1, 0)", "[0]", "None", "True", "(3, 1)",
         "(-1,)", "torch.float64", "torch.int64", "float16", "10**12", "1e999", "nan", "-3", "(2, 2)")
SHAPES = ("2", "3", "(2, 3)", "0", "1", "-1", "(2, -3)", "1.5", "'a'", "[]", "None", "10**12", "2**40",
          "(2**31, 2**31)", "[2, 2]", "(0, 10**12)", "True")
# `range`, `sum`, `max`, `any`, ... over a huge range run for hours inside one C call, where no timeout can
# stop them (test_timeout_stops_a_single_long_builtin_call), so the generator never builds such a range.
FUNCS = (
    "abs", "add", "all", "amax", "amin", "any", "arange", "argmax", "argmin", "as_tensor", "backward", "bmm", "cat",
    "chunk", "clone", "cos", "cross_entropy", "binary_cross_entropy", "binary_cross_entropy_with_logits", "div",
    "dot", "empty", "eq", "exp", "eye", "flatten", "full", "full_like", "gelu", "grad", "gt", "is_tensor",
    "leaky_relu", "len", "linspace", "log", "log1p", "log_softmax", "logical_and", "matmul", "max", "maximum", "mean",
    "min", "mm", "mse_loss", "mul", "mv", "narrow", "neg", "nll_loss", "norm", "ones", "ones_like", "permute",
    "pow", "prod", "rand", "randint", "randn", "randperm", "reciprocal", "remainder", "reshape", "sign", "sin",
    "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "sub", "sum", "t", "tanh", "tensor", "transpose",
    "unbind", "unflatten", "unsqueeze", "where", "zeros", "zeros_like", "print", "round", "float", "int", "bool",
    "str", "repr", "list", "tuple", "dict", "sorted", "isinstance", "manual_seed", "chain", "tree", "ledger",
    "gradcheck", "set_grad_enabled", "torch.autograd.grad", "torch.linalg.norm", "F.softmax", "F.mse_loss",
    "torch.nn.functional.nll_loss", "SGD", "no_grad", "enumerate", "zip", "reversed", "ValueError",
)
TENSOR_FUNCS = ("abs", "add", "amax", "amin", "argmax", "argmin", "bmm", "cat", "chunk", "cos", "cross_entropy",
                "binary_cross_entropy", "binary_cross_entropy_with_logits", "div", "dot", "eq", "exp", "flatten",
                "full_like", "gelu", "grad", "gt", "leaky_relu", "log", "log1p", "log_softmax", "logical_and",
                "matmul", "max", "maximum", "mean", "min", "mm", "mse_loss", "mul", "mv", "narrow", "neg",
                "nll_loss", "norm", "ones_like", "permute", "pow", "prod", "reciprocal", "remainder", "reshape",
                "sign", "sin", "softmax", "softplus", "split", "sqrt", "squeeze", "stack", "sub", "sum", "t",
                "tanh", "transpose", "unbind", "unflatten", "unsqueeze", "where", "zeros_like", "chain", "tree",
                "ledger", "gradcheck", "torch.autograd.grad", "torch.linalg.norm", "torch.linalg.vector_norm",
                "backward", "tensor", "as_tensor", "is_tensor", "len", "list", "sorted", "float", "int", "round",
                "str")
METHODS = (
    "backward", "sum", "mean", "item", "tolist", "size", "dim", "numel", "detach", "requires_grad_", "retain_grad",
    "reshape", "view", "t", "transpose", "permute", "squeeze", "unsqueeze", "expand", "expand_as", "flatten",
    "repeat", "clamp_", "pow", "exp", "log", "sqrt", "abs", "neg", "relu", "sigmoid", "tanh", "softmax", "add",
    "add_", "mul", "mul_", "sub_", "div_", "zero_", "fill_", "normal_", "uniform_", "max", "min", "argmax", "norm",
    "prod", "matmul", "mm", "dot", "to", "float", "double", "long", "int", "bool", "half", "clone", "contiguous",
    "is_contiguous", "split", "chunk", "unbind", "narrow", "eq", "lt", "all", "any", "view_as", "reshape_as",
    "swapaxes", "unflatten", "is_floating_point", "numpy", "cpu", "log_softmax", "append", "pop", "insert", "index",
    "keys", "items", "get", "upper", "join", "replace",
)
PROPERTIES = ("grad", "grad_fn", "requires_grad", "is_leaf", "data", "shape", "dtype", "T", "mT", "ndim", "device",
              "retains_grad", "_version", "name", "next_functions", "variable", "values", "indices",
              "is_floating_point", "itemsize", "param_groups", "defaults", "foo", "array", "_grad")
KWARGS = ("dim", "keepdim", "dtype", "requires_grad", "retain_graph", "create_graph", "gradient", "reduction",
          "min", "max", "lr", "momentum", "weight", "target", "alpha", "p", "sep", "end", "key", "reverse",
          "allow_unused", "inputs", "grad_outputs", "out", "negative_slope", "beta", "start", "exponent")
BINOPS = ("+", "-", "*", "/", "//", "%", "@", "**", "^")
COMPARES = ("<", "<=", ">", ">=", "==", "!=", "is", "is not", "in", "not in", "and", "or")
AUGOPS = ("+=", "-=", "*=", "/=", "//=", "%=", "@=", "**=")
SPECS = ("", ":.3f", ":>8", ":d", ":x", "!r", "!s", ":e", ":,", ":{'__class__'}", ":%")
INDEXES = ("0", "-1", "5", "10**20", "1:", ":2", "::2", "::-1", "None", "...", "0, 0", "[0, 1]", "[True, False]",
           "tensor([0])", "x > 0", "'a'", "1.5", ":, None", "..., 0", "()")


class ProgramGen:
    """Random programs from the grammar's shapes, built from two primitives: pick(seq) and integer(lo, hi).

    Under hypothesis both draw from a DataObject, so a failure shrinks to a short program. Programs are
    valid or nearly so and mostly well-typed tensor code, so they get past argument checks into the
    engine: wrong dtypes, wrong shapes, huge sizes, graphs used twice, odd control flow.
    """

    def __init__(self, pick, integer):
        self.pick, self.integer = pick, integer

    def texpr(self, depth: int = 2) -> str:
        """An expression that is usually a tensor."""
        if depth <= 0:
            return self.pick(TENSOR_ATOMS)
        t = lambda: self.texpr(depth - 1)  # noqa: E731
        kind = self.integer(0, 7)
        if kind == 0:
            return self.pick(TENSOR_ATOMS)
        if kind == 1:
            return f"({t()} {self.pick(BINOPS)} {self.pick((t(), self.pick(SMALL)))})"
        if kind == 2:
            args = [t() for _ in range(self.integer(1, 2))] + [self.pick(SMALL) for _ in range(self.integer(0, 2))]
            return f"{self.pick(TENSOR_FUNCS)}({', '.join(args + self.kwargs(depth - 1))})"
        if kind == 3:
            args = [self.pick(SMALL + (t(),)) for _ in range(self.integer(0, 3))]
            return f"{t()}.{self.pick(METHODS)}({', '.join(args + self.kwargs(depth - 1))})"
        if kind == 4:
            return f"{t()}[{self.pick(INDEXES)}]"
        if kind == 5:
            return f"{t()}.{self.pick(PROPERTIES)}"
        if kind == 6:
            return f"({self.pick(('-', '+', 'not '))}{t()})"
        factory = self.pick(("ones", "zeros", "randn", "rand", "full", "empty", "eye", "arange", "randint", "linspace"))
        return f"{factory}({self.pick(SHAPES)})"

    def kwargs(self, depth: int) -> list:
        return [f"{self.pick(KWARGS)}={self.pick(SMALL + (self.texpr(depth),))}" for _ in range(self.integer(0, 2))]

    def expr(self, depth: int = 2) -> str:
        if depth <= 0:
            return self.pick(ATOMS + VARS)
        e = lambda: self.expr(depth - 1)  # noqa: E731
        kind = self.integer(0, 13)
        if kind <= 3:
            return self.texpr(depth)
        if kind == 4:
            return self.pick(ATOMS + VARS)
        if kind == 5:
            return f"({e()} {self.pick(BINOPS)} {e()})"
        if kind == 6:
            return f"{self.pick(FUNCS)}({self.args(depth - 1)})"
        if kind == 7:
            return f"({e()}).{self.pick(METHODS)}({self.args(depth - 1)})"
        if kind == 8:
            return f"({e()})[{self.pick(INDEXES)}]"
        if kind == 9:
            return f"[{', '.join(e() for _ in range(self.integer(0, 3)))}]"
        if kind == 10:
            return f"({e()} {self.pick(COMPARES)} {e()})"
        if kind == 11:
            return f"({e()} if {e()} else {e()})"
        if kind == 12:
            inner = e()
            inner = self.pick(VARS) if ("'" in inner or '"' in inner) else inner
            return f'f"<{{{inner}{self.pick(SPECS)}}}>"'
        return f"[{e()} for {self.pick(VARS)} in {self.iterable()}]"

    def args(self, depth: int) -> str:
        parts = [self.expr(depth) for _ in range(self.integer(0, 3))]
        parts += [f"{self.pick(KWARGS)}={self.expr(depth)}" for _ in range(self.integer(0, 2))]
        if self.integer(0, 9) == 0:
            parts.append(self.pick(("*[1, 2]", "**{'dim': 0}", "*x", "**{}")))
        return ", ".join(parts)

    def iterable(self) -> str:
        return self.pick(("range(3)", "[1, 2]", "x", "tensor([1., 2.])", "'ab'", "{'a': 1}", "zip([1], [2])",
                          "enumerate([5])", "ones(2, 2)", "y", "()", "w"))

    def block(self, indent: int, depth: int) -> list:
        return [line for _ in range(self.integer(1, 3)) for line in self.stmt(indent, depth)]

    def stmt(self, indent: int, depth: int) -> list:
        pad, v = "    " * indent, self.pick(VARS)
        kind = self.integer(0, 21 if depth > 0 else 13)
        either = lambda: self.pick((self.texpr(1), self.expr(1)))  # noqa: E731
        if kind <= 3:
            return [f"{pad}{v} = {self.texpr()}"]
        if kind == 4:
            return [f"{pad}{v} = {self.expr()}"]
        if kind == 5:
            return [f"{pad}{v} {self.pick(AUGOPS)} {either()}"]
        if kind == 6:
            return [f"{pad}{self.pick((self.texpr(), self.expr()))}"]
        if kind == 7:
            call = self.pick(("sum().backward()", "backward()", "backward(retain_graph=True)",
                              "mean().backward(create_graph=True)"))
            return [f"{pad}{v}.{call}"]
        if kind == 8:
            return [f"{pad}{v}.{self.pick(('grad', 'requires_grad', 'data', 'foo', 'grad_fn'))} = {either()}"]
        if kind == 9:
            return [f"{pad}{v}[{self.pick(INDEXES)}] = {either()}"]
        if kind == 10:
            return [f"{pad}print({self.args(1)})"]
        if kind == 11:
            return [f"{pad}{v}, {self.pick(VARS)} = {either()}"]
        if kind == 12:
            return [f"{pad}{self.pick(('del ' + v, 'pass', 'break', 'continue', 'raise ValueError(v)'))}"]
        if kind == 13:
            return [pad + self.pick(("import torch", "import torch.nn.functional as F", "from torch import nn",
                                     "import torch.linalg", "from torch import ones, zeros", f"assert {v}, v",
                                     f"return {v}"))]
        body = self.block(indent + 1, depth - 1)
        if kind == 14:
            lines = [f"{pad}if {self.expr(1)}:", *body]
            return lines + ([f"{pad}else:", *self.block(indent + 1, depth - 1)] if self.integer(0, 1) else [])
        if kind == 15:
            return [f"{pad}for {v} in {self.iterable()}:", *body]
        if kind == 16:
            n = f"_n{indent}"  # one counter per level, so an inner loop cannot reset an outer one
            return [f"{pad}{n} = 0", f"{pad}while {n} < 3:", f"{pad}    {n} += 1", *body]
        if kind == 17:
            params = self.pick(("", "a", "a, b=1", "*a", "a, **k", "a=[]"))
            return [f"{pad}def f({params}):", *body, f"{pad}    return {self.expr(1)}", f"{pad}{v} = f({self.args(1)})"]
        if kind == 18:
            handler = self.pick(("except:", "except Exception as e:", "except (ValueError, TypeError):",
                                 "except RuntimeError as e:", "finally:", "except print:"))
            return [f"{pad}try:", *body, f"{pad}{handler}", *self.block(indent + 1, depth - 1)]
        if kind == 19:
            ctx = self.pick(("no_grad()", "torch.no_grad()", "enable_grad()", "set_grad_enabled(False)",
                             "detect_anomaly()", "torch.autograd.detect_anomaly()", "1"))
            return [f"{pad}with {ctx}:", *body]
        if kind == 20:
            lr, momentum = self.pick(("0.1", "-1", "x", "1e999")), self.pick(("0", "0.9", "nan"))
            return [f"{pad}o = SGD([{v}], lr={lr}, momentum={momentum})", f"{pad}{v}.sum().backward()",
                    f"{pad}o.step()", f"{pad}o.zero_grad()"]
        return [f"{pad}{v} = {self.pick(('lambda a: ', 'lambda: '))}{self.expr(1)}", f"{pad}{v}({self.args(0)})"]

    def program(self) -> str:
        lines = []
        if self.integer(0, 7):
            lines = ["x = tensor([1., 2., 3.], requires_grad=True)", "y = x * 2", "w = randn(3, 3, requires_grad=True)",
                     "v = ones(3)", "loss = (w @ x).sum()"]
        for _ in range(self.integer(1, 5)):
            lines += self.stmt(0, 2)
        return "\n".join(lines) + "\n"


GENERATED = settings(max_examples=300, derandomize=True, deadline=None, database=None,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def _gen(data) -> ProgramGen:
    return ProgramGen(lambda seq: data.draw(st.sampled_from(seq)), lambda lo, hi: data.draw(st.integers(lo, hi)))


@GENERATED
@given(st.data())
def test_generated_programs_fail_cleanly(data):
    check(_gen(data).program(), tolerate_known=True)


@GENERATED
@given(st.data())
def test_generated_expressions_through_the_calculator_path(data):
    expression = _gen(data).expr(3)
    runner = Runner(write=lambda s: None, warn=lambda m, s: None, echo=False)
    runner.run("x = tensor([1., 2., 3.], requires_grad=True)\ny = x * 2\nw = randn(3, 3)\nv = ones(3)\n"
               "loss = y.sum()\n")
    try:
        with watchdog():
            runner.evaluate(expression, FILENAME)
    except GradcliError as err:
        if not known_bug(err):
            assert err.message.strip() and not err.message.startswith("internal error"), err.message
            if err.span is not None:
                assert_span_inside(err.span, expression, err.message)


@settings(max_examples=150, derandomize=True, deadline=None, database=None)
@given(st.text(max_size=80))
def test_any_text_as_a_script(text):
    check(text)


def test_program_generator_reaches_the_engine():
    """Guard the generator's usefulness: most programs must get past parsing and name lookup."""
    rng = random.Random("generator coverage")
    kinds: dict[str, int] = {}
    for _ in range(300):
        _, _, err = run_script(ProgramGen(rng.choice, rng.randint).program())
        kind = "ok" if err is None else type(err).__name__
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds.get("GradcliSyntaxError", 0) < 60, kinds
    assert sum(kinds.get(k, 0) for k in ("ok", "ShapeError", "AutogradError", "DTypeError", "IndexOutOfRange",
                                        "ArgumentError", "LimitExceeded")) > 60, kinds


# ----------------------------------------------------------------------------- known bugs (in-process)
KNOWN_BUGS = [
    pytest.param("break", "'break' outside a loop", id="top-level-break"),
    pytest.param("for i in range(2):\n    pass\ncontinue", "'continue' outside a loop", id="top-level-continue"),
    pytest.param("o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.param_groups[0]['params'].append(print)\n"
                 "o.step()", None, id="sgd-param-groups-append"),
    pytest.param("o = SGD([tensor(1., requires_grad=True)], lr=0.1)\no.param_groups[0]['params'] = [1]\no.step()",
                 None, id="sgd-param-groups-replace"),
]


@pytest.mark.parametrize("source, words", KNOWN_BUGS)
def test_known_bugs(source, words):
    err = check(source)
    assert err is not None
    if words:
        assert isinstance(err, GradcliSyntaxError) and words in err.message, err.message


def test_tensor_of_a_self_containing_list_is_refused():
    err = check("a = [1.]\na.append(a)\ntensor(a)", seconds=3)
    assert err is not None


# ----------------------------------------------------------------------------- the element cap
CAP_BYPASSES = {
    "str-ljust": "'a'.ljust(5000)", "str-center": "'a'.center(5000)", "str-zfill": "'a'.zfill(5000)",
    "str-concat": "s = 'a' * 1000\ns = s + s", "list-concat": "l = [0] * 1000\nl = l + l",
    "list-iadd": "l = [0] * 1000\nl += l", "list-extend": "l = [0] * 1000\nl.extend(l)",
    "list-slice-assign": "l = [0] * 1000\nl[:0] = l", "fstring-width": "f'{1:5000}'", "percent-width": "'%5000d' % 1",
    "str-replace": "s = 'ab' * 500\ns.replace('a', s)", "str-join": "', '.join(['a' * 999] * 999)",
    "dict-of-enumerate": "dict(enumerate(range(5000)))", "dict-update": "d = {}\nd.update(enumerate(range(5000)))",
    "comparison-broadcast": "ones(100).reshape(100, 1) == ones(100)",
    "lt-broadcast": "ones(100).reshape(100, 1) < ones(100)",
    "eq-function-broadcast": "eq(ones(100).reshape(100, 1), ones(100))",
    "numpy-broadcast": "ones(100, 1).numpy() + ones(100).numpy()",
}


@pytest.mark.parametrize("source", [pytest.param(v, id=k) for k, v in CAP_BYPASSES.items()])
def test_the_element_cap_covers_every_way_to_grow_a_value(source):
    limits.max_elements = 1000
    err = check(source)
    assert isinstance(err, LimitExceeded), f"not refused: {source!r} -> {err}"


ALLOCATE_THEN_REFUSE = {
    "broadcast-add": "ones(3000, 1) + ones(3000)",
    "broadcast-mul-grad": "x = ones(3000, 1, requires_grad=True)\nx * ones(3000)",
    "where": "where(ones(3000, 1) > 0, ones(3000), 0.)",
    "matmul-empty-inner": "zeros(3000, 0) @ zeros(0, 3000)",
    "mm-empty-inner": "mm(zeros(3000, 0), zeros(0, 3000))",
    "sum-over-empty-dim": "zeros(0, 10**7).sum(0)",
    "mean-over-empty-dim": "zeros(0, 10**7).mean(0)",
    "mse-loss-broadcast": "mse_loss(ones(3000, 1), ones(3000))",
}


@pytest.mark.parametrize("source", [pytest.param(v, id=k) for k, v in ALLOCATE_THEN_REFUSE.items()])
def test_over_cap_results_are_refused_before_they_are_allocated(source):
    limits.max_elements = 10_000
    tracemalloc.start()
    try:
        err = check(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(err, LimitExceeded), err
    assert peak < 4_000_000, f"{peak / 1e6:.0f} MB allocated before refusing a result over the cap of 10,000"


# ----------------------------------------------------------------------------- the real command
def _env(**extra: str) -> dict:
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100", OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    for name in ("FORCE_COLOR", "PYTHONIOENCODING"):
        env.pop(name, None)
    env.update(extra)
    return env


# Sets the address-space limit inside the child and then runs gradcli (preexec_fn is unsafe next to threads).
_LIMITED = ("import resource, runpy, sys; limit = int(sys.argv[1]); "
            "resource.setrlimit(resource.RLIMIT_AS, (limit, limit)); sys.argv = ['gradcli'] + sys.argv[2:]; "
            "runpy.run_module('gradcli', run_name='__main__', alter_sys=True)")


def gradcli(*args: str, stdin: str | bytes = b"", timeout: float = 60, memory: int | None = None, **env: str):
    """Run the real command; returns (exit code, stdout, stderr, seconds). Exit code None: killed at timeout.

    `memory` caps the child's address space, so a script that runs away with memory fails inside the child
    (MemoryError) instead of bringing the test machine down.
    """
    data = stdin.encode("utf-8", "surrogateescape") if isinstance(stdin, str) else stdin
    command = [sys.executable, "-c", _LIMITED, str(memory)] if memory else [sys.executable, "-m", "gradcli"]
    start = time.perf_counter()
    try:
        p = subprocess.run([*command, *args], input=data, capture_output=True, timeout=timeout, env=_env(**env),
                           cwd=REPO)
    except subprocess.TimeoutExpired as e:
        out, err = (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
        return None, out, err, time.perf_counter() - start
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), \
        time.perf_counter() - start


def assert_clean_exit(code, stderr: str, what: str) -> None:
    assert code in (0, 1, 2), f"{what}: exit code {code}\n{stderr}"
    assert "Traceback" not in stderr, f"{what}: traceback\n{stderr}"
    if code:
        assert stderr.startswith("error:"), f"{what}: stderr does not start with 'error:'\n{stderr}"
        assert "internal error" not in stderr, f"{what}: a Python exception reached the command\n{stderr}"


CLI_SCRIPTS = [
    "", "x = tensor(2., requires_grad=True)\n(x**3).backward()\nx.grad\n", "(" * 10_000, "[" * 10_000,
    "".join(" " * i + "if 1:\n" for i in range(1000)) + " " * 1000 + "pass\n", "-" * 10_000 + "1",
    "a" + ".b" * 10_000, "+".join(["1"] * 100_000), "1e999", "10**10**10", "2**100000", "zeros(10**12)",
    "[0]*10**10", "list(range(10**18))", "变量 = 1\nprint(变量)", "x\u200d = 1", "print('\\ud800')",
    "x = 1\r\nx\r\n", "x = 1\x00", "'abc", "f'{x", "f'{1:{2:{3}}}'", "def f(): return f()\nf()",
    "if 1:\n  1\n 2", "return 1", "break", "class A: pass", "try:\n    1/0", "x.__class__", "__import__('os')",
    "open('/etc/passwd')", "import os", "tensor([1., 2.]) @ tensor([1., 2., 3.])", "x = ones(3)\nx[5]",
    "with detect_anomaly():\n    log(tensor(-1., requires_grad=True)).backward()",
]
CLI_JUNK = [bytes(random.Random(f"cli junk {i}").randrange(256) for _ in range(60)) for i in range(3)]
CLI_EXPRESSIONS = [
    ("9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1", "x=2"), ("x.__class__", "x=1"), ("__import__('os')",), ("1/0",),
    ("x/0", "x=0"), ("log(x)", "x=-1"), ("(" * 10_000,), ("x", "x=" + "(" * 10_000), ("zeros(10**12)",),
    ("x*y", "x=[1.,2.]", "y=[1.,2.,3.]"), ("x", "x='abc'"), ("x", "x=print"), ("x", "x=[[1],[1,2]]"), ("",),
    ("x*2", "x=[1.,2.]", "--vjp", "[1,2,3]"), ("x = 1",), ("'\\x00' + \x01",), ("x", "x=10**400"),
    ("x", "x=2**100000"), ("x*2", "x=1", "--wrt", "y"), ("x", "x=tensor([], requires_grad=True)"),
    ("x", "x=nan", "--json"), ("'\\ud800'",), ("-x**2 + 1", "x=3"), ("-x", "x=1", "--json"), ("--", "-x", "x=1"),
]
KNOWN_CLI_BUGS = [
    pytest.param(("10**5000",), id="expr-huge-int-value"),
    pytest.param(("x*2", "x=[1.,2.]", "--vjp", "'a'"), id="expr-vjp-string"),
]


RUNAWAY = {  # --timeout cases: a handful only, each costs a second
    "while-true": "while True:\n    pass\n",
    "nested-loops": "for i in range(10**9):\n    for j in range(10**9):\n        pass\n",
    "growing-list": "x = [1]\nfor i in x:\n    x.append(i)\n",
    "tensor-loop": "x = tensor(1., requires_grad=True)\nwhile True:\n    x = x * 1.0\n",
}
GIB = 2**30


@pytest.fixture(scope="module")
def cli_results():
    """Run every subprocess case once, all in parallel (each is a fresh interpreter: ~0.5 s of start-up)."""
    jobs = {("run", i): (("run", "-"), s, {}) for i, s in enumerate(CLI_SCRIPTS)}
    jobs.update({("junk", i): (("run", "-"), b, {}) for i, b in enumerate(CLI_JUNK)})
    jobs.update({("expr", a): (a, b"", {}) for a in CLI_EXPRESSIONS + [p.values[0] for p in KNOWN_CLI_BUGS]})
    jobs.update({("runaway", k): (("run", "--timeout", "1", "-"), v, {"timeout": 30, "memory": 4 * GIB})
                 for k, v in RUNAWAY.items()})
    jobs[("strict-stdin",)] = (("run", "-"), CLI_JUNK[0], {"PYTHONIOENCODING": "utf-8"})
    jobs[("one-c-call",)] = (("run", "--timeout", "1", "-"), "sum(range(10**18))\n", {"timeout": 6})
    jobs[("materialise",)] = (("run", "--max-elements", "1000", "--timeout", "5", "-"), "list(zip(range(10**10)))\n",
                              {"timeout": 30, "memory": 2 * GIB})
    with ThreadPoolExecutor(max_workers=max(2, (os.cpu_count() or 2) * 2)) as pool:
        futures = {k: pool.submit(gradcli, *args, stdin=stdin, **kw) for k, (args, stdin, kw) in jobs.items()}
        return {k: f.result() for k, f in futures.items()}


@pytest.mark.parametrize("index", range(len(CLI_SCRIPTS)), ids=[f"run-{i}" for i in range(len(CLI_SCRIPTS))])
def test_cli_run_stdin(cli_results, index):
    code, _, err, _ = cli_results[("run", index)]
    assert_clean_exit(code, err, repr(CLI_SCRIPTS[index][:60]))


@pytest.mark.parametrize("index", range(len(CLI_JUNK)))
def test_cli_run_binary_junk_on_stdin(cli_results, index):
    code, _, err, _ = cli_results[("junk", index)]
    assert_clean_exit(code, err, repr(CLI_JUNK[index][:40]))
    assert code == 2


@pytest.mark.parametrize("args", [pytest.param(a, id=f"expr-{i}") for i, a in enumerate(CLI_EXPRESSIONS)]
                         + KNOWN_CLI_BUGS)
def test_cli_expression(cli_results, args):
    code, _, err, _ = cli_results[("expr", args)]
    assert_clean_exit(code, err, repr(args)[:80])


def test_cli_run_non_utf8_stdin_under_a_strict_utf8_locale(cli_results):
    code, _, err, _ = cli_results[("strict-stdin",)]
    assert_clean_exit(code, err, repr(CLI_JUNK[0][:40]))


def test_cli_sample_is_large_enough():
    assert len(CLI_SCRIPTS) + len(CLI_JUNK) + len(CLI_EXPRESSIONS) >= 40


# ----------------------------------------------------------------------------- timeouts and memory
@pytest.mark.parametrize("name", RUNAWAY)
def test_timeout_stops_runaway_scripts(cli_results, name):
    code, _, err, seconds = cli_results[("runaway", name)]
    assert_clean_exit(code, err, RUNAWAY[name])
    assert code == 1 and "timeout" in err, err
    assert seconds < 15


def test_timeout_stops_a_single_long_builtin_call(cli_results):
    code, _, err, seconds = cli_results[("one-c-call",)]
    # refused up front by the size cap (better than a timeout), or stopped by --timeout
    assert code == 1 and ("timeout" in err or "limit" in err) and seconds < 30, (code, err, seconds)


def test_element_cap_answers_before_memory_runs_out(cli_results):
    code, _, err, _ = cli_results[("materialise",)]
    assert_clean_exit(code, err, "list(zip(range(10**10)))")
    assert "limit of 1,000" in err, err
