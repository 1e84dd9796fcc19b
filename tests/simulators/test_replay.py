import re
from pathlib import Path

import numpy as np
import pytest

from simulators import RecordedSpectrum, read_spectrum, read_two_column, read_xdi
from simulators.replay import gaps
from tests.shared_data import SHARED_DATA

XAS = SHARED_DATA / "xas"


@pytest.fixture
def xas_dir():
    if not XAS.is_dir():
        pytest.skip(f"measured XAS data not found at {XAS} (shared data absent)")
    return XAS


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_xdi_reader_agrees_with_two_column_csv(xas_dir):
    energy, mu = read_xdi(xas_dir / "cu_metal_rt.xdi")
    csv_energy, csv_mu = read_two_column(xas_dir / "two_column" / "cu_metal_rt.csv")
    np.testing.assert_array_equal(energy, csv_energy)
    np.testing.assert_allclose(mu, csv_mu, rtol=0, atol=1e-6)


@pytest.mark.parametrize(
    "name",
    [
        "cu_metal_rt.xdi",
        "fe3c_rt.xdi",
        "v_foil.xdi",
        "fe2o3_rt1.xmu",
        "mn_cpmnco3.dat",
        "sno2_l3.dat",
    ],
)
def test_read_spectrum_matches_reference_csv(xas_dir, name):
    energy, mu = read_spectrum(xas_dir / name)
    csv_energy, csv_mu = read_spectrum(xas_dir / "two_column" / (Path(name).stem + ".csv"))
    assert np.all(np.diff(energy) > 0)
    np.testing.assert_allclose(energy, csv_energy, rtol=0, atol=1e-3)  # csv rounds to 1 meV
    np.testing.assert_allclose(mu, csv_mu, rtol=0, atol=1e-6)


def test_transmission_from_counts_when_no_mu_column(tmp_path):
    rows = "\n".join(
        f"{e} {1000.0} {1000.0 * np.exp(-0.1 * k)}" for k, e in enumerate(range(8980, 8985))
    )
    path = write(
        tmp_path,
        "counts.xdi",
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: itrans\n#----\n" + rows,
    )
    _, mu = read_spectrum(path)
    np.testing.assert_allclose(mu, 0.1 * np.arange(5))


def test_fluorescence_from_counts(tmp_path):
    path = write(
        tmp_path,
        "fluo.txt",
        "#XDI/1.1\n# Column.1: energy\n# Column.2: ifluor\n# Column.3: i0\n"
        "10 2 4\n20 3 4\n30 4 4\n40 5 4\n",
    )
    np.testing.assert_allclose(read_spectrum(path)[1], [0.5, 0.75, 1.0, 1.25])


def test_a_named_fluorescence_column_wins_over_transmission(xas_dir):
    energy, mu = read_spectrum(xas_dir / "fexanes_a.001", fluorescence="Sum_Fe_Ka")
    csv_energy, csv_mu = read_spectrum(xas_dir / "two_column" / "fexanes_a.csv")
    np.testing.assert_allclose(energy, csv_energy, rtol=0, atol=1e-3)
    np.testing.assert_allclose(mu, csv_mu, rtol=1e-4, atol=1e-6)
    replay = RecordedSpectrum.from_file(xas_dir / "fexanes_a.001", fluorescence="sum_fe_ka")
    np.testing.assert_allclose(replay.mu, mu)
    with pytest.raises(ValueError, match="Sum_Mn_Ka"):
        read_spectrum(xas_dir / "fexanes_a.001", fluorescence="Sum_Mn_Ka")
    with pytest.raises(ValueError, match="'Sum_Fe_Ka' / i0 needs both columns"):
        read_spectrum(xas_dir / "two_column" / "fexanes_a.csv", fluorescence="Sum_Fe_Ka")


def test_rows_of_commas_only_are_blank(tmp_path):
    path = write(tmp_path, "commas.csv", ",,\nenergy,mu\n10,1\n20,2\n,,\n30,3\n40,4\n")
    np.testing.assert_array_equal(read_two_column(path)[1], [1, 2, 3, 4])


def test_duplicates_are_averaged_and_points_sorted(tmp_path):
    path = write(
        tmp_path,
        "dup.csv",
        "# a comment\nenergy_eV,mu\n8903,30\n8901,10\n8902,20\n8902,24\n8904,40\n\n8901,12\n",
    )
    energy, mu = read_two_column(path)
    np.testing.assert_array_equal(energy, [8901, 8902, 8903, 8904])
    np.testing.assert_array_equal(mu, [11, 22, 30, 40])


