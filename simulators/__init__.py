"""Simulated and replayed X-ray absorption spectrometers, a silver-nanoparticle synthesis
simulator and a pool of measured experiments (numpy/scipy only)."""

from simulators.agnp import AgNPSynthesis
from simulators.base import Simulator
from simulators.lineshapes import (
    arctan_step,
    energy_to_k,
    exafs_chi,
    gaussian,
    lorentzian,
    pseudo_voigt,
)
from simulators.pool import PoolEmulator
from simulators.replay import RecordedSpectrum, read_spectrum, read_two_column, read_xdi
from simulators.xas import KEdgeXAS
from simulators.xmcd import XMCD

__all__ = [
    "XMCD",
    "AgNPSynthesis",
    "KEdgeXAS",
    "PoolEmulator",
    "RecordedSpectrum",
    "Simulator",
    "arctan_step",
    "energy_to_k",
    "exafs_chi",
    "gaussian",
    "lorentzian",
    "pseudo_voigt",
    "read_spectrum",
    "read_two_column",
    "read_xdi",
]
