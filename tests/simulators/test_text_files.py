import time

import numpy as np
import pytest

from simulators import read_eels, read_eels_text, read_msa, read_two_column, read_xps_text
from simulators.replay import read_spectrum
from simulators.text_files import (
    DECIMAL_COMMAS,
    aligned_columns,
    column_text,
    column_titles,
    ev_per,
    header_columns,
    read_text,
    split_fields,
    split_lines,
    table_rows,
    titled_columns,
)
from simulators.xps_files import read_xps
from tests.shared_data import SHARED_DATA


def test_utf8_byte_order_mark_is_dropped(tmp_path):
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeff500\t10\n501\t12\n".encode())
    assert read_text(path, "a text file") == "500\t10\n501\t12\n"
    spectrum = read_eels(path)  # the first row is data, not a title line
    np.testing.assert_allclose(spectrum.energy, [500, 501])
    assert "header" not in spectrum.metadata


def test_latin1_header_is_read(tmp_path):
    path = tmp_path / "latin1.msa"
    text = (
        "#OWNER : J. M\xfcller, 5 \xb5m\n#XPERCHAN : 1\n#OFFSET : 500\n"
        "#SPECTRUM :\n1\n2\n#ENDOFDATA :\n"
    )
    path.write_bytes(text.encode("latin-1"))
    spectrum = read_msa(path)
    assert spectrum.metadata["owner"] == "J. M\xfcller, 5 \xb5m"
    np.testing.assert_allclose(spectrum.energy, [500, 501])


def test_utf8_text_is_read_as_utf8(tmp_path):
    path = tmp_path / "utf8.txt"
    path.write_text("# owner: J. M\xfcller\n500 1\n", encoding="utf-8")
    assert read_text(path, "a text file").startswith("# owner: J. M\xfcller\n")


def test_file_with_nul_bytes_is_not_text(tmp_path):
    path = tmp_path / "scan.csv"
    path.write_bytes(b"700 1\n\x00\x01\x02")
    with pytest.raises(ValueError, match=r"not a text file \(NUL byte at offset 6\); pass a text"):
        read_spectrum(path)


@pytest.mark.parametrize(
    "line",
    ["500,0\t12,5", "500,5;1200,3", "500,5; 1200,3", "284,5  1200,3", "500,5\t1200",
     "500\t12,5", "-0,5 3", "Energy;1,5;2,5"],
)  # fmt: skip
def test_decimal_comma_lines_are_recognised(line):
    assert DECIMAL_COMMAS.search(line)


@pytest.mark.parametrize(
    "line",
    ["500.5,1200", "500.5, 1200", "500,1200", "500, 1200", "1,2,3", "1, 2, 3", "284.5,1200,",
     "500;1200", "500.5;1200.3", "500\t1200", "500.5 1200.3", "6.284e+002, -3.07e+001",
     "BE,counts", "500,1200 ", "500 1200 # 1,2 x"],
)  # fmt: skip
def test_ordinary_csv_and_whitespace_lines_are_not_decimal_commas(line):
    assert not DECIMAL_COMMAS.search(line)


def test_a_long_run_of_spaces_is_read_without_backtracking(tmp_path):
    # the old pattern took ~7 s on this line (quadratic in the spaces); now ~1 ms
    path = tmp_path / "padded.txt"
    path.write_text("7000" + " " * 20_000 + "1\n7010 2\n7020 3\n7030 4\n")
    started = time.perf_counter()
    assert read_spectrum(path)[1].tolist() == [1.0, 2.0, 3.0, 4.0]
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("8900;0.1", ["8900", "0.1"]),
        ("8900, 0.1 ,7", ["8900", "0.1", "7"]),
        ("  8900\t0.1  7 ", ["8900", "0.1", "7"]),
        (",,", []),
    ],
)
def test_fields_split_at_commas_semicolons_and_whitespace(line, fields):
    assert split_fields(line) == fields