def test_whitespace_file_without_header(tmp_path):
    path = write(tmp_path, "scan.dat", "#  E  mu\n10 0.1\n20 0.2\n30 0.3\n40 0.4\n")
    np.testing.assert_allclose(read_spectrum(path)[1], [0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize(
    ("name", "text", "match"),
    [
        ("short.csv", "energy_eV,mu\n1,1\n2,2\n3,3\n", "need at least 4"),
        ("dups.csv", "1,1\n1,2\n2,2\n3,3\n3,4\n", "need at least 4"),
        ("nan.csv", "1,1\n2,nan\n3,3\n4,4\n5,5\n", "non-finite"),
        ("text.csv", "1,1\n2,2\nthree,3\n4,4\n5,5\n", "line 3"),
        ("ragged.csv", "1,1\n2,2\n3\n4,4\n5,5\n", "non-finite value nan at line 3"),
        ("one.csv", "1\n2\n3\n4\n5\n", "one column"),
        ("empty.csv", "# nothing\n", "no data rows"),
        (
            "nomu.xdi",
            "# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n1 1\n2 2\n3 3\n4 4\n",
            "no mu",
        ),
        (
            "noenergy.xdi",
            "# XDI/1.0\n# Column.1: angle\n# Column.2: mu\n1 1\n2 2\n3 3\n4 4\n",
            "energy",
        ),
        (
            "short.xdi",
            "# XDI/1.0\n# Column.1: energy\n# Column.3: mu\n1 1\n2 2\n3 3\n4 4\n",
            "column 3 'mu'",
        ),
        (  # XDI numbers columns from 1: a Column.0 line names nothing
            "zero-column.xdi",
            "# XDI/1.0\n# Column.0: energy\n# Column.1: mu\n1 1\n2 2\n3 3\n4 4\n",
            "energy",
        ),
        (
            "zero.xdi",
            "# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n# Column.3: i1\n1 1 1\n2 1 0\n3 1 1\n",
            "non-finite",
        ),
    ],
)
def test_malformed_files_raise_value_error(tmp_path, name, text, match):
    with pytest.raises(ValueError, match=match):
        read_spectrum(write(tmp_path, name, text))


@pytest.mark.parametrize(
    ("name", "text", "read_as"),
    [
        ("i0.csv", "energy,i0,it\n8900,9,5\n8910,0,5\n8920,9,4\n8930,9,3\n", "ln(i0/it)"),
        (
            "fluo.xdi",
            "# Column.1: energy eV\n# Column.2: i0\n# Column.3: ifluor\n"
            "8900 9 5\n8910 0 5\n8920 9 4\n8930 9 3\n",
            "ifluor/i0",
        ),
    ],
)
def test_a_reading_of_no_incident_counts_names_the_ratio_it_broke(tmp_path, name, text, read_as):
    """An i0 of 0 makes mu infinite; the message says mu was a ratio over i0."""
    with pytest.raises(ValueError, match=re.escape(f"mu, read as {read_as}, has non-finite value")):
        read_spectrum(write(tmp_path, name, text))


def test_binary_and_missing_files(tmp_path):
    binary = tmp_path / "scan.bin"
    binary.write_bytes(b"\x80\x81\xff\x00" * 10)
    with pytest.raises(ValueError, match="not a text file"):
        read_spectrum(binary)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_spectrum(tmp_path / "missing.csv")


def test_replay_passes_through_recorded_points(xas_dir):
    sim = RecordedSpectrum.from_file(xas_dir / "cu_metal_rt.xdi")
    energy, mu = read_xdi(xas_dir / "cu_metal_rt.xdi")
    np.testing.assert_array_equal(sim.energy, energy)
    np.testing.assert_allclose(sim.evaluate_true(energy), mu, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(sim.measure(energy), sim.evaluate_true(energy))
    assert sim.energy_range == (energy[0], energy[-1])


def test_replay_is_monotone_between_monotone_points():
    sim = RecordedSpectrum([0.0, 1.0, 2.0, 3.0, 4.0], [0.0, 0.1, 1.0, 1.05, 1.05])
    e = np.linspace(0.0, 4.0, 401)
    assert np.all(np.diff(sim.evaluate_true(e)) >= -1e-12)
    assert isinstance(sim.evaluate_true(1.5), float)


def test_replay_constructor_sorts_and_averages():
    sim = RecordedSpectrum([3.0, 1.0, 2.0, 2.0, 4.0], [3.0, 1.0, 1.0, 3.0, 4.0])
    np.testing.assert_array_equal(sim.energy, [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(sim.mu, [1.0, 2.0, 3.0, 4.0])


def test_replay_noise_is_seeded_and_centred(xas_dir):
    e = np.full(3000, 9100.0)
    a, b, c = (
        RecordedSpectrum.from_file(xas_dir / "cu_metal_rt.xdi", i0=1e5, seed=s) for s in (0, 0, 1)
    )
    mu_a = a.measure(e)
    np.testing.assert_array_equal(mu_a, b.measure(e))
    assert not np.array_equal(mu_a, c.measure(e))
    assert abs(mu_a.mean() - a.evaluate_true(9100.0)) < 5 * mu_a.std() / np.sqrt(e.size)
    assert set(a.measure_channels(9100.0)) == {"mu", "i0", "i1"}


def test_replay_rejects_out_of_range_and_bad_arrays():
    sim = RecordedSpectrum([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match="outside energy_range"):
        sim.measure(4.5)
    with pytest.raises(ValueError, match="equal length"):
        RecordedSpectrum([1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="non-finite"):
        RecordedSpectrum([1.0, 2.0, 3.0, np.inf], [1.0, 2.0, 3.0, 4.0])


def test_decimal_commas_are_refused_not_misread(tmp_path):
    path = write(tmp_path, "scan.txt", "energy mu\n7112,0\t0,10\n7112,5\t0,12\n7113,0\t0,15\n")
    with pytest.raises(ValueError, match=r"line 2: .*decimal commas"):
        read_two_column(path)


ROWS = "8.90,0.0\n8.94,0.1\n8.98,0.2\n9.02,0.3\n"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("kev.xdi", "# XDI/1.0\n# Column.1: energy keV\n# Column.2: mu\n"),
        ("kev-pv.xdi", "# XDI/1.0\n# Column.1: Energy KeV || mono\n# Column.2: mu\n"),
        ("kev.csv", "E_keV,mu\n"),
        ("kev-title.csv", "Energy (keV),mu\n"),
        ("kev-comment.dat", "# E [keV]  mu\n"),
        ("kev-slash.dat", "E / keV   absorbance\n"),
        ("kev-slash-comment.dat", "# Energy / keV  norm\n"),
    ],
)
def test_energies_in_kev_are_converted_to_ev(tmp_path, name, text):
    energy, mu = read_spectrum(write(tmp_path, name, text + ROWS))
    np.testing.assert_allclose(energy, [8900, 8940, 8980, 9020])
    np.testing.assert_allclose(mu, [0.0, 0.1, 0.2, 0.3])


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("ev.xdi", "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mu\n"),
        ("ev.csv", "energy_eV,mu\n"),
    ],
)
def test_energies_titled_ev_are_read_as_they_are(tmp_path, name, text):
    energy, _ = read_spectrum(write(tmp_path, name, text + "8900,0\n8940,1\n8980,2\n9020,3\n"))
    np.testing.assert_array_equal(energy, [8900, 8940, 8980, 9020])


@pytest.mark.parametrize(
    ("name", "text", "fix"),
    [
        ("ev.xdi", "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mu\n", "write '# Column.1"),
        ("ev.csv", "energy_eV,mu\n", "title the column 'E (keV)'"),
        ("k.csv", "e,chi\n", "title the column 'E (keV)'"),
    ],
)
def test_energies_below_any_absorption_edge_are_refused_whatever_their_unit(
    tmp_path, name, text, fix
):
    """keV numbers titled eV (8.9-9.0) were replayed as a 0.12 eV scan, and k (0-16 per
    Angstrom) as a 16 eV one: no absorption edge scan ends below 30 eV."""
    rows = ROWS if name != "k.csv" else "".join(f"{k},{0.1 * k}\n" for k in range(17))
    with pytest.raises(
        ValueError, match=rf"lie below 30 eV, where no absorption edge.*{re.escape(fix)}"
    ):
        read_spectrum(write(tmp_path, name, text + rows))


@pytest.mark.parametrize(
    ("name", "text", "scale", "fix"),
    [
        ("mev.csv", "energy,mu\n", 1e3, "title the column 'E (meV)'"),
        ("ev_as_kev.csv", "E_keV,mu\n", 1, "title the column 'E (eV)'"),
        ("mev.xdi", "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mu\n", 1e3, "meV"),
    ],
)
def test_energies_above_any_absorption_edge_are_refused_whatever_their_unit(
    tmp_path, name, text, scale, fix
):
    """meV numbers, or eV titled keV, were replayed as a scan at 8.9 MeV (and bench scan
    refused it for a step scale the user had not set)."""
    rows = "".join(f"{e * scale:g},{0.1 * k}\n" for k, e in enumerate(range(8900, 9100, 40)))
    with pytest.raises(ValueError, match=rf"lie above 200 keV, where no absorp.*{re.escape(fix)}"):
        read_spectrum(write(tmp_path, name, text + rows))


@pytest.mark.parametrize("title", ["energy,mu", "E (eV),mu"])
def test_mev_numbers_read_as_ev_are_told_only_of_mev(tmp_path, title):
    # "if they are eV, title the column 'E (eV)'": a file so titled was refused again
    rows = "".join(f"{e * 1e3:g},{0.1 * k}\n" for k, e in enumerate(range(8900, 9100, 40)))
    with pytest.raises(ValueError, match="lie above 200 keV") as caught:
        read_spectrum(write(tmp_path, "mev.csv", f"{title}\n{rows}"))
    assert "if they are meV, title the column 'E (meV)'" in str(caught.value)
    assert "if they are eV" not in str(caught.value)


def test_energy_and_mu_swapped_are_named_as_swapped(tmp_path, xas_dir):
    energy, mu = read_two_column(xas_dir / "two_column" / "cu_metal_rt.csv")
    text = "\n".join(f"{m},{e}" for e, m in zip(energy, mu, strict=True))
    with pytest.raises(ValueError, match="energy and mu columns are swapped, swap them back"):
        read_two_column(write(tmp_path, "swapped.csv", text))


def test_energy_and_mu_swapped_under_a_title_in_ev_are_named_as_swapped(tmp_path, xas_dir):
    # raw mu of -1.34 to 1.51 as energies titled eV passed every check: a 2.85 eV scan
    energy, mu = read_two_column(xas_dir / "two_column" / "cu_metal_rt.csv")
    rows = "\n".join(f"{m},{e}" for e, m in zip(energy, mu, strict=True))
    with pytest.raises(ValueError, match=r"span 2\.85\d* eV, narrower than any absorption"):
        read_two_column(write(tmp_path, "swapped.csv", "energy_eV,mu\n" + rows))
    with pytest.raises(ValueError, match="energy and mu columns are swapped, swap them back"):
        read_two_column(write(tmp_path, "swapped.csv", "energy_eV,mu\n" + rows))


def test_a_narrow_mu_is_not_called_swapped(tmp_path):
    with pytest.raises(ValueError, match="if they are keV") as caught:
        read_two_column(write(tmp_path, "kev.csv", "8.90,1\n8.95,2\n9.00,3\n9.05,4\n"))
    assert "swapped" not in str(caught.value)


def test_a_scan_relative_to_its_edge_is_read(tmp_path):
    """E - E0 from -20 to 25 eV starts below 0, so it is no keV."""
    rows = "".join(f"{e},{0.1 * k}\n" for k, e in enumerate(range(-20, 26, 5)))
    energy, _ = read_spectrum(write(tmp_path, "relative.csv", "energy_eV,mu\n" + rows))
    np.testing.assert_array_equal(energy, np.arange(-20, 26, 5))


@pytest.mark.parametrize(
    ("name", "text"),
    [("none.xdi", "# XDI/1.0\n# Column.1: energy\n# Column.2: mu\n"), ("none.csv", "energy,mu\n")],
)
def test_energies_without_unit_are_ev(tmp_path, name, text):
    energy, _ = read_spectrum(write(tmp_path, name, text + "8900,0\n8940,1\n8980,2\n9020,3\n"))
    np.testing.assert_array_equal(energy, [8900, 8940, 8980, 9020])


@pytest.mark.parametrize("unit", ["-", "none", "undefined"])
def test_kev_energies_under_an_unset_unit_are_refused_as_without_one(tmp_path, unit):
    with pytest.raises(ValueError, match=r"span 0.12 eV: if they are keV"):
        read_spectrum(write(tmp_path, "kev.csv", f"Energy ({unit}),mu\n" + ROWS))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nm.xdi", "# XDI/1.0\n# Column.1: energy nm\n# Column.2: mu\n"),
        ("deg.csv", "energy (deg),mu\n"),
    ],
)
def test_another_energy_unit_is_refused(tmp_path, name, text):
    with pytest.raises(ValueError, match=rf"{name}.*are not eV, keV or meV .*; convert"):
        read_spectrum(write(tmp_path, name, text + ROWS))


I0_I1 = "8900 1000 400\n8910 1000 300\n8920 1000 200\n8930 1000 100\n"
LN = np.log([1000 / 400, 1000 / 300, 1000 / 200, 1000 / 100])


@pytest.mark.parametrize(
    "header", ["#  energy i0 i1\n", "energy I0 It\n", "# E  I0  Itrans\n", "energy,i0,i1\n"]
)
def test_transmission_columns_give_ln_i0_over_it(tmp_path, header):
    energy, mu = read_two_column(write(tmp_path, "eii.dat", header + I0_I1))
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, LN)
    xdi = "# XDI/1.0\n# Column.1: energy\n# Column.2: i0\n# Column.3: i1\n" + I0_I1
    np.testing.assert_array_equal(mu, read_xdi(write(tmp_path, "eii.xdi", xdi))[1])


