"""Tests of repro.training.models: sizes as released, readouts, MFN states, errors, determinism."""

import doctest

import pytest
import torch

import repro.training.models
from colearn.errors import ConfigError, DataError
from repro.training.models import (
    EFLSTM,
    MFN,
    EarlyFusionMLP,
    LateFusion,
    build_model,
    default_hparams,
)
from repro.training.models import eflstm as eflstm_module
from repro.training.models import latefusion as latefusion_module
from repro.training.models import mfn as mfn_module
from repro.training.models import mlp as mlp_module
from repro.training.models._common import concat_modalities

PAPER_DIMS = {"language": 300, "audio": 80, "visual": 310}
SMALL_DIMS = {"language": 6, "audio": 3, "visual": 4}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models run fastest on one thread, and the test machine may be shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def batch(dims, b=5, t=7, seed=0, dtype=torch.float32, device="cpu"):
    g = torch.Generator().manual_seed(seed)
    return {m: torch.randn(b, t, d, generator=g, dtype=dtype).to(device) for m, d in dims.items()}


def n_params(model):
    return sum(p.numel() for p in model.parameters())


def test_eflstm_has_the_released_parameter_count():
    # LSTM layer 1: 2 directions × (4·128·(690 + 128) + 2·4·128) = 839,680
    # LSTM layer 2: 2 × (4·128·(256 + 128) + 1024) = 395,264
    # head: 256·128 + 128 (Linear) + 2·128 (BatchNorm) + 128·9 + 9 (Linear) = 34,313
    model = build_model("eflstm", PAPER_DIMS, 9)
    assert n_params(model) == 1_269_257


@pytest.mark.parametrize("kind", ["eflstm", "mfn", "mlp", "latefusion"])
@pytest.mark.parametrize("n_outputs", [1, 4])
def test_output_shapes(kind, n_outputs):
    model = build_model(kind, SMALL_DIMS, n_outputs)
    t = 1 if kind == "mlp" else 7
    out = model(batch(SMALL_DIMS, b=5, t=t))
    assert out.shape == (5, n_outputs)
    assert out.dtype == torch.float32
    out.sum().backward()  # trainable end to end


def test_mlp_averages_over_time():
    model = EarlyFusionMLP(SMALL_DIMS, 3, hidden=(8, 8)).eval()
    x = batch(SMALL_DIMS, t=4)
    mean = {m: v.mean(dim=1, keepdim=True) for m, v in x.items()}
    torch.testing.assert_close(model(x), model(mean))
    assert build_model("mlp", SMALL_DIMS, 3, hidden=())(mean).shape == (5, 3)


def test_concatenation_follows_dims_order_not_input_order():
    x = batch(SMALL_DIMS)
    reordered = {m: x[m] for m in reversed(list(x))}
    fused = concat_modalities(reordered, SMALL_DIMS)
    torch.testing.assert_close(fused, torch.cat([x["language"], x["audio"], x["visual"]], -1))


def test_last_output_readout_is_the_lstm_output_at_the_last_step():
    torch.manual_seed(0)
    model = EFLSTM(SMALL_DIMS, 3, hidden=8).eval()
    x = batch(SMALL_DIMS)
    output, _ = model.lstm(concat_modalities(x, SMALL_DIMS))
    torch.testing.assert_close(model(x), model.head(output[:, -1]))
    # with one layer the backward half at the last step has seen only x_T
    one_layer = EFLSTM(SMALL_DIMS, 3, hidden=8, layers=1).eval()
    changed = {m: v.clone() for m, v in x.items()}
    changed["language"][:, :-1] += 1.0
    before, _ = one_layer.lstm(concat_modalities(x, SMALL_DIMS))
    after, _ = one_layer.lstm(concat_modalities(changed, SMALL_DIMS))
    torch.testing.assert_close(after[:, -1, 8:], before[:, -1, 8:], rtol=0, atol=0)
    assert not torch.allclose(after[:, -1, :8], before[:, -1, :8])