@pytest.mark.parametrize(
    ("line", "columns"),
    [
        ("energy_eV,mu", [("energy", "eV"), ("mu", None)]),
        ("E_keV;mu", [("e", "keV"), ("mu", None)]),
        ("Energy (keV)\tCounts", [("energy", "keV"), ("counts", None)]),
        ("Energy Loss (eV),Counts", [("energy loss", "eV"), ("counts", None)]),
        ("  E [ keV ]   xmu(trans)  I0", [("e", "keV"), ("xmu", "trans"), ("i0", None)]),
        ("E/eV mu", [("e", "eV"), ("mu", None)]),
        ("energy_loss mu()", [("energy_loss", None), ("mu", None)]),
        (",energy_eV,mu", [("", None), ("energy", "eV"), ("mu", None)]),  # pandas index
        ("index;;mu", [("index", None), ("", None), ("mu", None)]),
        ("E / keV   absorbance", [("e", "keV"), ("absorbance", None)]),
        ("Energy /keV  norm", [("energy", "keV"), ("norm", None)]),
        ("E/ eV  mu", [("e", "eV"), ("mu", None)]),
        ('"E (keV)","mu"', [("e", "keV"), ("mu", None)]),  # R's write.csv quotes titles
        ("'energy'\t'i0'", [("energy", None), ("i0", None)]),
        ('"E (keV)"  "mu"', [("e", "keV"), ("mu", None)]),
        ("Energy eV   Absorption", [("energy", "eV"), ("absorption", None)]),
        ("E KEV mu", [("e", "KEV"), ("mu", None)]),
    ],
)
def test_header_columns_give_names_and_units(line, columns):
    assert header_columns(line) == columns


E, MU = ("e", None), ("mu", None)


@pytest.mark.parametrize(
    ("line", "width", "columns"),
    [
        ("\tE\tmu", 2, [E, MU]),  # a tab-indented header over rows "\t8900\t0.1"
        ("\tE\tmu", 3, [("", None), E, MU]),  # a pandas index column: "0\t8900\t0.1"
        (",E,mu,i0", 3, [E, MU, ("i0", None)]),  # a spreadsheet's empty column A
        ("E,,mu", 2, [E, MU]),
        ("E,mu,", 2, [E, MU]),
        ("E,mu,i0", 2, [E, MU, ("i0", None)]),  # too many titles: left for the reader to name
    ],
)
def test_aligned_columns_keep_empty_titles_only_when_they_fill_the_row(line, width, columns):
    assert aligned_columns(header_columns(line), width) == columns


I0 = ("i0", None)


@pytest.mark.parametrize(
    ("line", "width", "columns"),
    [
        ("#L Energy  mu  I0", 3, [("energy", None), MU, I0]),  # SPEC
        ("L\tE\tmu", 2, [E, MU]),
        ("% E mu i0", 3, [E, MU, I0]),
        ("# Columns: E, mu", 2, [E, MU]),  # the label sticks to the first title
        ("%E mu", 2, [E, MU]),
        ("ColumnLabels: energy counts", 2, [("energy", None), ("counts", None)]),
        ("L E mu", 3, [("l", None), E, MU]),  # the titles fit: 'L' is a column
        ("Columns: E mu", 4, [("columns:", None), E, MU]),  # dropping it fits no better
    ],
)
def test_titled_columns_drop_a_label_when_the_titles_then_fit(line, width, columns):
    assert titled_columns(line, width) == columns


@pytest.mark.parametrize(
    ("lines", "header"),
    [
        (["# Cu foil", "# E mu", "#----", "# eV none"], "# E mu"),
        (["# E mu", "# E scale from the Cu edge"], "# E mu"),  # the last that fits
        (["# E mu i0", "# mu E"], "# mu E"),
    ],
)
def test_column_titles_come_from_the_last_line_naming_a_known_column(lines, header):
    assert column_titles(lines, {"e", "mu"}, 2, "f") == (header, titled_columns(header, 2))


