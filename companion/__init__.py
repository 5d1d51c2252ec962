"""companion: the tested computations behind the book on Bayesian hierarchical models.

Modules
-------
datasets
    The eight-schools, rat-tumour and free-throw data.
beta_binomial
    Exact posteriors for binomial rates: independent, empirical Bayes and full Bayes.
grid
    Densities on regular grids: normalization, expectations and inverse-CDF sampling.
plots
    The book's figures.

PyMC is imported only by the modules that need it, so ``import companion`` is fast.
"""

__version__ = "0.1.0"
