import re
from pathlib import Path

import numpy as np
import pytest

from simulators import XPSRegion, read_vamas, read_xps, read_xps_text
from simulators.xps_files import VAMAS_FORMAT
from tests.shared_data import SHARED_DATA

XPS = SHARED_DATA / "xps"


@pytest.fixture
def xps_dir():
    if not XPS.is_dir():
        pytest.skip(f"measured XPS data not found at {XPS} (shared data absent)")
    return XPS


def vamas_text(blocks, scan_mode="REGULAR"):
    """A minimal NORM-mode VAMAS file; blocks are (identifier, sample, axis label, start,
    step, counts) and carry counts plus a transmission column."""
    lines = [VAMAS_FORMAT + " 1988 May 4", "inst", "model", "operator", "experiment"]
    lines += ["1", "a comment", "NORM", scan_mode, "1", "1", "Exp Variable", "d"]
    lines += ["0", "0", "0", "0", str(len(blocks))]
    for identifier, sample, label, start, step, counts in blocks:
        lines += [identifier, sample, "2021", "7", "5", "18", "14", "57", "0", "1", "note"]
        lines += ["XPS", "0", "Al", "1486.61", "0", "0", "0", "56.5", "180", "FAT", "20"]
        lines += ["1", "4.14", "0", "0", "0", "0", "0", "Fe", "2p", "-1"]
        lines += [label, "eV", str(start), str(step), "2", "counts", "d", "Transmission", "d"]
        lines += ["pulse counting", "0.1", "3", "0", "0", "0", "0", "1", "MFP", "d", "0"]
        lines += [str(2 * len(counts)), str(min(counts)), str(max(counts)), "1", "1"]
        for value in counts:
            lines += [str(value), "1"]
    lines.append("end of experiment")
    return "\n".join(lines) + "\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_vamas_block_names_and_kinetic_axis_conversion(xps_dir):
    regions = read_vamas(xps_dir / "Fe_references.vms")
    assert [r.name for r in regions] == ["Fe2p Fe metal", "Fe2p FeO", "Fe2p Fe3O4", "Fe2p Fe2O3"]
    for region in regions:
        assert isinstance(region, XPSRegion) and region.source.endswith("Fe_references.vms")
        # Kinetic axis 716.61 eV + 0.05 eV steps with Al K-alpha: binding energy 685-770 eV.
        assert region.binding_energy.shape == region.counts.shape == (1701,)
        np.testing.assert_allclose(region.binding_energy[[0, -1]], [685.0, 770.0], atol=1e-9)
        np.testing.assert_allclose(np.diff(region.binding_energy), 0.05, atol=1e-9)
    cu = read_vamas(xps_dir / "Cu_references.vms")
    assert len(cu) == 11 and {"Cu2p Cu metal", "Cu LMM CuO", "Survey Cu metal"} <= {
        r.name for r in cu
    }


# Text exports are the VAMAS counts divided by collection time x scans (from each block's
# header), i.e. counts per second; the Fe exports are cut to 694-750 eV.
@pytest.mark.parametrize(
    ("vms", "block", "txt", "seconds"),
    [
        ("Fe_references.vms", "Fe metal", "Fe2p_Fe_metal.txt", 0.1 * 3),
        ("Fe_references.vms", "Fe2O3", "Fe2p_Fe2O3.txt", 0.1 * 3),
        ("Co_references.vms", "Co metal", "Co2p_Co_metal.txt", 0.1 * 2),
        ("Co_references.vms", "CoO", "Co2p_CoO.txt", 0.1 * 3),
        ("Cu_references.vms", "Cu2p Cu metal", "Cu2p_Cu_metal.txt", 0.6 * 1),
        ("Cu_references.vms", "Cu2p CuO", "Cu2p_CuO.txt", 2.15 * 1),
        ("Mn_references.vms", "MnO2", "Mn2p_MnO2.txt", 0.4 * 2),
    ],
)
def test_vamas_blocks_agree_with_text_exports(xps_dir, vms, block, txt, seconds):
    region = read_xps(xps_dir / vms, block=block)
    text = read_xps_text(xps_dir / txt)
    assert text.name.split()[-1] == region.name.split()[-1]
    start = int(np.argmin(np.abs(region.binding_energy - text.binding_energy[0])))
    window = slice(start, start + text.binding_energy.size)
    np.testing.assert_allclose(region.binding_energy[window], text.binding_energy, atol=1e-6)
    np.testing.assert_allclose(region.counts[window], text.counts * seconds, rtol=1e-5)