def test_column_titles_refuse_titles_that_do_not_fit_and_ignore_unnamed_lines():
    assert column_titles(["# Cu foil", "#----"], {"e", "mu"}, 2, "f") == (None, [])
    with pytest.raises(ValueError, match=r"^f: the header '# E mu i0' gives 3 column titles"):
        column_titles(["# E mu i0"], {"e", "mu"}, 2, "f")


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_text_with_a_byte_order_mark_is_decoded(tmp_path, encoding):
    # it was refused as "not a text file (NUL byte)"
    path = tmp_path / "u16.txt"
    text = "energy\tmu\n" + "".join(f"{8900 + 10 * i}\t{0.1 * i:g}\n" for i in range(4))
    path.write_bytes(("\ufeff" + text).encode(encoding))
    assert read_text(path, "a text file") == text
    np.testing.assert_array_equal(read_spectrum(path)[0], [8900, 8910, 8920, 8930])
    np.testing.assert_array_equal(read_xps(path).counts, [0, 0.1, 0.2, 0.3])


def test_a_utf16_byte_order_mark_before_bytes_that_are_not_utf16_is_refused(tmp_path):
    path = tmp_path / "odd.txt"
    path.write_bytes(b"\xff\xfe1\x002")  # an odd number of bytes
    with pytest.raises(ValueError, match=r"UTF-16 byte-order mark but is not UTF-16 text"):
        read_text(path, "a text file")


def test_lines_split_at_lf_crlf_and_cr_only():
    assert split_lines("a\x85b\r\nc\rd\n\ne\n") == ["a\x85b", "c", "d", "", "e"]
    assert split_lines("") == []


def test_a_cp1252_ellipsis_does_not_break_a_line_of_the_xas_or_eels_readers(tmp_path):
    rows = "".join(f"{8900 + i} {0.1 * i}\n" for i in range(6))
    msa = "#TITLE : Fe\x85 2\n#XPERCHAN : 1\n#OFFSET : 500\n#SPECTRUM :\n1\n2\n#ENDOFDATA :\n"
    paths = {}
    for name, text in [
        ("xas.dat", "# Fe foil\x85 2 scans\nenergy mu\n" + rows),
        ("eels.txt", "# note: Fe\x85 2 scans\n" + rows),
        ("eels.msa", msa),
    ]:
        paths[name] = tmp_path / name
        paths[name].write_bytes(text.encode("latin-1"))  # byte 0x85: "..." in Windows-1252
    assert read_spectrum(paths["xas.dat"])[0][0] == 8900
    assert read_eels(paths["eels.txt"]).metadata["note"] == "Fe\x85 2 scans"
    assert read_msa(paths["eels.msa"]).metadata["title"] == "Fe\x85 2"


def test_a_directory_is_named_as_one_not_as_missing(tmp_path):
    # it said "does not exist" of a folder that does
    with pytest.raises(IsADirectoryError, match="is a directory, not a file; pass a text file"):
        read_text(tmp_path, "a text file")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_text(tmp_path / "missing.txt", "a text file")


@pytest.mark.parametrize(
    ("label", "scale"),
    [
        ("eV", 1.0),
        ("keV", 1000.0),
        ("Energy Loss (eV)", 1.0),
        ("eV/ch", 1.0),
        ("keV per channel", 1000.0),
        # XPS labels with the unit anywhere or none were refused ('eV (BE)' read as 'BE')
        ("eV (BE)", 1.0),
        ("Binding Energy / eV", 1.0),
        ("BE (eV)", 1.0),
        ("binding energy", 1.0),
        ("B.E.", 1.0),
        ("BE", 1.0),
        ("energy loss", 1.0),
        ("", 1.0),
        (None, 1.0),
    ],
)
def test_ev_per_finds_the_unit_anywhere_and_reads_an_energy_name_as_ev(label, scale):
    assert ev_per(label) == scale


@pytest.mark.parametrize("label", ["nm", "counts", "KE", "kinetic energy", "MeV", "keV (eV)"])
def test_ev_per_refuses_labels_that_are_not_an_energy_in_ev_kev_or_mev(label):
    with pytest.raises(ValueError, match=r"f: energy units .* are not eV, keV or meV"):
        ev_per(label, source="f")


