"""Figures of the book, drawn with matplotlib (and ArviZ where ArviZ has the plot).

Every function draws on an ``ax`` it is given (or on a new figure) and returns the
axes (or the figure, for multi-panel plots), so the book and your own code can
restyle or combine them. The functions live in one module per topic and are all
available from ``companion.plots`` directly.
"""

from companion.plots.checks import *  # noqa: F403
from companion.plots.checks import __all__ as _checks
from companion.plots.exchangeability import *  # noqa: F403
from companion.plots.exchangeability import __all__ as _exchangeability
from companion.plots.mcmc import *  # noqa: F403
from companion.plots.mcmc import __all__ as _mcmc
from companion.plots.meta import *  # noqa: F403
from companion.plots.meta import __all__ as _meta
from companion.plots.normal import *  # noqa: F403
from companion.plots.normal import __all__ as _normal
from companion.plots.predictive import *  # noqa: F403
from companion.plots.predictive import __all__ as _predictive
from companion.plots.rates import *  # noqa: F403
from companion.plots.rates import __all__ as _rates
from companion.plots.replicates import *  # noqa: F403
from companion.plots.replicates import __all__ as _replicates

__all__ = [
    *_checks,
    *_exchangeability,
    *_mcmc,
    *_meta,
    *_normal,
    *_predictive,
    *_rates,
    *_replicates,
]
