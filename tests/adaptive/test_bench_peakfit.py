"""The peak-fitting benchmark's report: plain JSON, also when a method matches nothing."""

import json

import numpy as np
import pytest

import adaptive.bench_peakfit as bench_peakfit
from adaptive.bench_peakfit import bench_references, score, spin_orbit_splitting
from adaptive.errors import InvalidParameterError
from simulators.xps import XPSSimulator
from surrogates.peak_result import PeakFitResult


def _empty_fit(energy: np.ndarray, counts: np.ndarray) -> PeakFitResult:
    """A fit without peaks: a flat background."""
    background = np.full_like(counts, counts.mean())
    return PeakFitResult.from_model(energy, counts, [], background, background, "none", 1)


def test_a_method_that_matches_no_peak_scores_none_not_nan():
    batch = XPSSimulator().sample(2, seed=0)
    figures = score(
        [_empty_fit(e, y) for e, y in zip(batch.energy, batch.counts, strict=True)], batch
    )
    assert figures["success_rate"] == 0.0
    assert figures["center_mae_ev"] is figures["area_rel_err_median"] is None
    json.dumps(figures, allow_nan=False)


def test_a_reference_fit_without_peaks_reports_no_splitting(monkeypatch, tmp_path):
    e = np.linspace(925.0, 965.0, 401)
    assert np.isnan(spin_orbit_splitting(_empty_fit(e, np.full_like(e, 10.0))))

    class EmptyFitter:
        def __init__(self, **_):
            pass

        def fit(self, energy, counts):
            return _empty_fit(energy, counts)

    monkeypatch.setattr(bench_peakfit, "PeakFitter", EmptyFitter)
    monkeypatch.setattr(bench_peakfit, "REFERENCE_SPLITTINGS", {"Cu2p.txt": 19.8})
    (tmp_path / "Cu2p.txt").write_text("".join(f"{x} 10\n" for x in e))
    report = bench_references(tmp_path)
    assert report["Cu2p.txt"]["splitting_ev"] is report["Cu2p.txt"]["error_ev"] is None
    json.dumps(report, allow_nan=False)


def test_a_wrong_data_folder_is_refused_before_the_simulated_benchmark(monkeypatch, tmp_path):
    def simulated(*_):
        raise AssertionError("the test set was simulated before --data was checked")

    monkeypatch.setattr(bench_peakfit.XPSSimulator, "sample", simulated)
    (tmp_path / "Fe2p_Fe_metal.txt").write_text("")
    with pytest.raises(InvalidParameterError, match=r"--data \S+ lacks the references Co2p_Co"):
        bench_peakfit.bench_peakfit(2, methods=("network",), data_dir=tmp_path)


def test_the_given_peak_network_serves_the_simulated_and_the_measured_fits(monkeypatch, tmp_path):
    # bench_peakfit always loaded the committed weights
    predictor, seen = object(), []

    class RecordingFitter:
        def __init__(self, predictor=None, **_):
            self.predictor = predictor
            seen.append(predictor)

        def fit(self, energy, counts):
            return _empty_fit(energy, counts)

        def extract_batch(self, energy, counts):
            return [self.fit(e, y) for e, y in zip(energy, counts, strict=True)]

    monkeypatch.setattr(bench_peakfit, "PeakFitter", RecordingFitter)
    monkeypatch.setattr(bench_peakfit, "REFERENCE_SPLITTINGS", {"Cu2p.txt": 19.8})
    e = np.linspace(925.0, 965.0, 401)
    (tmp_path / "Cu2p.txt").write_text("".join(f"{x} 10\n" for x in e))
    report = bench_peakfit.bench_peakfit(
        2, methods=("network",), progress=False, data_dir=tmp_path, predictor=predictor
    )
    assert set(report) == {"n", "seed", "workers", "methods", "real"}
    assert seen == [predictor, predictor]


def test_a_test_set_beyond_memory_is_refused_with_what_it_needs():
    # a MemoryError traceback from the simulator
    with pytest.raises(
        InvalidParameterError,
        match=rf"^--n {10**12} test spectra need [\d,.]+ GiB \(14400 bytes each\), .*fewer$",
    ):
        bench_peakfit.bench_peakfit(10**12, progress=False)
