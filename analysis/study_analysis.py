"""The analysis of one study, run once and read by every consumer.

:func:`analyze` runs every analysis colearn shows for a results table (levels against the
baseline, robustness, margin sensitivity, claims, dose-response fits, band, optimum, global dose
test, power) with one set of settings and returns a :class:`StudyAnalysis`.  ``colearn analyze``
(its table and ``--json``), the report and the figures all read that one object, so they cannot
disagree about a label, a p-value or the optimum.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.claims import judge_claims
from analysis.columns import LEVEL_KEYS
from analysis.compare import compare_to_baseline, margin_sensitivity, power_by_level
from analysis.doseresponse import dose_effect_test
from analysis.optimum import dose_response_analysis
from analysis.robust import robustness
from analysis.settings import compare_setting_pairs, compare_to_reference, summarize_settings
from analysis.tidy import reference_setting, validate_tidy
from colearn.errors import ConfigError, DataError

__all__ = ["StudyAnalysis", "analyze"]

_ROBUST = ("p_welch", "p_paired", "p_perm", "p_perm_adj", "p_perm_min", "reaches_alpha",
           "p_rank", "p_block")  # fmt: skip


@dataclass(frozen=True)
class StudyAnalysis:
    """Every result of :func:`analyze`, with the settings that produced them.

    Attributes
    ----------
    metric, condition : str
        What was analysed.
    alpha, margin : float
        Significance level and equivalence margin δ.
    paired : bool
        Whether the tests paired arms by seed.
    higher_is_better : bool
        Direction of the metric.
    n_boot, seed : int
        Cluster-bootstrap replicates (dose-response) and their generator's seed.
    comparison : pandas.DataFrame
        :func:`analysis.compare.compare_to_baseline`.
    robustness : pandas.DataFrame
        :func:`analysis.robust.robustness`.
    sensitivity : pandas.DataFrame
        :func:`analysis.compare.margin_sensitivity` at δ/2, δ and 1.5 δ.
    power : pandas.DataFrame
        :func:`analysis.compare.power_by_level`.
    claims : pandas.DataFrame
        :func:`analysis.claims.judge_claims` (empty without claims).
    reference : str
        The setting other settings are compared with.
    settings_compared : pandas.DataFrame
        :func:`analysis.settings.compare_to_reference` (empty with one setting).
    setting_summary : pandas.DataFrame
        :func:`analysis.settings.summarize_settings` (empty with one setting).
    setting_pairs : pandas.DataFrame
        :func:`analysis.settings.compare_setting_pairs` (empty with fewer than three settings:
        with two, the one pair is ``settings_compared``).
    fits, band, optimum, dose_test : pandas.DataFrame or None
        :func:`~analysis.doseresponse.fit_dose_response`,
        :func:`~analysis.optimum.dose_response_band`, :func:`~analysis.optimum.optimal_level`,
        :func:`~analysis.doseresponse.dose_effect_test`; None when not run, with the reason in
        ``dose_note``.
    warnings : tuple of str
        Messages a reader must see, each once.
    """

    metric: str
    condition: str
    alpha: float
    margin: float
    paired: bool
    higher_is_better: bool
    n_boot: int
    seed: int
    comparison: pd.DataFrame
    robustness: pd.DataFrame
    sensitivity: pd.DataFrame
    power: pd.DataFrame
    claims: pd.DataFrame
    reference: str = "default"
    settings_compared: pd.DataFrame = field(default_factory=pd.DataFrame)
    setting_summary: pd.DataFrame = field(default_factory=pd.DataFrame)
    setting_pairs: pd.DataFrame = field(default_factory=pd.DataFrame)
    fits: pd.DataFrame | None = None
    band: pd.DataFrame | None = None
    optimum: pd.DataFrame | None = None
    dose_test: pd.DataFrame | None = None
    dose_note: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def settings(self) -> dict:
        """The analysis settings echoed (the header of ``analyze --json``)."""
        return {
            "metric": self.metric,
            "condition": self.condition,
            "alpha": self.alpha,
            "margin": self.margin,
            "paired": self.paired,
            "higher_is_better": self.higher_is_better,
            "n_boot": self.n_boot,
            "seed": self.seed,
            "reference": self.reference,
        }

    @property
    def setting_names(self) -> list[str]:
        """The settings analysed, the reference first."""
        names = self.comparison["setting"].drop_duplicates().tolist()
        return [self.reference, *(n for n in names if n != self.reference)]

    def levels(self) -> pd.DataFrame:
        """The comparison with the robustness columns joined (one row per setting and level)."""
        return self.comparison.merge(
            self.robustness[["setting", "level", *_ROBUST]], on=["setting", "level"], how="left"
        )

    def dose_summary(self) -> list[dict]:
        """Per setting: the ranked shapes, the optimum and its intervals, the global test.

        Returns
        -------
        list of dict
            Keys ``setting``, ``best_model``, ``models`` (model, aicc, bic, weight, p_lof,
            converged, peak_level), ``isotonic_mode``, ``opt_level``, ``opt_low``,
            ``opt_high``, ``near_low``, ``near_high``, ``best_level``, ``levels_not_worse``,
            ``levels_near_best``, ``p_anova``, ``p_welch``, ``n_boot``, ``seed``, ``margin``;
            empty when the dose-response was not analysed.
        """
        if self.fits is None or self.optimum is None or self.dose_test is None:
            return []
        out = []
        for name, f in self.fits.groupby("setting", sort=True):
            o = self.optimum[self.optimum["setting"] == name]
            g = self.dose_test[self.dose_test["setting"] == name].iloc[0]
            iso = f[f["model"] == "isotonic"]
            models = f[["model", "aicc", "bic", "weight", "p_lof", "converged", "peak_level"]]
            out.append({
                "setting": name,
                "best_model": str(o["model"].iloc[0]),
                "models": models.to_dict(orient="records"),
                "isotonic_mode": float(iso["peak_level"].iloc[0]) if len(iso) else None,
                **{k: float(o[k].iloc[0]) for k in ("opt_level", "opt_low", "opt_high",
                                                     "near_low", "near_high", "best_level")},
                "levels_not_worse": [float(v) for v in o.loc[o["not_worse"], "level"]],
                "levels_near_best": [float(v) for v in o.loc[o["near_best"], "level"]],
                "p_anova": float(g["p_anova"]),
                "p_welch": float(g["p_welch"]),
                "n_boot": self.n_boot,
                "seed": self.seed,
                "margin": self.margin,
            })  # fmt: skip
        return out

    def to_json(self) -> dict:
        """The ``analyze --json`` document (keys of each level: :data:`LEVEL_KEYS`)."""
        levels = self.comparison[list(LEVEL_KEYS)].astype(object).to_dict(orient="records")
        for r in levels:
            r["n"] = int(r["n"])
            r["negligible"] = bool(r["negligible"])
        robust = self.robustness[["setting", "level", *_ROBUST]]
        return {
            **self.settings,
            "levels": levels,
            "dose_response": self.dose_summary(),
            "robustness": robust.astype(object).to_dict(orient="records"),
            "settings_compared": self.settings_compared.astype(object).to_dict(orient="records"),
            "setting_summary": self.setting_summary.astype(object).to_dict(orient="records"),
            "setting_pairs": self.setting_pairs.astype(object).to_dict(orient="records"),
            "warnings": list(self.warnings),
        }


def _quiet(func, *args, **kwargs):
    """Run an analysis whose warnings are already collected elsewhere (or not for readers)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


