"""Calibration of the labelling procedure by simulation (not a unit test; takes minutes).

Prints, for simulated studies with 7 levels whose true accuracy equals the baseline's:

1. the family-wise rate of false NCL/PCL labels (any level, negligible ones included), the rate
   of NeCL and of inconclusive labels, and the coverage of the 95 % CI of the difference, at
   n = 5 and n = 10 seeds, unpaired (Welch) and paired (shared seed effect);
2. TOST power per level at δ = .02, SD .015, α/7, simulated vs predicted by
   :func:`analysis.power.tost_power`, at n = 5, 10, 15.

Usage: ``python scripts/calibrate.py [--sims 2000] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from analysis.power import tost_power
from analysis.simulate import simulate_labels


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sims", type=int, default=2000, help="simulated studies per cell")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generators")
    args = parser.parse_args()
    start = time.time()
    print(f"Null: 7 levels equal to the baseline, seed SD .015, δ = .02, α = .05, Holm, "
          f"seed {args.seed}.\n")  # fmt: skip
    print("\n".join(_null_rows(args.sims, args.seed)))
    print("\nTOST power, one level, true difference 0, SD .015, δ = .02:\n")
    print("\n".join(_tost_rows(args.sims, args.seed)))
    print(f"\n({time.time() - start:.0f} s)")


if __name__ == "__main__":
    main()
