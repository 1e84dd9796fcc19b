"""The XPS peak-fitting pipeline: the network finds peaks, least squares refines them all.

After arXiv:2107.04287: the SE-CNN predicts the peak count and the largest peak, which is
subtracted and the residual predicted again (``extract_peaks_batch``); the peaks found
start one joint bounded least-squares fit of all peaks and the background
(``refine_peaks``), optionally followed by basin hopping.
"""

from __future__ import annotations

import numpy as np

from simulators.lineshapes import pseudo_voigt_area, xps_peak
from surrogates.peak_extraction import extract_peaks_batch
from surrogates.peak_net import PeakNetPredictor, check_spectra, estimate_background
from surrogates.peak_refine import refine_peaks
from surrogates.peak_result import FittedPeak, PeakFitResult


class PeakFitter:
    """Fit overlapping core-level peaks without being told how many there are.

    Example:
        >>> result = PeakFitter().fit(binding_energy, counts)   # each (m,)
        >>> [p.center for p in result.peaks], result.features()

    Args:
        predictor: the peak network; None loads the committed weights.
        max_peaks: most peaks per spectrum (1..5).
        fit_asymmetry: refine each peak's asymmetry too.
        basin_hopping: search nearby basins after the local fit.
        seed: seed of the basin hopping.
    """

    def __init__(
        self,
        predictor: PeakNetPredictor | None = None,
        max_peaks: int = 5,
        fit_asymmetry: bool = False,
        basin_hopping: bool = False,
        seed: int = 0,
    ):
        self.predictor = PeakNetPredictor.load() if predictor is None else predictor
        self.max_peaks = max_peaks
        self.fit_asymmetry = fit_asymmetry
        self.basin_hopping = basin_hopping
        self.seed = seed

    def fit(self, binding_energy: np.ndarray, counts: np.ndarray) -> PeakFitResult:
        """Peaks of one spectrum: binding_energy (m,) ascending, counts (m,)."""
        energy, y = check_spectra(np.asarray(binding_energy)[None], np.asarray(counts)[None])
        return self.fit_batch(energy, y)[0]

    def fit_batch(self, binding_energy: np.ndarray, counts: np.ndarray) -> list[PeakFitResult]:
        """Peaks of many spectra (n, m); the network runs batched, refinement per spectrum."""
        starts = extract_peaks_batch(binding_energy, counts, self.predictor, self.max_peaks)
        return [
            refine_peaks(
                e,
                y,
                peaks,
                fit_asymmetry=self.fit_asymmetry,
                basin_hopping=self.basin_hopping,
                seed=self.seed,
            )
            for e, y, peaks in zip(binding_energy, counts, starts, strict=True)
        ]

    def extract_batch(self, binding_energy: np.ndarray, counts: np.ndarray) -> list[PeakFitResult]:
        """The network alone (no refinement): extracted peaks over the estimated background.

        Args:
            binding_energy: (n, m) ascending binding energies, eV.
            counts: (n, m) counts.
        """
        energy, y = check_spectra(binding_energy, counts)
        starts = extract_peaks_batch(energy, y, self.predictor, self.max_peaks)
        background = estimate_background(y)
        out = []
        for e, row, bg, peaks in zip(energy, y, background, starts, strict=True):
            fitted = [
                FittedPeak(
                    center=p["center"],
                    fwhm=p["fwhm"],
                    height=p["height"],
                    area=float(pseudo_voigt_area(p["height"], p["fwhm"], p["eta"])),
                    eta=p["eta"],
                    asymmetry=0.0,
                )
                for p in peaks
            ]
            model = bg + sum(
                (p.height * xps_peak(e, p.center, p.fwhm, p.eta) for p in fitted),
                np.zeros_like(e),
            )
            out.append(
                PeakFitResult.from_model(
                    e, row, fitted, bg, model, "network", n_params=4 * len(fitted)
                )
            )
        return out
