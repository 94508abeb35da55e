"""The two-arm contrast behind every comparison, and the engine that runs a family of them.

:func:`contrast` compares one sample ``x`` with one sample ``y`` (paired by seed or not) and
returns a flat dict in the shared column vocabulary (:mod:`analysis.columns`); :func:`holm`
adjusts a family of p-values; :func:`decide` turns adjusted p-values into Lakens' four outcomes.
:func:`contrast_family` runs a whole family (pairing, tests, Holm, decision): the level-vs-baseline
comparison (:mod:`analysis.compare`), the setting and level comparisons
(:mod:`analysis.settings`) and the robustness tests (:mod:`analysis.robust`) are thin callers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

from colearn.errors import DataError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

__all__ = [
    "Comparison",
    "contrast",
    "contrast_family",
    "holm",
    "decide",
    "pair_by_seed",
    "few_seeds_warning",
    "LABELS",
    "SETTING_LABELS",
]

#: Labels of a level compared with the unimodal baseline.
LABELS = {"better": "PCL", "worse": "NCL", "equivalent": "NeCL", "inconclusive": "inconclusive"}
#: Labels of one setting or level compared with another.
SETTING_LABELS = {
    "better": "better",
    "worse": "worse",
    "equivalent": "equivalent",
    "inconclusive": "inconclusive",
}


#: Seeds per arm below which every comparison warns that its t-based results are fragile.
ADVISED_SEEDS = 10


def few_seeds_warning(result: pd.DataFrame) -> str | None:
    """The warning every comparison prints when an arm has fewer than :data:`ADVISED_SEEDS`
    seeds (``result`` has the contrast columns ``n`` and ``n_baseline``); None otherwise.

    Examples
    --------
    >>> few_seeds_warning(pd.DataFrame({"n": [5, 6], "n_baseline": [5, 5]}))[:28]
    'only 5 seeds per arm: t-base'
    """
    if result.empty:
        return None
    fewest = int(min(result["n"].min(), result["n_baseline"].min()))
    if fewest >= ADVISED_SEEDS:
        return None
    return (
        f"only {fewest} seeds per arm: t-based results rest on near-normal seed scores and "
        f"have little power; {ADVISED_SEEDS} or more seeds are advised."
    )


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
    seeds_a, seeds_b = a["seed"].to_numpy(), b["seed"].to_numpy()
    # seeds are unique within each group (checked above): a sorted intersection aligns them
    _, ia, ib = np.intersect1d(seeds_a, seeds_b, assume_unique=True, return_indices=True)
    dropped = np.setxor1d(seeds_a, seeds_b, assume_unique=True).tolist()
    return a["value"].to_numpy(float)[ia], b["value"].to_numpy(float)[ib], dropped


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
        per-seed differences, paired only), ``df``, ``test`` (``paired-t`` or ``welch-t``),
        ``note`` (why no test was run: ``fewer than 2 seeds`` or ``no variance``; else empty).
        Without a test every p-value, CI and effect size is NaN, so the decision is
        ``inconclusive``.

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
        note="",
    )
    if paired and len(x) != len(y):
        raise DataError(f"a paired contrast needs equal group sizes, got {len(x)} and {len(y)}.")
    if len(x) < 2 or len(y) < 2:
        out["note"] = "fewer than 2 seeds"
        return out
    # Equal values (or equal per-seed differences) leave no variance to test against; the
    # t statistic is then 0/0, or floating-point noise over ~0 (0.47 − 0.45 vs .02), so no test
    # is run and the row says why.
    spread = _sd(x - y) if paired else max(_sd(x), _sd(y))
    if not spread > 1e-12 * max(1.0, abs(out["mean"]), abs(out["baseline_mean"])):
        out["note"] = "no variance"
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
            # the Mann–Whitney U of x counts pairs with x > y, ties half: P(X > Y) · n_x · n_y,
            # from ranks in O(n log n) rather than all n_x · n_y pairs
            u = stats.mannwhitneyu(x, y, method="asymptotic").statistic
            out["p_superiority"] = float(u / (len(x) * len(y)))
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


#: The two families every comparison adjusts with Holm: (unadjusted column, adjusted column).
FAMILIES = (("p_diff", "p_diff_adj"), ("p_equiv", "p_equiv_adj"))


@dataclass(frozen=True)
class Comparison:
    """One member of a family: its key columns and the two groups' rows (``seed``, ``value``).

    ``what`` names the comparison in messages (e.g. ``"setting default, level 0.8"``).
    """

    key: dict
    a: pd.DataFrame
    b: pd.DataFrame
    what: str


def _aligned(c: Comparison, paired: bool, messages: list[str]) -> tuple[np.ndarray, np.ndarray]:
    if not paired:
        return c.a["value"].to_numpy(float), c.b["value"].to_numpy(float)
    x, y, dropped = pair_by_seed(c.a, c.b, c.what)
    if len(x) < 2 <= min(len(c.a), len(c.b)):
        raise DataError(
            f"{c.what}: the two groups share {len(x)} seed index(es), so they cannot be paired; "
            "analyse the table unpaired (--unpaired)."
        )
    if dropped:
        messages.append(
            f"{c.what}: seed(s) {dropped} lack a partner in the other group and were left out "
            "of the paired analysis."
        )
    return x, y


def contrast_family(
    comparisons: Iterable[Comparison],
    *,
    paired: bool,
    alpha: float,
    margin: float,
    higher_is_better: bool,
    labels: dict[str, str] | None = LABELS,
    test: Callable[..., dict] = contrast,
    adjust: tuple[tuple[str, str], ...] = FAMILIES,
) -> pd.DataFrame:
    """Run a family of two-group comparisons: pair, test, adjust with Holm, decide.

    Parameters
    ----------
    comparisons : iterable of Comparison
        The family; Holm runs over all of it.
    paired : bool
        Align the two groups on ``seed`` (paired tests) or not (Welch).  A paired comparison
        whose groups share fewer than 2 seeds is an error, not a silent switch to Welch.
    alpha, margin : float
        Significance level and equivalence margin δ (metric units).
    higher_is_better : bool
        Direction of the metric (which sign of a difference is *better*).
    labels : dict, optional
        Text of each outcome (:data:`LABELS` for co-learning labels, :data:`SETTING_LABELS` for
        better / worse); None skips the decision (robustness tests).
    test : callable
        ``test(x, y, paired=, alpha=, margin=) -> dict`` for one comparison; :func:`contrast`.
    adjust : tuple of (str, str)
        Holm families as (column of ``test``'s output, adjusted column).

    Returns
    -------
    pandas.DataFrame
        One row per comparison: the key columns, ``test``'s columns, the adjusted columns,
        ``label`` and ``negligible`` (when ``labels``), and the settings echoed: ``alpha``,
        ``margin``, ``correction`` (``holm``), ``paired``, ``higher_is_better``.  Messages a
        reader must see are in ``result.attrs["warnings"]``.

    Raises
    ------
    DataError
        When the family is empty, a seed repeats within a paired group, or paired groups share
        fewer than 2 seeds.
    """
    messages: list[str] = []
    rows = []
    for c in comparisons:
        x, y = _aligned(c, paired, messages)
        result = test(x, y, paired=paired, alpha=alpha, margin=margin)
        if result.get("note"):
            messages.append(f"{c.what}: {result['note']}; no test was run (inconclusive).")
        rows.append({**c.key, **result})
    if not rows:
        raise DataError("there is nothing to compare: the family of comparisons is empty.")
    frame = pd.DataFrame(rows)
    for column, adjusted in adjust:
        frame[adjusted] = holm(frame[column])
    if labels is not None:
        decisions = [
            decide(r.p_diff_adj, r.p_equiv_adj, r.diff, alpha, higher_is_better)
            for r in frame.itertuples(index=False)
        ]
        frame["label"] = [labels[outcome] for outcome, _ in decisions]
        frame["negligible"] = [negligible for _, negligible in decisions]
    frame = frame.assign(
        alpha=alpha,
        margin=margin,
        correction="holm",
        paired=paired,
        higher_is_better=higher_is_better,
    )
    frame.attrs["warnings"] = messages
    return frame