@pytest.mark.parametrize("header", ["energy,i0,mu\n", "# E  I0  xmu\n", "energy;i1;MU(E)\n"])
def test_a_column_titled_mu_is_mu_wherever_it_stands(tmp_path, header):
    rows = "10 9 0.1\n20 9 0.2\n30 9 0.3\n40 9 0.4\n"
    _, mu = read_two_column(write(tmp_path, "mu.txt", header + rows.replace(" ", ";")))
    np.testing.assert_allclose(mu, [0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("header", ["#  energy i0 if\n", "energy,i0,sum\n", "E  It  Iref\n"])
def test_an_intensity_in_column_2_without_mu_is_refused(tmp_path, header):
    with pytest.raises(ValueError, match=r"column 2 is '(i0|it)'.*'energy,mu'.*--fluorescence"):
        read_two_column(write(tmp_path, "counts.dat", header + I0_I1))


@pytest.mark.parametrize(
    ("header", "title"),
    [
        ("energy_eV,transmission\n", "'transmission'"),
        ("energy,T(%)\n", r"'t' \(%\)"),
        ("# E  trans\n", "'trans'"),
        ("energy,It/I0\n", r"'it' \(I0\)"),
        ("energy,%T\n", "'%t'"),
        ("energy,I/I0 (a.u.)\n", r"'i' \(I0 \(a\.u\.\)\)"),
        ("energy,Trans.\n", r"'trans\.'"),
    ],
)
def test_a_transmission_column_is_refused_with_mu_as_its_minus_log(tmp_path, header, title):
    # replayed as mu: an edge upside down, converged on without a warning
    rows = "8900 0.9\n8910 0.8\n8920 0.4\n8930 0.35\n".replace(" ", "," if "," in header else " ")
    with pytest.raises(ValueError, match=rf"column 2 is titled {title}, the transmitted.*-ln\(T\)"):
        read_two_column(write(tmp_path, "t.csv", header + rows))


def test_an_xdi_transmission_column_is_refused_as_in_a_column_file(tmp_path):
    rows = "8900 0.9\n8910 0.8\n8920 0.4\n8930 0.35\n"
    text = "# XDI/1.0\n# Column.1: energy eV\n# Column.2: transmission\n#----\n" + rows
    with pytest.raises(ValueError, match=r"column 2 is titled 'transmission', the transmitted"):
        read_xdi(write(tmp_path, "t.xdi", text))


def test_a_free_text_comment_before_the_data_is_not_a_header(tmp_path):
    rows = "8900 0.1\n8910 0.2\n8920 0.3\n8930 0.4\n"
    path = write(tmp_path, "scan.dat", "# Cu foil (metal) room temperature\n" + rows)
    np.testing.assert_array_equal(read_two_column(path)[1], [0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize("comment", ["", "# Cu foil (metal) room temperature\n"])
def test_more_than_two_untitled_columns_are_refused_not_read_as_mu_from_column_2(tmp_path, comment):
    # an untitled energy, i0, i1 file replayed i0 as mu ("mu": "column 2")
    with pytest.raises(ValueError, match="has 3 columns and no titles, so which one is mu"):
        read_spectrum(write(tmp_path, "scan.dat", comment + I0_I1))


@pytest.mark.parametrize(
    "text",
    [
        "energy;mu\n8900;0.0\n8910;0.1\n8920;0.2\n8930;0.3\n",
        "8900;0.0\n8910;0.1\n8920;0.2\n8930;0.3\n",
    ],
)
def test_semicolon_separated_files_are_read(tmp_path, text):
    energy, mu = read_spectrum(write(tmp_path, "semi.csv", text))
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, [0.0, 0.1, 0.2, 0.3])


def test_semicolon_files_with_decimal_commas_are_refused(tmp_path):
    path = write(tmp_path, "semi.csv", "energy;mu\n8900,5;0,1\n8901,5;0,2\n")
    with pytest.raises(ValueError, match=r"line 2: .*decimal commas"):
        read_two_column(path)


@pytest.mark.parametrize("mu", [np.linspace(0, 1, 10) + 1j, np.array(["a"] * 10, dtype=object)])
def test_complex_or_non_numeric_mu_gets_a_value_error_naming_it(mu):
    with pytest.raises(ValueError, match="mu must be real numbers"):
        RecordedSpectrum(np.linspace(8900.0, 9100.0, 10), mu)


MU = [0.1, 0.2, 0.3, 0.4]


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        (",energy_eV,mu", "0,8900,0.1\n1,8910,0.2\n2,8920,0.3\n3,8930,0.4\n"),  # pandas
        ("index,energy,mu", "0,8900,0.1\n1,8910,0.2\n2,8920,0.3\n3,8930,0.4\n"),
        ("mu,energy", "0.1,8900\n0.2,8910\n0.3,8920\n0.4,8930\n"),
        (",energy,signal", "0,8900,0.1\n1,8910,0.2\n2,8920,0.3\n3,8930,0.4\n"),
        (",E (keV),mu", "0,8.900,0.1\n1,8.910,0.2\n2,8.920,0.3\n3,8.930,0.4\n"),
        ("#  n  E  xmu", "0 8900 0.1\n1 8910 0.2\n2 8920 0.3\n3 8930 0.4\n"),
    ],
)
def test_the_energy_is_the_column_titled_energy_wherever_it_stands(tmp_path, header, rows):
    energy, mu = read_two_column(write(tmp_path, "cols.csv", header + "\n" + rows))
    np.testing.assert_allclose(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, MU)


@pytest.mark.parametrize(
    ("header", "match"),
    [
        ("mu,i0,energy", r"'mu,i0,energy' gives 3 column titles but the data rows have 2"),
        ("signal,energy", r"energy is the last column \(2\).*title the mu column 'mu'"),
    ],
)
def test_an_energy_column_that_cannot_be_used_is_refused_by_name(tmp_path, header, match):
    rows = "0.1,8900\n0.2,8910\n0.3,8920\n0.4,8930\n"
    with pytest.raises(ValueError, match=match):
        read_two_column(write(tmp_path, "bad.csv", header + "\n" + rows))


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (",energy,mu", ",{e},{m}\n"),  # a spreadsheet's empty column A
        ("\tenergy\tmu", "\t{e}\t{m}\n"),  # tab-indented lines
        (",energy,mu,i0", ",{e},{m},1e5\n"),
        ("energy,,mu", "{e},{m}\n"),
        ("energy,mu,", "{e},{m},\n"),
    ],
)
def test_empty_titles_over_rows_without_them_are_dropped(tmp_path, header, row):
    rows = "".join(row.format(e=8900 + 10 * i, m=m) for i, m in enumerate(MU))
    energy, mu = read_two_column(write(tmp_path, "sheet.csv", header + "\n" + rows))
    np.testing.assert_allclose(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, MU)


