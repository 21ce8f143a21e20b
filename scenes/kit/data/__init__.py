"""Each scene's data part, one module per scene module (same name), without Manim: NEEDS (the
zero-argument functions that build or load what the scene shows, through the cache), what it
measures, and claims() (what its narration states, scenes/kit/claims.py). The storyboard
(scenes/<module>.py) reads it, and so do `python -m scenes claims`, the tests and publish/figures.py.
"""
