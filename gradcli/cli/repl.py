"""The interactive prompt: prompt_toolkit line editing, history, completion, meta-commands.

State lives in one Runner and survives errors and Ctrl-C. Without a terminal
(tests, pipes) the same loop reads plain lines, so behaviour is identical.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from gradcli.cli.console import Streams
from gradcli.errors import GradcliError, Interrupted, UsageError

HELP = """\
Type Python-like code with PyTorch names; a bare expression prints its value.
  x = tensor([1., 2.], requires_grad=True)
  (x ** 2).sum().backward(); x.grad
Meta-commands:
  :help           this text
  :vars           the variables, with shape, dtype, requires_grad and grad
  :tree NAME      the computation graph behind a tensor
  :load FILE      run a script into this session
  :reset          forget every variable
  :quit           leave (Ctrl-D works too)
Ctrl-C clears the line or stops a running computation; variables are kept."""


def history_path() -> Path:
    override = os.environ.get("GRADCLI_HISTORY")
    if override:
        return Path(override)
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "gradcli" / "history"


class Session:
    """One REPL session: a runner plus meta-commands. Input arrives one complete chunk at a time."""

    def __init__(self, streams: Streams):
        from gradcli.lang.runner import Runner

        self.streams = streams
        self.runner = Runner(write=streams.out, warn=streams.warning)
        self.runner.sources = streams.sources
        self.count = 0
        self.done = False

    def handle(self, text: str) -> None:
        stripped = text.strip()
        if not stripped:
            return
        try:
            if stripped.startswith(":"):
                self.meta(stripped)
            else:
                self.count += 1
                self.runner.run(text, f"<repl:{self.count}>")
        except GradcliError as err:
            self.streams.error(err)
        except KeyboardInterrupt:
            self.streams.error(Interrupted("interrupted", hint="variables assigned so far are kept"))
        sys.stdout.flush()

    def meta(self, line: str) -> None:
        cmd, _, arg = line[1:].partition(" ")
        arg = arg.strip()
        if cmd in ("q", "quit", "exit"):
            self.done = True
        elif cmd in ("h", "help", "?"):
            self.streams.print(HELP)
        elif cmd == "vars":
            self.streams.rich(vars_table(self.runner.variables))
        elif cmd == "reset":
            from gradcli.lang.compiler import Frame
            self.runner.frame = Frame({})
            self.streams.print("all variables forgotten")
        elif cmd == "load":
            if not arg:
                raise UsageError(":load needs a file name", hint=":load examples/tutorial.grad")
            try:
                source = Path(arg).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as e:
                raise UsageError(f"cannot read '{arg}': {e}") from None
            self.runner.run(source, arg)
        elif cmd == "tree":
            from gradcli.show import graph, tree
            value = self.runner.variables.get(arg)
            if value is None:
                raise UsageError(f":tree needs the name of a tensor variable, got '{arg}'")
            self.streams.rich(tree.render_tree(graph.build(value)))
        else:
            from gradcli.lang.names import suggest
            raise UsageError(f"unknown command ':{cmd}'",
                             hint=suggest(cmd, ["help", "vars", "tree", "load", "reset", "quit"]) or ":help lists them")


def vars_table(variables: dict):
    from rich.table import Table

    from gradcli.engine.tensor import Tensor
    from gradcli.show.values import repr_value

    table = Table(title="variables", title_justify="left")
    for col in ("name", "shape", "dtype", "requires_grad", "grad"):
        table.add_column(col)
    for name, v in variables.items():
        if isinstance(v, Tensor):
            grad = v._grad
            gtext = "None" if grad is None else _short(repr_value(grad))
            table.add_row(name, str(list(v.shape)), v.dtype.name, str(v.requires_grad), gtext)
        else:
            table.add_row(name, "", type(v).__name__, "", "")
    return table


def _short(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def start(streams: Streams) -> None:
    session = Session(streams)
    if sys.stdin.isatty() and sys.stdout.isatty():
        _prompt_loop(session)
    else:
        _plain_loop(session)


def _plain_loop(session: Session) -> None:
    """No terminal: read lines, gather complete chunks, run them. Same prompts on stdout."""
    from gradcli.lang.parser import is_incomplete

    buffer: list[str] = []
    for line in sys.stdin:
        line = line.rstrip("\n")
        buffer.append(line)
        text = "\n".join(buffer)
        if is_incomplete(text) and not (len(buffer) > 1 and line.strip() == ""):
            continue
        buffer = []
        session.handle(text + "\n")
        if session.done:
            return
    if buffer:
        session.handle("\n".join(buffer) + "\n")


def _prompt_loop(session: Session) -> None:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    from gradcli.lang.parser import is_incomplete

    path = history_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        history = FileHistory(str(path))
    except OSError:
        history = InMemoryHistory()
    prompt = PromptSession(history=history, completer=make_completer(session), complete_while_typing=False)
    session.streams.print("gradcli — type :help for help, Ctrl-D to quit")
    while not session.done:
        lines: list[str] = []
        try:
            while True:
                line = prompt.prompt(">>> " if not lines else "... ")
                lines.append(line)
                text = "\n".join(lines)
                if text.strip().startswith(":"):
                    break
                if not is_incomplete(text) or (len(lines) > 1 and line.strip() == ""):
                    if len(lines) == 1 or line.strip() == "" or not _opens_block(text):
                        break
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        session.handle("\n".join(lines) + "\n")


def _opens_block(text: str) -> bool:
    """A compound statement goes on until an empty line, as at Python's prompt."""
    first = text.lstrip().split("\n", 1)[0]
    return bool(re.match(r"(if|for|while|def|with|try|elif|else)\b", first))


