"""Running a command body: limits, timeout, and turning every failure into a diagnostic and an exit code."""

from __future__ import annotations

import signal
import sys

from gradcli.cli.console import Streams
from gradcli.errors import GradcliError, Interrupted, LimitExceeded


class Timeout(BaseException):
    """Raised by the alarm handler; a BaseException so no `except Exception` swallows it."""


def guarded(streams: Streams, body, *, max_elements: int = 2**27, timeout: float | None = None) -> int:
    """Run body(); print any error. Returns the exit code (0 ok, 1 runtime, 2 usage/syntax, 130 interrupt)."""
    from gradcli.engine import limits

    limits.max_elements = max_elements
    if timeout:
        def on_alarm(signum, frame):
            raise Timeout()
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    code = 0
    try:
        body()
    except GradcliError as err:
        streams.error(err)
        code = err.exit_code
    except Timeout:
        streams.error(LimitExceeded(f"stopped after the --timeout of {timeout:g} s",
                                    hint="raise --timeout, or check for a loop that never ends"))
        code = 1
    except KeyboardInterrupt:
        streams.error(Interrupted("interrupted"))
        code = 130
    except RecursionError:
        streams.error(LimitExceeded("too deeply nested", hint="simplify the input"))
        code = 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence against a traceback
        streams.error(GradcliError(f"internal error ({type(exc).__name__}): {exc}",
                                   hint="this is a bug in gradcli; please report it with the input"))
        code = 1
    finally:
        if timeout:
            signal.setitimer(signal.ITIMER_REAL, 0)
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    return code
