"""The two-arm contrast behind every comparison: tests, CIs, effect sizes, Holm and the labels.

:func:`contrast` compares one sample ``x`` with one sample ``y`` (paired by seed or not) and
returns a flat dict in the shared column vocabulary; :func:`holm` adjusts a family of p-values;
:func:`decide` turns adjusted p-values into Lakens' four outcomes.  ``compare`` (level vs
baseline) and ``settings`` (level vs level, setting vs setting) build their tables from these.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from colearn.errors import DataError

__all__ = ["contrast", "holm", "decide", "pair_by_seed", "LABELS", "SETTING_LABELS"]

#: Labels of a level compared with the unimodal baseline.
LABELS = {"better": "PCL", "worse": "NCL", "equivalent": "NeCL", "inconclusive": "inconclusive"}
#: Labels of one setting or level compared with another.
SETTING_LABELS = {
    "better": "better",
    "worse": "worse",
    "equivalent": "equivalent",
    "inconclusive": "inconclusive",
}


def pair_by_seed(
    a: pd.DataFrame, b: pd.DataFrame, what: str
) -> tuple[np.ndarray, np.ndarray, list]:
    """Align two sets of rows (columns ``seed``, ``value``) on ``seed``.

    Returns the aligned values of ``a`` and ``b`` and the sorted list of seeds present in only
    one of them (dropped).
    """
    for frame, name in ((a, "first"), (b, "second")):
        dup = frame["seed"][frame["seed"].duplicated()]
        if len(dup):
            raise DataError(
                f"seed {int(dup.iloc[0])} appears twice in the {name} group of {what}; "
                "a paired analysis needs one value per seed."
            )
    merged = a[["seed", "value"]].merge(b[["seed", "value"]], on="seed", suffixes=("_a", "_b"))
    merged = merged.sort_values("seed")
    dropped = sorted(set(a["seed"]).symmetric_difference(set(b["seed"])))
    return merged["value_a"].to_numpy(float), merged["value_b"].to_numpy(float), dropped


def _sd(v: np.ndarray) -> float:
    return float(np.std(v, ddof=1)) if len(v) > 1 else float("nan")


def contrast(
    x: np.ndarray,
    y: np.ndarray,
    *,
    paired: bool,
    alpha: float = 0.05,
    margin: float = 0.02,
) -> dict:
    """Compare sample ``x`` with sample ``y``: difference test, TOST, CI and effect sizes.

    Parameters
    ----------
    x, y : array-like
        Values of the two groups; when ``paired`` they are aligned (same seed at each index).
    paired : bool
        Paired t / paired TOST on ``x - y`` instead of Welch t / Welch TOST.
    alpha : float
        Two-sided level of the difference test; the CI is (1 − α); TOST uses α per side.
    margin : float
        Equivalence margin δ (metric units).

    Returns
    -------
    dict
        ``n`` (x), ``n_baseline`` (y), ``mean``, ``sd``, ``baseline_mean``, ``baseline_sd``,
        ``diff`` (mean x − mean y), ``ci_low``, ``ci_high`` ((1 − α) t CI of the difference),
        ``p_diff`` (two-sided), ``p_equiv`` (TOST, max of the two one-sided p's), ``hedges_g``,
        ``d_z`` (paired only, else NaN), ``p_superiority`` (P(X > Y), ties count half; paired:
        share of positive differences), ``equiv_margin`` (smallest δ at which TOST would pass
        at α: the larger end of the (1 − 2α) CI in absolute value), ``sd_diff`` (SD of the
        per-seed differences, paired only), ``df``, ``test`` (``paired-t`` or ``welch-t``).

    Notes
    -----
    Tests are scipy's ``ttest_rel`` / ``ttest_ind(equal_var=False)`` (with their
    ``confidence_interval``) and statsmodels' ``ttost_paired`` / ``ttost_ind(usevar="unequal")``;
    Hedges g is pingouin's ``compute_effsize(eftype="hedges")``.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    out = {
        "n": len(x),
        "n_baseline": len(y),
        "mean": float(np.mean(x)) if len(x) else float("nan"),
        "sd": _sd(x),
        "baseline_mean": float(np.mean(y)) if len(y) else float("nan"),
        "baseline_sd": _sd(y),
    }
    nan = float("nan")
    out.update(
        diff=out["mean"] - out["baseline_mean"],
        ci_low=nan,
        ci_high=nan,
        p_diff=nan,
        p_equiv=nan,
        hedges_g=nan,
        d_z=nan,
        p_superiority=nan,
        equiv_margin=nan,
        sd_diff=nan,
        df=nan,
        test="paired-t" if paired else "welch-t",
    )
    if paired and len(x) != len(y):
        raise DataError(f"a paired contrast needs equal group sizes, got {len(x)} and {len(y)}.")
    if len(x) < 2 or len(y) < 2:
        return out
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        if paired:
            d = x - y
            res = stats.ttest_rel(x, y)
            ci = res.confidence_interval(1 - alpha)
            ci2 = res.confidence_interval(1 - 2 * alpha)
            p_equiv = ttost_paired(x, y, -margin, margin)[0]
            sd_d = _sd(d)
            out.update(
                d_z=float(np.mean(d) / sd_d) if sd_d > 0 else nan,
                sd_diff=sd_d,
                p_superiority=float(np.mean(d > 0) + 0.5 * np.mean(d == 0)),
            )
        else:
            res = stats.ttest_ind(x, y, equal_var=False)
            ci = res.confidence_interval(1 - alpha)
            ci2 = res.confidence_interval(1 - 2 * alpha)
            p_equiv = ttost_ind(x, y, -margin, margin, usevar="unequal")[0]
            gt = (x[:, None] > y[None, :]).mean() + 0.5 * (x[:, None] == y[None, :]).mean()
            out["p_superiority"] = float(gt)
        out.update(
            ci_low=float(ci.low),
            ci_high=float(ci.high),
            p_diff=float(res.pvalue),
            p_equiv=float(p_equiv),
            df=float(res.df),
            hedges_g=float(pg.compute_effsize(x, y, paired=paired, eftype="hedges")),
            equiv_margin=float(max(abs(ci2.low), abs(ci2.high))),
        )
    return out


