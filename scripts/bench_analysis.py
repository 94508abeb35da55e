"""Time and peak memory of ``colearn analyze`` and ``colearn report`` against the number of seeds.

Builds synthetic tidy tables (seeds × 7 levels × 4 settings, paired by seed, every setting a
rise-then-decline dose-response around a baseline of .45, seed SD .015 plus a shared per-seed
effect of SD .01) and runs each command on each table in its own process, so that the wall time
includes start-up and the peak resident memory (the child's ``ru_maxrss``) belongs to that one
command.  Prints one Markdown table.

Usage: ``python scripts/bench_analysis.py [--seeds 10 100 1000] [--boot 2000] [--timeout 600]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.simulate import PAPER_LEVELS, null_table
from analysis.tidy import write_table

SETTINGS = ("shared-draw", "independent-draw", "per-step", "per-sample")


def _curve(levels: np.ndarray, scale: float) -> np.ndarray:
    """A rise then a decline (Emax with a linear decline), scaled per setting."""
    return scale * (0.3 * levels / (0.2 + levels) - 0.12 * levels) - 0.05


def synthetic_table(n_seeds: int, seed: int = 0) -> pd.DataFrame:
    """A paired tidy table with ``n_seeds`` seeds × 7 levels × 4 settings (plus baselines)."""
    rng = np.random.default_rng(seed)
    levels = np.asarray(PAPER_LEVELS)
    parts = []
    for i, name in enumerate(SETTINGS):
        t = null_table(n_seeds, levels, 0.015, shift=_curve(levels, 1 + 0.2 * i), paired=True,
                       seed_sd=0.01, rng=rng)  # fmt: skip
        parts.append(t.assign(setting=name, run_id=name + "-" + t["run_id"]))
    return pd.concat(parts, ignore_index=True)


def _run(args: list[str], timeout: float) -> tuple[float, float, int]:
    """Run one CLI command in a child process: (wall seconds, peak resident MB, exit code)."""
    code = "from repro.cli import main; main()"
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL, stderr=err
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0,) and wall < timeout:
            err.seek(0)
            sys.stderr.write(err.read().decode(errors="replace")[-2000:])
    # ru_maxrss is in kilobytes on Linux
    return wall, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--boot", type=int, default=2000, help="bootstrap replicates (--boot)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per command")
    args = parser.parse_args()
    print("| seeds | levels | settings | rows | command | time (s) | peak memory (MB) |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.seeds:
            table = synthetic_table(n)
            path = write_table(table, Path(tmp) / f"bench-{n}.csv")
            boot = ["--boot", str(args.boot)]
            commands = {
                "analyze": ["analyze", str(path), *boot],
                "report": ["report", str(path), "--out", str(Path(tmp) / f"report-{n}"), *boot],
            }
            for name, cli in commands.items():
                wall, peak, rc = _run(cli, args.timeout)
                shown = f"{wall:.1f}" if rc == 0 else f"> {args.timeout:.0f} (killed)"
                if rc != 0 and wall < args.timeout:
                    shown = f"failed (exit {rc})"
                print(f"| {n} | {len(PAPER_LEVELS)} | {len(SETTINGS)} | {len(table)} | {name} "
                      f"| {shown} | {peak:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
