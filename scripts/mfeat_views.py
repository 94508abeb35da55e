"""Measure each mfeat view's single-view test accuracy with the study's MLP (to choose the primary).

For every view ``v`` the study's model and schedule are trained on ``v`` alone (the unimodal arm
with ``v`` as primary: the other views zero-filled) for several seed indices; the script also
reports every view together, and, for the weak views, the accuracy on that view alone of a model
trained on it plus the strong views without dropout (the co-learning test at level 0).

Usage::

    python scripts/mfeat_views.py --seeds 5 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace

import numpy as np


def _study_for(study, primary: str, dropped: tuple[str, ...]):
    data = replace(study.data, primary=primary, dropped=dropped, dims={}, modalities=())
    return replace(study, data=data)


def measure(seeds: int = 5, study_name: str = "mfeat") -> dict:
    """Single-view, all-view and level-0 co-learning accuracies (mean and SD over seeds)."""
    import torch

    from repro.data.loaders.mfeat import VIEWS
    from repro.data.sources import load_data
    from repro.runs.study import load_study
    from repro.training.train import train

    torch.set_num_threads(1)
    study = load_study(study_name)
    views = list(VIEWS)
    out: dict = {"seeds": seeds, "single_view": {}, "all_views": None, "level0_primary": {}}

    def stats(values):
        return {
            "mean": float(np.mean(values)),
            "sd": float(np.std(values, ddof=1)),
            "n": len(values),
        }

    for v in views:
        st = _study_for(study, v, tuple(w for w in views if w != v))
        data = load_data(st)
        cfg = st.run_config()
        accs = [
            train(data, cfg, "unimodal", None, s).metrics["primary"]["accuracy"]
            for s in range(seeds)
        ]
        out["single_view"][v] = stats(accs)
        print(f"{v}: {np.mean(accs):.3f} ± {np.std(accs, ddof=1):.3f}", file=sys.stderr)
    ranked = sorted(views, key=lambda w: out["single_view"][w]["mean"])
    weak, strong = ranked[:2], ranked[-3:]
    out["weak"], out["strong"] = weak, strong
    # All views, and the level-0 co-learning test of each weak view with the strong views.
    st = _study_for(study, ranked[0], tuple(ranked[1:]))
    data = load_data(st)
    out["all_views"] = stats(
        [
            train(data, st.run_config(), "multimodal", 0.0, s).metrics["all"]["accuracy"]
            for s in range(seeds)
        ]
    )
    for w in weak:
        st = _study_for(study, w, tuple(strong))
        data = load_data(st)
        accs = [
            train(data, st.run_config(), "multimodal", 0.0, s).metrics["primary"]["accuracy"]
            for s in range(seeds)
        ]
        out["level0_primary"][w] = stats(accs)
        print(f"{w} + strong views, tested on {w}: {np.mean(accs):.3f}", file=sys.stderr)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seed indices per view (default 5)")
    parser.add_argument("--study", default="mfeat", help="study supplying model and schedule")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    res = measure(args.seeds, args.study)
    print(f"| view | dims | single-view test accuracy (mean ± SD, {res['seeds']} seeds) |")
    print("|---|---|---|")
    from repro.data.loaders.mfeat import VIEWS

    for v, s in res["single_view"].items():
        print(f"| {v} | {VIEWS[v]} | {s['mean']:.3f} ± {s['sd']:.3f} |")
    a = res["all_views"]
    print(f"| all six | {sum(VIEWS.values())} | {a['mean']:.3f} ± {a['sd']:.3f} |")
    print()
    for w, s in res["level0_primary"].items():
        base = res["single_view"][w]["mean"]
        print(
            f"{w} trained with {', '.join(res['strong'])} (no dropout), tested on {w} alone: "
            f"{s['mean']:.3f} ± {s['sd']:.3f} (trained on {w} alone: {base:.3f})"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(res, fh, indent=2)


if __name__ == "__main__":
    main()