@pytest.mark.parametrize("name", sorted(p.name for p in XPS.glob("*2p_*.txt")) or ["none"])
def test_every_text_export_reads_ascending_with_its_title(xps_dir, name):
    region = read_xps(xps_dir / name)
    assert region.name.replace(" ", "_") == Path(name).stem
    assert region.binding_energy.size > 300
    assert np.all(np.diff(region.binding_energy) > 0) and np.all(region.counts > 0)
    # The files list binding energies from high to low: the first row is the highest.
    first = (xps_dir / name).read_text().splitlines()[1].split()
    assert region.binding_energy[-1] == float(first[0])
    assert region.counts[-1] == float(first[1])


def test_block_selection_by_substring_exact_name_and_errors(xps_dir):
    path = xps_dir / "Cu_references.vms"
    assert read_xps(path, block="survey cuo").name == "Survey CuO"
    with pytest.raises(ValueError, match=r"matches 4 regions.*Cu2p Cu metal"):
        read_xps(path, block="Cu metal")
    with pytest.raises(ValueError, match=r"matches no region.*O1s CuO"):
        read_xps(path, block="Ni 2p")
    with pytest.raises(ValueError, match=r"holds 11 regions.*pass block"):
        read_xps(path)
    # a loop's numpy position is a position; a float was "has no attribute 'strip'"
    assert read_xps(path, block=np.int64(2)).name == read_xps(path, block=2).name
    for wrong in (2.0, True, ["Cu2p"]):
        with pytest.raises(ValueError, match=r"must be a region's name \(text\) or its position"):
            read_xps(path, block=wrong)