# energy, i0, itrans, mutrans: mutrans is not ln(i0 / itrans), so the test tells which is read
CU = "8900 100 50 0.1\n8910 100 40 0.2\n8920 100 30 0.3\n8930 100 20 0.4\n"


@pytest.mark.parametrize(
    "after",
    ["#----------\n", "# eV counts counts 1\n", "#\n", "# Energy calibrated at the Cu edge\n"],
)
def test_titles_followed_by_a_rule_units_line_or_comment_are_kept(tmp_path, after):
    # i0 (column 2) was replayed as mu: only the last '#' line was looked at
    path = write(tmp_path, "cu.dat", "# Cu foil\n# energy i0 itrans mutrans\n" + after + CU)
    energy, mu = read_two_column(path)
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, [0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        (  # SPEC: energy, epoch, seconds, I0, I1, If
            "#S 1 ascan\n#L Energy  Epoch  Seconds  I0  I1  If\n",
            "8900 1 1 1000 400 5\n8910 2 1 1000 300 5\n8920 3 1 1000 200 5\n8930 4 1 1000 100 5\n",
            LN,
        ),
        ("#L Energy mu I0\n", "8900 0.1 7\n8910 0.2 7\n8920 0.3 7\n8930 0.4 7\n", MU),
        ("# Columns: energy i0 itrans mutrans\n", CU, MU),
        ("# cols: energy mu i0\n", "8900 0.1 7\n8910 0.2 7\n8920 0.3 7\n8930 0.4 7\n", MU),
        ("% energy mu i0\n", "8900 0.1 7\n8910 0.2 7\n8920 0.3 7\n8930 0.4 7\n", MU),
        ("Columns: energy,mu\n", "8900,0.1\n8910,0.2\n8920,0.3\n8930,0.4\n", MU),
    ],
)
def test_a_label_before_the_titles_is_dropped(tmp_path, header, rows, expected):
    # every column was shifted by one: energy read from 'Epoch', mu from 'Seconds'
    energy, mu = read_two_column(write(tmp_path, "scan.dat", header + rows))
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, expected)


