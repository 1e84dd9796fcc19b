"""``PeakFitter(workers=N)``: the batch's refinements spread over processes, same results."""

import numpy as np
import pytest

import surrogates.peak_fitter as peak_fitter
from adaptive.bench_peakfit import bench_peakfit
from adaptive.errors import InvalidParameterError
from simulators.xps import XPSSimulator
from surrogates.peak_fitter import PeakFitter
from surrogates.peak_net import DEFAULT_WEIGHTS, to_binding_order

pytestmark = pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")


def _fingerprint(result) -> tuple:
    """Everything a fit reports, as comparable values."""
    peaks = [(p.center, p.fwhm, p.height, p.eta, p.area, p.center_err) for p in result.peaks]
    arrays = (np.array(peaks), result.residual, result.background)
    return result.warnings, *(a.tobytes() for a in arrays)  # bytes: NaN errors compare equal


def test_fits_in_two_processes_equal_the_fits_in_this_one_in_order():
    batch = XPSSimulator().sample(9, seed=3)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    here = PeakFitter().fit_batch(energy, counts)
    spread = PeakFitter(workers=2).fit_batch(energy, counts)
    assert list(map(_fingerprint, spread)) == list(map(_fingerprint, here))
    assert len({len(r.peaks) for r in here}) > 1  # the spectra differ, so order is checked


@pytest.mark.parametrize("workers", [0, -1, 1.5, True, "2"])
def test_a_worker_count_that_is_no_positive_int_is_refused(workers):
    with pytest.raises(InvalidParameterError, match="workers=.* must be an integer >= 1"):
        PeakFitter(workers=workers)


def test_the_benchmark_reports_its_workers_and_fits_alike_with_more():
    one = bench_peakfit(6, seed=1, methods=("pipeline",), progress=False, workers=1)
    two = bench_peakfit(6, seed=1, methods=("pipeline",), progress=False, workers=2)
    assert (one["workers"], two["workers"]) == (1, 2)
    figures = {k: v for k, v in one["methods"]["pipeline"].items() if k != "spectra_per_s"}
    assert figures == {k: v for k, v in two["methods"]["pipeline"].items() if k != "spectra_per_s"}


def test_one_spectrum_is_fitted_in_this_process_whatever_the_workers(monkeypatch):
    # a server's analysis step fits one spectrum at a time: no process is started for it
    def no_processes(*_):
        raise AssertionError("started processes for one spectrum")

    monkeypatch.setattr(peak_fitter, "_fit_in_processes", no_processes)
    batch = XPSSimulator().sample(1, seed=3)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    assert PeakFitter(workers=2).fit(energy[0], counts[0]).peaks
