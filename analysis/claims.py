"""Claims of a study judged against our results: reproduced, partially, not reproduced, inconclusive.

A claim is (id, level, metric, paper value, expected label), e.g. "at p = 0 accuracy is 0.27 and
the multimodal-trained model is worse than the language-only baseline (NCL)".  Our label comes from
:func:`analysis.compare.compare_to_baseline` (Holm over levels, TOST at ±δ); our value is the level
mean over seeds with its t confidence interval; the paper's value is checked against that interval
and by a one-sample TOST at ±δ.  :data:`VERDICT_RULE` is the rule in words; the report prints it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from analysis.compare import check_alpha_margin, compare_to_baseline
from analysis.tidy import analysable
from colearn.errors import ConfigError, DataError

__all__ = [
    "VERDICTS",
    "VERDICT_RULE",
    "IMPORTED_VERDICTS",
    "CLAIM_COLUMNS",
    "judge_claims",
    "value_tost",
]

#: The four verdicts, in the order the report explains them.
VERDICTS: tuple[str, ...] = ("[Re]", "partial", "[¬Re]", "[?Re]")

#: The verdict rule, written out for the report.
VERDICT_RULE = (
    "**[Re] reproduced**: our label for the level equals the claim's expected label (a real, "
    "not a negligible, difference for NCL/PCL) and the paper's value is either absent, inside "
    "our (1 − α) confidence interval of the level mean, or within ±δ of our mean by a one-sample "
    "TOST at level α. "
    "**partial**: the label matches but the paper's value is outside our interval and not within "
    "±δ; or the label matches only as a *negligible* effect (significant but inside ±δ); or NeCL "
    "was expected and we found a negligible PCL/NCL. "
    "**[¬Re] not reproduced**: our label is a different definite label (e.g. NCL where PCL was "
    "claimed, or NeCL where PCL was claimed). "
    "**[?Re] inconclusive**: our label is inconclusive (neither a difference nor equivalence "
    "could be shown at the adjusted level), or the claimed level was not run."
)

#: What the verdicts mean when the results are the authors' own files, re-analysed.
IMPORTED_VERDICTS = (
    "**Here the numbers are the authors' own released per-seed results, re-analysed, not runs "
    'trained again.** "Our" in the rule above means this re-analysis: **[Re]** says the '
    "authors' own runs support the claim under colearn's tests (the paper's reading of its "
    "results holds up); it is not an independent reproduction. **[¬Re]** and **[?Re]** say the "
    "authors' runs do not show what the paper says, or not clearly enough at this number of seeds."
)

#: Columns of :func:`judge_claims`'s result, in order.
CLAIM_COLUMNS: list[str] = [
    "id",
    "setting",
    "level",
    "metric",
    "text",
    "expected",
    "paper_value",
    "n",
    "mean",
    "sd",
    "mean_ci_low",
    "mean_ci_high",
    "diff_paper",
    "baseline_mean",
    "diff",
    "ci_low",
    "ci_high",
    "test",
    "p_diff_adj",
    "p_equiv_adj",
    "p_value_equiv",
    "paper_in_ci",
    "label",
    "negligible",
    "verdict",
    "reason",
    "alpha",
    "margin",
]

_DEFINITE = ("NCL", "NeCL", "PCL")


def value_tost(values, target: float, margin: float) -> float:
    """One-sample TOST p-value that the mean of ``values`` lies within ±``margin`` of ``target``.

    Parameters
    ----------
    values : array-like
        Per-seed values (at least 2).
    target : float
        Reference value (e.g. the paper's reported mean).
    margin : float
        Equivalence margin δ (metric units).

    Returns
    -------
    float
        max of the two one-sided t-test p-values (H0: mean − target ≤ −δ, H0: mean − target ≥ δ);
        NaN with fewer than 2 values or zero spread.

    Examples
    --------
    >>> round(value_tost([0.46, 0.47, 0.465, 0.468, 0.462], 0.47, 0.02), 4)
    0.0006
    """
    v = np.asarray(values, dtype=float)
    if len(v) < 2 or np.std(v, ddof=1) == 0:
        return float("nan")
    lower = stats.ttest_1samp(v, target - margin, alternative="greater").pvalue
    upper = stats.ttest_1samp(v, target + margin, alternative="less").pvalue
    return float(max(lower, upper))


def _verdict(expected, label, negligible, paper, in_ci, p_val_eq, alpha) -> tuple[str, str]:
    if label not in _DEFINITE:
        return "[?Re]", "our label is inconclusive"
    if label != expected:
        if expected == "NeCL" and negligible:
            return "partial", f"equivalent within ±δ, but a significant (negligible) {label}"
        return "[¬Re]", f"we find {label}, the paper claims {expected}"
    if negligible:
        return "partial", f"{label} only as a negligible effect (significant but inside ±δ)"
    if paper is None or not np.isfinite(paper):
        return "[Re]", f"{label} as claimed (no paper value to compare)"
    if in_ci:
        return "[Re]", f"{label} as claimed; the paper's value lies inside our CI"
    if np.isfinite(p_val_eq) and p_val_eq < alpha:
        return "[Re]", f"{label} as claimed; our mean is within ±δ of the paper's value (TOST)"
    return (
        "partial",
        f"{label} as claimed, but the paper's value is outside our CI and not within ±δ",
    )


def _claims_frame(claims: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(claims, pd.DataFrame):
        raise ConfigError(f"claims must be a DataFrame, got {type(claims).__name__}.")
    missing = [c for c in ("id", "level", "metric", "expected") if c not in claims.columns]
    if missing:
        raise ConfigError(
            f"the claims table lacks {', '.join(missing)}; it needs id, level, metric, expected "
            "(paper_value and text optional)."
        )
    out = claims.copy()
    for col, default in (("paper_value", np.nan), ("text", "")):
        if col not in out.columns:
            out[col] = default
    bad = sorted(set(out["expected"]) - set(_DEFINITE))
    if bad:
        raise ConfigError(f"expected label(s) {bad} are not valid; use NCL, NeCL or PCL.")
    out["level"] = pd.to_numeric(out["level"], errors="raise").astype(float)
    out["paper_value"] = pd.to_numeric(out["paper_value"], errors="coerce").astype(float)
    out["text"] = out["text"].fillna("").astype(str)
    return out.reset_index(drop=True)


def judge_claims(
    table: pd.DataFrame,
    claims: pd.DataFrame,
    comparison: pd.DataFrame | None = None,
    *,
    alpha: float = 0.05,
    margin: float = 0.02,
    condition: str = "primary",
    paired: bool | None = None,
    setting: str | None = None,
) -> pd.DataFrame:
    """Judge each claim against the table: our estimate, its CI, our label and a verdict.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results table.
    claims : pandas.DataFrame
        One row per claim with columns ``id``, ``level``, ``metric``, ``expected`` (NCL, NeCL or
        PCL), optionally ``paper_value`` (NaN when the paper gives none) and ``text``.
    comparison : pandas.DataFrame, optional
        A :func:`analysis.compare.compare_to_baseline` result to reuse for its metric; other
        metrics (and a missing comparison) are computed here with the same settings.
    alpha : float
        Significance level (CIs are (1 − α); TOST uses α per side).
    margin : float
        Equivalence margin δ, in the claim metric's units.
    condition : str
        Evaluation condition (``primary``: tested on the primary modality alone).
    paired : bool, optional
        Pairing for the comparison; default the table's ``paired`` flag.
    setting : str, optional
        Judge one setting; default every setting of the table (one row per claim and setting).

    Returns
    -------
    pandas.DataFrame
        One row per (claim, setting), columns :data:`CLAIM_COLUMNS`: ``id``, ``setting``,
        ``level``, ``metric``, ``text``, ``expected``, ``paper_value``; ``n``, ``mean``, ``sd``
        (our per-seed values at the level), ``mean_ci_low``/``mean_ci_high`` ((1 − α) t CI of
        the level mean), ``diff_paper`` (our mean − paper value); ``baseline_mean``, ``diff``,
        ``ci_low``/``ci_high`` (level − baseline and its CI, from the comparison), ``test``
        (``paired-t`` or ``welch-t``), ``p_diff_adj``, ``p_equiv_adj`` (Holm over levels),
        ``p_value_equiv`` (one-sample TOST of our level mean against the paper value at ±δ,
        :func:`value_tost`), ``paper_in_ci`` (bool), ``label`` (NCL, NeCL, PCL, inconclusive,
        or ``not run``), ``negligible``, ``verdict`` (one of :data:`VERDICTS`), ``reason``
        (one phrase), ``alpha``, ``margin``.

    Raises
    ------
    ConfigError
        Malformed claims, an unknown expected label, or a claim metric the table lacks.

    Notes
    -----
    The rule is :data:`VERDICT_RULE`.  On the authors' IEMOCAP files (unpaired, δ = .02) the
    claim "NCL at p = 0, accuracy .27" is [Re] and "PCL at p = .8, accuracy .47" is [?Re]
    (Welch Holm p = .21).

    Examples
    --------
    >>> from analysis.simulate import null_table
    >>> t = null_table(n_seeds=5, levels=(0.0, 0.5), sd=0.01, seed=1)
    >>> c = pd.DataFrame({"id": ["a"], "level": [0.0], "metric": ["accuracy"],
    ...                   "expected": ["NCL"], "paper_value": [float("nan")]})
    >>> judge_claims(t, c)[["label", "verdict"]].values.tolist()
    [['NeCL', '[¬Re]']]
    """
    check_alpha_margin(alpha, margin)
    claims = _claims_frame(claims)
    if claims.empty:
        return pd.DataFrame(columns=CLAIM_COLUMNS)
    comparisons: dict[str, pd.DataFrame] = {}
    if comparison is not None and len(comparison):
        comparisons[str(comparison["metric"].iloc[0])] = comparison
    rows = []
    for claim in claims.itertuples(index=False):
        metric = str(claim.metric)
        if metric not in comparisons:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                comparisons[metric] = compare_to_baseline(
                    table, metric, condition, alpha=alpha, margin=margin, paired=paired
                )
        comp = comparisons[metric]
        # missing (NaN) values are counted out here as in the comparison the claim reuses
        data, _ = analysable(table, metric, condition)
        settings = [setting] if setting is not None else sorted(comp["setting"].unique())
        for name in settings:
            rows.append(_judge_one(claim, name, comp, data, alpha, margin))
    return pd.DataFrame(rows)[CLAIM_COLUMNS]


def _judge_one(claim, setting, comp, data, alpha, margin) -> dict:
    paper = float(claim.paper_value)
    row = {c: np.nan for c in CLAIM_COLUMNS}
    row.update(
        id=claim.id,
        setting=setting,
        level=claim.level,
        metric=claim.metric,
        text=claim.text,
        expected=claim.expected,
        paper_value=paper,
        alpha=alpha,
        margin=margin,
        paper_in_ci=False,
        negligible=False,
        n=0,
        test="",
    )
    hit = comp[(comp["setting"] == setting) & np.isclose(comp["level"], claim.level)]
    values = data[
        (data["arm"] == "multimodal")
        & (data["setting"] == setting)
        & np.isclose(data["level"].fillna(-1), claim.level)
    ]["value"].to_numpy(float)
    if hit.empty or len(values) == 0:
        if comp[comp["setting"] == setting].empty:
            raise DataError(f"the comparison has no rows for setting {setting!r}.")
        row.update(label="not run", verdict="[?Re]", reason=f"level {claim.level:g} was not run")
        return row
    c = hit.iloc[0]
    n = len(values)
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else np.nan
    if n > 1 and sd > 0:
        half = stats.t.ppf(1 - alpha / 2, n - 1) * sd / np.sqrt(n)
        lo, hi = mean - half, mean + half
    else:
        lo = hi = np.nan if n < 2 else mean
    in_ci = bool(np.isfinite(paper) and np.isfinite(lo) and lo <= paper <= hi)
    p_val_eq = value_tost(values, paper, margin) if np.isfinite(paper) else np.nan
    verdict, reason = _verdict(
        claim.expected, c["label"], bool(c["negligible"]), paper, in_ci, p_val_eq, alpha
    )
    row.update(
        n=n,
        mean=mean,
        sd=sd,
        mean_ci_low=lo,
        mean_ci_high=hi,
        diff_paper=mean - paper if np.isfinite(paper) else np.nan,
        baseline_mean=float(c["baseline_mean"]),
        diff=float(c["diff"]),
        ci_low=float(c["ci_low"]),
        ci_high=float(c["ci_high"]),
        test=str(c["test"]),
        p_diff_adj=float(c["p_diff_adj"]),
        p_equiv_adj=float(c["p_equiv_adj"]),
        p_value_equiv=p_val_eq,
        paper_in_ci=in_ci,
        label=str(c["label"]),
        negligible=bool(c["negligible"]),
        verdict=verdict,
        reason=reason,
    )
    return row