def make_completer(session: Session):
    """Tab completion of names, and of attributes after `name.` (from the tables: nothing is evaluated)."""
    from prompt_toolkit.completion import Completer, Completion

    class NameCompleter(Completer):
        def get_completions(self, document, complete_event):
            for typed, word in candidates(session, document.text_before_cursor):
                yield Completion(word, start_position=-len(typed))

    return NameCompleter()


def candidates(session: Session, text: str):
    """(typed prefix, completion) pairs for the text before the cursor."""
    from gradcli.lang import names
    from gradcli.lang.builtins import BUILTINS

    m = re.search(r"([A-Za-z_][A-Za-z_0-9]*(?:\.[A-Za-z_][A-Za-z_0-9]*)*)\.([A-Za-z_0-9]*)$", text)
    if m:
        obj = _resolve(session, m.group(1))
        prefix = m.group(2)
        for attr in sorted(attributes_of(obj)):
            if attr.startswith(prefix) and not attr.startswith("__"):
                yield prefix, attr
        return
    m = re.search(r"(:?[A-Za-z_][A-Za-z_0-9]*)$", text)
    prefix = m.group(1) if m else ""
    if prefix.startswith(":"):
        for c in (":help", ":vars", ":tree", ":load", ":reset", ":quit"):
            if c.startswith(prefix):
                yield prefix, c
        return
    pool = set(session.runner.variables) | set(BUILTINS) | set(names.MODULES)
    for word in sorted(pool):
        if prefix and word.startswith(prefix) and "." not in word:
            yield prefix, word


def _resolve(session: Session, dotted: str):
    from gradcli.lang.builtins import BUILTINS
    from gradcli.lang.names import get_attribute

    head, *rest = dotted.split(".")
    obj = session.runner.variables.get(head, BUILTINS.get(head))
    for part in rest:
        try:
            obj = get_attribute(obj, part) if not callable(obj) or hasattr(obj, "table") else None
        except GradcliError:
            return None
    return obj


def attributes_of(obj) -> list[str]:
    from gradcli.engine.tensor import Tensor
    from gradcli.lang import names

    if isinstance(obj, Tensor):
        return [*names.TENSOR_PROPERTIES, *names.TENSOR_METHODS]
    if isinstance(obj, names.Namespace):
        return list(obj.table)
    if hasattr(obj, "next_functions"):
        return list(names.NODE_ATTRS)
    table = names._table_for(obj) if obj is not None else None
    return list(table or ())
