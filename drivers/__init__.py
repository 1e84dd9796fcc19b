"""Instrument drivers: move to a suggested point, measure, report back."""

from drivers.loop import DriverRun, run_driver
from drivers.protocols import Instrument, Movable, Readable, Reading
from drivers.replay import replay_instrument
from drivers.simulated import SimulatedInstrument

__all__ = [
    "DriverRun",
    "Instrument",
    "Movable",
    "Readable",
    "Reading",
    "SimulatedInstrument",
    "replay_instrument",
    "run_driver",
]
