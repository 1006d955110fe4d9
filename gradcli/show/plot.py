"""A terminal plot of f and f' on one grid: characters only, deterministic, no colour needed."""

from __future__ import annotations

import math

import numpy as np

from gradcli.show.values import shortest


def plot_text(xs: np.ndarray, series: list[tuple[str, str, np.ndarray]], width: int = 72, height: int = 20,
              title: str = "") -> str:
    """Plot each (label, mark, ys) over xs; y axis shared. Non-finite points are left out."""
    finite = np.concatenate([ys[np.isfinite(ys)] for _, _, ys in series]) if series else np.array([])
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if hi - lo < 1e-12:
        lo, hi = lo - 1.0, hi + 1.0
    grid = [[" "] * width for _ in range(height)]
    if lo < 0 < hi:  # the x axis
        row = round((hi - 0.0) / (hi - lo) * (height - 1))
        grid[row] = ["-"] * width
    cols = np.round((xs - xs[0]) / max(xs[-1] - xs[0], 1e-300) * (width - 1)).astype(int)
    for _, mark, ys in series:
        for c, y in zip(cols, ys):
            if math.isfinite(y):
                grid[round((hi - y) / (hi - lo) * (height - 1))][c] = mark
    label_w = max(len(_num(hi)), len(_num(lo)))
    lines = [title] if title else []
    for i, row in enumerate(grid):
        tick = _num(hi) if i == 0 else _num(lo) if i == height - 1 else ""
        lines.append(f"{tick.rjust(label_w)} |{''.join(row)}")
    lines.append(" " * label_w + " +" + "-" * width)
    left, right = _num(float(xs[0])), _num(float(xs[-1]))
    lines.append(" " * (label_w + 2) + left + right.rjust(width - len(left)))
    lines.append("   ".join(f"{mark} {label}" for label, mark, _ in series))
    return "\n".join(lines) + "\n"


def _num(x: float) -> str:
    text = shortest(float(f"{x:.4g}"))
    return text
