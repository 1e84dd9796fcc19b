"""A uniform step written with few decimals (a 0.025 eV step as 920.00, 920.02, 920.05) or
read back with jitter is a uniform step: ``check_spectrum`` refused it ("steps from 0.02 to
0.03 eV") and now returns the uniform axis fitted to it; a spectrum of more points than
a fit takes in seconds (1.2 million ran ``fit peaks`` for minutes) is refused, saying to bin
it or fit a narrower window (``--range`` on the command line)."""

import numpy as np
import pytest

from adaptive.cli import main
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from surrogates.peak_refine import MAX_POINTS, check_spectrum, refine_peaks
from tests.adaptive.test_cli import _OnePeak

E = 920.0 + 0.025 * np.arange(2080)  # 920-971.975 eV
COUNTS = np.random.default_rng(0).poisson(300 + 3000 * xps_peak(E, 932.7, 0.9, 0.7)).astype(float)
START = [{"center": 932.5, "fwhm": 1.0, "height": 3000.0, "eta": 0.5}]


def test_energies_written_with_two_decimals_fit_as_their_uniform_axis():
    written = np.round(E, 2)  # 920.0, 920.02, 920.05, 920.08, 920.1 ..., 971.98 (971.975)
    assert np.ptp(np.diff(written)) > 0.009
    drifting = np.round(np.arange(920.0, 940.0, 0.025), 2)  # 0.3 steps off: setpoints' bits
    assert check_spectrum(drifting, np.ones(drifting.size))[0].size == drifting.size
    axis, counts = check_spectrum(written, COUNTS)
    np.testing.assert_allclose(axis, E, rtol=0, atol=1e-4)
    np.testing.assert_array_equal(counts, COUNTS)
    fitted, exact = refine_peaks(written, COUNTS, START), refine_peaks(E, COUNTS, START)
    assert fitted.peaks[0].center == pytest.approx(exact.peaks[0].center, abs=1e-4)
    assert fitted.peaks[0].area == pytest.approx(exact.peaks[0].area, rel=1e-4)


def test_a_third_of_a_step_off_the_uniform_axis_is_the_limit():
    jitter = np.tile([-0.025, 0.025], E.size // 2)  # a step down, a step up, ...
    for off, accepted in ((0.002 / 0.025, True), (0.34, True), (0.36, False)):
        e = E + off * jitter
        if accepted:
            np.testing.assert_allclose(check_spectrum(e, COUNTS)[0], E, rtol=0, atol=1e-3)
        else:
            with pytest.raises(InvalidParameterError, match="uniform step: got steps from"):
                check_spectrum(e, COUNTS)
    gap = np.delete(E, 1000)  # a missing row stays refused, named where it is
    with pytest.raises(InvalidParameterError, match="a gap of 0.05 eV between 944.975 and 945.025"):
        check_spectrum(gap, np.delete(COUNTS, 1000))
    drift = 280.0 + np.cumsum(np.linspace(0.10, 0.14, 200))  # a step that changes
    with pytest.raises(
        InvalidParameterError, match="steps from 0.1 to 0.14 eV, points .* interpolate"
    ):
        check_spectrum(drift, np.ones(drift.size))


def test_more_points_than_a_fit_takes_are_refused_saying_how_many():
    e = np.linspace(0.0, 1200.0, MAX_POINTS)
    assert check_spectrum(e, np.ones(e.size))[0].size == MAX_POINTS
    e = np.linspace(0.0, 1200.0, 3 * MAX_POINTS + 1)
    with pytest.raises(InvalidParameterError) as refused:
        check_spectrum(e, np.ones(e.size))
    assert str(refused.value).startswith(f"the spectrum has {3 * MAX_POINTS + 1} points, more ")
    assert str(refused.value).endswith(
        "bin it, averaging every 4 neighbouring points, or fit a narrower window"
    )


def test_fit_peaks_fits_a_two_decimal_file_and_refuses_a_long_one_naming_range(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr("surrogates.peak_fitter.PeakFitter", _OnePeak)
    monkeypatch.chdir(tmp_path)
    rows = "".join(f"{e:.2f}\t{c:g}\n" for e, c in zip(E, COUNTS, strict=True))
    (tmp_path / "step0025.txt").write_text("Binding Energy (eV)\tCounts\n" + rows)
    assert main(["fit", "peaks", "step0025.txt", "--json", "--figure", "f.png"]) == 0
    capsys.readouterr()
    long = np.linspace(920.0, 960.0, MAX_POINTS + 1)  # a 0.001 eV step
    counts = np.random.default_rng(2).poisson(300 + 3000 * xps_peak(long, 935.0, 1.0, 0.5))
    rows = "".join(f"{e:.3f}\t{c}\n" for e, c in zip(long, counts, strict=True))
    (tmp_path / "long.txt").write_text(rows)
    assert main(["fit", "peaks", "long.txt", "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.startswith(
        f"error: long.txt: the spectrum has {MAX_POINTS + 1} points"
    )
    assert err.endswith("or fit a narrower window with --range LOW:HIGH\n")
    assert (
        main(["fit", "peaks", "long.txt", "--range", "930:940", "--json", "--figure", "g.png"]) == 0
    )
