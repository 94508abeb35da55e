"""The report's figures: dose-response, per-level forest plot, confusion matrices.

Plot functions follow ``plot_*(data, *, ax=None, **kw) -> Axes``: they draw on ``ax`` (a new
figure when None) and never show anything; :func:`save_figures` writes PNG and PDF files and
the Figure 5 tables of :mod:`analysis.report.tables`.
matplotlib runs with the Agg backend, so no display is needed.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402
from scipy import stats  # noqa: E402

from analysis.report.tables import figure5_table, to_latex, to_markdown  # noqa: E402
from analysis.study_analysis import StudyAnalysis  # noqa: E402
from analysis.tidy import analysable, baseline_rows  # noqa: E402
from colearn.errors import ConfigError  # noqa: E402
from colearn.files import atomic_path, write_text_atomic  # noqa: E402

__all__ = [
    "LABEL_COLORS",
    "metric_axis_label",
    "plot_dose_response",
    "plot_forest",
    "plot_confusion",
    "plot_sequential",
    "save_figures",
]

#: Colour of each co-learning label (forest plot, verdict table).
LABEL_COLORS = {
    "PCL": "#1a7f37",
    "NCL": "#c62828",
    "NeCL": "#1f5fbf",
    "inconclusive": "#6e6e6e",
}

_UNITS = {
    "accuracy": "fraction",
    "f1": "fraction",
    "acc": "fraction",
    "loss": "cross-entropy",
    "mae": "sentiment units",
    "corr": "Pearson r",
}


def metric_axis_label(metric: str, condition: str = "primary") -> str:
    """Axis label with units, e.g. ``accuracy on primary-only test (fraction)``.

    Examples
    --------
    >>> metric_axis_label("accuracy")
    'accuracy on primary-only test (fraction)'
    """
    unit = next((u for k, u in _UNITS.items() if metric.lower().startswith(k)), "metric units")
    where = "primary-only test" if condition == "primary" else f"{condition} test"
    return f"{metric} on {where} ({unit})"


def _new_ax(ax: Axes | None, size=(7.5, 4.8)) -> Axes:
    if ax is not None:
        return ax
    _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def _t_ci(v: np.ndarray, alpha: float) -> tuple[float, float]:
    if len(v) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(1 - alpha / 2, len(v) - 1) * np.std(v, ddof=1) / np.sqrt(len(v))
    return float(v.mean() - half), float(v.mean() + half)


def plot_dose_response(
    table: pd.DataFrame,
    fit: pd.DataFrame | None = None,
    *,
    optimum: pd.DataFrame | None = None,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str | None = None,
    alpha: float = 0.05,
    ax: Axes | None = None,
    title: str | None = None,
    seed: int = 0,
) -> Axes:
    """Metric vs dropout level: per-seed points, level means with CIs, fit, baseline, optimum.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    fit : pandas.DataFrame, optional
        :func:`analysis.doseresponse.dose_response_band` output (the fitted curve and its
        cluster-bootstrap band are drawn for the chosen setting).
    optimum : pandas.DataFrame, optional
        :func:`analysis.doseresponse.optimal_level` output (its optimal-level interval is shaded).
    metric, condition : str
        What to plot.
    setting : str, optional
        Setting to plot; default the first setting with multimodal rows.
    alpha : float
        Level means carry (1 − α) t CIs; the baseline band is its (1 − α) t CI.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title.
    seed : int
        Seed of the horizontal jitter of the per-seed points.

    Returns
    -------
    matplotlib.axes.Axes
    """
    rows, _ = analysable(table, metric, condition)
    multi = rows[rows["arm"] == "multimodal"]
    setting = setting or sorted(multi["setting"].unique())[0]
    multi = multi[multi["setting"] == setting]
    ax = _new_ax(ax)
    rng = np.random.default_rng(seed)
    span = float(multi["level"].max() - multi["level"].min()) or 1.0
    jitter = rng.uniform(-0.008, 0.008, len(multi)) * span
    ax.scatter(
        multi["level"] + jitter,
        multi["value"],
        s=14,
        color="#9aa5b1",
        alpha=0.8,
        label="one seed",
        zorder=2,
    )
    levels, means, lows, highs = [], [], [], []
    for level, g in multi.groupby("level"):
        v = g["value"].to_numpy(float)
        lo, hi = _t_ci(v, alpha)
        levels.append(level), means.append(v.mean()), lows.append(lo), highs.append(hi)
    means, lows, highs = map(np.asarray, (means, lows, highs))
    ax.errorbar(
        levels,
        means,
        yerr=[means - lows, highs - means],
        fmt="o",
        color="#1d3557",
        capsize=4,
        lw=1.6,
        ms=6,
        label=f"level mean, {100 * (1 - alpha):.0f} % t CI",
        zorder=4,
    )
    base = baseline_rows(rows, setting)["value"].to_numpy(float)
    if len(base):
        m = base.mean()
        ax.axhline(
            m, color="#e07a00", lw=1.6, ls="--", label=f"unimodal baseline mean (n={len(base)})"
        )
        lo, hi = _t_ci(base, alpha)
        if np.isfinite(lo):
            ax.axhspan(
                lo,
                hi,
                color="#e07a00",
                alpha=0.15,
                lw=0,
                label=f"baseline {100 * (1 - alpha):.0f} % t CI",
            )
    if fit is not None and len(fit):
        cur = fit[(fit["setting"] == setting) & (fit["arm"] == "multimodal")]
        if len(cur):
            model = str(cur["model"].iloc[0])
            ax.plot(
                cur["level"], cur["fit"], color="#2a9d8f", lw=2, label=f"fitted curve ({model})"
            )
            ax.fill_between(
                cur["level"],
                cur["ci_low"],
                cur["ci_high"],
                color="#2a9d8f",
                alpha=0.2,
                lw=0,
                label=f"{100 * (1 - alpha):.0f} % seed-bootstrap band",
            )
    if optimum is not None and len(optimum):
        o = optimum[optimum["setting"] == setting]
        if len(o) and np.isfinite(o["opt_low"].iloc[0]):
            lo, hi, opt = (float(o[c].iloc[0]) for c in ("opt_low", "opt_high", "opt_level"))
            ax.axvspan(
                lo,
                hi,
                color="#8e44ad",
                alpha=0.10,
                lw=0,
                label=f"optimal level interval [{lo:.2f}, {hi:.2f}]",
            )
            ax.axvline(opt, color="#8e44ad", lw=1.2, ls=":", label=f"optimal level {opt:.2f}")
    ax.set_xlabel("modality dropout probability p (supporting modalities)")
    ax.set_ylabel(metric_axis_label(metric, condition))
    ax.set_title(title or f"{metric} vs modality dropout ({setting})")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best", framealpha=0.9)
    return ax


def plot_forest(
    comparison: pd.DataFrame,
    *,
    ax: Axes | None = None,
    margin: float | None = None,
    setting: str | None = None,
    title: str | None = None,
) -> Axes:
    """Per-level difference from the baseline with its CI, the ±δ region shaded, labels written.

    Parameters
    ----------
    comparison : pandas.DataFrame
        :func:`analysis.compare.compare_to_baseline` output.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    margin : float, optional
        Equivalence margin δ; default the comparison's ``margin`` column.
    setting : str, optional
        Setting to draw; default the first one.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if comparison is None or comparison.empty:
        raise ConfigError("the comparison is empty; nothing to draw in a forest plot.")
    setting = setting or sorted(comparison["setting"].unique())[0]
    comp = comparison[comparison["setting"] == setting].sort_values("level")
    margin = float(comp["margin"].iloc[0]) if margin is None else float(margin)
    alpha = float(comp["alpha"].iloc[0])
    metric = str(comp["metric"].iloc[0])
    ax = _new_ax(ax, size=(7.5, 0.55 * len(comp) + 1.8))
    y = np.arange(len(comp))[::-1]
    ax.axvspan(
        -margin,
        margin,
        color="#1f5fbf",
        alpha=0.12,
        lw=0,
        label=f"equivalence region ±δ = ±{margin:g}",
    )
    ax.axvline(0, color="black", lw=0.8)
    for yi, r in zip(y, comp.itertuples(index=False), strict=True):
        color = LABEL_COLORS.get(r.label, "black")
        ax.errorbar(
            r.diff,
            yi,
            xerr=[[r.diff - r.ci_low], [r.ci_high - r.diff]],
            fmt="o",
            color=color,
            capsize=4,
            ms=6,
            lw=1.6,
        )
        text = r.label + (" (negligible)" if r.negligible else "")
        text += (
            f"  TOST Holm p={r.p_equiv_adj:.2g}"
            if r.label == "NeCL"
            else f"  Holm p={r.p_diff_adj:.2g}"
        )
        ax.text(
            1.02,
            yi,
            text,
            color=color,
            va="center",
            fontsize=8.5,
            transform=blended_transform_factory(ax.transAxes, ax.transData),
        )
    ax.set_yticks(y, [f"p = {lv:g}" for lv in comp["level"]])
    ax.set_ylim(-0.7, len(comp) - 0.3)
    ax.set_xlabel(
        f"difference in {metric}: level − unimodal baseline ({100 * (1 - alpha):.0f} % t CI)"
    )
    ax.set_ylabel("modality dropout probability")
    ax.set_title(title or f"Each level vs the baseline ({setting}, {comp['test'].iloc[0]}, Holm)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def plot_confusion(
    matrix,
    labels,
    *,
    ax: Axes | None = None,
    title: str | None = None,
    normalize: bool = True,
) -> Axes:
    """A confusion matrix: rows are true labels, colour = share of the true class, counts written.

    Parameters
    ----------
    matrix : array-like, shape (K, K)
        Counts; rows true labels, columns predictions.
    labels : sequence of str
        The K class names in the matrix's order.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    title : str, optional
        Axes title (the accuracy is appended).
    normalize : bool
        Colour by row share (True) or by count.

    Returns
    -------
    matplotlib.axes.Axes
    """
    cm = np.asarray(matrix, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or cm.shape[0] != len(labels):
        raise ConfigError(
            f"the confusion matrix has shape {cm.shape} but {len(labels)} labels were given; it "
            "must be K × K with K labels."
        )
    ax = _new_ax(ax, size=(5.2, 4.6))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = cm / cm.sum(axis=1, keepdims=True)
    shown = np.nan_to_num(share) if normalize else cm
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            dark = shown[i, j] > (0.55 if normalize else 0.55 * shown.max())
            ax.text(
                j,
                i,
                f"{int(cm[i, j])}",
                ha="center",
                va="center",
                fontsize=8,
                color="white" if dark else "black",
            )
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    acc = np.trace(cm) / cm.sum() if cm.sum() else float("nan")
    ax.set_title(
        f"{title + ', ' if title else ''}accuracy {acc:.3f} (n={int(cm.sum())})", fontsize=10
    )
    ax.figure.colorbar(
        im, ax=ax, shrink=0.8, label="share of the true class" if normalize else "count"
    )
    return ax


def plot_sequential(
    decisions: pd.DataFrame,
    *,
    test: str = "difference",
    ax: Axes | None = None,
    setting: str | None = None,
    title: str | None = None,
) -> Axes:
    """Each level's test statistic across the looks of a sequential design, with the boundaries.

    Parameters
    ----------
    decisions : pandas.DataFrame
        :func:`analysis.sequential.sequential_decisions` output.
    test : {"difference", "equivalence"}
        The signed z of the two-sided difference test against ``±bound_diff``, or the z of the
        TOST p-value against ``bound_equiv``.  A ring (in the colour of the label) marks the look
        at which a level crossed this test's boundary; a decided level has no later point.
    ax : matplotlib.axes.Axes, optional
        Axes to draw on.
    setting : str, optional
        Setting to draw; default the first one.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if decisions is None or decisions.empty:
        raise ConfigError("no look of the sequential design is complete yet; nothing to draw.")
    if test not in ("difference", "equivalence"):
        raise ConfigError(f"test '{test}' is not known; choose difference or equivalence.")
    setting = setting or sorted(decisions["setting"].unique())[0]
    rows = decisions[decisions["setting"] == setting].sort_values(["level", "look"])
    z, bound, crossed = (
        ("z_diff", "bound_diff", "different")
        if test == "difference"
        else ("z_equiv", "bound_equiv", "equivalent")
    )
    ax = _new_ax(ax, size=(7.0, 4.6))
    looks = rows.drop_duplicates("look").sort_values("look")
    ax.plot(looks["seeds"], looks[bound], "k--", marker="_", ms=12, lw=1.2,
            label="boundary (Holm's local α at the look)")  # fmt: skip
    if test == "difference":
        ax.plot(looks["seeds"], -looks[bound], "k--", marker="_", ms=12, lw=1.2)
    ax.axhline(0, color="grey", lw=0.6)
    cmap = plt.get_cmap("viridis")
    levels = sorted(rows["level"].unique())
    for i, level in enumerate(levels):
        r = rows[rows["level"] == level]
        color = cmap(i / max(len(levels) - 1, 1))
        ax.plot(r["seeds"], r[z].clip(-40, 40), "-o", color=color, ms=4, lw=1.2,
                label=f"p = {level:g}")  # fmt: skip
        for x in r[r[crossed]].itertuples(index=False):  # decided by this test
            ax.plot(x.seeds, np.clip(getattr(x, z), -40, 40), "o", ms=11, mfc="none", mew=2,
                    color=LABEL_COLORS.get(x.label, "black"))  # fmt: skip
    # symmetric log scale: the early boundaries and clear effects reach |z| of 5 to 40
    ax.set_yscale("symlog", linthresh=3)
    ticks = [-40, -20, -10, -5, -3, -2, -1, 0, 1, 2, 3, 5, 10, 20, 40]
    lo, hi = ax.get_ylim()
    ticks = [t for t in ticks if lo <= t <= hi]
    ax.set_yticks(ticks, [str(t) for t in ticks])
    ax.set_xscale("log", base=2)
    ax.set_xticks(looks["seeds"], [str(n) for n in looks["seeds"]])
    ax.minorticks_off()
    ax.set_xlabel("seeds per arm at the look")
    ax.set_ylabel(
        "signed z of the t-test p-value" if test == "difference" else "z of the TOST p-value"
    )
    ax.set_title(title or f"Sequential {test} test ({setting}); rings: boundary crossed")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7.5, loc="best", framealpha=0.9, ncol=2)
    return ax


def _save(fig, out_dir: Path, stem: str, formats, dpi: int) -> list[Path]:
    paths = []
    for fmt in formats:
        path = out_dir / f"{stem}.{fmt}"
        # No creation date in the metadata: the same results give byte-identical files.
        meta = {"CreationDate": None} if fmt == "pdf" else {}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=meta)
        paths.append(path)
    plt.close(fig)
    return paths


def save_figures(
    analysis: StudyAnalysis,
    table: pd.DataFrame,
    out_dir: str | Path,
    *,
    confusion: dict | None = None,
    confusion_note: str = "",
    formats: tuple[str, ...] = ("png", "pdf"),
    dpi: int = 150,
) -> list[Path]:
    """Write every figure of a study (PNG and PDF) and the Figure 5 tables (Markdown, LaTeX).

    Parameters
    ----------
    analysis : StudyAnalysis
        The study's analysis: its metric, condition, α, δ, comparison, band and optimum are
        what the figures show (the curve and the optimum are left out when it has none).
    table : pandas.DataFrame
        The tidy table it was computed from (per-seed points, Figure 5 tables).
    out_dir : str or pathlib.Path
        Output folder (created).
    confusion : dict, optional
        ``{title: (matrix, labels)}``, e.g. ``{"p = 0": (cm0, labels), "p = 0.8": (cm8,
        labels)}``; drawn side by side as ``confusion``.
    confusion_note : str
        A caveat written on the confusion figure itself, under the matrices.
    formats : tuple of str
        Image formats.
    dpi : int
        Resolution of raster formats.

    Returns
    -------
    list of pathlib.Path
        The files written: ``dose_response[_<setting>].<fmt>``, ``forest.<fmt>``,
        ``dose_overlay.<fmt>`` and ``settings_forest.<fmt>`` (two or more settings),
        ``confusion.<fmt>`` (when given), ``figure5[_<setting>].md`` and ``.tex``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    comparison = analysis.comparison
    settings = analysis.setting_names
    paths: list[Path] = []
    for name in settings:
        suffix = "" if len(settings) == 1 else f"_{name}"
        ax = plot_dose_response(
            table, analysis.band, optimum=analysis.optimum, metric=analysis.metric,
            condition=analysis.condition, setting=name, alpha=analysis.alpha,
        )  # fmt: skip
        paths += _save(ax.figure, out, f"dose_response{suffix}", formats, dpi)
        f5 = figure5_table(table, condition=analysis.condition, setting=name)
        caption = f"Per-level results ({name}): mean $\\pm$ SD over seeds."
        paths.append(write_text_atomic(out / f"figure5{suffix}.md", to_markdown(f5)))
        paths.append(write_text_atomic(out / f"figure5{suffix}.tex", to_latex(f5, caption=caption)))
    n = len(settings)
    fig, axes = plt.subplots(
        1, n, figsize=(8.5 * n, 0.55 * comparison["level"].nunique() + 2), layout="constrained",
        squeeze=False,
    )  # fmt: skip
    for ax, name in zip(axes[0], settings, strict=True):
        plot_forest(comparison, ax=ax, setting=name)
    paths += _save(fig, out, "forest", formats, dpi)
    if n > 1:
        # Imported here: the settings figures reuse this module's helpers.
        from analysis.report.settings_figures import plot_dose_overlay, plot_settings_forest

        ax = plot_dose_overlay(table, settings, metric=analysis.metric,
                               condition=analysis.condition, alpha=analysis.alpha)  # fmt: skip
        paths += _save(ax.figure, out, "dose_overlay", formats, dpi)
        ax = plot_settings_forest(analysis.settings_compared, settings=settings)
        paths += _save(ax.figure, out, "settings_forest", formats, dpi)
    if confusion:
        fig, axes = plt.subplots(
            1, len(confusion), figsize=(5.6 * len(confusion), 4.9), layout="constrained",
            squeeze=False,
        )  # fmt: skip
        for ax, (title, (cm, labels)) in zip(axes[0], confusion.items(), strict=True):
            plot_confusion(cm, labels, ax=ax, title=title)
        if confusion_note:
            # On the image, not only in a caption: the figure travels without the report.
            fig.supxlabel(confusion_note, fontsize=9, color="#7d4e00", wrap=True)
        paths += _save(fig, out, "confusion", formats, dpi)
    return paths