@pytest.mark.parametrize(
    ("header", "rows", "titles", "width"),
    [
        ("#  E  mu\n", "8900 0.1 9\n8910 0.2 9\n8920 0.3 9\n8930 0.4 9\n", 2, 3),
        ("# energy mu i0 extra\n", "8900 0.1 9\n8910 0.2 9\n8920 0.3 9\n8930 0.4 9\n", 4, 3),
        ("energy,i0,itrans,mutrans,if\n", CU, 5, 4),
    ],
)
def test_titles_that_do_not_fit_the_columns_are_refused(tmp_path, header, rows, titles, width):
    with pytest.raises(
        ValueError,
        match=rf"gives {titles} column titles but the data rows have {width} columns; "
        "write one title per column",
    ):
        read_two_column(write(tmp_path, "scan.dat", header + rows))


def test_free_text_naming_one_column_is_no_header(tmp_path):
    # "energy" alone in a comment that does not fit the columns: read by position
    text = "# Cu K-edge energy scan\n8900 0.1\n8910 0.2\n8920 0.3\n8930 0.4\n"
    energy, mu = read_two_column(write(tmp_path, "scan.dat", text))
    np.testing.assert_array_equal(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, [0.1, 0.2, 0.3, 0.4])


@pytest.mark.parametrize(
    ("header", "rows"),
    [
        ('"energy","i0","itrans","mutrans"\n', CU.replace(" ", ",")),
        ('"E (keV)","i0","itrans","mutrans"\n', CU.replace(" ", ",").replace("89", "8.9")),
    ],
)
def test_quoted_titles_are_recognised(tmp_path, header, rows):
    # R's write.csv quotes titles: i0 was read as mu, 'E (keV)' as eV
    energy, mu = read_two_column(write(tmp_path, "quoted.csv", header + rows))
    np.testing.assert_allclose(energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(mu, MU)


@pytest.mark.parametrize(
    ("name", "text", "fix"),
    [
        ("kev.csv", "energy,mu\n", "title the column 'E \\(keV\\)'"),
        ("kev.dat", "", "title the column 'E \\(keV\\)'"),
        (
            "kev.xdi",
            "# XDI/1.0\n# Column.1: energy\n# Column.2: mu\n",
            "write '# Column.1: energy keV'",
        ),
    ],
)
def test_unlabelled_energies_spanning_under_5_ev_are_refused_as_likely_kev(
    tmp_path, name, text, fix
):
    # an 8.90-9.02 keV scan was read as 0.12 eV wide
    with pytest.raises(ValueError, match=rf"energies span 0\.12 eV: if they are keV, {fix}"):
        read_spectrum(write(tmp_path, name, text + ROWS))


def scaled_copy(xas_dir, tmp_path, span):
    """cu_metal_rt as a two-column file with mu rescaled to run from 0 to ``span``."""
    energy, mu = read_spectrum(xas_dir / "two_column" / "cu_metal_rt.csv")
    path = tmp_path / "cu_scaled.csv"
    scaled = (mu - mu.min()) / np.ptp(mu) * span
    np.savetxt(path, np.c_[energy, scaled], delimiter=",", header="energy,mu", comments="")
    return path


def test_mu_spanning_more_than_ln_i0_is_refused_at_construction(xas_dir, tmp_path):
    # mu spanning 0..20 at i0 = 1e6 replayed 240 of 408 points with no transmitted count:
    # the noisy mu stopped at 13.3 (ln(i0) - 0.5), the top of the spectrum read flat
    path = scaled_copy(xas_dir, tmp_path, 20.0)
    with pytest.raises(
        ValueError,
        match=r"recorded mu spans 20 \(0 at 8939 eV to 20 at 9004 eV\), more than the "
        r"ln\(i0 / 10\) - 0\.5 = 11 that counting noise at i0 = 1e\+06 can express: .*clip "
        r"flat.*; normalise mu \(edge step near 1; a constant offset does not matter\), or "
        r"raise i0 to at least 8e\+09",
    ):
        RecordedSpectrum.from_file(path, i0=1e6, seed=0)
    with pytest.raises(ValueError, match="raise i0 to at least 8e\\+09"):
        RecordedSpectrum.from_file(path, i0=7.9e9, seed=0)
    np.testing.assert_array_equal(RecordedSpectrum.from_file(path).mu, read_spectrum(path)[1])
    sim = RecordedSpectrum.from_file(path, i0=8e9, seed=0)  # the i0 the message asks for
    top = np.full(2000, sim.energy[np.argmax(sim.mu)])
    assert abs(sim.measure(top).mean() - 20) < 0.1  # about ten counts: no longer clipped


def test_mu_that_no_countable_i0_can_express_is_only_told_to_normalise(xas_dir, tmp_path):
    path = scaled_copy(xas_dir, tmp_path, 60.0)  # exp(60.5) counts: beyond MAX_COUNTS
    with pytest.raises(ValueError, match=r"spans 60 .*does not matter\)$"):
        RecordedSpectrum.from_file(path, i0=1e6, seed=0)


@pytest.mark.parametrize("offset", [-50.0, 100.0])
def test_a_constant_offset_of_mu_changes_neither_the_check_nor_the_noise(xas_dir, offset):
    # mu up to 101.5 is far above ln(1e6) = 13.8, yet only its span of 2.85 is counted
    energy, mu = read_xdi(xas_dir / "cu_metal_rt.xdi")
    e = np.linspace(energy[0], energy[-1], 500)
    plain = RecordedSpectrum(energy, mu, i0=1e6, seed=3).measure(e)
    shifted = RecordedSpectrum(energy, mu + offset, i0=1e6, seed=3).measure(e)
    np.testing.assert_allclose(shifted - offset, plain, rtol=0, atol=1e-9)


FLUORESCENCE_XDI = (
    "#XDI/1.1\n# Column.1: energy eV\n# Column.2: I0\n# Column.3: I1\n# Column.4: Sum_Fe_Ka\n"
    "# Column.5: Fe_Ka_mca1\n# Column.6: OutputCounts_mca1\n# Column.7: mufluor\n"
    "8900 100 50 1 1 9 0.1\n8910 100 40 2 1 9 0.2\n8920 100 30 3 1 9 0.3\n8930 100 20 4 1 9 0.4\n"
)


@pytest.mark.parametrize("i0", ["I0", "i0"])
def test_i0_as_the_fluorescence_column_is_refused_naming_the_fluorescence_columns(xas_dir, i0):
    # mu = I0 / I0 = 1 replayed a flat line, and simulate xas printed "nrmse": Infinity
    with pytest.raises(ValueError, match=r"i0 column itself.*constant.*: Sum_Ca_Ka, Sum_Fe_Ka"):
        read_spectrum(xas_dir / "fexanes_a.001", fluorescence=i0)


def test_i0_as_fluorescence_of_a_file_without_fluorescence_columns_says_so(tmp_path):
    path = write(
        tmp_path,
        "t.xdi",
        "#XDI/1.1\n# Column.1: energy\n# Column.2: i0\n"
        "# Column.3: i1\n10 4 2\n20 4 1\n30 4 1\n40 4 1\n",
    )
    with pytest.raises(ValueError, match="no fluorescence-like column .*leave fluorescence out"):
        RecordedSpectrum.from_file(path, fluorescence="i0")


@pytest.mark.parametrize(
    ("fluorescence", "signal", "others"),
    [
        (None, "column mufluor", ("Sum_Fe_Ka", "Fe_Ka_mca1")),  # mu, not counts
        ("sum_fe_ka", "Sum_Fe_Ka/i0", ("Fe_Ka_mca1",)),
    ],
)
def test_a_replay_says_what_its_mu_is_and_which_fluorescence_columns_it_left(
    tmp_path, fluorescence, signal, others
):
    replay = RecordedSpectrum.from_file(
        write(tmp_path, "scan.xdi", FLUORESCENCE_XDI), fluorescence=fluorescence
    )
    assert (replay.signal, replay.fluorescence_columns) == (signal, others)


@pytest.mark.parametrize(
    ("text", "signal"),
    [
        ("energy,xmu\n10,1\n20,2\n30,3\n40,4\n", "column xmu"),
        ("energy,i0,it\n10,4,2\n20,4,1\n30,4,1\n40,4,1\n", "ln(i0/it)"),
        ("10 1\n20 2\n30 3\n40 4\n", "column 2"),
    ],
)
def test_a_column_file_replay_says_what_its_mu_is(tmp_path, text, signal):
    replay = RecordedSpectrum.from_file(write(tmp_path, "scan.csv", text))
    assert (replay.signal, replay.fluorescence_columns) == (signal, ())


@pytest.mark.parametrize("comment", ["# mu normalised\n", "# xmu data\n", "# I0 normalised\n"])
def test_free_text_titling_the_energy_column_as_mu_is_no_header(tmp_path, comment):
    # '# mu normalised' was the header: the energy column (1) was replayed as mu
    path = write(tmp_path, "scan.dat", comment + "8900 0.1\n8910 0.2\n8920 0.3\n8930 0.4\n")
    replay = RecordedSpectrum.from_file(path)
    np.testing.assert_array_equal(replay.energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(replay.mu, [0.1, 0.2, 0.3, 0.4])
    assert replay.signal == "column 2"


def test_titles_before_free_text_naming_mu_stay_the_header(tmp_path):
    text = "# E (keV)  xmu\n# mu normalised\n8.900 0.1\n8.910 0.2\n8.920 0.3\n8.930 0.4\n"
    replay = RecordedSpectrum.from_file(write(tmp_path, "scan.dat", text))
    np.testing.assert_allclose(replay.energy, [8900, 8910, 8920, 8930])
    np.testing.assert_allclose(replay.mu, [0.1, 0.2, 0.3, 0.4])
    assert replay.signal == "column xmu"


@pytest.mark.parametrize("header", ["mu normalised", "mu", "it,i0"])
def test_a_title_line_that_titles_the_energy_column_otherwise_is_refused(tmp_path, header):
    path = write(tmp_path, "scan.csv", header + "\n8900,0.1\n8910,0.2\n8920,0.3\n8930,0.4\n")
    with pytest.raises(
        ValueError,
        match=rf"the header '{header}' titles column 1 '(mu|it)' and no column 'energy' or 'e', "
        r"so the energy would be read from that (mu|it) column; title the energy column",
    ):
        read_two_column(path)


NORMALISED_XDI = "# XDI/1.0\n# Column.1: energy eV\n{columns}#----\n"


@pytest.mark.parametrize(
    ("columns", "signal"),
    [
        (["normfluor"], "column normfluor"),
        (["normrefer", "normtrans"], "column normtrans"),  # a reference foil's is not mu
        (["normtrans", "mutrans"], "column mutrans"),  # raw mu first
    ],
)
def test_the_xdi_dictionarys_normalised_mu_is_read_as_mu(tmp_path, columns, signal):
    header = "".join(f"# Column.{k + 2}: {name}\n" for k, name in enumerate(columns))
    # the last column holds mu, any other a constant 7
    rows = "".join(
        f"{8900 + 10 * k} " + "7 " * (len(columns) - 1) + f"0.{k + 1}\n" for k in range(4)
    )
    path = write(tmp_path, "norm.xdi", NORMALISED_XDI.format(columns=header) + rows)
    replay = RecordedSpectrum.from_file(path)
    assert replay.signal == signal
    np.testing.assert_allclose(replay.mu, [0.1, 0.2, 0.3, 0.4])


def test_an_xdi_file_with_only_a_reference_names_every_mu_column_it_reads(tmp_path):
    text = NORMALISED_XDI.format(columns="# Column.2: normrefer\n") + "1 2\n3 4\n5 6\n7 8\n"
    with pytest.raises(
        ValueError,
        match=r"no mu, xmu, mutrans, mufluor, normtrans, normfluor, norm or flat column and no "
        r"i0 with itrans/it/i1 or ifluor \(columns: \['energy', 'normrefer'\]\)",
    ):
        read_xdi(write(tmp_path, "ref.xdi", text))


XMCD_SCAN = "# energy mu_plus mu_minus xmcd\n" + "".join(
    f"{700 + 5 * i} {1 + i} {1 + 0.9 * i} {0.1 * i}\n" for i in range(6)
)
XMCD_XDI = (
    "# XDI/1.0\n# Column.1: energy eV\n# Column.2: mu_plus\n# Column.3: mu_minus\n"
    "# Column.4: XMCD\n#----\n" + XMCD_SCAN.partition("\n")[2]
)


@pytest.mark.parametrize(("name", "text"), [("xmcd.dat", XMCD_SCAN), ("xmcd.xdi", XMCD_XDI)])
def test_a_named_column_is_replayed_as_mu(tmp_path, name, text):
    # an XMCD scan replayed its mu_plus: its dichroism could not be chosen
    replay = RecordedSpectrum.from_file(write(tmp_path, name, text), column="Xmcd")
    np.testing.assert_allclose(replay.mu, 0.1 * np.arange(6))
    assert replay.signal == f"column {'XMCD' if name.endswith('xdi') else 'xmcd'}"


def test_the_column_replayed_by_default_is_named_by_its_title(tmp_path):
    text = "# energy absorbance\n" + "".join(f"{700 + 5 * i} {1 + i}\n" for i in range(6))
    replay = RecordedSpectrum.from_file(write(tmp_path, "one.dat", text))
    assert replay.signal == "column 2 (absorbance)"


def test_a_lone_titled_column_is_no_fluorescence_column(tmp_path):
    # the refusal of several unnamed columns overwrote the fluorescence-like ones with
    # 'absorption', and simulate xas advised --fluorescence absorption, which fails
    text = "Energy (eV),Absorption\n" + "".join(f"{700 + 5 * i},{1 + i}\n" for i in range(6))
    replay = RecordedSpectrum.from_file(write(tmp_path, "abs.csv", text))
    assert replay.signal == "column 2 (absorption)" and replay.fluorescence_columns == ()


def test_titled_columns_naming_no_mu_must_be_chosen_among(tmp_path):
    # mu_plus, the first of them, was replayed as mu with no word of the others
    path = write(tmp_path, "xmcd.dat", XMCD_SCAN)
    match = r"which of 'mu_plus', 'mu_minus', 'xmcd' is mu cannot be told; pass --column NAME"
    with pytest.raises(ValueError, match=match):
        RecordedSpectrum.from_file(path)
    assert RecordedSpectrum.from_file(path, column="mu_minus").signal == "column mu_minus"


@pytest.mark.parametrize("name", ["xmcd.dat", "xmcd.xdi"])
@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"column": "dichroism"}, r"'dichroism' is not a column.*mu_plus, mu_minus, (xmcd|XMCD)\)"),
        ({"column": "Energy"}, r"'Energy' is the energy axis, so it cannot be replayed"),
        ({"column": "xmcd", "fluorescence": "mu_plus"}, "not both"),
    ],
)
def test_a_bad_column_is_refused_naming_the_columns(tmp_path, name, options, match):
    text = XMCD_XDI if name.endswith("xdi") else XMCD_SCAN
    with pytest.raises(ValueError, match=match):
        read_spectrum(write(tmp_path, name, text), **options)


