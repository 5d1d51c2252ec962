"""companion: the tested computations behind the book on Bayesian hierarchical models.

Its modules, one job each:

datasets
    The eight-schools, rat-tumour, free-throw and beta-blocker data.
priors
    Priors in one form per role: FLAT, the named pairs, priors on the variance.
beta_binomial
    Exact posteriors for binomial rates: no pooling, empirical Bayes and full Bayes.
normal_normal
    The exact posterior of the normal hierarchical model.
mixtures
    Exact marginals and predictives as mixtures over the hyperparameter grid.
rankings
    Which group is larger, which is largest, and how large the largest is.
predictive_checks
    Posterior predictive checks with exact draws.
meta_analysis
    Log odds ratios, fixed-effect and random-effects estimates.
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
replicates
    Many runs of a sampler, compiled once, each scored against the exact posterior.
claims
    Statements about a sampler checked over runs at a stated false-alarm rate.
checks
    Closed forms checked against brute-force integration (the derivation chapter).
literature
    Published tables and values set beside exact computations.
plots
    The book's figures.

PyMC is imported only by the modules that need it, so ``import companion`` is fast.
"""

__version__ = "0.2.0"
