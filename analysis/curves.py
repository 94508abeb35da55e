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

Every shape is a function of the level only, so its least-squares fit to the observations is the
count-weighted fit to the level means, and the residual sum of squares is the pure error
(within levels) plus the weighted squared distance of the means from the curve.  Fits use that
reduction, which makes a fit cost the number of levels rather than the number of seeds, and
:func:`fit_batch` refits one shape to many sets of level means at once (the bootstrap).

Nonlinear shapes are fitted by a Levenberg–Marquardt iteration (analytic Jacobians, clipped to
the parameter bounds) vectorised over starts and data sets: from several default starts for one
data set, from the full-data estimate for a batch; ``converged`` is False when every start fails,
or the best one ends on a bound or has not settled.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy import interpolate

__all__ = ["MODELS", "CurveFit", "BatchFit", "fit_curve", "fit_batch", "pava", "unimodal_fit"]

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

_DEGREE = {"linear": 1, "quadratic": 2, "cubic": 3}


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
    bounds: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


@dataclass
class BatchFit:
    """One shape refitted to B sets of level means (:func:`fit_batch`).

    ``sse`` (B,) is the count-weighted squared distance of the means from the curve (add the
    pure error for the residual sum of squares); ``n_params`` (B,), ``converged`` (B,) and
    ``curves`` (B, grid), NaN where a refit failed.
    """

    model: str
    sse: np.ndarray
    n_params: np.ndarray
    converged: np.ndarray
    curves: np.ndarray


def _level_means(x: np.ndarray, y: np.ndarray):
    """Distinct levels, their counts and means, and the pure-error sum of squares."""
    levels, inverse = np.unique(x, return_inverse=True)
    counts = np.bincount(inverse).astype(float)
    means = np.bincount(inverse, weights=y) / counts
    resid = y - means[inverse]
    return levels, counts, means, float(resid @ resid)


def _wlstsq(design: np.ndarray, means: np.ndarray, counts: np.ndarray, sspe: float):
    root = np.sqrt(counts)
    coef, *_ = np.linalg.lstsq(design * root[:, None], means * root, rcond=None)
    resid = means - design @ coef
    return coef, sspe + float(counts @ resid**2)


def _poly(x, y, degree: int, name: str) -> CurveFit:
    levels, counts, means, sspe = _level_means(x, y)
    coef, sse = _wlstsq(np.vander(levels, degree + 1, increasing=True), means, counts, sspe)
    return CurveFit(
        name,
        degree + 1,
        sse,
        True,
        coef,
        lambda g: np.vander(np.asarray(g, float), degree + 1, increasing=True) @ coef,
    )


def _spline_basis(lo: float, knot: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    knots = np.r_[[lo] * 4, knot, [hi] * 4]

    def basis(g):
        g = np.clip(np.asarray(g, float), lo, hi)
        return interpolate.BSpline.design_matrix(g, knots, 3).toarray()

    return basis


def _spline(x, y) -> CurveFit:
    levels, counts, means, sspe = _level_means(x, y)
    basis = _spline_basis(float(np.min(x)), float(np.median(x)), float(np.max(x)))
    coef, sse = _wlstsq(basis(levels), means, counts, sspe)
    return CurveFit("spline", len(coef), sse, True, coef, lambda g: basis(g) @ coef)


def _emax(x, e0, emax, ed50):
    return e0 + emax * x / (ed50 + x)


def _emax_decline(x, e0, emax, ed50, b):
    return e0 + emax * x / (ed50 + x) + b * x


def _bc_z(x, b, e):
    """exp(b·(log x − log e)), 0 at x = 0, clipped against overflow."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        z = np.exp(np.clip(b * (np.log(np.where(x > 0, x, 1.0)) - np.log(e)), -700, 700))
    return np.where(x > 0, z, 0.0)


def _brain_cousens(x, b, c, d, e, f):
    x = np.asarray(x, float)
    return c + (d - c + f * x) / (1 + _bc_z(x, b, e))


def _jacobian(model: str, x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Analytic Jacobian (B, L, parameters) of a nonlinear shape at parameters ``p`` (B, k)."""
    x = x[None, :]
    if model in ("emax", "emax_decline"):
        emax, ed50 = p[:, 1:2], p[:, 2:3]
        cols = [np.ones_like(x * emax), x / (ed50 + x), -emax * x / (ed50 + x) ** 2]
        if model == "emax_decline":
            cols.append(np.broadcast_to(x, cols[0].shape))
        return np.stack(cols, axis=-1)
    b, c, d, e, f = (p[:, i : i + 1] for i in range(5))
    z = _bc_z(x, b, e)
    u = 1 / (1 + z)
    top = d - c + f * x
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)) - np.log(e), 0.0)
    dz = top * z * u**2
    return np.stack([-dz * logs, 1 - u, u, dz * b / e, x * u], axis=-1)


