"""Calibration of the sequential design by simulation (not a unit test; about a minute).

Simulates paired studies with 7 levels and a shared baseline (seed SD .015 per arm, so per-seed
differences have SD ≈ .021 and correlation .5 between levels), δ = .02, α = .05, looks at 5, 10,
20 and 40 seeds, and runs the sequential design of :mod:`analysis.sequential` (the same
boundaries and the same group-sequential Holm step, :func:`analysis.sequential.holm_look`) next
to the fixed design with 40 seeds (Holm at the end) and the naive practice of testing again after
adding seeds (fixed-sample Holm at every look, stop when decided).  Prints, per scenario and
design, with Monte-Carlo standard errors:

- the family-wise rate of false NCL/PCL labels (a level whose true difference is 0 declared
  different, at any look; negligible ones included);
- the family-wise rate of false equivalence (a level whose true |difference| is at least δ
  declared equivalent: NeCL, or the negligible flag);
- power (share of levels with the right label: NeCL where the difference is 0, the right-signed
  NCL/PCL where it is at least δ) and the mean number of runs against the fixed design's 320.

It checks the targets (false NCL/PCL ≤ 5 % under the global null, false NeCL ≤ 5 % at a true
difference of exactly δ, within 2 Monte-Carlo SE) and writes a Markdown table and figures.

Usage: ``python scripts/calibrate_sequential.py [--sims 10000] [--seed 0] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from analysis.sequential import SequentialDesign, holm_look
from colearn.files import atomic_path, write_text_atomic

ALPHA, MARGIN, SD, LOOKS, M = 0.05, 0.02, 0.015, (5, 10, 20, 40), 7

#: Scenarios: name → true difference of each of the 7 levels from the baseline.
SCENARIOS = {
    "global null (all 0)": (0.0,) * M,
    "all at δ (+.02)": (MARGIN,) * M,
    "mixed": (-0.10, -0.03, 0.0, 0.0, MARGIN, -MARGIN, 0.0),
    "all different (+.03)": (0.03,) * M,
}


def paired_pvalues(d: np.ndarray, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Paired t and TOST p-values over the seed axis (axis 1) of per-seed differences.

    Equal to :func:`analysis.contrast.contrast` (``ttest_rel``, ``ttost_paired``) on the same
    values; vectorised over replications and levels.
    """
    n = d.shape[1]
    mean = d.mean(axis=1)
    se = d.std(axis=1, ddof=1) / np.sqrt(n)
    p_diff = 2 * stats.t.sf(np.abs(mean / se), n - 1)
    p_low = stats.t.sf((mean + margin) / se, n - 1)  # H0: difference ≤ −δ
    p_high = stats.t.cdf((mean - margin) / se, n - 1)  # H0: difference ≥ δ
    return p_diff, np.maximum(p_low, p_high)


@dataclass
class Outcome:
    """Per replication and level: rejected difference / equivalence, and seeds used."""

    different: np.ndarray
    equivalent: np.ndarray
    sign: np.ndarray
    runs: np.ndarray


def simulate(effects, sims: int, seed: int) -> np.ndarray:
    """Per-seed paired differences, shape (sims, 40, levels): level noise − baseline noise."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, SD, size=(sims, LOOKS[-1], M + 1))
    return np.asarray(effects) + noise[:, :, 1:] - noise[:, :, :1]


def run_design(d: np.ndarray, how: str, spending: str = "obf") -> Outcome:
    """Apply a design to simulated differences: ``sequential``, ``fixed`` or ``naive``."""
    sims = d.shape[0]
    looks = (LOOKS[-1],) if how == "fixed" else LOOKS
    design = SequentialDesign(looks=looks, levels=tuple(range(M)), spending=spending)
    if how == "sequential":
        thr_d, thr_e = design.nominal_levels(2), design.nominal_levels(1)
    else:  # fixed-sample Holm at every look: α / j, no spending
        plain = np.concatenate([[0.0], ALPHA / np.arange(1, M + 1)])
        thr_d = thr_e = np.tile(plain, (len(looks), 1))
    diff = np.zeros((sims, M), bool)
    equiv = np.zeros((sims, M), bool)
    decided = np.zeros((sims, M), bool)
    sign = np.zeros((sims, M))
    seeds = np.zeros((sims, M), int)
    baseline = np.zeros(sims, int)
    for k, n in enumerate(looks):
        open_ = ~decided
        baseline = np.where(open_.any(axis=1), n, baseline)
        seeds = np.where(open_, n, seeds)
        p_d, p_e = paired_pvalues(d[:, :n], MARGIN)
        new_diff, _ = holm_look(p_d, open_, diff, thr_d[k])
        new_equiv, _ = holm_look(p_e, open_, equiv, thr_e[k])
        now = (new_diff & ~diff) | (new_equiv & ~equiv)
        sign = np.where(now, np.sign(d[:, :n].mean(axis=1)), sign)
        diff, equiv, decided = new_diff, new_equiv, decided | now
    return Outcome(diff, equiv, sign, seeds.sum(axis=1) + baseline)


def summarise(effects, out: Outcome) -> dict:
    """Family-wise error rates, power and runs of one design in one scenario."""
    effects = np.asarray(effects)
    null_diff = effects == 0
    null_equiv = np.abs(effects) >= MARGIN - 1e-12
    false_diff = (out.different & null_diff).any(axis=1)
    false_equiv = (out.equivalent & null_equiv).any(axis=1)
    right = np.where(
        null_diff, out.equivalent & ~out.different,
        out.different & (out.sign == np.sign(effects)),
    )  # fmt: skip
    judged = null_diff | null_equiv
    sims = len(out.runs)

    def rate(x):
        p = float(np.mean(x))
        return p, float(np.sqrt(p * (1 - p) / sims))

    return {
        "false_diff": rate(false_diff) if null_diff.any() else None,
        "false_equiv": rate(false_equiv) if null_equiv.any() else None,
        "power": float(right[:, judged].mean()),
        "runs": float(out.runs.mean()),
        "runs_se": float(out.runs.std(ddof=1) / np.sqrt(sims)),
    }


DESIGNS = (
    ("sequential, O'Brien–Fleming", "sequential", "obf"),
    ("sequential, Pocock", "sequential", "pocock"),
    ("fixed, 40 seeds", "fixed", "obf"),
    ("naive re-testing at each look", "naive", "obf"),
)


def _fmt(r) -> str:
    return "–" if r is None else f"{r[0]:.4f} ± {r[1]:.4f}"


def calibrate(sims: int, seed: int) -> tuple[list[dict], list[str]]:
    """Run every scenario and design; return the results and the Markdown table's lines."""
    results = []
    lines = [
        "| scenario | design | FWER false NCL/PCL | FWER false NeCL | power | mean runs (of 320) |",
        "|---|---|---|---|---|---|",
    ]
    for i, (name, effects) in enumerate(SCENARIOS.items()):
        d = simulate(effects, sims, seed + i)
        for label, how, spending in DESIGNS:
            s = summarise(effects, run_design(d, how, spending))
            results.append({"scenario": name, "design": label, **s})
            lines.append(
                f"| {name} | {label} | {_fmt(s['false_diff'])} | {_fmt(s['false_equiv'])} | "
                f"{s['power']:.3f} | {s['runs']:.1f} ± {s['runs_se']:.1f} |"
            )
    return results, lines


