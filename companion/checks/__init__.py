r"""Brute-force checks of the closed forms of the two conjugate hierarchical models.

Every closed form that the chapter "The full derivation" states is computed here twice:
once from the formula (by default the implementation in
:mod:`companion.normal_normal` or :mod:`companion.beta_binomial`) and once by brute
force, integrating the model's own densities numerically with no use of the result
being checked:

* integrals over a rate :math:`\theta_j \in (0, 1)` of
  :math:`\theta^{a-1}(1-\theta)^{b-1}` itself, with no gamma or beta function, by
  tanh-sinh quadrature (:func:`scipy.integrate.tanhsinh`) from each singular end;
* integrals over a normal mean :math:`\theta_j`, over :math:`\mu` and over
  :math:`\log\tau` by tanh-sinh quadrature in log space, on both sides of the
  integrand's mode, which is found numerically
  (:func:`scipy.optimize.elementwise.find_minimum`);
* inside the nested integrals of :math:`p(\tau \mid y)`, the integrals over each
  :math:`\theta_j` by a 48-node Gauss-Hermite rule taken with respect to the narrower
  of the two normal factors (exact to rounding for a product of two normal densities,
  and far faster there than tanh-sinh at the same accuracy).

Each ``check_*`` function returns a :class:`CheckResult`: a small table with both
numbers, the largest discrepancy and whether it is within the tolerance. Every check
also accepts ``candidate``, values of the closed form computed elsewhere, for example
from a formula copied out of a textbook or a tutorial; the same comparison judges the
candidate, so a wrong formula is rejected by exactly the test that accepts the right
one.

The subpackage has one module per job:

* ``companion.checks.result``: :class:`CheckResult` and :func:`summarize`;
* ``companion.checks.integrate``: the integration engine (where an integrand's mass
  is, and its integral);
* ``companion.checks.normal``: the normal hierarchical model (eight schools);
* ``companion.checks.beta_binomial``: the hierarchical beta-binomial model (rat
  tumours).

Every public name is importable from ``companion.checks`` itself; the types of the
priors that the checks take are :class:`FrozenDistribution` (a frozen
:mod:`scipy.stats` distribution) and :class:`Hyperprior`.
"""

from companion.checks.beta_binomial import (
    Hyperprior,
    check_beta_binomial_conditional,
    check_beta_binomial_marginal,
    check_beta_binomial_tail,
    check_jacobian,
)
from companion.checks.normal import (
    FrozenDistribution,
    brute_log_tau_density,
    check_expected_log_tau,
    check_factorization,
    check_marginal_y,
    check_mu_conditional,
    check_tau_marginal,
    check_tau_tail,
    check_theta_conditional,
)
from companion.checks.result import CheckResult, summarize

__all__ = [
    "CheckResult",
    "FrozenDistribution",
    "Hyperprior",
    "brute_log_tau_density",
    "check_beta_binomial_conditional",
    "check_beta_binomial_marginal",
    "check_beta_binomial_tail",
    "check_expected_log_tau",
    "check_factorization",
    "check_jacobian",
    "check_marginal_y",
    "check_mu_conditional",
    "check_tau_marginal",
    "check_tau_tail",
    "check_theta_conditional",
    "summarize",
]

# The protocols are documented, and cross-referenced from the signatures, as
# companion.checks.FrozenDistribution and companion.checks.Hyperprior.
FrozenDistribution.__module__ = Hyperprior.__module__ = __name__
