"""ImageInpainting, data: completions of the top half of a held-out digit by the unconditional digits U-Net
(replacement), the seam study (replacement against RePaint resampling), and the claims the narration
makes about them."""
from __future__ import annotations

from diffusion.studies.inpaint import (InpaintSpec, SeamStudy, get_inpainting, get_seam_study, half_mask,
                                       known_image, known_region_error)
from scenes.kit.claims import claim, worded
from scenes.kit.models import digits_model

SPEC = InpaintSpec(image_index=0, keep="top", n=6, seed=0, sampler="ddpm", steps=1000)
SEAM = SeamStudy()                           # replacement vs RePaint resampling, measured


def inpainting():
    """completions of the top half of a held-out digit, every step kept (digits U-Net)"""
    return get_inpainting(digits_model(), SPEC)


def seam_study() -> dict:
    """replacement only vs RePaint resampling on the same held-out digits and noise (digits U-Net)"""
    return get_seam_study(digits_model(), SEAM)


def known_half():
    """The held-out digit (H, W) and the mask of its known half (1 where kept)."""
    tm = digits_model()
    return known_image(tm, SPEC.image_index)[0].numpy(), half_mask(tm.config.image_size, SPEC.keep)[0].numpy()


def known_error() -> float:
    """The largest pixel error of the known half over every completion and step."""
    return known_region_error(inpainting(), digits_model(), SPEC)


NEEDS = (digits_model, inpainting, seam_study)


def claims():
    err = known_error()
    r = seam_study()
    return [claim("known_half_exact", err, err < 1e-5, "the known half is kept exactly in every completion"),
            worded("seam_jump_off_real", (round(abs(r["replace_jump"] - r["real_jump"]), 3),
                                          round(abs(r["repaint_jump"] - r["real_jump"]), 3)), [
                (lambda v: v[1] < v[0], f"Across the boundary, resampling brings the jump to the real digits' own: "
                                        f"{r['repaint_jump']:.2f} with, {r['replace_jump']:.2f} without "
                                        f"(real digits: {r['real_jump']:.2f})."),
                (lambda v: True, f"Across the boundary, resampling does not bring the jump closer to the real "
                                 f"digits' own: {r['repaint_jump']:.2f} with, {r['replace_jump']:.2f} without "
                                 f"(real digits: {r['real_jump']:.2f}).")]),
            worded("hidden_rms_replace_vs_repaint", (round(r["replace_hidden_rms"], 3), round(r["repaint_hidden_rms"], 3)), [
                (lambda v: v[1] < v[0], f"The filled half comes closer to the real hidden half: RMS "
                                        f"{r['replace_hidden_rms']:.2f} without, {r['repaint_hidden_rms']:.2f} with."),
                (lambda v: True, f"The filled half does not come closer to the real hidden half: RMS "
                                 f"{r['replace_hidden_rms']:.2f} without, {r['repaint_hidden_rms']:.2f} with.")])]
