"""``colearn bench``: times real epochs and extrapolates consistently to a run and a sweep."""

import json

import pytest
from typer.testing import CliRunner

from colearn.errors import ConfigError
from repro.cli import app
from repro.runs.bench import benchmark_study
from repro.runs.study import load_study

TINY = """
[study]
name = "tiny"
seeds = 2
levels = [0.0, 0.8]

[data]
source = "synthetic"
primary = "language"
dropped = ["audio", "visual"]
[data.options]
n_items = 200
seq_len = 5

[model]
kind = "eflstm"
hidden = 8

[training]
epochs = 10
batch_size = 16
"""


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY)
    return path


def test_estimates_follow_from_the_timed_epoch(tiny):
    r = benchmark_study(load_study(tiny), epochs=2, workers=2)
    assert r["steps_per_epoch"] == 150 // 16  # 75 % of 200 items train, last partial batch dropped
    assert r["s_per_run"] == pytest.approx(10 * r["s_per_epoch"])
    assert r["runs"] == 6  # 2 levels x 2 seeds + 2 baselines
    assert r["s_per_sweep"] == pytest.approx(6 * r["s_per_run"] / 2)
    assert r["ms_per_step"] > 0 and r["parameters"] > 0


def test_one_epoch_cannot_be_timed(tiny):
    with pytest.raises(ConfigError, match="at least 2"):
        benchmark_study(load_study(tiny), epochs=1)


def test_cli_json(tiny):
    res = CliRunner().invoke(app, ["bench", str(tiny), "--timed-epochs", "2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["study"] == "tiny" and doc["device"] == "cpu"
