"""Text files whose energy column is channel numbers (0, 1, ... or 1, 2, ... without a unit)
are refused as EMSA and binary files are (an untitled one was read as eV from 0 eV and
advised to crop); a data row too short for the energy and counts is named as such (it
was "counts is nan at line 102"); ``to_channels`` takes the keV advice of its caller."""

import re

import numpy as np
import pytest

from simulators import read_eels, read_eels_text, read_msa, to_channels
from simulators.text_files import refuse_channel_axis

UNCALIBRATED = (
    r"its energy axis is uncalibrated \({first}, {second}, \.\.\., {last} in steps of 1\): "
    r"channel numbers, not energies; calibrate the energy axis \(eV\) before identifying"
)
COUNTS = np.random.default_rng(0).poisson(47000.0 - 20.0 * np.arange(400)).astype(float)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def rows(energy: np.ndarray) -> str:
    """Two-column lines of ``energy`` (400,) and ``COUNTS``, as numpy.savetxt writes them."""
    return "".join(f"{e:.18e} {c:.18e}\n" for e, c in zip(energy, COUNTS, strict=True))


@pytest.mark.parametrize("first", [0, 1])
@pytest.mark.parametrize("title", ["", "energy counts\n", "E,Counts\n", "# Energy Counts\n"])
def test_a_text_axis_of_channel_numbers_is_refused(tmp_path, first, title):
    path = write(tmp_path, "chan.txt", title + rows(first + np.arange(400.0)))
    pattern = UNCALIBRATED.format(first=first, second=first + 1, last=first + 399)
    for read in (read_eels, read_eels_text):
        with pytest.raises(ValueError, match=rf"^{re.escape(str(path))}: {pattern}, and write"):
            read(path)
    reverse = write(tmp_path, "desc.txt", title + rows(first + np.arange(400.0)[::-1]))
    with pytest.raises(ValueError, match=pattern):  # recorded high to low
        read_eels(reverse)
    # a unit makes them energies, as '#XUNITS : eV' does in an EMSA file
    for titled in ("energy_eV counts\n", "Energy (eV),Counts\n", "# xunits: eV\n"):
        spectrum = read_eels(write(tmp_path, "ev.txt", titled + rows(first + np.arange(400.0))))
        np.testing.assert_array_equal(spectrum.energy, first + np.arange(400.0))


def test_only_whole_channel_numbers_from_0_or_1_are_refused(tmp_path):
    with pytest.raises(ValueError, match=UNCALIBRATED.format(first=1, second=2, last=3)):
        refuse_channel_axis(np.array([1.0, 2.0, 3.0]), "", "fix it")
    for energy in (2 + np.arange(400.0), 0.5 * np.arange(400.0), 360.0 + np.arange(400.0)):
        spectrum = read_eels(write(tmp_path, "ok.txt", rows(energy)))
        np.testing.assert_array_equal(spectrum.energy, energy)
        refuse_channel_axis(energy, "", "fix it")


def test_an_emsa_axis_of_channel_numbers_from_1_is_refused(tmp_path):
    # offset 0 was refused, offset 1 read as 1 eV onward
    counts = "".join(f"{c}\n" for c in COUNTS)
    path = write(
        tmp_path,
        "one.msa",
        "#FORMAT : EMSA/MAS Spectral Data File\n#DATATYPE : Y\n#XPERCHAN : 1.0\n#OFFSET : 1.0\n"
        f"#SPECTRUM :\n{counts}#ENDOFDATA :\n",
    )
    with pytest.raises(ValueError, match=UNCALIBRATED.format(first=1, second=2, last=400)):
        read_msa(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "500 1\n501\n502 3\n",
            r"bad\.txt: line 2 has 1 value, expected 2 \(as the first data row\)",
        ),
        ("E,Counts\n500,1\n\n501,\n", r"line 4 has 1 value, expected 2"),
        (",Energy,Counts\n0,500,1\n1,501\n", r"line 3 has 2 values, expected 3"),
    ],
)
def test_a_data_row_too_short_for_the_energy_and_counts_is_named(tmp_path, text, message):
    with pytest.raises(ValueError, match=message) as refused:
        read_eels(write(tmp_path, "bad.txt", text))
    assert "nan" not in str(refused.value) and "complete or remove that line" in str(refused.value)
    # a NaN written in the file is a missing channel, as in a spectrum image
    assert np.isnan(read_eels(write(tmp_path, "nan.txt", "500 1\n501 nan\n502 3\n")).counts[1])


def test_to_channels_gives_the_keV_advice_it_is_given():
    energy, counts = 0.36 + 0.0002 * np.arange(2048), np.ones(2048)
    with pytest.raises(ValueError, match=r"if the axis is in keV, multiply the energies by 1000 "):
        to_channels(energy, counts)
    with pytest.raises(ValueError, match=r"if the axis is in keV, send x_units='keV'$"):
        to_channels(energy, counts, kev_fix="send x_units='keV'")
