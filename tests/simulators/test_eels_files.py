import json
import struct
import sys
import tomllib
import types
from pathlib import Path

import numpy as np
import pytest
from packaging.requirements import Requirement

from simulators import EELSSpectrum, read_eels, read_eels_text, read_msa, to_channels
from simulators.eels import N_CHANNELS
from simulators.eels_files import BINARY_SUFFIXES, signal_image
from tests.shared_data import SHARED_DATA

EELS = SHARED_DATA / "eels"
EELSDB = (
    "la0-7sr0-3mno3srtio3-001-heterostructure",
    "la2nio4-structure-of-k2nif4",
    "o-k-edge-la2nio4-structure-of-k2nif4-tetragonale-i4-mmm",
)


@pytest.fixture
def eels_dir():
    if not EELS.is_dir():
        pytest.skip(f"measured EELS data not found at {EELS} (shared data absent)")
    return EELS


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_read_msa_on_the_exspy_core_loss(eels_dir):
    spectrum = read_msa(eels_dir / "exspy_coreloss_Mn_O.msa")
    assert isinstance(spectrum, EELSSpectrum)
    assert spectrum.energy.shape == spectrum.counts.shape == (2048,)
    assert spectrum.energy[0] == 360.0
    np.testing.assert_allclose(spectrum.energy[-1], 360.0 + 0.2 * 2047)
    np.testing.assert_allclose(np.diff(spectrum.energy), 0.2)
    assert spectrum.counts[0] == 47179
    assert spectrum.metadata["xperchan"] == 0.2 and spectrum.metadata["signaltype"] == "ELS"


@pytest.mark.parametrize("slug", EELSDB)
def test_read_eels_on_eelsdb_files_matches_their_metadata(eels_dir, slug):
    spectrum = read_eels(eels_dir / "eelsdb" / slug / "data.msa")
    info = json.loads((eels_dir / "eelsdb" / slug / "metadata.json").read_text())
    low, high = (float(info[key].split()[0]) for key in ("min_energy", "max_energy"))
    np.testing.assert_allclose(spectrum.energy[[0, -1]], [low, high], atol=0.05)
    assert np.all(np.diff(spectrum.energy) > 0)
    step = float(info["stepSize"].split()[0])
    np.testing.assert_allclose(np.median(np.diff(spectrum.energy)), step, rtol=1e-3)


def test_read_eels_reads_the_xy_msa_header(eels_dir):
    slug = "la0-7sr0-3mno3srtio3-001-heterostructure"
    spectrum = read_eels(eels_dir / "eelsdb" / slug / "data.msa")
    assert spectrum.metadata["title"] == "lsmo_mn2" and spectrum.metadata["datatype"] == "XY"
    assert spectrum.energy.size == 271


def test_to_channels_on_the_exspy_core_loss(eels_dir):
    spectrum = read_eels(eels_dir / "exspy_coreloss_Mn_O.msa")
    channels, window = to_channels(spectrum.energy, spectrum.counts)
    assert channels.shape == (N_CHANNELS,) and channels.dtype == np.float32
    assert tuple(window) == (360, 769)
    assert channels[:360].max() == 0 and channels[770:].max() == 0
    assert channels.max() == 1.0
    counts, _ = to_channels(spectrum.energy, spectrum.counts, normalise=False)
    np.testing.assert_allclose(channels, counts / counts.max(), rtol=1e-6)
    inside = (spectrum.energy > 499.5) & (spectrum.energy < 500.5)  # 5 points of 0.2 eV
    np.testing.assert_allclose(counts[500], spectrum.counts[inside].sum(), rtol=1e-6)
    assert channels[649] > 1.5 * channels[635]  # the Mn L3 white line


def test_rebinning_conserves_counts():
    rng = np.random.default_rng(0)
    energy = 99.6 + 0.2 * np.arange(500)  # extents 99.5 .. 199.5 eV: channels 100..199
    counts = rng.poisson(1000, size=500).astype(float)
    channels, window = to_channels(energy, counts, normalise=False)
    assert tuple(window) == (100, 199)
    np.testing.assert_allclose(channels.sum(), counts.sum(), rtol=1e-6)
    np.testing.assert_allclose(channels[100], counts[:5].sum(), rtol=1e-6)


def test_coarse_dispersion_is_interpolated_per_ev():
    energy = np.arange(300.0, 600.0, 2.5)
    counts = 2.5 * (1000.0 - energy)  # 1000 - E counts per eV
    channels, window = to_channels(energy, counts, normalise=False)
    assert tuple(window) == (300, int(energy[-1]))
    np.testing.assert_allclose(channels[300:598], 1000.0 - np.arange(300, 598), rtol=1e-5)


def test_to_channels_works_on_a_batch():
    energy = np.linspace(500.0, 700.0, 1001)
    counts = np.random.default_rng(1).uniform(1, 2, size=(2, 3, 1001))
    channels, window = to_channels(energy, counts)
    assert channels.shape == (2, 3, N_CHANNELS)
    single, single_window = to_channels(energy, counts[1, 2])
    np.testing.assert_allclose(channels[1, 2], single, rtol=1e-6)
    np.testing.assert_array_equal(window, single_window)


