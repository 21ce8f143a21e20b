"""ImageInpainting, data: completions of the top half of a held-out digit by the unconditional digits U-Net
(replacement), the seam study (replacement against RePaint resampling), and the claims the narration
makes about them."""
from __future__ import annotations

import numpy as np

from diffusion.studies.inpaint import (InpaintSpec, SeamStudy, get_inpainting, get_seam_study, half_mask,
                                       known_image, known_region_error, seam_per_digit)
from scenes.kit.claims import bootstrap_diff, fact, interval_words, worded
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
    tm = digits_model()
    err = known_region_error(inpainting(), tm, SPEC)
    r = seam_study()
    per = seam_per_digit(tm, r, SEAM)
    # the real hidden halves in place of RePaint's completions: what a fix that worked would measure
    real = np.repeat(per["real"], SEAM.per_image, 0)
    ideal = seam_per_digit(tm, r, SEAM, repaint=real)
    n = SEAM.n_images

    def compared(d, what):
        """A paired comparison over the n digits: narrated as a difference only beyond its spread."""
        diff, lo, hi = bootstrap_diff(d[f"replace_{what}"], d[f"repaint_{what}"], paired=True)
        v = (round(diff, 3), round(lo, 3), round(hi, 3))
        return v, interval_words(diff, lo, hi) + f" over {n} digits"

    jump, jump_spread = compared(per, "jump_off")
    rms, rms_spread = compared(per, "hidden_rms")
    # the opposite of what was measured: a difference must vanish with the two runs exchanged; "about the
    # same" must not survive a run that really matched the data (the real hidden halves)
    swapped = seam_per_digit(tm, r, SEAM, replace=r["repaint_samples"], repaint=r["replace_samples"])

    def falsifier(v, what):
        if v[2] < 0 or v[1] > 0:
            return {"the two runs' labels swapped": lambda: compared(swapped, what)[0]}
        return {"the real hidden halves in place of RePaint's completions": lambda: compared(ideal, what)[0]}
    jr, jp = per["replace_jump_off"].mean(), per["repaint_jump_off"].mean()
    hr, hp = per["replace_hidden_rms"].mean(), per["repaint_hidden_rms"].mean()
    return [fact("known_half_exact", err, err < 1e-5, "the known half is kept exactly in every completion"),
            worded("seam_jump_off_real", jump, [
                (lambda v: v[2] < 0, f"Across the boundary, resampling brings the jump nearer the real digit's "
                                     f"own: off by {jp:.2f} with, {jr:.2f} without, per digit."),
                (lambda v: v[1] > 0, f"Across the boundary, resampling moves the jump further from the real "
                                     f"digit's own: off by {jp:.2f} with, {jr:.2f} without, per digit."),
                (lambda v: True, f"Across the boundary, the jump is off the real digit's own by about the same "
                                 f"with and without resampling ({jp:.2f} and {jr:.2f}, within the spread "
                                 f"over {n} digits).")],
                perturb=falsifier(jump, "jump_off"),
                spread=jump_spread),
            worded("hidden_rms_replace_vs_repaint", rms, [
                (lambda v: v[2] < 0, f"The filled half comes closer to the real hidden half: RMS "
                                     f"{hr:.2f} without, {hp:.2f} with."),
                (lambda v: v[1] > 0, f"The filled half moves further from the real hidden half: RMS "
                                     f"{hr:.2f} without, {hp:.2f} with."),
                (lambda v: True, f"The filled half is about as far from the real hidden half either way: RMS "
                                 f"{hr:.2f} without, {hp:.2f} with, within the spread over {n} digits.")],
                perturb=falsifier(rms, "hidden_rms"),
                spread=rms_spread)]
