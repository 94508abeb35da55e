"""Study files: every bad key or value is one clear ConfigError (exit 2); built-in studies load."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from colearn.errors import ConfigError
from repro.runs.study import builtin_studies, load_study

BASE = """
[study]
name = "tiny"
seeds = 2
levels = [0.0, 0.8]

[data]
source = "synthetic"
primary = "language"
dropped = ["audio", "visual"]

[model]
kind = "eflstm"
hidden = 8
"""


def write(tmp_path: Path, text: str, name: str = "study.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_base_study_loads(tmp_path):
    st = load_study(write(tmp_path, BASE))
    assert st.name == "tiny" and st.seeds == 2 and st.levels == (0.0, 0.8)
    assert st.setting_names == ["default"]


@pytest.mark.parametrize(
    ("extra", "replace", "words"),
    [
        ("[results]\nx = 1\n", None, ["unknown table [results]"]),
        ("[training]\nepochz = 3\n", None, ["unknown key 'epochz'", "[training]"]),
        ("[protocol]\nshuffel = 'once'\n", None, ["unknown key 'shuffel'", "[protocol]"]),
        ("[analysis]\nmetrik = 'accuracy'\n", None, ["unknown key 'metrik'"]),
        ("[training]\nepochs = 'ten'\n", None, ["epochs must be int", "'ten'"]),
        ("[training]\nepochs = true\n", None, ["epochs must be int"]),
        ("[training]\nlr = '0.1'\n", None, ["lr must be float"]),
        ("[protocol]\ndrop_last = 1\n", None, ["drop_last must be bool"]),
        ("[protocol]\ndraw = 'sometimes'\n", None, ["draw = 'sometimes'", "shared"]),
        ("[protocol]\ngranularity = 'epoch'\n", None, ["granularity", "timestep"]),
        ("[training]\nloss = 'hinge'\n", None, ["loss = 'hinge'"]),
        ("", ("levels = [0.0, 0.8]", "levels = [0.0, 1.5]"), ["level 1.5 is outside [0, 1]"]),
        ("", ("levels = [0.0, 0.8]", "levels = [-0.1]"), ["level -0.1 is outside [0, 1]"]),
        ("", ("levels = [0.0, 0.8]", "levels = []"), ["levels must be a non-empty list"]),
        ("", ("levels = [0.0, 0.8]", "levels = [0.8, 0.8]"), ["repeat"]),
        ("", ("seeds = 2", "seeds = 0"), ["seeds must be an integer from 1 to 10,000"]),
        ("", ('name = "tiny"', 'description = "x"'), ["[study] needs a name"]),
        (
            "",
            ('source = "synthetic"', 'source = "web"'),
            ["[data] source", "unknown data source 'web'"],
        ),
        (
            "",
            ('dropped = ["audio", "visual"]', 'dropped = ["language"]'),
            ["also listed as dropped"],
        ),
        ("", ('dropped = ["audio", "visual"]', "dropped = []"), ["dropped must name at least one"]),
        ("", ('kind = "eflstm"', "kind = 3"), ["[model] needs a kind"]),
        (
            '[[claims]]\nid = "a"\nlevel = 0.8\nmetric = "accuracy"\n',
            None,
            ["claim 1 misses expected"],
        ),
        (
            '[[claims]]\nid = "a"\nlevel = 0.8\nmetric = "accuracy"\nexpected = "better"\n',
            None,
            ["expected = 'better'", "NCL"],
        ),
        ("[settings.x]\ndata = {}\n", None, ["[settings.x] may override", "'data'"]),
        ("[settings.x.protocol]\ndraw = 'often'\n", None, ["[settings.x]", "draw = 'often'"]),
    ],
)
def test_bad_study_names_the_key(tmp_path, extra, replace, words):
    text = BASE + "\n" + extra
    if replace:
        assert replace[0] in text
        text = text.replace(replace[0], replace[1])
    with pytest.raises(ConfigError) as err:
        load_study(write(tmp_path, text))
    message = str(err.value)
    for word in words:
        assert word in message
    assert message.count("\n") == 0


def test_data_and_model_tables_are_required(tmp_path):
    with pytest.raises(ConfigError, match=r"needs a \[data\] and a \[model\]"):
        load_study(write(tmp_path, '[study]\nname = "x"\n'))


def test_invalid_toml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_study(write(tmp_path, "[study\nname = 1"))
    with pytest.raises(ConfigError, match="neither a built-in study"):
        load_study(tmp_path / "nope.toml")


def test_missing_data_path_is_one_sentence(tmp_path):
    text = BASE.replace('source = "synthetic"', 'source = "file"')
    st = load_study(write(tmp_path, text))
    with pytest.raises(ConfigError, match="--data PATH"):
        st.require_data()
    st = st.with_overrides(data_path=str(tmp_path / "missing.npz"))
    with pytest.raises(ConfigError, match="missing.npz' of study 'tiny' does not exist"):
        st.require_data()


def test_overrides_are_validated(tmp_path):
    st = load_study(write(tmp_path, BASE))
    assert st.with_overrides(seeds=5, levels=[0.4, 0.0]).levels == (0.0, 0.4)
    with pytest.raises(ConfigError, match="--seeds"):
        st.with_overrides(seeds=0)
    with pytest.raises(ConfigError, match="outside"):
        st.with_overrides(levels=[2.0])


def test_unknown_setting_is_an_error(tmp_path):
    st = load_study(write(tmp_path, BASE))
    with pytest.raises(ConfigError, match="no setting 'shared'"):
        st.run_config("shared")


def test_cli_exit_code_2_on_a_bad_study(tmp_path, monkeypatch, capsys):
    from repro.cli import main

    path = write(tmp_path, BASE.replace("seeds = 2", "seeds = -1"))
    monkeypatch.setattr(sys, "argv", ["colearn", "status", str(path)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "seeds must be an integer" in err and "Traceback" not in err


def test_builtin_studies_load():
    names = builtin_studies()
    for name in ("synthetic", "paper-iemocap", "paper-mosi", "synthetic-iemocap", "synthetic-mosi"):
        assert name in names
        load_study(name)


def test_paper_iemocap_matches_the_paper():
    st = load_study("paper-iemocap")
    assert st.model.kind == "eflstm"
    assert st.model.params == {
        "hidden": 128,
        "layers": 2,
        "dropout": 0.5,
        "head_dropout": 0.5,
        "readout": "last-output",
    }
    t, p = st.training, st.protocol
    assert (t.epochs, t.batch_size, t.lr, t.plateau_patience, t.plateau_factor) == (
        40,
        30,
        1e-4,
        100,
        0.5,
    )
    assert (p.draw, p.granularity, p.selection, p.shuffle, p.drop_last) == (
        "shared",
        "batch",
        "primary",
        "once",
        True,
    )
    assert st.seeds == 5 and st.levels == (0.0, 0.15, 0.4, 0.6, 0.8, 0.9, 0.95)
    claims = {c.id: c for c in st.claims}
    assert (claims["ncl-at-0"].paper_value, claims["ncl-at-0"].expected) == (0.27, "NCL")
    assert (claims["pcl-at-0.8"].paper_value, claims["pcl-at-0.8"].expected) == (0.47, "PCL")
    assert claims["degrade-0.9"].expected == claims["degrade-0.95"].expected == "NeCL"
    with pytest.raises(ConfigError, match="--data PATH"):
        st.require_data()


def test_paper_mosi_matches_the_authors_settings():
    st = load_study("paper-mosi")
    assert st.model.kind == "mfn" and st.model.params["hidden"] == [128, 32, 32]
    assert (st.training.epochs, st.training.batch_size, st.training.lr) == (50, 128, 0.01)
    assert st.training.loss == "l1" and st.analysis.metric == "acc2_has0"
    assert {c.id for c in st.claims} >= {"pcl-at-0"}
    with pytest.raises(ConfigError, match="--data PATH"):
        st.require_data()


def test_synthetic_paper_sized_studies_need_no_data():
    for name, preset, kind in (
        ("synthetic-iemocap", "iemocap", "eflstm"),
        ("synthetic-mosi", "mosi", "mfn"),
    ):
        st = load_study(name)
        assert (st.data.source, st.data.preset, st.model.kind) == ("synthetic", preset, kind)
        st.require_data()
