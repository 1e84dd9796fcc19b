"""Instrument drivers: move to a suggested point, measure, report back."""

from drivers.loop import DriverRun, run_driver
from drivers.protocols import Instrument, Movable, Readable, Reading
from drivers.replay import replay_instrument
from drivers.simulated import SimulatedInstrument
from drivers.synthesis import SynthesisInstrument

__all__ = [
    "DriverRun",
    "Instrument",
    "Movable",
    "Readable",
    "Reading",
    "SimulatedInstrument",
    "SynthesisInstrument",
    "replay_instrument",
    "run_driver",
]
