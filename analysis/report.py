"""The reproducibility report: claims judged, figures, and every analysis, in Markdown and HTML.

:func:`analyze_for_report` runs the analyses (comparison with the baseline, margin sensitivity,
claims, dose-response fits, optimal level, power); :func:`build_report` writes ``report.md``, a
self-contained ``report.html`` (figures embedded), the figures (PNG and PDF), the Figure 5 tables
and CSV files of the main results into one folder.  The layout follows the ML Reproducibility
Challenge: summary with the verdict table, claims, method, results reproducing the paper, results
beyond it, deviations, statistical notes.  Section texts live in :mod:`analysis.report_sections`.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.claims import judge_claims
from analysis.compare import compare_to_baseline, margin_sensitivity
from analysis.figures import save_figures
from analysis.power import detectable_effect, sd_upper_limit, seeds_needed
from analysis.report_render import render_html, render_markdown
from analysis.tidy import select, validate_tidy
from colearn.errors import ColearnError, ConfigError

__all__ = ["analyze_for_report", "power_table", "build_report", "REPORT_FILES"]

#: Files :func:`build_report` always writes (figures and tables come in addition).
REPORT_FILES = ("report.md", "report.html", "comparison.csv", "claims.csv")


def power_table(
    table: pd.DataFrame,
    comparison: pd.DataFrame,
    *,
    power: float = 0.8,
) -> pd.DataFrame:
    """Seeds needed per level to detect a difference of ±δ, and the effect detectable now.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table (for the per-seed differences of a paired design).
    comparison : pandas.DataFrame
        :func:`analysis.compare.compare_to_baseline` output (its settings are reused).
    power : float
        Target power.

    Returns
    -------
    pandas.DataFrame
        One row per (setting, level): ``setting``, ``level``, ``n``, ``sd_plan`` (SD used for
        planning: of the per-seed differences when paired, else the pooled SD of the two arms),
        ``sd_upper`` (its upper 80 % confidence limit), ``seeds_needed`` (per arm or pairs, to
        detect a true difference of δ at α / levels with ``power``, planning with ``sd_upper``),
        ``detectable`` (smallest difference detected with ``power`` at the current n and α /
        levels), ``power``.
    """
    rows = []
    m = comparison.groupby("setting")["level"].transform("count")
    for (_, r), n_levels in zip(comparison.iterrows(), m, strict=True):
        paired, alpha, margin = bool(r["paired"]), float(r["alpha"]), float(r["margin"])
        n = int(min(r["n"], r["n_baseline"]))
        sd = np.sqrt((r["sd"] ** 2 + r["baseline_sd"] ** 2) / 2)
        if paired:
            sel = select(table, str(r["metric"]), str(r["condition"]))
            a = sel[(sel["arm"] == "multimodal") & (sel["setting"] == r["setting"])]
            a = a[np.isclose(a["level"], r["level"])][["seed", "value"]]
            b = sel[sel["arm"] == "unimodal"].drop_duplicates("seed")[["seed", "value"]]
            d = a.merge(b, on="seed")
            sd = float((d["value_x"] - d["value_y"]).std(ddof=1)) if len(d) > 1 else np.nan
        rec = {
            "setting": r["setting"],
            "level": r["level"],
            "n": n,
            "sd_plan": sd,
            "sd_upper": np.nan,
            "seeds_needed": np.nan,
            "detectable": np.nan,
            "power": power,
        }
        if n >= 2 and np.isfinite(sd) and sd > 0:
            a_adj = alpha / max(int(n_levels), 1)
            rec["sd_upper"] = sd_upper_limit(sd, n)
            rec["seeds_needed"] = seeds_needed(
                margin, sd, alpha=a_adj, power=power, paired=paired, sd_n=n
            )
            rec["detectable"] = detectable_effect(n, sd, alpha=a_adj, power=power, paired=paired)
        rows.append(rec)
    out = pd.DataFrame(rows)
    out["seeds_needed"] = out["seeds_needed"].astype("Int64")
    return out


def _quiet(func, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def analyze_for_report(
    table: pd.DataFrame,
    *,
    claims: pd.DataFrame | None = None,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    n_boot: int = 2000,
    seed: int = 0,
) -> dict:
    """Run every analysis the report shows and return the results by name.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    claims : pandas.DataFrame, optional
        Claims to judge (see :func:`analysis.claims.judge_claims`).
    metric, condition, alpha, margin, paired
        As in :func:`analysis.compare.compare_to_baseline`.
    n_boot, seed : int
        Cluster-bootstrap replicates of the dose-response band and optimum, and their seed.

    Returns
    -------
    dict
        ``comparison``, ``warnings`` (list of str), ``sensitivity`` (margins δ × ½, 1, 1½),
        ``claims`` (judged; empty when none), ``fits``, ``band``, ``optimum``, ``dose_test``
        (None when the dose-response analysis cannot run, with the reason in ``dose_note``),
        ``power``, and the settings echoed: ``metric``, ``condition``, ``alpha``, ``margin``,
        ``n_boot``, ``seed``.
    """
    from analysis import doseresponse as dr

    table = validate_tidy(table)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_to_baseline(table, metric, condition, alpha, margin, paired)
    notes = list(
        dict.fromkeys(comparison.attrs.get("warnings", []) + [str(w.message) for w in caught])
    )
    res = {
        "comparison": comparison,
        "warnings": notes,
        "metric": metric,
        "condition": condition,
        "alpha": alpha,
        "margin": margin,
        "n_boot": n_boot,
        "seed": seed,
    }
    res["sensitivity"] = _quiet(
        margin_sensitivity,
        table,
        margins=(margin / 2, margin, 1.5 * margin),
        metric=metric,
        condition=condition,
        alpha=alpha,
        paired=paired,
    )
    if claims is not None and len(claims):
        res["claims"] = judge_claims(
            table,
            claims,
            comparison,
            alpha=alpha,
            margin=margin,
            condition=condition,
            paired=paired,
        )
    else:
        res["claims"] = pd.DataFrame()
    res.update(fits=None, band=None, optimum=None, dose_test=None, dose_note="")
    try:
        res["fits"] = _quiet(dr.fit_dose_response, table, metric, condition)
        res["band"] = _quiet(
            dr.dose_response_band, table, metric, condition, n_boot=n_boot, seed=seed, alpha=alpha
        )
        res["optimum"] = _quiet(
            dr.optimal_level, table, metric, condition, n_boot=n_boot, seed=seed, alpha=alpha
        )
        res["dose_test"] = _quiet(dr.dose_effect_test, table, metric, condition)
    except ColearnError as exc:
        res["dose_note"] = str(exc)
    res["power"] = power_table(table, comparison)
    return res


def build_report(
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    study_info: dict,
    claims: pd.DataFrame | None = None,
    confusion: dict | None = None,
    metric: str | None = None,
    condition: str = "primary",
    alpha: float | None = None,
    margin: float | None = None,
    paired: bool | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    analysis: dict | None = None,
) -> Path:
    """Write the reproducibility report of one study into ``out_dir``.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results table.
    out_dir : str or pathlib.Path
        Output folder (created); figures go to ``out_dir/figures``.
    study_info : dict
        Plain description of the study, every key optional: ``name``, ``description``,
        ``source`` (where the numbers come from), ``model``, ``hyperparameters`` (dict),
        ``protocol`` (dict of switches), ``data`` (str), ``seeds``, ``levels``, ``compute``
        (dict: ``runs``, ``wall_time_s``, ``device``, ``versions`` dict), ``deviations`` (list of
        str), ``notes`` (list of str), ``metric``, ``alpha``, ``margin``, ``confusion_source``.
    claims : pandas.DataFrame, optional
        Claims (id, level, metric, paper_value, expected, text) to judge.
    confusion : dict, optional
        ``{title: (matrix, labels)}`` for the paper's Figure 4 (e.g. p = 0 and p = 0.8).
    metric, alpha, margin : optional
        Analysis settings; default ``study_info``'s, else accuracy, .05 and .02.
    condition : str
        Evaluation condition.
    paired : bool, optional
        Pairing; default the table's flag.
    n_boot, seed : int
        Bootstrap replicates and seed for the dose-response band and the optimum.
    analysis : dict, optional
        A precomputed :func:`analyze_for_report` result (its settings win).

    Returns
    -------
    pathlib.Path
        The path of ``report.html`` (``report.md`` and the other files lie beside it).

    Raises
    ------
    ConfigError
        When ``study_info`` is not a dict or the metric is not in the table.
    """
    from analysis.report_sections import report_sections

    if not isinstance(study_info, dict):
        raise ConfigError(f"study_info must be a dict, got {type(study_info).__name__}.")
    table = validate_tidy(table)
    metric = metric or study_info.get("metric") or "accuracy"
    alpha = alpha if alpha is not None else float(study_info.get("alpha", 0.05))
    margin = margin if margin is not None else float(study_info.get("margin", 0.02))
    if analysis is None:
        analysis = analyze_for_report(
            table,
            claims=claims,
            metric=metric,
            condition=condition,
            alpha=alpha,
            margin=margin,
            paired=paired,
            n_boot=n_boot,
            seed=seed,
        )
    out = Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    files = save_figures(
        table,
        fig_dir,
        metric=analysis["metric"],
        condition=condition,
        comparison=analysis["comparison"],
        band=analysis["band"],
        optimum=analysis["optimum"],
        confusion=confusion,
        alpha=analysis["alpha"],
        margin=analysis["margin"],
    )
    analysis["comparison"].to_csv(out / "comparison.csv", index=False)
    analysis["claims"].to_csv(out / "claims.csv", index=False)
    title, sections = report_sections(table, analysis, study_info, files)
    (out / "report.md").write_text(render_markdown(title, sections, base=out))
    html_path = out / "report.html"
    html_path.write_text(render_html(title, sections))
    return html_path
