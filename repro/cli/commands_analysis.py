"""Commands that analyse results: ``analyze``, ``compare``, ``import-original``.

They import :mod:`analysis` inside the command functions and never import torch.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import typer

from repro.cli import options as opt
from repro.cli.app import app, err_console, out_console, print_json, print_table, print_warning

__all__ = ["analyze_cmd", "compare_cmd", "import_original_cmd"]

_LABEL_STYLE = {
    "NCL": "red",
    "worse": "red",
    "PCL": "green",
    "better": "green",
    "NeCL": "cyan",
    "equivalent": "cyan",
    "inconclusive": "yellow",
}


def _fmt(value, digits: int = 3, signed: bool = False) -> str:
    if value is None or value != value:
        return "–"
    if isinstance(value, float):
        sign = "+" if signed else ""
        if abs(value) < 1e-3 and value != 0:
            return f"{value:{sign}.{digits}g}"
        return f"{value:{sign}.{digits}f}"
    return str(value)


def _ci(low, high) -> str:
    return f"[{_fmt(low, signed=True)}, {_fmt(high, signed=True)}]"


def _label(label: str, negligible: bool) -> str:
    style = _LABEL_STYLE.get(label, "white")
    return f"[{style}]{label}{' (negligible)' if negligible else ''}[/{style}]"


def _print_levels(result, wide: bool = False) -> None:
    s = result.settings
    title = (
        f"{s['metric']} ({s['condition']}), α = {s['alpha']}, δ = ±{s['margin']}, "
        f"{'paired t' if s['paired'] else 'Welch t'}, Holm over levels"
    )
    levels = result.levels()
    multi = levels["setting"].nunique() > 1
    # (name, rank): rank 0 always shows; the highest ranks go first in a narrow terminal.
    columns = [("setting", 0)] * multi + [
        ("level", 0), ("n", 3), ("mean", 2), ("baseline", 2), ("diff", 0), ("CI", 1),
        ("p", 4), ("Holm p", 1), ("TOST Holm p", 1), ("perm p (min)", 5), ("label", 0),
        ("seeds to settle", 3),
    ]  # fmt: skip
    rows = [
        [r["setting"]] * multi + [
            f"{r['level']:g}", str(r["n"]), _fmt(r["mean"]), _fmt(r["baseline_mean"]),
            _fmt(r["diff"], signed=True), _ci(r["ci_low"], r["ci_high"]),
            _fmt(r["p_diff"]), _fmt(r["p_diff_adj"]), _fmt(r["p_equiv_adj"]),
            f"{_fmt(r['p_perm'])} ({_fmt(r['p_perm_min'])})", _label(r["label"], r["negligible"]),
            "" if r["seeds_needed"] is None or r["seeds_needed"] != r["seeds_needed"]
            else str(r["seeds_needed"]),
        ]
        for r in levels.to_dict(orient="records")
    ]  # fmt: skip
    print_table(title, columns, rows, wide)


def _print_dose(result) -> None:
    if result.fits is None and result.dose_note != "not requested":
        out_console().print(f"dose-response not fitted: {result.dose_note}", highlight=False)
    for d in result.dose_summary():
        ranked = sorted((m for m in d["models"] if m["converged"]), key=lambda m: m["aicc"])
        fits = ", ".join(
            f"{m['model']} (w {m['weight']:.2f}, lack-of-fit p {_fmt(m['p_lof'])})" for m in ranked
        )
        out_console().print(
            f"[bold]dose-response[/bold] ({d['setting']}): best {d['best_model']}; {fits}.\n"
            f"  optimum {d['opt_level']:.3g}, argmax interval [{d['opt_low']:.3g}, "
            f"{d['opt_high']:.3g}]; within ±{d['margin']} of the optimum over "
            f"[{d['near_low']:.3g}, {d['near_high']:.3g}]; inverted-U mode {d['isotonic_mode']}; "
            f"levels not worse than the best: {', '.join(f'{v:g}' for v in d['levels_not_worse'])}"
            f"; any dose effect: ANOVA p = {_fmt(d['p_anova'])}, Welch p = {_fmt(d['p_welch'])} "
            f"({d['n_boot']} cluster-bootstrap replicates, seed {d['seed']}).",
            highlight=False,
        )


@app.command("analyze")
def analyze_cmd(
    source: str = opt.SOURCE,
    metric: str | None = opt.METRIC,
    condition: str = opt.CONDITION,
    alpha: float | None = opt.ALPHA,
    margin: float | None = opt.MARGIN,
    paired: bool | None = opt.PAIRED,
    n_boot: int = opt.BOOT,
    seed: int = opt.SEED,
    no_dose: bool = typer.Option(False, "--no-dose", help="Skip the dose-response fits."),
    store: Path | None = opt.STORE,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    wide: bool = opt.WIDE,
    out: Path | None = typer.Option(
        None, "--out", help="Write the per-level table (.csv/.parquet)."
    ),
) -> None:
    """Label every dropout level against the unimodal baseline (NCL / NeCL / PCL / inconclusive).

    Example: colearn analyze results.csv --metric accuracy --unpaired --json
    """
    from analysis.study_analysis import analyze
    from colearn.files import write_atomic
    from repro.reporting import resolve_results
    from repro.runs.sequential import record_dict, replayed_record

    res = resolve_results(source, store)
    sequential = replayed_record(res.study, res.store)
    result = analyze(
        res.table, condition=condition, paired=paired, dose_response=not no_dose,
        n_boot=n_boot, seed=seed, reference=res.reference,
        **opt.analysis_settings(res.study, metric, alpha, margin),
    )  # fmt: skip
    if out is not None:
        levels = result.levels()
        if out.suffix.lower() == ".parquet":
            write_atomic(out, lambda tmp: levels.to_parquet(tmp, index=False))
        else:
            write_atomic(out, lambda tmp: levels.to_csv(tmp, index=False))
    if as_json:
        doc = result.to_json()
        if sequential is not None:  # the store holds a sequential design: its decisions too
            doc["sequential"] = record_dict(sequential)
        print_json(doc)
    else:
        _print_levels(result, wide)
        _print_dose(result)
        if sequential is not None:
            from repro.cli.commands_sweep import print_sequential

            print_sequential(sequential)
    for message in result.warnings:
        print_warning(message)


@app.command("compare")
def compare_cmd(
    source: str = opt.SOURCE,
    a: str = typer.Option(..., "--a", help="A level (e.g. 0.8) or a setting name."),
    b: str = typer.Option(
        "best", "--b", help="A level, a setting name, or 'best' (every level vs the best one)."
    ),
    setting: str | None = typer.Option(
        None, "--setting", help="Setting of the levels compared. Default: the reference setting."
    ),
    metric: str | None = opt.METRIC,
    condition: str = opt.CONDITION,
    alpha: float | None = opt.ALPHA,
    margin: float | None = opt.MARGIN,
    paired: bool | None = opt.PAIRED,
    n_boot: int = opt.BOOT,
    seed: int = opt.SEED,
    store: Path | None = opt.STORE,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    wide: bool = opt.WIDE,
) -> None:
    """Compare two levels, two settings level by level, or every level with the best one.

    Comparing two settings also prints each setting's dose-response summary: the mean metric over
    the swept levels (area under the curve) and the best level with its bootstrap interval.

    Example: colearn compare results.csv --a 0.8 --b 0.9
    """
    from analysis.settings import compare_by_name, summarize_settings
    from repro.reporting import resolve_results

    res = resolve_results(source, store)
    data = res.table
    chosen = opt.analysis_settings(res.study, metric, alpha, margin)
    metric, alpha, margin = chosen["metric"], chosen["alpha"], chosen["margin"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # printed below, once each
        result = compare_by_name(
            data, a, b, condition=condition, setting=setting or res.reference, paired=paired,
            **chosen,
        )  # fmt: skip
    summary = None
    if (result["setting_a"] != result["setting_b"]).any():
        both = data[data["setting"].isin([a, b])]
        summary = summarize_settings(
            both, metric, condition, n_boot=n_boot, seed=seed, alpha=alpha,
            higher_is_better=chosen["higher_is_better"],
        )  # fmt: skip
    if as_json:
        doc = {"metric": metric, "alpha": alpha, "margin": margin,
               "comparisons": result.to_dict(orient="records")}  # fmt: skip
        if summary is not None:
            doc["settings_summary"] = summary.to_dict(orient="records")
        print_json(doc)
    else:
        test = result["test"].iloc[0] if len(result) else ""
        columns = [("a", 0), ("b", 0), ("n", 3), ("mean a", 2), ("mean b", 2), ("diff", 0),
                   ("CI", 1), ("Holm p", 1), ("TOST Holm p", 1), ("label", 0)]  # fmt: skip
        rows = [
            [f"{r['setting_a']} {r['level_a']:g}", f"{r['setting_b']} {r['level_b']:g}",
             f"{r['n']}/{r['n_baseline']}", _fmt(r["mean"]), _fmt(r["baseline_mean"]),
             _fmt(r["diff"], signed=True), _ci(r["ci_low"], r["ci_high"]),
             _fmt(r["p_diff_adj"]), _fmt(r["p_equiv_adj"]), _label(r["label"], r["negligible"])]
            for r in result.to_dict(orient="records")
        ]  # fmt: skip
        print_table(
            f"{metric} ({condition}), {test}, α = {alpha}, δ = ±{margin}, Holm", columns, rows, wide
        )
        if summary is not None:
            _print_settings_summary(summary)
    for message in result.attrs.get("warnings", []):
        print_warning(message)


def _print_settings_summary(summary) -> None:
    from rich.table import Table

    table = Table(title="dose-response per setting (mean over the swept levels = area under curve)")
    for col in ("setting", "levels", "seeds", "mean over levels [CI]", "best level [interval]",
                "P(best)"):  # fmt: skip
        table.add_column(col)
    for r in summary.to_dict(orient="records"):
        table.add_row(
            r["setting"], str(r["n_levels"]), str(r["n_seeds"]),
            f"{_fmt(r['auc'])} [{_fmt(r['auc_ci_low'])}, {_fmt(r['auc_ci_high'])}]",
            f"{r['best_level']:g} [{r['best_low']:g}, {r['best_high']:g}]", _fmt(r["p_best"]),
        )  # fmt: skip
    out_console().print(table)


@app.command("import-original")
def import_original_cmd(
    directory: Path = typer.Argument(
        ..., metavar="DIR", help="Folder with the authors' per-seed result files."
    ),
    out: Path = typer.Option(..., "--out", help="Tidy table to write (.csv or .parquet)."),
    study: str | None = typer.Option(None, "--study", help="Study name (default: folder name)."),
) -> None:
    """Import the authors' released per-seed results into a tidy table.

    Example: colearn import-original original-iemocap --out iemocap.csv
    """
    import shutil

    from analysis.original import confusion_sidecar, import_original
    from analysis.tidy import write_table
    from colearn.files import write_atomic

    table = import_original(directory, study=study)
    write_table(table, out)
    cm_file = Path(directory) / "cm_res.npy"
    if cm_file.is_file():
        # Figure 4's matrices do not fit the tidy table; keep them beside it for the report.
        write_atomic(confusion_sidecar(out), lambda tmp: shutil.copyfile(cm_file, tmp))
        err_console.print(f"copied {cm_file.name} to {confusion_sidecar(out)}", highlight=False)
    means = table.groupby(["metric", "level"], dropna=False)["value"].mean().unstack(0)
    err_console.print(
        f"wrote {out}: {len(table)} rows, {table['seed'].nunique()} seeds, metrics "
        f"{', '.join(sorted(table['metric'].unique()))} (paired = false).",
        highlight=False,
    )
    err_console.print(
        means.round(3).rename(index=lambda v: "baseline" if v != v else v).to_string()
    )