def test_partial_overlap_is_clipped(eels_dir):
    spectrum = read_eels(eels_dir / "exspy_lowloss.msa")  # -40 .. 369.4 eV
    assert spectrum.energy[0] < 0
    channels, window = to_channels(spectrum.energy, spectrum.counts)
    assert tuple(window) == (0, 369)


@pytest.mark.parametrize(
    ("energy", "counts", "message"),
    [
        (np.arange(4000.0, 5000.0), np.ones(1000), "outside"),
        (np.arange(600.0, 500.0, -1.0), np.ones(100), "increase"),
        (np.array([500.0, 501.0, 500.5, 502.0]), np.ones(4), "increase"),
        (np.arange(500.0, 510.0), np.r_[np.ones(9), np.nan], "NaN"),
        (np.arange(500.0, 510.0), np.ones(9), "shape"),
        (np.array([500.0]), np.ones(1), "shape"),
        (np.array([3071.2, 3071.4]), np.ones(2), "at least 2"),
        (np.arange(500.0, 510.0), -np.ones(10), "positive"),
    ],
)
def test_to_channels_rejects_bad_input(energy, counts, message):
    with pytest.raises(ValueError, match=message):
        to_channels(energy, counts)


def test_msa_y_and_xy_files_and_kev_units(tmp_path):
    y = write(
        tmp_path,
        "y.msa",
        "#FORMAT : EMSA/MAS Spectral Data File\n#NPOINTS : 4\n#XUNITS : keV\n"
        "#DATATYPE : Y\n#XPERCHAN : 0.001\n#OFFSET : 0.5\n#BEAMKV -kV: 200\n"
        "#SPECTRUM :\n1, 2,\n3, 4\n#ENDOFDATA :\n",
    )
    spectrum = read_eels(y)
    np.testing.assert_allclose(spectrum.energy, [500, 501, 502, 503])
    np.testing.assert_allclose(spectrum.counts, [1, 2, 3, 4])
    assert spectrum.metadata["beamkv"] == 200.0
    xy = write(tmp_path, "xy.msa", "#DATATYPE : XY\n#SPECTRUM :\n10, 1\n11, 2\n#ENDOFDATA :\n")
    np.testing.assert_allclose(read_msa(xy).energy, [10, 11])


def test_text_reader_skips_titles_and_reads_comment_metadata(tmp_path):
    path = write(tmp_path, "s.txt", "# beam: 300 kV\nEnergy (eV)\tCounts\n500\t10\n501\t12\n")
    spectrum = read_eels_text(path)
    np.testing.assert_allclose(spectrum.counts, [10, 12])
    assert spectrum.metadata == {"beam": "300 kV", "header": "Energy (eV)\tCounts"}
    assert read_eels(path).source == spectrum.source


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("plain.msa", "500 1\n501 2\n", "#SPECTRUM"),
        ("n.msa", "#NPOINTS : 5\n#XPERCHAN : 1\n#OFFSET : 0\n#SPECTRUM :\n1\n2\n", "NPOINTS"),
        ("noaxis.msa", "#DATATYPE : Y\n#SPECTRUM :\n1\n2\n", "XPERCHAN"),
        ("odd.msa", "#DATATYPE : XY\n#SPECTRUM :\n1, 2\n3\n", "pairs"),
        ("bad.msa", "#XPERCHAN : 1\n#OFFSET : 0\n#SPECTRUM :\n1\nx\n", "line 5"),
    ],
)
def test_read_msa_rejects_bad_files(tmp_path, name, text, message):
    with pytest.raises(ValueError, match=message):
        read_msa(write(tmp_path, name, text))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no data rows"),
        ("500 1\n501\n", "line 2 has 1 value, expected 2"),
        ("500 1\n501 two\n", "line 2"),
        ("500 1\n502 2\n501 3\n", r"line 3 \(501\.0 eV\) follows 502\.0 eV; sort"),
        ("500 1\n501 nan\n", "fewer than 2 counts are finite numbers"),
    ],
)
def test_read_eels_text_rejects_bad_files(tmp_path, text, message):
    with pytest.raises(ValueError, match=message):
        read_eels_text(write(tmp_path, "bad.txt", text))


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_eels(tmp_path / "missing.msa")


def without_rosettasciio(monkeypatch) -> None:
    """Make ``import rsciio`` and its readers fail, as without the io extra."""
    for module in ("rsciio", *(f"rsciio.{name}" for name in set(BINARY_SUFFIXES.values()))):
        monkeypatch.setitem(sys.modules, module, None)


def test_binary_formats_need_the_io_extra(tmp_path, monkeypatch):
    without_rosettasciio(monkeypatch)
    path = tmp_path / "spectrum.dm4"
    path.write_bytes(b"\x00\x00\x00\x04")
    # the hint was `pip install adaptive-lab[io]`, which works from no checkout
    with pytest.raises(ValueError, match=r'pip install -c constraints.txt -e "\.\[io\]"'):
        read_eels(path)


def test_the_io_extra_installs_h5py_which_hspy_files_need():
    # the io extra held rosettasciio alone, whose hspy reader needs h5py, an extra of its own
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    io = [Requirement(r) for r in pyproject["project"]["optional-dependencies"]["io"]]
    assert any(r.name == "h5py" or (r.name == "rosettasciio" and "hdf5" in r.extras) for r in io)


