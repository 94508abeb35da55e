"""Training methods: MLA's projection, OGM-GE's modulation, AUG's learners, configs, end to end."""

import doctest
import math
from dataclasses import replace

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import repro.training.methods as methods_package
from colearn.errors import ConfigError
from repro.data.synthetic import make_synthetic
from repro.training.config import MethodSpec, ModelSpec, Protocol, RunConfig, TrainingSpec
from repro.training.dropout import ModalityDropout
from repro.training.methods import (
    AUG,
    MLA,
    OGMGE,
    check_method,
    entropy_fusion,
    method_generator,
    ogm_coefficients,
)
from repro.training.methods import mla as mla_module
from repro.training.methods import ogm_ge as ogm_module
from repro.training.models import LateFusion
from repro.training.train import train

DIMS = {"language": 4, "audio": 3}
NO_DROPOUT = ModalityDropout({})


def make(cls, fusion, seed=0, **params):
    """A small late-fusion model with the method attached, and a fixed batch."""
    torch.manual_seed(seed)
    model = LateFusion(DIMS, 3, hidden=5, fusion=fusion)
    method = cls(
        check_method(MethodSpec(cls.name, params)).params,
        epochs=10,
        generator=torch.Generator().manual_seed(7),
    )
    method.attach(model, "classification")
    g = torch.Generator().manual_seed(seed + 1)
    x = {m: torch.randn(8, 3, d, generator=g) for m, d in DIMS.items()}
    y = torch.randint(0, 3, (8,), generator=g)
    return model, method, x, y


def frozen_sgd(model):
    """An optimizer that leaves the weights alone, so the gradients can be read after a step."""
    return torch.optim.SGD(model.parameters(), lr=0.0)


def head_grad(model, name, x, y):
    model.zero_grad(set_to_none=True)
    h = model.encode(x, [name])[name]
    F.cross_entropy(model.logits(name, h), y).backward()
    return model.head.weight.grad.clone(), h.detach().mean(0)


# -- MLA ---------------------------------------------------------------------------------------


def test_mla_projects_the_shared_head_gradient_away_from_the_previous_modality():
    model, method, x, y = make(MLA, "shared")
    plain, _ = head_grad(model, "audio", x, y)
    _, r = head_grad(model, "language", x, y)  # the modality trained just before audio
    method.start_epoch(1, 1)  # batch 0 of 1: α = 0.1 ** (1 + 0) = 0.1
    method.train_batch(model, dict(x), y, NO_DROPOUT, None, None, frozen_sgd(model))
    projector = torch.eye(5) - torch.outer(r, r) / (0.1 + r @ r)  # P = I − r rᵀ / (α + rᵀ r)
    projected = model.head.weight.grad
    torch.testing.assert_close(projected, plain @ projector)
    assert not torch.allclose(projected, plain, atol=1e-4)
    # Along r the gradient shrinks by α / (α + |r|²); orthogonal to r it is untouched.
    shrink = 0.1 / (0.1 + r @ r)
    torch.testing.assert_close(projected @ r, shrink * (plain @ r))
    across = torch.linalg.svd(r[None, :]).Vh[1:]  # (4, 5): a basis orthogonal to r
    torch.testing.assert_close(projected @ across.T, plain @ across.T)


def test_mla_projection_switched_off_leaves_the_head_gradient_as_released():
    model, method, x, y = make(MLA, "shared", projection=False)
    plain, _ = head_grad(model, "audio", x, y)
    method.start_epoch(1, 1)
    method.train_batch(model, dict(x), y, NO_DROPOUT, None, None, frozen_sgd(model))
    torch.testing.assert_close(model.head.weight.grad, plain, rtol=0, atol=0)


def test_mla_fuses_per_sample_by_entropy_and_predicts_primary_alone_with_the_head():
    a = torch.tensor([[3.0, 0.0, 0.0], [0.1, 0.0, 0.2]])  # sure on item 0, unsure on item 1
    b = torch.tensor([[0.0, 0.2, 0.1], [0.0, 0.0, 4.0]])  # the reverse
    fused = entropy_fusion({"a": a, "b": b})
    assert fused.argmax(1).tolist() == [0, 2]
    entropy = [-(F.softmax(v, 1) * F.log_softmax(v, 1)).sum(1) for v in (a, b)]
    top = torch.maximum(*entropy)
    w_a, w_b = torch.exp(top - entropy[0]), torch.exp(top - entropy[1])
    expected = (w_a[:, None] * a + w_b[:, None] * b) / (w_a + w_b)[:, None]
    torch.testing.assert_close(fused, expected)

    model, method, x, _ = make(MLA, "shared")
    model.eval()
    alone = method.predict(model, x, frozenset({"language"}))
    h = model.encode(x)["language"]
    torch.testing.assert_close(alone, model.head(h))
    zero = replace_params(method, absent="zero-fill").predict(model, x, frozenset({"language"}))
    assert not torch.allclose(zero, alone)


