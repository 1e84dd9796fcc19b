"""A replay counts fluorescence when its recording says so, not when its label reads NAME/i0."""

import numpy as np
import pytest

from simulators import RecordedSpectrum
from simulators.replay import _recording
from tests.shared_data import SHARED_DATA

FEXANES = SHARED_DATA / "xas" / "fexanes_a.001"
ENERGY = np.linspace(8900.0, 9100.0, 41)  # eV
EDGE = 0.5 + np.arctan((ENERGY - 9000.0) / 5.0) / np.pi  # 0.016 .. 0.984


def test_the_flag_not_the_label_chooses_fluorescence_counting():
    # the label chose the noise: the same arrays labelled Sum_Fe_Ka/i0 were fluorescence
    fluorescent = RecordedSpectrum(ENERGY, EDGE, i0=1e3, seed=0, fluorescent=True)
    assert fluorescent.signal == "mu" and fluorescent.channels == ("mu", "i0", "if")
    top = fluorescent.measure_channels(np.full(2000, 9100.0))
    assert top["if"].mean() == pytest.approx(1e3, rel=0.01)  # i0 counts at the highest mu
    reading = fluorescent.measure_channels(9100.0)
    assert fluorescent.uncertainties(reading)["if"] == pytest.approx(np.sqrt(reading["if"]))

    labelled = RecordedSpectrum(
        ENERGY, EDGE, i0=1e3, seed=0, signal="Sum_Fe_Ka/i0", fluorescent=False
    )
    assert not labelled.fluorescent and labelled.channels == ("mu", "i0", "i1")
    assert set(labelled.uncertainties(labelled.measure_channels(9100.0))) == {"mu", "i1"}


def test_the_xdi_readers_fluorescence_column_is_replayed_in_fluorescence():
    # as `adaptive simulate xas --fluorescence Sum_Fe_Ka` reads it
    if not FEXANES.is_file():
        pytest.skip(f"measured XAS data not found at {FEXANES} (shared data absent)")
    recording = _recording(FEXANES, "Sum_Fe_Ka", None)
    assert recording.fluorescent and recording.signal == "Sum_Fe_Ka/i0"
    assert not _recording(FEXANES, None, None).fluorescent  # ln(i0/i1)
    replay = RecordedSpectrum.from_file(FEXANES, i0=1e3, seed=0, fluorescence="Sum_Fe_Ka")
    assert replay.fluorescent and replay.channels == ("mu", "i0", "if")
    relabelled = RecordedSpectrum(
        recording.energy, recording.mu, i0=1e3, seed=0, signal="Fe", fluorescent=True
    )
    energies = np.linspace(7040.0, 7340.0, 30)  # Fe K edge, eV
    np.testing.assert_array_equal(
        relabelled.measure_channels(energies)["if"], replay.measure_channels(energies)["if"]
    )


def test_a_column_titled_over_i0_and_read_as_mu_is_replayed_in_transmission(tmp_path):
    # an XDI column 'mu/i0' read as mu as it is was counted in fluorescence for its title
    path = tmp_path / "ratio.xdi"
    rows = "".join(f"{e} {m}\n" for e, m in zip(ENERGY, EDGE, strict=True))
    path.write_text("#XDI/1.1\n# Column.1: energy eV\n# Column.2: mu/i0\n" + rows)
    for column in (None, "mu/i0"):
        replay = RecordedSpectrum.from_file(path, i0=1e5, seed=0, column=column)
        assert replay.signal == "column mu/i0"
        assert not replay.fluorescent and replay.channels == ("mu", "i0", "i1")
