"""The report's section on a sequential design: looks, boundaries, α spent, decisions, seeds."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from analysis.report.figures import _save, plot_sequential
from analysis.report.render import Section
from analysis.report.text import figure_file, fmt_p, lv
from analysis.sequential import SequentialRecord, alpha_spent

__all__ = ["save_sequential_figure", "sequential_section"]

_RULE = (
    "Error control over all looks and levels: each level's difference test (two-sided) and "
    "equivalence test (TOST, each side) has Lan–DeMets α-spending boundaries over the "
    "information fractions n_k / n_K; the levels of a setting form one family per test, "
    "combined by the group-sequential Holm procedure (Maurer and Bretz 2013): at each look a "
    "hypothesis not yet rejected is tested at α / (hypotheses of its family not yet rejected), "
    "step-down, and a decided level stays in the count of the family whose hypothesis it did "
    "not reject.  This keeps the family-wise error of each family at α over all looks (it "
    "rejects a subset of what the full closed procedure rejects).  Each z boundary is applied as "
    "a nominal p-value to the exact t-test p-value of the look; the rates this gives at small n "
    "are checked by simulation (scripts/calibrate_sequential.py)."
)


def save_sequential_figure(
    record: SequentialRecord, out_dir: str | Path, formats=("png", "pdf"), dpi: int = 150
) -> list[Path]:
    """Write ``sequential[_<setting>].<fmt>``: the difference and equivalence statistics of
    every level across the looks, with the boundaries (:func:`plot_sequential`)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    decisions = record.decisions
    if decisions.empty:
        return []
    settings = sorted(decisions["setting"].unique())
    paths: list[Path] = []
    for name in settings:
        fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
        for ax, test in zip(axes, ("difference", "equivalence"), strict=True):
            plot_sequential(decisions, test=test, ax=ax, setting=name)
        stem = "sequential" if len(settings) == 1 else f"sequential_{name}"
        paths += _save(fig, out, stem, formats, dpi)
    return paths


def _boundaries(record: SequentialRecord) -> tuple[list, list]:
    d = record.design
    m = len(d.levels)
    diff, equiv = d.nominal_levels(2), d.nominal_levels(1)
    spent_d = alpha_spent(d.fractions, d.alpha, d.spending, 2)
    spent_e = alpha_spent(d.fractions, d.alpha, d.spending, 1)
    header = [
        "look", "seeds", "fraction", "α spent, difference", f"nominal p, difference (α/{m} … α)",
        "α spent, equivalence (per side)", f"nominal p per side, TOST (α/{m} … α)",
    ]  # fmt: skip
    rows = [
        [str(k + 1), str(n), f"{t:.3f}", f"{spent_d[k]:.3g}",
         f"{diff[k, m]:.3g} … {diff[k, 1]:.3g}", f"{spent_e[k]:.3g}",
         f"{equiv[k, m]:.3g} … {equiv[k, 1]:.3g}"]
        for k, (n, t) in enumerate(zip(d.looks, d.fractions, strict=True))
    ]  # fmt: skip
    return header, rows


def _cell(r) -> str:
    p = f"p {fmt_p(r.p_diff)}, TOST {fmt_p(r.p_equiv)}"
    if not r.decided:
        return f"open ({p})"
    return f"**{r.label}**{' (negligible)' if r.negligible else ''} ({p})"


def _decisions(record: SequentialRecord) -> tuple[list, list]:
    d = record.design
    dec = record.decisions
    several = len(d.settings) > 1
    header = ["level", *(f"look {k + 1} ({n} seeds)" for k, n in enumerate(d.looks)), "final"]
    rows = []
    for r in record.summary.itertuples(index=False):
        mine = dec[(dec["setting"] == r.setting) & (dec["level"] == r.level)]
        cells = {int(x.look): _cell(x) for x in mine.itertuples(index=False)}
        final = r.label + (" (negligible)" if r.negligible else "")
        final += {
            "decided": f", decided at {r.seeds} seeds",
            "open": f", open (next look at {r.next_seeds} seeds)",
            "inconclusive": f", undecided at the maximum ({r.seeds} seeds)",
        }[r.status]
        name = f"{r.setting} {lv(r.level)}" if several else lv(r.level)
        rows.append([name, *(cells.get(k + 1, "–") for k in range(len(d.looks))), final])
    return header, rows


def sequential_section(record: SequentialRecord, files) -> list[Section]:
    """The section "Sequential design" (figure from :func:`save_sequential_figure`)."""
    d = record.design
    summary = record.summary
    looks_done = int(record.decisions["look"].max()) if len(record.decisions) else 0
    saved = 1 - record.runs_used / record.runs_fixed if record.runs_fixed else 0.0
    blocks = [
        ("p", f"Seeds were added look by look, and only to levels still undecided: "
              f"{d.describe()}; {looks_done} of {len(d.looks)} look(s) done.  At each look "
              "every open level is tested against the baseline on the seed indices seen so far; "
              "a level whose label is decided gets no more seeds, the baseline keeps getting "
              "them while any level is open, and seed indices stay paired."),
        ("p", _RULE),
        ("p", "**Read the labels here.** The per-level tables elsewhere in this report apply "
              "the fixed-sample tests to every stored seed; they ignore that seeds were added "
              "after looking, so their error rates are not controlled.  The decisions below "
              "are the ones with error control over the looks."),
        ("table", *_boundaries(record)),
        ("table", *_decisions(record)),
        ("p", f"**Seeds used.** {record.runs_used} runs, against {record.runs_fixed} for the "
              f"fixed design with the same maximum ({d.looks[-1]} seeds for every level and the "
              f"baseline): {100 * saved:.0f} % fewer.  Per level: "
              + ", ".join(f"{lv(r.level)} {r.seeds}" for r in summary.itertuples(index=False))
              + "."),
    ]  # fmt: skip
    for stem in sorted({Path(p).stem for p in files if Path(p).stem.startswith("sequential")}):
        path = figure_file(files, stem)
        if path:
            blocks.append((
                "figure", path,
                "Each level's statistic at each look (left: signed z of the difference test's "
                "p-value; right: z of the TOST p-value) with the boundary it had to cross "
                "(dashed; Holm's local level after the look's step-down).  A ring marks where a "
                "level crossed that test's boundary, in the colour of its label.",
            ))  # fmt: skip
    return [Section("Sequential design", blocks)]