def test_synthetic_vamas_exact_name_binding_axis_and_layout(tmp_path):
    blocks = [
        ("Fe2p", "Fe", "Kinetic Energy", 700.0, 0.5, [5, 6, 7, 8]),
        ("Fe2p", "Fe metal", "binding energy", 705.0, 0.25, [1, 2, 3]),
    ]
    path = write(tmp_path, "two.vms", vamas_text(blocks))
    first, second = read_vamas(path)
    np.testing.assert_allclose(first.binding_energy, 1486.61 - np.array([701.5, 701, 700.5, 700]))
    np.testing.assert_array_equal(first.counts, [8, 7, 6, 5])
    np.testing.assert_allclose(second.binding_energy, [705.0, 705.25, 705.5])
    np.testing.assert_array_equal(second.counts, [1, 2, 3])
    assert read_xps(path, block="FE2P FE").name == "Fe2p Fe"  # exact name beats substrings
    assert read_xps(path, block="metal").name == "Fe2p Fe metal"
    # Content decides the format, not the suffix.
    assert read_xps(write(tmp_path, "two.dat", vamas_text(blocks)), block="metal").counts.size == 3


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "holds no data rows"),
        ("Fe2p title\n700 1\n", "1 point"),
        ("title\n700 1\nnan 2\n702 3\n", "non-finite energy"),
        ("title\n700 1\n701 nan\n702 3\n", "non-finite counts"),
        ("700 1\n702 2\n701 3\n", "not monotonic"),
        ("700 1\n701 2\n701 3\n", "repeats"),
        ("title\n700 1\n701 abc\n", "line 3: cannot read numbers from '701 abc'"),
    ],
)
def test_bad_text_files_raise(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_xps_text(write(tmp_path, "bad.txt", text))


def test_binary_text_file_is_refused_clearly(tmp_path):
    binary = tmp_path / "Fe2p.txt"
    binary.write_bytes(b"\x80\x81\xff\x00" * 10)
    with pytest.raises(ValueError, match="not a text file"):
        read_xps_text(binary)


def test_text_without_title_is_named_after_the_file_and_sorted(tmp_path):
    region = read_xps(write(tmp_path, "Ni2p_test.txt", "702 3\n701 2\n700 1\n"))
    assert region.name == "Ni2p_test"
    np.testing.assert_array_equal(region.binding_energy, [700, 701, 702])
    np.testing.assert_array_equal(region.counts, [1, 2, 3])


def test_bad_vamas_files_raise(tmp_path):
    good = vamas_text([("Fe2p", "Fe", "kinetic energy", 700.0, 0.5, [5, 61, 7])])
    with pytest.raises(ValueError, match="not a VAMAS file"):
        read_vamas(write(tmp_path, "a.txt", "Fe2p\n700 1\n701 2\n"))
    with pytest.raises(ValueError, match="not a VAMAS file"):
        read_xps(write(tmp_path, "b.vms", "700 1\n701 2\n"))
    with pytest.raises(ValueError, match="empty"):
        read_vamas(write(tmp_path, "c.vms", ""))
    with pytest.raises(ValueError, match="ends early"):
        read_vamas(write(tmp_path, "d.vms", good[: len(good) // 2]))
    with pytest.raises(ValueError, match="IRREGULAR"):
        read_vamas(write(tmp_path, "e.vms", good.replace("REGULAR", "IRREGULAR")))
    with pytest.raises(ValueError, match="expected ordinate value as float, got 'six'"):
        read_vamas(write(tmp_path, "f.vms", good.replace("\n61\n", "\nsix\n")))
    with pytest.raises(ValueError, match="abscissa 'time'"):
        read_vamas(write(tmp_path, "g.vms", good.replace("kinetic energy", "time")))
    with pytest.raises(ValueError, match="1 point"):
        one = vamas_text([("Fe2p", "Fe", "kinetic energy", 700.0, 0.5, [5])])
        read_vamas(write(tmp_path, "h.vms", one))
    with pytest.raises(ValueError, match="non-finite counts"):
        read_vamas(write(tmp_path, "i.vms", good.replace("\n61\n", "\nnan\n")))


@pytest.mark.parametrize("text", ["700 1\n701 2\n", "Fe2p\n700 1\n701 2\n"])
def test_two_column_text_named_vms_is_pointed_to_the_text_reader(tmp_path, text):
    with pytest.raises(ValueError, match=r"looks like two-column text.*rename it to \.txt"):
        read_xps(write(tmp_path, "text.vms", text))


@pytest.mark.parametrize("signal", ["ELS", "EELS", "EDS_TEM", "EDS/TEM"])
def test_an_emsa_eels_or_eds_file_is_pointed_to_identify(tmp_path, signal):
    # "has one column; need binding energy and counts columns"
    text = (
        f"#FORMAT      : EMSA/MAS Spectral Data File\n#SIGNALTYPE : {signal}\n#NPOINTS : 3\n"
        "#SPECTRUM :\n1, 2, 3\n#ENDOFDATA :\n"
    )
    with pytest.raises(ValueError, match=rf"EMSA/MSA file of #SIGNALTYPE {signal}, .*identify"):
        read_xps(write(tmp_path, "mno.msa", text))


def test_an_emsa_xps_file_of_xy_data_is_read_as_text(tmp_path):
    # refused and sent to identify, which named Pr in a Cu 2p spectrum (review C23)
    rows = "".join(f"{e:.1f}, {c}\n" for e, c in zip([932, 933, 934], [5, 9, 4], strict=True))
    text = "#FORMAT : EMSA/MAS Spectral Data File\n#SIGNALTYPE : XPS\n#SPECTRUM :\n" + rows
    region = read_xps(write(tmp_path, "cu.msa", text))
    np.testing.assert_array_equal(region.counts, [5, 9, 4])


@pytest.mark.parametrize("name", ["bom.vms", "bom.dat"])
def test_vamas_with_utf8_byte_order_mark_is_read(tmp_path, name):
    text = vamas_text([("Fe2p", "Fe", "binding energy", 705.0, 0.25, [1, 2, 3])])
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    region = read_xps(path)
    assert region.name == "Fe2p Fe"
    np.testing.assert_allclose(region.binding_energy, [705.0, 705.25, 705.5])


def test_comma_separated_text_is_read(tmp_path):
    # As read_two_column reads XAS text: commas separate columns like whitespace.
    region = read_xps(write(tmp_path, "Fe2p.csv", "BE,counts\n285.0,1300\n284.5,1200,\n"))
    assert region.name == "Fe2p"  # the file's stem: a line of column titles names no region
    np.testing.assert_array_equal(region.binding_energy, [284.5, 285.0])
    np.testing.assert_array_equal(region.counts, [1200, 1300])


def test_decimal_commas_are_refused_not_misread(tmp_path):
    path = write(tmp_path, "Fe2p.txt", "Fe 2p\n284,5\t1200,3\n285,0\t1300,1\n")
    with pytest.raises(ValueError, match=r"line 2: .*writes decimal commas; write decimal points"):
        read_xps(path)


@pytest.mark.parametrize(
    "header",
    [
        "Kinetic Energy (eV)\tCounts\n",
        "KE scan\nK.E.\tCounts\n",
        "Kinetic Energy (eV)  Counts\n",  # titles that do not fit: still refused as kinetic
        "Kinetic energy scan\nEnergy\tCounts\n",  # a plain "energy" is no binding energy
        "KE Counts\n",  # read as binding energy before
        "KE (eV)\tCounts\n",
    ],
)
def test_a_kinetic_energy_axis_is_refused_not_fitted_as_binding(tmp_path, header):
    path = write(tmp_path, "ke.txt", header + "566.61\t159.7\n566.56\t161.7\n")
    with pytest.raises(
        ValueError, match=r"line \d .*kinetic energy, and no column is titled binding energy"
    ):
        read_xps(path)


@pytest.mark.parametrize(
    "header",
    [
        # CasaXPS tabulated ASCII: kinetic energy first, then binding energy
        "Cu2p Cu metal\nCharacteristic Energy eV\t1486.61\tAcquisition Time s\t0.1\n"
        "K.E.\tB.E.\tCounts\tBackground\tEnvelope\n",
        "Kinetic Energy\tBinding Energy\tCounts\tBackground\tEnvelope\n",
        "Kinetic Energy (eV), Binding Energy (eV), Counts, Background, Envelope\n",
        "KE BE Counts Background Envelope\n",
    ],
)
def test_a_kinetic_column_beside_a_binding_energy_column_is_passed_over(tmp_path, header):
    # refused as "the axis is kinetic" although the B.E. column was there
    rows = "566.61\t920.0\t159.7\t150\t159\n566.56\t920.05\t161.7\t150\t161\n"
    region = read_xps(write(tmp_path, "casa.txt", header + rows))
    np.testing.assert_allclose(region.binding_energy, [920.0, 920.05])
    np.testing.assert_allclose(region.counts, [159.7, 161.7])


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Binding Energy (eV)\tCounts\n", "x"),  # column titles name no region: the stem
        ("Cu 2p\tclean\nBinding Energy (eV)\tCounts\n", "Cu 2p clean"),
        # CasaXPS tabulated ASCII exported on a binding-energy axis
        ("Cu2p Cu metal\nCharacteristic Energy eV\t1486.61\nB.E.\tCounts\n", "Cu2p Cu metal"),
        # SpecsLab Prodigy .xy
        (
            "# Region:  C1s\n# Energy Axis:  Binding Energy\n#\n# ColumnLabels: energy counts\n",
            "# Region: C1s",
        ),  # fmt: skip
    ],
)
def test_header_lines_before_the_data_are_skipped_and_the_first_names_it(tmp_path, header, name):
    region = read_xps(write(tmp_path, "x.txt", header + "286.0\t12\n285.5\t10\n285.0\t11\n"))
    assert region.name == name  # tabs made spaces: no glyph warnings in figure titles
    np.testing.assert_array_equal(region.binding_energy, [285.0, 285.5, 286.0])
    np.testing.assert_array_equal(region.counts, [11, 10, 12])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("title\nsecond title\n", "holds no data rows"),
        ("A\nB\n700 1\n701 2\nfooter\n", r"line 5: cannot read numbers .*comment out \(#\)"),
        ("A\nB\n284,5\t1200,3\n285,0\t1300,1\n", r"line 3: .*decimal points"),
    ],
)
def test_text_after_the_data_started_or_without_data_is_refused(tmp_path, text, match):
    with pytest.raises(ValueError, match=match):
        read_xps_text(write(tmp_path, "bad.txt", text))


