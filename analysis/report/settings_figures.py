"""Figures that put a study's settings side by side: one dose-response overlay and a forest plot
of each setting against the reference setting.

Both follow ``plot_*(data, *, ax=None, **kw) -> Axes`` like :mod:`analysis.report.figures` and
stay readable with two to five settings: each setting has its own colour and marker, and the
settings are offset horizontally so their intervals do not hide each other.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from analysis.report.figures import _new_ax, _t_ci, metric_axis_label  # noqa: E402
from analysis.tidy import analysable, baseline_rows  # noqa: E402
from colearn.errors import ConfigError  # noqa: E402

__all__ = ["SETTING_COLORS", "SETTING_MARKERS", "plot_dose_overlay", "plot_settings_forest"]

#: One colour per setting, in order (the reference first); colour-blind safe (Okabe–Ito).
SETTING_COLORS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000")
#: One marker per setting, so the plot also reads in greyscale.
SETTING_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
#: Setting-vs-reference labels (:data:`analysis.contrast.SETTING_LABELS`) and their colours.
_RELATIVE_COLORS = {
    "better": "#1a7f37",
    "worse": "#c62828",
    "equivalent": "#1f5fbf",
    "inconclusive": "#6e6e6e",
}


def _style(i: int) -> tuple[str, str]:
    return SETTING_COLORS[i % len(SETTING_COLORS)], SETTING_MARKERS[i % len(SETTING_MARKERS)]


def plot_dose_overlay(
    table: pd.DataFrame,
    settings: list[str],
    *,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Every setting's level means with (1 − α) t CIs on one axis, the baseline drawn once.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    settings : list of str
        Settings to draw, in legend order (the reference first).
    metric, condition : str
        What to plot.
    alpha : float
        Level means carry (1 − α) t CIs; the baseline band is its (1 − α) t CI.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not settings:
        raise ConfigError("no settings to overlay.")
    rows, _ = analysable(table, metric, condition)
    multi = rows[rows["arm"] == "multimodal"]
    ax = _new_ax(ax, size=(8.0, 5.0))
    span = float(multi["level"].max() - multi["level"].min()) or 1.0
    # The baseline is shared by settings that differ only in how dropout is drawn; when settings
    # have their own baselines the reference's is drawn (the forest plot compares settings).
    base = baseline_rows(rows, settings[0])["value"].to_numpy(float)
    if len(base):
        ax.axhline(base.mean(), color="#444444", lw=1.4, ls="--",
                   label=f"unimodal baseline mean (n={len(base)})")  # fmt: skip
        lo, hi = _t_ci(base, alpha)
        if np.isfinite(lo):
            ax.axhspan(lo, hi, color="#444444", alpha=0.10, lw=0,
                       label=f"baseline {100 * (1 - alpha):.0f} % t CI")  # fmt: skip
    offsets = (np.arange(len(settings)) - (len(settings) - 1) / 2) * 0.012 * span
    for i, name in enumerate(settings):
        color, marker = _style(i)
        by_level = multi[multi["setting"] == name].groupby("level")["value"]
        levels = by_level.mean().index.to_numpy(float)
        means = by_level.mean().to_numpy(float)
        cis = np.array([_t_ci(g.to_numpy(float), alpha) for _, g in by_level])
        ax.errorbar(
            levels + offsets[i], means, yerr=[means - cis[:, 0], cis[:, 1] - means],
            fmt=f"{marker}-", color=color, capsize=3, lw=1.4, ms=6, label=name, alpha=0.9,
        )  # fmt: skip
    ax.set_xlabel("modality dropout probability p (supporting modalities)")
    ax.set_ylabel(metric_axis_label(metric, condition))
    ax.set_title(title or f"{metric} vs modality dropout, every setting")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", framealpha=0.9,
              title=f"level mean, {100 * (1 - alpha):.0f} % t CI")  # fmt: skip
    return ax


def plot_settings_forest(
    compared: pd.DataFrame,
    *,
    settings: list[str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Per level, each setting's difference from the reference with its CI and Holm label.

    Parameters
    ----------
    compared : pandas.DataFrame
        :func:`analysis.settings.compare_to_reference` output.
    settings : list of str, optional
        Settings in colour order (the reference first, as in :func:`plot_dose_overlay`); default
        the order of ``compared``.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if compared is None or compared.empty:
        raise ConfigError("the settings comparison is empty; a study needs two settings.")
    reference = str(compared["setting_b"].iloc[0])
    others = compared["setting_a"].drop_duplicates().tolist()
    order = settings or [reference, *others]
    margin, alpha = float(compared["margin"].iloc[0]), float(compared["alpha"].iloc[0])
    levels = sorted(compared["level_a"].unique())
    ax = _new_ax(ax, size=(8.0, 0.45 * len(compared) + 0.5 * len(levels) + 1.6))
    ax.axvspan(-margin, margin, color="#1f5fbf", alpha=0.12, lw=0,
               label=f"equivalence region ±δ = ±{margin:g}")  # fmt: skip
    ax.axvline(0, color="black", lw=0.8)
    y, ticks, names = 0.0, [], []
    edge = blended_transform_factory(ax.transAxes, ax.transData)
    for level in levels[::-1]:
        group = compared[np.isclose(compared["level_a"], level)]
        for r in group.iloc[::-1].itertuples(index=False):
            color, marker = _style(order.index(r.setting_a) if r.setting_a in order else 0)
            ax.errorbar(r.diff, y, xerr=[[r.diff - r.ci_low], [r.ci_high - r.diff]],
                        fmt=marker, color=color, capsize=3, ms=6, lw=1.5)  # fmt: skip
            p = r.p_equiv_adj if r.label == "equivalent" else r.p_diff_adj
            why = f"Holm p={p:.2g}" if np.isfinite(p) else (r.note or "no test")
            ax.text(1.02, y, f"{r.label}  {why}", va="center", fontsize=8.5,
                    color=_RELATIVE_COLORS.get(r.label, "black"), transform=edge)  # fmt: skip
            ticks.append(y)
            names.append(f"p = {level:g}  {r.setting_a}")
            y += 1
        y += 0.6  # a gap between levels
    ax.set_yticks(ticks, names, fontsize=8.5)
    ax.set_xlabel(
        f"difference in {compared['metric'].iloc[0]}: setting − {reference} "
        f"({100 * (1 - alpha):.0f} % t CI)"
    )
    ax.set_title(title or f"Each setting vs {reference}, per level (Holm over all {len(compared)})")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax
