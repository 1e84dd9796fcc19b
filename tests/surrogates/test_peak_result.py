"""Peak-fit results: statistics, features, JSON and figure."""

import json
import math

import numpy as np
import pytest
from matplotlib.colors import to_hex

from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from simulators.lineshapes import pseudo_voigt_area, xps_peak
from surrogates.peak_result import (
    Estimate,
    FittedPeak,
    PeakFitResult,
    check_regions,
    estimate_noise,
)

E = np.linspace(280.0, 300.0, 301)


def _peak(center: float, height: float, fwhm: float = 1.2, eta: float = 0.3) -> FittedPeak:
    area = float(pseudo_voigt_area(height, fwhm, eta))
    return FittedPeak(center, fwhm, height, area, eta, 0.0, center_err=0.01)


def _result(noise: float = 5.0, seed: int = 0) -> PeakFitResult:
    """Two peaks on a sloped background, the fit being the truth itself."""
    peaks = [_peak(291.0, 500.0), _peak(285.0, 1000.0)]
    background = 100.0 + 2.0 * (E - E[0])
    truth = background + sum(p.height * xps_peak(E, p.center, p.fwhm, p.eta) for p in peaks)
    counts = truth + np.random.default_rng(seed).normal(0.0, noise, E.size)
    return PeakFitResult.from_model(E, counts, peaks, background, truth, "test", 8)


def test_estimate_noise_finds_white_noise_on_peaks():
    rng = np.random.default_rng(1)
    smooth = 1000.0 * xps_peak(E, 290.0, 1.5, 0.3) + 50.0
    estimates = [estimate_noise(smooth + rng.normal(0.0, 7.0, E.size)) for _ in range(20)]
    assert np.mean(estimates) == pytest.approx(7.0, rel=0.1)
    assert estimate_noise(smooth) < 0.1


def test_estimate_noise_on_sparse_counts_is_not_zero():
    rng = np.random.default_rng(2)
    rate = 0.5 * xps_peak(E, 290.0, 1.5, 0.3) + 0.05  # most channels count 0 or 1
    estimates = [estimate_noise(rng.poisson(rate).astype(float)) for _ in range(20)]
    assert min(estimates) > 0
    assert np.mean(estimates) == pytest.approx(np.sqrt(rate.mean()), rel=0.5)
    assert estimate_noise(2.0 * E + 1.0) == pytest.approx(0.0, abs=1e-9)


def test_statistics_of_a_correct_model():
    result = _result()
    assert result.reduced_chi2 == pytest.approx(1.0, abs=0.3)
    assert 0.99 < result.r_squared < 1.0
    np.testing.assert_allclose(result.residual, result.counts - result.model)


def test_peaks_are_sorted_and_curves_add_up_to_the_model():
    result = _result()
    assert [p.center for p in result.peaks] == [285.0, 291.0]
    curves = result.peak_curves()
    assert curves.shape == (E.size, 2)
    np.testing.assert_allclose(result.background + curves.sum(axis=1), result.model)


def test_features_are_ordered_by_centre_with_ratios_to_the_largest():
    features = _result().features()
    assert features["n_peaks"] == 2 and isinstance(features["n_peaks"], int)  # for range()
    assert features["center_0"] == 285.0 and features["center_1"] == 291.0
    assert features["area_ratio_0"] == 1.0
    assert features["area_ratio_1"] == pytest.approx(features["area_1"] / features["area_0"])


def test_to_dict_is_json_ready():
    result = _result()
    out = json.loads(json.dumps(result.to_dict()))
    assert out["method"] == "test" and out["n_peaks"] == 2
    assert out["peaks"][0]["center_err"] == 0.01
    assert out["peaks"][0]["fwhm_err"] is None  # NaN: unknown
    assert "counts" not in out and "model" not in out


def test_doublet_parameters_are_reported():
    result = _result()
    doublet = PeakFitResult.from_model(
        E, result.counts, result.peaks, result.background, result.model, "test", 7,
        splitting=Estimate(2.5, 0.01), ratio=Estimate(0.5, math.nan),
    )  # fmt: skip
    assert doublet.features()["splitting"] == 2.5 and doublet.features()["doublet_ratio"] == 0.5
    out = json.loads(json.dumps(doublet.to_dict()))
    assert out["splitting"] == {"value": 2.5, "err": 0.01}
    assert out["ratio"] == {"value": 0.5, "err": None}
    assert "splitting" not in result.to_dict() and "splitting" not in result.features()


def test_empty_result_has_no_features_but_statistics():
    counts = np.random.default_rng(2).normal(10.0, 1.0, E.size)
    background = np.full(E.size, 10.0)
    result = PeakFitResult.from_model(E, counts, [], background, background, "none", 1)
    assert result.features() == {"n_peaks": 0.0}
    assert result.peak_curves().shape == (E.size, 0)
    assert math.isfinite(result.reduced_chi2)


