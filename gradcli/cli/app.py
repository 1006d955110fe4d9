"""The `gradcli` command (typer): calculator, scripts, REPL; exit codes and error printing.

`gradcli EXPR NAME=VALUE...` is short for `gradcli eval EXPR NAME=VALUE...`;
plain `gradcli` starts the REPL on a terminal and runs stdin as a script otherwise.
Exit codes: 0 ok, 1 runtime error, 2 usage or syntax error, 130 interrupted.
"""

from __future__ import annotations

import sys
from typing import List, Optional

import typer

from gradcli import __version__
from gradcli.cli import execute
from gradcli.cli.console import Streams
from gradcli.errors import GradcliError

app = typer.Typer(
    name="gradcli",
    help="A command-line gradient calculator: math and PyTorch-style tensor code with autograd.\n\n"
         "Examples:\n\n"
         "  gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2\n\n"
         "  gradcli 'sin(x)*y' x=pi/4 y=3 --wrt x\n\n"
         "  gradcli run examples/tutorial.grad\n\n"
         "  gradcli repl",
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool):
    if value:
        print(f"gradcli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    """A command-line gradient calculator."""


MAX_ELEMENTS = typer.Option(2**27, "--max-elements", min=1, help="Refuse tensors with more elements than this.")
TIMEOUT = typer.Option(None, "--timeout", min=0.001, help="Stop after this many seconds.")
PLAIN = typer.Option(False, "--plain", help="No colour or decoration, even on a terminal.")


def guarded(streams: Streams, body, *, max_elements: int, timeout: float | None) -> None:
    code = execute.guarded(streams, body, max_elements=max_elements, timeout=timeout)
    if code:
        raise typer.Exit(code)


@app.command("eval")
def eval_command(
    expression: str = typer.Argument(..., help="The expression, e.g. '9*x^4 + 6*x + 1' (^ is power)."),
    assignments: Optional[List[str]] = typer.Argument(None, help="Variable values: NAME=VALUE, VALUE any "
                                                                 "expression (x=2, v='[1, 2]', w='randn(3)')."),
    wrt: Optional[str] = typer.Option(None, "--wrt", help="Differentiate only with respect to these "
                                                           "(comma-separated)."),
    dtype: str = typer.Option("float64", "--dtype", help="float64 (default) or float32."),
    jacobian: bool = typer.Option(False, "--jacobian", help="Full Jacobian of a non-scalar expression."),
    vjp: Optional[str] = typer.Option(None, "--vjp", help="Vector-Jacobian product with this vector."),
    hessian: bool = typer.Option(False, "--hessian", help="Second derivatives too."),
    json_output: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    tree: bool = typer.Option(False, "--tree", help="Draw the computation graph."),
    ledger: bool = typer.Option(False, "--ledger", help="Show the chain rule path by path."),
    explain: bool = typer.Option(False, "--explain", help="With --tree: each node's derivative rule."),
    emit: Optional[str] = typer.Option(None, "--emit", help="Print equivalent code: 'torch'."),
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
    timeout: Optional[float] = TIMEOUT,
):
    """Evaluate EXPR and print its value and gradient with respect to every variable.

    Examples:

      gradcli '9*x^4 + 2*x^3 + 3*x^2 + 6*x + 1' x=2

      gradcli 'x^2 + z^3' x=1 z=2 --wrt z

      gradcli 'sum(v^2)' v='[1, 2, 3]' --json

      gradcli 'v^2' v='[1, 2, 3]' --jacobian

      gradcli 'x^3' x=2 --hessian
    """
    from gradcli.cli import report

    streams = Streams(plain)
    if dtype not in ("float64", "float32"):
        streams.error(GradcliError(f"--dtype must be float64 or float32, not '{dtype}'"))
        raise typer.Exit(2)
    options = report.CalcOptions(wrt=[w.strip() for w in wrt.split(",") if w.strip()] if wrt else None,
                                 dtype=dtype, jacobian=jacobian, vjp=vjp, hessian=hessian, json=json_output,
                                 tree=tree, ledger=ledger, explain=explain, emit=emit)
    guarded(streams, lambda: report.calculator(streams, expression, assignments or [], options),
            max_elements=max_elements, timeout=timeout)


@app.command("check")
def check_command(
    expression: str = typer.Argument(..., help="The expression to check."),
    assignments: Optional[List[str]] = typer.Argument(None, help="Variable values: NAME=VALUE."),
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
    timeout: Optional[float] = TIMEOUT,
):
    """Compare autograd's gradients with central finite differences (float64); exit 1 on a mismatch.

    Examples:

      gradcli check 'sin(x) * y^2' x=1 y=2

      gradcli check 'sum(softmax(v, 0) * v)' v='[1, 2, 3]'
    """
    streams = Streams(plain)

    def body():
        from gradcli.cli import calc
        from gradcli.errors import NumericError
        from gradcli.show.tables import check_table

        comparisons = calc.check(expression, assignments or [])
        streams.rich(check_table(comparisons))
        bad = [c.name for c in comparisons if not c.ok]
        if bad:
            raise NumericError(f"autograd and finite differences disagree for {', '.join(bad)}",
                               hint="the expression may not be differentiable at this point")

    guarded(streams, body, max_elements=max_elements, timeout=timeout)


@app.command("graph")
def graph_command(
    expression: Optional[str] = typer.Argument(None, help="An expression (or use --file)."),
    assignments: Optional[List[str]] = typer.Argument(None, help="Variable values: NAME=VALUE."),
    file: Optional[str] = typer.Option(None, "--file", help="Run this script and draw one of its tensors."),
    target: Optional[str] = typer.Option(None, "--target", help="With --file: the variable to draw "
                                                                 "(default: loss, else the last tensor)."),
    fmt: str = typer.Option("tree", "--format", help="tree, chain, dot, mermaid or json."),
    output: Optional[str] = typer.Option(None, "--output", "-o", help="Write to a file; .svg/.png/.pdf are "
                                                                       "rendered with Graphviz's dot."),
    explain: bool = typer.Option(False, "--explain", help="Tree: show each node's derivative rule."),
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
    timeout: Optional[float] = TIMEOUT,
):
    """Show the computation graph of an expression or of a script's tensor.

    Examples:

      gradcli graph 'sin(x) * x + x' x=0.5

      gradcli graph 'tanh(w @ v)' w='randn(2, 3)' v='[1, 2, 3]' --format dot

      gradcli graph --file examples/01_one_layer_net.grad --target loss --format mermaid

      gradcli graph --file net.grad --output net.svg
    """
    from gradcli.cli import graphs

    streams = Streams(plain)
    guarded(streams, lambda: graphs.show(streams, expression, assignments or [], file, target, fmt, output, explain),
            max_elements=max_elements, timeout=timeout)


@app.command("plot")
def plot_command(
    expression: str = typer.Argument(..., help="A function of one variable."),
    assignments: List[str] = typer.Argument(..., help="The range NAME=A:B, then any other NAME=VALUE."),
    points: int = typer.Option(72, "--points", min=2, max=1000, help="How many x values to sample."),
    height: int = typer.Option(20, "--height", min=5, max=100, help="Rows of the plot."),
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
    timeout: Optional[float] = TIMEOUT,
):
    """Plot f and its derivative f' over a range, in the terminal.

    Examples:

      gradcli plot 'sin(x)' x=-pi:pi

      gradcli plot 'x^3 - 3*x' x=-2:2 --height 12
    """
    streams = Streams(plain)

    def body():
        from gradcli.cli import calc
        from gradcli.show.plot import plot_text

        name, xs, ys, ds = calc.sample(expression, assignments[0], assignments[1:], points)
        streams.out(plot_text(xs, [("f", "*", ys), (f"df/d{name}", "o", ds)], width=points, height=height,
                              title=f"f = {expression}"))

    guarded(streams, body, max_elements=max_elements, timeout=timeout)


@app.command("run")
def run_command(
    files: List[str] = typer.Argument(..., help="Script files to run in order; '-' reads stdin."),
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
    timeout: Optional[float] = TIMEOUT,
):
    """Run gradcli scripts (Python-like, PyTorch-style code) as if typed at Python's prompt.

    Bare expressions echo their value, print() prints, and the first error stops the run
    with its file, line, column and a caret.

    Examples:

      gradcli run examples/tutorial.grad

      echo 'x = tensor(2., requires_grad=True); (x**3).backward(); x.grad' | gradcli run -
    """
    streams = Streams(plain)
    guarded(streams, lambda: _run_files(streams, files), max_elements=max_elements, timeout=timeout)


def _run_files(streams: Streams, files: list[str]) -> None:
    from gradcli.errors import UsageError
    from gradcli.lang.runner import Runner

    runner = Runner(write=streams.out, warn=streams.warning)
    runner.sources = streams.sources
    for name in files:
        if name == "-":
            try:
                source, label = sys.stdin.buffer.read().decode("utf-8"), "<stdin>"
            except UnicodeDecodeError:
                raise UsageError("standard input is not UTF-8 text") from None
        else:
            try:
                with open(name, encoding="utf-8") as f:
                    source = f.read()
            except OSError as e:
                raise UsageError(f"cannot read '{name}': {e.strerror}", hint="check the path") from None
            except UnicodeDecodeError:
                raise UsageError(f"'{name}' is not UTF-8 text") from None
            label = name
        runner.run(source, label)


@app.command("repl")
def repl_command(
    plain: bool = PLAIN,
    max_elements: int = MAX_ELEMENTS,
):
    """Start the interactive prompt (state survives errors; :help lists commands).

    Examples:

      gradcli repl

      gradcli            (on a terminal)
    """
    from gradcli.cli import repl

    streams = Streams(plain)
    guarded(streams, lambda: repl.start(streams), max_elements=max_elements, timeout=None)


def main(argv: list[str] | None = None) -> None:
    from gradcli.cli.main import main as entry

    entry(argv)