def test_axis_errors_print_plain_energies(tmp_path):
    with pytest.raises(
        ValueError, match=r"repeats at 700\.5 eV on line 3; .*average the counts"
    ) as caught:
        read_xps_text(write(tmp_path, "dup.txt", "700 1\n700.5 2\n700.5 3\n"))
    assert "np.float64" not in str(caught.value)


def test_a_bad_block_does_not_hide_the_good_ones(tmp_path):
    blocks = [
        ("Fe2p", "good", "binding energy", 705.0, 0.25, [1, 2, 3]),
        ("Fe2p", "bad", "binding energy", 705.0, 0, [1, 2, 3]),  # increment 0
    ]
    path = write(tmp_path, "bad.vms", vamas_text(blocks))
    assert read_xps(path, block="good").counts.tolist() == [1, 2, 3]
    assert read_xps(path, block="1").name == "Fe2p good"
    with pytest.raises(ValueError, match=r"holds 2 regions.*\[1\] 'Fe2p good', \[2\] 'Fe2p bad'"):
        read_xps(path)
    with pytest.raises(ValueError, match=r"'Fe2p bad'.*repeats at 705 eV"):
        read_xps(path, block="bad")
    with pytest.raises(ValueError, match="repeats"):
        read_vamas(path)  # every block asked for


