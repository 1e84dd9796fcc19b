"""EELS files that are no calibrated energy-loss spectrum are refused with what to do: an
EMSA file whose axis is channel numbers, counts and energy in swapped columns, a title
line naming no energy column or an XPS core level (an XPS export)."""

import numpy as np
import pytest

from adaptive.analysis import Analysis
from adaptive.cli import main
from adaptive.errors import InvalidParameterError
from adaptive.records import Spectrum
from simulators import read_eels, read_msa, to_channels
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_eels_map import COMMITTED

UNCALIBRATED = (
    r"its energy axis is uncalibrated .*calibrate the energy axis \(eV\) before identifying"
)
#: A core-loss spectrum: 400 energies (eV, 0.2 eV steps) and Poisson counts near 47,000.
ENERGY = 360.0 + 0.2 * np.arange(400)
COUNTS = np.random.default_rng(0).poisson(47000.0 - 20.0 * np.arange(400)).astype(float)


def msa(tmp_path, header: str, data: str):
    path = tmp_path / "spectrum.msa"
    path.write_text(f"#FORMAT : EMSA/MAS Spectral Data File\n{header}#SPECTRUM :\n{data}"
                    "#ENDOFDATA :\n")  # fmt: skip
    return path


@pytest.mark.parametrize("units", ["#XUNITS :\n", "#XUNITS : <undefined>\n", ""])
def test_an_emsa_axis_of_channel_numbers_is_refused(tmp_path, units):
    # XPERCHAN 1, OFFSET 0 and no unit: channels 0..2047 were read as eV (Zn, not Mn and O)
    counts = "".join(f"{c}\n" for c in COUNTS)
    path = msa(tmp_path, f"{units}#DATATYPE : Y\n#XPERCHAN : 1.0\n#OFFSET : 0.0\n", counts)
    for read in (read_eels, read_msa):
        with pytest.raises(ValueError, match=rf"spectrum\.msa: {UNCALIBRATED}.*'#XUNITS : eV'"):
            read(path)
    pairs = "".join(f"{i}, {c}\n" for i, c in enumerate(COUNTS))  # x 0, 1, 2 ...
    with pytest.raises(ValueError, match=UNCALIBRATED):
        read_eels(msa(tmp_path, f"{units}#DATATYPE : XY\n", pairs))


@pytest.mark.parametrize(
    ("header", "data", "first"),
    [
        ("#XUNITS : eV\n#DATATYPE : Y\n#XPERCHAN : 1.0\n#OFFSET : 0.0\n", "5\n6\n7\n", [0, 1]),
        ("#XUNITS : keV\n#DATATYPE : Y\n#XPERCHAN : 1.0\n#OFFSET : 0.0\n", "5\n6\n7\n", [0, 1e3]),
        ("#DATATYPE : Y\n#XPERCHAN : 1.0\n#OFFSET : 300\n", "5\n6\n7\n", [300, 301]),
        ("#DATATYPE : Y\n#XPERCHAN : 0.5\n#OFFSET : 0.0\n", "5\n6\n7\n", [0, 0.5]),
        # EELSDB's LSMO file: XY pairs of energies, units <undefined>
        ("#XUNITS : <undefined>\n#DATATYPE : XY\n", "628.4, 5\n628.6, 6\n", [628.4, 628.6]),
    ],
)
def test_a_calibrated_emsa_axis_is_read(tmp_path, header, data, first):
    np.testing.assert_allclose(read_msa(msa(tmp_path, header, data)).energy[:2], first)


SWAPPED = r"energy and counts look swapped; give the energy loss first \(the first column, or x\)"


def test_swapped_columns_are_named_not_sorted(tmp_path):
    # counts first, energies second: "line 2 (...) follows ...; sort the spectrum by energy"
    path = tmp_path / "swapped.txt"
    path.write_text("".join(f"{c}\t{e:.1f}\n" for e, c in zip(ENERGY, COUNTS, strict=True)))
    with pytest.raises(
        ValueError, match=r", the energies reach 4\d{4}\.0 eV \(past 3071 eV, like counts\)"
    ) as err:
        read_eels(path)
    assert "and the counts increase strictly (like energies): energy" in str(err.value)
    assert "sort" not in str(err.value) and SWAPPED.replace("\\", "") in str(err.value)


def test_swapped_energy_and_counts_over_the_wire_are_named():
    # x = counts, sorted by the server: "point 33 repeats 39646.0 eV; remove the duplicate points"
    x, y = Spectrum(COUNTS, ENERGY, "eV", "counts").ascending()
    with pytest.raises(
        ValueError, match=rf"repeats \d+\.0 eV, the energies reach \d+\.0 eV \(past .*\): {SWAPPED}"
    ):
        to_channels(x, y)


@pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")
def test_the_element_analysis_names_swapped_energy_and_counts():
    analysis = Analysis({"name": "elements", "options": {"networks": "unet"}})
    with pytest.raises(InvalidParameterError, match=rf"cannot identify elements .*{SWAPPED}"):
        analysis(Spectrum(COUNTS, ENERGY, "eV", "counts"))


def test_misordered_energies_with_noisy_counts_are_still_sorted(tmp_path):
    path = tmp_path / "misordered.txt"
    rows = [f"{e:.1f}\t{c}\n" for e, c in zip(ENERGY, COUNTS, strict=True)]
    rows[5], rows[6] = rows[6], rows[5]
    path.write_text("".join(rows))
    with pytest.raises(ValueError, match=r"line 7 \(361\.0 eV\) follows 361\.2 eV; sort the"):
        read_eels(path)


NO_ENERGY = r"name no energy column; title it 'Energy \(eV\)'.*\(e\.g\. 'energy_eV counts'\)"


@pytest.mark.parametrize("title", ["x\ty", "Sample A"])
def test_a_title_line_naming_no_energy_column_is_refused(tmp_path, title):
    # energies running down from 840 eV under titles naming none were identified as Co
    path = tmp_path / "export.txt"
    path.write_text(title + "\n" + "".join(f"{840 - 0.1 * i:.1f}\t{c}\n" for i, c in
                                           enumerate(COUNTS[:50])))  # fmt: skip
    with pytest.raises(ValueError, match=rf"export\.txt: the column titles .*{NO_ENERGY}"):
        read_eels(path)


@pytest.mark.parametrize(
    "title",
    ["energy_eV counts", "Delta E (eV)\tCounts", "eV\tI", "1486.6 eV Al Ka", "-------",
     "Sample A\nEnergy (eV)\tCounts", "# Co2p CoO", "La2NiO4 O K", "Cu foil 300 K"],
)  # fmt: skip
def test_titles_naming_an_energy_rules_comments_and_sample_names_are_read(tmp_path, title):
    # a line of words that do not line up with the columns is a sample's name, passed over
    path = tmp_path / "spectrum.txt"
    path.write_text(f"{title}\n500\t5\n501\t6\n502\t7\n")
    np.testing.assert_array_equal(read_eels(path).energy, [500, 501, 502])


XPS_EXPORT = SHARED_DATA / "xps" / "Co2p_CoO.txt"


@pytest.mark.skipif(not XPS_EXPORT.is_file(), reason=f"{XPS_EXPORT} absent (shared data)")
@pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")
def test_identify_refuses_a_measured_xps_export_in_one_line(capsys):
    code = main(["identify", str(XPS_EXPORT), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", out
    assert "line 1: the title 'Co2p CoO' names 'Co2p', an XPS core level" in err
    assert err.count("\n") == 1, err
