"""The two small protocols every instrument driver implements."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Reading:
    """What one measurement returns.

    Args:
        value: the scalar signal (e.g. mu), or None if only a spectrum was taken.
        uncertainty: one standard deviation of ``value``, if known.
        spectrum: optional ``{"x": (n,), "y": (n,), "x_units": str, "y_units": str}``.
        metadata: other channels and details, JSON-able.
        time: UNIX seconds when it was read; now, if not given. The observation
            keeps it, however late the put reaches the server.
        failed: why the measurement failed ("channel clogged"), with ``value`` None: the
            loop puts it as a failed measurement, which answers its suggestion and is
            journaled but not learned (``observation_put``'s ``failed``).
        point: where the instrument actually was, ``{dimension name: readback}`` (a
            mono that settled 0.4 eV off its setpoint): the loop journals the reading
            there, the suggested value kept for any dimension left out; None (the
            default) journals the suggested point. The server takes a readback a hair
            outside the space, or within 5 % of the range of its suggestion, onto the
            bound (``Space.clip_readback``).
    """

    value: float | None
    uncertainty: float | None = None
    spectrum: dict[str, np.ndarray | str] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    time: float = field(default_factory=time.time)
    failed: str | None = None
    point: dict[str, Any] | None = None


@runtime_checkable
class Movable(Protocol):
    def move(self, point: dict[str, Any]) -> None:
        """Drive the axes to ``point`` ({dimension name: value}); return when settled."""


@runtime_checkable
class Readable(Protocol):
    def read(self) -> Reading:
        """Measure at the current position; raise ``adaptive.client.InstrumentStateError``
        when the instrument's state allows no read (e.g. before any move)."""


@runtime_checkable
class Instrument(Movable, Readable, Protocol):
    """Something that can both move and read."""
