"""Calibration of the labelling procedure by simulation (not a unit test; takes minutes).

Prints, for simulated studies with 7 levels whose true accuracy equals the baseline's:

1. the family-wise rate of false NCL/PCL labels (any level, negligible ones included), the rate
   of NeCL and of inconclusive labels, and the coverage of the 95 % CI of the difference, at
   n = 5 and n = 10 seeds, unpaired (Welch) and paired (shared seed effect);
2. TOST power per level at δ = .02, SD .015, α/7, simulated vs predicted by
   :func:`analysis.power.tost_power`, at n = 5, 10, 15;
3. with ``--optimum``, instead: the coverage of the 95 % optimal-level interval of
   :func:`analysis.optimum.optimal_level` (with its Monte Carlo SE and mean width) on studies
   whose true curve is Emax with a linear decline (the shape fitted to the authors' IEMOCAP
   accuracies, optimum 0.878 on the paper's 7 levels, seed SD .015), at n = 5 and 10 seeds,
   fitting the right shape and choosing the shape by AICc.

Usage: ``python scripts/calibrate.py [--sims 2000] [--seed 0]`` or
``python scripts/calibrate.py --optimum [--sims 200] [--boot 1000] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.optimum import optimal_level
from analysis.power import tost_power
from analysis.simulate import PAPER_LEVELS, null_table, simulate_labels


def true_curve(x: np.ndarray) -> np.ndarray:
    """Emax with a linear decline as fitted to the authors' IEMOCAP accuracies."""
    e0, emax, ed50, b = 0.27590166, 0.47934253, 0.56598722, -0.13015827
    return e0 + emax * x / (ed50 + x) + b * x


def _null_rows(sims: int, seed: int) -> list[str]:
    lines = [
        "| n | design | data sets | FWER false NCL/PCL | NeCL per level | inconclusive per level "
        "| 95 % CI coverage |",
        "|---|---|---|---|---|---|---|",
    ]
    for n in (5, 10):
        for paired in (False, True):
            res = simulate_labels(
                sims, n, sd=0.015, paired=paired, seed_sd=0.01 if paired else 0.0, seed=seed
            )
            false = res["label"].isin(["NCL", "PCL"]).groupby(res["sim"]).any().mean()
            lines.append(
                f"| {n} | {'paired t' if paired else 'Welch'} | {sims} | {false:.3f} | "
                f"{(res['label'] == 'NeCL').mean():.3f} | "
                f"{(res['label'] == 'inconclusive').mean():.3f} | {res['covered'].mean():.3f} |"
            )
    return lines


def _tost_rows(sims: int, seed: int) -> list[str]:
    alpha = 0.05 / 7
    lines = [
        "| n | TOST pass rate at α/7, simulated (Welch) | predicted (exact, pooled t) |",
        "|---|---|---|",
    ]
    for n in (5, 10, 15):
        res = simulate_labels(sims, n, levels=(0.5,), sd=0.015, seed=seed + n)
        sim = float(np.mean(res["p_equiv"] < alpha))
        pred = tost_power(n, 0.015, 0.02, alpha=alpha)
        lines.append(f"| {n} | {sim:.3f} | {pred:.3f} |")
    return lines


def _optimum_rows(sims: int, seed: int, n_boot: int) -> list[str]:
    levels = np.asarray(PAPER_LEVELS)
    fine = np.linspace(levels.min(), levels.max(), 95_001)
    truth = float(fine[np.argmax(true_curve(fine))])
    lines = [
        f"True optimum {truth:.3f}; {n_boot} bootstrap replicates per study.\n",
        "| seeds | shape | studies | coverage ± MC SE | mean width | studies without interval |",
        "|---|---|---|---|---|---|",
    ]
    for n in (5, 10):
        for model in ("emax_decline", "best"):
            rng = np.random.default_rng(seed + n)
            covered, width = [], []
            for i in range(sims):
                table = null_table(n, levels, 0.015, baseline=0.0,
                                   shift=true_curve(levels), rng=rng)  # fmt: skip
                row = optimal_level(table, model=model, n_boot=n_boot, seed=seed + i).iloc[0]
                covered.append(row["opt_low"] <= truth <= row["opt_high"])
                width.append(row["opt_high"] - row["opt_low"])
            # a study whose refits never converged has no interval: it counts as not covering
            c = float(np.mean(covered))
            none = int(np.sum(np.isnan(width)))
            shown = "right shape (Emax with decline)" if model != "best" else "chosen by AICc"
            lines.append(f"| {n} | {shown} | {sims} | {c:.3f} ± {np.sqrt(c * (1 - c) / sims):.3f} "
                         f"| {np.nanmean(width):.3f} | {none} |")  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000, help="simulated studies per cell")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generators")
    parser.add_argument(
        "--optimum",
        action="store_true",
        help="check the coverage of the optimal-level interval instead",
    )
    parser.add_argument("--boot", type=int, default=1000,
                        help="bootstrap replicates per study (--optimum)")  # fmt: skip
    args = parser.parse_args()
    start = time.time()
    if args.optimum:
        print("Optimal-level interval, 95 %, true curve Emax with decline, seed SD .015:\n")
        print("\n".join(_optimum_rows(args.sims, args.seed, args.boot)))
        print(f"\n({time.time() - start:.0f} s)")
        return
    print(f"Null: 7 levels equal to the baseline, seed SD .015, δ = .02, α = .05, Holm, "
          f"seed {args.seed}.\n")  # fmt: skip
    print("\n".join(_null_rows(args.sims, args.seed)))
    print("\nTOST power, one level, true difference 0, SD .015, δ = .02:\n")
    print("\n".join(_tost_rows(args.sims, args.seed)))
    print(f"\n({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
