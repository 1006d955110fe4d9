"""`gradcli graph`: one graph model, shown as a tree, a chain, DOT, Mermaid or JSON, or rendered by Graphviz."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from gradcli.cli.console import Streams
from gradcli.errors import GradcliError, UsageError

FORMATS = ("tree", "chain", "dot", "mermaid", "json")
RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def show(streams: Streams, expression, assignments, file, target, fmt, output, explain) -> None:
    from gradcli.show import graph

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    if (expression is None) == (file is None):
        raise UsageError("give either an EXPRESSION or --file SCRIPT", hint="gradcli graph 'x^2' x=3")
    if file is not None:
        root, tensors = _from_script(streams, file, target)
        model = graph.build(root, names=tensors)  # the script's names, for the nodes of its variables
    else:
        root, grads = _from_expression(streams, expression, assignments)
        model = graph.build(root, names={"f": root}, grads=grads)
    if output is not None and Path(output).suffix.lower() in RENDERED:
        _render_with_dot(model, output)
        return
    text = _format(streams, model, fmt, explain)
    if output is not None:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write '{output}': {e.strerror}") from None
    else:
        streams.out(text)


def _format(streams: Streams, model, fmt: str, explain: bool) -> str:
    from gradcli.show import chain, export, render, tree

    if fmt == "tree":
        return render.to_text(tree.render_tree(model, explain=explain, ascii=not render.utf8_output()))
    if fmt == "chain":
        return chain.chain_text(model)
    if fmt == "dot":
        return export.to_dot(model)
    if fmt == "mermaid":
        return export.to_mermaid(model)
    return export.to_json(model) + "\n"


def _from_expression(streams: Streams, expression: str, assignments: list[str]):
    from gradcli.cli import calc
    from gradcli.engine.tensor import Tensor

    streams.sources["<expr>"] = expression
    result = calc.calculate(expression, assignments, jacobian=True)
    if not isinstance(result.value, Tensor):
        raise UsageError("the expression has no tensor to draw", hint="give it a variable: gradcli graph 'x^2' x=3")
    grads = result.gradients if result.value.numel() == 1 else {}
    return result.value, grads


def _from_script(streams: Streams, file: str, target: str | None):
    from gradcli.engine.tensor import Tensor
    from gradcli.lang.runner import Runner

    try:
        source = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read '{file}': {getattr(e, 'strerror', None) or e}") from None
    runner = Runner(write=lambda text: None, warn=lambda message, span: None, echo=False)
    runner.sources = streams.sources
    runner.run(source, file)
    tensors = {n: v for n, v in runner.variables.items() if isinstance(v, Tensor)}
    if target is None:
        target = "loss" if "loss" in tensors else next(reversed(tensors), None)
        if target is None:
            raise UsageError(f"'{file}' leaves no tensor to draw", hint="pass --target NAME")
    if target not in tensors:
        from gradcli.lang.names import suggest
        raise UsageError(f"'{file}' has no tensor variable '{target}'", hint=suggest(target, tensors))
    return tensors[target], tensors


def _render_with_dot(model, output: str) -> None:
    from gradcli.show import export

    dot = shutil.which("dot")
    if dot is None:
        raise GradcliError("rendering needs Graphviz's `dot`, which is not installed",
                           hint="install the graphviz package (apt-get install graphviz), or use "
                                "--format dot and render elsewhere")
    fmt = RENDERED[Path(output).suffix.lower()]
    done = subprocess.run([dot, f"-T{fmt}", "-o", output], input=export.to_dot(model), text=True,
                          capture_output=True, timeout=60)
    if done.returncode != 0:
        raise GradcliError(f"dot could not render the graph: {done.stderr.strip()[:300]}")
