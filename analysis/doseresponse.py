"""Dose-response of the metric over dropout levels: fits, bands, the optimal level, a global test.

Candidate shapes are in :mod:`analysis.curves`.  Fits use every per-seed value of the multimodal
arm of one setting.  Model choice: AICc (Gaussian likelihood, σ counted as a parameter), BIC,
Akaike weights; lack of fit: F test of the shape against the saturated per-level means (pure
error on N − L df).  Bands and the optimal level come from a cluster bootstrap over seeds: whole
seed indices are resampled with replacement and the chosen shape refitted, with a recorded
``numpy.random.Generator`` seed.  The unimodal baseline is a horizontal band (its mean and t CI).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from analysis.compare import baseline_rows
from analysis.curves import MODELS, fit_curve
from analysis.errors import ConfigError, DataError
from analysis.tidy import higher_is_better as _direction
from analysis.tidy import select

__all__ = [
    "fit_dose_response",
    "dose_response_band",
    "optimal_level",
    "dose_effect_test",
    "summarize_dose_response",
]


def _groups(table, metric, condition, setting):
    rows = select(table, metric, condition, None)
    multi = rows[rows["arm"] == "multimodal"]
    names = sorted(multi["setting"].unique())
    if setting is not None:
        if setting not in names:
            raise ConfigError(
                f"the table has no multimodal rows for setting {setting!r}; it has "
                f"{', '.join(map(repr, names)) or 'none'}."
            )
        names = [setting]
    if not names:
        raise DataError(f"the table has no multimodal rows for {metric!r}/{condition!r}.")
    for name in names:
        sub = multi[multi["setting"] == name]
        if sub["level"].nunique() < 3:
            raise DataError(
                f"setting {name!r} has {sub['level'].nunique()} dropout level(s); a dose-response "
                "fit needs at least 3."
            )
        yield name, sub, rows


def _criteria(fit, n_obs: int, sspe: float, df_pe: int, n_levels: int) -> dict:
    k = fit.n_params + 1
    nan = float("nan")
    if not np.isfinite(fit.sse) or fit.sse <= 0:
        loglik = aicc = bic = nan
    else:
        loglik = -0.5 * n_obs * (np.log(2 * np.pi * fit.sse / n_obs) + 1)
        aicc = (
            -2 * loglik + 2 * k + (2 * k * (k + 1) / (n_obs - k - 1) if n_obs - k - 1 > 0 else nan)
        )
        bic = -2 * loglik + k * np.log(n_obs)
    df_lof = n_levels - fit.n_params
    if df_lof > 0 and df_pe > 0 and sspe > 0 and np.isfinite(fit.sse):
        f_lof = max(fit.sse - sspe, 0.0) / df_lof / (sspe / df_pe)
        p_lof = float(stats.f.sf(f_lof, df_lof, df_pe))
    else:
        f_lof = p_lof = nan
    return {
        "n_params": fit.n_params,
        "sse": fit.sse,
        "loglik": loglik,
        "aicc": aicc,
        "bic": bic,
        "f_lof": f_lof,
        "df_lof": df_lof,
        "df_pe": df_pe,
        "p_lof": p_lof,
        "converged": fit.converged,
    }


def fit_dose_response(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
    models=MODELS,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Fit every candidate shape to metric vs level and rank them.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition : str
        What to fit.
    setting : str, optional
        One setting; default every setting.
    models : sequence of str
        Shapes from :data:`analysis.curves.MODELS`.
    higher_is_better : bool, optional
        Direction (for the peak); default from the metric name.

    Returns
    -------
    pandas.DataFrame
        One row per (setting, model): ``setting``, ``model``, ``n_params``, ``sse``, ``loglik``,
        ``aicc``, ``bic``, ``weight`` (Akaike weight from AICc within the setting, converged fits
        only), ``f_lof``, ``df_lof``, ``df_pe``, ``p_lof`` (lack-of-fit F against the per-level
        means; NaN when the shape has as many parameters as levels), ``converged``, ``peak_level``
        (level of the best fitted value on a grid over the observed range; for ``isotonic`` the
        mode), ``peak_value``, ``n_obs``, ``n_levels``, ``metric``, ``condition``.

    Notes
    -----
    On the authors' IEMOCAP accuracies the quadratic and cubic fail lack of fit (p = .0070,
    .0050), the spline has the lowest AICc, and the unimodal isotonic mode is 0.8.
    """
    bad = [m for m in models if m not in MODELS]
    if bad:
        raise ConfigError(f"unknown model(s) {bad}; valid models are {', '.join(MODELS)}.")
    higher = _direction(metric) if higher_is_better is None else higher_is_better
    out = []
    for name, sub, _ in _groups(table, metric, condition, setting):
        x, y = sub["level"].to_numpy(float), sub["value"].to_numpy(float)
        levels = np.unique(x)
        sspe = float(
            sub.groupby("level")["value"].apply(lambda v: ((v - v.mean()) ** 2).sum()).sum()
        )
        df_pe = len(y) - len(levels)
        grid = np.linspace(levels.min(), levels.max(), 191)
        rows = []
        for model in models:
            fit = fit_curve(model, x, y)
            row = {"setting": name, "model": model}
            row.update(_criteria(fit, len(y), sspe, df_pe, len(levels)))
            if model == "isotonic":
                peak = fit.mode
                peak_value = float(fit.predict(np.array([peak]))[0])
            else:
                curve = fit.predict(grid)
                i = (
                    int(np.nanargmax(curve) if higher else np.nanargmin(curve))
                    if fit.converged
                    else 0
                )
                peak, peak_value = (
                    (float(grid[i]), float(curve[i])) if fit.converged else (np.nan,) * 2
                )
            row.update(peak_level=peak, peak_value=peak_value)
            rows.append(row)
        frame = pd.DataFrame(rows)
        ok = frame["converged"] & frame["aicc"].notna()
        delta = frame["aicc"] - frame.loc[ok, "aicc"].min()
        w = np.where(ok, np.exp(-0.5 * delta), 0.0)
        frame["weight"] = w / w.sum() if w.sum() > 0 else np.nan
        frame = frame.assign(n_obs=len(y), n_levels=len(levels), metric=metric, condition=condition)
        out.append(frame)
    cols = [
        "setting",
        "model",
        "n_params",
        "sse",
        "loglik",
        "aicc",
        "bic",
        "weight",
        "f_lof",
        "df_lof",
        "df_pe",
        "p_lof",
        "converged",
        "peak_level",
        "peak_value",
        "n_obs",
        "n_levels",
        "metric",
        "condition",
    ]
    return pd.concat(out, ignore_index=True)[cols]


