"""Sequential sweeps end to end on a tiny study whose training is replaced by known numbers:
decided levels get no more seeds, resuming trains nothing, the design and decisions live in the
store, old stores stay readable, the CLI refuses bad flags before writing, and the report gains
its section."""

from __future__ import annotations

import json
import sqlite3
import sys

import numpy as np
import pytest

import repro.runs.execute
import repro.runs.sequential
from colearn.errors import ConfigError
from repro.runs.sequential import make_design, run_sequential, stored_sequential
from repro.runs.store import ResultsStore
from repro.runs.study import load_study
from repro.runs.sweep import run_sweep
from repro.training.train import RunResult

TINY = """
[study]
name = "tiny"
seed = 7
seeds = 2
levels = [0.0, 0.4, 0.8]

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]

[data.options]
n_items = 200
seq_len = 6

[model]
kind = "eflstm"
hidden = 8

[training]
epochs = 1
batch_size = 30
lr = 0.01
"""

# True accuracy per level (None: the baseline): 0 is clearly NCL, 0.8 equals the baseline
# (NeCL once the seeds show it), 0.4 is half a margin above it (settled later or never).
MEANS = {None: 0.5, 0.0: 0.3, 0.4: 0.51, 0.8: 0.5}


def fake_train(study, spec, data, device="cpu", on_epoch=None):
    """Known numbers instead of training: a per-seed effect shared by the arms plus noise."""
    shared = np.random.default_rng(spec.seed).normal(0, 0.01)
    level = -1 if spec.level is None else int(round(100 * spec.level))
    noise = np.random.default_rng([spec.seed, level + 1]).normal(0, 0.004)
    value = MEANS[spec.level] + shared + noise
    return RunResult(
        arm=spec.arm, level=spec.level, seed=spec.seed,
        metrics={"primary": {"accuracy": value, "loss": 1 - value}}, n_test=100,
        test_index=np.arange(3), predictions={"primary": np.zeros(3)}, confusion={},
    )  # fmt: skip


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    monkeypatch.setattr(repro.runs.execute, "train_spec", fake_train)
    return path


def _runs(store) -> dict:
    """Seed indices stored per arm and level."""
    with ResultsStore(store, "tiny", readonly=True) as s:
        rows = s.run_rows()
    rows = rows[rows["status"] == "done"]
    return {
        (arm, None if level != level else level): sorted(g["seed"])
        for (arm, level), g in rows.groupby(["arm", rows["level"].fillna(-1)])
        for level in [None if level == -1 else level]
    }


def test_decided_levels_get_no_more_seeds_and_a_resume_trains_nothing(tiny, tmp_path):
    st = load_study(tiny)
    store = tmp_path / "s.sqlite"
    design = make_design(st, 20, (5, 10, 20), spending="pocock")
    looks = []
    result = run_sequential(
        st, design, store, executor="inline", on_look=lambda k, n, rows: looks.append(k)
    )
    summary = result.summary.set_index("level")
    assert summary.loc[0.0, "label"] == "NCL" and summary.loc[0.0, "decided_at"] == 1
    assert summary.loc[0.8, "label"] == "NeCL" and summary.loc[0.8, "status"] == "decided"
    runs = _runs(store)
    # decided at 5 seeds: nothing beyond seed index 4 was trained for those levels
    assert runs[("multimodal", 0.0)] == list(range(5))
    assert runs[("multimodal", 0.8)] == list(range(summary.loc[0.8, "seeds"]))
    # the baseline got seeds as long as a level was open; pairs stay pairs
    assert runs[("unimodal", None)] == list(range(int(summary["seeds"].max())))
    assert result.runs_used == sum(len(v) for v in runs.values()) < result.runs_fixed == 80
    assert looks == list(range(1, len(looks) + 1)) and result.complete
    # the design and the decisions are stored with the study
    design_back, stored = stored_sequential(st, store)
    assert design_back == design
    assert stored[["look", "level", "label"]].equals(
        result.decisions[["look", "level", "label"]].reset_index(drop=True)
    )
    again = run_sequential(st, design, store, executor="inline")
    assert again.ran == 0 and again.notes == []
    assert again.decisions.equals(result.decisions)


def test_another_design_on_the_same_store_is_refused_before_training(tiny, tmp_path):
    st = load_study(tiny)
    store = tmp_path / "s.sqlite"
    run_sequential(st, make_design(st, 5, (5,)), store, executor="inline")
    before = _runs(store)
    with pytest.raises(ConfigError, match="holds another sequential design"):
        run_sequential(st, make_design(st, 10, (5, 10), "pocock"), store, executor="inline")
    assert _runs(store) == before