def test_a_transmitted_column_is_no_fluorescence(tmp_path):
    # I1 over i0 is a transmission, not a fluorescence yield: it was replayed upside down
    text = "# energy i0 i1\n" + "".join(f"{10 * i} 1000 {900 - i}\n" for i in range(1, 7))
    with pytest.raises(ValueError, match=r"'I1' is a transmitted intensity.*ln\(i0/i1\)"):
        read_spectrum(write(tmp_path, "scan.dat", text), fluorescence="I1")


@pytest.mark.parametrize("title", ["mufluor", "mu"])
def test_a_fluorescence_mu_column_is_counted_in_fluorescence_as_it_is(tmp_path, title):
    # mufluor / i0 was replayed, divided by i0 a second time, with no word; then refused,
    # leaving a fluorescence mu only transmission's noise, flat across the scan (review X17)
    energy = np.arange(8900.0, 9100.0, 5.0)
    mu = 0.01 + 0.5 * (1 + np.tanh((energy - 9000) / 10))
    rows = "".join(f"{e} {1000 + e % 7} {m}\n" for e, m in zip(energy, mu, strict=True))
    path = write(tmp_path, "scan.dat", f"# energy i0 {title}\n{rows}")
    np.testing.assert_allclose(read_spectrum(path, fluorescence=title)[1], mu)  # not over i0
    replay = RecordedSpectrum.from_file(path, i0=1e4, seed=0, fluorescence=title)
    assert (replay.signal, replay.fluorescent, replay.channels) == (
        f"column {title}",
        True,
        ("mu", "i0", "if"),
    )
    spread = [np.std(replay.measure_channels(np.full(4000, e))["mu"]) for e in (8900, 9090)]
    top = mu.max()  # sqrt(i0 * mu / top) counts, read as mu: spread sqrt(mu * top / i0)
    np.testing.assert_allclose(spread, np.sqrt([0.01 * top, top * top] / np.float64(1e4)), rtol=0.1)