_FUNCS = {"emax": _emax, "emax_decline": _emax_decline, "brain_cousens": _brain_cousens}


def _nonlinear_setup(model: str, x: np.ndarray, y: np.ndarray):
    """Default starts and bounds of a nonlinear shape, scaled to the data."""
    lo_y, hi_y = float(np.min(y)), float(np.max(y))
    rng = max(hi_y - lo_y, 1e-6)
    xmax = max(float(np.max(x)), 1e-6)
    y0 = float(np.mean(y[x == np.min(x)]))
    if model == "emax":
        starts = [[y0, rng, xmax * f] for f in (0.05, 0.2, 0.5)]
        bounds = ([-np.inf, -np.inf, 1e-4 * xmax], [np.inf, np.inf, 20 * xmax])
    elif model == "emax_decline":
        starts = [[y0, 2 * rng, xmax * f, -rng] for f in (0.05, 0.2, 0.5)]
        bounds = ([-np.inf, -np.inf, 1e-4 * xmax, -np.inf], [np.inf, np.inf, 20 * xmax, np.inf])
    elif model == "brain_cousens":
        starts = [[b, lo_y, y0, 0.9 * xmax, 2 * rng / xmax] for b in (4.0, 10.0)]
        bounds = (
            [0.1, -np.inf, -np.inf, 1e-3 * xmax, -np.inf],
            [60, np.inf, np.inf, 10 * xmax, np.inf],
        )
    else:
        raise ValueError(model)
    return starts, (np.asarray(bounds[0], float), np.asarray(bounds[1], float))


