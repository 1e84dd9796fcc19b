"""EELS text files that are no energy-loss spectra are refused with what to do: a first
column of channel numbers, an XPS VAMAS file."""

import numpy as np
import pytest

from simulators import read_eels, read_eels_text
from tests.simulators.test_xps_files import vamas_text

#: Data rows of channel numbers and counts; of energies (eV) and counts.
ROWS = "".join(f"{i}\t{c}\n" for i, c in enumerate([47179, 47304, 47325, 47353]))
TWO = "".join(f"{500.0 + i}\t{c}\n" for i, c in enumerate([5, 6, 7]))


@pytest.mark.parametrize(
    ("header", "title"),
    [
        ("Channel\tCounts\n", "Channel"),
        ("Pixel,Intensity\n", "Pixel"),
        ("Index\tCounts\n", "Index"),
        ("channel number\tcounts\n", "channel number"),
        ("# Channel Counts\n", "Channel"),  # as numpy.savetxt(header=...) writes it
    ],
)
def test_a_first_column_of_channel_numbers_is_refused(tmp_path, header, title):
    # channels 0, 1, 2 ... were read as energies in eV: confident wrong elements
    path = tmp_path / "uncalibrated.txt"
    path.write_text(header + ROWS.replace("\t", "," if "," in header else "\t"))
    pattern = rf"column 1 is titled '{title}': .*calibrate the energy axis \(eV\) before"
    for read in (read_eels, read_eels_text):
        with pytest.raises(ValueError, match=pattern):
            read(path)


@pytest.mark.parametrize(
    "text",
    [
        # the energy is titled: the index column is ignored
        "Index\tEnergy (eV)\tCounts\n"
        + "".join(f"{i}\t{line}" for i, line in enumerate(TWO.splitlines(keepends=True))),
        "Channel (eV)\tCounts\n" + TWO,  # an energy unit: calibrated
        "# Pixel binned 2x\n" + TWO,  # a comment, not titles
    ],
)
def test_channel_like_titles_beside_an_energy_are_read(tmp_path, text):
    path = tmp_path / "spectrum.txt"
    path.write_text(text)
    spectrum = read_eels(path)
    np.testing.assert_array_equal(spectrum.energy, [500.0, 501.0, 502.0])
    np.testing.assert_array_equal(spectrum.counts, [5.0, 6.0, 7.0])


def test_an_xps_vamas_file_is_named_and_sent_to_fit_peaks(tmp_path):
    # was: "line 7: cannot read numbers from ...; fix or comment out (#) that line"
    path = tmp_path / "Fe2p.vms"
    path.write_text(vamas_text([("Fe2p", "Fe metal", "Kinetic Energy", 716.61, 0.05, [1, 2])]))
    for read in (read_eels, read_eels_text):
        with pytest.raises(ValueError, match=r"Fe2p\.vms: an XPS VAMAS file .*adaptive fit peaks"):
            read(path)