def analyze(
    table: pd.DataFrame,
    *,
    metric: str = "accuracy",
    condition: str = "primary",
    alpha: float = 0.05,
    margin: float = 0.02,
    paired: bool | None = None,
    higher_is_better: bool | None = None,
    claims: pd.DataFrame | None = None,
    dose_response: bool = True,
    n_boot: int = 2000,
    seed: int = 0,
    reference: str | None = None,
) -> StudyAnalysis:
    """Run every analysis of one study's results with one set of settings.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results table.
    metric, condition : str
        What to analyse (``primary``: tested on the primary modality alone).
    alpha : float
        Significance level, in (0, 0.5).
    margin : float
        Equivalence margin δ in the metric's units; finite and positive.
    paired : bool, optional
        Pair arms by seed; default the table's ``paired`` flag.
    higher_is_better : bool, optional
        Direction; default from the metric's name.
    claims : pandas.DataFrame, optional
        Claims to judge (see :func:`analysis.claims.judge_claims`).
    dose_response : bool
        Fit the dose-response (needs ≥ 3 levels; otherwise skipped with the reason recorded).
    n_boot, seed : int
        Cluster-bootstrap replicates of the band and the optimum, and their generator's seed.
    reference : str, optional
        The setting other settings are compared with (a study's top-level configuration);
        default ``default`` when the table has it, else the first setting by name.

    Returns
    -------
    StudyAnalysis

    Raises
    ------
    ConfigError
        A bad setting (α, δ, n_boot, metric, condition, direction).
    DataError
        A table that cannot be analysed (no baseline, no multimodal arm, infinite values).

    Examples
    --------
    >>> from analysis.simulate import null_table
    >>> a = analyze(null_table(n_seeds=5, levels=(0.0, 0.5), sd=0.01, seed=1), n_boot=50)
    >>> a.comparison["label"].tolist(), a.dose_note
    (['NeCL', 'NeCL'], "setting 'default' has 2 dropout level(s); a dose-response fit needs at least 3.")
    """
    if not (isinstance(n_boot, (int, np.integer)) and n_boot >= 1):
        raise ConfigError(f"n_boot is {n_boot!r}; it must be a positive integer.")
    table = validate_tidy(table)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = compare_to_baseline(
            table, metric, condition, alpha, margin, paired, higher_is_better
        )
    use_paired = bool(comparison["paired"].iloc[0])
    higher = bool(comparison["higher_is_better"].iloc[0])
    notes = [*comparison.attrs["warnings"], *(str(w.message) for w in caught)]
    common = {"metric": metric, "condition": condition, "alpha": alpha, "paired": use_paired}
    robust = _quiet(robustness, table, seed=seed, **common)
    if not robust["reaches_alpha"].all():
        notes.append(
            f"the exact permutation and rank tests cannot reach α = {alpha} after Holm over "
            f"{comparison.groupby('setting').size().max()} levels at this n (smallest attainable "
            f"p = {robust['p_perm_min'].max():.3g}); they are shown for robustness only."
        )
    sensitivity = _quiet(
        margin_sensitivity, table, margins=(margin / 2, margin, 1.5 * margin),
        higher_is_better=higher, **common,
    )  # fmt: skip
    judged = (
        judge_claims(table, claims, comparison, alpha=alpha, margin=margin,
                     condition=condition, paired=use_paired)
        if claims is not None and len(claims)
        else pd.DataFrame()
    )  # fmt: skip
    ref = reference_setting(table[table["arm"] == "multimodal"], reference)
    between: dict = {"reference": ref}
    if comparison["setting"].nunique() > 1:
        between["settings_compared"] = _quiet(
            compare_to_reference, table, ref, margin=margin, higher_is_better=higher, **common
        )
        between["setting_summary"] = _quiet(
            summarize_settings, table, metric, condition, n_boot=n_boot, seed=seed,
            alpha=alpha, higher_is_better=higher,
        )  # fmt: skip
    names = comparison["setting"].drop_duplicates().tolist()
    if len(names) > 2:
        order = [ref, *(n for n in names if n != ref)]
        between["setting_pairs"] = _quiet(
            compare_setting_pairs, table, order, margin=margin, higher_is_better=higher, **common
        )
    dose: dict = {"dose_note": "not requested"}
    if dose_response:
        dose = _dose_response(table, metric, condition, alpha, margin, higher, n_boot, seed)
    return StudyAnalysis(
        metric=metric, condition=condition, alpha=alpha, margin=margin, paired=use_paired,
        higher_is_better=higher, n_boot=n_boot, seed=seed, comparison=comparison,
        robustness=robust, sensitivity=sensitivity, power=power_by_level(comparison),
        claims=judged, warnings=tuple(dict.fromkeys(notes)), **between, **dose,
    )  # fmt: skip


def _dose_response(table, metric, condition, alpha, margin, higher, n_boot, seed) -> dict:
    """Fits, band, optimum and global test; with the reason instead when they cannot run."""
    common = {"metric": metric, "condition": condition, "higher_is_better": higher}
    boot = {"n_boot": n_boot, "seed": seed, "alpha": alpha}
    try:
        # one fit and one bootstrap per setting serve the fits, the band and the optimum
        fits, band, optimum = _quiet(dose_response_analysis, table, **common, **boot, margin=margin)
        return {
            "fits": fits,
            "band": band,
            "optimum": optimum,
            "dose_test": _quiet(dose_effect_test, table, metric, condition),
        }
    except DataError as exc:
        return {"dose_note": str(exc)}