SCAN = "# scan\nE mu\n8900 0.1\n# paused\n8910 0.2\n"


def test_column_text_splits_a_file_into_rows_and_notes():
    text = column_text(SCAN, "f", "energy and mu")
    np.testing.assert_array_equal(text.rows, [[8900, 0.1], [8910, 0.2]])
    np.testing.assert_array_equal(text.lines, [3, 5])
    assert text.notes == [(1, "# scan"), (2, "E mu"), (4, "# paused")]
    assert text.header() == [(1, "# scan"), (2, "E mu")]
    with pytest.raises(ValueError, match=r"^f line 2: cannot read numbers from 'E mu'; fix or"):
        column_text(SCAN, "f", "energy and mu", titles=False)  # as XDI


def read_eels_columns(path):
    spectrum = read_eels_text(path)
    return spectrum.energy, spectrum.counts


def read_xps_columns(path):
    region = read_xps_text(path)
    return region.binding_energy, region.counts


#: The three column text readers (XAS, EELS, XPS), each giving (energy, signal).
READERS = pytest.mark.parametrize(
    "read", [read_two_column, read_eels_columns, read_xps_columns], ids=["xas", "eels", "xps"]
)
#: Title lines the EELS reader refuses, with what it says: in words, one per column, naming
#: no energy column, or naming an XPS core level (an XPS export titled "Co2p CoO" was read as
#: an energy-loss spectrum); the others pass them over, as every reader passes over lines
#: of other counts of words.
EELS_REFUSED_TITLES = {
    "10 scans, dwell 50 ms": r"the column titles \[.*\] name no energy column",
    "C 1s": "names 'C 1s', an XPS core level",
    "C 1s 2024-05-01": "names 'C 1s', an XPS core level",
}


def refused_by_eels(read, path, title: str) -> bool:
    """Whether ``read`` is the EELS reader and refuses ``title`` (``EELS_REFUSED_TITLES``),
    having checked that it refuses ``path`` so."""
    if read is not read_eels_columns or title not in EELS_REFUSED_TITLES:
        return False
    with pytest.raises(ValueError, match=EELS_REFUSED_TITLES[title]):
        read(path)
    return True


@READERS
@pytest.mark.parametrize(
    "text",
    [
        ",,\n500,10\n;;\n510,12\n520,15\n\t,\n530,11\n",  # a spreadsheet's empty rows
        "# scan 1\n500 10\n# paused\n510 12\n520 15\n530 11\n# end of scan\n",
        "500;10\n510, 12\n520\t15\n530 11\n",  # separators as they come
        # a title line starting with one number began the data, and was refused
        *(f"{title}\n500 10\n510 12\n520 15\n530 11\n" for title in
          ("300 K scan", "1486.6 eV Al Ka", "10 scans, dwell 50 ms", "C 1s 2024-05-01")),
        "500,10,9\n510,12\n520,15,14\n530,11\n",  # a spreadsheet's empty cells, unread
    ],
)  # fmt: skip
def test_blank_rows_comments_titles_and_empty_cells_are_read_by_every_reader(tmp_path, read, text):
    # EELS raised IndexError on a row of commas, XPS took it for the region name and
    # refused it after the data, as it refused a '#' comment after the data
    path = tmp_path / "scan.csv"
    path.write_text(text)
    if refused_by_eels(read, path, text.split("\n")[0]):
        return
    energy, signal = read(path)
    np.testing.assert_array_equal(energy, [500, 510, 520, 530])
    np.testing.assert_array_equal(signal, [10, 12, 15, 11])


