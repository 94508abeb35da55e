"""Dose-response of the metric over dropout levels: fits, bands, the optimal level, a global test.

Candidate shapes are in :mod:`analysis.curves`.  Fits use every per-seed value of the multimodal
arm of one setting.  Model choice: AICc (Gaussian likelihood, σ counted as a parameter), BIC,
Akaike weights; lack of fit: F test of the shape against the saturated per-level means (pure
error on N − L df).  Bands and the optimal level (cluster bootstrap over seeds) build on these
fits in :mod:`analysis.optimum`.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from analysis.curves import MODELS, CurveFit, fit_curve
from analysis.tidy import analysable, level_rows, settings_of
from analysis.tidy import higher_is_better as _direction
from colearn.errors import ConfigError, DataError

__all__ = [
    "dose_groups",
    "fit_dose_response",
    "fit_setting",
    "dose_effect_test",
    "aicc",
    "FIT_COLUMNS",
]


#: Columns of :func:`fit_dose_response`.
FIT_COLUMNS = [
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


def dose_groups(table: pd.DataFrame, metric: str, condition: str, setting: str | None):
    """Yield ``(setting, multimodal rows, all usable rows)`` per setting with ≥ 3 levels.

    Raises
    ------
    DataError
        When a setting has fewer than 3 dropout levels (a curve needs at least 3).
    """
    rows, _ = analysable(table, metric, condition)
    for name in settings_of(rows, setting):
        sub = level_rows(rows, name)
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
        loglik = bic = nan
    else:
        loglik = -0.5 * n_obs * (np.log(2 * np.pi * fit.sse / n_obs) + 1)
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
        "aicc": aicc(fit.sse, n_obs, k),
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
    out = [
        fit_setting(name, sub, models, higher, metric, condition)[0]
        for name, sub, _ in dose_groups(table, metric, condition, setting)
    ]
    return pd.concat(out, ignore_index=True)[FIT_COLUMNS]


def fit_setting(
    name: str, sub: pd.DataFrame, models, higher: bool, metric: str, condition: str
) -> tuple[pd.DataFrame, dict[str, CurveFit]]:
    """Fit every shape to one setting's multimodal rows: the rows of :func:`fit_dose_response`
    (before column ordering) and the fits themselves, by model."""
    x, y = sub["level"].to_numpy(float), sub["value"].to_numpy(float)
    levels = np.unique(x)
    sspe = float(sub.groupby("level")["value"].apply(lambda v: ((v - v.mean()) ** 2).sum()).sum())
    df_pe = len(y) - len(levels)
    grid = np.linspace(levels.min(), levels.max(), 191)
    rows, fits = [], {}
    for model in models:
        fit = fits[model] = fit_curve(model, x, y)
        row = {"setting": name, "model": model}
        row.update(_criteria(fit, len(y), sspe, df_pe, len(levels)))
        if model == "isotonic":
            peak = fit.mode
            peak_value = float(fit.predict(np.array([peak]))[0])
        else:
            curve = fit.predict(grid)
            i = int(np.nanargmax(curve) if higher else np.nanargmin(curve)) if fit.converged else 0
            peak, peak_value = (float(grid[i]), float(curve[i])) if fit.converged else (np.nan,) * 2
        row.update(peak_level=peak, peak_value=peak_value)
        rows.append(row)
    frame = pd.DataFrame(rows)
    ok = frame["converged"] & frame["aicc"].notna()
    delta = frame["aicc"] - frame.loc[ok, "aicc"].min()
    w = np.where(ok, np.exp(-0.5 * delta), 0.0)
    frame["weight"] = w / w.sum() if w.sum() > 0 else np.nan
    frame = frame.assign(n_obs=len(y), n_levels=len(levels), metric=metric, condition=condition)
    return frame[FIT_COLUMNS], fits


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
    for name, sub, _ in dose_groups(table, metric, condition, setting):
        groups = [g.to_numpy(float) for _, g in sub.groupby("level")["value"]]
        res = stats.f_oneway(*groups)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                welch = pg.welch_anova(data=sub, dv="value", between="level")
            except ValueError:  # a level without variance leaves Welch's weights undefined
                welch = pd.DataFrame({"F": [np.nan], "p_unc": [np.nan]})
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


def aicc(sse, n_obs, k):
    """AICc of Gaussian least-squares fits (σ counted in ``k``); NaN where undefined.

    Parameters
    ----------
    sse, n_obs, k : float or numpy.ndarray
        Residual sum of squares, number of observations, parameters including σ.

    Returns
    -------
    float or numpy.ndarray
        −2 log L + 2k + 2k(k + 1)/(n − k − 1), NaN when SSE is not positive or n ≤ k + 1.
    """
    sse, n_obs, k = (np.asarray(v, float) for v in (sse, n_obs, k))
    with np.errstate(all="ignore"):
        loglik = -0.5 * n_obs * (np.log(2 * np.pi * sse / n_obs) + 1)
        value = -2 * loglik + 2 * k + 2 * k * (k + 1) / (n_obs - k - 1)
    out = np.where((sse > 0) & np.isfinite(sse) & (n_obs - k - 1 > 0), value, np.nan)
    return out if out.ndim else float(out)
