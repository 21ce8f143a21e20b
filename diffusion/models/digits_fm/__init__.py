"""The 8x8 digits trained by flow matching ("digits-fm"): the digits data, U-Net and training budget, the
linear path and the velocity loss."""
