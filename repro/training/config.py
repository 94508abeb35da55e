"""The configuration of one training run: model, training schedule and protocol switches.

A study file (:mod:`repro.runs.study`) builds one :class:`RunConfig` per setting; training reads
nothing else from the study, so the training loop never depends on the study-file format.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

__all__ = [
    "ARMS",
    "MODEL_KINDS",
    "MethodSpec",
    "ModelSpec",
    "Protocol",
    "RunConfig",
    "TrainingSpec",
]

#: The two arms of every comparison: trained on all modalities (with dropout) or on the primary.
ARMS = ("multimodal", "unimodal")
#: Names of the built-in models (:data:`repro.training.models.MODELS`), known without torch so
#: that study files are checked without importing it.
MODEL_KINDS = ("eflstm", "mfn", "mlp", "latefusion")


@dataclass(frozen=True)
class ModelSpec:
    kind: str = "eflstm"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class TrainingSpec:
    epochs: int = 40
    batch_size: int = 30
    lr: float = 1e-4
    loss: str = "auto"
    plateau_patience: int = 100
    plateau_factor: float = 0.5
    early_stopping: int = 0


@dataclass(frozen=True)
class Protocol:
    draw: str = "shared"
    granularity: str = "batch"
    selection: str = "primary"
    shuffle: str = "once"
    drop_last: bool = True


@dataclass(frozen=True)
class MethodSpec:
    """The training method of the multimodal arm and its settings.

    ``dropout`` (the default) is modality dropout alone, the paper's remedy; ``mla``, ``ogm_ge``
    and ``aug`` are the other remedies for modality laziness (:mod:`repro.training.methods`).
    Check a spec with :func:`repro.training.methods.check_method`, which fills in defaults.
    """

    name: str = "dropout"
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig:
    """Everything that shapes one training run except the arm, level and seed index."""

    study_seed: int
    primary: str
    dropped: tuple[str, ...]
    model: ModelSpec
    training: TrainingSpec
    protocol: Protocol
    method: MethodSpec = MethodSpec()

    def identity(self, arm: str) -> dict:
        """The settings that change a run's result, as plain data (hashed into the run id).

        The unimodal arm never drops anything, so the dropout draw and granularity do not change
        it: leaving them out lets settings that differ only there share one baseline.  The
        method enters only the multimodal arm's identity and only when it is not the default
        ``dropout`` (so every run id from before methods existed is unchanged); the unimodal
        arm is always trained the same way, so settings that differ only in their method share
        one baseline.
        """
        protocol = asdict(self.protocol)
        if arm == "unimodal":
            protocol.pop("draw")
            protocol.pop("granularity")
        identity = {
            "study_seed": self.study_seed,
            "primary": self.primary,
            "dropped": list(self.dropped),
            "model": {"kind": self.model.kind, **self.model.params},
            "training": asdict(self.training),
            "protocol": protocol,
        }
        if arm == "multimodal" and self.method.name != "dropout":
            identity["method"] = {"name": self.method.name, **self.method.params}
        return identity
