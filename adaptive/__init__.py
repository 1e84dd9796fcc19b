"""adaptive-lab: an active-learning experiment-control server.

The core package: space and records, strategies, campaign engine, journal,
wire protocol, server, client and CLI. The main classes are exported here
(``adaptive.Space``, ``adaptive.Campaign``, ``adaptive.Server``, ``adaptive.Client``,
the ``adaptive.Strategy`` protocol, ...) and imported on first use, so ``import adaptive``
(and so the CLI's start) stays light: ``Campaign`` pulls in torch. The strategies are in
``adaptive.strategies``, the errors in ``adaptive.errors``.
"""

from simulators.exports import lazy_exports

__version__ = "0.1.0"

#: Exported name -> the module that defines it.
_EXPORTS = {
    "Campaign": "adaptive.campaign",
    "Client": "adaptive.client",
    "Dimension": "adaptive.space",
    "Goals": "adaptive.campaign",
    "Journal": "adaptive.journal",
    "LinearConstraint": "adaptive.space",
    "Observation": "adaptive.records",
    "Server": "adaptive.server",
    "Space": "adaptive.space",
    "Spectrum": "adaptive.records",
    "SpectrumObjective": "adaptive.objectives",
    "Strategy": "adaptive.strategy",
    "Suggestion": "adaptive.records",
}

__all__ = ["__version__", *_EXPORTS]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
