"""Review X24: a 4 eV pre-edge scan in eV without a unit (7110-7114) was told "if they are keV,
title the column 'E (keV)'": as keV they would start at 7.1 MeV, which the reader's own
200 keV check refuses. keV is suggested only where, read so, they could be an edge's."""

import numpy as np
import pytest

from simulators import read_spectrum

PRE_EDGE = np.round(np.arange(7110.0, 7114.01, 0.1), 2)  # eV: 41 points 0.1 eV apart


def write(tmp_path, name, title, energies):
    path = tmp_path / name
    rows = "".join(f"{e:.3f},{0.02 + 0.001 * k}\n" for k, e in enumerate(energies))
    path.write_text(f"{title},mu\n{rows}")
    return path


def test_a_narrow_scan_too_high_for_kev_is_not_told_it_may_be_kev(tmp_path):
    with pytest.raises(ValueError) as info:
        read_spectrum(write(tmp_path, "zoom.csv", "energy", PRE_EDGE))
    message = str(info.value)
    assert "if they are keV" not in message
    assert "E (keV)" not in message
    assert "energies span 4 eV: narrower than the 5 eV a scan read without an energy unit" in (
        message
    )
    assert "7110 to 7114 keV lie above 200 keV" in message
    assert message.endswith("if they are eV, title the column 'E (eV)'")
    # and what it says to do reads the scan
    energy, _ = read_spectrum(write(tmp_path, "titled.csv", "energy (eV)", PRE_EDGE))
    np.testing.assert_allclose(energy, PRE_EDGE)


def test_a_narrow_scan_that_may_be_kev_is_still_told_both(tmp_path):
    kev = PRE_EDGE / 1000  # 7.110-7.114: keV (a 4 eV scan) or eV (no edge): both said
    with pytest.raises(ValueError, match=r"if they are keV, title the column 'E \(keV\)'"):
        read_spectrum(write(tmp_path, "kev.csv", "energy", kev))
