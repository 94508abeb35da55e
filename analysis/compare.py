"""Each dropout level against the unimodal baseline: NCL, NeCL, PCL or inconclusive.

Per level ℓ, d = (multimodal-trained model tested on the primary modality) − (primary-only
baseline).  Difference: paired t when the design is paired, else Welch t.  Equivalence: TOST at
±δ.  Holm over the levels of one setting, separately for the two families.  Decision (Lakens):
different & not equivalent → PCL / NCL by the sign of the improvement; different & equivalent →
the same label flagged ``negligible``; equivalent & not different → NeCL; neither →
``inconclusive`` (never NeCL).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.columns import COMPARISON
from analysis.contrast import LABELS, Comparison, contrast_family, few_seeds_warning
from analysis.power import (
    detectable_effect,
    sd_upper_limit,
    seeds_needed,
    seeds_needed_equivalence,
)
from analysis.tidy import analysable, baseline_rows, design_paired, level_rows, settings_of
from analysis.tidy import higher_is_better as _direction
from colearn.errors import ConfigError, DataError

__all__ = [
    "level_families",
    "compare_to_baseline",
    "margin_sensitivity",
    "power_by_level",
    "check_alpha_margin",
]


def level_families(rows: pd.DataFrame, setting: str | None = None):
    """Yield ``(setting, family)``: each level of a setting against its baseline, one family.

    Parameters
    ----------
    rows : pandas.DataFrame
        Usable rows of one metric and condition (:func:`analysis.tidy.analysable`).
    setting : str, optional
        One setting; default every setting with multimodal rows.
    """
    for name in settings_of(rows, setting):
        base = baseline_rows(rows, name)
        yield name, [
            Comparison({"setting": name, "level": float(level)}, group, base,
                       f"setting {name}, level {level:g}")
            for level, group in level_rows(rows, name).groupby("level", sort=True)
        ]  # fmt: skip


def check_alpha_margin(alpha: float, margin: float) -> None:
    """Refuse a significance level outside (0, 0.5) or a margin that is not finite and positive."""
    if not (isinstance(alpha, (int, float)) and 0 < alpha < 0.5):
        raise ConfigError(f"alpha is {alpha!r}; it must lie between 0 and 0.5.")
    if not (isinstance(margin, (int, float)) and np.isfinite(margin) and margin > 0):
        raise ConfigError(f"margin is {margin!r}; it must be a finite positive number.")


def _seeds_to_settle(row: dict, alpha: float, margin: float, m: int, paired: bool) -> float:
    """Seeds per arm for 80 % power at α/m, planning with the upper 80 % SD limit."""
    n = min(row["n"], row["n_baseline"])
    sd = row["sd_diff"] if paired else np.sqrt((row["sd"] ** 2 + row["baseline_sd"] ** 2) / 2)
    if not (n >= 2 and np.isfinite(sd) and sd > 0):
        return float("nan")
    a = alpha / max(m, 1)
    try:
        if abs(row["diff"]) < margin:
            return float(
                seeds_needed_equivalence(
                    margin, sd, true_diff=row["diff"], alpha=a, paired=paired, sd_n=n
                )
            )
        return float(seeds_needed(row["diff"], sd_upper_limit(sd, n), alpha=a, paired=paired))
    except ConfigError:
        return float("nan")


def compare_to_baseline(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
    setting: str | None = None,
) -> pd.DataFrame:
    """Compare every dropout level with the unimodal baseline and label it.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results table.
    metric : str
        Metric to analyse.
    condition : str
        Evaluation condition (``primary`` is the co-learning test).
    alpha : float
        Significance level (two-sided difference test, each side of TOST, Holm family-wise).
    margin : float
        Equivalence margin δ in the metric's units (default .02 absolute).
    paired : bool, optional
        Pair by seed (paired t / paired TOST).  Default: the table's ``paired`` column (all true
        → paired).  Requesting it for an unpaired design warns.  Unmatched seeds are dropped with
        a warning.
    higher_is_better : bool, optional
        Direction; default from the metric name (accuracy, f1*, acc2*, acc7, corr → higher;
        loss, mae → lower).
    setting : str, optional
        Analyse one setting only; default every setting (Holm within each).

    Returns
    -------
    pandas.DataFrame
        One row per (setting, level), sorted.  Columns: ``setting``, ``level``, ``n`` and
        ``n_baseline`` (seeds used per arm), ``mean``, ``sd``, ``baseline_mean``,
        ``baseline_sd``, ``diff`` (mean − baseline_mean, metric units), ``ci_low``/``ci_high``
        ((1 − α) t CI of diff), ``p_diff`` (two-sided t test), ``p_diff_adj`` (Holm over
        levels), ``p_equiv`` (TOST at ±margin), ``p_equiv_adj`` (Holm over levels, its own
        family), ``label`` (``PCL``, ``NCL``, ``NeCL``, ``inconclusive``), ``negligible``
        (different and equivalent: significant but inside ±margin), ``hedges_g``, ``d_z`` (paired
        only), ``p_superiority`` (P(level value > baseline value)), ``equiv_margin`` (smallest
        margin at which unadjusted TOST passes), ``seeds_needed`` (inconclusive levels only: seeds
        per arm for 80 % power at α/levels, planning with the upper 80 % SD limit, to show
        equivalence when ``|diff| < margin``, else the difference), ``test`` (``paired-t`` or
        ``welch-t``), and the settings echoed: ``metric``, ``condition``, ``alpha``, ``margin``,
        ``correction`` (``holm``), ``paired``, ``higher_is_better``.  Warnings issued are kept in
        ``result.attrs["warnings"]``.

    Raises
    ------
    ConfigError
        Unknown metric, condition or setting; α or margin out of range.
    DataError
        No baseline rows, no multimodal rows, or a seed repeated within a paired group.

    Notes
    -----
    On the authors' IEMOCAP files (unpaired, δ = .02) this gives NCL at 0, .15, .4; NeCL at .9;
    inconclusive at .6, .8, .95 (at .8 Welch p = .053, Holm .21); paired, .8 is PCL, negligible.

    Examples
    --------
    >>> from analysis.simulate import null_table
    >>> t = null_table(n_seeds=5, levels=(0.0, 0.5), sd=0.01, seed=1)
    >>> compare_to_baseline(t)[["level", "n", "label"]]
       level  n label
    0    0.0  5  NeCL
    1    0.5  5  NeCL
    """
    check_alpha_margin(alpha, margin)
    rows, messages = analysable(table, metric, condition)
    higher = _direction(metric) if higher_is_better is None else bool(higher_is_better)
    use_paired = design_paired(rows, paired, messages)
    if not (rows["arm"] == "unimodal").any():
        raise DataError(f"the table has no unimodal baseline rows for {metric!r}/{condition!r}.")
    parts = []
    for _, family in level_families(rows, setting):
        part = contrast_family(
            family, paired=use_paired, alpha=alpha, margin=margin, higher_is_better=higher,
            labels=LABELS,
        )  # fmt: skip
        messages.extend(part.attrs["warnings"])
        part["seeds_needed"] = [
            _seeds_to_settle(r, alpha, margin, len(part), use_paired)
            if r["label"] == "inconclusive" and not r["note"]
            else float("nan")
            for r in part.to_dict("records")
        ]
        parts.append(part)
    result = pd.concat(parts, ignore_index=True).assign(metric=metric, condition=condition)
    result = result[list(COMPARISON)].sort_values(["setting", "level"]).reset_index(drop=True)
    result["seeds_needed"] = result["seeds_needed"].astype("Int64")
    messages = list(dict.fromkeys(messages))
    for text in messages:
        warnings.warn(text, UserWarning, stacklevel=2)
    if few := few_seeds_warning(result):
        messages.append(few)
    result.attrs["warnings"] = messages
    return result


def margin_sensitivity(table: pd.DataFrame, margins=(0.01, 0.02, 0.03), **kwargs) -> pd.DataFrame:
    """Labels at several equivalence margins (the sensitivity row of a report).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    margins : sequence of float
        Margins δ to try.
    **kwargs
        Passed on to :func:`compare_to_baseline` (metric, condition, alpha, paired, ...).

    Returns
    -------
    pandas.DataFrame
        One row per (margin, setting, level): ``margin``, ``setting``, ``level``, ``diff``,
        ``p_equiv_adj``, ``label``, ``negligible``.
    """
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for m in margins:
            res = compare_to_baseline(table, margin=m, **kwargs)
            parts.append(
                res[["margin", "setting", "level", "diff", "p_equiv_adj", "label", "negligible"]]
            )
    return pd.concat(parts, ignore_index=True)


def power_by_level(comparison: pd.DataFrame, *, power: float = 0.8) -> pd.DataFrame:
    """Seeds needed per level to detect a difference of ±δ, and the effect detectable now.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`compare_to_baseline` output; its α, δ, pairing and SDs are used, so the planning
        rests on exactly the seeds the comparison paired.
    power : float
        Target power.

    Returns
    -------
    pandas.DataFrame
        One row per (setting, level): ``setting``, ``level``, ``n``, ``sd_plan`` (SD used for
        planning: of the per-seed differences when paired, else the pooled SD of the two arms),
        ``sd_upper`` (its upper 80 % confidence limit), ``seeds_needed`` (per arm, or pairs, to
        detect a true difference of δ at α / levels with ``power``, planning with ``sd_upper``),
        ``detectable`` (smallest difference detected with ``power`` at the current n and
        α / levels), ``power``.
    """
    rows = []
    n_levels = comparison.groupby("setting")["level"].transform("count")
    for r, m in zip(comparison.to_dict("records"), n_levels, strict=True):
        paired = bool(r["paired"])
        n = int(min(r["n"], r["n_baseline"]))
        sd = r["sd_diff"] if paired else np.sqrt((r["sd"] ** 2 + r["baseline_sd"] ** 2) / 2)
        rec = {"setting": r["setting"], "level": r["level"], "n": n, "sd_plan": sd,
               "sd_upper": np.nan, "seeds_needed": np.nan, "detectable": np.nan,
               "power": power}  # fmt: skip
        if n >= 2 and np.isfinite(sd) and sd > 0:
            alpha = float(r["alpha"]) / max(int(m), 1)
            rec["sd_upper"] = sd_upper_limit(sd, n)
            try:
                rec["seeds_needed"] = seeds_needed(
                    float(r["margin"]), sd, alpha=alpha, power=power, paired=paired, sd_n=n
                )
            except ConfigError:  # more seeds than the planning cap: no number to promise
                rec["seeds_needed"] = np.nan
            rec["detectable"] = detectable_effect(n, sd, alpha=alpha, power=power, paired=paired)
        rows.append(rec)
    out = pd.DataFrame(rows)
    out["seeds_needed"] = out["seeds_needed"].astype("Int64")
    return out
