"""Robustness columns for the level-vs-baseline comparison.

For each level, the same difference tested several ways: Welch t, paired t (when seeds match),
an exact permutation test (sign-flip when paired), Wilcoxon signed-rank / Mann–Whitney U, and the
block model ``value ~ C(arm) + C(seed)`` (OLS; exact t for balanced data).  The minimum p-value a
permutation or rank test can attain at this n is printed beside it: with 5 seeds a paired exact
test cannot go below 2/2⁵ = .0625, an unpaired 5-vs-5 one not below 2/252 = .0079.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.columns import ROBUSTNESS
from analysis.compare import level_families
from analysis.contrast import contrast_family
from analysis.tidy import analysable, design_paired

__all__ = ["robustness", "min_attainable_p", "block_model_p", "EXACT_UP_TO"]


def min_attainable_p(n_x: int, n_y: int | None = None, paired: bool = False) -> float:
    """Smallest two-sided p an exact permutation / rank test can reach.

    Parameters
    ----------
    n_x, n_y : int
        Group sizes (``n_y`` ignored when paired: ``n_x`` pairs).
    paired : bool
        Sign-flip / signed-rank (2 / 2ⁿ) instead of two-sample (2 / C(n_x + n_y, n_x)).

    Returns
    -------
    float

    Examples
    --------
    >>> min_attainable_p(5, paired=True), round(min_attainable_p(5, 5), 4)
    (0.0625, 0.0079)
    """
    if paired:
        return min(1.0, 2.0 / 2**n_x)
    return min(1.0, 2.0 / math.comb(n_x + n_y, n_x))


#: Arrangements a permutation test enumerates exactly (2ⁿ sign flips, C(n_x + n_y, n_x) splits);
#: beyond this the test samples ``n_resamples`` of them.
EXACT_UP_TO = 100_000


def _arrangements(n_x: int, n_y: int, paired: bool) -> int:
    return 2**n_x if paired else math.comb(n_x + n_y, n_x)


def _exact_perm(x, y, paired: bool) -> float:
    def stat(a, b, axis=-1):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    res = stats.permutation_test(
        (x, y),
        stat,
        permutation_type="samples" if paired else "independent",
        vectorized=True,
        n_resamples=EXACT_UP_TO,
        alternative="two-sided",
    )
    return float(res.pvalue)


def _draws(n_x: int, n_y: int, paired: bool, n_resamples: int, seed: int) -> np.ndarray:
    """Random arrangements, one per row (float32 to halve the memory of B × n): signs ±1 when
    paired, else 1 for the first group and 0 for the second."""
    rng = np.random.default_rng(seed)
    if paired:
        return (2 * rng.integers(0, 2, (n_resamples, n_x), dtype=np.int8) - 1).astype(np.float32)
    base = np.r_[np.ones(n_x, np.float32), np.zeros(n_y, np.float32)]
    return rng.permuted(np.broadcast_to(base, (n_resamples, n_x + n_y)), axis=1)


def _sampled_perm(x, y, paired: bool, draws: np.ndarray) -> float:
    """Monte Carlo permutation p of the mean difference: (1 + count) / (1 + B) per side."""
    if paired:
        d = x - y
        observed = d.mean()
        null = (draws @ d.astype(np.float32)).astype(float) / len(d)
    else:
        # centred, so that float32 sums of a thousand values keep their precision
        pooled = np.r_[x, y] - np.mean(np.r_[x, y])
        n_x, n_y = len(x), len(y)
        observed = x.mean() - y.mean()
        first = (draws @ pooled.astype(np.float32)).astype(float)
        null = first / n_x + first / n_y  # the second group's sum is −first
    # the observed arrangement counts among the B + 1, so the p-value is never below 1/(B + 1)
    # and the test keeps its level (Phipson & Smyth 2010); ties within float32 rounding count
    tol = 1e-6 * max(np.abs(null).max(), abs(observed), 1e-300)
    b = len(null)
    greater = (1 + np.count_nonzero(null >= observed - tol)) / (1 + b)
    less = (1 + np.count_nonzero(null <= observed + tol)) / (1 + b)
    return float(min(1.0, 2 * min(greater, less)))


def block_model_p(value, arm, seed) -> float:
    """p of the arm effect in the block model ``value ~ C(arm) + C(seed)`` (OLS), closed form.

    Parameters
    ----------
    value : array-like of float
        Observations.
    arm : array-like
        Two arms (any two labels).
    seed : array-like
        Block (seed index) of each observation.

    Returns
    -------
    float
        Two-sided t-test p of the arm coefficient.

    Notes
    -----
    By Frisch–Waugh–Lovell the arm coefficient of the model with one dummy per seed is the
    regression of the within-seed-demeaned value on the within-seed-demeaned arm indicator;
    its residuals are the model's residuals, on N − seeds − 1 degrees of freedom.  This equals
    statsmodels ``ols("value ~ C(arm) + C(seed)")`` (checked to 1e-10 in the tests) in time
    linear in N, where the dummy regression's SVD grows with the cube of the seeds.
    """
    value = np.asarray(value, float)
    _, a = np.unique(np.asarray(arm), return_inverse=True)
    _, g = np.unique(np.asarray(seed), return_inverse=True)
    counts = np.bincount(g)
    a = a.astype(float)

    def within(v):
        return v - (np.bincount(g, weights=v) / counts)[g]

    va, vy = within(a), within(value)
    sxx = va @ va
    df = len(value) - len(counts) - 1
    if not (sxx > 0 and df > 0):
        return float("nan")
    beta = (va @ vy) / sxx
    resid = vy - beta * va
    se = np.sqrt((resid @ resid) / df / sxx)
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(2 * stats.t.sf(abs(beta / se), df))


def _block_p(x, y) -> float:
    n = len(x)
    return block_model_p(
        np.r_[x, y], np.r_[np.zeros(n), np.ones(n)], np.r_[np.arange(n), np.arange(n)]
    )


def robustness(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    paired: bool | None = None,
    setting: str | None = None,
    n_resamples: int = 9_999,
    seed: int = 0,
) -> pd.DataFrame:
    """Test each level's difference from the baseline in several ways.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition, setting
        What to compare (every setting when ``setting`` is None).
    alpha : float
        Level used for ``reaches_alpha``.
    paired : bool, optional
        Which family the permutation and rank tests belong to; default the table's flag.
    n_resamples : int
        Random arrangements drawn when there are more than :data:`EXACT_UP_TO` distinct ones
        (otherwise every one is enumerated: exact); the p-value is then (1 + count) / (1 + B)
        per side, so the test keeps its level at any B.
    seed : int
        Seed of the ``numpy.random.Generator`` of the sampled arrangements (one set of draws
        serves every level of the same size).

    Returns
    -------
    pandas.DataFrame
        One row per (setting, level): ``setting``, ``level``, ``n``, ``n_baseline``,
        ``p_welch``, ``p_paired`` (paired designs only, else NaN), ``p_perm`` (exact permutation of
        the mean difference; sign-flip when paired), ``p_perm_adj`` (Holm over levels),
        ``p_perm_min`` (smallest attainable p at this n), ``reaches_alpha`` (whether the exact
        test could pass α after Holm over the levels, i.e. ``p_perm_min ≤ α / levels``),
        ``p_rank`` (Wilcoxon signed-rank when paired, else Mann–Whitney U; exact where scipy
        can), ``p_block`` (OLS ``value ~ C(arm) + C(seed)``; paired designs only, else NaN),
        ``paired``, ``alpha``, ``seed``, ``metric``, ``condition``.
    """
    rows, messages = analysable(table, metric, condition)
    use_paired = design_paired(rows, paired, messages)
    for text in messages:
        warnings.warn(text, UserWarning, stacklevel=2)
    draws: dict[tuple, np.ndarray] = {}

    def perm(x, y, paired: bool) -> float:
        if _arrangements(len(x), len(y), paired) <= EXACT_UP_TO:
            return _exact_perm(x, y, paired)
        key = (len(x), len(y), paired)
        if key not in draws:  # the same draws for every level of this size, as one seed gives
            draws[key] = _draws(*key, n_resamples, seed)
        return _sampled_perm(x, y, paired, draws[key])

    parts = []
    for _, family in level_families(rows, setting):

        def tests(x, y, *, paired, alpha, margin, m=len(family)):
            return _tests(x, y, paired=paired, alpha=alpha, m=m, perm=perm)

        parts.append(
            contrast_family(
                family,
                paired=use_paired,
                alpha=alpha,
                # no equivalence test and no decision here: margin and direction are not used
                margin=1.0,
                higher_is_better=True,
                labels=None,
                test=tests,
                adjust=(("p_perm", "p_perm_adj"),),
            )  # fmt: skip
        )
    result = pd.concat(parts, ignore_index=True)
    return result.assign(seed=seed, metric=metric, condition=condition)[list(ROBUSTNESS)]


def _tests(x, y, *, paired: bool, alpha: float, m: int, perm) -> dict:
    """Every robustness test of one level: ``x`` and ``y`` are seed-aligned when ``paired``."""
    r = {"n": len(x), "n_baseline": len(y)}
    nan = float("nan")
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        few = min(len(x), len(y)) < 2
        r["p_welch"] = nan if few else float(stats.ttest_ind(x, y, equal_var=False).pvalue)
        # The paired t and the block model assume arms that share a seed's initialisation and
        # data order, so they exist only for a paired design.
        r["p_paired"] = float(stats.ttest_rel(x, y).pvalue) if paired and not few else nan
        r["p_block"] = _block_p(x, y) if paired and not few else nan
        if few:
            r.update(p_perm=nan, p_perm_min=nan, p_rank=nan)
        elif paired:
            r["p_perm"] = perm(x, y, True)
            r["p_perm_min"] = min_attainable_p(len(x), paired=True)
            r["p_rank"] = float(stats.wilcoxon(x, y).pvalue)
        else:
            r["p_perm"] = perm(x, y, False)
            r["p_perm_min"] = min_attainable_p(len(x), len(y))
            r["p_rank"] = float(stats.mannwhitneyu(x, y).pvalue)
    r["reaches_alpha"] = bool(r["p_perm_min"] <= alpha / m)
    return r
