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

from analysis.contrast import LABELS, contrast, decide, holm, pair_by_seed
from analysis.power import sd_upper_limit, seeds_needed, seeds_needed_equivalence
from analysis.tidy import higher_is_better as _direction
from analysis.tidy import select
from colearn.errors import ConfigError, DataError

__all__ = ["compare_to_baseline", "resolve_paired", "baseline_rows", "margin_sensitivity"]

COLUMNS = [
    "setting",
    "level",
    "n",
    "n_baseline",
    "mean",
    "sd",
    "baseline_mean",
    "baseline_sd",
    "diff",
    "ci_low",
    "ci_high",
    "p_diff",
    "p_diff_adj",
    "p_equiv",
    "p_equiv_adj",
    "label",
    "negligible",
    "hedges_g",
    "d_z",
    "p_superiority",
    "equiv_margin",
    "seeds_needed",
    "test",
    "metric",
    "condition",
    "alpha",
    "margin",
    "correction",
    "paired",
    "higher_is_better",
]


def _warn(messages: list[str], text: str) -> None:
    messages.append(text)
    warnings.warn(text, UserWarning, stacklevel=3)


def resolve_paired(rows: pd.DataFrame, paired: bool | None, messages: list[str]) -> bool:
    """The pairing to use: the table's ``paired`` flag unless overridden (warns on a mismatch)."""
    marked = bool(rows["paired"].all())
    if paired is None:
        return marked
    if paired and not marked:
        _warn(
            messages,
            "a paired analysis was requested but the table marks its design as unpaired "
            "(arms do not share initialisation or data order); the paired p-values assume they do.",
        )
    return bool(paired)


def baseline_rows(rows: pd.DataFrame, setting: str) -> pd.DataFrame:
    """Unimodal rows for ``setting``: its own, or the study's when the setting has none."""
    uni = rows[rows["arm"] == "unimodal"]
    own = uni[uni["setting"] == setting]
    if len(own):
        return own
    return uni.drop_duplicates("run_id")


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
        equivalence when |diff| < margin, else the difference), ``test`` (``paired-t`` or
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
    if not 0 < alpha < 0.5:
        raise ConfigError(f"alpha is {alpha!r}; it must lie between 0 and 0.5.")
    if not margin > 0:
        raise ConfigError(f"margin is {margin!r}; it must be a positive number.")
    rows = select(table, metric, condition, None)
    higher = _direction(metric) if higher_is_better is None else bool(higher_is_better)
    messages: list[str] = []
    use_paired = resolve_paired(rows, paired, messages)
    if not (rows["arm"] == "unimodal").any():
        raise DataError(f"the table has no unimodal baseline rows for {metric!r}/{condition!r}.")
    settings = sorted(rows.loc[rows["arm"] == "multimodal", "setting"].unique())
    if setting is not None:
        if setting not in settings:
            raise ConfigError(
                f"the table has no multimodal rows for setting {setting!r}; it has "
                f"{', '.join(map(repr, settings)) or 'none'}."
            )
        settings = [setting]
    if not settings:
        raise DataError(f"the table has no multimodal rows for {metric!r}/{condition!r}.")
    out = []
    for name in settings:
        base = baseline_rows(rows, name)
        multi = rows[(rows["arm"] == "multimodal") & (rows["setting"] == name)]
        results = []
        for level, group in multi.groupby("level", sort=True):
            if use_paired:
                x, y, dropped = pair_by_seed(group, base, f"level {level:g}")
                if dropped:
                    _warn(
                        messages,
                        f"setting {name}, level {level:g}: seed(s) {dropped} lack a partner in "
                        "the other arm and were dropped from the paired analysis.",
                    )
            else:
                x, y = group["value"].to_numpy(float), base["value"].to_numpy(float)
            res = contrast(x, y, paired=use_paired, alpha=alpha, margin=margin)
            res.update(setting=name, level=float(level))
            results.append(res)
        p_diff_adj = holm([r["p_diff"] for r in results])
        p_equiv_adj = holm([r["p_equiv"] for r in results])
        for r, pd_adj, pe_adj in zip(results, p_diff_adj, p_equiv_adj, strict=True):
            outcome, negligible = decide(pd_adj, pe_adj, r["diff"], alpha, higher)
            r.update(
                p_diff_adj=float(pd_adj),
                p_equiv_adj=float(pe_adj),
                label=LABELS[outcome],
                negligible=negligible,
            )
            r["seeds_needed"] = (
                _seeds_to_settle(r, alpha, margin, len(results), use_paired)
                if outcome == "inconclusive"
                else float("nan")
            )
            r.update(
                metric=metric,
                condition=condition,
                alpha=alpha,
                margin=margin,
                correction="holm",
                paired=use_paired,
                higher_is_better=higher,
            )
        out.extend(results)
    result = pd.DataFrame(out)[COLUMNS].sort_values(["setting", "level"]).reset_index(drop=True)
    result["seeds_needed"] = result["seeds_needed"].astype("Int64")
    if min(result["n"].min(), result["n_baseline"].min()) < 10:
        messages.append(
            f"only {int(min(result['n'].min(), result['n_baseline'].min()))} seeds per arm: "
            "t-based results rest on near-normal seed scores and have little power; "
            "10 or more seeds are advised."
        )
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
