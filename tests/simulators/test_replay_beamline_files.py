"""Files as beamlines and XAS programs write them: SPEC scans, Athena and Larch exports."""

import numpy as np
import pytest

from simulators import RecordedSpectrum, read_spectrum, read_two_column, read_xdi

#: Energy, i0, it and if of four points; mu = ln(i0 / it) = ln 2, ln 4, ...; if / i0 rises.
ROWS = "8900 1000 500 10\n8910 1000 250 20\n8920 1000 125 30\n8930 1000 100 40\n"
LN = np.log([2, 4, 8, 10])


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def spec_scan(number, titles, rows=ROWS):
    return f"#S {number} ascan  mono 8.9 8.93 3 1\n#N 4\n#L {titles}\n{rows}\n"


@pytest.mark.parametrize(
    ("second", "line"),
    [
        (spec_scan(2, "Energy  It  I0  If"), 10),  # other columns: mu of the wrong sign
        (spec_scan(2, "Energy  I0  It  If"), 10),  # a repeated scan: a sawtooth
        ("#L Energy  It  I0  If\n" + ROWS, 10),  # titles alone start a scan too
    ],
)
def test_a_file_of_several_scans_is_refused_naming_where_the_next_starts(tmp_path, second, line):
    # the scans were joined into one spectrum read with the first scan's titles
    path = write(tmp_path, "cu.spec", "#F cu.spec\n" + spec_scan(1, "Energy  I0  It  If") + second)
    with pytest.raises(
        ValueError, match=rf"line {line} starts another scan .*split the file before line {line}$"
    ):
        read_two_column(path)


@pytest.mark.parametrize(
    "after", ["#S 2 ascan  mono 8.9 8.93 3 1\n", "#C aborted\n", "# energy mu i0\n"]
)
def test_comments_after_the_data_of_one_scan_are_no_second_scan(tmp_path, after):
    path = write(tmp_path, "cu.spec", spec_scan(1, "Energy  I0  It  If") + after)
    np.testing.assert_allclose(read_two_column(path)[1], LN)


def test_a_spec_comment_among_the_data_is_no_second_scan(tmp_path):
    rows = ROWS.splitlines(keepends=True)
    text = spec_scan(1, "Energy  I0  It  If", "".join([*rows[:2], "#C beam refill\n", *rows[2:]]))
    np.testing.assert_allclose(read_two_column(write(tmp_path, "cu.spec", text))[1], LN)


MU = [0.1, 0.2, 0.3, 0.4]


def export(tmp_path, columns, mu=None):
    """An Athena or Larch XDI export of ``columns`` after the energy: ``mu`` holds MU, the
    others 9."""
    header = "".join(f"# Column.{k}: {name}\n" for k, name in enumerate(columns, start=2))
    rows = "".join(
        f"{8900 + 10 * k} " + " ".join(str(value if c == mu else 9) for c in columns) + "\n"
        for k, value in enumerate(MU)
    )
    text = f"# XDI/1.0 Demeter/0.9.26\n# Column.1: energy eV\n{header}#------\n{rows}"
    return write(tmp_path, "cu.nor", text)


@pytest.mark.parametrize(
    ("columns", "mu"),
    [
        (["norm", "flat"], "norm"),  # normalised mu
        (["flat", "norm"], "norm"),  # norm before flat wherever they stand
        (["flat", "dmude"], "flat"),
        (["JZP-4-merged", "JZP-4-merged_bkg"], "JZP-4-merged"),  # named after the group
        (["cu_foil", "chi"], "cu_foil"),
    ],
)
def test_athena_and_larch_exports_are_read(tmp_path, columns, mu):
    # refused: "no mu, xmu, ... column (columns: ['energy', 'flat', 'norm']); add one of them"
    replay = RecordedSpectrum.from_file(export(tmp_path, columns, mu))
    assert replay.signal == f"column {mu}"
    np.testing.assert_allclose(replay.mu, MU)


@pytest.mark.parametrize(
    "columns", [["normrefer"], ["cu_foil", "i0"], ["cu_foil", "Sum_Cu_Ka"], ["murefer", "x"]]
)
def test_an_xdi_file_naming_only_references_or_counts_is_still_refused(tmp_path, columns):
    with pytest.raises(ValueError, match=r"no mu, xmu, .*, norm or flat column .*add one of them"):
        read_xdi(export(tmp_path, columns))


def test_a_titled_norm_column_is_mu_in_a_column_file(tmp_path):
    path = write(
        tmp_path, "cu.nor", "# e flat norm\n8900 9 0.1\n8910 9 0.2\n8920 9 0.3\n8930 9 0.4\n"
    )
    np.testing.assert_allclose(read_two_column(path)[1], [0.1, 0.2, 0.3, 0.4])


