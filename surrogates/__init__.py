"""Models and analysis networks: the warped GP of energy scans, the recipe GP and batch
acquisition, the XPS peak network and fitter, the EELS element identifier, SHAP reports."""

from surrogates.warped_gp import WarpedGP

__all__ = ["WarpedGP"]
