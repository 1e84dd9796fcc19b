"""``read_eels_image``: EELS spectrum images and line scans as (H, W, E) cubes."""

import dask.array as da
import numpy as np
import pytest

from simulators.eels_files import EELSImage, NavigationAxis, read_eels_image, signal_image
from tests.simulators.test_eels_files import ENERGY_AXIS, stand_in_reader, write_hspy


def test_a_spectrum_image_is_read_lazily_as_rows_columns_energy(tmp_path):
    data = np.random.default_rng(0).poisson(100.0, (3, 4, 100)).astype(float)
    image = read_eels_image(write_hspy(tmp_path / "si.hspy", data))
    assert isinstance(image, EELSImage) and isinstance(image.cube, da.Array)
    np.testing.assert_array_equal(image.cube.compute(), data)
    np.testing.assert_allclose(image.energy[[0, 1, -1]], [400.0, 400.5, 449.5])
    assert image.metadata["Signal"]["signal_type"] == "EELS"
    assert image.source == str(tmp_path / "si.hspy")


def test_a_dm4_spectrum_image_is_read_lazily(tmp_path, monkeypatch):
    asked = []

    def file_reader(path, lazy):
        asked.append(lazy)
        energy = {"offset": 400.0, "scale": 1.0, "units": "eV"}
        return [{"data": da.ones((2, 3, 100)), "axes": [{}, {}, energy], "metadata": {}}]

    stand_in_reader(monkeypatch, "digitalmicrograph", file_reader)
    path = tmp_path / "si.dm4"
    path.write_bytes(b"")
    image = read_eels_image(path)
    assert asked == [True] and isinstance(image.cube, da.Array)
    assert image.cube.shape == (2, 3, 100)


@pytest.mark.parametrize(
    ("shape", "cube"),
    [
        ((5, 100), (1, 5, 100)),
        ((100,), (1, 1, 100)),
        ((1, 3, 1, 4, 100), (3, 4, 100)),
        ((3, 1, 100), (3, 1, 100)),  # it became a row, (1, 3, 100)
    ],
    ids=["line scan", "spectrum", "single pixels", "column scan"],
)
def test_a_line_scan_gets_one_row_and_single_pixel_axes_are_dropped(tmp_path, shape, cube):
    data = np.arange(np.prod(shape), dtype=float).reshape(shape)
    image = read_eels_image(write_hspy(tmp_path / "scan.hspy", data))
    assert image.cube.shape == cube
    np.testing.assert_array_equal(np.asarray(image.cube), data.reshape(cube))


def test_an_energy_axis_recorded_high_to_low_is_reversed_with_the_counts(tmp_path):
    data = np.arange(2 * 3 * 100, dtype=float).reshape(2, 3, 100)
    axis = {**ENERGY_AXIS, "offset": 450.0, "scale": -0.5, "units": "eV"}
    image = read_eels_image(write_hspy(tmp_path / "down.hspy", data, axis))
    np.testing.assert_allclose(image.energy[[0, -1]], [400.5, 450.0])
    np.testing.assert_array_equal(np.asarray(image.cube), data[..., ::-1])


def test_an_eds_spectrum_image_is_refused(tmp_path):
    path = write_hspy(tmp_path / "eds.hspy", np.ones((2, 3, 100)), signal_type="EDS_TEM")
    with pytest.raises(ValueError, match=r"eds\.hspy': its metadata's signal_type 'EDS_TEM' marks"):
        read_eels_image(path)


def test_a_stack_of_spectrum_images_is_refused(tmp_path):
    path = write_hspy(tmp_path / "stack.hspy", np.ones((2, 3, 4, 100)))
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4, 100\), a stack of spectrum images"):
        read_eels_image(path)


def test_a_text_spectrum_is_a_one_pixel_image(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text("500 10\n501 12\n502 11\n")
    image = read_eels_image(path)
    assert image.cube.shape == (1, 1, 3)
    np.testing.assert_array_equal(image.spectrum().counts, [10, 12, 11])


def test_an_energy_axis_that_does_not_match_the_channels_is_refused():
    signal = {"data": np.ones((2, 100)), "axes": [{}, {"axis": np.arange(99.0) + 400}]}
    with pytest.raises(ValueError, match="finite energy to each of the 100 channels, but has 99"):
        signal_image([signal], "x.hspy")
    signal["axes"][-1]["axis"] = np.where(np.arange(100) == 5, np.nan, np.arange(100.0) + 400)
    with pytest.raises(ValueError, match="has 100 points, 1 of them NaN"):
        signal_image([signal], "x.hspy")


def axis(name: str, size: int, navigate: bool = True, **calibration) -> dict:
    """A rosettasciio axis dict, as its readers return them."""
    return {"name": name, "size": size, "navigate": navigate, **calibration}


def test_an_image_of_two_signal_axes_is_refused_not_read_as_a_line_scan():
    # a HAADF image (navigate False on both axes) was read as a line scan of 64 spectra
    signal = {"data": np.ones((64, 32)), "axes": [axis("y", 64, False), axis("x", 32, False)]}
    match = r"'haadf\.hspy' has 2 signal axes \(y, x\), so it holds an image, not EELS spectra"
    with pytest.raises(ValueError, match=match):
        signal_image([signal], "haadf.hspy")
    signal["axes"] = [axis("y", 64), axis("x", 32)]
    with pytest.raises(ValueError, match="has 0 signal axes"):
        signal_image([signal], "nav.hspy")


def test_the_navigation_calibration_is_kept():
    # it was dropped: maps were drawn in pixel indices
    energy = axis("E", 100, False, offset=400.0, scale=1.0, units="eV")
    rows = axis("y", 3, offset=10.0, scale=2.0, units="nm")
    columns = axis("x", 4, offset=0.0, scale=0.5, units="<undefined>")
    image = signal_image([{"data": np.ones((3, 4, 100)), "axes": [rows, columns, energy]}], "s")
    assert image.navigation == (NavigationAxis(2.0, 10.0, "nm"), NavigationAxis(0.5, 0.0, ""))
    line = signal_image([{"data": np.ones((4, 100)), "axes": [rows, energy]}], "s")
    assert line.navigation == (NavigationAxis(), NavigationAxis(2.0, 10.0, "nm"))
    column = signal_image([{"data": np.ones((3, 1, 100)), "axes": [rows, columns, energy]}], "s")
    assert column.navigation == image.navigation


def test_a_files_navigation_calibration_is_read(tmp_path):
    image = read_eels_image(write_hspy(tmp_path / "si.hspy", np.ones((2, 3, 100))))
    assert image.navigation == (NavigationAxis(1.0, 0.0, "nm"),) * 2
