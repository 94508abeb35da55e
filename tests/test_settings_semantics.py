"""Settings that cannot surprise: the top-level tables are a setting, variants override them, and
every command takes a multi-setting study (report, compare, --epochs)."""

import json

import pytest
from typer.testing import CliRunner

from colearn.errors import ConfigError
from repro.cli import app
from repro.runs.grid import build_grid
from repro.runs.study import load_study

BASE = """
[study]
name = "draws"
seed = 7
seeds = 3
levels = [0.0, 0.8]
{head}

[data]
source = "synthetic"
preset = "quick"
primary = "language"
dropped = ["audio", "visual"]

[data.options]
n_items = 160
seq_len = 4

[model]
kind = "eflstm"
hidden = 4

[training]
epochs = 2
batch_size = 30
lr = 0.01
"""


def study(tmp_path, extra: str = "", head: str = ""):
    path = tmp_path / "draws.toml"
    path.write_text(BASE.format(head=head) + extra)
    return path


def test_a_declared_setting_keeps_the_base_protocol(tmp_path):
    st = load_study(study(tmp_path, "[settings.independent-draw.protocol]\ndraw = 'independent'\n"))
    assert st.setting_names == ["default", "independent-draw"]
    assert st.run_config().protocol.draw == "shared"
    assert st.run_config("independent-draw").protocol.draw == "independent"


def test_the_study_may_name_its_own_setting(tmp_path):
    path = study(tmp_path, "[settings.independent.protocol]\ndraw = 'independent'\n",
                 head='setting = "shared-draw"')  # fmt: skip
    st = load_study(path)
    assert st.setting_names == ["shared-draw", "independent"]
    assert st.reference == "shared-draw"


@pytest.mark.parametrize(
    ("extra", "head", "words"),
    [
        ("[settings.copy]\n", "", ["'default' and 'copy'", "same run configuration"]),
        ("[settings.a.protocol]\ndraw = 'independent'\n[settings.b.protocol]\ndraw = 'independent'\n",
         "", ["'a' and 'b'", "same run configuration"]),
        ("[settings.default.protocol]\ndraw = 'independent'\n", "", ["own configuration"]),
        ("[settings.x.protocol]\nspeed = 2\n", "", ["unknown key 'speed'"]),
    ],
)  # fmt: skip
def test_impossible_settings_are_one_sentence(tmp_path, extra, head, words):
    with pytest.raises(ConfigError) as err:
        load_study(study(tmp_path, extra, head))
    assert all(w in str(err.value) for w in words), str(err.value)


def test_epochs_override_changes_run_ids_and_every_setting(tmp_path):
    path = study(
        tmp_path,
        "[settings.long.training]\nepochs = 5\n[settings.long.protocol]\ndraw = 'independent'\n",
    )
    st = load_study(path)
    quick = st.with_overrides(epochs=1)
    assert {quick.run_config(n).training.epochs for n in quick.setting_names} == {1}
    assert quick.designed_epochs == 2
    assert set(build_grid(quick).run_ids).isdisjoint(build_grid(st).run_ids)
    # after --epochs the two settings would be one configuration: refused, not merged
    with pytest.raises(ConfigError, match="same run configuration"):
        load_study(study(tmp_path, "[settings.long.training]\nepochs = 1\n")).with_overrides(
            epochs=2
        )


def test_report_compare_and_epochs_on_a_multi_setting_study(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = study(tmp_path, "[settings.independent-draw.protocol]\ndraw = 'independent'\n",
                 head='setting = "shared-draw"')  # fmt: skip
    runner = CliRunner()
    res = runner.invoke(app, ["reproduce", str(path), "--epochs", "1", "--workers", "1",
                              "--n-boot", "50"])  # fmt: skip
    assert res.exit_code == 0, res.output
    report = (tmp_path / "reports" / "draws" / "report.md").read_text()
    assert "## Settings compared" in report
    assert "shared-draw (reference)" in report
    assert "set with --epochs for a quick look" in report
    assert "shared-draw p = 0.8 **" in report  # labels name their setting
    for fig in ("dose_overlay.png", "settings_forest.png"):
        assert (tmp_path / "reports" / "draws" / "figures" / fig).is_file()
    res = runner.invoke(
        app, ["compare", str(path), "--a", "independent-draw", "--b", "shared-draw", "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {c["setting_b"] for c in doc["comparisons"]} == {"shared-draw"}
    assert "only 3 seeds per arm" in res.stderr
    res = runner.invoke(app, ["analyze", str(path), "--no-dose"], env={"COLUMNS": "80"})
    assert res.exit_code == 0, res.output
    assert max(len(line) for line in res.stdout.splitlines()) <= 80
    assert "--wide shows them" in res.stderr


def test_a_setting_names_a_remedy_and_its_defaults_enter_the_run_id(tmp_path):
    path = study(tmp_path, "[settings.ogm.method]\nname = 'ogm_ge'\nalpha = 0.5\n")
    path.write_text(path.read_text().replace('kind = "eflstm"', 'kind = "latefusion"'))
    st = load_study(path)
    method = st.run_config("ogm").method
    assert method.name == "ogm_ge" and method.params["alpha"] == 0.5
    assert "until_epoch" in method.params  # defaults filled in, so the run id names them
    assert st.run_config().method.name == "dropout"


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("[settings.x.method]\nname = 'magic'\n", ["[settings.x.method]", "'magic' is unknown"]),
        ("[settings.x.method]\nname = 'mla'\n", ["[settings.x]", "latefusion"]),
        ("[method]\nname = 'ogm_ge'\nspeed = 1\n", ["[method]", "no setting 'speed'"]),
    ],
)
def test_impossible_methods_are_one_sentence(tmp_path, extra, words):
    with pytest.raises(ConfigError) as err:
        load_study(study(tmp_path, extra))
    assert all(w in str(err.value) for w in words), str(err.value)