def test_an_hspy_file_without_the_io_extra_says_it_needs_h5py_too(tmp_path, monkeypatch):
    without_rosettasciio(monkeypatch)
    path = tmp_path / "spectrum.hspy"
    path.write_bytes(b"\x89HDF\r\n\x1a\n")
    with pytest.raises(
        ValueError, match=r"\.hspy files needs rosettasciio and h5py; install the io"
    ):
        read_eels(path)


def dm3_signals(signal_type: str | None) -> list[dict]:
    """What rosettasciio's ``file_reader`` returns for a DM3 spectrum whose metadata give
    ``signal_type`` (none for None): one signal dict, 100 channels from 0.1 keV."""
    metadata = {
        "General": {"title": "spectrum", "original_filename": "spectrum.dm3"},
        "Acquisition_instrument": {"TEM": {"beam_energy": 200.0, "Detector": {"EDS": {}}}},
    }
    if signal_type is not None:
        metadata["Signal"] = {"signal_type": signal_type, "quantity": "Intensity"}
    axis = {"name": "Energy", "size": 100, "offset": 0.1, "scale": 0.01, "units": "keV",
            "navigate": False}  # fmt: skip
    return [
        {
            "data": np.arange(1.0, 101.0),
            "axes": [axis],
            "metadata": metadata,
            "original_metadata": {"ImageList": {}},
        }
    ]


@pytest.mark.parametrize("signal_type", ["EDS_TEM", "EDS_SEM", "EDS", " eds_tem "])
def test_a_binary_spectrum_whose_metadata_marks_x_rays_is_refused(signal_type):
    # .dm3/.hspy EDS spectra were read as EELS, their photon energies as losses
    with pytest.raises(
        ValueError, match=rf"'s.dm3': its metadata's signal_type '{signal_type.strip()}' marks an "
        r"X-ray spectrum .*pass an EELS spectrum",
    ):  # fmt: skip
        signal_image(dm3_signals(signal_type), "s.dm3").spectrum()


@pytest.mark.parametrize("signal_type", ["EELS", "", None, "EDS/EELS"])
def test_a_binary_eels_or_untyped_spectrum_is_read(signal_type):
    spectrum = signal_image(dm3_signals(signal_type), "s.dm3").spectrum()
    np.testing.assert_allclose(spectrum.energy[[0, -1]], [100.0, 1090.0])
    assert spectrum.metadata["General"]["title"] == "spectrum"


def test_read_eels_refuses_an_eds_dm3_through_its_reader(tmp_path, monkeypatch):
    stand_in_reader(monkeypatch, "digitalmicrograph", lambda path, lazy: dm3_signals("EDS_TEM"))
    path = tmp_path / "eds.dm3"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="eds.dm3': its metadata's signal_type 'EDS_TEM'"):
        read_eels(path)


ENERGY_AXIS = {"name": "Energy loss", "size": 100, "offset": 0.4, "scale": 0.0005,
               "units": "keV", "navigate": False}  # fmt: skip


def write_hspy(path: Path, data, energy_axis: dict = ENERGY_AXIS, signal_type: str = "EELS"):
    """Write ``data`` (..., E) with HyperSpy's format (``rsciio.hspy.file_writer``): the
    last axis ``energy_axis``, the others navigation axes of 1 nm pixels."""
    hspy = pytest.importorskip("rsciio.hspy")
    navigation = [{"name": f"axis {i}", "size": n, "offset": 0.0, "scale": 1.0, "units": "nm",
                   "navigate": True} for i, n in enumerate(np.shape(data)[:-1])]  # fmt: skip
    signal = {
        "data": np.asarray(data),
        "axes": [*navigation, {**energy_axis, "size": np.shape(data)[-1]}],
        "metadata": {"General": {"title": path.stem}, "Signal": {"signal_type": signal_type}},
        "original_metadata": {}, "tmp_parameters": {}, "attributes": {"_lazy": False},
        "learning_results": {}, "models": {}, "package_info": {"name": "t", "version": "0"},
    }  # fmt: skip
    hspy.file_writer(str(path), signal, show_progressbar=False)
    return path


def test_hspy_spectrum_is_read_and_a_spectrum_image_rejected(tmp_path):
    one = write_hspy(tmp_path / "one.hspy", np.arange(100.0))
    spectrum = read_eels(one)
    np.testing.assert_allclose(spectrum.energy[[0, 1, -1]], [400.0, 400.5, 449.5])
    np.testing.assert_array_equal(spectrum.counts, np.arange(100.0))
    assert spectrum.metadata["General"]["title"] == "one"
    line = write_hspy(tmp_path / "line.hspy", np.ones((3, 100)))
    with pytest.raises(ValueError, match=r"line\.hspy' holds a spectrum image of 1 x 3 pixel.*"
                       "adaptive identify"):  # fmt: skip
        read_eels(line)


@pytest.mark.parametrize("shape", [(1, 100), (1, 1, 100), (1, 1, 1, 100)])
def test_a_one_pixel_spectrum_image_is_read_as_its_spectrum(tmp_path, shape):
    # it was refused: "holds data of shape (1, 100), not a single spectrum"
    counts = np.arange(100.0) + 1
    spectrum = read_eels(write_hspy(tmp_path / "pixel.hspy", counts.reshape(shape)))
    np.testing.assert_array_equal(spectrum.counts, counts)
    np.testing.assert_allclose(spectrum.energy[[0, -1]], [400.0, 449.5])