def _choose(fits: pd.DataFrame, model: str) -> str:
    if model != "best":
        if model not in MODELS:
            raise ConfigError(f"unknown model {model!r}; valid are 'best', {', '.join(MODELS)}.")
        return model
    ok = fits[fits["converged"] & fits["aicc"].notna()]
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
    for name, sub, rows in _groups(table, metric, condition, setting):
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


def dose_effect_test(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
) -> pd.DataFrame:
    """Global test for any effect of the dropout level (one-way and Welch ANOVA over levels).

    Returns
    -------
    pandas.DataFrame
        One row per setting: ``setting``, ``f`` and ``df1``, ``df2``, ``p_anova`` (scipy
        ``f_oneway``), ``f_welch``, ``p_welch`` (pingouin ``welch_anova``), ``n_levels``,
        ``metric``, ``condition``.
    """
    out = []
    for name, sub, _ in _groups(table, metric, condition, setting):
        groups = [g.to_numpy(float) for _, g in sub.groupby("level")["value"]]
        res = stats.f_oneway(*groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            welch = pg.welch_anova(data=sub, dv="value", between="level")
        out.append(
            {
                "setting": name,
                "f": float(res.statistic),
                "df1": len(groups) - 1,
                "df2": int(len(sub) - len(groups)),
                "p_anova": float(res.pvalue),
                "f_welch": float(welch["F"].iloc[0]),
                "p_welch": float(welch["p_unc"].iloc[0])
                if "p_unc" in welch
                else float(welch.iloc[0, -2]),
                "n_levels": len(groups),
                "metric": metric,
                "condition": condition,
            }
        )
    return pd.DataFrame(out)


def summarize_dose_response(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    margin: float = 0.02,
) -> list[dict]:
    """A plain summary per setting for printing or JSON (one dict per setting).

    Returns
    -------
    list of dict
        Keys: ``setting``, ``best_model``, ``models`` (list of dicts: model, aicc, bic, weight,
        p_lof, converged, peak_level), ``isotonic_mode``, ``opt_level``, ``opt_low``,
        ``opt_high``, ``near_low``, ``near_high``, ``levels_not_worse`` and
        ``levels_near_best`` (lists of levels), ``p_anova``, ``p_welch``, ``n_boot``, ``seed``,
        ``margin`` (see :func:`optimal_level`).
    """
    fits = fit_dose_response(table, metric, condition, setting)
    opt = optimal_level(
        table, metric, condition, setting, n_boot=n_boot, seed=seed, alpha=alpha, margin=margin
    )
    glob = dose_effect_test(table, metric, condition, setting)
    out = []
    for name, f in fits.groupby("setting", sort=True):
        o = opt[opt["setting"] == name]
        g = glob[glob["setting"] == name].iloc[0]
        iso = f[f["model"] == "isotonic"]
        out.append(
            {
                "setting": name,
                "best_model": str(o["model"].iloc[0]),
                "models": f[
                    ["model", "aicc", "bic", "weight", "p_lof", "converged", "peak_level"]
                ].to_dict(orient="records"),
                "isotonic_mode": float(iso["peak_level"].iloc[0]) if len(iso) else None,
                "opt_level": float(o["opt_level"].iloc[0]),
                "opt_low": float(o["opt_low"].iloc[0]),
                "opt_high": float(o["opt_high"].iloc[0]),
                "near_low": float(o["near_low"].iloc[0]),
                "near_high": float(o["near_high"].iloc[0]),
                "levels_not_worse": [float(v) for v in o.loc[o["not_worse"], "level"]],
                "levels_near_best": [float(v) for v in o.loc[o["near_best"], "level"]],
                "p_anova": float(g["p_anova"]),
                "p_welch": float(g["p_welch"]),
                "n_boot": n_boot,
                "seed": seed,
                "margin": margin,
            }
        )
    return out
