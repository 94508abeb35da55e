"""Comparing dropout settings and levels with each other.

Three questions, one table shape: two levels (:func:`compare_levels`), two settings at the same
levels (:func:`compare_settings`, e.g. shared vs independent dropout draws), every level against
the empirically best one (:func:`compare_to_best`).  Each comparison is a t test on the
difference (paired on seed when the design is paired and the seeds match, else Welch) plus TOST at
±δ, Holm over the family, and the four outcomes ``better`` / ``equivalent`` / ``worse`` /
``inconclusive`` (with the ``negligible`` flag) of the first group relative to the second.
:func:`summarize_settings` condenses each setting's dose-response: the area under the level-mean
curve and the best level with a cluster-bootstrap interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.compare import resolve_paired
from analysis.contrast import SETTING_LABELS, contrast, decide, holm, pair_by_seed
from analysis.tidy import higher_is_better as _direction
from analysis.tidy import select
from colearn.errors import ConfigError, DataError

__all__ = [
    "compare_levels",
    "compare_settings",
    "compare_to_best",
    "compare_by_name",
    "summarize_settings",
]

COLUMNS = [
    "setting_a", "level_a", "setting_b", "level_b", "n_a", "n_b", "mean_a", "mean_b", "diff",
    "ci_low", "ci_high", "p_diff", "p_diff_adj", "p_equiv", "p_equiv_adj", "label", "negligible",
    "hedges_g", "d_z", "test", "paired", "metric", "condition", "alpha", "margin", "correction",
    "higher_is_better",
]  # fmt: skip


def _group(rows: pd.DataFrame, setting: str, level: float) -> pd.DataFrame:
    g = rows[(rows["arm"] == "multimodal") & (rows["setting"] == setting)]
    g = g[np.isclose(g["level"], level)]
    if g.empty:
        have = sorted(rows.loc[rows["setting"] == setting, "level"].dropna().unique())
        raise ConfigError(
            f"setting {setting!r} has no level {level:g}; its levels are "
            f"{', '.join(f'{v:g}' for v in have) or 'none'}."
        )
    return g


def _family(rows, pairs, *, paired, alpha, margin, higher, metric, condition) -> pd.DataFrame:
    messages: list[str] = []
    use_paired = resolve_paired(rows, paired, messages)
    out = []
    for (sa, la), (sb, lb) in pairs:
        ga, gb = _group(rows, sa, la), _group(rows, sb, lb)
        pair_this = use_paired
        if use_paired:
            x, y, dropped = pair_by_seed(ga, gb, f"{sa} {la:g} vs {sb} {lb:g}")
            if dropped:
                messages.append(f"{sa} {la:g} vs {sb} {lb:g}: unmatched seed(s) {dropped} dropped.")
            if len(x) < 2:
                pair_this = False
                messages.append(f"{sa} {la:g} vs {sb} {lb:g}: seeds do not match; Welch used.")
        if not pair_this:
            x, y = ga["value"].to_numpy(float), gb["value"].to_numpy(float)
        r = contrast(x, y, paired=pair_this, alpha=alpha, margin=margin)
        out.append({
            "setting_a": sa, "level_a": float(la), "setting_b": sb, "level_b": float(lb),
            "n_a": r["n"], "n_b": r["n_baseline"], "mean_a": r["mean"], "mean_b": r["baseline_mean"],
            **{k: r[k] for k in ("diff", "ci_low", "ci_high", "p_diff", "p_equiv", "hedges_g", "d_z",
                                 "test")},
            "paired": pair_this,
        })  # fmt: skip
    if not out:
        raise DataError("there is nothing to compare: the family of comparisons is empty.")
    p_adj, e_adj = holm([r["p_diff"] for r in out]), holm([r["p_equiv"] for r in out])
    for r, pa, ea in zip(out, p_adj, e_adj, strict=True):
        outcome, negligible = decide(pa, ea, r["diff"], alpha, higher)
        r.update(p_diff_adj=float(pa), p_equiv_adj=float(ea), label=SETTING_LABELS[outcome],
                 negligible=negligible, metric=metric, condition=condition, alpha=alpha,
                 margin=margin, correction="holm", higher_is_better=higher)  # fmt: skip
    result = pd.DataFrame(out)[COLUMNS]
    result.attrs["warnings"] = messages
    return result


def _prepare(table, metric, condition, higher_is_better):
    rows = select(table, metric, condition, None)
    higher = _direction(metric) if higher_is_better is None else bool(higher_is_better)
    return rows, higher


def compare_levels(
    table: pd.DataFrame,
    level_a: float,
    level_b: float,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str = "default",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Compare two dropout levels of one setting (``level_a`` relative to ``level_b``).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    level_a, level_b : float
        The two levels.
    metric, condition, setting, alpha, margin, paired, higher_is_better
        As in :func:`analysis.compare.compare_to_baseline`.

    Returns
    -------
    pandas.DataFrame
        One row with columns ``setting_a``, ``level_a``, ``setting_b``, ``level_b``, ``n_a``,
        ``n_b``, ``mean_a``, ``mean_b``, ``diff`` (mean_a − mean_b), ``ci_low``, ``ci_high``
        ((1 − α) t CI), ``p_diff``, ``p_diff_adj``, ``p_equiv`` (TOST ±margin), ``p_equiv_adj``
        (Holm within the family; here a family of one), ``label`` (``better``, ``worse``,
        ``equivalent``, ``inconclusive``: a relative to b), ``negligible``, ``hedges_g``,
        ``d_z``, ``test``, ``paired``, ``metric``, ``condition``, ``alpha``, ``margin``,
        ``correction``, ``higher_is_better``.
    """
    rows, higher = _prepare(table, metric, condition, higher_is_better)
    return _family(rows, [((setting, level_a), (setting, level_b))], paired=paired, alpha=alpha,
                   margin=margin, higher=higher, metric=metric, condition=condition)  # fmt: skip


