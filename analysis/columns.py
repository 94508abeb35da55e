"""The column vocabulary of colearn's result tables, defined once.

Every comparison table is built by :func:`analysis.contrast.contrast_family` and so shares one set
of names.  ``baseline_*`` columns describe the second group of a comparison: the unimodal baseline
when a level is compared with it, the reference setting or level otherwise.

- ``n``, ``n_baseline``: seeds used in each group (pairs when paired).
- ``mean``, ``sd``, ``baseline_mean``, ``baseline_sd``: mean and SD over seeds.
- ``diff``: ``mean − baseline_mean`` (metric units); ``ci_low``, ``ci_high``: its (1 − α) t CI.
- ``p_diff``, ``p_diff_adj``: two-sided t test and its Holm adjustment over the family.
- ``p_equiv``, ``p_equiv_adj``: TOST at ±margin and its Holm adjustment (its own family).
- ``label``: the decision; ``negligible``: different *and* equivalent (significant, inside ±δ).
- ``hedges_g``, ``d_z`` (paired only), ``p_superiority`` (P(first > second)).
- ``equiv_margin``: smallest margin at which unadjusted TOST passes; ``sd_diff``: SD of the
  per-seed differences (paired only).
- ``test``: ``paired-t`` or ``welch-t``; ``note``: why no test ran (``fewer than 2 seeds``,
  ``no variance``), else empty.
- Settings echoed: ``metric``, ``condition``, ``alpha``, ``margin``, ``correction``, ``paired``,
  ``higher_is_better``.
"""

__all__ = ["CONTRAST", "ECHO", "COMPARISON", "PAIRWISE", "ROBUSTNESS", "LEVEL_KEYS"]

CONTRAST: tuple[str, ...] = (
    "n", "n_baseline", "mean", "sd", "baseline_mean", "baseline_sd", "diff", "ci_low", "ci_high",
    "p_diff", "p_diff_adj", "p_equiv", "p_equiv_adj", "label", "negligible", "hedges_g", "d_z",
    "p_superiority", "equiv_margin", "sd_diff",
)  # fmt: skip
ECHO: tuple[str, ...] = (
    "metric", "condition", "alpha", "margin", "correction", "paired", "higher_is_better",
)  # fmt: skip
#: :func:`analysis.compare.compare_to_baseline`: one row per (setting, level).
COMPARISON: tuple[str, ...] = ("setting", "level", *CONTRAST, "seeds_needed", "test", "note", *ECHO)
#: :mod:`analysis.settings`: one row per compared pair of (setting, level) groups.
PAIRWISE: tuple[str, ...] = (
    "setting_a", "level_a", "setting_b", "level_b", *CONTRAST, "test", "note", *ECHO,
)  # fmt: skip
#: :func:`analysis.robust.robustness`: one row per (setting, level).
ROBUSTNESS: tuple[str, ...] = (
    "setting", "level", "n", "n_baseline", "p_welch", "p_paired", "p_perm", "p_perm_adj",
    "p_perm_min", "reaches_alpha", "p_rank", "p_block", "paired", "alpha", "seed", "metric",
    "condition",
)  # fmt: skip
#: Keys of each entry of ``levels`` in the ``analyze --json`` document (the scripting contract).
LEVEL_KEYS: tuple[str, ...] = (
    "setting", "level", "n", "mean", "baseline_mean", "diff", "ci_low", "ci_high", "p_diff",
    "p_diff_adj", "p_equiv", "p_equiv_adj", "label", "negligible",
)  # fmt: skip