@pytest.mark.parametrize("title", ["mutrans", "normtrans"])
def test_a_transmission_mu_column_is_no_fluorescence(tmp_path, title):
    # accepted and counted in fluorescence once mu columns were (code review C24)
    text = f"# energy i0 it {title}\n" + "".join(
        f"{10 * i} 1000 {900 - i} {0.1 * i}\n" for i in range(1, 7)
    )
    with pytest.raises(ValueError, match=f"'{title}' is a transmission mu by its title"):
        read_spectrum(write(tmp_path, "scan.dat", text), fluorescence=title)


def test_a_mu_name_absent_from_the_file_is_told_it_is_not_a_column(tmp_path):
    # told to replay it with --column, which then failed: no such column
    text = "# energy i0 if\n" + "".join(f"{10 * i} 1000 {i}\n" for i in range(1, 7))
    with pytest.raises(ValueError, match="no column is titled 'mufluor'"):
        read_spectrum(write(tmp_path, "scan.dat", text), fluorescence="mufluor")


def test_a_beam_dump_is_named_as_such_not_as_nan_in_the_file(tmp_path):
    # i0 = it = 0 gave ln(0/0): said "nan in the file, or a row shorter than the first"
    rows = [f"{8900 + 10 * i} 1000 {900 - i}\n" for i in range(8)]
    rows[4] = "8940 0 0\n"
    with pytest.raises(ValueError, match=r"ln\(i0/itrans\) is none there: i0 or the signal 0"):
        read_spectrum(write(tmp_path, "dump.dat", "# energy i0 itrans\n" + "".join(rows)))


def test_a_mistyped_energy_in_a_shared_scan_is_refused_naming_its_line(xas_dir, tmp_path):
    # 9171.504 typed 917.504 was sorted to the front: a campaign ran from 917 eV
    lines = (xas_dir / "two_column" / "cu_metal_rt.csv").read_text().splitlines(keepends=True)
    assert lines[200] == "9171.504,1.1401848\n"
    path = write(
        tmp_path, "cu_typo.csv", "".join([*lines[:200], "917.504,1.1401848\n", *lines[201:]])
    )
    match = (
        r"cu_typo\.csv' line 201: energy 917\.504 eV is out of order beside 9168\.807 eV on "
        r"line 200 and 9174\.22 eV on line 202, \d+ steps off; correct the mistyped energy or "
        "delete the line$"
    )
    with pytest.raises(ValueError, match=match):
        RecordedSpectrum.from_file(path)


