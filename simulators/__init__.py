"""Simulated and replayed X-ray absorption spectrometers, XPS and EELS spectra with their
file readers, a silver-nanoparticle synthesis simulator and a pool of measured experiments
(numpy/scipy only).

The names are exported here and imported on first use, so that importing one module (such as
``simulators.base``, whose number rules ``adaptive`` shares) does not load them all.
"""

from simulators.exports import lazy_exports

#: Exported name -> the module that defines it.
_EXPORTS = {
    "AgNPSynthesis": "simulators.agnp",
    "EELSBatch": "simulators.eels",
    "EELSSimulator": "simulators.eels",
    "EELSSpectrum": "simulators.eels_files",
    "Edge": "simulators.eels",
    "KEdgeXAS": "simulators.xas",
    "PHOTON_ENERGY_AL_KA": "simulators.xps",
    "PoolEmulator": "simulators.pool",
    "RecordedSpectrum": "simulators.replay",
    "Simulator": "simulators.base",
    "XMCD": "simulators.xmcd",
    "XPSBatch": "simulators.xps",
    "XPSRegion": "simulators.xps_files",
    "XPSSimulator": "simulators.xps",
    "arctan_step": "simulators.lineshapes",
    "edge_table": "simulators.eels",
    "energy_to_k": "simulators.lineshapes",
    "exafs_chi": "simulators.lineshapes",
    "gaussian": "simulators.lineshapes",
    "lorentzian": "simulators.lineshapes",
    "pseudo_voigt": "simulators.lineshapes",
    "read_eels": "simulators.eels_files",
    "read_eels_text": "simulators.eels_files",
    "read_msa": "simulators.eels_files",
    "read_spectrum": "simulators.replay",
    "read_two_column": "simulators.replay",
    "read_vamas": "simulators.xps_files",
    "read_xdi": "simulators.replay",
    "read_xps": "simulators.xps_files",
    "read_xps_text": "simulators.xps_files",
    "to_channels": "simulators.eels_files",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
