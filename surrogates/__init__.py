"""Models behind one small interface: ``fit(x, y)`` then ``predict(x) -> (mean, std)``."""

from surrogates.warped_gp import WarpedGP

__all__ = ["WarpedGP"]
