"""The class-conditional digits model ("digits-cond"): the digits U-Net plus a label embedding, trained
by the shared engine with the null label on a share of the examples, so it also serves as its own
unconditional model (recipe.py)."""
