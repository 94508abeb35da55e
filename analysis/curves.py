"""Candidate dose-response shapes for metric vs dropout level, fitted to one data set.

Each fit takes per-seed observations ``x`` (levels) and ``y`` (values) and returns a
:class:`CurveFit` with its parameters, residual sum of squares, parameter count and a
``predict`` function.  Shapes (REFERENCE §5, after R's drc and DoseFinding):

- ``linear``, ``quadratic``, ``cubic``: polynomials, least squares.
- ``spline``: cubic B-spline with df 4 plus intercept (one interior knot at the median level),
  least squares (as ``bs(x, df=4)`` in R/patsy).
- ``emax``: E0 + Emax·x / (ED50 + x).
- ``emax_decline``: Emax plus a linear term b·x (rise then decline).
- ``brain_cousens``: c + (d − c + f·x) / (1 + exp(b·(log x − log e))) (hormesis, drc ``BC.5``).
- ``isotonic``: unimodal (inverted-U) regression: nondecreasing up to a mode, nonincreasing after;
  every mode tried (Frisén), the least-squares one kept; parameters = distinct fitted values.

Nonlinear shapes are fitted by ``scipy.optimize.curve_fit`` from several starts; ``converged`` is
False when every start fails or the best one ends on a bound.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import interpolate, optimize

__all__ = ["MODELS", "CurveFit", "fit_curve", "pava", "unimodal_fit"]

MODELS: tuple[str, ...] = (
    "linear",
    "quadratic",
    "cubic",
    "spline",
    "emax",
    "emax_decline",
    "brain_cousens",
    "isotonic",
)


@dataclass
class CurveFit:
    """One fitted shape: ``predict(grid)`` evaluates it; ``sse`` is on the observations."""

    model: str
    n_params: int
    sse: float
    converged: bool
    params: np.ndarray
    predict: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    mode: float = float("nan")


def _lstsq(design: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    resid = y - design @ coef
    return coef, float(resid @ resid)


def _poly(x, y, degree: int, name: str) -> CurveFit:
    coef, sse = _lstsq(np.vander(x, degree + 1, increasing=True), y)
    return CurveFit(
        name,
        degree + 1,
        sse,
        True,
        coef,
        lambda g: np.vander(np.asarray(g, float), degree + 1, increasing=True) @ coef,
    )


def _spline(x, y) -> CurveFit:
    lo, hi = float(np.min(x)), float(np.max(x))
    knots = np.r_[[lo] * 4, np.median(x), [hi] * 4]

    def basis(g):
        g = np.clip(np.asarray(g, float), lo, hi)
        return interpolate.BSpline.design_matrix(g, knots, 3).toarray()

    coef, sse = _lstsq(basis(x), y)
    return CurveFit("spline", len(coef), sse, True, coef, lambda g: basis(g) @ coef)


def _emax(x, e0, emax, ed50):
    return e0 + emax * x / (ed50 + x)


def _emax_decline(x, e0, emax, ed50, b):
    return e0 + emax * x / (ed50 + x) + b * x


def _brain_cousens(x, b, c, d, e, f):
    x = np.asarray(x, float)
    with np.errstate(divide="ignore", over="ignore"):
        z = np.exp(np.clip(b * (np.log(np.where(x > 0, x, 1.0)) - np.log(e)), -700, 700))
    z = np.where(x > 0, z, 0.0)
    return c + (d - c + f * x) / (1 + z)


def _nonlinear(name, func, x, y, starts, bounds) -> CurveFit:
    best = None
    for p0 in starts:
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                popt, _ = optimize.curve_fit(func, x, y, p0=p0, bounds=bounds, maxfev=4000)
        except (RuntimeError, ValueError, optimize.OptimizeWarning):
            continue
        resid = y - func(x, *popt)
        sse = float(resid @ resid)
        if np.isfinite(sse) and (best is None or sse < best[1]):
            best = (popt, sse)
    n = len(starts[0])
    if best is None:
        nan = np.full(n, np.nan)
        return CurveFit(name, n, float("nan"), False, nan, lambda g: np.full(np.shape(g), np.nan))
    popt, sse = best
    lo, hi = np.asarray(bounds[0], float), np.asarray(bounds[1], float)
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    on_bound = np.any(
        (np.isfinite(lo) & (popt - lo < 1e-6 * span))
        | (np.isfinite(hi) & (hi - popt < 1e-6 * span))
    )
    return CurveFit(name, n, sse, not on_bound, popt, lambda g: func(np.asarray(g, float), *popt))


def pava(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted nondecreasing isotonic regression (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, count]
    for v, w in zip(values, weights, strict=True):
        blocks.append([float(v), float(w), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, w2, c2 = blocks.pop()
            m1, w1, c1 = blocks.pop()
            blocks.append([(m1 * w1 + m2 * w2) / (w1 + w2), w1 + w2, c1 + c2])
    return np.concatenate([np.full(c, m) for m, _, c in blocks])


def unimodal_fit(means: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Least-squares unimodal (increasing then decreasing) fit to level means.

    Returns the fitted values and the index of the mode (first maximum of the fit).
    """
    means = np.asarray(means, float)
    weights = np.asarray(weights, float)
    best, best_sse = None, np.inf
    for k in range(len(means)):
        up = pava(means[: k + 1], weights[: k + 1])
        down = -pava(-means[k + 1 :], weights[k + 1 :]) if k + 1 < len(means) else np.array([])
        fit = np.r_[up, down]
        sse = float(np.sum(weights * (means - fit) ** 2))
        if sse < best_sse - 1e-15:
            best, best_sse = fit, sse
    return best, int(np.argmax(best))


