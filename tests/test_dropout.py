"""Modality dropout statistics: shared draws drop together, independent draws do not."""

import pytest
import torch

from colearn.errors import ConfigError
from repro.training.dropout import ModalityDropout, zero_fill


def drop_rates(dropout: ModalityDropout, trials: int = 4000):
    gen = torch.Generator().manual_seed(0)
    audio = visual = both = 0
    for _ in range(trials):
        masks = dropout.keep_masks(1, 1, gen)
        a, v = not bool(masks["audio"]), not bool(masks["visual"])
        audio += a
        visual += v
        both += a and v
    return audio / trials, visual / trials, both / trials


def test_shared_draw_drops_audio_and_visual_together_with_probability_p():
    a, v, both = drop_rates(ModalityDropout({"audio": 0.8, "visual": 0.8}, draw="shared"))
    assert a == v == both  # never one alone
    assert abs(a - 0.8) < 0.03


def test_shared_draw_with_unequal_p_nests_the_drops():
    a, v, both = drop_rates(ModalityDropout({"audio": 0.3, "visual": 0.6}, draw="shared"))
    assert both == a  # whenever audio (smaller p) drops, visual drops too
    assert abs(v - 0.6) < 0.03


def test_independent_draws_are_independent():
    a, v, both = drop_rates(ModalityDropout({"audio": 0.5, "visual": 0.5}, draw="independent"))
    assert abs(a - 0.5) < 0.03 and abs(v - 0.5) < 0.03
    assert abs(both - a * v) < 0.03


@pytest.mark.parametrize(
    ("granularity", "shape"), [("batch", (1, 1)), ("sample", (8, 1)), ("timestep", (8, 5))]
)
def test_granularity_sets_the_unit_of_a_draw(granularity, shape):
    drop = ModalityDropout({"audio": 0.5}, granularity=granularity)
    masks = drop.keep_masks(8, 5, torch.Generator().manual_seed(1))
    assert tuple(masks["audio"].shape) == shape


def test_dropout_zeroes_whole_modalities_and_keeps_the_rest():
    x = {"language": torch.ones(4, 3, 2), "audio": torch.ones(4, 3, 2)}
    out = ModalityDropout({"audio": 1.0})(x, torch.Generator().manual_seed(0))
    assert out["audio"].abs().sum() == 0
    assert torch.equal(out["language"], x["language"])
    assert x["audio"].sum() == 24  # inputs untouched


def test_p_zero_never_drops_and_own_generator_is_reproducible():
    x = {"audio": torch.ones(16, 3, 2)}
    assert torch.equal(ModalityDropout({"audio": 0.0})(x, torch.Generator())["audio"], x["audio"])
    drop = ModalityDropout({"audio": 0.5}, granularity="sample")
    a = drop(x, torch.Generator().manual_seed(7))["audio"]
    b = drop(x, torch.Generator().manual_seed(7))["audio"]
    assert torch.equal(a, b)


def test_zero_fill_keeps_only_named_modalities():
    x = {"language": torch.ones(2, 1, 1), "audio": torch.ones(2, 1, 1)}
    out = zero_fill(x, {"language"})
    assert out["language"].sum() == 2 and out["audio"].sum() == 0


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        (dict(p={"audio": 1.5}), "must be in [0, 1]"),
        (dict(draw="each"), "dropout draw 'each'"),
        (dict(granularity="token"), "granularity 'token'"),
    ],
)
def test_impossible_settings_are_rejected(kwargs, fragment):
    with pytest.raises(ConfigError, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        ModalityDropout(**kwargs)
