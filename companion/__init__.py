"""companion: the tested computations behind the book on Bayesian hierarchical models.

Modules
-------
datasets
    The eight-schools, rat-tumour and free-throw data.
beta_binomial
    Exact posteriors for binomial rates: independent, empirical Bayes and full Bayes.
grid
    Densities on regular grids: normalization, expectations and inverse-CDF sampling.
exchangeability
    Exchangeable sequences (iid, Beta-Bernoulli, Polya urn) and their dependence.
draws
    Exact draws as an ArviZ DataTree.
models
    The PyMC versions of the models, and sampling with an explicit sampler.
diagnostics
    MCMC output measured against the exact posterior.
checks
    Closed forms checked against brute-force integration (the derivation chapter).
literature
    Published tables and values set beside exact computations.
plots
    The book's figures.

PyMC is imported only by the modules that need it, so ``import companion`` is fast.
"""

__version__ = "0.1.0"
