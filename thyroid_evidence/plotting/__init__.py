"""Plotting: every ``plot_*`` function and figure saving."""