@READERS
@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("500 10\n510 12 7\n520 15\n", r"line 2: 3 columns, more than the 2 of the first data"),
        ("500 10\n510 twelve\n", r"line 2: cannot read numbers from '510 twelve'; fix or comment"),
        ("500 10 ok\n510 12 ok\n", r"line 1: cannot read numbers from '500 10 ok'; fix or comment"),
        ("500,5\t10\n510,5\t12\n", r"line 1: '500,5\\t10' writes decimal commas; write decimal"),
        ("# nothing\nenergy counts\n", r"scan\.txt'? holds no data rows; pass a file with"),
        ("500\n510\n520\n530\n", r"scan\.txt'? has one column; need (binding )?energy and \w+"),
    ],
)  # fmt: skip
def test_every_reader_refuses_a_bad_data_row_naming_its_line(tmp_path, read, text, match):
    # EELS and XPS read rows with an extra column or word, and the three named a bad line
    # in three ways
    path = tmp_path / "scan.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=match):
        read(path)


@READERS
@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("500 10 510 12\n520 15\n530 11\n540 9\n", 1),
        ("# E I\n500,10,510,12,9\n520,15\n530,11,7\n540,9\n", 2),
    ],
)
def test_a_first_row_wider_than_every_later_one_is_refused_as_joined_lines(
    tmp_path, read, text, line
):
    # its extra cells were taken as a column no later row fills: the 510 eV point was lost
    path = tmp_path / "scan.txt"
    path.write_text(text)
    with pytest.raises(
        ValueError,
        match=rf"line {line}: \d numbers, but no later data row has more "
        rf"than \d: two lines run together .*; split line {line} after its first \d ",
    ):
        read(path)


#: A measured XPS file: a region name, then binding energy and counts.
FE2O3 = SHARED_DATA / "xps" / "Fe2p_Fe2O3.txt"


def test_a_lost_line_break_in_a_shared_xps_file_is_refused(tmp_path):
    # read_xps gave 1,120 points of the 1,121, silently without the 749.95 eV one
    if not FE2O3.is_file():
        pytest.skip(f"measured XPS data not found at {FE2O3} (shared data absent)")
    lines = FE2O3.read_text().splitlines(keepends=True)
    assert read_xps(FE2O3).binding_energy.size == 1121 and lines[2].startswith("7.499500e+002")
    path = tmp_path / "joined.txt"
    path.write_text("".join([lines[0], lines[1].rstrip() + "\t" + lines[2], *lines[3:]]))
    match = "joined.txt line 2: 4 numbers, but no later data row has more than 2: .*; split line 2"
    with pytest.raises(ValueError, match=match + " after its first 2 numbers$"):
        read_xps(path)


@READERS
def test_an_empty_cell_of_a_column_read_is_refused(tmp_path, read):
    path = tmp_path / "scan.txt"
    path.write_text("500 10\n510\n520 15\n530 11\n")
    # XAS and XPS named the second data row "point 1"; EELS names the row short (it said
    # "counts is nan", though the file holds no NaN)
    # XPS: fill, no gap; XAS: says the nan may be a short row, padded
    padded = r"( \(nan in the file, or a row shorter .*\))?"
    message = rf"(?i)(nan|non-finite).* at line 2{padded}; (remove or|fill it)"
    if read is read_eels_columns:
        message = "line 2 has 1 value, expected 2"
    with pytest.raises(ValueError, match=message):
        read(path)


@pytest.mark.parametrize(
    ("read", "signal"),
    [(read_two_column, "mu"), (read_eels_columns, "Counts"), (read_xps_columns, "Counts")],
    ids=["xas", "eels", "xps"],
)
@pytest.mark.parametrize("sample_first", [True, False])
def test_the_title_line_naming_the_columns_is_used_beside_a_sample_name(
    tmp_path, read, signal, sample_first
):
    # XAS refused a second title line; EELS took the first (the sample name) for the titles,
    # so it read keV as eV and the columns in the wrong order
    lines = ["Fe2O3 pellet 300 K", f"{signal}\tEnergy (keV)"][:: 1 if sample_first else -1]
    path = tmp_path / "scan.txt"
    path.write_text("\n".join(lines) + "\n10 0.500\n12 0.510\n15 0.520\n11 0.530\n")
    energy, values = read(path)
    np.testing.assert_allclose(energy, [500, 510, 520, 530])
    np.testing.assert_array_equal(values, [10, 12, 15, 11])


