"""Run grid: size, shared baselines, order, and run ids that change only with the result."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from repro.runs.grid import build_grid
from repro.runs.ids import make_spec
from repro.runs.study import load_study

TINY = """
[study]
name = "tiny"
seed = 7
seeds = 3
levels = [0.0, 0.8]

[data]
source = "synthetic"
primary = "language"
dropped = ["audio", "visual"]

[model]
kind = "eflstm"
hidden = 8
"""


def tiny(tmp_path: Path, extra: str = ""):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY + extra)
    return load_study(path)


def test_grid_size_and_order(tmp_path):
    grid = build_grid(tiny(tmp_path))
    assert len(grid) == 3 * (2 + 1)
    assert len(set(grid.run_ids)) == len(grid)
    cells = [(s.seed, s.arm, s.level) for s in grid]
    assert cells[:3] == [(0, "unimodal", None), (0, "multimodal", 0.0), (0, "multimodal", 0.8)]
    assert [s.seed for s in grid] == sorted(s.seed for s in grid)
    assert all(grid.settings[r] == ("default",) for r in grid.run_ids)


def test_settings_that_differ_only_in_dropout_share_the_baseline(tmp_path):
    # The top-level protocol (shared draw) is the setting "default"; two variants override it.
    extra = (
        "[settings.independent.protocol]\ndraw = 'independent'\n"
        "[settings.sample.protocol]\ngranularity = 'sample'\n"
    )
    grid = build_grid(tiny(tmp_path, extra))
    # 3 settings x 2 levels x 3 seeds multimodal runs + one baseline per seed index
    assert len(grid) == 3 * 2 * 3 + 3
    baselines = [s for s in grid if s.arm == "unimodal"]
    assert len(baselines) == 3
    for b in baselines:
        assert grid.settings[b.run_id] == ("default", "independent", "sample")
    multi = [s for s in grid if s.arm == "multimodal"]
    assert all(len(grid.settings[s.run_id]) == 1 for s in multi)


def test_settings_that_change_training_get_their_own_baseline(tmp_path):
    extra = "[settings.short.training]\nepochs = 3\n[settings.long.training]\nepochs = 4\n"
    grid = build_grid(tiny(tmp_path, extra))
    # default (the top-level epochs), short and long: three baselines per seed index
    assert len(grid) == 3 * 2 * 3 + 3 * 3
    assert sum(s.arm == "unimodal" for s in grid) == 9


def test_more_seeds_only_add_runs(tmp_path):
    st = tiny(tmp_path)
    small = build_grid(st.with_overrides(seeds=2)).run_ids
    big = build_grid(st.with_overrides(seeds=5)).run_ids
    assert big[: len(small)] == small and len(big) == 5 * 3
    # dropping a level keeps the ids of the others
    fewer = build_grid(st.with_overrides(levels=[0.8])).run_ids
    assert set(fewer) < set(big)


def test_run_id_is_stable_across_processes_and_releases(tmp_path):
    # Pinned: a change here orphans every stored run (resuming would retrain everything).
    st = tiny(tmp_path)
    assert make_spec(st, "default", "multimodal", 0.8, 0).run_id == PINNED_ID
    assert make_spec(st, "default", "multimodal", 0.8, 0) == make_spec(
        st, "default", "multimodal", 0.8, 0
    )


PINNED_ID = (
    "6a3be3c672fb2dfc"  # the tiny study, default setting, multimodal, level 0.8, seed index 0
)


def test_run_id_changes_with_what_changes_a_result(tmp_path):
    st = tiny(tmp_path)
    base = make_spec(st, "default", "multimodal", 0.8, 0).run_id
    changed = [
        make_spec(st, "default", "multimodal", 0.4, 0),
        make_spec(st, "default", "multimodal", 0.8, 1),
        make_spec(st, "default", "unimodal", None, 0),
        make_spec(replace(st, seed=8), "default", "multimodal", 0.8, 0),
        make_spec(
            replace(st, training=replace(st.training, epochs=3)), "default", "multimodal", 0.8, 0
        ),
        make_spec(
            replace(st, data=replace(st.data, options={"n_items": 300})),
            "default",
            "multimodal",
            0.8,
            0,
        ),
        make_spec(
            replace(st, protocol=replace(st.protocol, draw="independent")),
            "default",
            "multimodal",
            0.8,
            0,
        ),
    ]
    assert len({base, *(s.run_id for s in changed)}) == 1 + len(changed)
    # ... and not with what does not: description, seed count, other levels, the study's file
    same = [
        replace(st, description="other words"),
        st.with_overrides(seeds=10, levels=[0.8, 0.9]),
        replace(st, source_file="elsewhere.toml"),
    ]
    assert {make_spec(s, "default", "multimodal", 0.8, 0).run_id for s in same} == {base}
    # the baseline ignores the dropout switches
    uni = make_spec(st, "default", "unimodal", None, 0).run_id
    indep = replace(st, protocol=replace(st.protocol, draw="independent", granularity="sample"))
    assert make_spec(indep, "default", "unimodal", None, 0).run_id == uni
