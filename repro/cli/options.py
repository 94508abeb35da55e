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
    "EPOCHS",
    "WIDE",
    "UNTIL_DECIDED",
    "MAX_SEEDS",
    "LOOKS",
    "SPENDING",
    "analysis_settings",
    "sequential_design",
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
WIDE = typer.Option(
    False, "--wide", help="Show every column of the table, however wide the terminal."
)
EPOCHS = typer.Option(
    None,
    "--epochs",
    help="Train every setting this many epochs, for a quick look. Part of the run configuration: "
    "the runs are new ones (other ids), never mixed with the study's, and reports say so.",
)
UNTIL_DECIDED = typer.Option(
    False,
    "--until-decided",
    help="Sequential design: add seeds look by look, only to levels still undecided "
    "(α-spending boundaries, group-sequential Holm over levels).",
)
MAX_SEEDS = typer.Option(
    None, "--max-seeds", help="With --until-decided: most seeds per arm (default 40)."
)
LOOKS = typer.Option(
    None,
    "--looks",
    help="With --until-decided: seed counts of the looks, capped at --max-seeds (default "
    "5,10,20,40).",
)
SPENDING = typer.Option(
    None,
    "--spending",
    help="With --until-decided: α-spending, obf (O'Brien–Fleming-type, default) or pocock.",
)


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


def sequential_design(
    study,
    until_decided: bool,
    max_seeds: int | None,
    looks: str | None,
    spending: str | None,
    seeds: int | None,
):
    """The sequential design the command line asks for, or None; every flag checked first.

    Raises
    ------
    ConfigError
        One sentence for a flag that does not fit: sequential flags without
        ``--until-decided``, ``--seeds`` with it, looks that are not increasing seed counts of
        at least 2, a maximum below the first look, an unknown spending function.
    """
    from analysis.sequential import DEFAULT_LOOKS, MAX_SEEDS, SPENDING
    from colearn.errors import ConfigError
    from repro.runs.sequential import make_design

    if not until_decided:
        if max_seeds is not None or looks is not None or spending is not None:
            raise ConfigError(
                "--max-seeds, --looks and --spending apply only with --until-decided."
            )
        return None
    if seeds is not None:
        raise ConfigError(
            "--seeds fixes the number of seeds; with --until-decided give --max-seeds instead."
        )
    if looks is None:
        schedule = DEFAULT_LOOKS
    else:
        try:
            schedule = tuple(int(x) for x in looks.split(",") if x.strip())
        except ValueError:
            schedule = ()
        if not schedule or min(schedule) < 2:
            raise ConfigError(
                f"--looks '{looks}' is not a comma list of seed counts of at least 2, e.g. "
                "5,10,20,40."
            )
        if any(b <= a for a, b in zip(schedule, schedule[1:], strict=False)):
            raise ConfigError(f"--looks '{looks}' must increase, e.g. 5,10,20,40.")
    if max_seeds is None:
        max_seeds = schedule[-1] if looks is not None else 40
    if not schedule[0] <= max_seeds <= MAX_SEEDS:
        raise ConfigError(
            f"--max-seeds {max_seeds} must lie between the first look ({schedule[0]} seeds) "
            f"and {MAX_SEEDS}."
        )
    if spending is not None and spending not in SPENDING:
        raise ConfigError(f"--spending '{spending}' is not known; choose obf or pocock.")
    return make_design(study, max_seeds, schedule, spending or "obf")
