"""The NRMSE of a reconstructed spectrum against its truth (simulate summaries, benchmarks)."""

from __future__ import annotations

import numpy as np


def nrmse_span(truth: np.ndarray) -> float:
    """The 0.5-99.5 percentile span of ``truth`` (m,), which scales its NRMSE (``nrmse``);
    0 for a flat truth."""
    return float(np.percentile(truth, 99.5) - np.percentile(truth, 0.5))


def nrmse(mean: np.ndarray, truth: np.ndarray, channel: str = "mu") -> dict:
    """``{"nrmse": ...}``: the RMSE of ``mean`` (m,) from ``truth`` (m,) over the 0.5-99.5
    percentile span of ``truth`` (``nrmse_span``), which is their RMSE once both are scaled
    to [0, 1] by those percentiles; None with an ``nrmse_note`` when that is not a finite
    number (a flat truth), so the summary stays valid JSON. ``channel`` is the scanned one,
    for the note: ``i0``, the incident count, is flat by design. The one NRMSE of the
    simulate summaries and ``adaptive.bench``."""
    span = nrmse_span(truth)
    error = float(np.sqrt(np.mean((mean - truth) ** 2)))
    if span > 0 and np.isfinite(error):
        return {"nrmse": error / span}
    if span <= 0 and channel == "i0":
        why = "i0 is the incident count, flat by design: scan mu or another channel for an NRMSE"
    elif span <= 0:
        why = (
            f"the true signal is flat (0.5-99.5 percentile span {span:g}), so errors have no "
            "scale; replay a spectrum with an edge"
        )
    else:
        why = "the reconstruction is not finite"
    return {"nrmse": None, "nrmse_note": f"no NRMSE: {why}"}
