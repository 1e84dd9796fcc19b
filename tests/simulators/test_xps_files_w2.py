"""An XPS text file whose energy column is channel numbers is refused, as EELS files are: a
column titled ``Channel`` (``Channel	Counts``, x = 0..1039, was fitted with peaks "at 253
eV"), or 0, 1, ... / 1, 2, ... without a unit; a unit in the title marks a calibrated axis."""

import numpy as np
import pytest

from simulators.xps_files import read_xps, read_xps_text

COUNTS = np.random.default_rng(0).poisson(1000.0, 400).astype(float)
CALIBRATE = (
    r"channel numbers, not energies; calibrate the axis to binding energy \(eV\) before "
    r"fitting peaks, and title "
)


def write(tmp_path, title: str, *columns: np.ndarray):
    """tmp_path/spectrum.txt: the ``title`` lines, then the (400,) ``columns`` as rows."""
    path = tmp_path / "spectrum.txt"
    path.write_text(
        title
        + "".join("\t".join(f"{x:g}" for x in row) + "\n" for row in zip(*columns, strict=True))
    )
    return path


@pytest.mark.parametrize(
    "title, written, column",
    [
        ("Channel\tCounts\n", "Channel", 1),
        ("Pixel,Intensity\n", "Pixel", 1),
        ("# channel number\tcounts\n", "channel number", 1),
        ("Counts\tChannel\n", "Channel", 2),
    ],
)
def test_an_energy_column_titled_as_channel_numbers_is_refused(tmp_path, title, written, column):
    energy = 280.0 + 0.05 * np.arange(400)  # refused by its title, whatever its values
    path = write(tmp_path, title, *((COUNTS, energy) if column == 2 else (energy, COUNTS)))
    pattern = rf"^{path}: column {column} is titled '{written}': {CALIBRATE}that column 'Binding"
    with pytest.raises(ValueError, match=pattern):
        read_xps(path)


@pytest.mark.parametrize("first", [0, 1])
@pytest.mark.parametrize("title", ["", "region\n", "Binding Energy\tCounts\n", "BE,Counts\n"])
def test_an_axis_of_channel_numbers_without_a_unit_is_refused(tmp_path, first, title):
    last = first + 399
    uncalibrated = rf"its energy axis is uncalibrated \({first}, {first + 1}, \.\.\., {last} in"
    for energy in (first + np.arange(400.0), first + np.arange(400.0)[::-1]):  # either order
        path = write(tmp_path, title, energy, COUNTS)
        with pytest.raises(ValueError, match=rf"^{path}: {uncalibrated}.*{CALIBRATE}the column"):
            read_xps_text(path)
    # a unit marks binding energies (a survey from 0 eV in 1 eV steps), as for EELS; other
    # axes in steps of 1, or from 0 in other steps, are no channel numbers
    energies = (first + np.arange(400.0), 2 + np.arange(400.0), first + 0.5 * np.arange(400.0))
    for written, energy in zip(
        ("Binding Energy (eV)\tCounts\n", title, title), energies, strict=True
    ):
        path = write(tmp_path, written, energy, COUNTS)
        np.testing.assert_array_equal(read_xps(path).binding_energy, energy)
