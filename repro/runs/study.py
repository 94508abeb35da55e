"""Study files (TOML): what to train, how, over which levels and seeds, and which claims to check.

A study file has these tables (every key optional unless marked; unknown keys are errors)::

    [study]     name*, description, seed, seeds, levels, setting (name of the top-level
                configuration as a setting; "default" when absent)
    [data]      source* ("synthetic" | "file" | "mfeat" | your own, see below), preset, path,
                format, primary*, dropped*,
                modalities, [data.options] (generator or loader settings),
                [data.dims] (expected feature size per modality, checked on loading)
    [model]     kind* ("eflstm" | "mfn" | "mlp" | your own, see below), any model setting
                (hidden, layers, readout, ...)
    [training]  epochs, batch_size, lr, loss, plateau_patience, plateau_factor, early_stopping
    [protocol]  draw, granularity, selection, shuffle, drop_last
    [method]    name ("dropout" | "mla" | "ogm_ge" | "aug"), then the method's own settings
    [settings.NAME]  named variants: sub-tables protocol / model / training / method overriding the above;
                the top-level configuration is always a setting too (the reference of comparisons)
    [analysis]  metric, higher_is_better, alpha, margin, paired
    [[claims]]  id*, level*, metric*, paper_value, expected*, text

Every value is checked when the file is loaded: names that become file names (the study and
its settings) must be safe slugs, and every number has a range (epochs ≥ 1, batch size ≥ 2,
learning rate finite and > 0, α in (0, 0.5), margin finite and > 0, levels in [0, 1], at most
:data:`MAX_SEEDS` seed indices and :data:`MAX_RUNS` runs in the grid).

A study may bring its own model and data: ``[model] kind = "package.module:Class"`` and
``[data] source = "package.module:function"``, or the names of entry points that an installed
package declares in the groups ``colearn.models`` and ``colearn.sources`` (:mod:`colearn.plugins`).
Loading a study checks only the form of such a reference; the code is imported, and its contract
checked, before anything trains (:func:`repro.runs.execute.prepare`; the contracts are in
:mod:`repro.training.models` and :func:`repro.data.sources.load_data`).

See ``repro/studies/synthetic.toml`` for a commented example.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

from colearn.errors import ConfigError
from colearn.files import check_name
from colearn.plugins import MODEL_GROUP, SOURCE_GROUP, check_reference
from repro.training.config import (
    MODEL_KINDS,
    MethodSpec,
    ModelSpec,
    Protocol,
    RunConfig,
    TrainingSpec,
)

__all__ = [
    "DATA_SOURCES",
    "MAX_RUNS",
    "MAX_SEEDS",
    "AnalysisSpec",
    "Claim",
    "DataSpec",
    "Study",
    "builtin_studies",
    "load_study",
]

LABELS = ("NCL", "NeCL", "PCL", "inconclusive")
#: The built-in data sources of ``[data] source`` (a study may also name its own).
DATA_SOURCES = ("synthetic", "file", "mfeat")
#: Most seed indices a study may ask for (a grid of this many seeds builds in seconds).
MAX_SEEDS = 10_000
#: Most runs a study's grid may hold: settings × (levels + 1 baseline) × seeds.
MAX_RUNS = 200_000


@dataclass(frozen=True)
class DataSpec:
    source: str = "synthetic"
    preset: str = "quick"
    path: str = ""
    format: str = "auto"
    primary: str = "language"
    dropped: tuple[str, ...] = ("audio", "visual")
    modalities: tuple[str, ...] = ()
    options: dict = field(default_factory=dict)
    dims: dict = field(default_factory=dict)
    # Set only by the command line's --trust-pickle, never by a study file: a study file must not
    # be able to make colearn run the code a pickle names.
    trust_pickle: bool = False


@dataclass(frozen=True)
class AnalysisSpec:
    metric: str = "accuracy"
    higher_is_better: bool | None = None
    alpha: float = 0.05
    margin: float = 0.02
    paired: bool = True


@dataclass(frozen=True)
class Claim:
    id: str
    level: float
    metric: str
    expected: str
    paper_value: float | None = None
    text: str = ""


@dataclass(frozen=True)
class Study:
    name: str
    data: DataSpec
    model: ModelSpec
    training: TrainingSpec = TrainingSpec()
    protocol: Protocol = Protocol()
    analysis: AnalysisSpec = AnalysisSpec()
    description: str = ""
    seed: int = 0
    seeds: int = 10
    levels: tuple[float, ...] = (0.0, 0.15, 0.4, 0.6, 0.8, 0.9, 0.95)
    settings: dict = field(default_factory=dict)
    claims: tuple[Claim, ...] = ()
    source_file: str = ""
    reference: str = "default"
    # The study file's epochs when the command line's --epochs replaced them (reports say so).
    designed_epochs: int | None = None
    method: MethodSpec = MethodSpec()

    @property
    def setting_names(self) -> list[str]:
        """Names of the settings: the top-level configuration (:attr:`reference`) first, then
        each ``[settings.NAME]`` variant in file order."""
        return [self.reference, *self.settings]

    def run_config(self, setting: str | None = None) -> RunConfig:
        """The run configuration of one setting (its overrides applied to the study's tables);
        ``None`` is the reference setting."""
        setting = self.reference if setting is None else setting
        if setting not in self.setting_names:
            raise ConfigError(
                f"study '{self.name}' has no setting '{setting}'; valid: {', '.join(self.setting_names)}."
            )
        over = self.settings.get(setting, {})
        model = self.model
        if "model" in over:
            model = ModelSpec(model.kind, {**model.params, **over["model"]})
        return RunConfig(
            study_seed=self.seed,
            primary=self.data.primary,
            dropped=self.data.dropped,
            model=model,
            training=replace(self.training, **over.get("training", {})),
            protocol=replace(self.protocol, **over.get("protocol", {})),
            method=over.get("method", self.method),
        )

    def with_overrides(
        self,
        seeds: int | None = None,
        levels: list[float] | None = None,
        data_path: str | None = None,
        trust_pickle: bool = False,
        epochs: int | None = None,
    ) -> Study:
        """A copy with the command line's ``--seeds``, ``--levels``, ``--data``,
        ``--trust-pickle`` and ``--epochs`` applied (each checked as in a study file).

        ``epochs`` sets every setting's epochs (a quick look): it is part of the run
        configuration, so it changes the run ids and never mixes with runs of the study as
        designed.
        """
        study = self
        if epochs is not None:
            _check_range(epochs, "--epochs", "epochs", 1, 100_000)
            settings = {
                name: {**over, "training": {k: v for k, v in over.get("training", {}).items()
                                            if k != "epochs"}}
                for name, over in study.settings.items()
            }  # fmt: skip
            study = replace(
                study,
                training=replace(study.training, epochs=epochs),
                settings=settings,
                designed_epochs=study.designed_epochs or study.training.epochs,
            )
            _check_distinct_settings(study, f"with --epochs {epochs}")
        if seeds is not None:
            study = replace(study, seeds=_check_seeds(seeds, "--seeds"))
        if levels is not None:
            study = replace(study, levels=_check_levels(levels, "--levels"))
        if data_path is not None:
            study = replace(study, data=replace(study.data, path=str(data_path), source="file"))
        if trust_pickle:
            study = replace(study, data=replace(study.data, trust_pickle=True))
        _check_grid_size(study, "--seeds/--levels")
        return study

    def require_data(self) -> None:
        """Raise a clear error when the study needs a data file that is missing."""
        if self.data.source != "file":
            return
        if not self.data.path:
            raise ConfigError(
                f"study '{self.name}' trains on real data: pass its location with --data PATH."
            )
        if not Path(self.data.path).expanduser().exists():
            raise ConfigError(
                f"data path '{self.data.path}' of study '{self.name}' does not exist."
            )


# -- parsing -----------------------------------------------------------------------------------

_SCHEMA: dict[str, dict[str, tuple[type, ...]]] = {
    "data": {
        "source": (str,),
        "preset": (str,),
        "path": (str,),
        "format": (str,),
        "primary": (str,),
        "dropped": (list,),
        "modalities": (list,),
        "options": (dict,),
        "dims": (dict,),
    },
    "training": {
        "epochs": (int,),
        "batch_size": (int,),
        "lr": (float, int),
        "loss": (str,),
        "plateau_patience": (int,),
        "plateau_factor": (float, int),
        "early_stopping": (int,),
    },
    "protocol": {
        "draw": (str,),
        "granularity": (str,),
        "selection": (str,),
        "shuffle": (str,),
        "drop_last": (bool,),
    },
    "analysis": {
        "metric": (str,),
        "higher_is_better": (bool,),
        "alpha": (float,),
        "margin": (float, int),
        "paired": (bool,),
    },
    "claim": {
        "id": (str,),
        "level": (float, int),
        "metric": (str,),
        "expected": (str,),
        "paper_value": (float, int),
        "text": (str,),
    },
    "study": {
        "name": (str,),
        "description": (str,),
        "seed": (int,),
        "seeds": (int,),
        "levels": (list,),
        "setting": (str,),
    },
}
_CHOICES = {
    ("training", "loss"): ("auto", "cross-entropy", "l1", "mse"),
    ("protocol", "draw"): ("shared", "independent"),
    ("protocol", "granularity"): ("batch", "sample", "timestep"),
    ("protocol", "selection"): ("primary", "all"),
    ("protocol", "shuffle"): ("once", "every-epoch"),
    ("claim", "expected"): LABELS,
}
_TOP = (
    "study", "data", "model", "training", "protocol", "method", "settings", "analysis", "claims",
)  # fmt: skip


def _checked(table: Any, section: str, where: str) -> dict:
    """Check a table's keys, types and choices against the schema; return it as a dict."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{section}] must be a table.")
    schema = _SCHEMA[section]
    for key, value in table.items():
        if key not in schema:
            raise ConfigError(
                f"{where}: unknown key '{key}' in [{section}]; valid: {', '.join(schema)}."
            )
        types = schema[key]
        if isinstance(value, bool) and bool not in types or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise ConfigError(
                f"{where}: [{section}] {key} must be {names}, got {type(value).__name__} {value!r}."
            )
        choices = _CHOICES.get((section, key))
        if choices and value not in choices:
            raise ConfigError(
                f"{where}: [{section}] {key} = {value!r} is not valid; choose one of {', '.join(choices)}."
            )
    return dict(table)


def _check_levels(levels: Any, where: str) -> tuple[float, ...]:
    if not isinstance(levels, (list, tuple)) or not levels:
        raise ConfigError(f"{where}: levels must be a non-empty list of numbers in [0, 1].")
    out = []
    for lv in levels:
        if not _is_number(lv) or not 0.0 <= lv <= 1.0:  # NaN fails the comparison too
            raise ConfigError(f"{where}: level {lv!r} is outside [0, 1].")
        out.append(float(lv))
    if len(set(out)) != len(out):
        raise ConfigError(f"{where}: levels {out} repeat a value.")
    return tuple(sorted(out))


def _check_seeds(seeds: Any, where: str) -> int:
    if isinstance(seeds, bool) or not isinstance(seeds, int) or not 1 <= seeds <= MAX_SEEDS:
        raise ConfigError(
            f"{where}: seeds must be an integer from 1 to {MAX_SEEDS:,}, got {seeds!r}."
        )
    return seeds


def _check_grid_size(study: Study, where: str) -> None:
    n_settings = len(study.setting_names)
    runs = n_settings * (len(study.levels) + 1) * study.seeds
    if runs > MAX_RUNS:
        raise ConfigError(
            f"{where}: the grid of study '{study.name}' would hold {runs:,} runs "
            f"({n_settings} setting{'s' * (n_settings > 1)} × ({len(study.levels)} levels + "
            f"baseline) × {study.seeds} seeds); at most {MAX_RUNS:,} are allowed."
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_range(value: Any, where: str, what: str, low: float, high: float = math.inf) -> None:
    """``low <= value <= high`` for a finite number (TOML also spells nan and inf)."""
    if not _is_number(value) or not math.isfinite(value) or not low <= value <= high:
        upper = "" if high == math.inf else f" and at most {_fmt(high)}"
        raise ConfigError(f"{where}: {what} must be at least {_fmt(low)}{upper}, got {value!r}.")


def _fmt(x: float) -> str:
    return f"{x:,}" if isinstance(x, int) else f"{x:g}"


def _check_open(value: Any, where: str, what: str, low: float, high: float = math.inf) -> None:
    """``low < value < high`` for a finite number."""
    if not _is_number(value) or not math.isfinite(value) or not low < value < high:
        span = f"above {low:g}" if high == math.inf else f"between {low:g} and {high:g} (excluded)"
        raise ConfigError(f"{where}: {what} must be a finite number {span}, got {value!r}.")


def _check_training(training: TrainingSpec, where: str) -> TrainingSpec:
    """Raise :class:`ConfigError` unless every training value can train a model; return it.

    Ranges: ``epochs`` 1 to 100,000; ``batch_size`` 2 (BatchNorm needs two items) to
    1,000,000; ``lr`` finite and > 0; ``plateau_patience`` and ``early_stopping`` ≥ 0 (0 turns
    early stopping off); ``plateau_factor`` in (0, 1).
    """
    _check_range(training.epochs, where, "[training] epochs", 1, 100_000)
    _check_range(training.batch_size, where, "[training] batch_size", 2, 1_000_000)
    _check_open(training.lr, where, "[training] lr", 0.0)
    _check_range(training.plateau_patience, where, "[training] plateau_patience", 0, 10**9)
    _check_open(training.plateau_factor, where, "[training] plateau_factor", 0.0, 1.0)
    _check_range(training.early_stopping, where, "[training] early_stopping", 0, 10**9)
    return training


def _check_analysis(analysis: AnalysisSpec, where: str) -> AnalysisSpec:
    # The analysis tests need 0 < α < 0.5 (two one-sided tests at α each) and a positive margin.
    _check_open(analysis.alpha, where, "[analysis] alpha", 0.0, 0.5)
    _check_open(analysis.margin, where, "[analysis] margin", 0.0)
    if not analysis.metric:
        raise ConfigError(f"{where}: [analysis] metric must name a metric, e.g. 'accuracy'.")
    return analysis


def _check_claim(claim: dict, where: str) -> Claim:
    for key in ("id", "metric"):
        if not claim[key].strip():
            raise ConfigError(f"{where}: {key} must not be empty.")
    _check_range(claim["level"], where, "level", 0.0, 1.0)
    if "paper_value" in claim and not math.isfinite(claim["paper_value"]):
        raise ConfigError(
            f"{where}: paper_value must be a finite number, got {claim['paper_value']!r}."
        )
    return Claim(**{**claim, "level": float(claim["level"])})


def _check_modality_names(names: Any, where: str, key: str) -> tuple[str, ...]:
    if not all(isinstance(m, str) and m for m in names):
        raise ConfigError(f"{where}: [data] {key} must be a list of modality names, got {names!r}.")
    if len(set(names)) != len(names):
        raise ConfigError(f"{where}: [data] {key} = {names!r} names a modality twice.")
    return tuple(names)


def _check_plugin(value: str, group: str, what: str, builtin: tuple[str, ...], where: str) -> None:
    """A built-in name, a ``module:attr`` reference or an installed entry point (form only)."""
    try:
        check_reference(value, group, what, builtin)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_data(data: dict, where: str) -> DataSpec:
    for key in ("dropped", "modalities"):
        if key in data:
            data[key] = _check_modality_names(data[key], where, key)
    for mod, width in data.get("dims", {}).items():
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= 10**7:
            raise ConfigError(
                f"{where}: [data.dims] {mod} must be a positive integer, got {width!r}."
            )
    spec = DataSpec(**data)
    _check_plugin(spec.source, SOURCE_GROUP, "data source", DATA_SOURCES, f"{where}: [data] source")
    if spec.source == "synthetic":
        from repro.data.synthetic import PRESETS

        if spec.preset not in PRESETS:
            raise ConfigError(
                f"{where}: [data] preset = {spec.preset!r} is not valid; choose one of "
                f"{', '.join(PRESETS)}."
            )
    from repro.data.loaders import FORMATS

    if spec.format not in ("auto", *FORMATS):
        raise ConfigError(
            f"{where}: [data] format = {spec.format!r} is not valid; choose one of auto, "
            f"{', '.join(FORMATS)}."
        )
    if spec.primary in spec.dropped:
        raise ConfigError(f"{where}: primary modality '{spec.primary}' is also listed as dropped.")
    if not spec.dropped:
        raise ConfigError(f"{where}: [data] dropped must name at least one modality.")
    return spec


def parse_study(doc: dict, where: str) -> Study:
    """Build a validated :class:`Study` from a parsed TOML document (``where`` names its file)."""
    for key in doc:
        if key not in _TOP:
            raise ConfigError(f"{where}: unknown table [{key}]; valid: {', '.join(_TOP)}.")
    head = _checked(doc.get("study", {}), "study", where)
    if "name" not in head:
        raise ConfigError(f"{where}: [study] needs a name.")
    # The name becomes results/<name>.sqlite and reports/<name>/.
    check_name(head["name"], f"{where}: [study] name")
    reference = head.get("setting", "default")
    check_name(reference, f"{where}: [study] setting")
    _check_range(head.get("seed", 0), where, "[study] seed", 0, 2**63 - 1)
    if "data" not in doc or "model" not in doc:
        raise ConfigError(f"{where}: a study needs a [data] and a [model] table.")
    data_spec = _check_data(_checked(doc["data"], "data", where), where)
    model = doc["model"]
    if not isinstance(model, dict) or not isinstance(model.get("kind"), str):
        raise ConfigError(
            f"{where}: [model] needs a kind (eflstm, mfn, mlp or 'package.module:Class')."
        )
    _check_plugin(model["kind"], MODEL_GROUP, "model", MODEL_KINDS, f"{where}: [model] kind")
    model = dict(model)
    settings = {}
    raw_settings = doc.get("settings", {})
    if not isinstance(raw_settings, dict):
        raise ConfigError(f"{where}: [settings] must be a table of named settings.")
    for name, over in raw_settings.items():
        # Setting names become parts of figure file names.
        check_name(name, f"{where}: setting name")
        if name == reference:
            raise ConfigError(
                f"{where}: [settings.{name}] has the name of the study's own configuration; the "
                "top-level tables are that setting already, so give the variant another name."
            )
        if not isinstance(over, dict):
            raise ConfigError(f"{where}: [settings.{name}] must be a table.")
        for key, table in over.items():
            if key == "model":
                if not isinstance(table, dict):
                    raise ConfigError(f"{where}: [settings.{name}.model] must be a table.")
                continue
            if key == "method":
                over = {**over, key: _method(table, f"{where}: [settings.{name}.method]")}
                continue
            if key not in ("protocol", "training"):
                raise ConfigError(
                    f"{where}: [settings.{name}] may override protocol, model, training or method, "
                    f"not '{key}'."
                )
            over = {**over, key: _numeric(_checked(table, key, f"{where} [settings.{name}]"))}
        settings[name] = over
    claims = []
    raw_claims = doc.get("claims", [])
    if not isinstance(raw_claims, list):
        raise ConfigError(f"{where}: claims must be an array of tables, [[claims]].")
    for i, raw in enumerate(raw_claims):
        c = _checked(raw, "claim", f"{where} claim {i + 1}")
        missing = [k for k in ("id", "level", "metric", "expected") if k not in c]
        if missing:
            raise ConfigError(f"{where}: claim {i + 1} misses {', '.join(missing)}.")
        claims.append(_check_claim(c, f"{where} claim {i + 1}"))
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"{where}: claim id '{twice}' is used twice; give each claim its own.")
    study = Study(
        name=head["name"],
        description=head.get("description", ""),
        seed=head.get("seed", 0),
        seeds=_check_seeds(head.get("seeds", 10), where),
        levels=_check_levels(head.get("levels", list(Study.levels)), where),
        data=data_spec,
        model=ModelSpec(model.pop("kind"), model),
        training=TrainingSpec(**_numeric(_checked(doc.get("training", {}), "training", where))),
        protocol=Protocol(**_checked(doc.get("protocol", {}), "protocol", where)),
        analysis=_check_analysis(
            AnalysisSpec(**_checked(doc.get("analysis", {}), "analysis", where)), where
        ),
        settings=settings,
        claims=tuple(claims),
        source_file=where,
        reference=reference,
        method=_method(doc.get("method", {}), f"{where}: [method]"),
    )
    for name in study.setting_names:
        # every override must form a valid configuration
        inside = where if name == reference else f"{where} [settings.{name}]"
        config = study.run_config(name)
        _check_training(config.training, inside)
        if config.method != MethodSpec():
            # Imported here: the methods need torch, and most studies never name one.
            from repro.training.methods import check_method

            try:
                check_method(config.method, config.model)
            except ConfigError as exc:
                raise ConfigError(f"{inside}: {exc}") from None
    _check_distinct_settings(study, where)
    _check_grid_size(study, where)
    return study


def _method(table: Any, where: str) -> MethodSpec:
    """A ``[method]`` table as a :class:`MethodSpec`, with the method's defaults filled in so that
    run ids name every value the method trains with."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table.")
    params = dict(table)
    name = params.pop("name", "dropout")
    spec = MethodSpec(name, params)
    if spec == MethodSpec():
        return spec
    from repro.training.methods import check_method

    try:
        return check_method(spec)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_distinct_settings(study: Study, where: str) -> None:
    """Two settings with one run configuration would train the same runs twice under two names
    and compare a configuration with itself."""
    seen: dict[str, str] = {}
    for name in study.setting_names:
        identity = json.dumps(study.run_config(name).identity("multimodal"), sort_keys=True)
        if identity in seen:
            first = seen[identity]
            hint = (
                "the top-level tables are a setting already"
                if first == study.reference
                else "remove one or make them differ"
            )
            raise ConfigError(
                f"{where}: settings '{first}' and '{name}' are the same run configuration; {hint}."
            )
        seen[identity] = name


def _numeric(table: dict) -> dict:
    for key in ("lr", "plateau_factor"):
        if key in table:
            table[key] = float(table[key])
    return table


def builtin_studies() -> dict[str, Path]:
    """Built-in study names and their files (package data in ``repro/studies``)."""
    root = resources.files("repro") / "studies"
    return {p.name[:-5]: Path(str(p)) for p in root.iterdir() if p.name.endswith(".toml")}


def load_study(name_or_path: str | Path) -> Study:
    """Load a built-in study by name, or a study file by path.

    Raises
    ------
    ConfigError
        When the name is neither a built-in study nor an existing file, or the file is invalid.
    """
    builtin = builtin_studies()
    path = builtin.get(str(name_or_path)) or Path(name_or_path).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"'{name_or_path}' is neither a built-in study ({', '.join(sorted(builtin))}) "
            "nor a study file."
        )
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"study file '{path}' is not valid TOML: {exc}.") from None
    except OSError as exc:
        raise ConfigError(f"study file '{path}' cannot be read: {exc.strerror or exc}.") from None
    return parse_study(doc, str(name_or_path) if str(name_or_path) in builtin else str(path))
