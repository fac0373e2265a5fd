"""The workflows themselves and the machinery beside their loop: the update surface,
deliveries, the projector, the patches."""