def checks(results: list[dict]) -> list[tuple[str, bool]]:
    """The targets: each sequential design's false rates ≤ α within 2 Monte-Carlo SE."""
    out = []
    for r in results:
        if not r["design"].startswith("sequential"):
            continue
        for key, what in (("false_diff", "false NCL/PCL"), ("false_equiv", "false NeCL")):
            if r[key] is not None:
                p, se = r[key]
                out.append((f"{r['design']}, {r['scenario']}: {what} {p:.4f} ≤ {ALPHA} "
                            f"(+2 SE {2 * se:.4f})", p <= ALPHA + 2 * se))  # fmt: skip
    return out


def figures(results: list[dict], out_dir: Path) -> list[Path]:
    """Error rates with ±2 SE per design and scenario; power against mean runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4), layout="constrained")
    designs = [d[0] for d in DESIGNS]
    for ax, key, title in ((axes[0], "false_diff", "false NCL/PCL (true difference 0)"),
                           (axes[1], "false_equiv", "false NeCL (true |difference| ≥ δ)")):  # fmt: skip
        rows = [r for r in results if r[key] is not None]
        scenarios = list(dict.fromkeys(r["scenario"] for r in rows))
        for j, design in enumerate(designs):
            xs, ys, es = [], [], []
            for i, sc in enumerate(scenarios):
                r = next(x for x in rows if x["scenario"] == sc and x["design"] == design)
                xs.append(i + (j - 1.5) * 0.18)
                ys.append(r[key][0])
                es.append(2 * r[key][1])
            ax.errorbar(xs, ys, yerr=es, fmt="o", capsize=3, label=design)
        ax.axhline(ALPHA, color="black", ls="--", lw=1, label="α = .05")
        ax.set_xticks(range(len(scenarios)), scenarios, fontsize=8)
        ax.set_ylabel("family-wise rate over all looks (±2 MC SE)")
        ax.set_title(title)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    paths = [_save(fig, out_dir / "sequential_error_rates.png")]
    fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
    markers = dict(zip(SCENARIOS, "osD^", strict=True))
    colors = dict(zip(designs, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for r in results:  # colour: design; marker: scenario (no lines: scenarios are not a series)
        ax.plot(r["runs"], r["power"], markers[r["scenario"]], color=colors[r["design"]], ms=7)
    for design in designs:
        ax.plot([], [], "s", color=colors[design], label=design)
    for scenario, marker in markers.items():
        ax.plot([], [], marker, color="grey", label=scenario)
    ax.set_xlabel("mean runs per study (fixed design: 320)")
    ax.set_ylabel("share of levels labelled correctly")
    ax.set_title("Power against seeds used")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    paths.append(_save(fig, out_dir / "sequential_power_runs.png"))
    return paths


def _save(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=130, metadata={"Software": None})
    plt.close(fig)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=10_000, help="replications per scenario")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator")
    parser.add_argument("--out", type=Path, default=Path("reports/sequential-calibration"))
    args = parser.parse_args()
    if args.sims < 100:
        parser.error(f"--sims {args.sims} is too few for a rate; give at least 100.")
    started = time.perf_counter()
    results, lines = calibrate(args.sims, args.seed)
    report = [f"{args.sims} replications per scenario, seed {args.seed}; looks {LOOKS}, "
              f"δ = {MARGIN}, α = {ALPHA}, seed SD {SD} per arm, {M} levels.", "", *lines]  # fmt: skip
    ok = checks(results)
    report += ["", *(f"- {'PASS' if good else 'FAIL'}: {text}" for text, good in ok)]
    text = "\n".join(report) + "\n"
    print(text)
    write_text_atomic(args.out / "sequential_calibration.md", text)
    for path in figures(results, args.out):
        print(f"figure: {path}")
    print(f"{time.perf_counter() - started:.1f} s")
    if not all(good for _, good in ok):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
