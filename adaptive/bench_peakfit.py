"""Benchmark of XPS peak fitters on a seeded simulated test set.

The test set is ``XPSSimulator()``'s default distribution: 1-5 peaks, FWHM 0.5-3 eV,
neighbours at least 0.5 mean FWHM apart, signal-to-noise 20-200, Shirley / linear /
Tougaard backgrounds, binding- or kinetic-energy axes. Every method sees the same spectra
on an ascending binding-energy axis; a fit succeeds when every true peak is matched by
one fitted peak within 0.2 eV with its area within 20 %, and no unmatched fitted peak
holds more than 5 % of the true area (``surrogates.peak_metrics.match_peaks``).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

from simulators.xps import XPSBatch, XPSSimulator
from surrogates.peak_baselines import fit_em, fit_lmfit_naive, fit_lmfit_oracle
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_metrics import match_peaks
from surrogates.peak_net import to_binding_order
from surrogates.peak_result import PeakFitResult

#: Methods in the order they are reported.
METHODS = ("pipeline", "network", "lmfit_naive", "lmfit_oracle", "em")


def true_peaks(batch: XPSBatch, i: int) -> list[dict[str, float]]:
    """The true peaks of spectrum ``i`` as starts for a fitter."""
    k = int(batch.n_peaks[i])
    fields = ("center", "fwhm", "height", "eta")
    return [{f: float(getattr(batch, f)[i, j]) for f in fields} for j in range(k)]


def score(results: list[PeakFitResult], batch: XPSBatch) -> dict[str, float]:
    """The benchmark's figures of one method's fits to ``batch``."""
    counts, successes, center_err, fwhm_err, area_err = [], [], [], [], []
    for i, result in enumerate(results):
        k = int(batch.n_peaks[i])
        fit_center = np.array([p.center for p in result.peaks])
        fit_area = np.array([p.area for p in result.peaks])
        fit_fwhm = np.array([p.fwhm for p in result.peaks])
        match = match_peaks(batch.center[i, :k], batch.area[i, :k], fit_center, fit_area)
        counts.append(len(result.peaks) == k)
        successes.append(match.success)
        center_err.extend(match.center_abs_err)
        area_err.extend(np.abs(match.area_rel_err))
        fwhm_err.extend(abs(fit_fwhm[f] - batch.fwhm[i, t]) for t, f in match.pairs)
    return {
        "count_accuracy": float(np.mean(counts)),
        "center_mae_ev": float(np.mean(center_err)) if center_err else float("nan"),
        "fwhm_mae_ev": float(np.mean(fwhm_err)) if fwhm_err else float("nan"),
        "area_rel_err_median": float(np.median(area_err)) if area_err else float("nan"),
        "success_rate": float(np.mean(successes)),
    }


def bench_peakfit(n: int = 2000, seed: int = 0, methods=METHODS, progress: bool = True) -> dict:
    """Fit the seeded test set with every method; ``{"methods": {name: figures}}``.

    ``spectra_per_s`` is wall-clock throughput over the whole set (the network and the
    pipeline's extraction run batched, the least-squares fits one spectrum at a time).
    """
    batch = XPSSimulator().sample(n, seed)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    fitter = PeakFitter()
    runners: dict[str, Callable[[], list[PeakFitResult]]] = {
        "pipeline": lambda: fitter.fit_batch(energy, counts),
        "network": lambda: fitter.extract_batch(energy, counts),
        "lmfit_naive": lambda: [fit_lmfit_naive(e, y) for e, y in _bar(energy, counts, progress)],
        "lmfit_oracle": lambda: [
            fit_lmfit_oracle(e, y, true_peaks(batch, i))
            for i, (e, y) in enumerate(_bar(energy, counts, progress))
        ],
        "em": lambda: [fit_em(e, y, seed=seed) for e, y in _bar(energy, counts, progress)],
    }
    out = {}
    for name in methods:
        started = time.perf_counter()
        results = runners[name]()
        seconds = time.perf_counter() - started
        out[name] = {**score(results, batch), "spectra_per_s": round(n / seconds, 1)}
    return {"n": n, "seed": seed, "methods": out}


def _bar(energy: np.ndarray, counts: np.ndarray, progress: bool):
    return tqdm(zip(energy, counts, strict=True), total=len(energy), disable=not progress)