def _isotonic(x, y) -> CurveFit:
    levels, inverse = np.unique(x, return_inverse=True)
    counts = np.bincount(inverse).astype(float)
    means = np.bincount(inverse, weights=y) / counts
    fit, mode = unimodal_fit(means, counts)
    resid = y - fit[inverse]
    n_params = len(np.unique(np.round(fit, 12)))
    return CurveFit(
        "isotonic",
        n_params,
        float(resid @ resid),
        True,
        fit,
        lambda g: np.interp(np.asarray(g, float), levels, fit),
        mode=float(levels[mode]),
    )


def fit_curve(
    model: str, x: np.ndarray, y: np.ndarray, start: np.ndarray | None = None
) -> CurveFit:
    """Fit one candidate shape to observations (``x`` levels, ``y`` values).

    ``start`` (parameters of an earlier fit) replaces the default starts of a nonlinear shape, as
    in a bootstrap refit.
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if model == "linear":
        return _poly(x, y, 1, model)
    if model == "quadratic":
        return _poly(x, y, 2, model)
    if model == "cubic":
        return _poly(x, y, 3, model)
    if model == "spline":
        return _spline(x, y)
    if model == "isotonic":
        return _isotonic(x, y)
    lo_y, hi_y = float(np.min(y)), float(np.max(y))
    rng = max(hi_y - lo_y, 1e-6)
    xmax = max(float(np.max(x)), 1e-6)
    y0 = float(np.mean(y[x == np.min(x)]))
    if model == "emax":
        starts = [[y0, rng, xmax * f] for f in (0.05, 0.2, 0.5)]
        bounds = ([-np.inf, -np.inf, 1e-4 * xmax], [np.inf, np.inf, 20 * xmax])
        func = _emax
    elif model == "emax_decline":
        starts = [[y0, 2 * rng, xmax * f, -rng] for f in (0.05, 0.2, 0.5)]
        bounds = ([-np.inf, -np.inf, 1e-4 * xmax, -np.inf], [np.inf, np.inf, 20 * xmax, np.inf])
        func = _emax_decline
    elif model == "brain_cousens":
        starts = [[b, lo_y, y0, 0.9 * xmax, 2 * rng / xmax] for b in (4.0, 10.0)]
        bounds = (
            [0.1, -np.inf, -np.inf, 1e-3 * xmax, -np.inf],
            [60, np.inf, np.inf, 10 * xmax, np.inf],
        )
        func = _brain_cousens
    else:
        raise ValueError(model)
    if start is not None and np.all(np.isfinite(start)):
        starts = [list(start)] + starts[:1]
    return _nonlinear(model, func, x, y, starts, bounds)
