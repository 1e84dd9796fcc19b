"""The XPS peak-fitting pipeline: the network finds peaks, least squares refines them all.

After arXiv:2107.04287: the SE-CNN predicts the peak count and the largest peak, which is
subtracted and the residual predicted again (``extract_peaks_batch``); the peaks found
start one joint bounded least-squares fit of all peaks and the background
(``refine_peaks``), optionally followed by basin hopping. Then the network looks at the
fit's residual: a peak it finds there (clearly above the noise) joins the others and all
are refitted, kept if the fit improves clearly. This catches peaks that a static
background estimate hid from the extraction (real spectra with wide windows and large
inelastic backgrounds), since the refined background follows the peaks. Last, peaks the
data do not need are pruned: the smallest peak is dropped while the refit without it
has a lower Bayesian information criterion, ``chi2 + n_params log m`` with the noise
level ``estimate_noise`` finds.
"""

from __future__ import annotations

import numpy as np

from simulators.lineshapes import pseudo_voigt_area, xps_peak
from surrogates.peak_extraction import extract_peaks_batch
from surrogates.peak_net import PeakNetPredictor, check_spectra, estimate_background
from surrogates.peak_refine import refine_peaks
from surrogates.peak_result import FittedPeak, PeakFitResult, estimate_noise

#: A residual peak must be this many noise standard deviations high to be added.
RESIDUAL_PEAK_SIGMAS = 6.0
#: ... and the refit must lower the reduced chi-square by at least this factor.
RESIDUAL_CHI2_GAIN = 0.8


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
            self._prune(e, y, self._add_residual_peaks(e, y, self._refine(e, y, peaks)))
            for e, y, peaks in zip(binding_energy, counts, starts, strict=True)
        ]

    def _bic(self, result: PeakFitResult) -> float:
        """``chi2 + n_params log m`` of a fit, chi2 against the estimated noise."""
        m = len(result.counts)
        per_peak = 5 if self.fit_asymmetry else 4
        chi2 = float(np.sum(result.residual**2)) / max(estimate_noise(result.counts), 1e-12) ** 2
        return chi2 + per_peak * len(result.peaks) * np.log(m)

    def _prune(self, e: np.ndarray, y: np.ndarray, result: PeakFitResult) -> PeakFitResult:
        """Drop the smallest peak while the information criterion prefers the fit without it."""
        while len(result.peaks) > 1:
            smallest = min(range(len(result.peaks)), key=lambda i: result.peaks[i].area)
            rest = [_start(p) for i, p in enumerate(result.peaks) if i != smallest]
            refit = self._refine(e, y, rest)
            if self._bic(refit) > self._bic(result):
                break
            result = refit
        return result

    def _refine(self, e: np.ndarray, y: np.ndarray, peaks) -> PeakFitResult:
        return refine_peaks(
            e,
            y,
            peaks,
            fit_asymmetry=self.fit_asymmetry,
            basin_hopping=self.basin_hopping,
            seed=self.seed,
        )

    def _add_residual_peaks(
        self, e: np.ndarray, y: np.ndarray, result: PeakFitResult
    ) -> PeakFitResult:
        """Add peaks the network finds in the residual while each clearly improves the fit."""
        noise = estimate_noise(y)
        while len(result.peaks) < self.max_peaks:
            found = self.predictor.predict(
                e[None], result.residual[None], subtract_background=False
            )
            # the count head is unreliable on residuals (their negative parts are clipped);
            # the noise level and the fit's improvement decide instead
            if found["height"][0] < RESIDUAL_PEAK_SIGMAS * noise:
                break
            new = {
                key: float(found[f"{key}_ev" if key in ("center", "fwhm") else key][0])
                for key in ("center", "fwhm", "height", "eta")
            }
            refit = self._refine(e, y, [*map(_start, result.peaks), new])
            if not refit.reduced_chi2 < RESIDUAL_CHI2_GAIN * result.reduced_chi2:
                break
            result = refit
        return result

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


def _start(peak: FittedPeak) -> dict[str, float]:
    """A fitted peak as the start of a refit."""
    return {
        "center": peak.center,
        "fwhm": peak.fwhm,
        "height": peak.height,
        "eta": peak.eta,
        "asymmetry": peak.asymmetry,
    }
