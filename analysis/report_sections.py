"""The words and tables of the reproducibility report, built from the analyses as plain sections.

:func:`report_sections` turns the results of :func:`analysis.report.analyze_for_report` and a
``study_info`` dict into :class:`analysis.report_render.Section` objects that both renderers use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.claims import VERDICT_RULE
from analysis.report_render import Section
from analysis.tables import figure5_table

__all__ = ["report_sections", "fmt", "fmt_p"]


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


def _p_eq(p) -> str:
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _lv(level) -> str:
    return f"p = {level:g}"


def _ci_pct(alpha: float) -> str:
    return f"{100 * (1 - alpha):.0f} %"


def _verdict_table(claims: pd.DataFrame, alpha: float) -> tuple[list, list]:
    header = [
        "claim",
        "level",
        "metric",
        "paper",
        "ours: mean ± SD (n)",
        f"{_ci_pct(alpha)} CI",
        "ours − paper",
        "ours − baseline [CI]",
        "test, Holm p",
        "expected",
        "our label",
        "verdict",
    ]
    rows = []
    for r in claims.itertuples(index=False):
        label = r.label + (" (negligible)" if r.negligible else "")
        p = r.p_equiv_adj if r.expected == "NeCL" else r.p_diff_adj
        test = f"{r.test}{' TOST' if r.expected == 'NeCL' else ''}, {fmt_p(p)}" if r.test else "–"
        rows.append(
            [
                r.id,
                _lv(r.level),
                r.metric,
                fmt(r.paper_value),
                f"{fmt(r.mean)} ± {fmt(r.sd)} ({r.n})",
                f"[{fmt(r.mean_ci_low)}, {fmt(r.mean_ci_high)}]",
                fmt(r.diff_paper),
                f"{fmt(r.diff)} [{fmt(r.ci_low)}, {fmt(r.ci_high)}]",
                test,
                r.expected,
                label,
                r.verdict,
            ]
        )
    return header, rows


def _summary(table, a, info, files) -> list[Section]:
    comp, claims = a["comparison"], a["claims"]
    seeds = int(comp["n"].max())
    n_levels = comp["level"].nunique()
    paired = bool(comp["paired"].iloc[0])
    source = info.get("source", "runs trained with colearn")
    blocks = [
        (
            "p",
            f"**Scope.** {(info.get('description') or info.get('name', 'This study')).rstrip('.')}. "
            + (
                f"We check {len(claims)} claim(s) about the primary modality "
                if len(claims)
                else "We label every dropout level by its effect on the primary modality "
            )
            + f"({a['metric']} on a test set where only the primary modality is present) against "
            "a model trained on the primary modality alone.",
        ),
        (
            "p",
            f"**Method.** Numbers come from {source}: {n_levels} dropout level(s) and the "
            f"unimodal baseline, {seeds} seed(s) each ({table['run_id'].nunique()} runs). "
            f"Each level is compared with the baseline by a {comp['test'].iloc[0]} test "
            f"({'paired by seed' if paired else 'unpaired'}), Holm-adjusted over the levels, "
            f"and by TOST at ±δ = {a['margin']:g}; α = {a['alpha']:g}.",
        ),
    ]
    if len(claims):
        counts = claims["verdict"].value_counts()
        blocks.append(
            (
                "p",
                "**Results.** "
                + ", ".join(f"{k}: {v}" for k, v in counts.items())
                + f" of {len(claims)} claim(s).",
            )
        )
        blocks.append(("table", *_verdict_table(claims, a["alpha"])))
        blocks.append(
            ("p", f"**Verdict rule** (α = {a['alpha']:g}, δ = {a['margin']:g}). " + VERDICT_RULE)
        )
    labels = ", ".join(
        f"{_lv(r.level)} **{r.label}**{' (negligible)' if r.negligible else ''}"
        for r in comp.itertuples(index=False)
    )
    blocks.append(("p", f"**Co-learning label per level** ({a['metric']}): {labels}."))
    easy = comp[comp["label"] != "inconclusive"]
    hard = comp[comp["label"] == "inconclusive"]
    blocks.append(
        (
            "p",
            "**What was easy.** "
            + (
                "Clear decisions at " + ", ".join(_lv(x) for x in easy["level"]) + "."
                if len(easy)
                else "No level reached a clear decision."
            ),
        )
    )
    blocks.append(
        (
            "p",
            "**What was hard.** "
            + (
                f"{len(hard)} level(s) stay inconclusive with {seeds} seeds ("
                + ", ".join(
                    f"{_lv(r.level)}: about {r.seeds_needed} seeds needed"
                    if pd.notna(r.seeds_needed)
                    else _lv(r.level)
                    for r in hard.itertuples(index=False)
                )
                + ")."
                if len(hard)
                else "Nothing: every level reached a decision."
            ),
        )
    )
    return [Section("Summary", blocks)]


def _claims(a) -> list[Section]:
    claims = a["claims"]
    if not len(claims):
        return [Section("Claims", [("p", "The study names no claims to check.")])]
    items = []
    for r in claims.drop_duplicates("id").itertuples(index=False):
        paper = "" if not np.isfinite(r.paper_value) else f", paper value {fmt(r.paper_value)}"
        items.append(
            f"**{r.id}** ({_lv(r.level)}, {r.metric}): {r.text or 'no text'} "
            f"Expected label **{r.expected}**{paper}."
        )
    return [Section("Claims", [("list", items)])]


def _kv(d: dict) -> tuple:
    return ("table", ["setting", "value"], [[str(k), str(v)] for k, v in d.items()])


def _method(table, a, info) -> list[Section]:
    out = [Section("Method", [("p", "What was trained, on what, and how it was analysed.")])]
    model = [("p", f"**Model:** {info.get('model', 'not recorded')}.")]
    if info.get("hyperparameters"):
        model.append(_kv(info["hyperparameters"]))
    out.append(Section("Model and hyperparameters", model, 3))
    out.append(Section("Data", [("p", info.get("data", "not recorded"))], 3))
    if info.get("protocol"):
        out.append(Section("Protocol switches", [_kv(info["protocol"])], 3))
    comp = a["comparison"]
    levels = ", ".join(f"{x:g}" for x in sorted(comp["level"].unique()))
    seeds = sorted(table["seed"].unique())
    out.append(
        Section(
            "Seeds and levels",
            [
                (
                    "p",
                    (
                        f"Levels p ∈ {{{levels}}} and the unimodal baseline; seed indices "
                        f"{', '.join(map(str, seeds))}. "
                        + (
                            "Arms at one seed index share initialisation and data order, so the design is "
                            "paired."
                            if comp["paired"].iloc[0]
                            else "Arms do not share initialisation or data order: the design is unpaired."
                        )
                    )
                    + (f" {info['seeds_note']}" if info.get("seeds_note") else ""),
                )
            ],
            3,
        )
    )
    compute = dict(info.get("compute") or {})
    versions = compute.pop("versions", None) or {}
    if "wall_time_s" in compute and compute["wall_time_s"] is not None:
        compute["training time"] = f"{float(compute.pop('wall_time_s')):.1f} s (sum over runs)"
    rows = {**compute, **{f"version of {k}": v for k, v in versions.items()}}
    out.append(
        Section(
            "Compute", [_kv(rows) if rows else ("p", "No training was done for this report.")], 3
        )
    )
    out.append(
        Section(
            "Analysis settings",
            [
                _kv(
                    {
                        "metric": a["metric"],
                        "condition": a["condition"],
                        "α": a["alpha"],
                        "equivalence margin δ": a["margin"],
                        "test": comp["test"].iloc[0],
                        "multiplicity": "Holm over levels, separately for difference and equivalence",
                        "bootstrap (dose-response)": f"{a['n_boot']} cluster replicates over seeds, seed {a['seed']}",
                    }
                )
            ],
            3,
        )
    )
    return out


def _fig(files, stem: str):
    return next((p for p in files if Path(p).name == f"{stem}.png"), None)


def _reproducing(table, a, info, files) -> list[Section]:
    blocks = [
        (
            "p",
            "The paper's Figure 5 as measured here: mean ± SD over seeds per level, "
            f"condition `{a['condition']}` (primary modality only at test time).",
        )
    ]
    settings = sorted(a["comparison"]["setting"].unique())
    for name in settings:
        f5 = figure5_table(table, condition=a["condition"], setting=name)
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
        if _fig(files, stem):
            blocks.append(
                (
                    "figure",
                    _fig(files, stem),
                    (
                        f"{a['metric']} vs dropout level ({name}): grey points one seed each; dark points "
                        f"level means with {_ci_pct(a['alpha'])} t CIs; orange line and band the baseline "
                        "mean and its CI; green curve the best dose-response fit with its seed-bootstrap "
                        "band; purple the optimal-level interval."
                    ),
                )
            )
    cm = _fig(files, "confusion")
    if cm:
        blocks.append(
            (
                "figure",
                cm,
                "The paper's Figure 4: confusion matrices on the primary-only "
                "test set (rows true labels, colour = share of the true class, numbers = "
                f"counts). Source: {info.get('confusion_source', 'stored test predictions')}.",
            )
        )
    for r in a["claims"].itertuples(index=False):
        ours = (
            f"**{r.id}**, {r.verdict}: {r.reason}. Ours {fmt(r.mean)} "
            f"({_ci_pct(r.alpha)} CI {fmt(r.mean_ci_low)}–{fmt(r.mean_ci_high)}, n = {r.n})"
        )
        if r.paper_value == r.paper_value:  # the claim quotes a value of the paper
            ours += (
                f" vs paper {fmt(r.paper_value)}; one-sample TOST against the paper's value at "
                f"±{r.margin:g}: {_p_eq(r.p_value_equiv)}."
            )
        else:  # the reason already says there is no paper value
            ours += "."
        blocks.append(("p", ours))
    return [Section("Results reproducing the paper", blocks)]


def _beyond(a, files) -> list[Section]:
    comp = a["comparison"]
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
        "seeds needed",
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
            "–" if pd.isna(r.seeds_needed) else str(r.seeds_needed),
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
    if _fig(files, "forest"):
        blocks.append(
            (
                "figure",
                _fig(files, "forest"),
                (
                    f"Difference from the baseline per level with its {_ci_pct(a['alpha'])} t CI; the "
                    f"shaded band is the equivalence region ±δ; labels and Holm-adjusted p-values on the "
                    "right (TOST p for NeCL)."
                ),
            )
        )
    sens = a["sensitivity"].pivot_table(
        index=["setting", "level"], columns="margin", values="label", aggfunc="first"
    )
    blocks.append(("p", "**Sensitivity to the margin δ** (labels at each margin):"))
    blocks.append(
        (
            "table",
            ["setting", "level", *(f"δ = {m:g}" for m in sens.columns)],
            [
                [s, f"{lv:g}", *map(str, v)]
                for (s, lv), v in zip(sens.index, sens.values, strict=True)
            ],
        )
    )
    out.append(Section("Per-level comparison with the baseline", blocks, 3))
    out.append(_dose(a))
    pw = a["power"]
    out.append(
        Section(
            "Power and seeds needed",
            [
                (
                    "p",
                    f"Seeds per arm (pairs when paired) to detect a true difference of δ = "
                    f"{a['margin']:g} with power {pw['power'].iloc[0]:g} at α / levels, planning with "
                    "the upper 80 % confidence limit of the seed SD; and the smallest difference the "
                    "present number of seeds detects with that power. (The summary's seeds needed differ: they "
                    "settle each inconclusive level given its observed difference.)",
                ),
                (
                    "table",
                    [
                        "setting",
                        "level",
                        "n",
                        "seed SD",
                        "SD upper 80 %",
                        "seeds needed",
                        "detectable now",
                    ],
                    [
                        [
                            r.setting,
                            f"{r.level:g}",
                            str(r.n),
                            fmt(r.sd_plan, 4),
                            fmt(r.sd_upper, 4),
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
    if a["fits"] is None:
        return Section("Dose-response", [("p", f"Not fitted: {a['dose_note']}")], 3)
    blocks = []
    for name, f in a["fits"].groupby("setting", sort=True):
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
        o = a["optimum"][a["optimum"]["setting"] == name]
        g = a["dose_test"][a["dose_test"]["setting"] == name].iloc[0]
        not_worse = ", ".join(f"{x:g}" for x in o.loc[o["not_worse"], "level"])
        blocks += [
            (
                "p",
                f"**{name}.** Global test of any level effect: one-way ANOVA "
                f"{_p_eq(g['p_anova'])}, Welch ANOVA {_p_eq(g['p_welch'])}. Best shape by "
                f"AICc: **{o['model'].iloc[0]}**; its optimum lies at p = "
                f"{fmt(o['opt_level'].iloc[0], 2)} with {_ci_pct(a['alpha'])} bootstrap interval "
                f"[{fmt(o['opt_low'].iloc[0], 2)}, {fmt(o['opt_high'].iloc[0], 2)}]. Levels not "
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


def _deviations(info) -> list[Section]:
    devs = info.get("deviations") or []
    return [
        Section(
            "Deviations from the paper's text",
            [
                (
                    "p",
                    "Where the protocol used here differs from what the paper's text says (the "
                    "authors' released code behaves as the *original* protocol):",
                ),
                ("list", devs) if devs else ("p", "None recorded."),
            ],
        )
    ]


def _notes(a) -> list[Section]:
    comp = a["comparison"]
    paired = bool(comp["paired"].iloc[0])
    n = int(min(comp["n"].min(), comp["n_baseline"].min()))
    items = [
        "**Source of variability.** The replication unit is the seed: each seed gives one value "
        "per arm and level, so seed-to-seed variation (initialisation, data order, dropout draws, "
        "network dropout) is what the tests and intervals measure. The test set is fixed.",
        f"**SD vs CI.** Tables give mean ± SD over seeds (spread). Error bars in the figures are "
        f"{_ci_pct(a['alpha'])} t confidence intervals of the mean (uncertainty of the mean), not SDs.",
        f"**Tests.** {'Paired t on per-seed differences' if paired else 'Welch t (unequal variances)'}"
        f" for the difference; TOST at ±δ for equivalence "
        f"({'paired' if paired else 'Welch'}). Percentile bootstrap CIs under-cover at few seeds "
        "(about 83 % coverage at n = 5), so CIs are t-based; bootstrap is used only for the "
        "dose-response band and the optimum (clusters = seeds).",
        f"**Margin.** δ = {a['margin']:g} ({a['metric']} units) is the smallest difference that "
        "matters; NeCL means the CI of the difference lies inside ±δ. *Inconclusive* is never "
        "read as NeCL.",
        "**Multiplicity.** Holm over the levels, separately for the difference family and the "
        "equivalence family. Claims are judged on the Holm-adjusted p-values.",
        f"**Seeds.** {n} seeds per arm. Exact nonparametric tests cannot reach small p-values at "
        f"this size (paired sign-flip ≥ 2/2ⁿ = {2 / 2**n:.3g}); at least 9 seeds are needed for "
        "an exact paired test to pass Holm over 7 levels.",
    ]
    items += [f"**Warning.** {w}" for w in a["warnings"]]
    return [Section("Statistical notes", [("list", items)])]


def report_sections(table, a: dict, info: dict, files) -> tuple[str, list[Section]]:
    """Title and sections of the report (see :func:`analysis.report.build_report`)."""
    title = f"Reproducibility report: {info.get('name', table['study'].iloc[0])}"
    sections = (
        _summary(table, a, info, files)
        + _claims(a)
        + _method(table, a, info)
        + _reproducing(table, a, info, files)
        + _beyond(a, files)
        + _deviations(info)
        + _notes(a)
    )
    notes = info.get("notes") or []
    others = sorted(Path(p).name for p in files if not str(p).endswith(".png"))
    sections.append(
        Section(
            "Files",
            [
                (
                    "list",
                    notes
                    + [
                        "Beside this report: `report.md`, `report.html`, `comparison.csv` (every level vs the "
                        "baseline), `claims.csv` (verdicts); in `figures/`: "
                        + ", ".join(f"`{o}`" for o in others)
                        + " and the PNGs."
                    ],
                )
            ],
        )
    )
    return title, sections
