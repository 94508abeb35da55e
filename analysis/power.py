"""Power: seeds needed for a margin, the detectable effect for n seeds, and TOST power.

All quantities are in the metric's own units (e.g. absolute accuracy).  ``sd`` is the seed-to-seed
standard deviation of one arm (unpaired) or of the per-seed differences (paired).  Because the SD
estimated from a handful of seeds is itself uncertain, plan with its upper 80 % confidence limit
(:func:`sd_upper_limit`, or pass ``sd_n`` to the planning functions).

Both tests are computed from one model.  The estimated difference is D̂ ~ N(Δ, σ²k²) with
k = √(2/n) (two arms of n seeds) or k = 1/√n (n pairs), and its estimated SD is σ·k·W, where
W = √(χ²_ν/ν) is independent of D̂, with ν = 2n − 2 or n − 1.  The t statistic D̂ / (σkW) then
has the noncentral t distribution with ν df and noncentrality λ = Δ / (σk).  With two arms of
equal size this is the pooled t.  Welch's t has the same statistic there, but its df equal
2n − 2 only when the two sample SDs are equal and are smaller otherwise, so at the smallest n the
pooled power slightly overstates the Welch power.  The sample-size functions search the integers
for the smallest n whose power, by these same functions, reaches the target.
"""

from __future__ import annotations

import functools
import math
import numbers

import numpy as np
from scipy import integrate, optimize, stats

from colearn.errors import ConfigError

__all__ = [
    "sd_upper_limit",
    "ttest_power",
    "seeds_needed",
    "seeds_needed_equivalence",
    "detectable_effect",
    "tost_power",
]

#: Largest number of seeds (per arm, or pairs) the sample-size functions search by default.
MAX_SEEDS = 100_000

# Probability mass of W left out at each end of the integration range: far below the rounding
# error of a power near 1 (about 1e-16), so the truncation cannot change a returned n.
_TAIL = 1e-17
# Lower-tail probabilities of χ²_ν at which the W range is cut (with the median and the mirrored
# upper-tail points) before adaptive quadrature, so that every piece holds a known share of the
# mass however narrow the distribution of W is (about 0.0016 wide around 1 at ν = 200,000, a
# half-normal at ν = 1).
_CUTS = (1e-13, 1e-10, 1e-7, 1e-4, 0.005, 0.05, 0.2)
_SQRT2 = math.sqrt(2.0)