def test_final_state_readout_uses_both_final_states_and_differs():
    torch.manual_seed(0)
    last = EFLSTM(SMALL_DIMS, 3, hidden=8).eval()
    final = EFLSTM(SMALL_DIMS, 3, hidden=8, readout="final-state").eval()
    final.load_state_dict(last.state_dict())
    x = batch(SMALL_DIMS)
    output, _ = last.lstm(concat_modalities(x, SMALL_DIMS))
    states = torch.cat([output[:, -1, :8], output[:, 0, 8:]], dim=-1)
    torch.testing.assert_close(final.encode(x), states)
    assert not torch.allclose(final(x), last(x))


def test_latefusion_concat_logits_are_the_head_slices_and_sum_to_the_fused_output():
    torch.manual_seed(0)
    model = LateFusion(SMALL_DIMS, 3, hidden=5).eval()
    x = batch(SMALL_DIMS)
    enc = model.encode(x)
    assert set(enc) == set(SMALL_DIMS) and enc["audio"].shape == (5, 5)
    w, b = model.head.weight, model.head.bias
    torch.testing.assert_close(
        model.logits("audio", enc["audio"]), enc["audio"] @ w[:, 5:10].T + b / 3
    )
    torch.testing.assert_close(model(x), sum(model.logits(m, h) for m, h in enc.items()))
    # Left out of the fusion, a modality counts as a zero encoding: the head on the primary alone.
    alone = model.fuse({"language": enc["language"]})
    torch.testing.assert_close(alone, enc["language"] @ w[:, :5].T + b)


def test_latefusion_shared_head_averages_modality_logits_and_encodes_subsets():
    torch.manual_seed(0)
    model = LateFusion(SMALL_DIMS, 3, hidden=4, fusion="shared", encoder="mlp", layers=2).eval()
    x = batch(SMALL_DIMS, t=1)
    enc = model.encode(x)
    torch.testing.assert_close(model(x), sum(model.head(h) for h in enc.values()) / 3)
    only = model.encode({"audio": x["audio"]}, ["audio"])
    assert list(only) == ["audio"]
    torch.testing.assert_close(only["audio"], enc["audio"])
    assert model.head.in_features == 4


def test_latefusion_lstm_encoder_reads_the_final_hidden_state():
    torch.manual_seed(0)
    model = LateFusion(SMALL_DIMS, 2, hidden=6, layers=2).eval()
    x = batch(SMALL_DIMS)
    _, (h_n, _) = model.encoders["visual"].lstm(x["visual"])
    torch.testing.assert_close(model.encode(x)["visual"], h_n[-1])


def test_latefusion_rejects_unknown_encoder_and_fusion():
    with pytest.raises(ConfigError, match="encoder must be one of lstm, mlp, got 'gru'"):
        build_model("latefusion", SMALL_DIMS, 2, encoder="gru")
    with pytest.raises(ConfigError, match="fusion must be one of concat, shared, got 'sum'"):
        build_model("latefusion", SMALL_DIMS, 2, fusion="sum")


def test_mfn_classification_and_regression():
    x = batch(SMALL_DIMS, t=3)
    assert MFN(SMALL_DIMS, 9)(x).shape == (5, 9)
    assert MFN(SMALL_DIMS, 1)(x).shape == (5, 1)


def test_mfn_sizes_and_hidden_forms():
    assert MFN(SMALL_DIMS, 1).hidden == [128, 32, 32]  # the authors' setting
    assert MFN({"a": 2, "b": 3}, 1).hidden == [64, 64]
    assert MFN(SMALL_DIMS, 1, hidden={"visual": 3, "language": 5, "audio": 4}).hidden == [5, 4, 3]
    model = MFN(SMALL_DIMS, 2, hidden=[5, 4, 3], mem=6, window=3)
    assert model.attention.scores[0].in_features == 3 * 12
    assert model.out[0].in_features == 12 + 6
    assert model(batch(SMALL_DIMS, t=4)).shape == (5, 2)
    assert MFN(SMALL_DIMS, 1, window=1)(batch(SMALL_DIMS, t=2)).shape == (5, 1)
    with pytest.raises(ConfigError, match="3 modalities"):
        MFN(SMALL_DIMS, 1, hidden=[5, 4])
    with pytest.raises(ConfigError, match="hidden names modalities"):
        MFN(SMALL_DIMS, 1, hidden={"language": 5})


