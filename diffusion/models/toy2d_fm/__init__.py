"""The 2D spiral trained by flow matching ("toy2d-fm"): toy2d's data, MLP and training budget, the linear
path and the velocity loss; the exact marginal velocity of the path is in velocity.py."""