def test_blocks_of_the_same_name_are_picked_by_position(tmp_path):
    blocks = [
        ("Fe2p", "Fe", "binding energy", 705.0, 0.25, [1, 2, 3]),
        ("Fe2p", "Fe", "binding energy", 705.0, 0.25, [4, 5, 6]),
    ]
    path = write(tmp_path, "dup.vms", vamas_text(blocks))
    with pytest.raises(ValueError, match=r"matches 2 regions; .*position N.*\[2\] 'Fe2p Fe'"):
        read_xps(path, block="Fe2p Fe")
    assert read_xps(path, block="2").counts.tolist() == [4, 5, 6]
    assert read_xps(path, block=" 1 ").counts.tolist() == [1, 2, 3]
    assert read_xps(path, block=2).counts.tolist() == [4, 5, 6]  # a number, as documented
    for position in ("0", "3"):
        with pytest.raises(ValueError, match=r"out of range: the file holds 2 region\(s\)"):
            read_xps(path, block=position)


@pytest.mark.parametrize("line", ["a comment", "note", "Fe"])  # file, block comment, sample
def test_a_windows_1252_byte_in_a_comment_or_name_breaks_no_line(tmp_path, line):
    # 0x85 ('...' in Windows-1252) is U+0085 in Latin-1, a line break to str.splitlines
    blocks = [("Fe2p", "Fe", "kinetic energy", 700.0, 0.5, [5, 6, 7])]
    text = vamas_text(blocks).replace(f"\n{line}\n", f"\n{line}\x85\n", 1)
    path = tmp_path / "cp1252.vms"
    path.write_bytes(text.encode("latin-1"))
    (region,) = read_vamas(path)
    assert region.name.startswith("Fe2p Fe")
    np.testing.assert_allclose(region.binding_energy, 1486.61 - np.array([701.0, 700.5, 700]))
    np.testing.assert_array_equal(region.counts, [7, 6, 5])
    path.write_bytes(b"Fe 2p \x85\r\n700 1\r\n701 abc\r\n")  # text: lines numbered right
    with pytest.raises(ValueError, match="line 3: cannot read numbers from '701 abc'"):
        read_xps_text(path)


@pytest.mark.parametrize(("energy", "shown"), [("0", "0 eV"), ("1e+037", "1e+37 eV"), ("-5", "-5")])
def test_a_kinetic_axis_without_a_valid_source_energy_is_refused(tmp_path, energy, shown):
    blocks = [
        ("Fe2p", "ke", "kinetic energy", 700.0, 0.5, [5, 6, 7]),
        ("Fe2p", "be", "binding energy", 705.0, 0.25, [1, 2, 3]),
    ]
    path = write(tmp_path, "src.vms", vamas_text(blocks).replace("\n1486.61\n", f"\n{energy}\n"))
    with pytest.raises(
        ValueError, match="source energy is missing or invalid; the file has " + re.escape(shown)
    ):
        read_xps(path, block="ke")
    assert read_xps(path, block="be").counts.tolist() == [1, 2, 3]  # needs no source energy


def test_semicolon_separated_text_is_read(tmp_path):
    region = read_xps(
        write(tmp_path, "Fe2p.csv", "Binding Energy (eV);Counts\n285.0;1300\n284.5;1200\n")
    )
    assert region.name == "Fe2p"
    np.testing.assert_array_equal(region.binding_energy, [284.5, 285.0])
    np.testing.assert_array_equal(region.counts, [1200, 1300])


