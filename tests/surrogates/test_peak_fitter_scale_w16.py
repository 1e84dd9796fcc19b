"""The same Cu metal 2p spectrum in counts, in counts per second and normalised (review
W16): the faint-line test read sqrt(model) as the noise, so counts x 10 (a 0.1 s dwell in
cps) warned of a 4-sigma bump as 13 sigmas and told to count longer at 41,000 counts; a
network start 1.24 counts over a noise of 19 was named a line left out; and data
normalised to 1 were fitted by the rules for counts with no word."""

import numpy as np
import pytest

from simulators.xps_files import read_xps
from surrogates.peak_fitter import PeakFitter
from tests.shared_data import SHARED_DATA

TEXT = SHARED_DATA / "xps" / "Cu2p_Cu_metal.txt"
VAMAS = SHARED_DATA / "xps" / "Cu_references.vms"

pytestmark = pytest.mark.skipif(not VAMAS.is_file(), reason="shared data absent")


def faint_lines(warnings) -> list[str]:
    return [w for w in warnings if "sigma summed over" in w]


def test_the_faint_line_verdict_does_not_change_with_the_counts_scale():
    e, y = np.loadtxt(TEXT, skiprows=1).T
    fitter = PeakFitter(workers=1)
    verdicts = [faint_lines(fitter.fit(e, y * scale).warnings) for scale in (1.0, 10.0)]
    assert verdicts[0] == verdicts[1] and len(verdicts[0]) == 1
    # the Cu 2p1/2 satellite, 13 eV above its line as 945.95 is above 2p3/2; no slot left
    assert "near 965.15 eV" in verdicts[0][0]
    assert "all max_peaks=5 peaks are fitted; to fit it, fit narrower windows" in verdicts[0][0]
    assert "count longer" not in verdicts[0][0]


def test_a_residual_start_that_does_not_stand_out_of_the_noise_is_not_a_line_left_out():
    region = read_xps(VAMAS, block=1)
    assert region.name.startswith("Cu2p Cu metal")
    result = PeakFitter(workers=1).fit(region.binding_energy, region.counts)
    assert not [w for w in result.warnings if "counts high" in w]  # was near 957.41 eV, 1.24
    assert len(faint_lines(result.warnings)) == 1


def test_a_normalised_spectrum_is_told_to_fit_without_poisson_weights():
    e, y = np.loadtxt(TEXT, skiprows=1).T
    warned = PeakFitter(workers=1).fit(e, y / y.max()).warnings
    assert any("not raw counts but a normalised export" in w for w in warned)
    plain = PeakFitter(workers=1, poisson_weights=False).fit(e, y / y.max()).warnings
    assert not any("normalised export" in w for w in plain)
    counts = PeakFitter(workers=1).fit(e, y / y.max() * 100).warnings
    assert not any("normalised export" in w for w in counts)


def test_a_faint_line_at_thousands_of_counts_is_not_put_down_to_the_counts():
    # Cu metal 2p from 925 eV with asymmetry: 4,090 counts at the top, told to count longer
    e, y = np.loadtxt(TEXT, skiprows=1).T
    kept = e >= 925
    result = PeakFitter(workers=1, asymmetry=True).fit(e[kept], y[kept])
    (faint,) = faint_lines(result.warnings)
    assert "may be the shape misfit of the line beside it" in faint
    assert "count longer" not in faint
