"""Review W21: an s level's three states (C 1s) read as two doublets put a fourth line at
290.3 eV, 3.7 errors from zero, unwarned; the fit now says where a doublet fit placed a
peak a free fit has none at, and ``doublets=False`` fits free peaks only."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from surrogates.peak_fitter import PeakFitter

ENERGY = np.arange(278.0, 295.01, 0.1)
C1S = [(284.8, 300.0), (286.3, 90.0), (288.8, 40.0)]  # (centre, height), FWHM 1.0


def c1s(seed: int) -> np.ndarray:
    """Poisson counts of the three C 1s states on a Shirley-like step, ~350 at the top."""
    signal = sum(h * xps_peak(ENERGY, c, 1.0, 0.2) for c, h in C1S)
    mean = 50 + 20 * np.cumsum(signal) / signal.sum() + signal
    return np.random.default_rng(seed).poisson(mean).astype(float)


def test_a_partner_only_the_doublet_fit_places_is_warned_of():
    result = PeakFitter().fit(ENERGY, c1s(1002))
    assert result.splitting is not None and len(result.peaks) == 4  # the case: a 4th line
    placed = [w for w in result.warnings if w.startswith("the doublet fit (splitting")]
    assert len(placed) == 1 and "placed a peak at 290.3" in placed[0]
    assert placed[0].endswith("which has no partner, fit with doublets off")


def test_without_doublets_the_three_states_are_fitted_as_three_free_peaks():
    result = PeakFitter(doublets=False).fit(ENERGY, c1s(1002))
    assert result.splitting is None
    centers = sorted(p.center for p in result.peaks)
    np.testing.assert_allclose(centers, [c for c, _ in C1S], atol=0.1)


def test_doublets_must_be_a_bool():
    with pytest.raises(InvalidParameterError, match="doublets"):
        PeakFitter(doublets="no")


def test_fit_peaks_names_the_flag_and_takes_it(tmp_path, monkeypatch, capsys):
    import json

    from adaptive.cli import main

    monkeypatch.chdir(tmp_path)
    path = tmp_path / "c1s.txt"
    path.write_text("".join(f"{e:.2f} {y:.0f}\n" for e, y in zip(ENERGY, c1s(1002), strict=True)))
    assert main(["fit", "peaks", str(path), "--json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any(w.endswith("which has no partner, fit with --no-doublets") for w in warnings)
    assert main(["fit", "peaks", str(path), "--no-doublets", "--json"]) == 0
    free = json.loads(capsys.readouterr().out)
    assert "splitting" not in free and free["n_peaks"] == 3