def test_mla_never_trains_a_modality_that_is_always_dropped():
    model, method, x, y = make(MLA, "shared")
    before = [p.detach().clone() for p in model.encoders["audio"].parameters()]
    language = [p.detach().clone() for p in model.encoders["language"].parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    method.start_epoch(1, 1)
    always = ModalityDropout({"audio": 1.0})
    method.train_batch(model, dict(x), y, always, torch.Generator().manual_seed(0), None, optimizer)
    after = list(model.encoders["audio"].parameters())
    assert all(torch.equal(p, q) for p, q in zip(before, after, strict=True))
    assert not torch.equal(language[0], next(model.encoders["language"].parameters()))


def replace_params(method, **params):
    return type(method)(
        {**method.params, **params}, epochs=method.epochs, generator=method.generator
    )


# -- OGM-GE ------------------------------------------------------------------------------------


def encoder_grads(model):
    return {m: [p.grad.clone() for p in model.encoders[m].parameters()] for m in model.encoders}


def test_ogm_scales_the_dominant_encoder_gradient_by_one_minus_tanh_alpha_rho():
    alpha = 0.5
    model, method, x, y = make(OGMGE, "concat", alpha=alpha, ge=False)
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    plain, plain_head = encoder_grads(model), model.head.weight.grad.clone()

    # Hand computation: each modality's slice of the head, bias / 2, summed true-class confidence.
    with torch.no_grad():
        enc = model.encode(x)
        w, b = model.head.weight, model.head.bias
        s = {
            "language": F.softmax(enc["language"] @ w[:, :5].T + b / 2, 1)[range(8), y].sum(),
            "audio": F.softmax(enc["audio"] @ w[:, 5:].T + b / 2, 1)[range(8), y].sum(),
        }
    rho = {"language": s["language"] / s["audio"], "audio": s["audio"] / s["language"]}
    dominant = max(rho, key=rho.get)
    other = "audio" if dominant == "language" else "language"
    k = 1 - math.tanh(alpha * float(rho[dominant]))
    assert float(rho[dominant]) > 1 and k < 1

    method.start_epoch(1, 1)
    loss = torch.nn.CrossEntropyLoss()
    method.train_batch(model, dict(x), y, NO_DROPOUT, None, loss, frozen_sgd(model))
    modulated = encoder_grads(model)
    for g, m in zip(plain[dominant], modulated[dominant], strict=True):
        torch.testing.assert_close(m, k * g)
    for g, m in zip(plain[other], modulated[other], strict=True):
        torch.testing.assert_close(m, g)
    torch.testing.assert_close(model.head.weight.grad, plain_head)  # the head is never modulated


def test_ogm_stops_after_until_epoch_and_ge_adds_seeded_noise():
    model, method, x, y = make(OGMGE, "concat", until_epoch=2, ge=False)
    model.zero_grad()
    F.cross_entropy(model(x), y).backward()
    plain = encoder_grads(model)
    method.start_epoch(3, 1)
    loss = torch.nn.CrossEntropyLoss()
    method.train_batch(model, dict(x), y, NO_DROPOUT, None, loss, frozen_sgd(model))
    for m in plain:
        for g, h in zip(plain[m], encoder_grads(model)[m], strict=True):
            torch.testing.assert_close(h, g, rtol=0, atol=0)

    def noisy():
        model, method, x, y = make(OGMGE, "concat")
        method.start_epoch(1, 1)
        loss = torch.nn.CrossEntropyLoss()
        method.train_batch(model, dict(x), y, NO_DROPOUT, None, loss, frozen_sgd(model))
        return encoder_grads(model)

    first, second = noisy(), noisy()
    torch.testing.assert_close(first["audio"][0], second["audio"][0], rtol=0, atol=0)
    # Noise with the gradient's own SD is no scaling of the plain gradient: the ratio spreads.
    for m in plain:
        assert float((first[m][0] / plain[m][0]).std()) > 0.1


def test_ogm_coefficients_compare_each_modality_with_the_mean_of_the_others():
    k = ogm_coefficients({"a": 3.0, "b": 1.0, "c": 2.0}, alpha=0.2)  # ρ_a = 3 / 1.5 = 2
    assert k == {"a": pytest.approx(1 - math.tanh(0.4)), "b": 1.0, "c": 1.0}
    assert ogm_coefficients({"a": 1.0, "b": 1.0}, alpha=0.5) == {"a": 1.0, "b": 1.0}


# -- AUG ---------------------------------------------------------------------------------------


def learner_weights(method):
    return {
        (m, j): layer.weight.detach().clone()
        for m in method.bank.names
        for j, layer in enumerate(method.bank.learners[m])
    }


def run_batches(method, model, x, y, optimizer, n=3):
    for epoch in range(1, n + 1):
        method.start_epoch(epoch, 1)
        method.train_batch(model, dict(x), y, NO_DROPOUT, None, None, optimizer)


def test_aug_adds_a_learner_to_the_weaker_modality_past_the_tolerance():
    _, method, _, _ = make(AUG, "shared", check_every=2, tolerance=0.1)
    method.scores, method.counts = {"language": 5.0, "audio": 8.0}, {"language": 10, "audio": 10}
    method.end_epoch(1)  # checked after epoch 1: 0.8 > 1.1 · 0.5
    assert (method.bank.count("language"), method.bank.count("audio")) == (1, 0)
    method.end_epoch(3)  # not a check epoch
    method.scores = {"language": 7.5, "audio": 8.0}
    method.end_epoch(4)  # within the tolerance
    assert method.bank.count("language") == 1


def test_aug_added_learners_are_in_the_optimizer_and_trained():
    model, method, x, y = make(AUG, "shared")
    method.bank.add("audio")
    optimizer = method.make_optimizer(model, lr=0.05)
    held = {id(p) for group in optimizer.param_groups for p in group["params"]}
    assert {id(p) for p in method.bank.parameters()} <= held
    before = learner_weights(method)
    run_batches(method, model, x, y, optimizer)
    after = learner_weights(method)
    assert not torch.equal(before["audio", 0], after["audio", 0])  # active: trained
    assert torch.equal(before["audio", 1], after["audio", 1])  # not active yet
    assert torch.equal(before["language", 0], after["language", 0])


def test_aug_released_bug_leaves_added_learners_untrained():
    model, method, x, y = make(AUG, "shared", train_added=False)
    method.bank.add("audio")
    encoder = next(model.encoders["audio"].parameters()).detach().clone()
    before = learner_weights(method)
    run_batches(method, model, x, y, method.make_optimizer(model, lr=0.05))
    assert torch.equal(before["audio", 0], learner_weights(method)["audio", 0])
    assert not torch.equal(encoder, next(model.encoders["audio"].parameters()))


def test_aug_loss_has_the_papers_three_parts():
    _, method, _, _ = make(AUG, "shared", residual=0.5)
    g = torch.Generator().manual_seed(3)
    base, learner = torch.randn(4, 3, generator=g), torch.randn(4, 3, generator=g)
    y = torch.tensor([0, 1, 2, 1])
    loss, ensemble = method.boosting_loss([base, learner], y)
    p_prev = F.softmax(base, 1)[range(4), y]
    expected = (
        F.cross_entropy(base + learner, y, reduction="none")
        + F.cross_entropy(base, y, reduction="none")
        + (1 - 0.5 * p_prev) * F.cross_entropy(learner, y, reduction="none")
    )
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(ensemble, base + learner)


# -- configuration -----------------------------------------------------------------------------


def test_check_method_fills_defaults_and_rejects_bad_settings():
    assert check_method(MethodSpec()) == MethodSpec("dropout", {})
    mla = check_method(MethodSpec("mla"))
    assert mla.params == {"absent": "skip", "optimizer": "adam", "projection": True}
    assert check_method(MethodSpec("ogm_ge", {"until_epoch": 5})).params["alpha"] == 0.8
    bad = [
        (MethodSpec("gradblend"), "method 'gradblend' is unknown; valid: dropout, mla, ogm_ge"),
        (MethodSpec("dropout", {"alpha": 1}), "method 'dropout' has no setting 'alpha'"),
        (MethodSpec("ogm_ge", {"beta": 1}), "has no setting 'beta'; valid settings: absent"),
        (MethodSpec("ogm_ge", {"alpha": 0}), r"'alpha' must be a number in \(0, ∞\), got 0"),
        (MethodSpec("ogm_ge", {"alpha": float("nan")}), "'alpha' must be a number"),
        (MethodSpec("ogm_ge", {"until_epoch": 2.5}), "'until_epoch' must be an integer"),
        (MethodSpec("mla", {"projection": "yes"}), "'projection' must be true or false"),
        (MethodSpec("aug", {"residual": 1.5}), r"'residual' must be a number in \[0, 1\]"),
        (MethodSpec("aug", {"max_learners": 0}), "'max_learners' must be an integer in"),
        (MethodSpec("aug", {"absent": "drop"}), "'absent' must be one of skip, zero-fill"),
    ]
    for spec, message in bad:
        with pytest.raises(ConfigError, match=message):
            check_method(spec)


def test_remedies_need_the_late_fusion_model_with_their_head():
    with pytest.raises(ConfigError, match="method 'mla' needs model kind 'latefusion'"):
        check_method(MethodSpec("mla"), ModelSpec("eflstm"))
    with pytest.raises(ConfigError, match="fusion = 'shared', got 'concat'"):
        check_method(MethodSpec("aug"), ModelSpec("latefusion"))
    with pytest.raises(ConfigError, match="fusion = 'concat', got 'shared'"):
        check_method(MethodSpec("ogm_ge"), ModelSpec("latefusion", {"fusion": "shared"}))
    check_method(MethodSpec("dropout"), ModelSpec("latefusion"))  # dropout trains any model


def test_default_method_leaves_run_identity_unchanged():
    base = RunConfig(1, "language", ("audio",), ModelSpec("eflstm"), TrainingSpec(), Protocol())
    explicit = replace(base, method=MethodSpec())
    for arm in ("multimodal", "unimodal"):
        assert base.identity(arm) == explicit.identity(arm)
        assert set(base.identity(arm)) == {
            "study_seed", "primary", "dropped", "model", "training", "protocol"
        }  # fmt: skip
    ogm = replace(base, method=check_method(MethodSpec("ogm_ge", {"alpha": 0.3})))
    assert ogm.identity("multimodal")["method"]["alpha"] == 0.3
    assert ogm.identity("multimodal")["method"]["name"] == "ogm_ge"
    assert ogm.identity("unimodal") == base.identity("unimodal")  # one shared baseline


def test_method_generator_is_seeded_by_the_run():
    a = torch.rand(3, generator=method_generator(1, 2))
    assert torch.equal(a, torch.rand(3, generator=method_generator(1, 2)))
    assert not torch.equal(a, torch.rand(3, generator=method_generator(1, 3)))


@pytest.mark.parametrize("module", [methods_package, mla_module, ogm_module])
def test_docstring_examples_run(module):
    assert doctest.testmod(module, extraglobs={"torch": torch}).failed == 0


# -- end to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    return make_synthetic("quick", n_items=160, seq_len=4)


def config_for(method, fusion, **params):
    return RunConfig(
        study_seed=3,
        primary="language",
        dropped=("audio", "visual"),
        model=ModelSpec("latefusion", {"hidden": 8, "fusion": fusion}),
        training=TrainingSpec(epochs=2, batch_size=16, lr=0.01),
        protocol=Protocol(granularity="sample"),
        method=MethodSpec(method, params),
    )


@pytest.mark.parametrize(
    ("method", "fusion", "params"),
    [
        ("dropout", "concat", {}),
        ("mla", "shared", {}),
        ("ogm_ge", "concat", {}),
        ("aug", "shared", {"check_every": 1, "tolerance": 0.0}),
    ],
)
def test_each_method_trains_end_to_end_deterministically(data, method, fusion, params):
    cfg = config_for(method, fusion, **params)
    a = train(data, cfg, "multimodal", 0.5, seed=1)
    b = train(data, cfg, "multimodal", 0.5, seed=1)
    assert a.metrics == b.metrics
    assert np.array_equal(a.predictions["primary"], b.predictions["primary"])
    assert set(a.metrics) == {"primary", "all", "audio", "visual"}
    assert all(np.isfinite(h["train_loss"]) for h in a.history)
    if method != "dropout":
        plain = train(data, config_for("dropout", fusion), "multimodal", 0.5, seed=1)
        assert plain.metrics != a.metrics


def test_unimodal_arm_ignores_the_method(data):
    with_method = train(data, config_for("mla", "shared"), "unimodal", None, seed=0)
    without = train(data, config_for("dropout", "shared"), "unimodal", None, seed=0)
    assert with_method.metrics == without.metrics


def test_train_rejects_a_remedy_on_another_model_or_a_regression_task(data):
    cfg = replace(config_for("mla", "shared"), model=ModelSpec("eflstm", {"hidden": 4}))
    with pytest.raises(ConfigError, match="needs model kind 'latefusion'"):
        train(data, cfg, "multimodal", 0.0, seed=0)
    scores = make_synthetic(
        "mosi", n_items=64, seq_len=4, dims={"language": 4, "audio": 2, "visual": 2}
    )
    with pytest.raises(ConfigError, match="needs a classification task"):
        train(scores, config_for("ogm_ge", "concat"), "multimodal", 0.0, seed=0)
