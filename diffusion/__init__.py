"""diffusion — a small, readable library of diffusion models that the scenes animate."""
__version__ = "0.1.0"
