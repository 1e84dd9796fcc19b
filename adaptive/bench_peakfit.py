"""Benchmark of XPS peak fitters on a seeded simulated test set.

The test set is ``XPSSimulator()``'s default distribution: 1-5 peaks, FWHM 0.5-3 eV,
neighbours at least 0.5 mean FWHM apart, signal-to-noise 20-200, Shirley / linear /
Tougaard backgrounds, binding- or kinetic-energy axes. Every method sees the same spectra
on an ascending binding-energy axis; a fit succeeds when every true peak is matched by
one fitted peak within 0.2 eV with its area within 20 %, and no unmatched fitted peak
holds more than 5 % of the true area (``surrogates.peak_metrics.match_peaks``).
The test set is drawn with ``seed`` itself, while the peak network trains on chunks drawn
with seeds derived from its training seed (``train_peak_net``, ``derived_seed``), so no
test seed repeats its training spectra as an EELS one can (``adaptive.bench_eels``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from tqdm import tqdm

from adaptive.errors import InvalidParameterError
from simulators.xps import XPSBatch, XPSSimulator
from simulators.xps_files import read_xps
from surrogates.checkpoints import fits_in_memory
from surrogates.peak_baselines import fit_em, fit_lmfit_naive, fit_lmfit_oracle
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_metrics import match_peaks
from surrogates.peak_net import PeakNetPredictor, to_binding_order
from surrogates.peak_result import PeakFitResult

#: Methods in the order they are reported.
METHODS = ("pipeline", "network", "lmfit_naive", "lmfit_oracle", "em")
#: Measured metal 2p references in ``shared/data/xps`` and their literature 2p3/2 - 2p1/2
#: spin-orbit splittings, eV.
REFERENCE_SPLITTINGS = {
    "Fe2p_Fe_metal.txt": 13.1,
    "Co2p_Co_metal.txt": 15.0,
    "Ni2p_Ni_metal.txt": 17.3,
    "Cu2p_Cu_metal.txt": 19.8,
}
#: The 2p1/2 line is the highest peak at least this far above the 2p3/2 line, eV.
MIN_SPLITTING = 5.0


def true_peaks(batch: XPSBatch, i: int) -> list[dict[str, float]]:
    """The true peaks of spectrum ``i`` as starts for a fitter."""
    k = int(batch.n_peaks[i])
    fields = ("center", "fwhm", "height", "eta")
    return [{f: float(getattr(batch, f)[i, j]) for f in fields} for j in range(k)]


def score(results: list[PeakFitResult], batch: XPSBatch) -> dict[str, float | None]:
    """The benchmark's figures of one method's fits to ``batch``; the errors are None when
    no true peak was matched (JSON has no NaN)."""
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
        "center_mae_ev": float(np.mean(center_err)) if center_err else None,
        "fwhm_mae_ev": float(np.mean(fwhm_err)) if fwhm_err else None,
        "area_rel_err_median": float(np.median(area_err)) if area_err else None,
        "success_rate": float(np.mean(successes)),
    }


def bench_peakfit(
    n: int = 2000,
    seed: int = 0,
    methods=METHODS,
    progress: bool = True,
    data_dir: str | Path | None = None,
    predictor: PeakNetPredictor | None = None,
    workers: int = 1,
) -> dict:
    """Fit the seeded test set with every method; ``{"methods": {name: figures}}``, and with
    ``data_dir`` (``shared/data/xps``) the measured references' splittings (``"real"``).

    ``spectra_per_s`` is wall-clock throughput over the whole set (the network and the
    pipeline's extraction run batched, the least-squares fits one spectrum at a time, the
    pipeline's spread over ``workers`` processes, their start-up included).
    ``data_dir`` is checked first (``reference_files``), so a wrong one loses no run.
    ``predictor`` is the peak network of the pipeline and network methods (None: the
    committed one; ``PeakNetPredictor.load(path)`` for retrained weights). ``n`` test
    spectra that do not fit in memory are refused (``fits_in_memory``).
    """
    if data_dir is not None:
        reference_files(data_dir)
    simulator = XPSSimulator()
    each = 6 * 8 * simulator.n_points  # the batch's 4 float rows, their 2 in binding order
    with fits_in_memory(f"--n {n} test spectra", n, each):
        batch = simulator.sample(n, seed)
        energy, counts = to_binding_order(
            batch.energy, batch.counts, batch.kinetic, batch.photon_energy
        )
    fitter = PeakFitter(predictor=predictor, workers=workers)
    runners: dict[str, Callable[[], list[PeakFitResult]]] = {
        "pipeline": lambda: fitter.fit_batch(energy, counts),
        "network": lambda: fitter.extract_batch(energy, counts),
        "lmfit_naive": lambda: _fit_each(
            lambda i, e, y: fit_lmfit_naive(e, y), energy, counts, progress
        ),
        "lmfit_oracle": lambda: _fit_each(
            lambda i, e, y: fit_lmfit_oracle(e, y, true_peaks(batch, i)), energy, counts, progress
        ),
        "em": lambda: _fit_each(lambda i, e, y: fit_em(e, y, seed=seed), energy, counts, progress),
    }
    out = {}
    for name in methods:
        started = time.perf_counter()
        results = runners[name]()
        seconds = time.perf_counter() - started
        out[name] = {**score(results, batch), "spectra_per_s": round(n / seconds, 1)}
    report = {"n": n, "seed": seed, "workers": workers, "methods": out}
    if data_dir is not None:
        report["real"] = bench_references(data_dir, fitter.predictor)
    return report


def spin_orbit_splitting(result: PeakFitResult) -> float:
    """2p1/2 minus 2p3/2 centre: the highest peak is 2p3/2, and 2p1/2 the highest peak at
    least ``MIN_SPLITTING`` eV above it (satellites are lower); NaN if there is none (or
    no peak at all)."""
    if not result.peaks:
        return float("nan")
    main = max(result.peaks, key=lambda p: p.height)
    partners = [p for p in result.peaks if p.center >= main.center + MIN_SPLITTING]
    if not partners:
        return float("nan")
    return max(partners, key=lambda p: p.height).center - main.center


def reference_files(data_dir: str | Path) -> list[Path]:
    """The measured references in ``data_dir``, in ``REFERENCE_SPLITTINGS`` order.

    Raises:
        InvalidParameterError: some are missing; the message names them and ``--data``.
    """
    paths = [Path(data_dir) / name for name in REFERENCE_SPLITTINGS]
    missing = [path.name for path in paths if not path.is_file()]
    if missing:
        raise InvalidParameterError(
            f"--data {data_dir} lacks the references {', '.join(missing)}; pass the folder "
            "that holds them (shared/data/xps)"
        )
    return paths


def bench_references(data_dir: str | Path, predictor: PeakNetPredictor | None = None) -> dict:
    """Fit each measured metal 2p reference (count not given, asymmetric metal lines) with
    the peak network ``predictor`` (None: the committed one) and compare its spin-orbit
    splitting with the literature value (None when the fit has no 2p1/2 line)."""
    fitter = PeakFitter(predictor=predictor, asymmetry=True)
    out = {}
    for path, literature in zip(
        reference_files(data_dir), REFERENCE_SPLITTINGS.values(), strict=True
    ):
        region = read_xps(path)
        result = fitter.fit(region.binding_energy, region.counts)
        splitting = spin_orbit_splitting(result)
        found = not np.isnan(splitting)
        out[path.name] = {
            "n_peaks": len(result.peaks),
            "splitting_ev": round(splitting, 3) if found else None,
            "literature_ev": literature,
            "error_ev": round(abs(splitting - literature), 3) if found else None,
        }
    return out


def _fit_each(
    fit: Callable[[int, np.ndarray, np.ndarray], PeakFitResult],
    energy: np.ndarray,
    counts: np.ndarray,
    progress: bool,
) -> list[PeakFitResult]:
    """``fit(i, energy[i], counts[i])`` for each spectrum of ``energy``, ``counts`` (n, m),
    under a progress bar that is closed even when Ctrl-C stops the fits."""
    results = []
    with tqdm(total=len(energy), disable=not progress) as bar:
        for i, (e, y) in enumerate(zip(energy, counts, strict=True)):
            results.append(fit(i, e, y))
            bar.update()
    return results
