"""Power: seeds needed for a margin, the detectable effect for n seeds, and TOST power.

All quantities are in the metric's own units (e.g. absolute accuracy).  ``sd`` is the seed-to-seed
standard deviation of one arm (unpaired) or of the per-seed differences (paired).  Because the SD
estimated from a handful of seeds is itself uncertain, plan with its upper 80 % confidence limit
(:func:`sd_upper_limit`, or pass ``sd_n`` to the planning functions).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats
from statsmodels.stats.power import TTestIndPower, TTestPower

from colearn.errors import ConfigError

__all__ = [
    "sd_upper_limit",
    "seeds_needed",
    "seeds_needed_equivalence",
    "detectable_effect",
    "tost_power",
]

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(96)


def _check_positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float, np.integer, np.floating)) and value > 0):
        raise ConfigError(f"{name} is {value!r}; it must be a positive number.")


def _check_prob(name: str, value: float) -> None:
    if not 0 < value < 1:
        raise ConfigError(f"{name} is {value!r}; it must lie strictly between 0 and 1.")


def sd_upper_limit(sd: float, n: int, confidence: float = 0.8) -> float:
    """Upper one-sided confidence limit of a standard deviation estimated from ``n`` values.

    Parameters
    ----------
    sd : float
        Sample SD (ddof = 1).
    n : int
        Number of values it was computed from (≥ 2).
    confidence : float
        Confidence level of the one-sided limit (0.8 by default).

    Returns
    -------
    float
        ``sd * sqrt((n - 1) / chi2.ppf(1 - confidence, n - 1))``.

    Examples
    --------
    >>> round(sd_upper_limit(0.01, 5), 4)
    0.0156
    """
    _check_positive("sd", sd)
    if n < 2:
        raise ConfigError(f"n is {n!r}; an SD needs at least 2 values.")
    _check_prob("confidence", confidence)
    return float(sd * math.sqrt((n - 1) / stats.chi2.ppf(1 - confidence, n - 1)))


def _plan_sd(sd: float, sd_n: int | None, confidence: float) -> float:
    return sd if sd_n is None else sd_upper_limit(sd, sd_n, confidence)


def seeds_needed(
    diff: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    sd_n: int | None = None,
    sd_confidence: float = 0.8,
) -> int:
    """Seeds (per arm, or pairs) for a two-sided t test to detect a difference ``diff``.

    Parameters
    ----------
    diff : float
        True difference to detect (metric units; sign ignored).
    sd : float
        Seed SD of one arm (unpaired; equal in both arms) or of the paired differences.
    alpha : float
        Two-sided significance level (divide by the number of levels for a Bonferroni/Holm plan).
    power : float
        Target power.
    paired : bool
        Paired t (``n`` pairs) instead of the two-sample t (``n`` per arm).
    sd_n : int, optional
        When given, ``sd`` was estimated from ``sd_n`` seeds and its upper
        ``sd_confidence`` limit is used instead.
    sd_confidence : float
        Confidence of that upper limit.

    Returns
    -------
    int
        The smallest whole number of seeds reaching ``power`` (noncentral t, statsmodels
        ``TTestIndPower`` / ``TTestPower``).

    Notes
    -----
    Checked against REFERENCE §5: Δ = .02, power .8, unpaired: SD .010 → 6, .015 → 10, .020 → 17
    (9, 16, 27 at α/7).

    Examples
    --------
    >>> seeds_needed(0.02, 0.015), seeds_needed(0.02, 0.015, alpha=0.05 / 7)
    (10, 16)
    """
    _check_positive("diff", abs(diff))
    _check_positive("sd", sd)
    _check_prob("alpha", alpha)
    _check_prob("power", power)
    effect = abs(diff) / _plan_sd(sd, sd_n, sd_confidence)
    solver = TTestPower() if paired else TTestIndPower()
    n = solver.solve_power(effect_size=effect, alpha=alpha, power=power, alternative="two-sided")
    n = float(np.atleast_1d(n)[0])
    return max(2, math.ceil(n - 1e-9))


def detectable_effect(
    n: int,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    sd_n: int | None = None,
    sd_confidence: float = 0.8,
) -> float:
    """Smallest true difference a two-sided t test detects with ``power`` at ``n`` seeds.

    Parameters
    ----------
    n : int
        Seeds per arm (or pairs when ``paired``).
    sd, alpha, power, paired, sd_n, sd_confidence
        As in :func:`seeds_needed`.

    Returns
    -------
    float
        The difference in metric units (``effect size × sd``).

    Examples
    --------
    >>> round(detectable_effect(10, 0.015), 4)
    0.0199
    """
    if n < 2:
        raise ConfigError(f"n is {n!r}; a t test needs at least 2 seeds per arm.")
    _check_positive("sd", sd)
    # TTestPower (one-sample / paired) names the sample size ``nobs``, TTestIndPower ``nobs1``.
    solver, size = (TTestPower(), "nobs") if paired else (TTestIndPower(), "nobs1")
    effect = solver.solve_power(**{size: n}, alpha=alpha, power=power, alternative="two-sided")
    return float(np.atleast_1d(effect)[0] * _plan_sd(sd, sd_n, sd_confidence))


def tost_power(
    n: int,
    sd: float,
    margin: float,
    *,
    true_diff: float = 0.0,
    alpha: float = 0.05,
    paired: bool = False,
    method: str = "exact",
    n_sims: int = 20000,
    seed: int = 0,
) -> float:
    """Power of TOST (two one-sided t tests at ±``margin``) at ``n`` seeds.

    Parameters
    ----------
    n : int
        Seeds per arm (or pairs when ``paired``).
    sd : float
        Seed SD of one arm (unpaired) or of the paired differences.
    margin : float
        Equivalence margin δ (metric units).
    true_diff : float
        True difference.
    alpha : float
        Level of each one-sided test.
    paired : bool
        Paired TOST (df n − 1) instead of the two-sample one (df 2n − 2).
    method : {"exact", "simulation"}
        ``exact`` integrates over the sampling distribution of the SD (pooled-variance / paired
        t); ``simulation`` draws ``n_sims`` data sets and runs statsmodels' ``ttost_ind``
        (``usevar="unequal"``) or ``ttost_paired``.
    n_sims, seed
        Simulation size and the seed of its ``numpy.random.Generator``.

    Returns
    -------
    float
        Probability that TOST declares equivalence.

    Notes
    -----
    Exact: with se = s·k (k = √(2/n) unpaired, 1/√n paired) and s² ~ σ²χ²_ν/ν, TOST passes iff
    −δ + t_c·s·k < D̂ < δ − t_c·s·k, so power = ∫ [Φ((δ − t_c s k − Δ)/(σk)) − Φ((−δ + t_c s k −
    Δ)/(σk))] dF(s).  REFERENCE §5 gives, for δ = .02, SD .015, α/7: n = 5 → .03, n = 15 → .69;
    this gives .026 and .684 (Welch simulation: .016 and .673).

    Examples
    --------
    >>> round(tost_power(15, 0.015, 0.02, alpha=0.05 / 7), 3)
    0.684
    """
    if n < 2:
        raise ConfigError(f"n is {n!r}; TOST needs at least 2 seeds per arm.")
    _check_positive("sd", sd)
    _check_positive("margin", margin)
    _check_prob("alpha", alpha)
    if method == "simulation":
        return _tost_power_sim(n, sd, margin, true_diff, alpha, paired, n_sims, seed)
    if method != "exact":
        raise ConfigError(f"method is {method!r}; valid methods are 'exact', 'simulation'.")
    df = n - 1 if paired else 2 * n - 2
    k = 1 / math.sqrt(n) if paired else math.sqrt(2 / n)
    tc = stats.t.ppf(1 - alpha, df)
    sigma_d = sd * k
    u_max = df * (margin / (tc * k * sd)) ** 2
    # Gauss-Legendre quadrature over u = chi-square value (the integrand is smooth on [0, u_max])
    u = 0.5 * u_max * (_NODES + 1)
    half = tc * k * sd * np.sqrt(u / df)
    upper = special.ndtr((margin - half - true_diff) / sigma_d)
    lower = special.ndtr((-margin + half - true_diff) / sigma_d)
    dens = stats.chi2.pdf(u, df)
    value = 0.5 * u_max * float(np.sum(_WEIGHTS * np.clip(upper - lower, 0, None) * dens))
    return float(min(max(value, 0.0), 1.0))


def _tost_power_sim(n, sd, margin, true_diff, alpha, paired, n_sims, seed) -> float:
    from statsmodels.stats.weightstats import ttost_ind, ttost_paired

    rng = np.random.default_rng(seed)
    if paired:
        d = rng.normal(true_diff, sd, size=(n_sims, n))
        p = np.array([ttost_paired(row, np.zeros(n), -margin, margin)[0] for row in d])
    else:
        x = rng.normal(true_diff, sd, size=(n_sims, n))
        y = rng.normal(0.0, sd, size=(n_sims, n))
        p = np.array(
            [
                ttost_ind(a, b, -margin, margin, usevar="unequal")[0]
                for a, b in zip(x, y, strict=True)
            ]
        )
    return float(np.mean(p < alpha))


def seeds_needed_equivalence(
    margin: float,
    sd: float,
    *,
    true_diff: float = 0.0,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    sd_n: int | None = None,
    sd_confidence: float = 0.8,
    max_n: int = 10000,
) -> int:
    """Seeds (per arm, or pairs) for TOST at ±``margin`` to reach ``power``.

    Parameters
    ----------
    margin : float
        Equivalence margin δ.
    sd, alpha, power, paired, sd_n, sd_confidence
        As in :func:`seeds_needed`; ``alpha`` is the level of each one-sided test.
    true_diff : float
        Assumed true difference (must lie inside ±margin).
    max_n : int
        Search limit.

    Returns
    -------
    int
        Smallest n with :func:`tost_power` ≥ ``power`` (exact method).

    Raises
    ------
    ConfigError
        When ``|true_diff| >= margin`` (TOST can never pass then) or no n ≤ ``max_n`` suffices.

    Examples
    --------
    >>> seeds_needed_equivalence(0.02, 0.015, alpha=0.05 / 7)
    18
    """
    if abs(true_diff) >= margin:
        raise ConfigError(
            f"true_diff {true_diff!r} lies outside ±{margin}; equivalence cannot be shown then."
        )
    use_sd = _plan_sd(sd, sd_n, sd_confidence)

    def pw(m: int) -> float:
        return tost_power(m, use_sd, margin, true_diff=true_diff, alpha=alpha, paired=paired)

    hi = 2
    while pw(hi) < power:
        hi *= 2
        if hi > max_n:
            raise ConfigError(f"more than {max_n} seeds would be needed; widen the margin.")
    lo = max(2, hi // 2)
    while lo < hi:
        mid = (lo + hi) // 2
        if pw(mid) >= power:
            hi = mid
        else:
            lo = mid + 1
    return hi