@pytest.mark.parametrize(
    "text",
    [
        ",binding_energy_eV,counts\n0,286.0,12\n1,285.5,10\n2,285.0,11\n",  # pandas to_csv
        "Index\tBE\tCounts\n0\t286.0\t12\n1\t285.5\t10\n2\t285.0\t11\n",
        "Counts\tBinding Energy\n12\t286.0\n10\t285.5\n11\t285.0\n",
        "Fe2p\nK\tB.E.\tBackground\tCounts\n0\t286.0\t0\t12\n1\t285.5\t0\t10\n2\t285.0\t0\t11\n",
        "BE\tFe2p\n286.0\t12\n285.5\t10\n285.0\t11\n",  # the untitled one of two: counts
        "Binding Energy (keV)\tCounts\n0.2860\t12\n0.2855\t10\n0.2850\t11\n",
    ],
)
def test_binding_energy_and_counts_are_the_columns_titled_so(tmp_path, text):
    # columns 1-2 were read whatever the titles: the row index became the energy axis,
    # and keV was read as eV
    region = read_xps(write(tmp_path, "x.csv", text))
    np.testing.assert_allclose(region.binding_energy, [285.0, 285.5, 286.0])
    np.testing.assert_array_equal(region.counts, [11, 10, 12])


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("Index\tSignal\tCounts\n", "does not tell which columns are the binding energy"),
        ("Binding Energy (eV) Counts Background Envelope\n", "gives 4 column titles but the"),
        ("Binding Energy (nm)\tCounts\tBackground\n", "column 1: energy units 'nm' are not eV"),
    ],
)
def test_titles_that_do_not_tell_the_columns_are_refused(tmp_path, header, match):
    path = write(tmp_path, "x.txt", header + "0\t286.0\t12\n1\t285.5\t10\n2\t285.0\t11\n")
    with pytest.raises(ValueError, match=match):
        read_xps(path)


@pytest.mark.parametrize(
    ("title", "scale"),
    [("Binding Energy (eV)", 1), ("Binding Energy", 1), ("Binding Energy (keV)", 1000)],
)
def test_one_binding_energy_title_alone_titles_the_first_column(tmp_path, title, scale):
    # the refusals' own advice, "title the column 'Binding Energy (eV)'", read as two
    # titles over the two columns: the counts became the energy, refused as swapped
    rows = "".join(f"{e / scale:g}\t{c}\n" for e, c in ((286.0, 12), (285.5, 10), (285.0, 11)))
    region = read_xps(write(tmp_path, "x.txt", f"{title}\n{rows}"))
    np.testing.assert_allclose(region.binding_energy, [285.0, 285.5, 286.0])
    np.testing.assert_array_equal(region.counts, [11, 10, 12])


def test_a_region_name_naming_one_column_is_no_header(tmp_path):
    # "Be" (binding energy) in a region name does not make it a header: read by position
    text = "Be 1s survey\n110.0\t100\n110.1\t120\n110.2\t130\n110.3\t120\n"
    region = read_xps_text(write(tmp_path, "be.txt", text))
    np.testing.assert_allclose(region.binding_energy, [110.0, 110.1, 110.2, 110.3])
    np.testing.assert_allclose(region.counts, [100, 120, 130, 120])


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("K.E.\tB.E.\tCounts\n", "Cu2p_export"),  # it was the name, in the figure's title
        ("Cu 2p3/2 clean\nBinding Energy (eV)\tCounts\n", "Cu 2p3/2 clean"),
        ("Cu 2p3/2 clean\n", "Cu 2p3/2 clean"),
    ],
)
def test_the_first_header_line_names_the_region_unless_it_is_the_column_titles(
    tmp_path, header, name
):
    rows = "".join(f"{1554.6 - e:.1f}\t{e:.1f}\t{c}\n" for e, c in ((933.0, 90), (932.9, 80)))
    if "K.E." not in header:
        rows = "".join("\t".join(row.split("\t")[1:]) + "\n" for row in rows.splitlines())
    region = read_xps(write(tmp_path, "Cu2p_export.txt", header + rows))
    assert region.name == name
    np.testing.assert_allclose(region.binding_energy, [932.9, 933.0])


def test_a_missing_file_or_a_folder_is_named_not_a_raw_errno(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"'.*nope\.vms' does not exist; check the path"):
        read_xps(tmp_path / "nope.vms")
    with pytest.raises(IsADirectoryError, match="is a directory, not a file; pass a VAMAS"):
        read_xps(tmp_path)


@pytest.mark.parametrize("title", ["C1s sample KE-17 annealed", "C 1s operator K. E. Smith"])
def test_a_title_line_naming_ke_only_in_passing_is_no_kinetic_axis(tmp_path, title):
    path = write(tmp_path, "c1s.txt", f"{title}\n284.0\t159.7\n284.1\t161.7\n")
    region = read_xps(path)
    assert region.name == title
    np.testing.assert_allclose(region.binding_energy, [284.0, 284.1])
