"""What the U-Net sees and says, measured on the trained model: one noise prediction with every
intermediate feature map (forward hooks), the error against t over many samples, and samples from the
training snapshots. Scenes read these; nothing here imports manim.

t is the 0-based step index everywhere (scenes display the paper's t = index + 1).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import torch

from ..core.cache import cached, codec_of, NPZ
from ..models.digits.data import load_dataset
from ..core.sample import sample


@dataclass
class Prediction:
    """One forward pass: x_t = sqrt(ab_t) x0 + sqrt(1 - ab_t) eps, eps_hat = model(x_t, t)."""
    t: int                      # 0-based step
    x0: np.ndarray              # (H, W) clean image
    eps: np.ndarray             # (H, W) the true noise
    x_t: np.ndarray             # (H, W) network input
    eps_hat: np.ndarray         # (H, W) network output
    x0_hat: np.ndarray          # (H, W) predict_x0(x_t, t, eps_hat), unclipped
    features: dict = field(default_factory=dict)   # block name -> (C, h, w) output of that block

    @property
    def error(self) -> np.ndarray:
        """Per-pixel error eps_hat - eps."""
        return self.eps_hat - self.eps

    @property
    def mse(self) -> float:
        """The training loss of this one example: mean over pixels of (eps_hat - eps)^2."""
        return float(np.mean((self.eps_hat.astype(np.float64) - self.eps.astype(np.float64)) ** 2))


def heldout_image(index: int, image_size: int, dataset: str = "digits") -> torch.Tensor:
    """One held-out image [1 x C x H x W] (never seen in training)."""
    x, _ = load_dataset(dataset, image_size, "heldout")
    return x[index:index + 1]


def seeded_noise(shape, seed: int) -> torch.Tensor:
    return torch.randn(tuple(shape), generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def predict_with_features(model, schedule, x0: torch.Tensor, t: int, eps: torch.Tensor,
                          description: dict) -> Prediction:
    """Run the model once on x_t = add_noise(x0, t, eps) with a forward hook on every described block."""
    feats, hooks = {}, []
    for b in description["blocks"]:
        def hook(_module, _inputs, output, name=b["name"]):
            feats[name] = output[0].detach().cpu().numpy().astype(np.float32)
        hooks.append(model.get_submodule(b["module"]).register_forward_hook(hook))
    try:
        x_t = schedule.add_noise(x0, t, eps)
        eps_hat = model(x_t, torch.full((x0.shape[0],), t, dtype=torch.long))
    finally:
        for h in hooks:
            h.remove()
    x0_hat = schedule.predict_x0(x_t, t, eps_hat)
    first = lambda a: a[0, 0].detach().cpu().numpy().astype(np.float32)
    return Prediction(t, first(x0), first(eps), first(x_t), first(eps_hat), first(x0_hat), feats)


def prediction(tm, t: int, index: int = 0, seed: int = 0) -> Prediction:
    """A trained model's prediction for held-out image `index`, noise from `seed`, at 0-based step t."""
    x0 = heldout_image(index, tm.config.image_size, tm.config.dataset)
    eps = seeded_noise(x0.shape, seed)
    return predict_with_features(tm.model, tm.schedule, x0, t, eps, tm.model.describe(tm.config.image_size))


def show_channels(features: np.ndarray, k: int) -> np.ndarray:
    """The k channels with the largest spatial variance (the ones with something to see), in
    channel order, each normalised to [-1, 1] by its own max |value|. Returns (k, h, w)."""
    k = min(k, features.shape[0])
    var = features.reshape(features.shape[0], -1).var(axis=1)
    idx = np.sort(np.argsort(-var, kind="stable")[:k])
    sel = features[idx]
    centred = sel - sel.mean(axis=(1, 2), keepdims=True)
    scale = np.abs(centred).max(axis=(1, 2), keepdims=True)
    return centred / np.where(scale > 0, scale, 1.0)


# --- error against t over many samples ----------------------------------------------------------


@torch.no_grad()
def errors_at(model, schedule, x0: torch.Tensor, t: int, seed: int) -> tuple[float, float]:
    """(eps MSE, x0_hat MSE) at 0-based step t over the images x0, noise seeded by seed + t.
    x0_hat is clipped to [-1, 1], as the samplers use it."""
    eps = seeded_noise(x0.shape, seed + t)
    x_t = schedule.add_noise(x0, t, eps)
    eps_hat = model(x_t, torch.full((x0.shape[0],), t, dtype=torch.long))
    x0_hat = schedule.predict_x0(x_t, t, eps_hat).clamp(-1, 1)
    return float(((eps_hat - eps) ** 2).mean()), float(((x0_hat - x0) ** 2).mean())


def default_curve_steps(T: int, n: int = 40) -> list[int]:
    """0-based steps spread log-uniformly (dense at small t, where the error changes fastest)."""
    ts = np.unique(np.round(np.geomspace(1, T, n)).astype(int) - 1)
    return [int(t) for t in ts]


