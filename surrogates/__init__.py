"""Models and analysis networks: the warped GP of energy scans, the recipe GP and batch
acquisition, the XPS peak network and fitter, the EELS element identifier, SHAP reports.

``WarpedGP``, ``PeakFitter`` and ``EELSIdentifier`` are exported here and imported on
first use, so importing one module of the package does not load the others.
"""

import importlib

#: Exported name -> the module that defines it.
_EXPORTS = {
    "EELSIdentifier": "surrogates.eels_identifier",
    "PeakFitter": "surrogates.peak_fitter",
    "WarpedGP": "surrogates.warped_gp",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'surrogates' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
