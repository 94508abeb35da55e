"""A study's own model and data source, named as ``module:attr`` or as an installed entry point.

The model classes and the data-source function the test studies name live in this module, so
the studies refer to them as ``test_plugins:Name`` (pytest puts ``tests/`` on the import path).
"""

import json
import sys
from collections.abc import Mapping

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from colearn.errors import ConfigError
from colearn.plugins import check_reference, entry_point_names, is_reference, load_reference
from repro.data import MultimodalDataset
from repro.runs.ids import make_spec
from repro.runs.study import load_study
from repro.training.models import build_model, default_hparams


class TinyNet(nn.Module):
    """Mean over time of every modality, concatenated, then one hidden layer."""

    def __init__(self, dims: Mapping[str, int], n_outputs: int, *, hidden: int = 8) -> None:
        super().__init__()
        self.dims = dict(dims)
        self.net = nn.Sequential(
            nn.Linear(sum(dims.values()), hidden), nn.ReLU(), nn.Linear(hidden, n_outputs)
        )

    def forward(self, inputs: Mapping[str, Tensor]) -> Tensor:
        """Shape: inputs[m] (B, T, D_m) → (B, n_outputs)."""
        return self.net(torch.cat([inputs[m].mean(dim=1) for m in self.dims], dim=-1))


class RenamedTinyNet(TinyNet):
    """The same network under another reference (another run id)."""


class OneOutput(TinyNet):
    """Breaks the contract: one output whatever the number of classes."""

    def __init__(self, dims: Mapping[str, int], n_outputs: int, *, hidden: int = 8) -> None:
        super().__init__(dims, 1, hidden=hidden)


class NeedsAWidth(TinyNet):
    def __init__(self, dims: Mapping[str, int], n_outputs: int, *, width: int) -> None:
        super().__init__(dims, n_outputs, hidden=width)


def tiny_data(n_items: int = 48, seed: int = 0) -> MultimodalDataset:
    """Three modalities (N, 3, 2); the class shows in the audio modality."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n_items) % 3
    audio = rng.normal(size=(n_items, 3, 2)) + labels[:, None, None]
    return MultimodalDataset(
        modalities={
            "language": rng.normal(size=(n_items, 3, 2)),
            "audio": audio,
            "visual": rng.normal(size=(n_items, 3, 2)),
        },
        labels=labels,
        task="classification",
        splits={
            "train": np.arange(n_items // 2),
            "valid": np.arange(n_items // 2, 3 * n_items // 4),
            "test": np.arange(3 * n_items // 4, n_items),
        },
        primary="language",
        class_names=("a", "b", "c"),
        name="tiny",
    )


def not_a_dataset(**options) -> list:
    return [options]


STUDY = """
[study]
name = "own"
seed = 3
seeds = 1
levels = [0.5]

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]
[data.options]
n_items = 96
seq_len = 4

[model]
kind = "test_plugins:TinyNet"
hidden = 4

