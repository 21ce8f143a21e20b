"""The class-conditional digits model and classifier-free guidance (quick preset, private cache)."""

import numpy as np
import pytest
import torch

from diffusion.models.digits.config import TrainConfig
from diffusion.core.guidance import GuidedEps, guided_eps, guided_sample
from diffusion.core.sample import sample
from diffusion.models import get_config, get_model
from diffusion.models.digits.network import UNet, UNetConfig


@pytest.fixture(scope="module")
def cond():
    return get_model("digits-cond", "quick", progress=False)


def _inputs(n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 1000, (n,), generator=g)


def test_unconditional_configs_keep_their_cache_keys():
    # the conditioning fields join a config's dict (and so its cache key) only when used
    d = get_config("digits", "default").to_dict()
    assert "num_classes" not in d["unet"] and "label_drop" not in d
    assert "num_classes" not in UNetConfig().to_dict()
    c = get_config("digits-cond", "quick")
    assert c.to_dict()["unet"]["num_classes"] == 10 and c.to_dict()["label_drop"] == pytest.approx(0.1)
    assert TrainConfig.from_dict(c.to_dict()) == c
    assert TrainConfig.from_dict(get_config("digits", "default").to_dict()) == get_config("digits", "default")


def test_labels_only_for_conditional_networks():
    x, t = _inputs(2)
    with pytest.raises(ValueError, match="unconditional"):
        UNet(UNetConfig(base_channels=8, time_dim=16, groups=4))(x, t, torch.tensor([1, 2]))
    net = UNet(UNetConfig(base_channels=8, time_dim=16, groups=4, num_classes=10))
    with pytest.raises(ValueError, match="labels must be in 0..10"):
        net(x, t, torch.tensor([3, 11]))
    with pytest.raises(ValueError, match="unconditional"):
        GuidedEps(UNet(UNetConfig(base_channels=8, time_dim=16, groups=4)), 3, 1.0)


def test_w0_is_the_plain_conditional_model(cond):
    x, t = _inputs()
    y = torch.tensor([0, 1, 2, 3, 7, 9])
    assert torch.equal(GuidedEps(cond.model, y, 0.0)(x, t), cond.model(x, t, y))
    # through the shared loop, for both samplers
    for sampler, steps, eta in (("ddim", 10, 0.0), ("ddpm", 20, 1.0)):
        plain = sample(lambda xx, tt: cond.model(xx, tt, y), cond.schedule, x, sampler, steps, eta,
                       torch.Generator().manual_seed(3), record=False)
        guided = guided_sample(cond.model, cond.schedule, x, y, 0.0, sampler, steps, eta,
                               torch.Generator().manual_seed(3))
        assert torch.equal(plain, guided)


def test_null_label_is_the_unconditional_branch(cond):
    x, t = _inputs()
    null = cond.model.null_label
    assert null == 10
    e_null = cond.model(x, t, null)
    assert torch.equal(cond.model(x, t), e_null)                 # no label = the null label
    y = torch.tensor([5] * 6)
    # w = -1 leaves only the unconditional term; guiding the null label towards itself changes nothing
    assert torch.equal(GuidedEps(cond.model, y, -1.0)(x, t), e_null)
    torch.testing.assert_close(GuidedEps(cond.model, null, 4.0)(x, t), e_null)
    # the labels do matter, so the branches differ
    assert not torch.allclose(cond.model(x, t, y), e_null)


def test_null_label_was_trained(cond):
    # an embedding row that no training example used would still hold its seeded initial value
    # (AdamW without weight decay does not move a parameter whose gradient was always zero)
    torch.manual_seed(cond.config.seed)
    init = UNet(cond.config.unet).label_emb.weight
    trained = cond.model.label_emb.weight
    for row in range(11):
        assert not torch.allclose(init[row], trained[row]), row


def test_guided_eps_is_the_formula(cond):
    x, t = _inputs()
    y = torch.tensor([1, 1, 4, 4, 8, 8])
    e_c, e_0 = cond.model(x, t, y), cond.model(x, t, cond.model.null_label)
    for w in (0.5, 2.0, 8.0):
        torch.testing.assert_close(GuidedEps(cond.model, y, w)(x, t), (1 + w) * e_c - w * e_0)
    # per-sample w (a whole sweep in one batch) equals one w at a time
    ws = torch.tensor([0.0, 1.0, 2.0, 3.0, 5.0, 8.0])
    batch = GuidedEps(cond.model, y, ws)(x, t)
    for i, w in enumerate(ws.tolist()):
        torch.testing.assert_close(batch[i], GuidedEps(cond.model, y, w)(x, t)[i])


@pytest.mark.parametrize("sampler,steps,eta", [("ddim", 10, 0.0), ("ddim", 10, 0.5), ("ddpm", 50, 1.0)])
def test_every_sampler_takes_guidance(cond, sampler, steps, eta):
    x = cond.noise(3, 1)
    tr = guided_sample(cond.model, cond.schedule, x, 7, 3.0, sampler, steps, eta, torch.Generator().manual_seed(2),
                       record=True)
    assert tr.x.shape == (steps + 1, 3, 1, 8, 8) and np.isfinite(tr.x).all()
    w0 = guided_sample(cond.model, cond.schedule, x, 7, 0.0, sampler, steps, eta, torch.Generator().manual_seed(2))
    assert not np.array_equal(tr.final, w0.numpy())              # guidance changed the samples


