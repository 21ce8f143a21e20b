"""What every scene stands on, one module per concept. Every other module of scenes/ is a scene module.

Visuals (Manim): scene (the base scene and its narrated beats), layout (title line, regions, fitting),
text (labels, formulas), numbers (live numbers), images (pixel images and mosaics), plots (histograms,
curves, axes), paths (many segments as one mobject), unet (the U-Net diagram), graphs and plane (the
graph and 2D-plane visuals), style (palette, type scale, pacing).
Machinery (no Manim on import): registry (discovery, series order, needs), claims, rendering, audit,
preflight, svg_cache, models (the trained models scenes load), cli (`python -m scenes`).
"""