SPEC_L = "#S 12 ascan  mono 8.9 8.93 3 1\n#N 5\n#L Energy  Seconds  I0  It  If\n"
FIVE = "".join(f"{row.split()[0]} 1 {' '.join(row.split()[1:])}\n" for row in ROWS.splitlines())


@pytest.mark.parametrize("name", ["If", "if", "IF"])
def test_a_fluorescence_column_of_a_column_file_is_read_over_i0(tmp_path, name):
    # refused: "'...spec_L.dat' is not XDI; a fluorescence column needs an XDI file"
    replay = RecordedSpectrum.from_file(
        write(tmp_path, "spec_L.dat", SPEC_L + FIVE), fluorescence=name
    )
    assert (replay.signal, replay.fluorescence_columns) == ("if/i0", ())
    np.testing.assert_allclose(replay.mu, [0.01, 0.02, 0.03, 0.04])


TITLED = {
    "scan.dat": "# energy I0 It If\n",
    "scan.xdi": "# XDI/1.0\n# Column.1: energy\n# Column.2: I0\n# Column.3: It\n# Column.4: If\n",
}


@pytest.mark.parametrize("name", TITLED)
@pytest.mark.parametrize(
    ("fluorescence", "match"),
    [
        (
            "Sum_Fe_Ka",
            r"'Sum_Fe_Ka' / i0 needs both columns, and no column is titled 'Sum_Fe_Ka' "
            r"\(columns: energy, [iI]0, [iI]t, [iI]f\)",
        ),
        ("I0", r"fluorescence 'I0' is the i0 column itself.*fluorescence-like columns: [iI]f$"),
    ],
)
def test_a_bad_fluorescence_column_is_refused_alike_in_column_and_xdi_files(
    tmp_path, name, fluorescence, match
):
    with pytest.raises(ValueError, match=match):
        read_spectrum(write(tmp_path, name, TITLED[name] + ROWS), fluorescence)


def test_a_column_file_names_its_fluorescence_columns_left_unread(tmp_path):
    # the simulate note ("also has fluorescence-like columns ...") was XDI only
    replay = RecordedSpectrum.from_file(
        write(tmp_path, "i0_it_if.dat", "# energy I0 It If\n" + ROWS)
    )
    assert (replay.signal, replay.fluorescence_columns) == ("ln(i0/it)", ("if",))
    np.testing.assert_allclose(replay.mu, LN)


def test_an_intensity_in_column_2_is_refused_pointing_at_fluorescence(tmp_path):
    path = write(tmp_path, "i0_if.dat", "# energy I0 If\n8900 1000 10\n8910 1000 20\n"
                 "8920 1000 30\n8930 1000 40\n")  # fmt: skip
    with pytest.raises(ValueError, match=r"column 2 is 'i0'.*--fluorescence NAME"):
        read_two_column(path)
    np.testing.assert_allclose(read_two_column(path, "If")[1], [0.01, 0.02, 0.03, 0.04])


@pytest.mark.parametrize(
    "titles", ["Energy  Ring Current  I0  It", "Mono Energy  Time Stamp  I0  It"]
)
def test_spec_titles_holding_a_space_are_read(tmp_path, titles):
    # refused: "the header gives 6 column titles but the data rows have 4 columns"
    rows = "".join(
        f"{e} 102.0 {i0} {it}\n" for e, i0, it, _ in (r.split() for r in ROWS.splitlines())
    )
    energy, mu = read_two_column(write(tmp_path, "spec.dat", f"#S 1 ascan\n#L {titles}\n{rows}"))
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, LN)


NARROW = "8978 0.0\n8979 0.1\n8980 0.2\n8981 0.3\n"


@pytest.mark.parametrize(
    ("name", "untitled", "titled", "fix"),
    [
        ("narrow.csv", "energy,mu\n", "energy (eV),mu\n", "title the column 'E \\(eV\\)'"),
        (
            "narrow.xdi",
            "# XDI/1.0\n# Column.1: energy\n# Column.2: mu\n",
            "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mu\n",
            "write '# Column.1: energy eV'",
        ),
    ],
)
def test_a_narrow_scan_without_a_unit_is_told_how_to_say_it_is_ev(
    tmp_path, name, untitled, titled, fix
):
    # a genuine 3 eV pre-edge scan read when titled 'energy (eV)', which the message never said
    with pytest.raises(ValueError, match=rf"energies span 3 eV: .*if they are eV, {fix}$"):
        read_spectrum(write(tmp_path, name, untitled + NARROW))
    energy, _ = read_spectrum(write(tmp_path, name, titled + NARROW))
    np.testing.assert_array_equal(energy, [8978, 8979, 8980, 8981])