def test_plot_saves_as_a_png(tmp_path):
    figure = _result().plot(name="C1s")
    path = save_figure(figure, tmp_path / "fit.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(figure.axes) == 2
    assert figure.axes[0].get_title() == "C1s: 2 peaks"


def test_a_named_plot_keeps_the_doublet_note_in_its_title():
    # fit peaks titled its figure "<region>: N peaks" and dropped ", doublets X eV apart"
    fit = _result()
    doublet = PeakFitResult.from_model(
        E, fit.counts, fit.peaks, fit.background, fit.model, "test", 7,
        splitting=Estimate(6.0, 0.01), ratio=Estimate(0.5),
    )  # fmt: skip
    title = doublet.plot(name="Ti2p").axes[0].get_title()
    assert title == "Ti2p: 2 peaks, doublet splitting 6.00 eV"
    assert doublet.plot().axes[0].get_title() == "test: 2 peaks, doublet splitting 6.00 eV"


def test_no_peak_is_drawn_in_the_envelopes_colour():
    # the 4th peak took the default cycle's C3, the envelope's red
    fit = _result()
    peaks = [_peak(c, 300.0) for c in (282.0, 284.0, 286.0, 288.0, 290.0)]
    many = PeakFitResult.from_model(E, fit.counts, peaks, fit.background, fit.model, "test", 20)
    ax = many.plot().axes[0]
    colour = {line.get_label(): to_hex(line.get_color()) for line in ax.lines}
    peak_colours = [colour[f"{p.center:.2f} eV"] for p in many.peaks]
    assert colour["envelope"] not in peak_colours
    assert len(set(peak_colours)) == len(peaks)
    fills = [to_hex(fill.get_facecolor()[0], keep_alpha=False) for fill in ax.collections]
    assert fills == peak_colours  # each filled area in its peak's colour


def test_region_features_sum_the_peaks_in_each_window_and_stay_put():
    # index features renumber when one more peak is found; a region names its window
    fit = _result()
    regions = {"main": [284.0, 286.0], "sat": (290, 292), "empty": [295.0, 299.0]}
    features = fit.features(regions)
    main, sat = fit.peaks[0].area, fit.peaks[1].area
    assert features["area_main"] == main and features["area_sat"] == sat
    assert features["area_fraction_main"] == pytest.approx(main / (main + sat))
    assert features["area_empty"] == features["area_fraction_empty"] == 0.0
    extra = _peak(282.0, 50.0)
    more = PeakFitResult.from_model(
        E, fit.counts, [*fit.peaks, extra], fit.background, fit.model, "test", 11
    ).features(regions)
    assert more["area_1"] != features["area_1"]  # now the 285 eV peak
    assert more["area_main"] == main and more["area_sat"] == sat
    assert more["area_fraction_main"] == pytest.approx(main / (main + sat + extra.area))
    assert "area_main" not in fit.features()


def test_region_features_without_peaks_give_zero_area_and_no_fraction():
    background = np.full(E.size, 10.0)
    empty = PeakFitResult.from_model(E, background, [], background, background, "none", 1)
    features = empty.features({"main": [284.0, 286.0]})
    assert features["area_main"] == 0.0 and math.isnan(features["area_fraction_main"])


def test_regions_given_as_numpy_pairs_are_taken():
    # "array([284., 286.]): it is not a [low, high] pair of finite binding energies"
    pairs = {"main": np.array([284.0, 286.0]), "sat": (np.float64(288.0), np.int64(292))}
    assert check_regions(pairs) == {"main": (284.0, 286.0), "sat": (288.0, 292.0)}
    assert _result().features(pairs) == _result().features({"main": [284, 286], "sat": [288, 292]})
    with pytest.raises(InvalidParameterError, match="not a \\[low, high\\] pair"):
        check_regions({"main": np.array([[284.0, 286.0]])})


@pytest.mark.parametrize(
    ("regions", "match"),
    [
        (["main"], "regions is a mapping of names to"),
        ({"main": [286.0, 284.0]}, r"entry 'main': \[286.0, 284.0\]: its low end is not below"),
        ({"main": [285.0, 285.0]}, "entry 'main'.*low end is not below its high end"),
        ({"main": [284.0]}, r"entry 'main': \[284.0\]: it is not a \[low, high\] pair"),
        ({"main": "284-286"}, r"entry 'main'.*not a \[low, high\] pair of finite"),
        ({"main": [284.0, math.inf]}, r"entry 'main'.*not a \[low, high\] pair of finite"),
        ({"main": [True, 286.0]}, r"entry 'main'.*not a \[low, high\] pair of finite"),
        ({"2p": [284.0, 286.0]}, "entry '2p'.*its name is not a plain identifier"),
        ({"main peak": [284.0, 286.0]}, "entry 'main peak'.*not a plain identifier"),
        ({1: [284.0, 286.0]}, "entry 1:.*not a plain identifier"),
        ({"ratio_0": [284.0, 286.0]}, "entry 'ratio_0'.*would clash with area_ratio_i"),
        ({"fraction_main": [284.0, 286.0]}, "entry 'fraction_main'.*would clash"),
    ],
)
def test_bad_regions_are_refused_naming_the_entry(regions, match):
    with pytest.raises(InvalidParameterError, match=match):
        check_regions(regions)
    with pytest.raises(InvalidParameterError, match=match):
        _result().features(regions)


def test_counts_too_large_for_the_statistics_are_refused_clearly():
    fit = _result()
    huge = fit.counts * 1e160  # squares overflow: once an OverflowError traceback
    with pytest.raises(InvalidParameterError, match=r"counts reach \d.*e\+16\d.*divide the counts"):
        PeakFitResult.from_model(E, huge, fit.peaks, fit.background, fit.model, "test", 8)


@pytest.mark.parametrize("scale", [1e-200, 1e-300])
def test_counts_too_small_for_the_statistics_are_refused_clearly(scale):
    fit = _result()
    tiny = fit.counts * scale  # squares underflow to 0: once a ZeroDivisionError
    with pytest.raises(InvalidParameterError, match=r"counts reach only .*multiply the counts"):
        PeakFitResult.from_model(E, tiny, fit.peaks, fit.background, fit.model * scale, "test", 8)


def test_small_counts_within_range_still_give_statistics():
    fit = _result()
    small = PeakFitResult.from_model(
        E, fit.counts * 1e-90, fit.peaks, fit.background, fit.model * 1e-90, "test", 8
    )
    assert small.reduced_chi2 == pytest.approx(fit.reduced_chi2, rel=1e-9)