@READERS
@pytest.mark.parametrize(
    "row",
    ['"500.0","10"', "500.0 1.0D+01", "20:00:01 500.0", "500.0,-", "500.0 NA", "- 10"],
)
def test_a_first_row_written_as_numbers_that_do_not_read_is_refused_naming_its_line(
    tmp_path, read, row
):
    # with title lines allowed before the data, such rows became titles: a file of them
    # "held no data rows", and leading rows with a missing reading were dropped unsaid
    path = tmp_path / "scan.txt"
    path.write_text(f"energy counts\n{row}\n510 12\n520 15\n530 11\n540 12\n")
    with pytest.raises(ValueError, match=r"line 2: cannot read numbers from"):
        read(path)


@READERS
@pytest.mark.parametrize("rule", ["-------- --------", "Cu foil 300 K", "C 1s", "scan 12 of 20"])
def test_rules_names_and_titles_with_digits_stay_title_lines(tmp_path, read, rule):
    path = tmp_path / "scan.txt"
    path.write_text(f"{rule}\n500 10\n510 12\n520 15\n530 11\n")
    if refused_by_eels(read, path, rule):
        return
    energy, values = read(path)
    np.testing.assert_array_equal(energy, [500, 510, 520, 530])


def test_without_known_titles_the_line_above_the_data_titles_the_columns(tmp_path):
    # the first title line (a sample name) was taken and the keV of the next one lost
    path = tmp_path / "scan.csv"
    path.write_text("Sample: Cu foil\nPhoton energy (keV);Absorbance\n8.979;0.1\n8.989;0.2\n"
                    "8.999;0.4\n9.009;0.3\n")  # fmt: skip
    energy, mu = read_two_column(path)
    np.testing.assert_allclose(energy, [8979, 8989, 8999, 9009])


@pytest.mark.parametrize(
    ("line", "titles"),
    [
        ("#L Energy  Ring Current  I0  It", ["energy", "ring current", "i0", "it"]),
        ("#L Energy (keV)  I0", ["energy", "i0"]),
        ("#L E mu", ["e", "mu"]),  # single spaces still separate titles
    ],
)
def test_spec_titles_are_separated_by_two_spaces(line, titles):
    # '#L Energy  Ring Current  I0  It' gave 6 titles over 4 columns and was refused
    assert [name for name, _ in titled_columns(line, len(titles))] == titles


def test_brackets_of_a_long_header_are_tracked_word_by_word():
    # each word recounted the brackets of the whole title so far: quadratic in its words
    words = " ".join(f"m{k}=1.0" for k in range(2000))
    assert header_columns(f"motor positions (mm: {words}") == [
        ("motor", None),
        ("positions(mm:" + words.replace(" ", ""), None),
    ]
    assert header_columns("a (b (c) d) e (f) g") == [("a", "b(c)d"), ("e", "f"), ("g", None)]


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n",
        "a;b\n1;2\n",
        "a\tb\n1\t2\n",
        "# run 3\na;b\n# among\n1;2\n",
        "a;b\r\n\r\n;\r\n1;2\r\n",  # blank lines and a row of empty cells
    ],
)
def test_table_rows_split_at_the_separator_the_header_uses_and_skip_comments(text):
    rows = table_rows(text)
    assert [cells for _, cells in rows] == [["a", "b"], ["1", "2"]]
    assert rows[-1][0] == len(split_lines(text)) and rows[0][0] < rows[-1][0]


def test_table_rows_keep_empty_cells_and_other_separators_in_cells():
    text = '# notes\nname;size (nm, TEM);y\nA;;0.5\n"B;2";3,5;"x\ny"\n'
    assert table_rows(text) == [
        (2, ["name", "size (nm, TEM)", "y"]),
        (3, ["A", "", "0.5"]),
        (5, ["B;2", "3,5", "x\ny"]),  # a quoted cell spanning lines: the line it ends on
    ]
