"""A 2D diffusion with exact truth: a spiral of Gaussians (closed-form q(x_t), score and eps*), a small
MLP eps-model, the shared sampler and the probability-flow ODE, and measurements against the truth."""
from .mixture import (ExactEps, Spiral, alpha_bar_at, axis_marginal_pdf, exact_eps, exact_eps_ab, log_density,
                      marginal, sample_marginal, sample_mixture, score)
from .model import TOY2D_PRESETS, Toy2dConfig, build_network, loss_fn, sample_data