@dataclass
class ErrorCurve:
    t: np.ndarray           # 0-based steps
    eps_mse: np.ndarray     # mean (eps_hat - eps)^2 over n_samples held-out images
    x0_mse: np.ndarray      # mean (clip(x0_hat) - x0)^2
    n_samples: int
    seed: int

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, t=self.t, eps_mse=self.eps_mse, x0_mse=self.x0_mse, n_samples=self.n_samples, seed=self.seed)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> "ErrorCurve":
        z = np.load(io.BytesIO(data))
        return cls(z["t"], z["eps_mse"], z["x0_mse"], int(z["n_samples"]), int(z["seed"]))


def error_curve(tm, steps=None, n_samples: int = 512, seed: int = 1000) -> ErrorCurve:
    """MSE of eps_hat and of x0_hat against t, measured with real forward passes on the first
    n_samples held-out images; cached under the model's key."""
    steps = list(steps) if steps is not None else default_curve_steps(tm.schedule.T)
    spec = dict(kind="error_curve", model=tm.key, steps=steps, n=n_samples, seed=seed)

    def build():
        x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
        x0 = x[:n_samples]
        vals = [errors_at(tm.model, tm.schedule, x0, t, seed) for t in steps]
        return ErrorCurve(np.array(steps), np.array([v[0] for v in vals]), np.array([v[1] for v in vals]),
                          len(x0), seed)

    return cached("inspect", "error-curve", spec, build, codec_of(ErrorCurve))


def x0_references(tm, n_samples: int = 512) -> dict:
    """The x0_hat MSE of two predictors that ignore x_t, on the same held-out images as `error_curve`:
    predicting 0 everywhere (MSE = mean x0^2) and predicting the held-out mean image (MSE = the
    per-pixel variance of the data). Neither depends on t: lines to read the curve against."""
    x, _ = load_dataset(tm.config.dataset, tm.config.image_size, "heldout")
    x0 = x[:n_samples].double()
    return dict(zero=float((x0 ** 2).mean()), mean=float(((x0 - x0.mean(0)) ** 2).mean()))


# --- training montage ----------------------------------------------------------------------------


def smoothed_loss(history: dict, window: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(steps, loss) with a trailing moving average over `window` steps (shorter at the start)."""
    loss = np.asarray(history["loss"], dtype=np.float64)
    steps = np.asarray(history["step"])
    c = np.concatenate([[0.0], np.cumsum(loss)])
    i = np.arange(1, len(loss) + 1)
    lo = np.maximum(0, i - window)
    return steps, (c[i] - c[lo]) / (i - lo)


def raw_snapshots(tm, progress: bool = True) -> dict:
    """{snapshot step: state dict}: the optimiser's own weights at the training snapshot steps. Only the
    EMA weights are kept by training (an EMA of decay 0.999 still holds most of the random start after a
    few hundred steps), so the run is replayed from its seed with the same engine, and the replay is
    checked against the stored EMA snapshots before it is trusted. Cached under the model's key (the
    model itself, and its key, are untouched)."""
    from ..core.cache import TORCH
    from ..core.engine import train

    # a replay costs a whole training run: show its progress bar
    spec = dict(kind="raw_snapshots", model=tm.key, snapshots=sorted(tm.snapshots))

    def build():
        out = train(tm.recipe, tm.config, device="cpu", progress=progress, raw_snapshots=True)
        for step, ema in tm.snapshots.items():
            replay = out["snapshots"][step]
            gap = max(float((ema[k].double() - replay[k].double()).abs().max()) for k in ema if ema[k].is_floating_point())
            if gap > 1e-5:
                raise RuntimeError(f"replaying {tm.name}'s training does not reproduce its EMA snapshot at step {step} "
                                   f"(largest difference {gap:.2e}); raw weights from this replay would not be its own")
        return out["raw_snapshots"]

    return cached("inspect", "raw-snapshots", spec, build, TORCH)


def snapshot_samples(tm, n: int = 16, seed: int = 0, steps: int = 50, weights: str = "ema") -> dict:
    """{snapshot step: (n, H, W) samples}: every training snapshot (and the final model) sampled with
    DDIM from the same x_T = tm.noise(n, seed). `weights`: "ema" (what training keeps) or "raw" (the
    optimiser's own weights at those steps, `raw_snapshots`: what the network could draw then).
    Cached under the model's key."""
    if weights not in ("ema", "raw"):
        raise ValueError(f"weights must be 'ema' or 'raw', got {weights!r}")
    spec = dict(kind="snapshot_samples", model=tm.key, n=n, seed=seed, steps=steps,
                snapshots=sorted(tm.snapshots))
    if weights == "raw":                              # the EMA samples keep the key they always had
        spec["weights"] = "raw"

    def network(step):
        if weights == "ema":
            return tm.model_at(step)
        m = tm.recipe.network(tm.config)
        m.load_state_dict(raw_snapshots(tm)[step])
        return m.eval().requires_grad_(False)

    def build():
        x_T = tm.noise(n, seed)
        out = {}
        for step in sorted(tm.snapshots):
            x = sample(network(step), tm.schedule, x_T, "ddim", steps, 0.0, record=False)
            out[str(step)] = x[:, 0].numpy().astype(np.float32)      # npz keys are strings
        return out

    samples = cached("inspect", "snapshot-samples", spec, build, NPZ)
    return {int(k): samples[k] for k in sorted(samples, key=int)}
