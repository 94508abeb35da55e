"""One call that runs the whole per-study analysis (what ``colearn analyze`` prints).

:func:`analyze` compares every level with the baseline, adds the robustness columns, fits the
dose-response and collects the warnings a reader must see.  It returns plain Python data: a
per-level table and a JSON-ready document.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from analysis.compare import compare_to_baseline
from analysis.doseresponse import summarize_dose_response
from analysis.robust import robustness
from colearn.errors import DataError

__all__ = ["Analysis", "analyze", "LEVEL_KEYS"]

#: Keys of each entry of ``levels`` in the JSON document (the scripting contract).
LEVEL_KEYS = (
    "setting", "level", "n", "mean", "baseline_mean", "diff", "ci_low", "ci_high", "p_diff",
    "p_diff_adj", "p_equiv", "p_equiv_adj", "label", "negligible",
)  # fmt: skip


@dataclass
class Analysis:
    """Result of :func:`analyze`: the per-level table, the dose-response summary, warnings."""

    levels: pd.DataFrame
    dose_response: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        """The ``analyze --json`` document."""
        rows = self.levels[list(LEVEL_KEYS)].astype(object).to_dict(orient="records")
        for r in rows:
            r["n"] = int(r["n"])
            r["negligible"] = bool(r["negligible"])
        return {
            **self.settings,
            "levels": rows,
            "dose_response": self.dose_response,
            "robustness": self.levels[
                [
                    "setting",
                    "level",
                    "p_welch",
                    "p_paired",
                    "p_perm",
                    "p_perm_min",
                    "p_rank",
                    "p_block",
                ]
            ].to_dict(orient="records"),  # fmt: skip
            "warnings": self.warnings,
        }


def analyze(
    table: pd.DataFrame,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
    dose_response: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
) -> Analysis:
    """Run the per-study analysis: labels per level, robustness, dose-response, warnings.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table.
    metric, condition, alpha, margin, paired, higher_is_better
        As in :func:`analysis.compare.compare_to_baseline`.
    dose_response : bool
        Fit the dose-response curves (needs at least 3 levels; skipped with a warning otherwise).
    n_boot, seed : int
        Cluster-bootstrap replicates and their generator seed.

    Returns
    -------
    Analysis
        ``levels``: the :func:`~analysis.compare.compare_to_baseline` table joined with the
        :func:`~analysis.robust.robustness` columns (``p_welch``, ``p_paired``, ``p_perm``,
        ``p_perm_adj``, ``p_perm_min``, ``reaches_alpha``, ``p_rank``, ``p_block``);
        ``dose_response``: :func:`~analysis.doseresponse.summarize_dose_response`;
        ``warnings``: messages for the reader; ``settings``: metric, condition, alpha, margin,
        paired, higher_is_better, n_boot, seed.
    """
    messages: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        levels = compare_to_baseline(
            table, metric, condition, alpha, margin, paired, higher_is_better
        )
        messages.extend(levels.attrs.get("warnings", []))
        use_paired = bool(levels["paired"].iloc[0])
        rob = robustness(table, metric, condition, alpha, use_paired, seed=seed)
    joined = levels.merge(
        rob.drop(columns=["n", "n_baseline", "paired", "alpha", "seed", "metric", "condition"]),
        on=["setting", "level"],
        how="left",
    )
    if not joined["reaches_alpha"].all():
        p_min = float(joined["p_perm_min"].max())
        messages.append(
            f"the exact permutation and rank tests cannot reach α = {alpha} after Holm over "
            f"{joined.groupby('setting').size().max()} levels at this n (smallest attainable "
            f"p = {p_min:.4g}); they are shown for robustness only."
        )
    dose: list[dict] = []
    if dose_response:
        try:
            dose = summarize_dose_response(
                table, metric, condition, n_boot=n_boot, seed=seed, alpha=alpha, margin=margin
            )
        except DataError as exc:
            messages.append(f"dose-response skipped: {exc}")
    return Analysis(
        levels=joined,
        dose_response=dose,
        warnings=messages,
        settings={
            "metric": metric,
            "condition": condition,
            "alpha": alpha,
            "margin": margin,
            "paired": use_paired,
            "higher_is_better": bool(levels["higher_is_better"].iloc[0]),
            "n_boot": n_boot,
            "seed": seed,
        },
    )