@pytest.mark.parametrize(
    ("energies", "line", "match"),
    [
        ("100 101 102 13 104 105 106 107", 4, "energy 13 eV .* 102 eV on line 3 and 104 eV"),
        ("100 101 1020 103 104 105 106", 3, "energy 1020 eV .* 101 eV on line 2 and 103 eV"),
        ("107 106 105 104 10 102 101 100", 5, "energy 10 eV .* 104 eV on line 4 and 102 eV"),
        ("100 101 102 103 104 105 106 17", 8, r"energy 17 eV .* beside 106 eV on line 7, 89 steps"),
        ("150 101 102 103 104 105 106", 1, r"energy 150 eV .* beside 101 eV on line 2, 49 steps"),
    ],
)
def test_a_lone_point_out_of_order_beyond_a_backlash_is_refused(tmp_path, energies, line, match):
    # such a point was sorted into the scan, a mu reading at an invented energy
    text = "".join(f"{e} {i}\n" for i, e in enumerate(energies.split()))
    with pytest.raises(ValueError, match=rf"scan\.txt' line {line}: {match}"):
        read_two_column(write(tmp_path, "scan.txt", text))


@pytest.mark.parametrize(
    "energies",
    [
        "107 106 105 104 103 102 101 100",  # descending
        "100 101 102 103 101 105 106 107",  # a backlash of two steps
        "100 110 120 130 140 150 160 50 60 70 80 90",  # a run stepping back, to fill in
    ],
)
def test_descending_scans_backlash_steps_and_runs_out_of_order_still_read(tmp_path, energies):
    text = "".join(f"{e} {i}\n" for i, e in enumerate(energies.split()))
    energy, _ = read_two_column(write(tmp_path, "scan.txt", text))
    np.testing.assert_array_equal(energy, np.unique([float(e) for e in energies.split()]))


@pytest.mark.parametrize("title", ["murefer", "reference", "Referenz"])
def test_a_reference_column_after_the_energy_is_not_replayed_as_mu(tmp_path, title):
    """``energy,murefer,sample`` replayed the reference foil as the sample's mu."""
    rows = "".join(f"{8900 + 10 * k},{0.1 * k},{0.2 * k}\n" for k in range(6))
    path = write(tmp_path, "ref.csv", f"energy,{title},sample\n" + rows)
    with pytest.raises(ValueError, match=r"column 2 is '(murefer|reference|referenz)', by its "):
        read_spectrum(path)
    np.testing.assert_allclose(read_spectrum(path, column="sample")[1], 0.2 * np.arange(6))


@pytest.mark.parametrize(
    ("columns", "found"),
    [("", "it has none"), ("# Column.1: E keV\n# Column.2: mu\n", "they name ['E', 'mu']")],
)
def test_an_xdi_file_without_an_energy_column_line_is_told_how_to_name_it(tmp_path, columns, found):
    text = f"# XDI/1.0\n{columns}#----\n" + "".join(f"{8900 + k} {k}\n" for k in range(5))
    with pytest.raises(ValueError) as refused:
        read_xdi(write(tmp_path, "scan.xdi", text))
    assert str(refused.value).endswith(
        f"header lines ({found}); name each data column in one, e.g. '# Column.1: energy eV' "
        "and '# Column.2: mu'"
    )


@pytest.mark.parametrize("title", ["reference", "Referenz", "mu_ref"])
def test_an_xdi_file_whose_only_column_after_the_energy_is_a_reference_is_refused(tmp_path, title):
    """Its reference foil was replayed as the sample's mu, as ``murefer`` was not."""
    text = NORMALISED_XDI.format(columns=f"# Column.2: {title}\n# Column.3: sample\n")
    rows = "".join(f"{8900 + 10 * k} {0.1 * k} {0.2 * k}\n" for k in range(5))
    with pytest.raises(ValueError, match=r"no mu, xmu, .* column and no i0"):
        read_xdi(write(tmp_path, "ref.xdi", text + rows))


def test_a_short_first_row_is_named_and_a_short_later_row_is_said_to_end_in_nan(tmp_path):
    # the first named only the (correct) second row; the second said "nan" with no cause
    rows = "".join(f"{8900 + 10 * i} 9 5 {0.1 * i}\n" for i in range(8))
    header = "# Column.1: energy eV\n# Column.4: mutrans\n"
    short_first = header + "8890 9\n" + rows
    with pytest.raises(
        ValueError, match=r"line 4: 4 columns, more than the 2 of the first data row, line 3;"
    ):
        read_spectrum(write(tmp_path, "first.xdi", short_first))
    lines = rows.splitlines(keepends=True)
    short_later = header + "".join(lines[:3]) + "8930 9\n" + "".join(lines[4:])
    padded = r"at line 6 \(nan in the file, or a row shorter than the first, padded\)"
    with pytest.raises(ValueError, match=padded):
        read_spectrum(write(tmp_path, "later.xdi", short_later))
    # a reading of nan (a detector dropout) in a whole row was said to be a short row
    with pytest.raises(ValueError, match=padded):
        read_spectrum(write(tmp_path, "nan.xdi", short_later.replace("8930 9\n", "8930 9 5 nan\n")))


@pytest.mark.parametrize(
    ("energy", "found"),
    [
        ([0, 1, 2, 3, 4], []),
        ([0, 1, 2, 8, 9, 10], [(2.0, 8.0)]),  # 6 steps of 1 around it
        ([0, 1, 2, 7, 8], []),  # 5 times, not over
        ([0, 10, 11, 12, 13], [(0.0, 10.0)]),  # at an end
        ([0, 0.3, 0.6, 0.9, 10, 20, 30, 40], []),  # fine edge steps, then coarse EXAFS ones
        ([0, 1, 2, 3, 50, 100, 101, 102, 103], [(3.0, 100.0)]),  # a stray point inside
        ([0, 1], []),
    ],
)
def test_a_gap_is_a_step_over_five_times_the_steps_around_it(energy, found):
    assert gaps(np.array(energy, dtype=float)) == found


@pytest.mark.skipif(not (SHARED_DATA / "xas" / "two_column").is_dir(), reason="shared data absent")
def test_the_measured_scans_have_no_gap():
    for path in sorted((SHARED_DATA / "xas" / "two_column").glob("*.csv")):
        assert gaps(RecordedSpectrum.from_file(path).energy) == [], path.name
