"""A small U-Net that predicts the noise eps from (x_t, t), or from (x_t, t, y) when class-conditional.

Sinusoidal time embedding -> residual blocks on a down path, a middle block, and an up path that
concatenates the skip connections. `describe()` returns the structure as plain data so a scene can
draw the architecture from the model itself.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...core.keys import added, key_dict
from ...core.nets import timestep_embedding


@dataclass(frozen=True)
class UNetConfig:
    in_channels: int = 1
    base_channels: int = 24
    channel_mults: tuple = (1, 2)        # one resolution level per entry; each after the first halves H, W
    time_dim: int = 64
    groups: int = 8                      # GroupNorm groups
    num_classes: int | None = added(None)  # class-conditional when set: labels 0..num_classes-1, plus a null label
    attention: bool = added(False)       # a self-attention block after the middle block (lowest resolution)

    def to_dict(self) -> dict:
        return key_dict(self)


class ResBlock(nn.Module):
    """GroupNorm -> SiLU -> conv, plus the time embedding added as a per-channel shift; residual."""

    def __init__(self, in_ch: int, out_ch: int, time_dim: int, groups: int):
        super().__init__()
        self.in_ch, self.out_ch = in_ch, out_ch
        self.norm1 = nn.GroupNorm(min(groups, in_ch), in_ch)
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, padding=1)
        self.time = nn.Linear(time_dim, out_ch)
        self.norm2 = nn.GroupNorm(min(groups, out_ch), out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1)
        self.skip = nn.Conv2d(in_ch, out_ch, 1) if in_ch != out_ch else nn.Identity()

    def forward(self, x, temb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.time(temb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return h + self.skip(x)


class AttnBlock(nn.Module):
    """Single-head self-attention over the H x W positions: GroupNorm -> q, k, v (1x1) -> softmax(q k^T /
    sqrt(C)) v -> 1x1 projection, residual. The projection starts at zero, so the block starts as the
    identity."""

    def __init__(self, ch: int, groups: int):
        super().__init__()
        self.in_ch = self.out_ch = ch
        self.norm = nn.GroupNorm(min(groups, ch), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x, temb=None):
        n, c, h, w = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(n, 3, c, h * w).unbind(1)       # each (N, C, HW)
        a = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2))
        return x + self.proj(a.transpose(1, 2).reshape(n, c, h, w))


class UNet(nn.Module):
    def __init__(self, config: UNetConfig = UNetConfig()):
        super().__init__()
        self.config = c = config
        chs = [c.base_channels * m for m in c.channel_mults]
        self.time_mlp = nn.Sequential(nn.Linear(c.time_dim, c.time_dim), nn.SiLU(), nn.Linear(c.time_dim, c.time_dim))
        if c.num_classes is not None:
            # one learned vector per class, added to the time embedding (as in improved-diffusion);
            # the extra last row is the null label ∅ that classifier-free guidance needs
            self.label_emb = nn.Embedding(c.num_classes + 1, c.time_dim)
        self.stem = nn.Conv2d(c.in_channels, chs[0], 3, padding=1)
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        prev = chs[0]
        for i, ch in enumerate(chs):
            self.down.append(ResBlock(prev, ch, c.time_dim, c.groups))
            prev = ch
            # strided conv halves the resolution between levels
            self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1) if i < len(chs) - 1 else nn.Identity())
        self.mid = ResBlock(prev, prev, c.time_dim, c.groups)
        if c.attention:
            self.mid_attn = AttnBlock(prev, c.groups)
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        for i, ch in reversed(list(enumerate(chs))):
            self.up.append(ResBlock(prev + ch, ch, c.time_dim, c.groups))  # concat with the skip
            prev = ch
            self.upsample.append(nn.Upsample(scale_factor=2, mode="nearest") if i > 0 else nn.Identity())
        self.head = nn.Sequential(nn.GroupNorm(min(c.groups, prev), prev), nn.SiLU(),
                                  nn.Conv2d(prev, c.in_channels, 3, padding=1))

    @property
    def null_label(self) -> int:
        """The label index meaning "no class" (∅): the unconditional branch of a conditional model."""
        if self.config.num_classes is None:
            raise ValueError("this U-Net is unconditional: it has no labels")
        return self.config.num_classes

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor | int | None = None) -> torch.Tensor:
        """x: [N x C x H x W] noisy images, t: (N,) integer steps -> eps_hat [N x C x H x W].

        y (conditional models only): (N,) or one int, class labels in 0..num_classes-1 or `null_label`;
        None means the null label, so a conditional model called like an unconditional one is its
        unconditional branch."""
        if t.ndim == 0:
            t = t.expand(x.shape[0])
        temb = self.time_mlp(timestep_embedding(t, self.config.time_dim))
        if self.config.num_classes is not None:
            y = self.null_label if y is None else y
            y = torch.as_tensor(y, dtype=torch.long, device=x.device).expand(x.shape[0])
            if y.min() < 0 or y.max() > self.null_label:
                raise ValueError(f"labels must be in 0..{self.null_label} ({self.null_label} = null), "
                                 f"got {y.min().item()}..{y.max().item()}")
            temb = temb + self.label_emb(y)
        elif y is not None:
            raise ValueError("this U-Net is unconditional: it takes no labels (set UNetConfig.num_classes)")
        h = self.stem(x)
        skips = []
        for block, down in zip(self.down, self.downsample):
            h = block(h, temb)
            skips.append(h)
            h = down(h)
        h = self.mid(h, temb)
        if self.config.attention:
            h = self.mid_attn(h)
        for block, up in zip(self.up, self.upsample):
            h = block(torch.cat([h, skips.pop()], dim=1), temb)
            h = up(h)
        return self.head(h)

    def describe(self, image_size: int) -> dict:
        """The architecture as plain data: blocks in forward order with channels and resolutions,
        the skip connections between them, and the time embedding. `module` names a submodule
        (usable with `get_submodule` for forward hooks)."""
        c = self.config
        chs = [c.base_channels * m for m in c.channel_mults]
        blocks, skips = [], []
        res = image_size
        blocks.append(dict(name="stem", kind="conv", module="stem", in_ch=c.in_channels, out_ch=chs[0],
                           resolution=res, level=0))
        for i, blk in enumerate(self.down):
            blocks.append(dict(name=f"down{i}", kind="res", module=f"down.{i}", in_ch=blk.in_ch, out_ch=blk.out_ch,
                               resolution=res, level=i))
            if i < len(chs) - 1:
                blocks.append(dict(name=f"downsample{i}", kind="downsample", module=f"downsample.{i}",
                                   in_ch=blk.out_ch, out_ch=blk.out_ch, resolution=res // 2, level=i + 1))
                res //= 2
        blocks.append(dict(name="mid", kind="res", module="mid", in_ch=self.mid.in_ch, out_ch=self.mid.out_ch,
                           resolution=res, level=len(chs) - 1))
        if c.attention:
            blocks.append(dict(name="mid_attn", kind="attn", module="mid_attn", in_ch=self.mid.out_ch,
                               out_ch=self.mid.out_ch, resolution=res, level=len(chs) - 1))
        for j, blk in enumerate(self.up):
            level = len(chs) - 1 - j
            blocks.append(dict(name=f"up{j}", kind="res", module=f"up.{j}", in_ch=blk.in_ch, out_ch=blk.out_ch,
                               resolution=res, level=level))
            skips.append(dict(src=f"down{level}", dst=f"up{j}", channels=chs[level], resolution=res))
            if level > 0:
                blocks.append(dict(name=f"upsample{j}", kind="upsample", module=f"upsample.{j}",
                                   in_ch=blk.out_ch, out_ch=blk.out_ch, resolution=res * 2, level=level - 1))
                res *= 2
        blocks.append(dict(name="head", kind="conv", module="head", in_ch=chs[0], out_ch=c.in_channels,
                           resolution=res, level=0))
        return dict(blocks=blocks, skips=skips,
                    time_embedding=dict(kind="sinusoidal+mlp", dim=c.time_dim,
                                        feeds=[b["name"] for b in blocks if b["kind"] == "res"]),
                    parameters=sum(p.numel() for p in self.parameters()), config=c.to_dict())
