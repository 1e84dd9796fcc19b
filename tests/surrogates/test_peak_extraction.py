import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps import XPSSimulator
from surrogates.peak_extraction import extract_peaks_batch, snap_centers
from surrogates.peak_net import DEFAULT_WEIGHTS, PeakNetPredictor, to_binding_order

CENTERS = np.array([283.0, 286.0, 289.5])


def three_peaks(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(300,) energies and Poisson counts: three peaks on a Shirley-like step."""
    energy = np.linspace(275.0, 298.0, 300)
    heights = np.array([[3000.0], [1800.0], [1200.0]])
    widths = np.array([[1.2], [1.5], [1.0]])
    peaks = (heights * xps_peak(energy, CENTERS[:, None], widths, 0.3)).sum(axis=0)
    step = 500.0 + 400.0 * np.cumsum(peaks) / peaks.sum()
    return energy, np.random.default_rng(seed).poisson(peaks + step).astype(float)


@pytest.fixture(scope="module")
def predictor() -> PeakNetPredictor:
    if not DEFAULT_WEIGHTS.is_file():
        pytest.skip(f"no committed weights at {DEFAULT_WEIGHTS}")
    return PeakNetPredictor.load()


def test_three_peaks_are_found_near_their_centres(predictor):
    energy, counts = three_peaks(seed=0)
    (peaks,) = extract_peaks_batch(energy[None], counts[None], predictor)
    assert len(peaks) == 3
    found = np.sort([p["center"] for p in peaks])
    np.testing.assert_allclose(found, CENTERS, atol=0.3)
    assert peaks[0]["height"] > peaks[-1]["height"]  # largest first
    for p in peaks:
        assert set(p) == {"center", "fwhm", "height", "eta"}
        assert 0.5 < p["fwhm"] < 3.0 and 0.0 <= p["eta"] <= 1.0


def test_flat_spectrum_has_no_peaks(predictor):
    energy = np.linspace(700.0, 730.0, 300)
    rng = np.random.default_rng(1)
    flat = rng.poisson(np.full(300, 800.0)).astype(float)
    sloped = rng.poisson(np.linspace(400.0, 900.0, 300)).astype(float)
    assert extract_peaks_batch(np.stack([energy] * 2), np.stack([flat, sloped]), predictor) == [
        [],
        [],
    ]


def test_batch_matches_one_at_a_time_and_counts_simulated_peaks(predictor):
    batch = XPSSimulator().sample(60, seed=777)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    found = extract_peaks_batch(energy, counts, predictor)
    for i in range(5):  # one at a time gives the same peaks, up to float32 round-off
        (alone,) = extract_peaks_batch(energy[i : i + 1], counts[i : i + 1], predictor)
        assert len(alone) == len(found[i])
        for a, b in zip(alone, found[i], strict=True):
            assert a.keys() == b.keys()
            np.testing.assert_allclose(list(a.values()), list(b.values()), rtol=1e-4)
    n_found = np.array([len(p) for p in found])
    # measured (seed 777): the right count for 59 of 60 spectra, 94 % of starts within
    # half the FWHM of the nearest true peak
    assert (n_found == batch.n_peaks).mean() > 0.85
    off = []  # distance of each start from its nearest true centre, in that peak's FWHM
    for peaks, centers, fwhm in zip(found, batch.center, batch.fwhm, strict=True):
        for p in peaks:
            nearest = np.nanargmin(np.abs(centers - p["center"]))
            off.append(abs(centers[nearest] - p["center"]) / fwhm[nearest])
    assert np.mean(np.array(off) < 0.5) > 0.85
    limited = extract_peaks_batch(energy, counts, predictor, max_peaks=2)
    assert max(len(p) for p in limited) == 2


@pytest.mark.parametrize("max_peaks", [0, 6, True, 2.0])
def test_bad_max_peaks(predictor, max_peaks):
    energy, counts = three_peaks(seed=0)
    with pytest.raises(InvalidParameterError, match="max_peaks"):
        extract_peaks_batch(energy[None], counts[None], predictor, max_peaks=max_peaks)


def test_numpy_int_max_peaks_is_accepted(predictor):
    energy, counts = three_peaks(seed=0)
    (peaks,) = extract_peaks_batch(energy[None], counts[None], predictor, max_peaks=np.int64(1))
    assert len(peaks) == 1


def test_bad_spectra(predictor):
    energy, counts = three_peaks(seed=0)
    with pytest.raises(InvalidParameterError, match="2-D"):
        extract_peaks_batch(energy, counts, predictor)
    with pytest.raises(InvalidParameterError, match="ascend"):
        extract_peaks_batch(energy[None, ::-1], counts[None], predictor)


def test_a_centre_in_a_valley_moves_to_the_nearest_peak_and_others_stay():
    energy = np.arange(0.0, 40.0, 0.1)
    lines = xps_peak(energy, 10.0, 1.0, 0.0) + xps_peak(energy, 24.0, 1.0, 0.0)
    shoulder = xps_peak(energy, 30.0, 2.0, 0.0) + 0.4 * xps_peak(energy, 31.5, 1.0, 0.0)
    residual = 1000.0 * (lines + shoulder)
    rows = np.repeat(energy[None], 4, axis=0), np.repeat(residual[None], 4, axis=0)
    # between two equal lines (the network's average of them), on a line, on a shoulder,
    # and in a valley with no line as high as predicted
    center = np.array([15.0, 24.05, 31.5, 17.0])
    height = np.array([1000.0, 1000.0, 400.0, 5000.0])
    fwhm = np.array([1.0, 1.0, 1.0, 1.0])
    snapped = snap_centers(*rows, center, fwhm, height)
    np.testing.assert_allclose(snapped, [10.0, 24.05, 31.5, 17.0])


def test_a_narrow_line_stays_and_a_line_at_the_window_end_is_reached():
    # a 5-point running mean took a 0.7 eV line on a 0.5 eV grid below half its height,
    # and find_peaks never counts a window end as a peak
    coarse = np.arange(0.0, 40.0, 0.5)
    narrow = 1000 * xps_peak(coarse, 10.0, 0.7, 0.3) + 700 * xps_peak(coarse, 16.0, 3.0, 0.3)
    assert snap_centers(coarse[None], narrow[None], [10.0], [0.7], [1000.0])[0] == 10.0
    fine = np.arange(0.0, 20.0, 0.1)
    ends = 1000 * xps_peak(fine, 0.0, 1.2, 0.3) + 1000 * xps_peak(fine, 14.0, 1.2, 0.3)
    assert snap_centers(fine[None], ends[None], [1.5], [1.2], [1000.0])[0] == 0.0


@pytest.mark.skipif(not DEFAULT_WEIGHTS.is_file(), reason="no trained weights")
def test_three_equal_lines_far_apart_each_get_a_start():
    # the network's "largest peak" of three equal lines fell between them (293.4 eV for
    # lines at 285 and 298), out of the refinement's reach of its start
    energy = np.arange(280.0, 330.0, 0.1)
    lines = sum(4000.0 * xps_peak(energy, c, 1.2, 0.3) for c in (285.0, 298.0, 312.0))
    counts = np.random.default_rng(0).poisson(200.0 + lines).astype(float)
    starts = extract_peaks_batch(energy[None], counts[None], PeakNetPredictor.load())[0]
    np.testing.assert_allclose(sorted(p["center"] for p in starts), [285, 298, 312], atol=0.3)
