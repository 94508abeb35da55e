"""The optimal dropout level and the curve's band, by cluster bootstrap over seeds.

Whole seed indices are resampled with replacement (the seed is the replication unit) and the
chosen dose-response shape (:mod:`analysis.curves`) is refitted in each replicate; the generator is
a ``numpy.random.Generator`` seeded with the recorded ``seed``.  The unimodal baseline is drawn as
a horizontal band (its mean and t CI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.curves import MODELS, fit_curve
from analysis.doseresponse import dose_groups, fit_dose_response
from analysis.tidy import baseline_rows
from analysis.tidy import higher_is_better as _direction
from colearn.errors import ConfigError, DataError

__all__ = ["dose_response_band", "optimal_level"]


def _choose(fits: pd.DataFrame, model: str) -> str:
    if model != "best":
        if model not in MODELS:
            raise ConfigError(f"unknown model {model!r}; valid are 'best', {', '.join(MODELS)}.")
        return model
    ok = fits[fits["converged"] & fits["aicc"].notna()]
    if ok.empty:
        raise DataError(
            "no dose-response shape could be fitted with a finite AICc (too few values per "
            "level); the band and the optimum need more seeds."
        )
    return str(ok.sort_values("aicc").iloc[0]["model"])


def _bootstrap(sub: pd.DataFrame, model: str, n_boot: int, seed: int, grid: np.ndarray, higher):
    """Cluster bootstrap over seeds: curves on ``grid``, argmax of each curve, level means."""
    rng = np.random.default_rng(seed)
    seeds = np.sort(sub["seed"].unique())
    per_seed = [sub[sub["seed"] == s] for s in seeds]
    xs = [p["level"].to_numpy(float) for p in per_seed]
    ys = [p["value"].to_numpy(float) for p in per_seed]
    levels = np.unique(sub["level"])
    full = fit_curve(model, sub["level"].to_numpy(float), sub["value"].to_numpy(float))
    curves = np.full((n_boot, len(grid)), np.nan)
    means = np.full((n_boot, len(levels)), np.nan)
    for b in range(n_boot):
        pick = rng.integers(0, len(seeds), len(seeds))
        x = np.concatenate([xs[i] for i in pick])
        y = np.concatenate([ys[i] for i in pick])
        idx = np.searchsorted(levels, x)
        counts = np.bincount(idx, minlength=len(levels))
        with np.errstate(invalid="ignore", divide="ignore"):
            means[b] = np.bincount(idx, weights=y, minlength=len(levels)) / counts
        if len(np.unique(x)) < 3:
            continue
        fit = fit_curve(model, x, y, start=full.params)
        if fit.converged or model in ("isotonic",):
            curves[b] = fit.predict(grid)
    ok = ~np.isnan(curves).any(axis=1)
    arg = np.full(n_boot, np.nan)
    if ok.any():
        pos = np.argmax(curves[ok], 1) if higher else np.argmin(curves[ok], 1)
        arg[ok] = grid[pos]
    return full, curves, arg, means, levels


def _boot_for(table, metric, condition, setting, model, n_boot, seed, n_grid, higher_is_better):
    if n_boot < 1:
        raise ConfigError(f"n_boot is {n_boot!r}; it must be a positive integer.")
    higher = _direction(metric) if higher_is_better is None else higher_is_better
    for name, sub, rows in dose_groups(table, metric, condition, setting):
        fits = fit_dose_response(rows, metric, condition, name, higher_is_better=higher)
        chosen = _choose(fits, model)
        grid = np.linspace(sub["level"].min(), sub["level"].max(), n_grid)
        yield (
            name,
            sub,
            rows,
            chosen,
            grid,
            higher,
            _bootstrap(sub, chosen, n_boot, seed, grid, higher),
        )


def dose_response_band(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
    model: str = "best",
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    n_grid: int = 191,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """The fitted curve with a pointwise cluster-bootstrap band, and the baseline's band.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition, setting
        What to fit (every setting when ``setting`` is None).
    model : str
        A shape of :data:`analysis.curves.MODELS`, or ``best`` (lowest AICc among converged fits).
    n_boot, seed
        Bootstrap replicates and the seed of their ``numpy.random.Generator``.
    alpha : float
        The band is the pointwise percentile (1 − α) interval.
    n_grid : int
        Grid points over the observed level range.
    higher_is_better : bool, optional
        Direction; default from the metric name.

    Returns
    -------
    pandas.DataFrame
        One row per (setting, arm, grid level): ``setting``, ``arm`` (``multimodal`` curve or
        ``unimodal`` baseline), ``level``, ``fit`` (full-data fit; baseline: its mean),
        ``ci_low``, ``ci_high`` (bootstrap percentiles; baseline: (1 − α) t CI), ``model``,
        ``n_boot``, ``n_failed`` (replicates whose refit failed), ``seed``, ``alpha``.
    """
    out = []
    for name, _, rows, chosen, grid, _, boot in _boot_for(
        table, metric, condition, setting, model, n_boot, seed, n_grid, higher_is_better
    ):
        full, curves, _, _, _ = boot
        ok = ~np.isnan(curves).any(axis=1)
        lo, hi = np.nanpercentile(curves[ok], [50 * alpha, 100 - 50 * alpha], axis=0)
        common = {
            "model": chosen,
            "n_boot": n_boot,
            "n_failed": int((~ok).sum()),
            "seed": seed,
            "alpha": alpha,
            "setting": name,
        }
        out.append(
            pd.DataFrame(
                {
                    "arm": "multimodal",
                    "level": grid,
                    "fit": full.predict(grid),
                    "ci_low": lo,
                    "ci_high": hi,
                    **common,
                }
            )
        )
        base = baseline_rows(rows, name)["value"].to_numpy(float)
        if len(base) >= 2:
            m, se = base.mean(), stats.sem(base)
            half = stats.t.ppf(1 - alpha / 2, len(base) - 1) * se
            out.append(
                pd.DataFrame(
                    {
                        "arm": "unimodal",
                        "level": grid,
                        "fit": m,
                        "ci_low": m - half,
                        "ci_high": m + half,
                        **common,
                    }
                )
            )
    cols = [
        "setting",
        "arm",
        "level",
        "fit",
        "ci_low",
        "ci_high",
        "model",
        "n_boot",
        "n_failed",
        "seed",
        "alpha",
    ]
    return pd.concat(out, ignore_index=True)[cols]


def optimal_level(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
    model: str = "best",
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    n_grid: int = 191,
    higher_is_better: bool | None = None,
    margin: float = 0.02,
) -> pd.DataFrame:
    """The optimal level as an interval, and which levels are not worse than the best.

    Parameters
    ----------
    table, metric, condition, setting, model, n_boot, seed, alpha, n_grid, higher_is_better
        As in :func:`dose_response_band`.
    margin : float
        Margin δ of the near-optimal region and of ``near_best``.

    Returns
    -------
    pandas.DataFrame
        One row per (setting, observed level): ``setting``, ``level``, ``mean``, ``best_level``
        (the level with the best mean), ``diff_to_best`` (mean − best mean), ``diff_ci_low``,
        ``diff_ci_high`` (cluster-bootstrap percentile (1 − α) interval of that difference),
        ``not_worse`` (the interval reaches 0 in the worse-than-best direction, i.e. the level
        cannot be told apart from the best), ``p_best`` (share of replicates in which the level
        has the best mean), ``near_best`` (the one-sided (1 − α) lower bootstrap bound of
        the difference lies above −δ: the level is within δ of the best), ``opt_level`` (argmax
        of the full-data curve), ``opt_low``, ``opt_high`` (percentile (1 − α) interval of the
        curve's argmax over replicates), ``near_low``, ``near_high`` (the near-optimal region:
        grid levels whose curve is within δ of the curve's optimum, judged by the one-sided
        (1 − α) lower bootstrap bound of f(level) − f(optimum)), ``model``, ``n_boot``,
        ``seed``, ``alpha``, ``margin``.

    Notes
    -----
    On the authors' IEMOCAP accuracies (spline, 2,000 replicates, seed 0) the optimum is 0.815,
    its argmax interval [0.79, 0.83], the near-optimal region at δ = .02 [0.675, 0.915].
    """
    out = []
    for name, sub, _, chosen, grid, higher, boot in _boot_for(
        table, metric, condition, setting, model, n_boot, seed, n_grid, higher_is_better
    ):
        full, curves, arg, means, levels = boot
        sign = 1.0 if higher else -1.0
        obs = sub.groupby("level")["value"].mean().reindex(levels).to_numpy()
        best = int(np.argmax(sign * obs))
        diffs = means - means[:, [best]]
        lo, hi = np.nanpercentile(diffs, [50 * alpha, 100 - 50 * alpha], axis=0)
        reach = hi >= 0 if higher else lo <= 0
        winners = np.argmax(np.where(np.isnan(means), -np.inf, sign * means), axis=1)
        p_best = np.bincount(winners, minlength=len(levels)) / n_boot
        curve = full.predict(grid)
        i_opt = int(np.argmax(sign * curve))
        opt = float(grid[i_opt])
        a = arg[~np.isnan(arg)]
        opt_lo, opt_hi = (
            np.percentile(a, [50 * alpha, 100 - 50 * alpha]) if len(a) else (np.nan,) * 2
        )
        ok = ~np.isnan(curves).any(axis=1)
        rel = sign * (curves[ok] - curves[ok][:, [i_opt]])
        near = np.percentile(rel, 100 * alpha, axis=0) > -margin if ok.any() else np.zeros(0, bool)
        near_lo, near_hi = (grid[near].min(), grid[near].max()) if near.any() else (np.nan,) * 2
        near_best = np.nanpercentile(sign * diffs, 100 * alpha, axis=0) > -margin
        out.append(
            pd.DataFrame(
                {
                    "setting": name,
                    "level": levels,
                    "mean": obs,
                    "best_level": levels[best],
                    "diff_to_best": obs - obs[best],
                    "diff_ci_low": lo,
                    "diff_ci_high": hi,
                    "not_worse": reach | (np.arange(len(levels)) == best),
                    "p_best": p_best,
                    "near_best": near_best,
                    "opt_level": opt,
                    "opt_low": float(opt_lo),
                    "opt_high": float(opt_hi),
                    "near_low": float(near_lo),
                    "near_high": float(near_hi),
                    "model": chosen,
                    "n_boot": n_boot,
                    "seed": seed,
                    "alpha": alpha,
                    "margin": margin,
                }
            )
        )
    return pd.concat(out, ignore_index=True)