[training]
epochs = 2
batch_size = 16
lr = 0.01
"""

OWN_SOURCE = ('source = "synthetic"', 'source = "test_plugins:tiny_data"')
OWN_OPTIONS = ("n_items = 96\nseq_len = 4", "n_items = 40")


def _study(folder, *edits) -> str:
    text = STUDY
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    (folder / "own.toml").write_text(text)
    return "own.toml"


def _cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    from repro.cli import main

    monkeypatch.setattr(sys, "argv", ["colearn", *args])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def work(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_study_trains_its_own_model_named_module_colon_class(work, monkeypatch, capsys):
    study = _study(work)
    code, out, err = _cli(monkeypatch, capsys, "run", study, "--level", "0.5", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["metrics"]) >= {"primary", "all"}
    assert 0.0 <= doc["metrics"]["primary"]["accuracy"] <= 1.0
    # The run id hashes the reference: the same class under another name is another run.
    st = load_study(work / study)
    renamed = load_study(
        work / _study(work, ("test_plugins:TinyNet", "test_plugins:RenamedTinyNet"))
    )
    assert doc["run_id"] == make_spec(st, "default", "multimodal", 0.5, 0).run_id
    assert doc["run_id"] != make_spec(renamed, "default", "multimodal", 0.5, 0).run_id


def test_a_sweep_with_worker_processes_imports_the_own_model_there(work, monkeypatch, capsys):
    study = _study(work, OWN_SOURCE, OWN_OPTIONS)
    code, out, err = _cli(monkeypatch, capsys, "sweep", study, "--workers", "1", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert (doc["done"], doc["failed"]) == (2, 0)  # level 0.5 and the unimodal baseline


def test_a_data_source_function_feeds_the_study(work, monkeypatch, capsys):
    study = _study(work, OWN_SOURCE, OWN_OPTIONS)
    code, out, err = _cli(monkeypatch, capsys, "run", study, "--arm", "unimodal", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert set(doc["metrics"]) == {"primary", "all", "audio", "visual"}
    assert doc["n_test"] == 10  # tiny_data(n_items=40) keeps the last quarter for testing


BROKEN = {
    "module missing": (
        ("test_plugins:TinyNet", "no_such_module_for_colearn:Net"),
        "model 'no_such_module_for_colearn:Net' cannot be imported: ModuleNotFoundError",
    ),
    "attribute missing": (
        ("test_plugins:TinyNet", "test_plugins:NoSuchNet"),
        "model 'test_plugins:NoSuchNet' names nothing: module 'test_plugins' has no 'NoSuchNet'",
    ),
    "a function, not a class": (
        ("test_plugins:TinyNet", "test_plugins:tiny_data"),
        "names function tiny_data, not a torch.nn.Module class",
    ),
    "plain name nobody declares": (
        ('kind = "test_plugins:TinyNet"', 'kind = "tinyy"'),
        "[model] kind: unknown model 'tinyy'; valid: eflstm, mfn, mlp",
    ),
    "malformed reference": (
        ("test_plugins:TinyNet", "test_plugins:Tiny:Net"),
        "unknown model 'test_plugins:Tiny:Net'",
    ),
    "unknown setting": (
        ("hidden = 4", "width = 4"),
        "unknown model setting 'width' for test_plugins:TinyNet; valid: hidden",
    ),
    "required setting missing": (
        ("test_plugins:TinyNet", "test_plugins:NeedsAWidth"),
        "unknown model setting 'hidden' for test_plugins:NeedsAWidth; valid: width",
    ),
    "wrong output shape": (
        ("test_plugins:TinyNet", "test_plugins:OneOutput"),
        "model 'test_plugins:OneOutput' returned shape (2, 1) for 2 samples; it must return "
        "(batch, n_outputs) = (2, 6)",
    ),
    "source returns no dataset": (
        ('source = "synthetic"', 'source = "test_plugins:not_a_dataset"'),
        "data source 'test_plugins:not_a_dataset' returned a list, not a "
        "repro.data.MultimodalDataset",
    ),
    "source rejects the options": (
        ('source = "synthetic"', 'source = "test_plugins:tiny_data"'),
        "data source 'test_plugins:tiny_data' does not take the study's [data.options] "
        "(n_items, seq_len)",
    ),
    "source is a class": (
        ('source = "synthetic"', 'source = "test_plugins:TinyNet"'),
        "data source 'test_plugins:TinyNet' names a type, not a function",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_reference_is_one_sentence_and_exit_2_before_anything_is_written(
    work, monkeypatch, capsys, case
):
    edit, message = BROKEN[case]
    study = _study(work, edit)
    code, out, err = _cli(monkeypatch, capsys, "sweep", study, "--executor", "inline")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and out == "", err
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], err
    assert sorted(p.name for p in work.iterdir()) == ["own.toml"]  # no store, no results/


def test_the_model_is_checked_before_a_single_run_trains(work, monkeypatch, capsys):
    study = _study(work, ("test_plugins:TinyNet", "test_plugins:OneOutput"))
    code, _, err = _cli(monkeypatch, capsys, "run", study, "--store", "s.sqlite")
    assert code == 2 and "returned shape (2, 1)" in err
    assert not (work / "s.sqlite").exists()


def test_references_are_checked_by_form_without_importing():
    assert is_reference("pkg.sub:Outer.Inner") and not is_reference("pkg.sub")
    assert check_reference("no_such_module_for_colearn:Net", "colearn.models", "model", ())
    assert "no_such_module_for_colearn" not in sys.modules
    with pytest.raises(ConfigError, match=r"^unknown data source 'x y'; valid: file, or your own"):
        check_reference("x y", "colearn.sources", "data source", ("file",))


def test_installed_entry_points_name_models_and_sources(tmp_path, monkeypatch):
    # A distribution's metadata on the import path is what an installed package leaves behind.
    info = tmp_path / "colearn_test_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: colearn-test-plugin\nVersion: 1.0\n"
    )
    (info / "entry_points.txt").write_text(
        "[colearn.models]\ntinynet = test_plugins:TinyNet\n\n"
        "[colearn.sources]\ntiny = test_plugins:tiny_data\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "tinynet" in entry_point_names("colearn.models")
    model = build_model("tinynet", {"language": 2, "audio": 3}, 4, hidden=5)
    assert type(model) is TinyNet and model.net[0].out_features == 5
    assert default_hparams("tinynet") == {"hidden": 8}
    assert load_reference("tiny", "colearn.sources", "data source") is tiny_data
    with pytest.raises(
        ConfigError, match="valid: eflstm, mfn, mlp, latefusion, tinynet, or your own"
    ):
        build_model("tinynett", {"language": 2}, 4)