def test_mfn_states_follow_input_dtype():
    model = MFN(SMALL_DIMS, 2, hidden=4, mem=5).double()
    out = model(batch(SMALL_DIMS, t=3, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_mfn_states_follow_input_device_meta():
    model = MFN(SMALL_DIMS, 2, hidden=4, mem=5).to("meta")
    out = model(batch(SMALL_DIMS, t=3, device="meta"))
    assert out.device.type == "meta" and out.shape == (5, 2)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("kind", ["eflstm", "mfn", "mlp", "latefusion"])
def test_models_run_on_cuda(kind):
    model = build_model(kind, SMALL_DIMS, 3).cuda()
    out = model(batch(SMALL_DIMS, t=1 if kind == "mlp" else 3, device="cuda"))
    assert out.is_cuda and out.shape == (5, 3)


def test_build_model_rejects_unknown_kind():
    with pytest.raises(ConfigError, match="unknown model 'lstm'; valid: eflstm, mfn, mlp"):
        build_model("lstm", SMALL_DIMS, 2)


def test_build_model_rejects_unknown_setting():
    message = "unknown model setting 'hiden' for eflstm; valid: hidden, layers, dropout, "
    with pytest.raises(ConfigError, match=message):
        build_model("eflstm", SMALL_DIMS, 2, hiden=64)


def test_bad_settings_raise_config_error():
    with pytest.raises(ConfigError, match="readout must be one of last-output, final-state"):
        build_model("eflstm", SMALL_DIMS, 2, readout="mean")
    with pytest.raises(ConfigError, match="'hidden' must be a positive int, got 0"):
        build_model("eflstm", SMALL_DIMS, 2, hidden=0)
    with pytest.raises(ConfigError, match="'out_dropout' must be a dropout rate"):
        build_model("mfn", SMALL_DIMS, 2, out_dropout=1.5)
    with pytest.raises(ConfigError, match="modality 'audio' must be a positive int"):
        build_model("mlp", {"language": 3, "audio": -1}, 2)
    with pytest.raises(ConfigError, match="dims must map"):
        build_model("mlp", {}, 2)


def test_malformed_inputs_raise_data_error():
    model = build_model("eflstm", SMALL_DIMS, 2)
    x = batch(SMALL_DIMS)
    with pytest.raises(DataError, match="input modality 'visual' is missing"):
        model({"language": x["language"], "audio": x["audio"]})
    with pytest.raises(DataError, match=r"'audio' must have shape \(batch, time, 3\)"):
        model({**x, "audio": torch.zeros(5, 7, 4)})
    with pytest.raises(DataError, match="all modalities must agree"):
        model({**x, "audio": torch.zeros(5, 6, 3)})


def test_default_hparams_lists_settings_with_defaults():
    assert default_hparams("eflstm") == {
        "hidden": 128,
        "layers": 2,
        "dropout": 0.5,
        "head_dropout": 0.5,
        "readout": "last-output",
    }
    assert default_hparams("mfn")["mem"] == 128
    assert default_hparams("mlp") == {"hidden": (128,), "dropout": 0.5}


@pytest.mark.parametrize("kind", ["eflstm", "mfn", "mlp", "latefusion"])
def test_same_seed_same_output(kind):
    def run():
        torch.manual_seed(123)
        model = build_model(kind, SMALL_DIMS, 3)  # train mode: dropout draws are seeded too
        return model(batch(SMALL_DIMS, t=1 if kind == "mlp" else 4))

    torch.testing.assert_close(run(), run(), rtol=0, atol=0)


@pytest.mark.parametrize(
    "module", [repro.training.models, eflstm_module, mfn_module, mlp_module, latefusion_module]
)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, extraglobs={"torch": torch})
    assert result.failed == 0
