"""The report's "Settings compared" section, written when a study has two or more settings.

It reads only the :class:`~analysis.study_analysis.StudyAnalysis`: each setting's labels against
the baseline side by side, each setting against the reference setting per level (one Holm family
over every comparison made), and each setting's dose-response summary.
"""

from __future__ import annotations

import numpy as np

from analysis.report.render import Section
from analysis.report.text import ci_pct, figure_file, fmt, fmt_p, lv
from analysis.study_analysis import StudyAnalysis

__all__ = ["settings_compared"]


def _labels_side_by_side(a: StudyAnalysis) -> tuple:
    names = a.setting_names
    comp = a.comparison
    rows = []
    for level in sorted(comp["level"].unique()):
        cells = [lv(level)]
        for name in names:
            hit = comp[(comp["setting"] == name) & np.isclose(comp["level"], level)]
            cells.append(
                "–"
                if hit.empty
                else hit["label"].iloc[0] + (" (negligible)" if hit["negligible"].iloc[0] else "")
            )
        rows.append(cells)
    header = ["level", *(f"{n} (reference)" if n == a.reference else n for n in names)]
    return ("table", header, rows)


def _against_reference(a: StudyAnalysis) -> tuple:
    header = ["setting", "level", "n", "mean", f"{a.reference} mean", f"diff [{ci_pct(a.alpha)} CI]",
              "p", "Holm p", "TOST Holm p", "label", "note"]  # fmt: skip
    rows = [
        [r.setting_a, lv(r.level_a), str(r.n), fmt(r.mean), fmt(r.baseline_mean),
         f"{fmt(r.diff)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]", fmt_p(r.p_diff),
         fmt_p(r.p_diff_adj), fmt_p(r.p_equiv_adj),
         r.label + (" (negligible)" if r.negligible else ""), r.note or ""]
        for r in a.settings_compared.itertuples(index=False)
    ]  # fmt: skip
    return ("table", header, rows)


def _summaries(a: StudyAnalysis) -> tuple:
    pct = ci_pct(a.alpha)
    header = ["setting", "levels", "seeds", f"best level [{pct} bootstrap interval]",
              "share of replicates it is best", "its mean", f"mean over levels [{pct} CI]"]  # fmt: skip
    order = {n: i for i, n in enumerate(a.setting_names)}
    summary = a.setting_summary.sort_values("setting", key=lambda s: s.map(order))
    rows = [
        [r.setting, str(r.n_levels), str(r.n_seeds),
         f"{r.best_level:g} [{r.best_low:g}, {r.best_high:g}]", f"{r.p_best:.0%}",
         fmt(r.best_mean), f"{fmt(r.auc)} [{fmt(r.auc_ci_low)}, {fmt(r.auc_ci_high)}]"]
        for r in summary.itertuples(index=False)
    ]  # fmt: skip
    return ("table", header, rows)


def _pairs(a: StudyAnalysis) -> tuple:
    header = ["a", "b", "level", "diff a − b [CI]", "p", "Holm p", "TOST Holm p", "label (a vs b)"]
    rows = [
        [r.setting_a, r.setting_b, lv(r.level_a),
         f"{fmt(r.diff)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]", fmt_p(r.p_diff),
         fmt_p(r.p_diff_adj), fmt_p(r.p_equiv_adj),
         r.label + (" (negligible)" if r.negligible else "") + (f" ({r.note})" if r.note else "")]
        for r in a.setting_pairs.itertuples(index=False)
    ]  # fmt: skip
    return ("table", header, rows)


def settings_compared(
    a: StudyAnalysis, files: list, title: str = "Settings compared"
) -> list[Section]:
    """The "Settings compared" section (nothing when the study has one setting).

    Parameters
    ----------
    a : StudyAnalysis
        The study's analysis (its ``settings_compared``, ``setting_pairs`` and
        ``setting_summary``).
    files : list of pathlib.Path
        Figure files written beside the report (``dose_overlay``, ``settings_forest``).
    title : str
        Section title ("Remedies compared" when the settings are training methods).

    Returns
    -------
    list of Section
    """
    if a.settings_compared.empty:
        return []
    compared = a.settings_compared
    test = compared["test"].iloc[0]
    counts = compared["label"].value_counts()
    blocks = [
        ("p", f"The study has {len(a.setting_names)} settings; **{a.reference}** (the study's "
              "top-level configuration) is the reference the others are compared with."),
        ("p", f"**Labels against the unimodal baseline** ({a.metric}, per setting):"),
        _labels_side_by_side(a),
        ("p", f"**Each setting against {a.reference}, per level**: a {test} test on the "
              f"difference ({'paired by seed' if compared['paired'].iloc[0] else 'unpaired'}), "
              f"Holm over all {len(compared)} comparisons in this table, and TOST at ±δ = "
              f"{a.margin:g}; α = {a.alpha:g}. A label says how the setting does relative to "
              f"{a.reference}: better, worse, equivalent (within ±δ) or inconclusive. So far: "
              + ", ".join(f"{k} {v}" for k, v in counts.items()) + "."),
        _against_reference(a),
    ]  # fmt: skip
    for stem, caption in (
        ("dose_overlay", f"{a.metric} vs dropout level, every setting on one axis: level means "
                         f"with {ci_pct(a.alpha)} t CIs (settings offset slightly to the side so "
                         "their intervals stay visible); grey dashed line and band the unimodal "
                         "baseline and its CI."),
        ("settings_forest", f"Each setting minus {a.reference} per level with its "
                            f"{ci_pct(a.alpha)} t CI; the shaded band is ±δ; labels and Holm "
                            "p-values (TOST p for equivalent) on the right."),
    ):  # fmt: skip
        path = figure_file(files, stem)
        if path:
            blocks.append(("figure", path, caption))
    if not a.setting_pairs.empty:
        blocks += [
            ("p", f"**Every pair of settings, per level**: the same tests, Holm over all "
                  f"{len(a.setting_pairs)} pairs and levels together (a separate family from "
                  "the table above)."),
            _pairs(a),
        ]  # fmt: skip
    if not a.setting_summary.empty:
        blocks += [
            ("p", f"**Dose-response per setting**: the level with the best mean, with a "
                  f"{ci_pct(a.alpha)} cluster-bootstrap interval over seeds "
                  f"({int(a.setting_summary['n_boot'].iloc[0])} replicates) and the share of "
                  "replicates in which it is best; and the mean over the swept levels (the area "
                  "under the level-mean curve divided by the level range) with its interval."),
            _summaries(a),
        ]  # fmt: skip
    return [Section(title, blocks)]
