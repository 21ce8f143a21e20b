"""Manim scenes. Each module defines DiffusionScene subclasses; `python -m scenes list` shows them."""
