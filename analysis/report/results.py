"""The report's result sections: the paper's results as measured, every level against the
baseline with its robustness, the dose-response, power, and the statistical notes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.report.render import Section
from analysis.report.tables import figure5_table
from analysis.report.text import ci_pct, figure_file, fmt, fmt_p, p_eq
from analysis.robust import min_attainable_p

__all__ = ["reproducing", "beyond", "statistical_notes"]


def reproducing(table, a, info, files) -> list[Section]:
    blocks = [
        (
            "p",
            "The paper's Figure 5 as measured here: mean ± SD over seeds per level, "
            f"condition `{a.condition}` (primary modality only at test time).",
        )
    ]
    settings = sorted(a.comparison["setting"].unique())
    for name in settings:
        f5 = figure5_table(table, condition=a.condition, setting=name)
        metrics = [
            c for c in f5.columns if c not in ("row", "level", "n") and not c.endswith("_sd")
        ]
        rows = [
            [r["row"], *(f"{fmt(r[m])} ± {fmt(r[m + '_sd'])}" for m in metrics), str(r["n"])]
            for r in f5.to_dict("records")
        ]
        if len(settings) > 1:
            blocks.append(("p", f"Setting **{name}**:"))
        blocks.append(("table", ["level", *metrics, "seeds"], rows))
        stem = "dose_response" if len(settings) == 1 else f"dose_response_{name}"
        if figure_file(files, stem):
            blocks.append(
                (
                    "figure",
                    figure_file(files, stem),
                    (
                        f"{a.metric} vs dropout level ({name}): grey points one seed each; dark points "
                        f"level means with {ci_pct(a.alpha)} t CIs; orange line and band the baseline "
                        "mean and its CI; green curve the best dose-response fit with its seed-bootstrap "
                        "band; purple the optimal-level interval."
                    ),
                )
            )
    cm = figure_file(files, "confusion")
    if cm:
        blocks.append(
            (
                "figure",
                cm,
                "The paper's Figure 4: confusion matrices on the primary-only "
                "test set (rows true labels, colour = share of the true class, numbers = "
                f"counts). Source: {info.confusion_source}.",
            )
        )
    for r in a.claims.itertuples(index=False):
        who = "Re-analysed" if info.imported else "Ours"
        ours = (
            f"**{r.id}**, {r.verdict}: {r.reason}. {who} {fmt(r.mean)} "
            f"({ci_pct(r.alpha)} CI {fmt(r.mean_ci_low)}–{fmt(r.mean_ci_high)}, n = {r.n})"
        )
        if r.paper_value == r.paper_value:  # the claim quotes a value of the paper
            ours += (
                f" vs paper {fmt(r.paper_value)}; one-sample TOST against the paper's value at "
                f"±{r.margin:g}: {p_eq(r.p_value_equiv)}."
            )
        else:  # the reason already says there is no paper value
            ours += "."
        blocks.append(("p", ours))
    return [Section("Results reproducing the paper", blocks)]


def beyond(a, files) -> list[Section]:
    comp = a.comparison
    header = [
        "setting",
        "level",
        "n",
        "mean ± SD",
        "baseline ± SD",
        "diff [CI]",
        "p",
        "Holm p",
        "TOST Holm p",
        "label",
        "Hedges g",
        "P(X>Y)",
        "smallest δ passing",
    ]
    rows = [
        [
            r.setting,
            f"{r.level:g}",
            str(r.n),
            f"{fmt(r.mean)} ± {fmt(r.sd)}",
            f"{fmt(r.baseline_mean)} ± {fmt(r.baseline_sd)}",
            f"{fmt(r.diff)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
            fmt_p(r.p_diff),
            fmt_p(r.p_diff_adj),
            fmt_p(r.p_equiv_adj),
            r.label + (" (negligible)" if r.negligible else ""),
            fmt(r.hedges_g, 2),
            fmt(r.p_superiority, 2),
            fmt(r.equiv_margin),
        ]
        for r in comp.itertuples(index=False)
    ]
    out = [
        Section(
            "Results beyond the paper",
            [
                (
                    "p",
                    "Every level against the baseline, the "
                    "shape of the dose-response, and how many seeds would settle what is open.",
                )
            ],
        )
    ]
    blocks = [("table", header, rows)]
    if figure_file(files, "forest"):
        blocks.append(
            (
                "figure",
                figure_file(files, "forest"),
                (
                    f"Difference from the baseline per level with its {ci_pct(a.alpha)} t CI; the "
                    f"shaded band is the equivalence region ±δ; labels and Holm-adjusted p-values on the "
                    "right (TOST p for NeCL)."
                ),
            )
        )
    sens = a.sensitivity.pivot_table(
        index=["setting", "level"], columns="margin", values="label", aggfunc="first"
    )
    blocks.append(("p", "**Sensitivity to the margin δ** (labels at each margin):"))
    blocks.append(
        (
            "table",
            ["setting", "level", *(f"δ = {m:g}" for m in sens.columns)],
            [
                [s, f"{level:g}", *map(str, v)]
                for (s, level), v in zip(sens.index, sens.values, strict=True)
            ],
        )
    )
    blocks += _robustness(a)
    out.append(Section("Per-level comparison with the baseline", blocks, 3))
    out.append(_dose(a))
    pw = a.power.merge(
        comp[["setting", "level", "seeds_needed"]].rename(columns={"seeds_needed": "to_settle"}),
        on=["setting", "level"], how="left",
    )  # fmt: skip
    out.append(
        Section(
            "Power and seeds needed",
            [
                (
                    "p",
                    "Two questions, two seed counts (per arm; pairs when paired), both at power "
                    f"{pw['power'].iloc[0]:g}, α / levels, planning with the upper 80 % confidence "
                    "limit of the seed SD. *Seeds to settle* (inconclusive levels only, the figure "
                    "the summary quotes): how many would decide this level if its true difference "
                    "were the one observed. *Seeds to detect δ*: how many would detect a true "
                    f"difference of δ = {a.margin:g} at every level. *Detectable now*: the smallest "
                    "difference the present seeds detect with that power.",
                ),
                (
                    "table",
                    [
                        "setting",
                        "level",
                        "n",
                        "seed SD",
                        "SD upper 80 %",
                        "seeds to settle (observed diff)",
                        "seeds to detect δ",
                        "detectable now",
                    ],
                    [
                        [
                            r.setting,
                            f"{r.level:g}",
                            str(r.n),
                            fmt(r.sd_plan, 4),
                            fmt(r.sd_upper, 4),
                            "–" if pd.isna(r.to_settle) else str(int(r.to_settle)),
                            "–" if pd.isna(r.seeds_needed) else str(r.seeds_needed),
                            fmt(r.detectable),
                        ]
                        for r in pw.itertuples(index=False)
                    ],
                ),
            ],
            3,
        )
    )
    return out


def _dose(a) -> Section:
    if a.fits is None:
        return Section("Dose-response", [("p", f"Not fitted: {a.dose_note}")], 3)
    blocks = []
    for name, f in a.fits.groupby("setting", sort=True):
        best = f.loc[f["aicc"].idxmin(), "aicc"] if f["aicc"].notna().any() else np.nan
        rows = [
            [
                r.model,
                str(r.n_params),
                fmt(r.aicc, 1),
                fmt(r.aicc - best, 1),
                fmt(r.weight, 2),
                fmt_p(r.p_lof),
                "yes" if r.converged else "no",
                fmt(r.peak_level, 2),
            ]
            for r in f.sort_values("aicc").itertuples(index=False)
        ]
        o = a.optimum[a.optimum["setting"] == name]
        g = a.dose_test[a.dose_test["setting"] == name].iloc[0]
        not_worse = ", ".join(f"{x:g}" for x in o.loc[o["not_worse"], "level"])
        blocks += [
            (
                "p",
                f"**{name}.** Global test of any level effect: one-way ANOVA "
                f"{p_eq(g['p_anova'])}, Welch ANOVA {p_eq(g['p_welch'])}. Best shape by "
                f"AICc: **{o['model'].iloc[0]}**; its optimum lies at p = "
                f"{fmt(o['opt_level'].iloc[0], 2)} with {ci_pct(a.alpha)} bootstrap interval "
                f"[{fmt(o['opt_low'].iloc[0], 2)}, {fmt(o['opt_high'].iloc[0], 2)}]; the curve "
                f"stays within δ = {a.margin:g} of its optimum over p ∈ "
                f"[{fmt(o['near_low'].iloc[0], 3)}, {fmt(o['near_high'].iloc[0], 3)}]. Levels not "
                f"worse than the best observed level ({o['best_level'].iloc[0]:g}): {not_worse}.",
            ),
            (
                "table",
                [
                    "shape",
                    "parameters",
                    "AICc",
                    "ΔAICc",
                    "Akaike weight",
                    "lack-of-fit p",
                    "converged",
                    "peak level",
                ],
                rows,
            ),
        ]
    blocks.append(
        (
            "p",
            "Lack of fit is an F test of the shape against the per-level means (pure "
            "error); a small p means the shape misses the level means.",
        )
    )
    return Section("Dose-response", blocks, 3)


def statistical_notes(a) -> list[Section]:
    comp = a.comparison
    paired = bool(comp["paired"].iloc[0])
    items = [
        "**Source of variability.** The replication unit is the seed: each seed gives one value "
        "per arm and level, so seed-to-seed variation (initialisation, data order, dropout draws, "
        "network dropout) is what the tests and intervals measure. The test set is fixed.",
        f"**SD vs CI.** Tables give mean ± SD over seeds (spread). Error bars in the figures are "
        f"{ci_pct(a.alpha)} t confidence intervals of the mean (uncertainty of the mean), not SDs.",
        f"**Tests.** {'Paired t on per-seed differences' if paired else 'Welch t (unequal variances)'}"
        f" for the difference; TOST at ±δ for equivalence "
        f"({'paired' if paired else 'Welch'}). Percentile bootstrap CIs under-cover at few seeds "
        "(about 83 % coverage at n = 5), so CIs are t-based; bootstrap is used only for the "
        "dose-response band and the optimum (clusters = seeds).",
        f"**Margin.** δ = {a.margin:g} ({a.metric} units) is the smallest difference that "
        "matters; NeCL means the CI of the difference lies inside ±δ. *Inconclusive* is never "
        "read as NeCL.",
        f"**Multiplicity.** Holm over the {_levels_per_setting(a)} levels of each setting, "
        "separately for the difference family and the equivalence family. Claims are judged on "
        "the Holm-adjusted p-values.",
        _seeds_note(a),
    ]
    items += [f"**Warning.** {w}" for w in a.warnings]
    return [Section("Statistical notes", [("list", items)])]


def _levels_per_setting(a) -> int:
    return int(a.comparison.groupby("setting").size().max())


def _seeds_note(a) -> str:
    """The exact tests' floor at this design and n, and the n at which they could pass Holm."""
    rob = a.robustness
    m = _levels_per_setting(a)
    n, n_b = int(rob["n"].min()), int(rob["n_baseline"].min())
    if a.paired:
        floor = f"paired sign-flip ≥ 2/2ⁿ = {min_attainable_p(n, paired=True):.3g}"
        need = next(k for k in range(2, 64) if min_attainable_p(k, paired=True) <= a.alpha / m)
        unit = "pairs"
    else:
        floor = f"two-sample permutation ≥ 2/C({n + n_b}, {n}) = {min_attainable_p(n, n_b):.3g}"
        need = next(k for k in range(2, 64) if min_attainable_p(k, k) <= a.alpha / m)
        unit = "seeds per arm"
    return (
        f"**Seeds.** {n} seeds per arm. Exact nonparametric tests cannot reach small p-values at "
        f"this size ({floor}); at least {need} {unit} are needed for an exact "
        f"{'paired' if a.paired else 'two-sample'} test to pass Holm over {m} level(s) at "
        f"α = {a.alpha:g}."
    )


def _robustness(a) -> list:
    """The same differences tested other ways (the robustness columns of ``analyze``)."""
    rows = [
        [r.setting, f"{r.level:g}", fmt_p(r.p_welch), fmt_p(r.p_paired), fmt_p(r.p_perm),
         fmt_p(r.p_perm_adj), fmt(r.p_perm_min, 4), fmt_p(r.p_rank), fmt_p(r.p_block)]
        for r in a.robustness.itertuples(index=False)
    ]  # fmt: skip
    return [
        ("p", "**Robustness.** Each difference tested other ways: Welch t, paired t and the "
              "block model `value ~ arm + seed` (paired designs only), an exact permutation test "
              "(sign-flip when paired; Holm over levels) with the smallest p it can reach, and a "
              "rank test (Wilcoxon signed-rank when paired, else Mann–Whitney U)."),
        ("table", ["setting", "level", "Welch p", "paired p", "permutation p", "its Holm p",
                   "smallest attainable", "rank p", "block p"], rows),
    ]  # fmt: skip
