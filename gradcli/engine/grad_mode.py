"""Whether operations are being recorded (PyTorch's grad mode)."""

from __future__ import annotations


class _State:
    __slots__ = ("enabled", "anomaly")  # read by every op: slots read fastest

    def __init__(self):
        self.enabled = True
        self.anomaly = False  # detect_anomaly(): report the first op that makes NaN/inf


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class set_grad_enabled:
    """Context manager (and plain call) that sets grad mode, restoring it on exit."""

    def __init__(self, mode: bool):
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __repr__(self) -> str:  # what PyTorch echoes for `torch.set_grad_enabled(False)` at the prompt
        return f"torch.autograd.grad_mode.set_grad_enabled(mode={self.mode})"

    describe = __repr__  # how the language shows it (gradcli.show.values)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False


class no_grad:
    """`with no_grad():` — results of ops inside do not require grad."""

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = False
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
        return False

    def __repr__(self) -> str:
        return "<torch.autograd.grad_mode.no_grad>"

    def describe(self) -> str:  # how the language shows it: PyTorch's repr without the address
        return repr(self)


class enable_grad(no_grad):
    def __enter__(self):
        self.prev = state.enabled
        state.enabled = True
        return self

    def __repr__(self) -> str:
        return "<torch.autograd.grad_mode.enable_grad>"


class detect_anomaly(no_grad):
    """Makes the engine check every op's result and gradient for NaN/inf."""

    def __enter__(self):
        self.prev = state.anomaly
        state.anomaly = True
        return self

    def __exit__(self, *exc):
        state.anomaly = self.prev
        return False

    def __repr__(self) -> str:
        return "<torch.autograd.anomaly_mode.detect_anomaly>"


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly detection on or off for what follows (torch.autograd.set_detect_anomaly)."""
    state.anomaly = bool(mode)


def is_anomaly_enabled() -> bool:
    return state.anomaly
