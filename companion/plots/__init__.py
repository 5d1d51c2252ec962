"""Figures of the book, drawn with matplotlib (and ArviZ where ArviZ has the plot).

Every function draws on an ``ax`` it is given (or on a new figure) and returns the
axes, so the book and your own code can restyle or combine them.
"""

from companion.plots.rates import plot_beta_posteriors

__all__ = ["plot_beta_posteriors"]
