"""A simulated flow-synthesis robot: a recipe in, one droplet's absorbance spectrum out."""

from __future__ import annotations

from typing import Any

import numpy as np

from drivers.protocols import Reading
from simulators.agnp import FACTORS, WAVELENGTHS, AgNPSynthesis


class SynthesisInstrument:
    """Sets the pumps to a recipe and reads one droplet per ``read()``.

    Args:
        simulator: the AgNP flow-synthesis simulator.
    """

    def __init__(self, simulator: AgNPSynthesis):
        self.simulator = simulator
        self.recipe: np.ndarray | None = None

    def move(self, point: dict[str, Any]) -> None:
        missing = [f for f in FACTORS if f not in point]
        if missing:
            raise ValueError(f"recipe {point} lacks {missing}")
        self.recipe = np.array([float(point[f]) for f in FACTORS])

    def read(self) -> Reading:
        if self.recipe is None:
            raise RuntimeError("read before move: set a recipe first")
        droplet = self.simulator.measure(self.recipe, n_droplets=1)[0]
        spectrum = {"x": WAVELENGTHS, "y": droplet, "x_units": "nm", "y_units": "absorbance"}
        return Reading(value=None, spectrum=spectrum)