def _real(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ConfigError(f"{name} is {value!r}; it must be a real number.")
    return float(value)


def _check_finite(name: str, value) -> float:
    v = _real(name, value)
    if not math.isfinite(v):
        raise ConfigError(f"{name} is {value!r}; it must be a finite number.")
    return v


def _check_positive(name: str, value) -> float:
    v = _real(name, value)
    if not (math.isfinite(v) and v > 0):
        raise ConfigError(f"{name} is {value!r}; it must be a finite positive number.")
    return v


def _check_prob(name: str, value) -> float:
    v = _real(name, value)
    if not 0 < v < 1:
        raise ConfigError(f"{name} is {value!r}; it must lie strictly between 0 and 1.")
    return v


def _check_count(name: str, value, minimum: int = 2) -> int:
    v = _real(name, value)
    if not (math.isfinite(v) and v == int(v) and v >= minimum):
        raise ConfigError(f"{name} is {value!r}; it must be a whole number of at least {minimum}.")
    return int(v)


def _design(n: int, paired: bool) -> tuple[int, float]:
    """Degrees of freedom and the factor k with SE(D̂) = σ·k."""
    return (n - 1, 1 / math.sqrt(n)) if paired else (2 * n - 2, math.sqrt(2 / n))


def _ndtr(x: float) -> float:
    # Scalar standard normal CDF; math.erfc keeps full relative accuracy in the lower tail.
    return 0.5 * math.erfc(-x / _SQRT2)


@functools.lru_cache(maxsize=256)
def _w_layout(df: int) -> tuple[float, tuple[float, ...]]:
    """Log normalising constant of the density of W = √(χ²_df / df), and its cut points."""
    h = df / 2
    # log f(w) = log 2 + h log h − log Γ(h) + (df − 1) log w − h w², written as
    # const + (df − 1) log w − h (w² − 1) with const = log 2 + h log h − h − log Γ(h), so that
    # the terms near the peak w = 1 stay small.  Computed directly, const loses about 1e-10 at
    # ν = 10⁵ to the cancellation of terms near 10⁶, a 1e-10 error in every power; for h ≥ 10 it
    # is taken from Stirling's series instead, const = ½ log(2h/π) − Σ B₂ₖ / (2k(2k − 1) h²ᵏ⁻¹),
    # whose first omitted term is below 2e-14 there.
    if h < 10:
        const = math.log(2.0) + h * math.log(h) - h - math.lgamma(h)
    else:
        r = 1 / (h * h)
        series = (1 / 12 - r * (1 / 360 - r * (1 / 1260 - r * (1 / 1680 - r / 1188)))) / h
        const = 0.5 * math.log(2 * h / math.pi) - series
    q = np.array((_TAIL, *_CUTS))
    # Upper-tail points come from isf, which keeps their precision where 1 − q rounds.
    u = np.r_[stats.chi2.ppf(q, df), stats.chi2.ppf(0.5, df), stats.chi2.isf(q[::-1], df)]
    return const, tuple(float(x) for x in np.sqrt(u / df))


def _w_expectation(func, df: int, w_max: float = math.inf) -> float:
    """E[func(W); W < w_max] for W = √(χ²_df / df), by adaptive quadrature on pieces.

    ``func`` must be smooth and lie in [0, 1]; the mass of W outside the cut points is at most
    2·_TAIL.
    """
    const, cuts = _w_layout(df)

    def integrand(w: float) -> float:
        return func(w) * math.exp(const + (df - 1) * math.log(w) - (df / 2) * (w * w - 1))

    total = 0.0
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        if a >= w_max:
            break
        value, _ = integrate.quad(
            integrand, a, min(b, w_max), epsabs=1e-14, epsrel=1e-11, limit=200
        )
        total += value
    return total


def _t_tail_sum(tc: float, df: int, ncp: float) -> float:
    """P(T > tc) + P(T < −tc) for T noncentral t (df, ncp ≥ 0)."""
    upper = float(stats.nct.sf(tc, df, ncp))
    lower = float(stats.nct.cdf(-tc, df, ncp))
    # scipy's noncentral t (1.17) returns NaN, and sometimes spurious tiny numbers, once the
    # noncentrality is large: e.g. nct.cdf(-11.77, 2, 40) is NaN, nct.cdf(-2.69, 1e4, 40) is
    # 5e-55.  Each tail has an exact bound, since T = (Z + λ) / W with W ≥ 0: the upper tail is at
    # most Φ(λ) and the lower one at most Φ(−λ).  A value that is not finite or breaks its bound
    # is replaced by the same probability integrated over W: E[Φ(λ − tc·W)] and E[Φ(−λ − tc·W)].
    # The integrand is smooth and bounded, so the quadrature is accurate for any λ; at huge λ
    # it returns 1 and 0 to machine precision, the normal limit.
    if not (0.0 <= upper <= _ndtr(ncp)):
        upper = _w_expectation(lambda w: _ndtr(ncp - tc * w), df)
    if not (0.0 <= lower <= _ndtr(-ncp)):
        lower = _w_expectation(lambda w: _ndtr(-ncp - tc * w), df)
    return min(1.0, upper + lower)


def _t_power(n: int, effect: float, alpha: float, paired: bool) -> float:
    """Power of the two-sided t test at ``n`` for a difference of ``effect`` SDs (≥ 0)."""
    df, k = _design(n, paired)
    return _t_tail_sum(float(stats.t.isf(alpha / 2, df)), df, effect / k)


def _normal_start(arms: int, z: float, effect: float, max_n: int) -> int:
    """Normal-approximation n, arms·(z / effect)², clipped to [2, max_n]; a first guess only."""
    # Multiplication, not ** 2: a float power raises OverflowError for a tiny effect.
    ratio = z / effect if effect > 0 else math.inf
    return max(2, math.ceil(min(arms * ratio * ratio, max_n)))


def _smallest_n(power_at, target: float, start: int, max_n: int) -> int | None:
    """Smallest n in [2, max_n] with power_at(n) ≥ target, for power nondecreasing in n.

    Gallops from ``start`` to bracket the crossing, then bisects, so the answer satisfies
    power_at(n) ≥ target and (n = 2 or power_at(n − 1) < target) by direct evaluation.  Returns
    None when power_at(max_n) < target.
    """
    n = min(max(start, 2), max_n)
    if power_at(n) >= target:
        hi, lo, step = n, 1, 1  # lo = 1 stands for "below the smallest allowed n"
        while hi > 2:
            m = max(2, hi - step)
            if power_at(m) < target:
                lo = m
                break
            hi, step = m, 2 * step
    else:
        lo, hi, step = n, None, 1
        while hi is None:
            if lo >= max_n:
                return None
            m = min(max_n, lo + step)
            if power_at(m) >= target:
                hi = m
            else:
                lo, step = m, 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power_at(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def sd_upper_limit(sd: float, n: int, confidence: float = 0.8) -> float:
    """Upper one-sided confidence limit of a standard deviation estimated from ``n`` values.

    Parameters
    ----------
    sd : float
        Sample SD (ddof = 1); finite and positive.
    n : int
        Number of values it was computed from (≥ 2).
    confidence : float
        Confidence level of the one-sided limit (0.8 by default).

    Returns
    -------
    float
        ``sd * sqrt((n - 1) / chi2.ppf(1 - confidence, n - 1))``.

    Raises
    ------
    ConfigError
        When ``sd`` is not finite and positive, ``n`` is not a whole number ≥ 2 or
        ``confidence`` is not strictly between 0 and 1.

    Notes
    -----
    (n − 1)s²/σ² ~ χ²_{n−1}, so P(σ ≤ s·√((n − 1)/χ²_{n−1, 1−c})) = c.

    Examples
    --------
    >>> round(sd_upper_limit(0.01, 5), 4)
    0.0156
    """
    sd = _check_positive("sd", sd)
    n = _check_count("n", n)
    confidence = _check_prob("confidence", confidence)
    return float(sd * math.sqrt((n - 1) / stats.chi2.ppf(1 - confidence, n - 1)))


def _plan_sd(sd: float, sd_n: int | None, confidence: float) -> float:
    sd = _check_positive("sd", sd)
    return sd if sd_n is None else sd_upper_limit(sd, sd_n, confidence)


def ttest_power(
    n: int,
    diff: float,
    sd: float,
    *,
    alpha: float = 0.05,
    paired: bool = False,
) -> float:
    """Power of the two-sided t test at ``n`` seeds for a true difference ``diff``.

    Parameters
    ----------
    n : int
        Seeds per arm (or pairs when ``paired``), at least 2.
    diff : float
        True difference (metric units; sign ignored); finite.
    sd : float
        Seed SD of one arm (unpaired; equal in both arms) or of the paired differences.
    alpha : float
        Two-sided significance level.
    paired : bool
        Paired t (n pairs, df n − 1) instead of the two-sample t (n per arm, df 2n − 2).

    Returns
    -------
    float
        Probability that the test rejects Δ = 0; ``alpha`` when ``diff`` is 0.

    Raises
    ------
    ConfigError
        When an argument is not finite or out of range.

    Notes
    -----
    Power = P(T > t_c) + P(T < −t_c) with T noncentral t (ν, λ), t_c = t_{1−α/2, ν},
    λ = ``|Δ| / (σk)`` (module docstring), from ``scipy.stats.nct``.  Where scipy returns NaN or a
    value outside the exact bounds [0, Φ(λ)] and [0, Φ(−λ)] of the two tails (large λ), that
    tail is integrated over the distribution of the SD instead: P(T > t_c) = E[Φ(λ − t_c W)].
    Checked against G*Power 3.1 (d = 0.5 → 64 per arm / 34 pairs reach .80; see
    ``tests/test_references.py``) and statsmodels ``TTestIndPower`` / ``TTestPower`` where
    those are finite.

    Examples
    --------
    >>> round(ttest_power(64, 0.5, 1.0), 4)
    0.8015
    >>> ttest_power(2, 0.05, 0.001, paired=True) > 0.99
    True
    """
    n = _check_count("n", n)
    diff = _check_finite("diff", diff)
    sd = _check_positive("sd", sd)
    alpha = _check_prob("alpha", alpha)
    return _t_power(n, abs(diff) / sd, alpha, paired)


def seeds_needed(
    diff: float,
    sd: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    paired: bool = False,
    sd_n: int | None = None,
    sd_confidence: float = 0.8,
    max_n: int = MAX_SEEDS,
) -> int:
    """Seeds (per arm, or pairs) for a two-sided t test to detect a difference ``diff``.

    Parameters
    ----------
    diff : float
        True difference to detect (metric units; sign ignored); finite and not 0.
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
    max_n : int
        Largest n searched (100,000 by default).

    Returns
    -------
    int
        The smallest n ≥ 2 with :func:`ttest_power` ≥ ``power``; 2 when ``power`` ≤ ``alpha``.

    Raises
    ------
    ConfigError
        When an argument is not finite or out of range, ``diff`` is 0, or even ``max_n`` seeds
        fall short of ``power``.

    Notes
    -----
    The power of the t test rises with n (both λ = Δ√n/(σ√2) or Δ√n/σ and ν grow), so the
    integer search (gallop from the normal approximation n ≈ (2 or 1)·(z_{1−α/2} + z_{power})²
    / (Δ/σ)², then bisection) returns the smallest n whose exact power reaches the target:
    power(n) ≥ target > power(n − 1), checked directly.  Checked against G*Power 3.1 and
    Cohen (1988) (d = 0.5: 64 per arm, 34 pairs; d = 0.2: 394 per arm, 199 pairs) and
    REFERENCE §5: Δ = .02, power .8, unpaired: SD .010 → 6, .015 → 10, .020 → 17 (9, 16, 27 at
    α/7).

    Examples
    --------
    >>> seeds_needed(0.02, 0.015), seeds_needed(0.02, 0.015, alpha=0.05 / 7)
    (10, 16)
    >>> seeds_needed(0.05, 0.005, paired=True)
    3
    """
    diff = _check_finite("diff", diff)
    if diff == 0:
        raise ConfigError("diff is 0; a difference to detect must be a finite nonzero number.")
    alpha = _check_prob("alpha", alpha)
    power = _check_prob("power", power)
    max_n = _check_count("max_n", max_n)
    effect = abs(diff) / _plan_sd(sd, sd_n, sd_confidence)
    if power <= alpha:
        return 2  # any test with λ > 0 has power above α already at n = 2
    arms = 1 if paired else 2
    z = stats.norm.isf(alpha / 2) + stats.norm.ppf(power)
    start = _normal_start(arms, z, effect, max_n)
    n = _smallest_n(lambda m: _t_power(m, effect, alpha, paired), power, start, max_n)
    if n is None:
        raise ConfigError(
            f"diff {diff!r} is {effect:.3g} SDs, too small to reach power {power} with "
            f"max_n = {max_n} seeds; plan for a larger difference or raise max_n."
        )
    return n


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
        Seeds per arm (or pairs when ``paired``), at least 2.
    sd, alpha, power, paired, sd_n, sd_confidence
        As in :func:`seeds_needed`.

    Returns
    -------
    float
        The difference Δ in metric units with :func:`ttest_power` (n, Δ) = ``power``; 0 when
        ``power`` ≤ ``alpha``.

    Raises
    ------
    ConfigError
        When an argument is not finite or out of range.

    Notes
    -----
    Power rises with ``|Δ|`` at fixed n, so Δ is the root of power(Δ) − target, found by Brent's
    method on a bracket doubled until it holds the root (relative tolerance 1e-12).  Agrees
    with statsmodels ``TTestIndPower`` / ``TTestPower().solve_power(nobs…)`` (checked in the
    tests).

    Examples
    --------
    >>> round(detectable_effect(10, 0.015), 4)
    0.0199
    """
    n = _check_count("n", n)
    alpha = _check_prob("alpha", alpha)
    power = _check_prob("power", power)
    sd_plan = _plan_sd(sd, sd_n, sd_confidence)
    if power <= alpha:
        return 0.0

    def gap(effect: float) -> float:
        return _t_power(n, effect, alpha, paired) - power

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2
    effect = optimize.brentq(gap, 0.0, hi, xtol=1e-14, rtol=1e-12)
    return float(effect * sd_plan)


def _tost_power(n: int, effect: float, margin: float, alpha: float, paired: bool) -> float:
    """Exact TOST power with the true difference and margin in SD units (σ = 1)."""
    df, k = _design(n, paired)
    tc = float(stats.t.isf(alpha, df))
    hi, lo = (margin - effect) / k, (-margin - effect) / k
    # TOST passes iff −δ + t_c·k·W < D̂ < δ − t_c·k·W, an empty interval once W ≥ δ / (t_c·k).
    return min(
        1.0,
        _w_expectation(lambda w: _ndtr(hi - tc * w) - _ndtr(lo + tc * w), df, margin / (tc * k)),
    )


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
        Seeds per arm (or pairs when ``paired``), at least 2.
    sd : float
        Seed SD of one arm (unpaired) or of the paired differences; finite and positive.
    margin : float
        Equivalence margin δ (metric units); finite and positive.
    true_diff : float
        True difference; finite (outside ±δ the power is below α).
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

    Raises
    ------
    ConfigError
        When an argument is not finite or out of range (``margin = inf`` included) or
        ``method`` is unknown.

    Notes
    -----
    Exact: with D̂ ~ N(Δ, σ²k²), estimated SD σ·k·W and W = √(χ²_ν/ν) independent of D̂, TOST
    passes iff −δ + t_c·σkW < D̂ < δ − t_c·σkW (t_c = t_{1−α, ν}), so

        power = ∫_0^{w*} [Φ((δ − Δ)/(σk) − t_c w) − Φ((−δ − Δ)/(σk) + t_c w)] f_W(w) dw,

    w* = δ / (t_c σ k), the formula of Phillips (1990) that Owen's Q evaluates in PowerTOST and
    TOSTER.  It is integrated by adaptive Gauss–Kronrod quadrature (``scipy.integrate.quad``)
    on pieces cut at quantiles of W, which stays exact at any n (a fixed grid over [0, w*]
    misses the narrow peak of f_W at large n).  Checked against the PASS examples in TOSTER's
    tests (two-sample: δ = 19.2, SD 18, Δ = −4, α .05: n = 3 → .0386, 15 → .69339,
    50 → .99458; SD 100, δ = 10, α .025: n = 2600 → .900) and REFERENCE §5 (δ = .02, SD .015,
    α/7: n = 5 → .03, n = 15 → .69; this gives .026 and .684, Welch simulation .016 and .673).

    Examples
    --------
    >>> round(tost_power(15, 0.015, 0.02, alpha=0.05 / 7), 3)
    0.684
    >>> round(tost_power(2600, 100, 10, alpha=0.025), 3)
    0.9
    """
    n = _check_count("n", n)
    sd = _check_positive("sd", sd)
    margin = _check_positive("margin", margin)
    true_diff = _check_finite("true_diff", true_diff)
    alpha = _check_prob("alpha", alpha)
    if method == "simulation":
        n_sims = _check_count("n_sims", n_sims, minimum=1)
        return _tost_power_sim(n, sd, margin, true_diff, alpha, paired, n_sims, seed)
    if method != "exact":
        raise ConfigError(f"method is {method!r}; valid methods are 'exact', 'simulation'.")
    return _tost_power(n, true_diff / sd, margin / sd, alpha, paired)


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
    max_n: int = MAX_SEEDS,
) -> int:
    """Seeds (per arm, or pairs) for TOST at ±``margin`` to reach ``power``.

    Parameters
    ----------
    margin : float
        Equivalence margin δ; finite and positive.
    sd, alpha, power, paired, sd_n, sd_confidence
        As in :func:`seeds_needed`; ``alpha`` is the level of each one-sided test.
    true_diff : float
        Assumed true difference (must lie inside ±margin).
    max_n : int
        Largest n searched (100,000 by default).

    Returns
    -------
    int
        Smallest n ≥ 2 with :func:`tost_power` ≥ ``power`` (exact method).

    Raises
    ------
    ConfigError
        When an argument is not finite or out of range, ``power`` ≤ ``alpha``,
        ``|true_diff| >= margin`` (TOST can never pass then) or no n ≤ ``max_n`` suffices.

    Notes
    -----
    TOST power is not monotone in n everywhere: at the smallest n, while it is below α, it can
    fall as n grows (e.g. paired, δ = 0.5 SD, α .05: .024 at n = 2, .019 at n = 3), because
    the chance of a small SD estimate, which makes the TOST interval narrow, shrinks with the
    df.  On a grid of 864 cases (margins 0.02 to 5 SDs, true differences 0 to 0.99 δ, α from
    .2 to 1e-4, both designs; every n to 400, then 400 values up to 100,000) every fall
    started below α (the largest was at n = 35), and above α the power never fell by more than
    1e-12 (quadrature noise).  So a target above α is reached on a whole range n ≥ n*, and the
    search (gallop from the normal approximation, then bisection) returns n*, checked
    directly: power(n*) ≥ target > power(n* − 1).  A target at or below α is refused.
    Checked against PASS examples in TOSTER's tests (two-sample, SD 100, δ = 10, α .025,
    power .9: Δ = 0 → 2600; Δ = 2 → 3306, where TOSTER rounds its continuous root 3305.x to
    3305; SD 18, δ = 19.2, Δ = −4, α .05, power .8 → 19; paired examples too).

    Examples
    --------
    >>> seeds_needed_equivalence(0.02, 0.015, alpha=0.05 / 7)
    18
    >>> seeds_needed_equivalence(10, 100, alpha=0.025, power=0.9)
    2600
    """
    margin = _check_positive("margin", margin)
    true_diff = _check_finite("true_diff", true_diff)
    alpha = _check_prob("alpha", alpha)
    power = _check_prob("power", power)
    max_n = _check_count("max_n", max_n)
    if power <= alpha:
        raise ConfigError(
            f"power is {power!r}; it must exceed alpha ({alpha!r}), the level below which TOST "
            "power can fall as seeds are added."
        )
    if abs(true_diff) >= margin:
        raise ConfigError(
            f"true_diff {true_diff!r} lies outside ±{margin}; equivalence cannot be shown then."
        )
    use_sd = _plan_sd(sd, sd_n, sd_confidence)
    effect, bound = true_diff / use_sd, margin / use_sd
    arms = 1 if paired else 2
    # Normal approximation: the nearer bound dominates unless Δ = 0, where both share β.
    beta = (1 - power) / 2 if true_diff == 0 else 1 - power
    z = stats.norm.isf(alpha) + stats.norm.isf(beta)
    start = _normal_start(arms, z, bound - abs(effect), max_n)
    n = _smallest_n(lambda m: _tost_power(m, effect, bound, alpha, paired), power, start, max_n)
    if n is None:
        raise ConfigError(
            f"more than max_n = {max_n} seeds would be needed for power {power} at margin "
            f"{margin}; widen the margin or raise max_n."
        )
    return n
