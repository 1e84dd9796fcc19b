"""adaptive-lab: an active-learning experiment-control server.

The core package: space and records, strategies, campaign engine, journal,
wire protocol, server, client and CLI.
"""

__version__ = "0.1.0"