def holm(pvalues) -> np.ndarray:
    """Holm-adjusted p-values of one family (NaN entries stay NaN and do not count).

    Parameters
    ----------
    pvalues : array-like
        Unadjusted p-values.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, equal to statsmodels ``multipletests(p, method="holm")[1]`` (checked
        in the tests; computed directly because that call is slow in a simulation loop).

    Examples
    --------
    >>> holm([0.01, 0.04, float("nan"), 0.03]).round(2)
    array([0.03, 0.06,  nan, 0.06])
    """
    p = np.asarray(pvalues, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    m = len(ok)
    if m:
        order = ok[np.argsort(p[ok], kind="stable")]
        steps = (m - np.arange(m)) * p[order]
        out[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return out


def decide(
    p_diff_adj: float, p_equiv_adj: float, diff: float, alpha: float, higher_is_better: bool
) -> tuple[str, bool]:
    """Lakens' four outcomes from adjusted p-values.

    Parameters
    ----------
    p_diff_adj, p_equiv_adj : float
        Adjusted p of the difference test and of TOST.
    diff : float
        Estimated difference (first group − second group).
    alpha : float
        Significance level.
    higher_is_better : bool
        Direction of the metric; for losses a negative ``diff`` is *better*.

    Returns
    -------
    tuple of (str, bool)
        Outcome ``better`` / ``worse`` (different), ``equivalent`` (equivalent and not
        different) or ``inconclusive`` (neither); and ``negligible``: different *and*
        equivalent (significant but inside ±δ).

    Examples
    --------
    >>> decide(0.01, 0.02, 0.01, 0.05, True)
    ('better', True)
    >>> decide(0.01, 0.02, 0.01, 0.05, False)
    ('worse', True)
    >>> decide(0.5, 0.6, 0.0, 0.05, True)
    ('inconclusive', False)
    """
    different = bool(p_diff_adj < alpha)
    equivalent = bool(p_equiv_adj < alpha)
    if different:
        improved = diff > 0 if higher_is_better else diff < 0
        return ("better" if improved else "worse"), equivalent
    if equivalent:
        return "equivalent", False
    return "inconclusive", False
