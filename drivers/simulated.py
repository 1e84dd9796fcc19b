"""A driver around any ``simulators.Simulator``: the energy axis is simulated."""

from __future__ import annotations

import math
from typing import Any

from drivers.protocols import Reading


class SimulatedInstrument:
    """Moves a simulated monochromator and reads the simulator's channels.

    Args:
        simulator: any ``simulators.Simulator``.
        dimension: the name of the energy dimension in suggested points.
        channel: the channel reported as ``value`` (default: the simulator's primary).

    With counting noise, the uncertainty of ``mu`` (ln I0/I1) is 1/sqrt(I1) and that of
    ``i1`` is sqrt(I1); other channels report none.
    """

    def __init__(self, simulator, dimension: str = "energy", channel: str | None = None):
        self.simulator = simulator
        self.dimension = dimension
        self.channel = channel or simulator.primary
        if self.channel not in simulator.channels:
            raise ValueError(
                f"channel {self.channel!r} is not one of the simulator's {simulator.channels}"
            )
        self.energy: float | None = None

    def move(self, point: dict[str, Any]) -> None:
        if self.dimension not in point:
            raise ValueError(f"point {point} has no {self.dimension!r} coordinate")
        low, high = self.simulator.energy_range
        energy = float(point[self.dimension])
        if not low <= energy <= high:
            raise ValueError(
                f"{self.dimension}={energy} is outside the simulator's [{low}, {high}]"
            )
        self.energy = energy

    def read(self) -> Reading:
        if self.energy is None:
            raise RuntimeError("read before move: call move(point) first")
        channels = {k: float(v) for k, v in self.simulator.measure_channels(self.energy).items()}
        uncertainty = None
        i1 = channels.get("i1")
        if self.simulator.i0 is not None and i1:  # Poisson: sd(I1) = sqrt(I1)
            uncertainty = {"mu": 1.0 / math.sqrt(i1), "i1": math.sqrt(i1)}.get(self.channel)
        value = channels.pop(self.channel)
        return Reading(value=value, uncertainty=uncertainty, metadata=channels)