def stand_in_reader(monkeypatch, module: str, file_reader) -> None:
    """A stand-in ``rsciio.<module>`` whose ``file_reader`` is ``file_reader``."""
    stand_in = types.ModuleType(f"rsciio.{module}")
    stand_in.file_reader = file_reader
    monkeypatch.setitem(sys.modules, "rsciio", types.ModuleType("rsciio"))
    monkeypatch.setitem(sys.modules, f"rsciio.{module}", stand_in)


def stand_in_hspy(monkeypatch, axis: dict, size: int) -> None:
    """A stand-in ``rsciio.hspy`` whose reader returns one spectrum of ``size`` ones on ``axis``."""
    signal = {"data": np.ones(size), "axes": [axis], "metadata": {}}
    stand_in_reader(monkeypatch, "hspy", lambda path, lazy: [signal])


def fail(error: Exception):
    """A file reader that raises ``error``, as rosettasciio's do on a broken file."""

    def file_reader(path, lazy):
        raise error

    return file_reader


@pytest.mark.parametrize(
    "name, module, error, message",
    [
        ("cut.dm3", "digitalmicrograph", struct.error("unpack requires a buffer of 1 bytes"),
         r"DigitalMicrograph \.dm3 file \(struct\.error: unpack requires"),
        ("fake.dm4", "digitalmicrograph", NotImplementedError("only DM versions 3 and 4 "),
         r"DigitalMicrograph \.dm4 file \(NotImplementedError: only DM versions 3 and 4\)"),
        ("cut.hspy", "hspy", OSError("Unable to synchronously open file (truncated file)"),
         r"HyperSpy \.hspy file \(OSError: Unable to synchronously open file"),
    ],
    ids=["struct.error", "NotImplementedError", "OSError"],
)  # fmt: skip
def test_a_file_the_reader_cannot_parse_is_named_with_the_error_and_the_fix(
    tmp_path, monkeypatch, name, module, error, message
):
    stand_in_reader(monkeypatch, module, fail(error))
    path = tmp_path / name
    path.write_bytes(b"\x00\x00\x00\x03")
    with pytest.raises(ValueError, match=message) as caught:
        read_eels(path)
    assert str(caught.value).startswith(repr(str(path)))
    assert "complete" in str(caught.value) and "re-export it" in str(caught.value)


@pytest.mark.parametrize(
    "name, data",
    [("text.dm3", b"not a DigitalMicrograph file\n"), ("cut.dm3", b"\x00\x00\x00\x03" + bytes(12)),
     ("cut.hspy", b"\x89HDF\r\n\x1a\n" + bytes(40))],
    ids=["text.dm3", "cut.dm3", "cut.hspy"],
)  # fmt: skip
def test_broken_binary_files_are_refused_by_rosettasciio(tmp_path, name, data):
    pytest.importorskip(f"rsciio.{BINARY_SUFFIXES[Path(name).suffix]}")
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError, match=rf"{name}' cannot be read as a .*; check that it is"):
        read_eels(path)


def test_a_non_uniform_hspy_axis_is_read_from_its_points(tmp_path, monkeypatch):
    points = 0.4 + 0.0005 * np.arange(100) + 1e-7 * np.arange(100) ** 2  # keV, not uniform
    stand_in_hspy(monkeypatch, {"name": "Energy loss", "units": "keV", "axis": points}, 100)
    path = tmp_path / "s.hspy"
    path.write_bytes(b"")
    np.testing.assert_allclose(read_eels(path).energy, 1000 * points)


@pytest.mark.parametrize("axis", [{"units": "eV"}, {"units": "eV", "scale": 0.5}])
def test_an_hspy_axis_without_points_or_scale_and_offset_is_refused(tmp_path, monkeypatch, axis):
    stand_in_hspy(monkeypatch, axis, 100)
    path = tmp_path / "s.hspy"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match=r"s\.hspy'.*no 'axis' array and no 'scale' and 'offset'"):
        read_eels(path)


def test_no_positive_counts_names_the_source_and_the_fix():
    energy = np.arange(500.0, 510.0)
    with pytest.raises(ValueError, match=r"^blank\.msa: .* window 500\.\.509 eV.* background-only"):
        to_channels(energy, np.zeros(10), source="blank.msa")


def test_msa_with_several_values_per_line(tmp_path):
    header = "#NPOINTS : 6\n#NCOLUMNS : 3\n#XPERCHAN : 0.5\n#OFFSET : 500\n"
    y = read_msa(write(tmp_path, "y.msa", header + "#SPECTRUM :\n1, 2, 3\n4, 5, 6\n#ENDOFDATA :\n"))
    np.testing.assert_allclose(y.energy, 500 + 0.5 * np.arange(6))
    np.testing.assert_allclose(y.counts, [1, 2, 3, 4, 5, 6])
    pairs = "#NCOLUMNS : 2\n#DATATYPE : XY\n#SPECTRUM :\n10 1 11 2\n12 3 13 4\n"
    xy = read_msa(write(tmp_path, "xy.msa", pairs))
    np.testing.assert_allclose(xy.energy, [10, 11, 12, 13])
    np.testing.assert_allclose(xy.counts, [1, 2, 3, 4])


