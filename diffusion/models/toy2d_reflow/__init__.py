"""One reflow (rectification) round on the 2D flow ("toy2d-reflow", Liu et al. 2023): the pairs (noise, the
sample toy2d-fm's ODE makes of it) replace the independent (noise, data) pairs, and the same MLP learns
the velocity of the straight lines between them."""
