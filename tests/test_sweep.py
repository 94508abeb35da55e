"""Sweeps end to end on a tiny study: resume, failures, Ctrl-C, executors agree, CLI, Ray."""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.tidy import TIDY_COLUMNS, read_table
from colearn.errors import ConfigError
from repro.runs.store import ResultsStore
from repro.runs.study import load_study
from repro.runs.sweep import grid_status, run_sweep

TINY = """
[study]
name = "tiny"
seed = 7
seeds = 2
levels = [0.8]

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
epochs = 2
batch_size = 30
lr = 0.01
"""


@pytest.fixture
def study_file(tmp_path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def sorted_table(path: Path) -> pd.DataFrame:
    keys = ["run_id", "setting", "condition", "metric"]
    return read_table(path).sort_values(keys).reset_index(drop=True)


def test_sweep_resumes_and_grows(study_file, tmp_path):
    st = load_study(study_file)
    store = tmp_path / "s.sqlite"
    events = []
    first = run_sweep(st, store, executor="inline", progress=lambda *a: events.append(a))
    assert (first.total, first.done, first.failed, first.pending, first.ran) == (4, 4, 0, 0, 4)
    assert events[0] == ("start", 4, 0, 0) and events[-1] == ("end", 4, 4, 0)
    again = run_sweep(st, store, executor="inline")
    assert again.ran == 0 and again.done == 4
    grown = run_sweep(st.with_overrides(seeds=3), store, executor="inline")
    assert (grown.total, grown.done, grown.ran) == (6, 6, 2)
    assert grid_status(st.with_overrides(seeds=3), store) == {
        "study": "tiny",
        "total": 6,
        "done": 6,
        "pending": 0,
        "failed": 0,
        "running": 0,
    }
    table = read_table(store)
    assert table.run_id.nunique() == 6 and table.paired.all()


def test_process_pool_gives_the_same_numbers_as_inline(study_file, tmp_path):
    st = load_study(study_file)
    run_sweep(st, tmp_path / "a.sqlite", executor="inline")
    pooled = run_sweep(st, tmp_path / "b.sqlite", executor="local", workers=2)
    assert pooled.done == 4
    pd.testing.assert_frame_equal(
        sorted_table(tmp_path / "a.sqlite"), sorted_table(tmp_path / "b.sqlite")
    )


def test_failed_runs_keep_their_error_and_retry(study_file, tmp_path, monkeypatch):
    import repro.runs.execute

    real = repro.runs.execute.train_spec

    def flaky(study, spec, data, device="cpu", on_epoch=None):
        if spec.arm == "unimodal":
            raise RuntimeError("simulated out of memory")
        return real(study, spec, data, device=device)

    st = load_study(study_file)
    store = tmp_path / "s.sqlite"
    monkeypatch.setattr(repro.runs.execute, "train_spec", flaky)
    summary = run_sweep(st, store, executor="inline")
    assert (summary.done, summary.failed, summary.new_failures) == (2, 2, 2)
    with ResultsStore(store, "tiny", readonly=True) as s:
        rows = s.run_rows()
    assert set(rows[rows.status == "failed"].arm) == {"unimodal"}
    assert rows[rows.status == "failed"].error.str.contains("simulated out of memory").all()
    assert "unimodal" not in set(read_table(store).arm)
    monkeypatch.setattr(repro.runs.execute, "train_spec", real)
    assert run_sweep(st, store, executor="inline").ran == 0  # failures are not retried silently
    retried = run_sweep(st, store, executor="inline", retry_failed=True)
    assert (retried.ran, retried.done, retried.failed) == (2, 4, 0)


def test_bad_input_stops_the_sweep_and_stores_no_failures(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(TINY.replace("hidden = 8", "hidden = 8\nwidth = 3"))
    store = tmp_path / "s.sqlite"
    with pytest.raises(ConfigError, match="unknown model setting 'width'"):
        run_sweep(load_study(path), store, executor="inline")
    assert not store.exists()  # checked before the store is created


def test_ctrl_c_keeps_finished_runs_and_releases_the_rest(study_file, tmp_path):
    st = load_study(study_file)
    store = tmp_path / "s.sqlite"
    before = signal.getsignal(signal.SIGINT)  # SIG_IGN when the suite runs as a background job

    def interrupt_after_first(event, total, done, failed):
        if event == "update" and done == 1:
            os.kill(os.getpid(), signal.SIGINT)

    summary = run_sweep(st, store, executor="inline", progress=interrupt_after_first)
    assert summary.interrupted and summary.done >= 1 and summary.done < 4
    assert summary.running == 0 and summary.done + summary.pending == 4
    with ResultsStore(store, "tiny", readonly=True) as s:
        assert "running" not in s.statuses().values()
    assert signal.getsignal(signal.SIGINT) is before  # the sweep puts the handler back
    resumed = run_sweep(st, store, executor="inline")
    assert resumed.done == 4 and resumed.ran == 4 - summary.done


def test_missing_data_is_one_sentence(tmp_path):
    path = tmp_path / "real.toml"
    path.write_text(TINY.replace('source = "synthetic"', 'source = "file"'))
    with pytest.raises(ConfigError, match="--data PATH"):
        run_sweep(load_study(path), tmp_path / "s.sqlite", executor="inline")
    assert not (tmp_path / "s.sqlite").exists()
    # listing the grid needs no data
    assert grid_status(load_study(path), tmp_path / "s.sqlite")["pending"] == 4


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


def test_cli_sweep_status_export_and_run_store(study_file, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "s.sqlite"
    # a single run written into the store is not trained again by the sweep
    code, out, _ = cli(
        monkeypatch, capsys, "run", study_file, "--arm", "unimodal", "--seed", "1",
        "--store", store, "--json",
    )  # fmt: skip
    assert code == 0
    single = json.loads(out)
    code, out, err = cli(
        monkeypatch, capsys, "sweep", study_file, "--store", store, "--executor", "inline",
        "--levels", "0,0.8", "--json",
    )  # fmt: skip
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["total"], summary["done"], summary["ran"]) == (6, 6, 5)
    code, out, _ = cli(
        monkeypatch, capsys, "status", study_file, "--store", store, "--levels", "0,0.8", "--json"
    )
    assert json.loads(out) == {
        "study": "tiny", "total": 6, "done": 6, "pending": 0, "failed": 0, "running": 0,
    }  # fmt: skip
    for fmt in ("csv", "parquet"):
        out_file = tmp_path / f"t.{fmt}"
        code, _, err = cli(
            monkeypatch, capsys, "export", study_file, "--store", store, "--format", fmt,
            "--out", out_file,
        )  # fmt: skip
        assert code == 0, err
        table = pd.read_csv(out_file) if fmt == "csv" else pd.read_parquet(out_file)
        assert tuple(table.columns) == TIDY_COLUMNS
        assert table.paired.astype(bool).all() and len(table) == len(read_table(store))
    row = read_table(store).query("arm == 'unimodal' and seed == 1 and condition == 'primary'")
    assert row.set_index("metric").value.to_dict() == pytest.approx(
        single["metrics"]["primary"], nan_ok=True
    )
    # default store path results/<study>.sqlite, and bad input exits 2
    code, out, _ = cli(monkeypatch, capsys, "status", study_file, "--json")
    assert code == 0 and json.loads(out)["done"] == 0
    code, _, err = cli(monkeypatch, capsys, "export", study_file, "--format", "xlsx")
    assert code == 2 and "--format 'xlsx'" in err
    code, _, err = cli(monkeypatch, capsys, "sweep", study_file, "--levels", "0,x")
    assert code == 2 and "--levels" in err
    (tmp_path / "junk.sqlite").write_text("junk")
    code, _, err = cli(monkeypatch, capsys, "sweep", study_file, "--store", "junk.sqlite")
    assert code == 2 and "not a SQLite file" in err


def test_ray_local_cluster_gives_the_same_numbers(tmp_path):
    pytest.importorskip("ray")
    path = tmp_path / "tiny.toml"
    path.write_text(TINY.replace("seeds = 2", "seeds = 1"))
    st = load_study(path)
    summary = run_sweep(st, tmp_path / "ray.sqlite", executor="ray", workers=2, address="local")
    assert (summary.total, summary.done, summary.failed) == (2, 2, 0)
    run_sweep(st, tmp_path / "inline.sqlite", executor="inline")
    pd.testing.assert_frame_equal(
        sorted_table(tmp_path / "ray.sqlite"), sorted_table(tmp_path / "inline.sqlite")
    )


def test_two_sweeps_on_one_store_share_the_work(study_file, tmp_path):
    import threading

    st = load_study(study_file).with_overrides(seeds=3)
    store = tmp_path / "s.sqlite"
    summaries = []
    threads = [
        threading.Thread(target=lambda: summaries.append(run_sweep(st, store, executor="inline")))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(s.ran for s in summaries) == 6
    table = read_table(store)
    assert table.run_id.nunique() == 6
    assert not table.duplicated(["run_id", "setting", "condition", "metric"]).any()