def test_a_version_1_store_is_read_as_it_is_and_upgraded_by_a_design(tiny, tmp_path):
    st = load_study(tiny)
    store = tmp_path / "s.sqlite"
    run_sweep(st, store, executor="inline")
    con = sqlite3.connect(store)
    con.execute("DROP TABLE sequential_looks")
    con.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert stored_sequential(st, store) is None
    with ResultsStore(store, "tiny", readonly=True) as s:
        assert s.sequential_looks().empty and len(s.tidy())
    run_sequential(st, make_design(st, 5, (5,)), store, executor="inline")
    with ResultsStore(store, "tiny", readonly=True) as s:
        meta = dict(s.con.execute("SELECT key, value FROM meta").fetchall())
        assert meta["schema_version"] == "2" and len(s.sequential_looks()) == 3


def cli(monkeypatch, capsys, *args) -> tuple[int, str, str]:
    from repro.cli import main

    monkeypatch.setattr(sys, "argv", ["colearn", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code or 0
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize(
    "flags, message",
    [
        (["--until-decided", "--looks", "10,5"], "--looks '10,5' must increase"),
        (["--until-decided", "--looks", "5,x"], "is not a comma list of seed counts"),
        (["--until-decided", "--max-seeds", "3"], "--max-seeds 3 must lie between the first"),
        (["--until-decided", "--seeds", "5"], "with --until-decided give --max-seeds"),
        (["--until-decided", "--spending", "linear"], "--spending 'linear' is not known"),
        (["--max-seeds", "20"], "apply only with --until-decided"),
    ],
)
def test_bad_sequential_flags_are_one_sentence_and_write_nothing(
    tiny, tmp_path, monkeypatch, capsys, flags, message
):
    monkeypatch.chdir(tmp_path)
    for command in ("sweep", "reproduce"):
        code, _, err = cli(monkeypatch, capsys, command, tiny, *flags)
        assert code == 2 and message in " ".join(err.split()), err
        assert not (tmp_path / "results").exists() and not (tmp_path / "reports").exists()


def test_cli_sweep_status_analyze_and_reproduce(tiny, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    flags = ["--until-decided", "--max-seeds", "10", "--looks", "5,10", "--spending", "pocock"]
    code, out, err = cli(monkeypatch, capsys, "sweep", tiny, *flags, "--executor", "inline",
                         "--json")  # fmt: skip
    assert code == 0, err
    doc = json.loads(out)["sequential"]
    labels = {r["level"]: r["label"] for r in doc["levels"]}
    assert labels[0.0] == "NCL" and doc["complete"]
    assert "look 1 (5 seeds): decided p=0 NCL" in " ".join(err.split())
    code, out, _ = cli(monkeypatch, capsys, "status", tiny, "--json")
    status = json.loads(out)["sequential"]
    assert {r["level"]: r["status"] for r in status["levels"]}[0.0] == "decided"
    assert status["runs_used"] == doc["runs_used"]
    code, out, _ = cli(monkeypatch, capsys, "status", tiny)
    assert "decided at look 1: no more seeds" in out
    code, out, _ = cli(monkeypatch, capsys, "analyze", tiny, "--json", "--no-dose")
    assert code == 0 and json.loads(out)["sequential"]["levels"] == doc["levels"]

    # reproduce trains nothing more (runs in this process) and writes the section
    real = repro.runs.sequential.run_sweep
    monkeypatch.setattr(
        repro.runs.sequential, "run_sweep",
        lambda *a, **k: real(*a, **{**k, "executor": "inline"}),
    )  # fmt: skip
    code, out, err = cli(monkeypatch, capsys, "reproduce", tiny, *flags, "--n-boot", "20")
    assert code == 0, err
    assert "(0 trained now)" in " ".join(err.split())
    report = (tmp_path / "reports" / "tiny" / "report.md").read_text()
    assert "## Sequential design" in report and "figures/sequential.png" in report
    assert (tmp_path / "reports" / "tiny" / "figures" / "sequential.pdf").is_file()
    again = cli(monkeypatch, capsys, "reproduce", tiny, *flags, "--n-boot", "20")
    assert again[0] == 0 and again[1] == out  # the same decisions, printed the same


def test_a_look_that_cannot_complete_stops_with_a_note(tiny, tmp_path, monkeypatch):
    def with_a_gap(study, spec, data, device="cpu", on_epoch=None):
        result = fake_train(study, spec, data)
        if spec.level == 0.4 and spec.seed == 3:  # a metric without a value
            result.metrics["primary"]["accuracy"] = float("nan")
        return result

    monkeypatch.setattr(repro.runs.execute, "train_spec", with_a_gap)
    st = load_study(tiny)
    result = run_sequential(st, make_design(st, 10, (5, 10)), tmp_path / "s.sqlite",
                            executor="inline")  # fmt: skip
    assert not result.complete and result.decisions.empty
    assert "cannot be evaluated yet" in result.notes[0]