def compare_settings(
    table: pd.DataFrame,
    setting_a: str,
    setting_b: str,
    metric: str = "accuracy",
    condition: str = "primary",
    levels=None,
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Compare two settings level by level (``setting_a`` relative to ``setting_b``).

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    setting_a, setting_b : str
        The two settings.
    levels : sequence of float, optional
        Levels to compare; default every level both settings have.
    metric, condition, alpha, margin, paired, higher_is_better
        As in :func:`analysis.compare.compare_to_baseline`.

    Returns
    -------
    pandas.DataFrame
        One row per level, columns as in :func:`compare_levels`; Holm over the levels.
    """
    rows, higher = _prepare(table, metric, condition, higher_is_better)
    multi = rows[rows["arm"] == "multimodal"]
    for s in (setting_a, setting_b):
        if s not in set(multi["setting"]):
            raise ConfigError(
                f"the table has no setting {s!r}; it has "
                f"{', '.join(map(repr, sorted(multi['setting'].unique())))}."
            )
    if levels is None:
        la = set(multi.loc[multi["setting"] == setting_a, "level"])
        levels = sorted(la & set(multi.loc[multi["setting"] == setting_b, "level"]))
    pairs = [((setting_a, lv), (setting_b, lv)) for lv in levels]
    return _family(rows, pairs, paired=paired, alpha=alpha, margin=margin, higher=higher,
                   metric=metric, condition=condition)  # fmt: skip


def compare_to_best(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    setting: str = "default",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Compare every level of a setting with its empirically best level.

    Returns
    -------
    pandas.DataFrame
        One row per other level (``level_a``) against the best (``level_b``), columns as in
        :func:`compare_levels`; Holm over the family.  ``label`` ``worse`` means the level is
        shown worse than the best; ``equivalent`` within ±margin of it.
    """
    rows, higher = _prepare(table, metric, condition, higher_is_better)
    multi = rows[(rows["arm"] == "multimodal") & (rows["setting"] == setting)]
    if multi.empty:
        raise ConfigError(f"the table has no multimodal rows for setting {setting!r}.")
    means = multi.groupby("level")["value"].mean()
    best = float(means.idxmax() if higher else means.idxmin())
    pairs = [((setting, lv), (setting, best)) for lv in means.index if lv != best]
    return _family(rows, pairs, paired=paired, alpha=alpha, margin=margin, higher=higher,
                   metric=metric, condition=condition)  # fmt: skip


def summarize_settings(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    n_boot: int = 2000,
    seed: int = 0,
    alpha: float = 0.05,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Per-setting summary of the dose-response: area under the curve and the best level.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition : str
        What to summarise.
    n_boot, seed : int
        Cluster-bootstrap replicates over seeds and the seed of their ``numpy.random.Generator``.
    alpha : float
        Intervals are percentile (1 − α).
    higher_is_better : bool, optional
        Direction; default from the metric name.

    Returns
    -------
    pandas.DataFrame
        One row per setting: ``setting``, ``n_levels``, ``n_seeds``, ``auc`` (trapezoid area
        under the level-mean curve divided by the level range: the mean metric over the swept
        range), ``auc_ci_low``, ``auc_ci_high``, ``best_level`` (best level mean), ``best_mean``,
        ``best_low``, ``best_high`` (percentile interval of the best level over replicates),
        ``p_best`` (share of replicates in which ``best_level`` is best), ``n_boot``, ``seed``,
        ``alpha``, ``metric``, ``condition``.
    """
    rows, higher = _prepare(table, metric, condition, higher_is_better)
    sign = 1.0 if higher else -1.0
    rng = np.random.default_rng(seed)
    out = []
    multi = rows[rows["arm"] == "multimodal"]
    for name, sub in multi.groupby("setting", sort=True):
        wide = sub.pivot_table(index="seed", columns="level", values="value", aggfunc="mean")
        levels = wide.columns.to_numpy(float)
        span = levels.max() - levels.min() if len(levels) > 1 else 1.0

        def auc(means: np.ndarray, levels=levels, span=span) -> float:
            return float(np.trapezoid(means, levels) / span) if len(levels) > 1 else float(means[0])

        values = wide.to_numpy(float)
        obs = np.nanmean(values, axis=0)
        aucs, bests = np.empty(n_boot), np.empty(n_boot)
        for b in range(n_boot):
            m = np.nanmean(values[rng.integers(0, len(values), len(values))], axis=0)
            aucs[b] = auc(np.where(np.isnan(m), obs, m))
            bests[b] = levels[np.nanargmax(sign * m)]
        q = [50 * alpha, 100 - 50 * alpha]
        i_best = int(np.nanargmax(sign * obs))
        out.append({
            "setting": name, "n_levels": len(levels), "n_seeds": len(values), "auc": auc(obs),
            "auc_ci_low": float(np.percentile(aucs, q[0])),
            "auc_ci_high": float(np.percentile(aucs, q[1])),
            "best_level": float(levels[i_best]), "best_mean": float(obs[i_best]),
            "best_low": float(np.percentile(bests, q[0])),
            "best_high": float(np.percentile(bests, q[1])),
            "p_best": float(np.mean(bests == levels[i_best])), "n_boot": n_boot, "seed": seed,
            "alpha": alpha, "metric": metric, "condition": condition,
        })  # fmt: skip
    return pd.DataFrame(out)


def _as_level(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def compare_by_name(
    table: pd.DataFrame,
    a: str,
    b: str = "best",
    *,
    setting: str = "default",
    **kwargs,
) -> pd.DataFrame:
    """Dispatch a comparison named on the command line.

    ``a`` and ``b`` both levels → :func:`compare_levels` (in ``setting``); both setting names →
    :func:`compare_settings`; ``b == "best"`` → :func:`compare_to_best` of ``a``'s setting (``a``
    may be ``all`` or a setting name; a level ``a`` keeps only that row).

    Returns
    -------
    pandas.DataFrame
        Columns as in :func:`compare_levels`.

    Raises
    ------
    ConfigError
        When one of ``a``/``b`` is a level and the other a setting name.
    """
    la, lb = _as_level(a), _as_level(b)
    if b == "best":
        name = setting if la is not None or a in ("all", "") else a
        res = compare_to_best(table, setting=name, **kwargs)
        if la is not None:
            levels = sorted({*res["level_a"], *res["level_b"]})
            if not np.isclose(levels, la).any():
                raise ConfigError(
                    f"setting {name!r} has no level {la:g}; its levels are "
                    f"{', '.join(f'{v:g}' for v in levels)}."
                )
            if np.isclose(res["level_b"], la).all():
                raise ConfigError(
                    f"level {la:g} is the best level of setting {name!r}; compare it with another "
                    "level with --b LEVEL."
                )
            res = res[np.isclose(res["level_a"], la)].reset_index(drop=True)
        return res
    if la is not None and lb is not None:
        return compare_levels(table, la, lb, setting=setting, **kwargs)
    if la is None and lb is None:
        return compare_settings(table, a, b, **kwargs)
    raise ConfigError(
        f"--a {a!r} and --b {b!r} mix a level and a setting name; give two levels, two settings, "
        "or --b best."
    )
