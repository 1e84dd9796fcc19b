"""A driver around any ``simulators.Simulator``: the energy axis is simulated."""

from __future__ import annotations

from typing import Any

from adaptive.client import InstrumentStateError, InvalidParameterError, OutOfSpaceError
from drivers.protocols import Reading


class SimulatedInstrument:
    """Moves a simulated monochromator and reads the simulator's channels.

    Args:
        simulator: any ``simulators.Simulator``.
        dimension: the name of the energy dimension in suggested points.
        channel: the channel reported as ``value`` (default: the simulator's primary).

    With counting noise, a reading's uncertainty is its channel's counting uncertainty
    (``simulator.uncertainties``: for transmission ``mu`` (ln I0/I1) 1/sqrt(I1), ``i1``
    sqrt(I1); for XMCD each helicity, their average and their difference); ``i0`` reports
    none.

    Raises:
        InvalidParameterError: ``channel`` is not one of the simulator's channels.
    """

    def __init__(self, simulator, dimension: str = "energy", channel: str | None = None):
        self.simulator = simulator
        self.dimension = dimension
        self.channel = channel or simulator.primary
        if self.channel not in simulator.channels:
            raise InvalidParameterError(
                f"channel={self.channel!r} is not one of the simulator's channels "
                f"{simulator.channels}; pass one of them"
            )
        self.energy: float | None = None

    def move(self, point: dict[str, Any]) -> None:
        """Set the energy to ``point[dimension]``.

        Raises:
            InvalidParameterError: ``point`` has no number under ``dimension``.
            OutOfSpaceError: the energy is outside the simulator's ``energy_range``.
        """
        if self.dimension not in point:
            raise InvalidParameterError(
                f"point {point} has no {self.dimension!r} coordinate; create the instrument "
                "with dimension= the name of the campaign's energy dimension"
            )
        try:
            energy = float(point[self.dimension])
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"{self.dimension}={point[self.dimension]!r} is not a number; suggested "
                "energies must be numbers, in eV"
            ) from None
        low, high = self.simulator.energy_range
        if not low <= energy <= high:
            raise OutOfSpaceError(
                f"{self.dimension}={energy} is outside the simulator's [{low}, {high}] eV; "
                "create the campaign's space inside that range"
            )
        self.energy = energy

    def read(self) -> Reading:
        """Read the channels at the energy set by :meth:`move`.

        Raises:
            InstrumentStateError: no energy was set yet.
        """
        if self.energy is None:
            raise InstrumentStateError("read before move: call move(point) first")
        channels = {k: float(v) for k, v in self.simulator.measure_channels(self.energy).items()}
        uncertainty = self.simulator.uncertainties(channels).get(self.channel)
        value = channels.pop(self.channel)
        return Reading(value=value, uncertainty=uncertainty, metadata=channels)
