"""Formatting of numbers and small blocks shared by the report's sections and the CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["fmt", "fmt_p", "p_eq", "lv", "ci_pct", "kv", "figure_file"]


def fmt(x, digits: int = 3) -> str:
    """A number with ``digits`` decimals, or an en dash when missing."""
    try:
        return "–" if x is None or not np.isfinite(float(x)) else f"{float(x):.{digits}f}"
    except (TypeError, ValueError):
        return str(x)


def fmt_p(p) -> str:
    """A p-value: three decimals, ``<0.001`` below that, en dash when missing."""
    if p is None or not np.isfinite(float(p)):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def p_eq(p) -> str:
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def lv(level) -> str:
    return f"p = {level:g}"


def ci_pct(alpha: float) -> str:
    return f"{100 * (1 - alpha):.0f} %"


def kv(d: dict) -> tuple:
    return ("table", ["setting", "value"], [[str(k), str(v)] for k, v in d.items()])


def figure_file(files, stem: str):
    return next((p for p in files if Path(p).name == f"{stem}.png"), None)