def test_msa_numbers_may_carry_a_unit_and_markers_need_no_colon(tmp_path):
    header = "#NPOINTS : 3 pts\n#XPERCHAN : 0.5 eV\n#OFFSET : 500.0 eV\n"
    text = header + "#SPECTRUM\n1\n2\n3\n#ENDOFDATA\n"
    spectrum = read_eels(write(tmp_path, "unit.msa", text))
    np.testing.assert_allclose(spectrum.energy, [500, 500.5, 501])
    np.testing.assert_allclose(spectrum.counts, [1, 2, 3])


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("500,0\t12,5\n501,0\t13,1\n", 1),  # was read as energy 500, 501 and counts 0, 0
        ("Energy (eV);Counts\n500,5;1200,3\n501,5;1210,8\n", 2),  # semicolon CSV
        ("# beam: 300 kV\n500,5\t1200\n501,5\t1210\n", 2),  # integer counts
    ],
)
@pytest.mark.parametrize("reader", [read_eels, read_eels_text])
def test_decimal_commas_are_refused_not_misread(tmp_path, text, line, reader):
    path = write(tmp_path, "dc.txt", text)
    with pytest.raises(ValueError, match=rf"dc\.txt line {line}: .*write decimal points"):
        reader(path)


@pytest.mark.parametrize(
    "text",
    ["500.5,1200\n501.5,1300\n", "500.5, 1200\n501.5, 1300\n", "500.5;1200\n501.5;1300\n"],
)
def test_ordinary_csv_is_still_read(tmp_path, text):
    spectrum = read_eels(write(tmp_path, "s.csv", text))
    np.testing.assert_allclose(spectrum.energy, [500.5, 501.5])
    np.testing.assert_allclose(spectrum.counts, [1200, 1300])
    integers = read_eels(write(tmp_path, "i.csv", "500,1200\n501,1300\n"))
    np.testing.assert_allclose(integers.counts, [1200, 1300])


def test_read_eels_detects_msa_markers_as_read_msa_reads_them(tmp_path):
    # "# SPECTRUM :" went to the text reader, which refused the one-column data
    text = "#XPERCHAN : 1\n#OFFSET : 500\n# SPECTRUM :\n1\n2\n3\n# ENDOFDATA :\n"
    path = write(tmp_path, "space.msa", text)
    for reader in (read_eels, read_msa):
        spectrum = reader(path)
        np.testing.assert_allclose(spectrum.energy, [500, 501, 502])
        np.testing.assert_allclose(spectrum.counts, [1, 2, 3])


def test_a_spectrum_comment_in_a_two_column_file_stays_text(tmp_path):
    # without an MSA header keyword the comment is no #SPECTRUM marker of an MSA file
    text = "# Spectrum : Mn L2,3 edge, sample A\n640 1\n641 2\n642 3\n"
    spectrum = read_eels(write(tmp_path, "mn.txt", text))
    np.testing.assert_allclose(spectrum.energy, [640, 641, 642])
    np.testing.assert_allclose(spectrum.counts, [1, 2, 3])


@pytest.mark.parametrize("npoints", ["nan", "inf", "-inf", "2.5"])
def test_msa_npoints_must_be_a_finite_count(tmp_path, npoints):
    text = f"#NPOINTS : {npoints}\n#XPERCHAN : 1\n#OFFSET : 500\n#SPECTRUM :\n1\n2\n"
    with pytest.raises(ValueError, match=r"#NPOINTS must be a whole number of points"):
        read_eels(write(tmp_path, "n.msa", text))


def test_partly_covered_edge_channels_are_scaled_to_a_full_channel():
    # 10 counts per eV: 2 per 0.2 eV point; extents 99.9 .. 200.1 eV
    energy = 100.0 + 0.2 * np.arange(501)
    channels, window = to_channels(energy, np.full(501, 2.0), normalise=False)
    assert tuple(window) == (100, 200)  # 0.6 eV of channels 100 and 200 are covered
    np.testing.assert_allclose(channels[100:201], 10.0, rtol=1e-6)
    assert channels[99] == channels[201] == 0
    # extents 100.1 .. 149.9 eV: 0.4 eV of channels 100 and 150, too little to keep
    energy = 100.2 + 0.2 * np.arange(249)
    channels, window = to_channels(energy, np.full(249, 2.0), normalise=False)
    assert tuple(window) == (101, 149)
    np.testing.assert_allclose(channels[101:150], 10.0, rtol=1e-6)
    assert channels[100] == channels[150] == 0


