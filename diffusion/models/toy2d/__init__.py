"""A 2D diffusion with exact truth: a spiral of Gaussians (mixture.py: closed-form q(x_t), score and eps*),
the config and presets (config.py), the recipe of the shared engine (recipe.py), the sampler's and the
probability-flow ODE's trajectories (flow.py), and measurements against the truth (measure.py)."""
