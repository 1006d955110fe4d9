"""The exp of PyTorch's vectorized CPU kernels (softmax, log_softmax), to the last bit.

Inside softmax and log_softmax, PyTorch computes exp with `Vectorized<float>::exp()`, which is
SLEEF's `expf_u10` (1-ULP, not always correctly rounded), whereas `torch.exp` itself is correctly
rounded nearly always. `sleef_expf` is SLEEF's algorithm (sleefsimdsp.c, xexpf) with the FMAs the
AVX-512 build uses, each emulated exactly in float64: a product of two float32 values is exact in
float64, so rounding a + b·c once to float32 is the FMA's result (no double-rounding case arises
for the magnitudes involved). float64 inputs use NumPy's exp.
"""

from __future__ import annotations

import numpy as np

_F32, _F64 = np.float32, np.float64
_R_LN2 = _F32(1.442695040888963407359924681001892137426645954152985934135449406931)
_L2U = _F32(0.693145751953125)
_L2L = _F32(1.428606765330187045e-06)
_POLY = [_F32(c) for c in (0.000198527617612853646278381, 0.00139304355252534151077271,
                           0.00833336077630519866943359, 0.0416664853692054748535156,
                           0.166666671633720397949219, 0.5)]


def _fma(a, b, c):
    return (a.astype(_F64) * b + c).astype(_F32)


def sleef_expf(d: np.ndarray) -> np.ndarray:
    """SLEEF's expf_u10 on a float32 array (other dtypes: np.exp)."""
    if d.dtype != _F32:
        return np.exp(d)
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        q = np.rint(d * _R_LN2)
        s = _fma(q, -_F64(_L2U), d)
        s = _fma(q, -_F64(_L2L), s)
        u = np.full(s.shape, _POLY[0], _F32)
        for c in _POLY[1:]:
            u = _fma(u, s, c)
        u = _F32(1) + _fma(s * s, u, s)
        q = np.nan_to_num(q, nan=0.0, posinf=0.0, neginf=0.0).astype(np.int32)
        half = q >> 1
        u = u * np.ldexp(_F32(1), half).astype(_F32) * np.ldexp(_F32(1), q - half).astype(_F32)
        u = np.where(d < -104, _F32(0), u)
        u = np.where(d > 100, _F32(np.inf), u)
        return np.where(np.isnan(d), d, u).astype(_F32, copy=False)
