"""Watching training: the epoch progress bar of ``colearn run`` and ``colearn history``."""

import json
import math
import sys
from dataclasses import replace

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from analysis.report.history import best_epochs, plot_history, save_history, summarize_history
from colearn.errors import ConfigError, DataError, StoreError
from repro.runs.history import read_history
from repro.runs.study import load_study

STUDY = """
[study]
name = "watch"
seed = 5
seeds = 2
levels = [0.0, 0.8]

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]
[data.options]
n_items = 96
seq_len = 3

[model]
kind = "mlp"
hidden = [8]

[training]
epochs = 2
batch_size = 16
lr = 0.01
"""


def _history(rows) -> pd.DataFrame:
    """A history table from (arm, level, seed, best_epoch, [(train, valid) per epoch])."""
    out = []
    for arm, level, seed, best, losses in rows:
        for epoch, (train, valid) in enumerate(losses, start=1):
            out.append({"run_id": f"{arm}{level}{seed}", "setting": "default", "arm": arm,
                        "level": level, "seed": seed, "best_epoch": best, "epoch": epoch,
                        "train_loss": train, "valid_loss": valid, "lr": 0.01})  # fmt: skip
    return pd.DataFrame(out)


HAND = _history([
    ("multimodal", 0.8, 0, 2, [(2.0, 1.5), (1.0, 1.0), (0.5, 1.2)]),
    ("multimodal", 0.8, 1, 3, [(4.0, 1.7), (2.0, 1.4), (1.0, 1.1)]),
    ("multimodal", 0.0, 0, 1, [(1.0, 1.0), (0.5, 1.5)]),  # stopped early
    ("unimodal", math.nan, 0, 3, [(3.0, 2.0), (2.0, 1.5), (1.5, 1.2)]),
])  # fmt: skip


def test_summary_is_mean_and_spread_over_seeds_per_level_and_epoch():
    s = summarize_history(HAND)
    row = s[(s["level"] == 0.8) & (s["epoch"] == 1) & (s["split"] == "train")].iloc[0]
    assert (row["n"], row["mean"], row["min"], row["max"]) == (2, 3.0, 2.0, 4.0)
    assert row["sd"] == pytest.approx(math.sqrt(2.0))
    valid = s[(s["arm"] == "unimodal") & (s["split"] == "valid")]
    assert valid["mean"].tolist() == [2.0, 1.5, 1.2] and valid["sd"].isna().all()
    # a run that stopped early adds no epoch 3
    assert not ((s["level"] == 0.0) & (s["epoch"] == 3)).any()


def test_best_epochs_table_lists_levels_then_the_baseline():
    b = best_epochs(HAND)
    assert list(b.columns) == ["setting", "arm", "level", "n", "mean", "min", "max", "epochs",
                               "at_last"]  # fmt: skip
    assert b["arm"].tolist() == ["multimodal", "multimodal", "unimodal"]
    assert b["level"].tolist()[:2] == [0.0, 0.8]
    lv8 = b.iloc[1]
    assert (lv8["n"], lv8["mean"], lv8["min"], lv8["max"], lv8["at_last"]) == (2, 2.5, 2, 3, 1)
    assert b.iloc[0]["epochs"] == 2 and b.iloc[2]["at_last"] == 1


def test_plot_draws_one_curve_per_level_and_the_baseline():
    ax = plot_history(summarize_history(HAND), split="train")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["p = 0 (1 seed)", "p = 0.8 (2 seeds)", "unimodal baseline (1 seed)"]
    assert ax.get_lines()[-1].get_linestyle() == "--"
    plt.close(ax.figure)
    with pytest.raises(ConfigError, match="split 'test' is not valid"):
        plot_history(summarize_history(HAND), split="test")


def test_a_history_table_without_its_columns_is_refused():
    with pytest.raises(DataError, match="lacks the column"):
        summarize_history(HAND.drop(columns="best_epoch"))
    with pytest.raises(DataError, match="is empty"):
        best_epochs(HAND.iloc[:0])


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


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A folder with watch.toml and its store results/watch.sqlite (2 levels + baseline, 2 seeds)."""
    from repro.runs.sweep import run_sweep

    folder = tmp_path_factory.mktemp("watch")
    (folder / "watch.toml").write_text(STUDY)
    run_sweep(load_study(folder / "watch.toml"), folder / "results" / "watch.sqlite",
              executor="inline")  # fmt: skip
    return folder


def test_history_reads_the_runs_of_the_study_as_it_is_now(trained):
    study = load_study(trained / "watch.toml")
    store = trained / "results" / "watch.sqlite"
    h = read_history(study, store)
    assert h["run_id"].nunique() == 6 and set(h["epoch"]) == {1, 2}
    assert set(h["arm"]) == {"multimodal", "unimodal"}
    at = read_history(study, store, level=0.8)
    assert sorted(at["level"].fillna(-1).unique()) == [-1, 0.8]  # the baseline stays
    with pytest.raises(
        ConfigError, match=r"--level 0.5 has no stored run .* stored levels: 0, 0.8"
    ):
        read_history(study, store, level=0.5)
    edited = replace(study, training=replace(study.training, epochs=3))
    with pytest.raises(StoreError, match="holds no finished run of study 'watch' as it is now"):
        read_history(edited, store)


def test_history_command_writes_the_figure_and_prints_the_best_epochs(trained, monkeypatch, capsys):
    monkeypatch.chdir(trained)
    code, out, err = _cli(monkeypatch, capsys, "history", "watch.toml", "--format", "pdf",
                          "--out", "figs")  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in (trained / "figs").iterdir()) == ["history.pdf"]  # no temp
    assert (trained / "figs" / "history.pdf").read_bytes().startswith(b"%PDF")
    assert "mean best epoch" in out and "unimodal" in out and "wrote figs/history.pdf" in err
    code, _, err = _cli(monkeypatch, capsys, "history", "watch.toml", "--format", "jpg")
    assert code == 2 and "--format 'jpg' is not valid; choose png or pdf." in err
    code, _, err = _cli(monkeypatch, capsys, "history", "watch.toml", "--store", "none.sqlite")
    assert code == 2 and "there is no results store 'none.sqlite'" in err
    assert not (trained / "reports").exists()  # rejected commands wrote nothing


def test_save_history_writes_png(tmp_path):
    (path,) = save_history(HAND, tmp_path)
    assert path == tmp_path / "history.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_run_shows_an_epoch_bar_unless_json_or_quiet(trained, monkeypatch, capsys):
    monkeypatch.chdir(trained)
    code, out, err = _cli(monkeypatch, capsys, "run", "watch.toml", "--level", "0.8")
    assert code == 0, err
    assert "multimodal p=0.8 seed 0" in err and "2/2" in err
    assert "train " in err and "valid " in err
    for flag in ("--json", "--quiet"):
        code, out, err = _cli(monkeypatch, capsys, "run", "watch.toml", "--level", "0.8", flag)
        assert code == 0 and "2/2" not in err and "valid " not in err, flag
        assert flag != "--json" or json.loads(out)["metrics"]["primary"]
