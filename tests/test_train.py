"""One training run: determinism, arms, evaluation conditions and protocol switches."""

from dataclasses import replace

import numpy as np
import pytest

from colearn.errors import ConfigError
from repro.data.synthetic import make_synthetic
from repro.training.config import ModelSpec, Protocol, RunConfig, TrainingSpec
from repro.training.train import conditions_for, train


@pytest.fixture(scope="module")
def data():
    return make_synthetic("quick", n_items=240, seq_len=6)


@pytest.fixture(scope="module")
def config():
    return RunConfig(
        study_seed=3,
        primary="language",
        dropped=("audio", "visual"),
        model=ModelSpec("eflstm", {"hidden": 8}),
        training=TrainingSpec(epochs=3, batch_size=16, lr=0.005),
        protocol=Protocol(),
    )


def test_same_seed_gives_identical_metrics_and_predictions(data, config):
    a = train(data, config, "multimodal", 0.5, seed=1)
    b = train(data, config, "multimodal", 0.5, seed=1)
    assert a.metrics == b.metrics
    assert np.array_equal(a.predictions["primary"], b.predictions["primary"])
    c = train(data, config, "multimodal", 0.5, seed=2)
    assert c.metrics != a.metrics


def test_result_holds_every_condition_metric_prediction_and_history(data, config):
    r = train(data, config, "multimodal", 0.0, seed=0)
    assert set(r.metrics) == {"primary", "all", "audio", "visual"} == set(conditions_for(data))
    assert {"loss", "accuracy", "f1_macro", "f1_weighted", "f1_paper"} <= set(r.metrics["primary"])
    assert r.n_test == len(data.splits["test"]) == len(r.predictions["all"])
    assert r.confusion["primary"].sum() == r.n_test
    assert [h["epoch"] for h in r.history] == [1, 2, 3]
    assert 1 <= r.best_epoch <= 3


def test_best_checkpoint_is_the_lowest_validation_loss(data, config):
    r = train(data, config, "unimodal", None, seed=0)
    losses = [h["valid_loss"] for h in r.history]
    assert r.best_epoch == max(i + 1 for i, v in enumerate(losses) if v == min(losses))


def test_nothing_is_dropped_at_evaluation(data, config):
    # Trained with supporting modalities always dropped, yet "all" is evaluated with them present:
    # its predictions differ from the primary-only condition.
    r = train(data, config, "multimodal", 1.0, seed=0)
    assert not np.array_equal(r.predictions["all"], r.predictions["primary"])


def test_early_stopping_stops_after_patience(data, config):
    cfg = replace(config, training=replace(config.training, epochs=30, early_stopping=1, lr=0.05))
    r = train(data, cfg, "multimodal", 0.0, seed=0)
    assert len(r.history) < 30
    assert len(r.history) - r.best_epoch == 1


def test_regression_runs_report_sentiment_metrics():
    data = make_synthetic(
        "mosi", n_items=120, seq_len=4, dims={"language": 6, "audio": 2, "visual": 3}
    )
    cfg = RunConfig(
        0,
        "language",
        ("audio", "visual"),
        ModelSpec("mfn", {"hidden": 4, "mem": 4}),
        TrainingSpec(epochs=2, batch_size=16, lr=0.01),
        Protocol(),
    )
    r = train(data, cfg, "multimodal", 0.5, seed=0)
    assert {"mae", "corr", "acc2_has0", "acc2_non0", "acc7", "f1_paper", "loss"} <= set(
        r.metrics["primary"]
    )
    assert r.confusion == {}


@pytest.mark.parametrize(
    ("arm", "level", "fragment"),
    [
        ("both", 0.0, "arm 'both'"),
        ("multimodal", 1.5, "level in [0, 1]"),
        ("multimodal", None, "level"),
    ],
)
def test_bad_arm_or_level(data, config, arm, level, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        train(data, config, arm, level, seed=0)


def test_cuda_without_a_gpu_is_a_clear_error(data, config):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(ConfigError, match="CUDA is not available"):
        train(data, config, "unimodal", None, seed=0, device="cuda")


@pytest.mark.slow
def test_the_synthetic_study_shows_negative_co_learning_without_dropout():
    from repro.runs.execute import train_one

    _, uni = train_one("synthetic", "unimodal", None, 0)
    _, multi = train_one("synthetic", "multimodal", 0.0, 0)
    assert multi.metrics["primary"]["accuracy"] < uni.metrics["primary"]["accuracy"] - 0.2
    assert multi.metrics["all"]["accuracy"] > 0.95
