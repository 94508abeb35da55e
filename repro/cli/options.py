"""Options shared by the commands that analyse results, defined once so they read the same.

``analyze``, ``compare``, ``report``, ``figures`` and ``reproduce`` take the analysis settings;
a setting left out falls back to the study file's ``[analysis]`` table (for a study), else to the
documented default.
"""

from __future__ import annotations

import typer

__all__ = [
    "SOURCE",
    "STORE",
    "METRIC",
    "CONDITION",
    "ALPHA",
    "MARGIN",
    "PAIRED",
    "BOOT",
    "SEED",
    "analysis_settings",
]

SOURCE = typer.Argument(
    ...,
    metavar="STUDY|TABLE",
    help="Built-in study, study file, tidy table (.csv/.parquet) or results store (.sqlite).",
)
STORE = typer.Option(None, "--store", help="Results store. Default: results/<study name>.sqlite.")
METRIC = typer.Option(
    None, "--metric", help="Metric to analyse. Default: the study's, else accuracy."
)
CONDITION = typer.Option(
    "primary",
    "--condition",
    help="Test condition: primary (the primary modality alone), all, or a modality's name.",
)
ALPHA = typer.Option(None, "--alpha", help="Significance level. Default: the study's, else 0.05.")
MARGIN = typer.Option(
    None, "--margin", help="Equivalence margin δ (metric units). Default: the study's, else 0.02."
)
PAIRED = typer.Option(
    None, "--paired/--unpaired", help="Override the table's design flag.", show_default=False
)
BOOT = typer.Option(2000, "--n-boot", help="Cluster-bootstrap replicates.")
SEED = typer.Option(0, "--seed", help="Seed of the bootstrap generator.")


def analysis_settings(study, metric: str | None, alpha: float | None, margin: float | None) -> dict:
    """The analysis settings of a command: the command line's, else the study's, else defaults.

    Returns ``metric``, ``alpha``, ``margin`` and ``higher_is_better`` as keywords of
    :func:`analysis.analyze`.  Pairing is not taken from the study: the table's flag says how
    its runs were made.
    """
    spec = getattr(study, "analysis", None)
    return {
        "metric": metric or (spec.metric if spec else "accuracy"),
        "alpha": alpha if alpha is not None else (spec.alpha if spec else 0.05),
        "margin": margin if margin is not None else (spec.margin if spec else 0.02),
        "higher_is_better": spec.higher_is_better if spec else None,
    }