def test_formula_on_screen_is_the_code(cond):
    from scenes.kit.data.guidance import FORMULA_RHS

    x, t = _inputs()
    y = torch.tensor([2, 3, 5, 7, 0, 9])
    e_c, e_0 = cond.model(x, t, y), cond.model(x, t, cond.model.null_label)
    python = "".join(py for _, py in FORMULA_RHS)
    for w in (0.0, 1.0, 3.0, 8.0):
        shown = eval(python, {}, dict(w=w, eps_c=e_c, eps_null=e_0))
        torch.testing.assert_close(shown, GuidedEps(cond.model, y, w)(x, t))
        torch.testing.assert_close(shown, guided_eps(e_c, e_0, w))
    # the TeX of the MathTex the scene draws, read back from the mobject and translated token by token
    # with a table written here (not FORMULA_RHS's own Python halves), is the same guided eps
    from scenes.guidance import formula

    drawn = "".join(m.tex_string for m in formula().submobjects[2:])
    tex_to_py = [(r"\varepsilon_\theta(x_t, t, \varnothing)", " eps_null "), (r"\varepsilon_\theta(x_t, t, c)", " eps_c "),
                 (r"\,", " * ")]
    py = drawn
    for tex, code in tex_to_py:
        py = py.replace(tex, code)
    for w in (0.0, 3.0):
        torch.testing.assert_close(eval(py, {}, dict(w=w, eps_c=e_c, eps_null=e_0)), GuidedEps(cond.model, y, w)(x, t))


def test_cli_train_and_guided_sample(tmp_path, cond, run_main):
    from diffusion.__main__ import main

    run = lambda *a: run_main(main, *a)
    r = run("train", "digits-cond", "--preset", "quick")
    assert r.returncode == 0 and f"model digits-cond {cond.key}" in r.stdout, r.stderr[-2000:]
    out = tmp_path / "s.npz"
    args = ["sample", "digits-cond", "--preset", "quick", "--label", "7", "--guidance", "3", "--n", "5",
            "--steps", "5", "--out", str(out)]
    r = run(*args)
    assert r.returncode == 0, r.stderr[-2000:]
    s = np.load(out)["samples"]
    assert s.shape == (5, 8, 8) and -1 <= s.min() and s.max() <= 1
    x_T = cond.noise(5, 0)                                       # --seed 0: x_T from seed 0
    want = guided_sample(cond.model, cond.schedule, x_T, 7, 3.0, "ddim", 5, 0.0, torch.Generator().manual_seed(1))
    np.testing.assert_array_equal(s, want[:, 0].clamp(-1, 1).numpy())


@pytest.mark.parametrize("bad,msg", [(["--label", "10"], "label must be"), (["--label", "3", "--guidance", "-1"], "guidance"),
                                     ([], "needs --label"), (["--label", "3", "--guidance", "nan"], "guidance")])
def test_cli_rejects_bad_guidance(tmp_path, run_main, bad, msg):
    from diffusion.__main__ import main

    out = tmp_path / "x.npz"
    r = run_main(main, "sample", "digits-cond", "--out", out, *bad)
    assert r.returncode == 2 and msg in r.stderr and "Traceback" not in r.stderr and not out.exists()


def test_cli_labels_only_for_the_conditional_model(tmp_path, run_main):
    from diffusion.__main__ import main

    r = run_main(main, "sample", "digits", "--label", "3", "--out", tmp_path / "x.npz")
    assert r.returncode == 2 and "digits-cond" in r.stderr


def test_guidance_study_measures_what_it_sampled(cond):
    from diffusion.models.digits.classifier import ClassifierConfig, classify, get_classifier
    from diffusion.studies.guidance import QUICK, get_guidance_study, mean_pairwise_distance

    s = get_guidance_study(cond, QUICK, progress=False)
    W, n = len(QUICK.ws), QUICK.n_per_class
    assert s["samples"].shape == (W, 10, n, 8, 8) and [r["w"] for r in s["rows"]] == list(QUICK.ws)
    clf = get_classifier(QUICK.classifier)
    for k, row in enumerate(s["rows"]):
        pred, _, _ = classify(s["samples"][k].reshape(-1, 8, 8), clf)
        assert row["share"] == pytest.approx(np.mean(pred == np.repeat(np.arange(10), n)))
        assert row["diversity"] == pytest.approx(np.mean([mean_pairwise_distance(s["samples"][k, c]) for c in range(10)]))
    # the same x_T for every class and w: the first w's samples of class 3 are those of a direct call
    x_T = torch.from_numpy(s["x_T"])[:, None]
    direct = guided_sample(cond.model, cond.schedule, x_T, 3, QUICK.ws[0], "ddim", QUICK.steps)
    np.testing.assert_allclose(s["samples"][0, 3], direct[:, 0].clamp(-1, 1).numpy(), atol=1e-5)
    assert get_guidance_study(cond, QUICK, progress=False)["rows"][0]["share"] == s["rows"][0]["share"]   # cached