@pytest.mark.parametrize(
    "axis",
    [
        "#XPERCHAN -keV: 0.0002\n#OFFSET -keV: 0.36\n",
        "#XPERCHAN : 0.0002 keV\n#OFFSET : 0.36 keV\n",
        "#XUNITS : keV\n#XPERCHAN : 0.0002\n#OFFSET : 0.36\n",
        "#XUNITS : keV\n#XPERCHAN -eV: 0.2\n#OFFSET : 0.36\n",  # a keyword's unit wins
        "#XUNITS : <undefined>\n#XPERCHAN -eV: 0.2\n#OFFSET -eV: 360\n",
        # units per channel or after a title
        "#XUNITS : Energy Loss (eV)\n#XPERCHAN : 0.2\n#OFFSET : 360\n",
        "#XUNITS : eV\n#XPERCHAN : 0.2 eV/ch\n#OFFSET : 360 eV\n",
        "#XPERCHAN -eV/ch : 0.2\n#OFFSET -eV : 360\n",
        "#XUNITS : Energy loss [keV]\n#XPERCHAN : 0.0002 keV/channel\n#OFFSET : 0.36\n",
        "#XUNITS : eV per channel\n#XPERCHAN : 0.2\n#OFFSET : 360\n",
    ],
)
def test_msa_axis_units_are_converted_to_ev(tmp_path, axis):
    text = "#NPOINTS : 5\n#DATATYPE : Y\n" + axis + "#SPECTRUM :\n1\n2\n3\n4\n5\n#ENDOFDATA :\n"
    spectrum = read_eels(write(tmp_path, "kevunit.msa", text))
    np.testing.assert_allclose(spectrum.energy, 360 + 0.2 * np.arange(5))


@pytest.mark.parametrize(
    "header",
    ["Energy (keV)\tCounts\n", "E_keV,counts\n", "# xunits: keV\n", "Energy [keV] Counts\n"],
)
def test_text_energies_titled_in_kev_are_converted(tmp_path, header):
    rows = "".join(f"{0.5 + 0.001 * i:.4f}\t{100 + i}\n" for i in range(40))
    spectrum = read_eels_text(write(tmp_path, "kev.txt", header + rows))
    np.testing.assert_allclose(spectrum.energy, 500 + np.arange(40))
    assert tuple(to_channels(spectrum.energy, spectrum.counts)[1]) == (500, 539)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "nm.msa",
            "#DATATYPE : Y\n#XUNITS : nm\n#XPERCHAN : 0.2\n#OFFSET : 360\n#SPECTRUM :\n1\n2\n",
        ),
        ("chan.msa", "#DATATYPE : Y\n#XPERCHAN -channel: 1\n#OFFSET : 0\n#SPECTRUM :\n1\n2\n"),
        ("nm.txt", "Wavelength (nm)\tCounts\n500\t1\n501\t2\n"),
        ("MeV.txt", "# xunits: MeV\n500\t1\n501\t2\n"),
        (
            "wl.msa",
            "#XUNITS : Wavelength (nm)\n#XPERCHAN : 1\n#OFFSET : 0\n#SPECTRUM :\n1\n2\n",
        ),
    ],
)
def test_energies_in_units_other_than_ev_kev_or_mev_are_refused_by_name(tmp_path, name, text):
    with pytest.raises(ValueError, match=rf"{name}: energy units .* are not eV, keV or meV"):
        read_eels(write(tmp_path, name, text))


def test_an_axis_in_kev_read_as_ev_is_named_with_a_hint(tmp_path):
    rows = "".join(f"{0.36 + 0.0002 * i:.4f} {100 + i}\n" for i in range(2048))
    spectrum = read_eels(write(tmp_path, "nounit.txt", rows))
    with pytest.raises(ValueError, match=r"nounit\.txt: energies .* multiply the energies by 1000"):
        to_channels(spectrum.energy, spectrum.counts, source=spectrum.source)
    with pytest.raises(ValueError, match=r"^energies .*need at least 2$"):  # a core-loss range
        to_channels(np.array([3071.2, 3071.4]), np.ones(2))


def test_a_nan_count_is_named_by_its_index():
    # "counts holds NaN or infinite values" named no point
    counts = np.ones(50)
    counts[17] = np.nan
    with pytest.raises(ValueError, match=r"^counts\[17\] = nan is not finite; drop or fix"):
        to_channels(np.linspace(100.0, 150.0, 50), counts)


def test_an_ev_axis_labelled_kev_is_named_with_a_hint(tmp_path):
    # it was told to pass a core-loss spectrum, not that its unit was wrong
    rows = "".join(f"{360.0 + 0.2 * i:.1f} {100 + i}\n" for i in range(2048))
    spectrum = read_eels(write(tmp_path, "labelled.txt", "Energy (keV) Counts\n" + rows))
    with pytest.raises(
        ValueError, match=r"labelled\.txt: energies 360000.0\.\..* or in eV but labelled keV "
    ):
        to_channels(spectrum.energy, spectrum.counts, source=spectrum.source)
    with pytest.raises(ValueError, match=r"eV; pass a core-loss spectrum in that range$"):
        to_channels(np.linspace(5000.0, 5400.0, 2001), np.ones(2001))  # a real loss: no hint
    with pytest.raises(ValueError, match=r"is the axis in meV, or in eV but labelled keV"):
        to_channels(np.linspace(150e3, 273e3, 2048), np.ones(2048))  # B K, 188 eV, in meV


def test_an_untitled_mev_axis_is_told_to_divide_by_1000(tmp_path):
    # it was asked whether the axis was "in eV but labelled keV": the file has no label
    rows = "".join(f"{480000.0 + 500 * i:.1f} {1000 - i}\n" for i in range(280))
    spectrum = read_eels(write(tmp_path, "mev.txt", rows))
    with pytest.raises(ValueError, match=r"in meV, .* divide meV by 1000, label an eV axis eV$"):
        to_channels(spectrum.energy, spectrum.counts, source=spectrum.source)


