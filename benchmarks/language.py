"""Benchmark 5: what the language layer costs on top of the engine calls it makes.

(a) A 10,000-iteration `for` loop of scalar tensor ops (mul, sin, add on a
    0-d tensor that requires grad), run through `Runner(...).run(src)` —
    parse, compile and execute — against the same engine calls written
    directly in Python. Target ≤ 1.5×.
(b) A 10,000-line script (four kinds of tensor statements, then backward)
    must parse and run; reported are parse time and whole-run time, next to
    Python's own compile+exec of the same lines over the same engine functions
    (the lines are valid Python too). No target beyond completing.
"""

from __future__ import annotations

from benchmarks.harness import Clock, Row, fmt_time, ratio, timed, unavailable, verdict

NAME = "language"
ITERATIONS = 10_000
TARGET_RATIO = 1.5

LOOP_SRC = f"""x = tensor(0.5, requires_grad=True)
y = x
for i in range({ITERATIONS}):
    y = y * 1.0001 + sin(y)
"""

STATEMENTS = ("y = y * 1.0001 + sin(y)", "z = (y - 0.5) ** 2 / 3", "y = y + 0.001 * z.tanh()",
              "w = exp(-y) + y.cos() * 2")


def big_script(lines: int = 10_000) -> str:
    body = ["x = tensor(0.5, requires_grad=True)", "y = x * 1"]
    body += [STATEMENTS[i % len(STATEMENTS)] for i in range(lines - 3)]
    body.append("y.backward()")
    return "\n".join(body) + "\n"


def run_script(src: str):
    from gradcli.lang.runner import Runner

    runner = Runner(write=lambda text: None, echo=False)
    runner.run(src, "<bench>")
    return runner.variables


def direct_loop():
    from gradcli.engine.api import TORCH as T

    tensor, sin = T["tensor"], T["sin"]
    x = tensor(0.5, requires_grad=True)
    y = x
    for i in range(ITERATIONS):
        y = y * 1.0001 + sin(y)
    return {"x": x, "y": y}


def python_exec(src: str) -> dict:
    """The same lines as Python source, over the engine's functions: the floor the language can reach."""
    from gradcli.engine.api import TORCH as T

    namespace = {name: T[name] for name in ("tensor", "sin", "exp")}
    exec(compile(src, "<bench>", "exec"), namespace)  # noqa: S102 - our own generated benchmark source
    return namespace


def profile_target(quick: bool):
    return lambda: run_script(LOOP_SRC)


def _value(variables: dict, name: str, grad: bool = False) -> float:
    t = variables[name].grad if grad else variables[name]
    return float(t.array)


def run(quick: bool) -> list[Row]:
    repeats = 3 if quick else 7
    rows = []
    try:
        run_script(LOOP_SRC)  # warm-up: grammar, lazy imports
    except Exception as exc:  # noqa: BLE001 - a missing feature is reported, not raised
        rows.append(unavailable(f"{NAME} loop", exc))
    else:
        direct_loop()
        (t_lang, lang_y), (t_py, py_y) = timed(lambda: _value(run_script(LOOP_SRC), "y"),
                                              lambda: _value(direct_loop(), "y"), repeats=repeats)
        same = abs(lang_y - py_y) < 1e-6
        note = (f"{ITERATIONS:,} iterations of `y = y * 1.0001 + sin(y)`, timed in alternation; Runner.run "
                f"includes parsing and compiling the 4-line program; {fmt_time(t_lang / ITERATIONS)} vs "
                f"{fmt_time(t_py / ITERATIONS)} per iteration.")
        if not same:
            note += " WARNING: the runner's result differs from the direct engine calls."
        rows.append(Row(f"{NAME} loop", fmt_time(t_lang), f"python {fmt_time(t_py)}", ratio(t_lang, t_py),
                        f"≤ {TARGET_RATIO}× python", verdict(t_lang <= TARGET_RATIO * t_py and same), note))
    rows.append(_big_script(quick))
    return rows


def _big_script(quick: bool) -> Row:
    src = big_script()
    label = f"{NAME} 10,000-line script"
    try:
        from gradcli.lang.parser import parse

        t0 = Clock.now()
        parse(src, "<bench>")
        t_parse = Clock.now() - t0
        (t_run, grad), (t_exec, want) = timed(lambda: _value(run_script(src), "x", grad=True),
                                              lambda: _value(python_exec(src), "x", grad=True),
                                              repeats=1 if quick else 3)
    except Exception as exc:  # noqa: BLE001
        return unavailable(label, exc)
    ok = abs(grad - want) <= 1e-5 * max(1.0, abs(want))
    note = (f"parse alone {fmt_time(t_parse)} ({fmt_time(t_parse / 10_000)}/line); whole Runner.run "
            f"{fmt_time(t_run)}; baseline = Python compile+exec of the same text over the same engine "
            f"functions.")
    if not ok:
        note += f" WARNING: x.grad {grad:.6g} differs from Python's {want:.6g}."
    return Row(label, fmt_time(t_run), f"python {fmt_time(t_exec)}", ratio(t_run, t_exec), "completes",
               verdict(ok), note)
