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
import statsmodels.formula.api as smf
from scipy import stats

from analysis.columns import ROBUSTNESS
from analysis.compare import level_families
from analysis.contrast import contrast_family
from analysis.tidy import analysable, design_paired

__all__ = ["robustness", "min_attainable_p"]


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


def _perm(x, y, paired: bool, n_resamples: int, seed: int) -> float:
    def stat(a, b, axis=-1):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    res = stats.permutation_test(
        (x, y),
        stat,
        permutation_type="samples" if paired else "independent",
        vectorized=True,
        n_resamples=n_resamples,
        alternative="two-sided",
        rng=np.random.default_rng(seed),
    )
    return float(res.pvalue)


def _block_p(x, y) -> float:
    n = len(x)
    data = pd.DataFrame(
        {
            "value": np.r_[x, y],
            "arm": ["m"] * n + ["u"] * n,
            "seed": np.r_[np.arange(n), np.arange(n)],
        }
    )
    fit = smf.ols("value ~ C(arm) + C(seed)", data=data).fit()
    return float(fit.pvalues["C(arm)[T.u]"])


def robustness(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    paired: bool | None = None,
    setting: str | None = None,
    n_resamples: int = 100_000,
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
        Permutations; exact when the number of distinct permutations is not larger.
    seed : int
        Seed of the ``numpy.random.Generator`` used when permutations are sampled.

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
    parts = []
    for _, family in level_families(rows, setting):

        def tests(x, y, *, paired, alpha, margin, m=len(family)):
            return _tests(x, y, paired=paired, alpha=alpha, m=m, n_resamples=n_resamples, seed=seed)

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


def _tests(x, y, *, paired: bool, alpha: float, m: int, n_resamples: int, seed: int) -> dict:
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
            r["p_perm"] = _perm(x, y, True, n_resamples, seed)
            r["p_perm_min"] = min_attainable_p(len(x), paired=True)
            r["p_rank"] = float(stats.wilcoxon(x, y).pvalue)
        else:
            r["p_perm"] = _perm(x, y, False, n_resamples, seed)
            r["p_perm_min"] = min_attainable_p(len(x), len(y))
            r["p_rank"] = float(stats.mannwhitneyu(x, y).pvalue)
    r["reaches_alpha"] = bool(r["p_perm_min"] <= alpha / m)
    return r