@pytest.mark.parametrize("counts", [np.ones(50) + 1j, np.array(["a"] * 50, dtype=object)])
def test_complex_or_non_numeric_counts_get_a_value_error_naming_them(counts):
    with pytest.raises(ValueError, match="counts must be real numbers"):
        to_channels(np.linspace(100.0, 150.0, 50), counts)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        (",Energy (keV),Counts", ",{e:.4f},{c}\n"),  # a spreadsheet's empty column A
        ("\tEnergy (keV)\tCounts", "\t{e:.4f}\t{c}\n"),  # tab-indented lines
        (",Energy (keV),Counts", "{i},{e:.4f},{c}\n"),  # a pandas index column
    ],
)
def test_text_energy_and_its_unit_come_from_the_energy_column(tmp_path, header, row):
    rows = "".join(row.format(i=i, e=0.5 + 0.001 * i, c=100 + i) for i in range(40))
    spectrum = read_eels_text(write(tmp_path, "sheet.csv", header + "\n" + rows))
    np.testing.assert_allclose(spectrum.energy, 500 + np.arange(40))
    np.testing.assert_allclose(spectrum.counts, 100 + np.arange(40))


def test_text_rows_after_an_index_column_need_energy_and_counts(tmp_path):
    text = ",Energy,Counts\n0,500,1\n1,501\n"
    with pytest.raises(ValueError, match=r"line 3 has 2 values, expected 3"):
        read_eels_text(write(tmp_path, "short.csv", text))


@pytest.mark.parametrize(
    ("energy", "message", "not_message"),
    [
        ([500.0, 501.0, 501.0, 502.0], r"point 2 repeats 501\.0 eV; remove the duplicate", "sort"),
        ([500.0, 502.0, 501.0], r"point 2 \(501\.0 eV\) follows 502\.0 eV; sort", "duplicate"),
        # a dispersion of 0: removing the duplicates left one point
        ([360.0] * 5, r"every point is 360\.0 eV \(a dispersion of 0\); set the axis", "duplicate"),
    ],
)
def test_energies_that_do_not_increase_get_the_fix_that_fits(energy, message, not_message):
    # duplicate energies were told to sort the spectrum, which leaves them duplicate
    with pytest.raises(ValueError, match=message) as caught:
        to_channels(np.array(energy), np.ones(len(energy)))
    assert not_message not in str(caught.value)


@pytest.mark.parametrize("name", ["folder.msa", "folder.dm3"])
def test_a_directory_is_named_as_one_not_as_missing(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(IsADirectoryError, match=f"{name}' is a directory, not a file"):
        read_eels(tmp_path / name)


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # a channel number first was read as the energy, the energy as the counts
        ("Channel,Energy loss (eV),Counts", "{i},{e},{c}"),
        ("index,Energy (keV),Counts", "{i},{k},{c}"),
        ("Counts,Energy (eV)", "{c},{e}"),  # refused as "energy must increase strictly"
        ("Intensity\tTime\tkeV", "{c}\t{i}\t{k}"),
        ("eV;cts;background", "{e};{c};1"),
    ],
)
def test_text_columns_are_chosen_by_their_titles(tmp_path, header, row):
    rows = "".join(
        row.format(i=i, e=500.0 + i, k=0.5 + 0.001 * i, c=100 + 3 * i) + "\n" for i in range(40)
    )
    spectrum = read_eels(write(tmp_path, "titled.csv", header + "\n" + rows))
    np.testing.assert_allclose(spectrum.energy, 500 + np.arange(40))
    np.testing.assert_allclose(spectrum.counts, 100 + 3 * np.arange(40))


def test_an_energy_loss_title_of_two_words_titles_one_column(tmp_path):
    # space-separated, it was two titles: four over three columns, refused
    text = "Channel Energy Loss (eV) Counts\n0 500 9\n1 501 8\n2 502 7\n"
    spectrum = read_eels(write(tmp_path, "titled.txt", text))
    np.testing.assert_allclose(spectrum.energy, [500, 501, 502])
    np.testing.assert_allclose(spectrum.counts, [9, 8, 7])


