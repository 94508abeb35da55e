"""Group-sequential decisions: add seeds only where a level is still undecided, with error control.

A sequential design looks at the results after a pre-specified schedule of seed counts
(``looks``, e.g. 5, 10, 20, 40).  At each look every *open* level is tested against the baseline
on the seed indices seen so far, twice: the difference test (two-sided) and the equivalence test
(TOST at ±δ).  A level whose label is decided (PCL / NCL: different; NeCL: equivalent and not
different) gets no more seeds; the others go on to the next look; what is open at the last look is
``inconclusive``.

Error control over looks and levels (each family: difference, equivalence; within a setting):

- **Boundaries.** Lan–DeMets α-spending, O'Brien–Fleming-type (``obf``, the default) or
  Pocock-type (``pocock``), over the information fractions ``t_k = n_k / n_K``.  The z boundaries
  come from the recursive numerical integration of Armitage, McPherson and Rowe (Jennison and
  Turnbull 2000, ch. 19; :func:`crossing_probability`), checked against the published Pocock and
  O'Brien–Fleming constants and Lan–DeMets boundaries in the tests.
- **Small samples.** Each z boundary ``c_k`` becomes a nominal p-value (``2 Φ(−c_k)`` two-sided,
  ``Φ(−c_k)`` per side of TOST) that the look's exact t-test p-value must beat (the
  significance-level approach of Jennison and Turnbull, ch. 3); ``scripts/calibrate_sequential.py``
  checks the error rates this gives by simulation.
- **Multiplicity.** The group-sequential Holm procedure (Maurer and Bretz 2013; Ye et al. 2013):
  a hypothesis not yet rejected is tested at look k at local level α / ``|I|``, where ``I`` is the set of
  hypotheses of its family not rejected so far (decided levels whose hypothesis of this family was
  not rejected stay in ``I``), step-down within the look.  The full procedure (every level followed
  to the last look, earlier looks re-tested when α is passed on) keeps the family-wise error at α
  whatever the correlation between levels; this one rejects a subset of what that one rejects (it
  never re-tests earlier looks and stops following decided levels), so it keeps it too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy import optimize, stats

from analysis.compare import check_alpha_margin
from analysis.contrast import LABELS, contrast, decide, pair_by_seed
from analysis.tidy import analysable, baseline_rows, design_paired, level_rows
from analysis.tidy import higher_is_better as _direction
from colearn.errors import ConfigError

__all__ = [
    "DECISION_COLUMNS",
    "DEFAULT_LOOKS",
    "SPENDING",
    "SequentialDesign",
    "SequentialRecord",
    "alpha_spent",
    "crossing_probability",
    "group_sequential_bounds",
    "holm_look",
    "look_schedule",
    "sequential_decisions",
    "sequential_summary",
]

#: Spending functions: Lan–DeMets O'Brien–Fleming-type and Pocock-type.
SPENDING = ("obf", "pocock")
#: The default schedule of seed counts at which the results are looked at.
DEFAULT_LOOKS = (5, 10, 20, 40)
#: Most seeds a sequential design may plan (the grid limit of a study).
MAX_SEEDS = 10_000


def alpha_spent(fractions, alpha: float, kind: str = "obf", sides: int = 2) -> np.ndarray:
    """Cumulative type I error spent by each information fraction.

    Parameters
    ----------
    fractions : array-like
        Information fractions ``t_k`` in (0, 1].
    alpha : float
        Level of the whole test (two-sided total when ``sides`` is 2).
    kind : {"obf", "pocock"}
        Lan–DeMets O'Brien–Fleming-type ``2 − 2 Φ(z_{1−a/2} / √t)`` or Pocock-type
        ``a ln(1 + (e − 1) t)``, with ``a`` the level of one side.
    sides : {1, 2}
        A two-sided test spends ``a = α / 2`` on each side.

    Returns
    -------
    numpy.ndarray
        α spent up to each fraction (summed over the sides); equals ``alpha`` at ``t = 1``.

    Examples
    --------
    >>> alpha_spent([0.5, 1.0], 0.05, "pocock").round(4)
    array([0.031, 0.05 ])
    """
    t = np.asarray(fractions, dtype=float)
    a = alpha / sides
    if kind == "obf":
        per_side = 2 * stats.norm.sf(stats.norm.isf(a / 2) / np.sqrt(t))
    elif kind == "pocock":
        per_side = a * np.log1p((np.e - 1) * t)
    else:
        raise ConfigError(f"spending '{kind}' is not known; choose one of {', '.join(SPENDING)}.")
    return sides * per_side


def _grid(lower: float, upper: float, r: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """Simpson's rule nodes and weights for a standard normal variable on ``(lower, upper)``.

    The nodes are those of Jennison and Turnbull (2000, §19.2): dense in the middle,
    log-spaced in the tails, cut at the finite limits (which become nodes themselves).
    """
    i = np.arange(1, 6 * r)
    tail = 3 + 4 * np.log(r / np.clip(np.minimum(i, 6 * r - i), 1, None))
    x = np.where(i < r, -tail, np.where(i <= 5 * r, -3 + 3 * (i - r) / (2 * r), tail))
    x = x[(x > lower) & (x < upper)]
    x = np.concatenate(
        [[lower] if np.isfinite(lower) else [], x, [upper] if np.isfinite(upper) else []]
    )
    z = np.empty(2 * len(x) - 1)
    z[0::2], z[1::2] = x, (x[:-1] + x[1:]) / 2
    gaps = np.diff(x)
    w = np.empty_like(z)
    w[0::2] = np.concatenate([[0.0], gaps]) + np.concatenate([gaps, [0.0]])
    w[1::2] = 4 * gaps
    return z, w / 6


def _look(prev, t_prev: float, t: float, sides: int):
    """The conditional law of ``Z_k`` given the continuation grid of the previous look.

    Returns the previous look's weighted densities, the conditional means of ``Z_k`` at its nodes
    and the conditional SD (``Z_k = (√t_prev Z_{k−1} + N(0, t − t_prev)) / √t`` under the null).
    """
    if prev is None:  # the first look: Z_1 is standard normal
        return np.ones(1), np.zeros(1), 1.0
    z0, h0 = prev
    return h0, z0 * np.sqrt(t_prev / t), np.sqrt((t - t_prev) / t)


def _crossing(h0, mean, sd, c: float, sides: int) -> float:
    """Probability of reaching this look and crossing ``c`` (either side when two-sided)."""
    cross = stats.norm.sf((c - mean) / sd)
    if sides == 2:
        cross = cross + stats.norm.cdf((-c - mean) / sd)
    return float(np.dot(h0, cross))


def _continue(h0, mean, sd, c: float, sides: int):
    """Grid and weighted density of ``Z_k`` on the continuation region of this look."""
    z, w = _grid(-c if sides == 2 else -np.inf, c)
    dens = stats.norm.pdf((z[:, None] - mean[None, :]) / sd) / sd
    return z, w * (dens @ h0)


def crossing_probability(bounds, fractions, sides: int = 2) -> np.ndarray:
    """Probability under the null of first crossing the boundary at each look.

    Parameters
    ----------
    bounds : array-like
        z boundaries ``c_k`` (``inf`` for a look that cannot stop).
    fractions : array-like
        Information fractions ``t_k``, increasing, in (0, 1].
    sides : {1, 2}
        Two-sided (``|Z_k| ≥ c_k``) or one-sided (``Z_k ≥ c_k``) boundaries.

    Returns
    -------
    numpy.ndarray
        ``P(Z_1, …, Z_{k−1} continue, Z_k crosses)`` per look; their sum is the test's level.

    Notes
    -----
    Recursive numerical integration (Armitage, McPherson and Rowe 1969; Jennison and Turnbull
    2000, ch. 19) with Simpson's rule on 32-per-unit grids: accurate to about 1e-7.  Checked
    against Pocock's and O'Brien–Fleming's published constants and against scipy's multivariate
    normal (correlation ``√(t_j / t_k)``) in the tests.

    Examples
    --------
    >>> float(crossing_probability([2.178, 2.178], [0.5, 1.0]).sum().round(4))  # Pocock, K = 2
    0.05
    """
    out, prev, t_prev = [], None, 0.0
    for c, t in zip(np.asarray(bounds, float), np.asarray(fractions, float), strict=True):
        h0, mean, sd = _look(prev, t_prev, t, sides)
        out.append(_crossing(h0, mean, sd, c, sides))
        prev, t_prev = _continue(h0, mean, sd, c, sides), t
    return np.array(out)


@lru_cache(maxsize=256)
def _bounds(fractions: tuple[float, ...], alpha: float, kind: str, sides: int) -> np.ndarray:
    spent = alpha_spent(fractions, alpha, kind, sides)
    increments = np.diff(np.concatenate([[0.0], spent]))
    bounds, prev, t_prev = [], None, 0.0
    for t, pi in zip(fractions, increments, strict=True):
        h0, mean, sd = _look(prev, t_prev, t, sides)
        if pi <= 0:
            c = np.inf
        else:
            # log scale: early O'Brien–Fleming increments can be as small as 1e-16
            def excess(c, h0=h0, mean=mean, sd=sd, pi=pi):
                return np.log(max(_crossing(h0, mean, sd, c, sides), 1e-300)) - np.log(pi)

            c = optimize.brentq(excess, 0.0, 40.0, xtol=1e-10)
        bounds.append(c)
        prev, t_prev = _continue(h0, mean, sd, c, sides), t
    return np.array(bounds)


def group_sequential_bounds(
    fractions, alpha: float, kind: str = "obf", sides: int = 2
) -> pd.DataFrame:
    """z boundaries and nominal p-values of an α-spending group-sequential test.

    Parameters
    ----------
    fractions : array-like
        Information fractions ``t_k = n_k / n_K`` of the looks, increasing, ending at 1.
    alpha : float
        Level of the test (two-sided total when ``sides`` is 2).
    kind : {"obf", "pocock"}
        Spending function (:func:`alpha_spent`).
    sides : {1, 2}
        Two-sided symmetric boundaries (difference test) or one-sided ones (each side of TOST).

    Returns
    -------
    pandas.DataFrame
        One row per look: ``look`` (1, 2, …), ``fraction``, ``bound`` (z boundary ``c_k``),
        ``nominal_p`` (``2 Φ(−c_k)`` two-sided, ``Φ(−c_k)`` one-sided: a look's p-value must be
        below it), ``alpha_spent`` (cumulative), and the settings echoed: ``alpha``,
        ``spending``, ``sides``.

    Notes
    -----
    Each ``c_k`` solves ``P(continue to look k − 1, cross at k) = α(t_k) − α(t_{k−1})`` with
    :func:`crossing_probability`'s recursion.  For 5 equally spaced looks at one-sided α = .025
    (or two-sided .05) the O'Brien–Fleming-type bounds are 4.877, 3.357, 2.680, 2.290, 2.031
    as published (DeMets and Lan 1994; gsDesign's ``sfLDOF``); the Pocock-type ones 2.438,
    2.427, 2.410, 2.397, 2.386 (checked against scipy's multivariate normal in the tests).

    Examples
    --------
    >>> group_sequential_bounds([0.5, 1.0], 0.05)["bound"].round(3).tolist()
    [2.963, 1.969]
    """
    t = _check_fractions(fractions)
    if sides not in (1, 2):
        raise ConfigError(f"sides is {sides!r}; give 1 or 2.")
    if not 0 < alpha < 1:
        raise ConfigError(f"alpha is {alpha!r}; it must lie between 0 and 1.")
    alpha_spent(t, alpha, kind, sides)  # checks the kind
    c = _bounds(t, float(alpha), kind, sides)
    return pd.DataFrame({
        "look": np.arange(1, len(t) + 1),
        "fraction": t,
        "bound": c,
        "nominal_p": sides * stats.norm.sf(c),
        "alpha_spent": alpha_spent(t, alpha, kind, sides),
        "alpha": alpha,
        "spending": kind,
        "sides": sides,
    })  # fmt: skip


def _check_fractions(fractions) -> tuple[float, ...]:
    t = np.asarray(fractions, dtype=float)
    if t.ndim != 1 or not len(t) or not np.all(np.diff(t) > 0) or t[0] <= 0 or t[-1] != 1:
        raise ConfigError(
            f"information fractions {list(np.round(t, 4))} must increase and end at 1."
        )
    return tuple(float(x) for x in t)


def look_schedule(max_seeds: int, looks=None) -> tuple[int, ...]:
    """The seed counts at which a sequential design looks, capped at ``max_seeds``.

    Parameters
    ----------
    max_seeds : int
        Most seeds per arm; the last look is always at ``max_seeds``.
    looks : sequence of int, optional
        Increasing seed counts, each at least 2; default :data:`DEFAULT_LOOKS`.  Looks at or
        beyond ``max_seeds`` are dropped.

    Returns
    -------
    tuple of int

    Raises
    ------
    ConfigError
        When the looks do not increase, a look is below 2 seeds, or ``max_seeds`` is below the
        first look or above :data:`MAX_SEEDS`.

    Examples
    --------
    >>> look_schedule(40), look_schedule(30), look_schedule(12, (5, 10, 20))
    ((5, 10, 20, 40), (5, 10, 20, 30), (5, 10, 12))
    """
    looks = tuple(DEFAULT_LOOKS if looks is None else looks)
    if not looks or any(int(n) != n or n < 2 for n in looks):
        raise ConfigError(f"looks {_seq(looks)} must be seed counts of at least 2.")
    if np.any(np.diff(looks) <= 0):
        raise ConfigError(f"looks {_seq(looks)} must increase, e.g. 5,10,20,40.")
    if int(max_seeds) != max_seeds or not looks[0] <= max_seeds <= MAX_SEEDS:
        raise ConfigError(
            f"max seeds {max_seeds} must lie between the first look ({looks[0]} seeds) and "
            f"{MAX_SEEDS}."
        )
    return tuple(int(n) for n in looks if n < max_seeds) + (int(max_seeds),)


def _seq(values) -> str:
    return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values)


@dataclass(frozen=True)
class SequentialDesign:
    """A pre-specified sequential design: looks, spending, analysis settings and the families.

    Attributes
    ----------
    looks : tuple of int
        Seed counts at the looks (:func:`look_schedule`); the last is the most seeds per arm.
    levels : tuple of float
        The dropout levels tested (one family per setting and test).
    settings : tuple of str
        The settings (Holm runs within each).
    spending : {"obf", "pocock"}
        α-spending function of both tests.
    alpha, margin : float
        Family-wise level over all looks and levels; equivalence margin δ.
    metric, condition : str
        What is tested.
    higher_is_better : bool, optional
        Direction; default from the metric's name.
    """

    looks: tuple[int, ...]
    levels: tuple[float, ...]
    settings: tuple[str, ...] = ("default",)
    spending: str = "obf"
    alpha: float = 0.05
    margin: float = 0.02
    metric: str = "accuracy"
    condition: str = "primary"
    higher_is_better: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "looks", look_schedule(self.looks[-1], self.looks))
        object.__setattr__(self, "levels", tuple(sorted(float(v) for v in self.levels)))
        object.__setattr__(self, "settings", tuple(str(s) for s in self.settings))
        check_alpha_margin(self.alpha, self.margin)
        alpha_spent([1.0], self.alpha, self.spending)  # checks the spending function
        if not self.levels or not self.settings:
            raise ConfigError("a sequential design needs at least one level and one setting.")

    @property
    def fractions(self) -> tuple[float, ...]:
        """Information fractions ``n_k / n_K`` of the looks."""
        return tuple(n / self.looks[-1] for n in self.looks)

    def describe(self) -> str:
        """One line: ``looks 5,10,20,40 seeds, obf spending, α = 0.05, δ = 0.02, 7 levels``."""
        return (
            f"looks {_seq(self.looks)} seeds, {self.spending} spending, α = {self.alpha:g}, "
            f"δ = {self.margin:g}, levels {_seq(self.levels)}"
        )

    def as_dict(self) -> dict:
        """The design as plain JSON-able values (stored with the study's results)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, values: dict) -> SequentialDesign:
        """The design :meth:`as_dict` wrote."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})

    def nominal_levels(self, sides: int) -> np.ndarray:
        """Nominal p-value thresholds, shape ``(looks, m + 1)``: column ``j`` holds those of
        local level ``α / j`` (Holm with ``j`` hypotheses left; column 0 unused)."""
        m = len(self.levels)
        table = np.zeros((len(self.looks), m + 1))
        for j in range(1, m + 1):
            c = _bounds(self.fractions, self.alpha / j, self.spending, sides)
            table[:, j] = sides * stats.norm.sf(c)
        return table


def holm_look(p, tested, rejected, thresholds) -> tuple[np.ndarray, np.ndarray]:
    """One look of the group-sequential Holm procedure, for many families at once.

    Parameters
    ----------
    p : array-like, shape (R, m)
        This look's p-values (NaN never rejects).
    tested : array-like of bool, shape (R, m)
        Hypotheses with new data at this look (open levels).
    rejected : array-like of bool, shape (R, m)
        Hypotheses rejected at earlier looks.
    thresholds : array-like, shape (m + 1,)
        Nominal p thresholds of this look at local level ``α / j`` in column ``j``
        (:meth:`SequentialDesign.nominal_levels`).

    Returns
    -------
    rejected : numpy.ndarray of bool, shape (R, m)
        Rejected after this look (earlier rejections included).
    left : numpy.ndarray of int, shape (R,)
        Hypotheses not rejected after the step-down (``j`` of the last local level used).

    Notes
    -----
    Step-down: with ``j`` hypotheses not rejected, every tested one whose p is below the
    threshold of ``α / j`` is rejected; ``j`` shrinks and the step repeats until nothing new is
    rejected (rejecting all of them at once equals Holm's one-at-a-time order, since the
    threshold only grows).

    Examples
    --------
    >>> thr = [0.0, 0.04, 0.02]  # α / 1, α / 2 at this look
    >>> holm_look([[0.01, 0.03]], [[True, True]], [[False, False]], thr)[0].tolist()
    [[True, True]]
    """
    p = np.asarray(p, dtype=float)
    tested = np.asarray(tested, dtype=bool)
    done = np.array(rejected, dtype=bool)
    thresholds = np.asarray(thresholds, dtype=float)
    m = p.shape[1]
    with np.errstate(invalid="ignore"):
        for _ in range(m):
            left = m - done.sum(axis=1)
            level = thresholds[np.maximum(left, 1)]
            new = tested & ~done & (p < level[:, None])
            if not new.any():
                break
            done |= new
    return done, m - done.sum(axis=1)


def sequential_decisions(table: pd.DataFrame, design: SequentialDesign) -> pd.DataFrame:
    """Replay a sequential design on a results table: the tests and decisions at every look.

    Look ``k`` uses seed indices ``0 … n_k − 1``.  It is evaluated once every level still open
    and the baseline hold all of them; the replay stops at the first look whose seeds are not
    all there yet, or when no level is open.  The same table always gives the same decisions, so
    a resumed or re-analysed study recomputes them exactly.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy results table (extra seeds and levels are ignored).
    design : SequentialDesign

    Returns
    -------
    pandas.DataFrame
        One row per look and level tested at it: ``look`` (1, 2, …), ``seeds`` (``n_k``),
        ``fraction``, ``setting``, ``level``, ``n``, ``n_baseline``, ``mean``,
        ``baseline_mean``, ``diff``, ``p_diff`` (t test, two-sided), ``p_equiv`` (TOST at ±δ),
        ``z_diff`` (signed z with the same two-sided p), ``z_equiv`` (z with the same one-sided
        p), ``alpha_diff`` / ``alpha_equiv`` (Holm's local level after the look's step-down),
        ``bound_diff`` / ``bound_equiv`` (z boundary of that level at this look),
        ``nominal_diff`` / ``nominal_equiv`` (the p thresholds), ``different``,
        ``equivalent`` (hypothesis rejected at this look), ``label`` (``PCL``, ``NCL``,
        ``NeCL``, ``inconclusive``), ``negligible``, ``decided`` (no more seeds for this level),
        and the settings echoed: ``alpha``, ``margin``, ``spending``, ``paired``, ``metric``,
        ``condition``.  Empty (with these columns) before the first look is complete.

    Raises
    ------
    ConfigError, DataError
        As :func:`analysis.tidy.analysable`, or a setting of the design missing from the table.

    Examples
    --------
    >>> from analysis.simulate import null_table
    >>> t = null_table(n_seeds=20, levels=(0.0, 0.5), shift=(-0.2, 0.0), sd=0.01, paired=True,
    ...                seed_sd=0.01, seed=1)
    >>> d = SequentialDesign(looks=(5, 10, 20), levels=(0.0, 0.5), spending="pocock")
    >>> sequential_decisions(t, d)[["look", "level", "label", "decided"]]
       look  level         label  decided
    0     1    0.0           NCL     True
    1     1    0.5  inconclusive    False
    2     2    0.5          NeCL     True
    """
    rows, _ = analysable(table, design.metric, design.condition)
    paired = design_paired(rows, None, [])
    higher = (
        _direction(design.metric) if design.higher_is_better is None else design.higher_is_better
    )
    nominal = {2: design.nominal_levels(2), 1: design.nominal_levels(1)}
    m = len(design.levels)
    groups = {s: _groups(rows, s, design.levels) for s in design.settings}
    state = {s: np.zeros((3, m), dtype=bool) for s in design.settings}  # diff, equiv, decided
    out = []
    for k, n_k in enumerate(design.looks):
        open_ = {s: ~state[s][2] for s in design.settings}
        if not any(o.any() for o in open_.values()):
            break
        if not all(_complete(groups[s], open_[s], n_k) for s in design.settings):
            break
        for s in design.settings:
            base, levels = groups[s]
            tests = [
                _contrast(levels[i], base, n_k, paired, design) if open_[s][i] else {}
                for i in range(m)
            ]
            p_d = np.array([[t.get("p_diff", np.nan) for t in tests]])
            p_e = np.array([[t.get("p_equiv", np.nan) for t in tests]])
            diff, left_d = holm_look(p_d, open_[s][None], state[s][0][None], nominal[2][k])
            equiv, left_e = holm_look(p_e, open_[s][None], state[s][1][None], nominal[1][k])
            new_d, new_e = diff[0] & ~state[s][0], equiv[0] & ~state[s][1]
            state[s][0], state[s][1] = diff[0], equiv[0]
            state[s][2] |= new_d | new_e
            j_d, j_e = max(int(left_d[0]), 1), max(int(left_e[0]), 1)
            for i in np.flatnonzero(open_[s]):
                t = tests[i]
                outcome, negligible = decide(
                    0.0 if new_d[i] else 1.0, 0.0 if new_e[i] else 1.0, t["diff"], 0.5, higher
                )
                out.append({
                    "look": k + 1, "seeds": n_k, "fraction": design.fractions[k], "setting": s,
                    "level": design.levels[i], "n": t["n"], "n_baseline": t["n_baseline"],
                    "mean": t["mean"], "baseline_mean": t["baseline_mean"], "diff": t["diff"],
                    "p_diff": t["p_diff"], "p_equiv": t["p_equiv"],
                    "z_diff": np.sign(t["diff"]) * stats.norm.isf(t["p_diff"] / 2),
                    "z_equiv": stats.norm.isf(t["p_equiv"]),
                    "alpha_diff": design.alpha / j_d, "alpha_equiv": design.alpha / j_e,
                    "bound_diff": stats.norm.isf(nominal[2][k][j_d] / 2),
                    "bound_equiv": stats.norm.isf(nominal[1][k][j_e]),
                    "nominal_diff": nominal[2][k][j_d], "nominal_equiv": nominal[1][k][j_e],
                    "different": bool(new_d[i]), "equivalent": bool(new_e[i]),
                    "label": LABELS[outcome], "negligible": negligible,
                    "decided": bool(new_d[i] or new_e[i]),
                })  # fmt: skip
    frame = pd.DataFrame(out, columns=DECISION_COLUMNS[:-6])
    return frame.assign(
        alpha=design.alpha, margin=design.margin, spending=design.spending, paired=paired,
        metric=design.metric, condition=design.condition,
    )[list(DECISION_COLUMNS)]  # fmt: skip


#: Columns of :func:`sequential_decisions`.
DECISION_COLUMNS = (
    "look", "seeds", "fraction", "setting", "level", "n", "n_baseline", "mean", "baseline_mean",
    "diff", "p_diff", "p_equiv", "z_diff", "z_equiv", "alpha_diff", "alpha_equiv", "bound_diff",
    "bound_equiv", "nominal_diff", "nominal_equiv", "different", "equivalent", "label",
    "negligible", "decided", "alpha", "margin", "spending", "paired", "metric", "condition",
)  # fmt: skip


def _groups(rows: pd.DataFrame, setting: str, levels: tuple[float, ...]):
    """The baseline's rows and each design level's rows (``seed``, ``value``) of one setting."""
    if setting not in set(rows["setting"]):
        raise ConfigError(f"the table has no rows of setting '{setting}' that the design names.")
    lv = level_rows(rows, setting)
    return baseline_rows(rows, setting), [lv[np.isclose(lv["level"], x)] for x in levels]


def _complete(groups, open_: np.ndarray, n: int) -> bool:
    """Whether the baseline and every open level hold all of seed indices ``0 … n − 1``."""
    base, levels = groups
    need = set(range(n))
    frames = [base] + [levels[i] for i in np.flatnonzero(open_)]
    return all(need <= set(f["seed"].astype(int)) for f in frames)


def _contrast(group, base, n: int, paired: bool, design: SequentialDesign) -> dict:
    """The engine's contrast of one level with the baseline on seed indices below ``n``."""
    a, b = group[group["seed"] < n], base[base["seed"] < n]
    if paired:
        x, y, _ = pair_by_seed(a, b, "a look")
    else:
        x, y = a["value"].to_numpy(float), b["value"].to_numpy(float)
    return contrast(x, y, paired=paired, alpha=design.alpha, margin=design.margin)


def sequential_summary(decisions: pd.DataFrame, design: SequentialDesign) -> pd.DataFrame:
    """Where each level of a sequential design stands: its label, and the seeds it used.

    Parameters
    ----------
    decisions : pandas.DataFrame
        :func:`sequential_decisions`.
    design : SequentialDesign

    Returns
    -------
    pandas.DataFrame
        One row per (setting, level): ``setting``, ``level``, ``label``, ``negligible``,
        ``decided_at`` (look number, NA while undecided), ``seeds`` (seeds of this level the
        decisions used), ``status`` (``decided``, ``open`` or ``inconclusive`` once the last look
        is done), ``next_seeds`` (the seed count of the next look for an open level, else NA),
        ``max_seeds``.
    """
    out = []
    for s in design.settings:
        for lv in design.levels:
            rows = decisions[(decisions["setting"] == s) & np.isclose(decisions["level"], lv)]
            last = rows.iloc[-1] if len(rows) else None
            decided = last is not None and bool(last["decided"])
            looked = 0 if last is None else int(last["look"])
            final = decided or looked == len(design.looks)
            out.append({
                "setting": s, "level": lv,
                "label": "inconclusive" if last is None else last["label"],
                "negligible": bool(last is not None and last["negligible"]),
                "decided_at": looked if decided else pd.NA,
                "seeds": 0 if last is None else int(last["seeds"]),
                "status": "decided" if decided else ("inconclusive" if final else "open"),
                "next_seeds": pd.NA if final else design.looks[looked],
                "max_seeds": design.looks[-1],
            })  # fmt: skip
    frame = pd.DataFrame(out)
    return frame.astype({"decided_at": "Int64", "next_seeds": "Int64"})


@dataclass(frozen=True)
class SequentialRecord:
    """A sequential design with its decisions so far: what the report's section shows.

    Attributes
    ----------
    design : SequentialDesign
    decisions : pandas.DataFrame
        :func:`sequential_decisions`.
    runs_used : int
        Runs the looks evaluated so far needed.
    runs_fixed : int
        Runs of the fixed design with the same maximum (every level at every seed).
    """

    design: SequentialDesign
    decisions: pd.DataFrame
    runs_used: int
    runs_fixed: int

    @property
    def summary(self) -> pd.DataFrame:
        """:func:`sequential_summary` of the decisions."""
        return sequential_summary(self.decisions, self.design)
