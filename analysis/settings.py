"""Comparing dropout settings and levels with each other.

Three questions, one table shape: two levels (:func:`compare_levels`), two settings at the same
levels (:func:`compare_settings`, e.g. shared vs independent dropout draws), every level against
the empirically best one (:func:`compare_to_best`).  Each comparison is a t test on the
difference (paired on seed when the design is paired, else Welch) plus TOST at
±δ, Holm over the family, and the four outcomes ``better`` / ``equivalent`` / ``worse`` /
``inconclusive`` (with the ``negligible`` flag) of the first group relative to the second.
:func:`summarize_settings` condenses each setting's dose-response: the area under the level-mean
curve and the best level with a cluster-bootstrap interval.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.columns import PAIRWISE
from analysis.compare import check_alpha_margin
from analysis.contrast import SETTING_LABELS, Comparison, contrast_family, few_seeds_warning
from analysis.tidy import analysable, design_paired, level_rows, reference_setting, settings_of
from analysis.tidy import higher_is_better as _direction
from colearn.errors import ConfigError

__all__ = [
    "compare_levels",
    "compare_settings",
    "compare_to_reference",
    "compare_setting_pairs",
    "compare_to_best",
    "compare_by_name",
    "summarize_settings",
]


def _family(rows, messages, pairs, *, paired, alpha, margin, higher, metric, condition):
    """Compare each ((setting_a, level_a), (setting_b, level_b)) pair: one Holm family."""
    check_alpha_margin(alpha, margin)
    family = [
        Comparison(
            {"setting_a": sa, "level_a": float(la), "setting_b": sb, "level_b": float(lb)},
            level_rows(rows, sa, la), level_rows(rows, sb, lb), f"{sa} {la:g} vs {sb} {lb:g}",
        )
        for (sa, la), (sb, lb) in pairs
    ]  # fmt: skip
    result = contrast_family(
        family, paired=design_paired(rows, paired, messages), alpha=alpha, margin=margin,
        higher_is_better=higher, labels=SETTING_LABELS,
    )  # fmt: skip
    messages.extend(result.attrs["warnings"])
    if few := few_seeds_warning(result):
        messages.append(few)
    result = result.assign(metric=metric, condition=condition)[list(PAIRWISE)]
    result.attrs["warnings"] = list(dict.fromkeys(messages))
    for text in result.attrs["warnings"]:
        warnings.warn(text, UserWarning, stacklevel=3)
    return result


def _level_pairs(rows, setting_pairs) -> list:
    """((a, level), (b, level)) for each setting pair (a, b) at every level both have."""
    names = {name for pair in setting_pairs for name in pair}
    levels = {name: set(level_rows(rows, name)["level"]) for name in names}
    return [((a, lv), (b, lv)) for a, b in setting_pairs for lv in sorted(levels[a] & levels[b])]


def _prepare(table, metric, condition, higher_is_better):
    rows, messages = analysable(table, metric, condition)
    higher = _direction(metric) if higher_is_better is None else bool(higher_is_better)
    return rows, messages, higher


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
        One row with columns :data:`analysis.columns.PAIRWISE`: ``setting_a``, ``level_a``,
        ``setting_b``, ``level_b``, then the contrast columns with group ``a`` as the first group
        and ``b`` in the ``baseline_*`` columns (``n``, ``n_baseline``, ``mean``,
        ``baseline_mean``, ``diff`` = mean_a − mean_b, ``ci_low``, ``ci_high``, ``p_diff``,
        ``p_diff_adj``, ``p_equiv`` (TOST ±margin), ``p_equiv_adj`` (Holm within the family;
        here a family of one), ``label`` (``better``, ``worse``, ``equivalent``,
        ``inconclusive``: a relative to b), ``negligible``, effect sizes), ``test``, ``note``
        and the settings echoed.
    """
    rows, messages, higher = _prepare(table, metric, condition, higher_is_better)
    return _family(rows, messages, [((setting, level_a), (setting, level_b))], paired=paired,
                   alpha=alpha, margin=margin, higher=higher, metric=metric,
                   condition=condition)  # fmt: skip


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
    rows, messages, higher = _prepare(table, metric, condition, higher_is_better)
    for name in (setting_a, setting_b):
        settings_of(rows, name)
    pairs = (
        _level_pairs(rows, [(setting_a, setting_b)])
        if levels is None
        else [((setting_a, lv), (setting_b, lv)) for lv in levels]
    )
    return _family(rows, messages, pairs, paired=paired, alpha=alpha, margin=margin,
                   higher=higher, metric=metric, condition=condition)  # fmt: skip


