"""The report's framing sections and their assembly: summary, claims, method, deviations.

:func:`report_sections` turns a :class:`~analysis.study_analysis.StudyAnalysis` and the study's
:class:`~analysis.report.facts.StudyFacts` into :class:`~analysis.report.render.Section` objects
that both renderers use; the result sections are in :mod:`analysis.report.results`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from analysis.claims import IMPORTED_VERDICTS, VERDICT_RULE
from analysis.report.compared import settings_compared
from analysis.report.facts import StudyFacts
from analysis.report.render import Section
from analysis.report.results import beyond, reproducing, statistical_notes
from analysis.report.sequential import sequential_section
from analysis.report.text import ci_pct, fmt, fmt_p, kv, lv
from analysis.study_analysis import StudyAnalysis

__all__ = ["report_sections"]


def _verdict_table(claims: pd.DataFrame, alpha: float, imported: bool) -> tuple[list, list]:
    # Imported numbers are the authors' own runs: calling them "ours" would claim a retraining.
    who = "re-analysed" if imported else "ours"
    header = [
        "claim",
        "level",
        "metric",
        "paper",
        f"{who}: mean ± SD (n)",
        f"{ci_pct(alpha)} CI",
        f"{who} − paper",
        f"{who} − baseline [CI]",
        "test, Holm p",
        "expected",
        "label found",
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
                lv(r.level),
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
    comp, claims = a.comparison, a.claims
    seeds = int(comp["n"].max())
    n_levels = comp["level"].nunique()
    paired = bool(comp["paired"].iloc[0])
    source = info.source
    blocks = [
        (
            "p",
            f"**Scope.** {(info.description or info.name).rstrip('.')}. "
            + (
                f"We check {len(claims)} claim(s) about the primary modality "
                if len(claims)
                else "We label every dropout level by its effect on the primary modality "
            )
            + f"({a.metric} on a test set where only the primary modality is present) against "
            "a model trained on the primary modality alone.",
        ),
        (
            "p",
            f"**Method.** Numbers come from {source}: {n_levels} dropout level(s) and the "
            f"unimodal baseline, {seeds} seed(s) each ({table['run_id'].nunique()} runs). "
            f"Each level is compared with the baseline by a {comp['test'].iloc[0]} test "
            f"({'paired by seed' if paired else 'unpaired'}), Holm-adjusted over the levels, "
            f"and by TOST at ±δ = {a.margin:g}; α = {a.alpha:g}.",
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
        blocks.append(("table", *_verdict_table(claims, a.alpha, info.imported)))
        blocks.append(
            ("p", f"**Verdict rule** (α = {a.alpha:g}, δ = {a.margin:g}). " + VERDICT_RULE)
        )
        if info.imported:
            blocks.append(("p", IMPORTED_VERDICTS))
    multi = comp["setting"].nunique() > 1

    def where(r) -> str:
        # A label must name its setting whenever there is more than one.
        return f"{r.setting} {lv(r.level)}" if multi else lv(r.level)

    labels = ", ".join(
        f"{where(r)} **{r.label}**{' (negligible)' if r.negligible else ''}"
        for r in comp.itertuples(index=False)
    )
    blocks.append(("p", f"**Co-learning label per level** ({a.metric}): {labels}."))
    easy = comp[comp["label"] != "inconclusive"]
    hard = comp[comp["label"] == "inconclusive"]
    blocks.append(
        (
            "p",
            "**What was easy.** "
            + (
                "Clear decisions at " + ", ".join(where(r) for r in easy.itertuples()) + "."
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
                    f"{where(r)}: about {r.seeds_needed} seeds to settle it"
                    if pd.notna(r.seeds_needed)
                    else where(r)
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
    claims = a.claims
    if not len(claims):
        return [Section("Claims", [("p", "The study names no claims to check.")])]
    items = []
    for r in claims.drop_duplicates("id").itertuples(index=False):
        paper = "" if not np.isfinite(r.paper_value) else f", paper value {fmt(r.paper_value)}"
        items.append(
            f"**{r.id}** ({lv(r.level)}, {r.metric}): {r.text or 'no text'} "
            f"Expected label **{r.expected}**{paper}."
        )
    return [Section("Claims", [("list", items)])]


def _method(table, a, info) -> list[Section]:
    out = [Section("Method", [("p", "What was trained, on what, and how it was analysed.")])]
    model = [("p", f"**Model:** {info.model}.")]
    if info.hyperparameters:
        model.append(kv(info.hyperparameters))
    out.append(Section("Model and hyperparameters", model, 3))
    out.append(Section("Data", [("p", info.data)], 3))
    if info.protocol:
        out.append(Section("Protocol switches", [kv(info.protocol)], 3))
    if info.settings:
        changes = [
            [name, "; ".join(f"{k} = {v}" for k, v in change.items()) or "nothing"]
            for name, change in info.settings.items()
        ]
        out.append(Section("Settings", [
            ("p", f"The tables above are setting **{a.reference}**, the reference; each other "
                  "setting changes only what is listed."),
            ("table", ["setting", f"changes against {a.reference}"], changes),
        ], 3))  # fmt: skip
    comp = a.comparison
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
                    + (f" {info.seeds_note}" if info.seeds_note else ""),
                )
            ],
            3,
        )
    )
    compute = dict(info.compute or {})
    versions = compute.pop("versions", None) or {}
    if "wall_time_s" in compute and compute["wall_time_s"] is not None:
        compute["training time"] = f"{float(compute.pop('wall_time_s')):.1f} s (sum over runs)"
    rows = {**compute, **{f"version of {k}": v for k, v in versions.items()}}
    out.append(
        Section(
            "Compute", [kv(rows) if rows else ("p", "No training was done for this report.")], 3
        )
    )
    out.append(
        Section(
            "Analysis settings",
            [
                kv(
                    {
                        "metric": a.metric,
                        "condition": a.condition,
                        "α": a.alpha,
                        "equivalence margin δ": a.margin,
                        "test": comp["test"].iloc[0],
                        "multiplicity": "Holm over levels, separately for difference and equivalence",
                        "bootstrap (dose-response)": f"{a.n_boot} cluster replicates over seeds, seed {a.seed}",
                    }
                )
            ],
            3,
        )
    )
    return out


def _deviations(info) -> list[Section]:
    devs = info.deviations or []
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


def _compared_title(info: StudyFacts) -> str:
    methods = any("method.name" in change for change in info.settings.values())
    return "Remedies compared" if methods else "Settings compared"


def report_sections(
    table: pd.DataFrame, a: StudyAnalysis, info: StudyFacts, files: list[Path], sequential=None
) -> tuple[str, list[Section]]:
    """Title and sections of the report (see :func:`analysis.report.build_report`); a
    sequential design (``SequentialRecord``) adds its section after the summary."""
    title = f"Reproducibility report: {info.name}"
    sections = (
        _summary(table, a, info, files)
        + (sequential_section(sequential, files) if sequential is not None else [])
        + _claims(a)
        + _method(table, a, info)
        + reproducing(table, a, info, files)
        + beyond(a, files)
        + settings_compared(a, files, _compared_title(info))
        + _deviations(info)
        + statistical_notes(a)
    )
    notes = info.notes or []
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
