"""Rich tables: gradient checks (autograd vs finite differences)."""

from __future__ import annotations


def check_table(comparisons):
    from rich.table import Table

    table = Table(title="autograd vs central finite differences (float64)", title_justify="left")
    for col, justify in (("variable", "left"), ("shape", "left"), ("max abs error", "right"),
                         ("max rel error", "right"), ("result", "left")):
        table.add_column(col, justify=justify)
    for c in comparisons:
        table.add_row(c.name, str(list(c.shape)), f"{c.max_abs:.3g}", f"{c.max_rel:.3g}",
                      "ok" if c.ok else "MISMATCH")
    return table
