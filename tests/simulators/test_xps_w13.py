"""Reading XPS text as a user meets it: a NaN row, whose advice must lead to a spectrum a
fit takes."""

import numpy as np
import pytest

from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps_files import read_xps, read_xps_text
from surrogates.peak_fitter import PeakFitter

ENERGY = np.round(np.arange(925.0, 945.0, 0.1), 1)
COUNTS = np.round(100 + 2000 * xps_peak(ENERGY, 932.7, 1.0, 0.3), 1)


def written(tmp_path, energy, counts, name="cu.txt", rest: str = "") -> str:
    """The path of a text export (title, column titles, rows energy and counts, then
    ``rest``)."""
    rows = "".join(f"{e:.1f}\t{c}\n" for e, c in zip(energy, counts, strict=True))
    path = tmp_path / name
    path.write_text("Cu2p\nBinding Energy (eV)\tCounts\n" + rows + rest)
    return str(path)


def test_a_nan_count_is_refused_with_advice_to_fill_it_that_a_fit_then_takes(tmp_path):
    # "remove or fill NaN/inf values": the removed row was then refused for its gap
    counts = COUNTS.astype(object)
    counts[50] = "nan"
    with pytest.raises(ValueError) as error:
        read_xps(written(tmp_path, ENERGY, counts))
    message = str(error.value)
    assert "has a non-finite counts value (NaN or inf) at line 53; fill it" in message
    assert "removing the point leaves a gap in the energy axis, which a peak fit refuses" in message
    assert "remove or fill" not in message
    keep = np.arange(ENERGY.size) != 50
    removed = read_xps(written(tmp_path, ENERGY[keep], COUNTS[keep], "removed.txt"))
    with pytest.raises(InvalidParameterError, match="must have a uniform step"):
        PeakFitter(max_peaks=1).fit(removed.binding_energy, removed.counts)
    counts[50] = (COUNTS[49] + COUNTS[51]) / 2  # the advice: its neighbours' mean
    filled = read_xps(written(tmp_path, ENERGY, counts, "filled.txt"))
    assert len(PeakFitter(max_peaks=1).fit(filled.binding_energy, filled.counts).peaks) == 1


def test_a_nan_energy_is_refused_with_advice_to_write_it(tmp_path):
    energy = ENERGY.astype(object)
    energy[7] = "inf"
    with pytest.raises(ValueError, match="energy value \\(NaN or inf\\) at line 10; write the"):
        read_xps_text(written(tmp_path, [float(e) for e in energy], COUNTS))