def _on_bound(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whether parameters (…, k) end on a finite bound (the fit did not converge inside)."""
    span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
    return np.any(
        (np.isfinite(lo) & (p - lo < 1e-6 * span)) | (np.isfinite(hi) & (hi - p < 1e-6 * span)),
        axis=-1,
    )


def _nonlinear(name, x, y, starts, bounds) -> CurveFit:
    func = _FUNCS[name]
    levels, counts, means, sspe = _level_means(x, y)
    k = len(starts)
    between, ok, params = _batch_nonlinear(
        name, levels, np.tile(means, (k, 1)), np.tile(counts, (k, 1)), np.asarray(starts, float),
        bounds, max_iter=1000,
    )  # fmt: skip
    if not np.isfinite(between).any():
        nan = np.full(len(starts[0]), np.nan)
        return CurveFit(name, len(nan), float("nan"), False, nan,
                        lambda g: np.full(np.shape(g), np.nan), bounds=bounds)  # fmt: skip
    i = int(np.argmin(between))
    popt = params[i]
    return CurveFit(name, len(popt), sspe + float(between[i]), bool(ok[i]), popt,
                    lambda g: func(np.asarray(g, float), *popt), bounds=bounds)  # fmt: skip


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


def _unimodal_split(means: np.ndarray, weights: np.ndarray) -> int:
    """Index of the least-squares split (first on ties), by one online PAVA pass each way.

    PAVA is online: after the k-th value its blocks are the isotonic fit of the prefix, so
    one pass from the left gives every prefix's error and one from the right every suffix's.
    """

    def errors(values, w):
        blocks: list[list[float]] = []  # [weighted sum, weight]
        out, total = [], 0.0
        for v, wt in zip(values, w, strict=True):
            total += wt * v * v
            blocks.append([wt * v, wt])
            while len(blocks) > 1 and blocks[-2][0] * blocks[-1][1] > blocks[-1][0] * blocks[-2][1]:
                s, t = blocks.pop()
                blocks[-1][0] += s
                blocks[-1][1] += t
            out.append(total - sum(s * s / t for s, t in blocks))
        return out

    centred = [float(v) for v in means - np.average(means, weights=weights)]
    w = [float(v) for v in weights]
    left = errors(centred, w)
    right = errors([-v for v in centred[::-1]], w[::-1])[::-1] + [0.0]
    total = [left[k] + right[k + 1] for k in range(len(centred))]
    best = min(total)
    return next(k for k, v in enumerate(total) if v <= best + 1e-15)


def unimodal_fit(means: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, int]:
    """Least-squares unimodal (increasing then decreasing) fit to level means.

    Every split point is tried (Frisén): nondecreasing up to it, nonincreasing after; the first
    split with the least weighted error is kept.  Returns the fitted values and the index of the
    mode (first maximum of the fit).
    """
    means = np.asarray(means, float)
    weights = np.asarray(weights, float)
    k = _unimodal_split(means, weights)
    up = pava(means[: k + 1], weights[: k + 1])
    down = -pava(-means[k + 1 :], weights[k + 1 :]) if k + 1 < len(means) else np.array([])
    fit = np.r_[up, down]
    return fit, int(np.argmax(fit))


def _isotonic(x, y) -> CurveFit:
    levels, counts, means, sspe = _level_means(x, y)
    fit, mode = unimodal_fit(means, counts)
    n_params = len(np.unique(np.round(fit, 12)))
    return CurveFit(
        "isotonic",
        n_params,
        sspe + float(counts @ (means - fit) ** 2),
        True,
        fit,
        lambda g: np.interp(np.asarray(g, float), levels, fit),
        mode=float(levels[mode]),
    )


def fit_curve(model: str, x: np.ndarray, y: np.ndarray) -> CurveFit:
    """Fit one candidate shape to observations (``x`` levels, ``y`` values).

    Parameters
    ----------
    model : str
        A shape of :data:`MODELS`.
    x, y : array-like
        Levels and values of the observations.

    Returns
    -------
    CurveFit
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if model in _DEGREE:
        return _poly(x, y, _DEGREE[model], model)
    if model == "spline":
        return _spline(x, y)
    if model == "isotonic":
        return _isotonic(x, y)
    starts, bounds = _nonlinear_setup(model, x, y)
    return _nonlinear(model, x, y, starts, bounds)


def _batch_linear(design, grid_design, means, counts):
    """Weighted least squares of every set of means on one design: coefficients via pinv."""
    root = np.sqrt(counts)
    coef = np.linalg.pinv(design[None] * root[:, :, None]) @ (means * root)[:, :, None]
    coef = coef[:, :, 0]
    resid = means - coef @ design.T
    return np.sum(counts * resid**2, axis=1), coef @ grid_design.T


def _weighted_median(levels: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``np.median`` of each set of observations, from its counts per level (B, L)."""
    cum = np.cumsum(counts, axis=1)
    n = cum[:, -1]

    def at(k):  # the value at 0-based position k of the sorted observations
        return levels[np.minimum((cum <= k[:, None]).sum(axis=1), len(levels) - 1)]

    half = np.floor(n / 2)
    return np.where(n % 2 == 1, at(half), (at(half - 1) + at(half)) / 2)


def _batch_spline(levels, grid, means, counts):
    present = counts > 0
    lo = levels[np.argmax(present, axis=1)]
    hi = levels[len(levels) - 1 - np.argmax(present[:, ::-1], axis=1)]
    keys, group = np.unique(
        np.c_[lo, _weighted_median(levels, counts), hi], axis=0, return_inverse=True
    )
    sse, curves = np.empty(len(means)), np.empty((len(means), len(grid)))
    for i, (a, knot, b) in enumerate(keys):
        rows = group.ravel() == i
        basis = _spline_basis(a, knot, b)
        sse[rows], curves[rows] = _batch_linear(basis(levels), basis(grid), means[rows],
                                                counts[rows])  # fmt: skip
    return sse, curves


def _batch_isotonic(levels, grid, means, counts):
    sse, curves = np.empty(len(means)), np.empty((len(means), len(grid)))
    n_params = np.zeros(len(means), int)
    for b in range(len(means)):
        keep = counts[b] > 0
        m, w = means[b, keep], counts[b, keep]
        fit, _ = unimodal_fit(m, w)
        sse[b] = float(w @ (m - fit) ** 2)
        n_params[b] = len(np.unique(np.round(fit, 12)))
        curves[b] = np.interp(grid, levels[keep], fit)
    return sse, n_params, curves


def _batch_nonlinear(model, levels, means, counts, start, bounds, max_iter: int = 100):
    """Levenberg–Marquardt on every set of means at once, from ``start`` (one row per set or
    one for all), within ``bounds``: (sum of squares of the means, converged, parameters)."""
    func, (lo, hi) = _FUNCS[model], bounds
    x = levels[None, :]

    def sse_of(p, rows=slice(None)):
        with np.errstate(all="ignore"):
            resid = means[rows] - func(x, *(p[:, i : i + 1] for i in range(p.shape[1])))
        sse = np.sum(counts[rows] * resid**2, axis=1)
        return np.where(np.isfinite(sse), sse, np.inf), resid

    p = np.broadcast_to(np.asarray(start, float), (len(means), len(bounds[0]))).copy()
    sse, resid = sse_of(p)
    lam = np.full(len(means), 1e-3)
    active = np.isfinite(sse)
    eye = np.eye(p.shape[1])
    for _ in range(max_iter):
        if not active.any():
            break
        a = np.flatnonzero(active)
        with np.errstate(all="ignore"):
            jac = _jacobian(model, levels, p[a])
        jw = jac * counts[a, :, None]
        h = np.einsum("bli,blj->bij", jw, jac)
        g = np.einsum("bli,bl->bi", jw, resid[a])
        diag = np.diagonal(h, axis1=1, axis2=2)
        # Marquardt's scaling by the diagonal, floored so that a flat direction stays solvable
        damp = lam[a, None] * np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + 1e-300)
        system = h + damp[:, :, None] * eye
        bad = ~np.isfinite(system).all(axis=(1, 2)) | ~np.isfinite(g).all(axis=1)
        system[bad], g[bad] = eye, 0.0
        try:
            step = np.linalg.solve(system, g[:, :, None])
        except np.linalg.LinAlgError:  # a singular system in the batch: least squares for all
            step = np.linalg.pinv(system) @ g[:, :, None]
        trial = np.clip(p[a] + step[:, :, 0], lo, hi)
        new_sse, new_resid = sse_of(trial, a)
        better = new_sse < sse[a]
        gain = sse[a] - new_sse
        take = a[better]
        p[take], resid[take] = trial[better], new_resid[better]
        lam[a] = np.where(better, lam[a] * 0.3, lam[a] * 10)
        done = np.where(better, gain <= 1e-12 * new_sse + 1e-30, lam[a] > 1e10) | bad
        sse[take] = new_sse[better]
        active[a[done]] = False
    # a refit still moving after max_iter steps is creeping along a ridge towards a bound
    converged = np.isfinite(sse) & ~_on_bound(p, lo, hi) & ~active
    with np.errstate(all="ignore"):
        return sse, converged, p


def fit_batch(
    model: str,
    levels: np.ndarray,
    means: np.ndarray,
    counts: np.ndarray,
    grid: np.ndarray,
    full: CurveFit,
) -> BatchFit:
    """Refit one shape to B sets of level means at once (the replicates of a bootstrap).

    Parameters
    ----------
    model : str
        A shape of :data:`MODELS`.
    levels : numpy.ndarray
        The distinct levels (L,), sorted.
    means, counts : numpy.ndarray
        Level means and numbers of observations of each set (B, L); a count of 0 marks a level
        absent from a set.
    grid : numpy.ndarray
        Levels at which to evaluate each refitted curve.
    full : CurveFit
        The fit to all the data: a nonlinear refit starts from its parameters, within its
        bounds.

    Returns
    -------
    BatchFit
        A set with fewer than 3 levels present, or whose nonlinear refit fails, ends on a
        bound or has not settled after 100 steps, has ``converged`` False and a NaN curve.

    Notes
    -----
    Each least-squares problem is the count-weighted fit to the means, so its solution equals
    :func:`fit_curve` on the set's observations (linear shapes exactly; nonlinear shapes to the
    optimiser's tolerance, from the start ``full.params`` rather than several starts).
    """
    counts = np.asarray(counts, float)
    means = np.where(counts > 0, means, 0.0)
    enough = (counts > 0).sum(axis=1) >= 3
    n_params = np.full(len(means), full.n_params)
    converged = enough.copy()
    if model in _DEGREE:
        degree = _DEGREE[model]
        sse, curves = _batch_linear(np.vander(levels, degree + 1, increasing=True),
                                    np.vander(grid, degree + 1, increasing=True), means, counts)  # fmt: skip
    elif model == "spline":
        sse, curves = _batch_spline(levels, grid, means, counts)
    elif model == "isotonic":
        sse, n_params, curves = _batch_isotonic(levels, grid, means, counts)
    else:
        if full.bounds is None or not np.all(np.isfinite(full.params)):
            raise ValueError(
                f"refitting {model} needs a finished fit to all the data to start from"
            )
        sse, ok, p = _batch_nonlinear(model, levels, means, counts, full.params, full.bounds)
        converged &= ok
        with np.errstate(all="ignore"):
            curves = _FUNCS[model](grid[None, :], *(p[:, i : i + 1] for i in range(p.shape[1])))
    curves = np.where(converged[:, None], curves, np.nan)
    return BatchFit(model, np.where(converged, sse, np.nan), n_params, converged, curves)
