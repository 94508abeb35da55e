"""The paper's Figure 5 table (metrics per dropout level plus the unimodal row), as Markdown and LaTeX."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.tidy import baseline_rows
from colearn.errors import ConfigError

__all__ = ["figure5_table", "to_latex", "to_markdown"]


def figure5_table(
    table: pd.DataFrame,
    metrics: list[str] | None = None,
    condition: str = "primary",
    setting: str | None = None,
) -> pd.DataFrame:
    """The paper's Figure 5 table: mean (and SD) of each metric per level, plus the unimodal row.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metrics : list of str, optional
        Metrics (columns); default every metric of the condition in the table.
    condition : str
        Evaluation condition.
    setting : str, optional
        Setting; default the first one with multimodal rows.

    Returns
    -------
    pandas.DataFrame
        One row per level, highest level first as in the paper, then ``unimodal``: ``row``
        (``p = 0.95`` … or ``unimodal``), ``level`` (NaN for unimodal), ``n`` (seeds), and for
        each metric ``<metric>`` (mean) and ``<metric>_sd`` (sample SD over seeds).
    """
    rows = table[table["condition"] == condition]
    if rows.empty:
        raise ConfigError(f"the table has no rows for condition {condition!r}.")
    metrics = metrics or sorted(rows["metric"].unique())
    multi = rows[rows["arm"] == "multimodal"]
    setting = setting or sorted(multi["setting"].unique())[0]
    out = []
    levels = sorted(multi.loc[multi["setting"] == setting, "level"].unique(), reverse=True)
    groups = [
        (f"p = {lv:g}", lv, multi[(multi["setting"] == setting) & (multi["level"] == lv)])
        for lv in levels
    ]
    uni = rows[rows["arm"] == "unimodal"]
    groups.append(("unimodal", np.nan, baseline_rows(uni, setting) if len(uni) else uni))
    for name, level, g in groups:
        rec = {"row": name, "level": level, "n": int(g["seed"].nunique())}
        for m in metrics:
            v = g.loc[g["metric"] == m, "value"].to_numpy(float)
            rec[m] = float(v.mean()) if len(v) else np.nan
            rec[f"{m}_sd"] = float(v.std(ddof=1)) if len(v) > 1 else np.nan
        out.append(rec)
    return pd.DataFrame(out)


def _cells(df: pd.DataFrame, digits: int) -> tuple[list[str], list[list[str]]]:
    metrics = [c for c in df.columns if c not in ("row", "level", "n") and not c.endswith("_sd")]
    head = ["level", *metrics, "seeds"]
    body = []
    for r in df.to_dict("records"):
        cells = [r["row"]]
        for m in metrics:
            sd = r.get(f"{m}_sd", np.nan)
            mean = f"{r[m]:.{digits}f}" if np.isfinite(r[m]) else "–"
            cells.append(mean + (f" ± {sd:.{digits}f}" if np.isfinite(sd) else ""))
        cells.append(str(r["n"]))
        body.append(cells)
    return head, body


def to_markdown(df: pd.DataFrame, digits: int = 3) -> str:
    """A :func:`figure5_table` as a Markdown table (mean ± SD over seeds)."""
    head, body = _cells(df, digits)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines) + "\n"


def to_latex(df: pd.DataFrame, digits: int = 3, caption: str = "") -> str:
    """A :func:`figure5_table` as a LaTeX ``tabular`` (booktabs rules, mean $\\pm$ SD)."""
    head, body = _cells(df, digits)
    lines = [
        "\\begin{table}[t]",
        "\\centering",
        "\\begin{tabular}{l" + "r" * (len(head) - 1) + "}",
        "\\toprule",
        " & ".join(h.replace("_", "\\_") for h in head) + " \\\\",
        "\\midrule",
    ]
    for r in body:
        if r[0] == "unimodal":
            lines.append("\\midrule")
        lines.append(" & ".join(c.replace("±", "$\\pm$") for c in r) + " \\\\")
    lines += ["\\bottomrule", "\\end{tabular}"]
    if caption:
        lines.append(f"\\caption{{{caption}}}")
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"
