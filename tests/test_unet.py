import torch

from diffusion.core.nets import timestep_embedding
from diffusion.models.digits.network import UNet, UNetConfig


def test_output_shape_matches_input():
    for cfg, size in [(UNetConfig(), 8), (UNetConfig(base_channels=8, channel_mults=(1, 2, 2), groups=4), 16)]:
        m = UNet(cfg)
        x = torch.randn(3, 1, size, size)
        assert m(x, torch.tensor([0, 500, 999])).shape == x.shape


def test_time_embedding_distinguishes_steps():
    e = timestep_embedding(torch.tensor([0, 1, 500]), 32)
    assert e.shape == (3, 32)
    assert not torch.allclose(e[0], e[1]) and not torch.allclose(e[1], e[2])


def test_describe_lists_the_real_modules():
    cfg = UNetConfig(base_channels=8, channel_mults=(1, 2, 4), groups=4)
    m = UNet(cfg)
    d = m.describe(image_size=16)
    names = [b["module"] for b in d["blocks"]]
    # every described block is a real submodule and every ResBlock of the model is described
    for b in d["blocks"]:
        mod = m.get_submodule(b["module"])
        if b["kind"] == "res":
            assert (mod.in_ch, mod.out_ch) == (b["in_ch"], b["out_ch"])
    res_modules = {n for n, mod in m.named_modules() if type(mod).__name__ == "ResBlock"}
    assert res_modules == {b["module"] for b in d["blocks"] if b["kind"] == "res"}
    assert len(d["skips"]) == len(cfg.channel_mults)
    assert d["parameters"] == sum(p.numel() for p in m.parameters())
    # resolutions recorded by the description equal those seen by forward hooks
    seen = {}
    def record(name):
        def hook(module, inputs, output):
            seen[name] = tuple(output.shape)
        return hook
    hooks = [m.get_submodule(n).register_forward_hook(record(n)) for n in names]
    m(torch.randn(2, 1, 16, 16), torch.tensor([1, 2]))
    for h in hooks:
        h.remove()
    for b in d["blocks"]:
        assert seen[b["module"]][1:] == (b["out_ch"], b["resolution"], b["resolution"]), b


def test_attention_block_is_off_by_default_and_starts_as_the_identity():
    from diffusion.models.digits.network import UNet, UNetConfig

    assert "attention" not in UNetConfig().to_dict()                     # off: the cache key as before
    cfg = UNetConfig(base_channels=8, groups=4, attention=True)
    assert cfg.to_dict()["attention"] is True
    torch.manual_seed(0)
    net = UNet(cfg)
    x, t = torch.randn(3, 1, 8, 8), torch.tensor([0, 500, 999])
    h = torch.randn(3, 16, 4, 4)
    assert torch.equal(net.mid_attn(h), h)                                # zero-initialised projection
    assert net(x, t).shape == x.shape
    assert "mid_attn" in [b["module"] for b in net.describe(8)["blocks"]]
    torch.nn.init.normal_(net.mid_attn.proj.weight)
    assert not torch.equal(net.mid_attn(h), h)
