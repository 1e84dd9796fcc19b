"""A simulated flow-synthesis robot: a recipe in, one droplet's absorbance spectrum out."""

from __future__ import annotations

from typing import Any

import numpy as np

from adaptive.client import InstrumentStateError, InvalidParameterError, OutOfSpaceError
from drivers.protocols import Reading
from simulators.agnp import FACTORS, WAVELENGTHS, AgNPSynthesis, check_recipes


class SynthesisInstrument:
    """Sets the pumps to a recipe and reads one droplet per ``read()``.

    Args:
        simulator: the AgNP flow-synthesis simulator.
    """

    def __init__(self, simulator: AgNPSynthesis):
        self.simulator = simulator
        self.recipe: np.ndarray | None = None

    def move(self, point: dict[str, Any]) -> None:
        """Set the pumps to the recipe ``point`` ({factor: flow}).

        Raises:
            InvalidParameterError: ``point`` lacks a factor or holds a non-number.
            OutOfSpaceError: a flow outside ``BOUNDS``, or fractions summing over 100 %.
        """
        missing = [f for f in FACTORS if f not in point]
        if missing:
            raise InvalidParameterError(
                f"recipe {point} lacks {missing}; create the campaign's space with the "
                f"dimensions {list(FACTORS)} (simulators.agnp.BOUNDS)"
            )
        try:
            recipe = np.array([float(point[f]) for f in FACTORS])
        except (TypeError, ValueError):
            raise InvalidParameterError(
                f"recipe {point} holds a non-number; flows must be numbers"
            ) from None
        try:
            check_recipes(recipe[None, :])
        except ValueError as err:
            raise OutOfSpaceError(f"recipe {point} cannot be made: {err}") from None
        self.recipe = recipe

    def read(self) -> Reading:
        """Read one droplet of the recipe set by :meth:`move`.

        Raises:
            InstrumentStateError: no recipe was set yet.
        """
        if self.recipe is None:
            raise InstrumentStateError("read before move: set a recipe with move(point) first")
        droplet = self.simulator.measure(self.recipe, n_droplets=1)[0]
        spectrum = {"x": WAVELENGTHS.copy(), "y": droplet, "x_units": "nm", "y_units": "absorbance"}
        return Reading(value=None, spectrum=spectrum)
