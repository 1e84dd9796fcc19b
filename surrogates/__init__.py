"""Models and analysis networks: the warped GP of energy scans, the recipe GP and batch
acquisition, the XPS peak network and fitter, the EELS element identifier, SHAP reports.

``WarpedGP``, ``PeakFitter`` and ``EELSIdentifier`` are exported here and imported on
first use, so importing one module of the package does not load the others.
"""

from simulators.exports import lazy_exports

#: Exported name -> the module that defines it.
_EXPORTS = {
    "EELSIdentifier": "surrogates.eels_identifier",
    "PeakFitter": "surrogates.peak_fitter",
    "WarpedGP": "surrogates.warped_gp",
}

__all__ = list(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