def compare_to_reference(
    table: pd.DataFrame,
    reference: str | None = None,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Compare every other setting with the reference setting, level by level, as one family.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table with two or more settings.
    reference : str, optional
        The setting the others are compared with; default as in
        :func:`analysis.tidy.reference_setting` (``default`` when present).
    metric, condition, alpha, margin, paired, higher_is_better
        As in :func:`analysis.compare.compare_to_baseline`.

    Returns
    -------
    pandas.DataFrame
        One row per (other setting, level both settings have), columns as in
        :func:`compare_levels` with the reference in the ``*_b`` / ``baseline_*`` columns;
        Holm over every comparison in the table (all settings and levels together), so the
        family-wise error over the whole table is at most α.  Empty (same columns) when the
        table has one setting.

    Examples
    --------
    >>> from analysis.simulate import null_table
    >>> t = null_table(n_seeds=6, levels=(0.0, 0.5), sd=0.01, seed=2)
    >>> t2 = pd.concat([t, t[t["arm"] == "multimodal"].assign(setting="other")])
    >>> compare_to_reference(t2)[["setting_a", "level_a", "setting_b", "label"]].values.tolist()
    [['other', 0.0, 'default', 'equivalent'], ['other', 0.5, 'default', 'equivalent']]
    """
    rows, messages, higher = _prepare(table, metric, condition, higher_is_better)
    ref = reference_setting(rows, reference)
    pairs = _level_pairs(rows, [(name, ref) for name in settings_of(rows) if name != ref])
    if not pairs:
        return pd.DataFrame(columns=list(PAIRWISE))
    return _family(rows, messages, pairs, paired=paired, alpha=alpha, margin=margin,
                   higher=higher, metric=metric, condition=condition)  # fmt: skip


def compare_setting_pairs(
    table: pd.DataFrame,
    order: list[str] | None = None,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
) -> pd.DataFrame:
    """Compare every pair of settings at every level both have, as one Holm family.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table with two or more settings.
    order : list of str, optional
        Setting order; the pair (a, b) has a later than b in it (default: by name).
    metric, condition, alpha, margin, paired, higher_is_better
        As in :func:`analysis.compare.compare_to_baseline`.

    Returns
    -------
    pandas.DataFrame
        One row per (pair, level), columns as in :func:`compare_levels`; Holm over every row.
        Empty (same columns) with fewer than two settings.
    """
    rows, messages, higher = _prepare(table, metric, condition, higher_is_better)
    names = order or settings_of(rows)
    pairs = _level_pairs(rows, [(a, b) for i, b in enumerate(names) for a in names[i + 1 :]])
    if not pairs:
        return pd.DataFrame(columns=list(PAIRWISE))
    return _family(rows, messages, pairs, paired=paired, alpha=alpha, margin=margin,
                   higher=higher, metric=metric, condition=condition)  # fmt: skip


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
    rows, messages, higher = _prepare(table, metric, condition, higher_is_better)
    settings_of(rows, setting)
    means = level_rows(rows, setting).groupby("level")["value"].mean()
    best = float(means.idxmax() if higher else means.idxmin())
    pairs = [((setting, lv), (setting, best)) for lv in means.index if lv != best]
    return _family(rows, messages, pairs, paired=paired, alpha=alpha, margin=margin,
                   higher=higher, metric=metric, condition=condition)  # fmt: skip


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
    rows, _, higher = _prepare(table, metric, condition, higher_is_better)
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
    setting: str | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Dispatch a comparison named on the command line.

    ``a`` and ``b`` both levels → :func:`compare_levels` (in ``setting``; default the reference
    setting, see :func:`analysis.tidy.reference_setting`); both setting names →
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
    if setting is None:
        setting = reference_setting(table[table["arm"] == "multimodal"])
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
