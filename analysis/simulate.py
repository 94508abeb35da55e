"""Simulated tidy tables and the calibration of the labelling procedure.

:func:`null_table` draws a study in which every level equals the baseline (or is shifted by a
chosen amount); :func:`simulate_labels` runs :func:`analysis.compare.compare_to_baseline` on many
such tables and reports how often each label comes out, how often the CI covers the truth and how
often TOST passes.  The CI test uses a small run; ``scripts/calibrate.py`` the large one.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analysis.tidy import TIDY_COLUMNS
from colearn.errors import ConfigError

__all__ = ["PAPER_LEVELS", "null_table", "simulate_labels"]

PAPER_LEVELS: tuple[float, ...] = (0.0, 0.15, 0.4, 0.6, 0.8, 0.9, 0.95)


def null_table(
    n_seeds: int = 5,
    levels=PAPER_LEVELS,
    sd: float = 0.015,
    *,
    baseline: float = 0.45,
    shift=0.0,
    paired: bool = False,
    seed_sd: float = 0.0,
    metric: str = "accuracy",
    seed: int = 0,
    rng: np.random.Generator | None = None,
) -> pd.DataFrame:
    """A simulated tidy table: normal seed scores around a baseline.

    Parameters
    ----------
    n_seeds : int
        Seeds per arm.
    levels : sequence of float
        Dropout levels of the multimodal arm.
    sd : float
        Seed SD of every arm (the part not shared between arms at one seed).
    baseline : float
        True mean of the baseline.
    shift : float or sequence of float
        True difference of each level from the baseline (0 = the null).
    paired : bool
        Value of the ``paired`` column.
    seed_sd : float
        SD of a per-seed effect shared by all arms at one seed index (induces pairing).
    metric : str
        Metric name.
    seed : int
        Seed of the ``numpy.random.Generator`` (ignored when ``rng`` is given).
    rng : numpy.random.Generator, optional
        Generator to draw from.

    Returns
    -------
    pandas.DataFrame
        Tidy table (columns of :data:`analysis.tidy.TIDY_COLUMNS`), study ``simulated``,
        setting ``default``, condition ``primary``.
    """
    if n_seeds < 1:
        raise ConfigError(f"n_seeds is {n_seeds!r}; it must be at least 1.")
    rng = np.random.default_rng(seed) if rng is None else rng
    levels = [float(v) for v in levels]
    shifts = np.broadcast_to(np.asarray(shift, dtype=float), (len(levels),))
    seed_effect = rng.normal(0.0, seed_sd, n_seeds) if seed_sd > 0 else np.zeros(n_seeds)
    noise = rng.normal(0.0, sd, size=(len(levels) + 1, n_seeds))
    rows = []
    arms = [("unimodal", float("nan"), 0.0)] + [
        ("multimodal", lv, s) for lv, s in zip(levels, shifts, strict=True)
    ]
    for i, (arm, level, s) in enumerate(arms):
        for k in range(n_seeds):
            rows.append(
                (
                    "simulated",
                    "default",
                    f"sim-{arm}-{level:g}-{k}",
                    arm,
                    level,
                    k,
                    paired,
                    "primary",
                    metric,
                    baseline + s + seed_effect[k] + noise[i, k],
                    pd.NA,
                )
            )
    return pd.DataFrame(rows, columns=list(TIDY_COLUMNS))


def simulate_labels(
    n_sims: int,
    n_seeds: int,
    *,
    levels=PAPER_LEVELS,
    sd: float = 0.015,
    shift=0.0,
    paired: bool = False,
    seed_sd: float = 0.0,
    alpha: float = 0.05,
    margin: float = 0.02,
    seed: int = 0,
) -> pd.DataFrame:
    """Run :func:`analysis.compare.compare_to_baseline` on ``n_sims`` simulated tables.

    Parameters
    ----------
    n_sims : int
        Number of simulated studies.
    n_seeds, levels, sd, shift, paired, seed_sd
        As in :func:`null_table`.
    alpha, margin
        Analysis settings.
    seed : int
        Seed of the one ``numpy.random.Generator`` shared by all simulated studies.

    Returns
    -------
    pandas.DataFrame
        One row per (simulated study, level): ``sim``, ``level``, ``true_diff``, ``diff``,
        ``ci_low``, ``ci_high``, ``covered`` (CI contains the true difference), ``p_diff``,
        ``p_diff_adj``, ``p_equiv``, ``p_equiv_adj``, ``label``, ``negligible``, plus the echoed
        settings ``n_seeds``, ``sd``, ``paired``, ``alpha``, ``margin``, ``seed``.
    """
    from analysis.compare import compare_to_baseline

    rng = np.random.default_rng(seed)
    shifts = np.broadcast_to(np.asarray(shift, dtype=float), (len(levels),))
    truth = dict(zip([float(v) for v in levels], shifts, strict=True))
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for i in range(n_sims):
            table = null_table(
                n_seeds, levels, sd, shift=shift, paired=paired, seed_sd=seed_sd, rng=rng
            )
            res = compare_to_baseline(table, alpha=alpha, margin=margin, paired=paired)
            res = res[
                [
                    "level",
                    "diff",
                    "ci_low",
                    "ci_high",
                    "p_diff",
                    "p_diff_adj",
                    "p_equiv",
                    "p_equiv_adj",
                    "label",
                    "negligible",
                ]
            ].copy()
            res.insert(0, "sim", i)
            parts.append(res)
    out = pd.concat(parts, ignore_index=True)
    out.insert(2, "true_diff", out["level"].map(truth))
    out.insert(
        6, "covered", (out["ci_low"] <= out["true_diff"]) & (out["true_diff"] <= out["ci_high"])
    )
    out = out.assign(n_seeds=n_seeds, sd=sd, paired=paired, alpha=alpha, margin=margin, seed=seed)
    return out