def test_untitled_text_still_reads_the_first_two_columns(tmp_path):
    spectrum = read_eels(write(tmp_path, "three.txt", "500 1 9\n501 2 9\n"))
    np.testing.assert_allclose(spectrum.energy, [500, 501])
    np.testing.assert_allclose(spectrum.counts, [1, 2])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("Channel,Loss_index,Counts", r"titles \['channel', 'loss_index', 'counts'\] name no "
         r"energy column; title it 'Energy \(eV\)'"),
        ("Channel Energy Loss (eV) Counts Background", "gives 4 column titles but the data rows"),
        ("Time,Energy (eV)", r"energy is the last column \(2\).*title the counts column"),
    ],
)  # fmt: skip
def test_titles_that_pick_no_energy_or_counts_column_are_refused_with_the_fix(
    tmp_path, header, message
):
    width = len(header.split(",")) if "," in header else 3
    rows = "".join(",".join([str(500 + i)] * width) + "\n" for i in range(3))
    with pytest.raises(ValueError, match=message):
        read_eels(write(tmp_path, "t.csv", header + "\n" + rows))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("desc.txt", "Energy (eV),Counts\n503,4\n502,3\n501,2\n500,1\n"),
        ("desc.msa", "#DATATYPE : XY\n#SPECTRUM :\n503, 4\n502, 3\n501, 2\n500, 1\n"),
    ],
)
def test_energies_recorded_high_to_low_are_reversed_with_their_counts(tmp_path, name, text):
    # refused with "sort the spectrum by energy, or reverse both arrays"
    spectrum = read_eels(write(tmp_path, name, text))
    np.testing.assert_allclose(spectrum.energy, [500, 501, 502, 503])
    np.testing.assert_allclose(spectrum.counts, [1, 2, 3, 4])


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("nan.txt", "# a comment\nE,Counts\n500,1\n\nnan,2\n", "energy is nan at line 5"),
        ("nan.msa", "#DATATYPE : XY\n#SPECTRUM :\n500, 1\n501, 2, inf, 3\n", "inf at line 4"),
        ("desc.txt", "503 1\n502 1\n502 1\n501 1\n", r"line 2 repeats 502\.0 eV"),
    ],
)
def test_bad_points_of_a_file_are_named_by_their_line(tmp_path, name, text, message):
    # they were counted from 0 among the data points ("counts is nan at point 1")
    with pytest.raises(ValueError, match=message):
        read_eels(write(tmp_path, name, text))


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # numpy.savetxt(header=...) comments the title line, which was dropped: the keV
        # axis was refused as "below 100 eV", the channel column read as the energy
        ("# Energy (keV)  Counts\n", "{k} {c}\n"),
        ("# Channel Energy(eV) Counts\n", "{i} {e} {c}\n"),
        ("# recorded 2024\n# Energy (keV)  Counts\n# ----\n", "{k} {c}\n"),  # free text, rule
        ("# Energy (keV)  Spectrum\n", "{k} {c}\n"),  # two columns: an energy with its unit
    ],
)
def test_a_commented_title_line_picks_the_columns_and_unit(tmp_path, header, row):
    rows = "".join(row.format(i=i, e=500.0 + i, k=0.5 + 0.001 * i, c=100 + i) for i in range(40))
    spectrum = read_eels(write(tmp_path, "saved.txt", header + rows))
    np.testing.assert_allclose(spectrum.energy, 500 + np.arange(40))
    np.testing.assert_allclose(spectrum.counts, 100 + np.arange(40))
    assert spectrum.metadata["header"].startswith(("# Energy", "# Channel"))


@pytest.mark.parametrize(
    ("comment", "row"),
    [
        # free text whose words are titles ("energy", "loss") was taken as the title line:
        # three columns read energy from the counts column, two were refused ("7 column
        # titles but the data rows have 2")
        ("# EELS energy loss\n", "{e} {c} 7\n"),
        ("# measured energy loss\n", "{e} {c} 7\n"),
        ("# Energy loss spectrum of a Fe3O4 flake\n", "{e} {c}\n"),
        ("# intensity vs energy loss\n", "{e} {c}\n"),
        ("# Energy scan\n", "{e} {c}\n"),
        ("# Counts in eV\n", "{e} {c}\n"),
        ("# Channel Energy Loss (eV) Counts Background\n", "{e} {c} 9\n"),  # 4: passed over
    ],
)
def test_a_free_text_comment_is_not_taken_for_the_column_titles(tmp_path, comment, row):
    rows = "".join(row.format(e=400.0 + i, c=1000 + 3 * i) for i in range(40))
    spectrum = read_eels(write(tmp_path, "commented.txt", comment + rows))
    np.testing.assert_allclose(spectrum.energy, 400 + np.arange(40))
    np.testing.assert_allclose(spectrum.counts, 1000 + 3 * np.arange(40))
    assert "header" not in spectrum.metadata


X_RAY = "an X-ray .*EELS"
PHOTOEMISSION = "a photoelectron .*fit peaks"  # an XPS Cu 2p named Pr (review C23)


@pytest.mark.parametrize(
    ("signal", "marks"),
    [
        *(
            (s, X_RAY)
            for s in ["EDS_TEM", "EDS_SEM", "EDS", "eds", "WDS", "XRF", "XEDS", "EDS/TEM"]
        ),
        *((s, PHOTOEMISSION) for s in ["XPS", "xps", "PES", "AES", "UPS"]),
    ],
)
def test_an_x_ray_or_photoemission_msa_is_refused_by_its_signal_type(tmp_path, signal, marks):
    text = f"#FORMAT : EMSA/MAS\n#SIGNALTYPE : {signal}\n#XUNITS : keV\n#XPERCHAN : 0.01\n"
    path = write(tmp_path, "eds.msa", text + "#OFFSET : 0.1\n#SPECTRUM :\n5\n6\n#ENDOFDATA :\n")
    for reader in (read_eels, read_msa):
        with pytest.raises(ValueError, match=rf"#SIGNALTYPE '{signal}' marks {marks}"):
            reader(path)


@pytest.mark.parametrize("signal", ["ELS", "EELS", "unknown", "", "EDS-EELS", "EDS/EELS"])
def test_an_eels_or_unknown_msa_signal_type_is_read(tmp_path, signal):
    text = f"#FORMAT : EMSA/MAS\n#SIGNALTYPE : {signal}\n#XPERCHAN : 1\n#OFFSET : 500\n"
    path = write(tmp_path, "s.msa", text + "#SPECTRUM :\n5\n6\n#ENDOFDATA :\n")
    np.testing.assert_allclose(read_eels(path).energy, [500, 501])
