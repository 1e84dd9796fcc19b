"""Simulated and replayed X-ray absorption spectrometers, XPS and EELS spectra with their
file readers, a silver-nanoparticle synthesis simulator and a pool of measured experiments
(numpy/scipy only)."""

from simulators.agnp import AgNPSynthesis
from simulators.base import Simulator
from simulators.eels import Edge, EELSBatch, EELSSimulator, edge_table
from simulators.eels_files import EELSSpectrum, read_eels, read_eels_text, read_msa, to_channels
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
from simulators.xps import PHOTON_ENERGY_AL_KA, XPSBatch, XPSSimulator
from simulators.xps_files import XPSRegion, read_vamas, read_xps, read_xps_text

__all__ = [
    "PHOTON_ENERGY_AL_KA",
    "XMCD",
    "AgNPSynthesis",
    "EELSBatch",
    "EELSSimulator",
    "EELSSpectrum",
    "Edge",
    "KEdgeXAS",
    "PoolEmulator",
    "RecordedSpectrum",
    "Simulator",
    "XPSBatch",
    "XPSRegion",
    "XPSSimulator",
    "arctan_step",
    "edge_table",
    "energy_to_k",
    "exafs_chi",
    "gaussian",
    "lorentzian",
    "pseudo_voigt",
    "read_eels",
    "read_eels_text",
    "read_msa",
    "read_spectrum",
    "read_two_column",
    "read_vamas",
    "read_xdi",
    "read_xps",
    "read_xps_text",
    "to_channels",
]
