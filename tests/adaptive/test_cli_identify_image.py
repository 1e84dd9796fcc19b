"""``adaptive identify`` on EELS spectrum images: element maps of every pixel."""

import dataclasses
import json

import numpy as np
import pytest

from adaptive.cli import main
from simulators.eels import ELEMENTS
from surrogates import eels_map
from surrogates.eels_identifier import EELSIdentifier, edge_inside
from surrogates.eels_map import identify_cube
from tests.simulators.test_eels_files import write_hspy
from tests.surrogates.test_eels_map import COMMITTED, two_region_cube

pytestmark = pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")


@pytest.fixture(scope="module")
def two_regions():
    """cube (6, 8, E), its energy axis (E,) eV, labels (2, 80), regions (6, 8)."""
    return two_region_cube(EELSIdentifier.load(), (6, 8))


def write_image(path, cube, energy, signal_type: str = "EELS"):
    """``cube`` (..., E) on ``energy`` (E,), 1 eV apart, as a HyperSpy file."""
    axis = {"name": "Energy loss", "offset": float(energy[0]), "scale": 1.0, "units": "eV",
            "navigate": False}  # fmt: skip
    return write_hspy(path, cube, axis, signal_type)


def identify(capsys, *argv) -> tuple[int, dict | None, str]:
    """Run ``adaptive identify ARGV --json``: exit code, printed result, stderr."""
    code = main(["identify", *map(str, argv), "--json"])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else None, err


def test_identify_maps_the_elements_of_a_spectrum_image(tmp_path, monkeypatch, capsys, two_regions):
    # it refused: "pick or sum one spectrum from the spectrum image first"
    cube, energy, labels, regions = two_regions
    monkeypatch.chdir(tmp_path)
    code, result, err = identify(capsys, write_image(tmp_path / "si.hspy", cube, energy))
    assert code == 0, err
    assert result["shape"] == [6, 8] and result["source"] == str(tmp_path / "si.hspy")
    assert result["figure"] == "si.maps.png"
    assert (tmp_path / "si.maps.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert result["thresholds"].keys() == result["present"].keys()
    for j in np.flatnonzero(labels.any(axis=0)):  # each half's elements: half the pixels or all
        share = labels[:, j].mean()
        assert result["present"][ELEMENTS[j]] == pytest.approx(share, abs=0.1), ELEMENTS[j]
    maps = identify_cube(cube, energy, EELSIdentifier.load()).probabilities
    for region in (0, 1):
        for j in np.flatnonzero(labels[region] & ~labels[1 - region]):
            assert maps[regions == region, j].mean() > maps[regions != region, j].mean() + 0.5


def test_identify_maps_the_elements_asked_for(tmp_path, monkeypatch, capsys, two_regions):
    cube, energy, labels, _ = two_regions
    path = write_image(tmp_path / "si.hspy", cube, energy)
    drawn = []
    plot = eels_map.plot_probability_maps

    def spy(result, elements, figure, navigation):
        drawn.append(elements)
        return plot(result, elements, figure, navigation)

    monkeypatch.setattr(eels_map, "plot_probability_maps", spy)
    asked = [ELEMENTS[np.flatnonzero(labels[0])[0]], "Bi"]
    code, result, err = identify(capsys, path, "--elements", " , ".join(asked), "--figure",
                                 tmp_path / "asked")  # fmt: skip
    assert code == 0, err
    assert drawn == [asked] and result["figure"] == str(tmp_path / "asked.png")
    assert (tmp_path / "asked.png").is_file()


def test_unknown_elements_are_refused_before_the_cube_is_computed(
    tmp_path, monkeypatch, capsys, two_regions
):
    cube, energy, _, _ = two_regions
    monkeypatch.setattr(eels_map, "identify_cube", None)
    path = write_image(tmp_path / "si.hspy", cube, energy)
    code, result, err = identify(capsys, path, "--elements", "Fe,Xx", "--figure", tmp_path / "f")
    assert code == 2 and result is None
    assert err == "error: --elements Fe,Xx: unknown element 'Xx'; name elements the networks " \
        "identify by their symbols, Be to Bi (Z = 4 to 83), e.g. Fe or O\n"  # fmt: skip
    assert not (tmp_path / "f.png").exists()


def test_identify_maps_a_line_scan(tmp_path, capsys, two_regions):
    cube, energy, labels, _ = two_regions
    path = write_image(tmp_path / "line.hspy", cube[0], energy)  # (8, E)
    code, result, err = identify(capsys, path, "--figure", tmp_path / "line.png")
    assert code == 0, err
    assert result["shape"] == [1, 8] and (tmp_path / "line.png").is_file()
    assert {ELEMENTS[j] for j in np.flatnonzero(labels.any(axis=0))} <= result["present"].keys()


def test_without_json_the_maps_print_as_indented_json(tmp_path, capsys, two_regions):
    cube, energy, _, _ = two_regions
    path = write_image(tmp_path / "si.hspy", cube, energy)
    assert main(["identify", str(path), "--figure", str(tmp_path / "si.png")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("{\n") and json.loads(out)["shape"] == [6, 8]


def test_a_one_pixel_image_is_identified_as_a_spectrum(tmp_path, monkeypatch, capsys, two_regions):
    # it was refused: "holds data of shape (1, 1, E), not a single spectrum"
    cube, energy, labels, _ = two_regions
    monkeypatch.chdir(tmp_path)
    path = write_image(tmp_path / "pixel.hspy", cube[:1, :1], energy)
    code, result, err = identify(capsys, path)
    assert code == 0, err
    assert set(result["present"]) == {ELEMENTS[j] for j in np.flatnonzero(labels[0])}
    assert len(result["probabilities"]) == 80 and result["figure"] == "pixel.elements.png"
    code, result, err = identify(capsys, path, "--elements", "Fe")
    assert code == 2 and result is None
    assert err.startswith("error: --elements picks the maps of a spectrum image, but ")
    assert err.count("\n") == 1
    code, result, err = identify(capsys, path, "--probabilities", tmp_path / "p.npy")
    assert code == 2 and result is None
    assert err.startswith("error: --probabilities saves the maps of a spectrum image, but ")


def test_an_eds_spectrum_image_is_refused_in_one_line(tmp_path, capsys, two_regions):
    cube, energy, _, _ = two_regions
    path = write_image(tmp_path / "eds.hspy", cube, energy, signal_type="EDS_TEM")
    code, result, err = identify(capsys, path)
    assert code == 2 and result is None
    assert err.startswith(f"error: {str(path)!r}: its metadata's signal_type 'EDS_TEM' marks")
    assert err.count("\n") == 1


def test_no_element_present_prints_the_result_without_a_figure(
    tmp_path, monkeypatch, capsys, two_regions
):
    cube, energy, _, _ = two_regions

    def nothing_present(*args, **kwargs):
        return dataclasses.replace(identify_cube(*args, **kwargs), present_elements={})

    monkeypatch.setattr(eels_map, "identify_cube", nothing_present)
    monkeypatch.chdir(tmp_path)
    code, result, err = identify(capsys, write_image(tmp_path / "si.hspy", cube, energy))
    assert code == 0 and err == ""
    assert result["present"] == {} and result["figure"] is None
    assert "no map was drawn; name the elements to map with --elements" in result["warnings"][-1]
    assert not (tmp_path / "si.maps.png").exists()


def test_scattered_elements_are_printed_and_the_warning_states_the_rule(
    tmp_path, monkeypatch, capsys, two_regions
):
    cube, energy, _, _ = two_regions

    def only_scattered(*args, **kwargs):
        result = identify_cube(*args, **kwargs)
        return dataclasses.replace(result, present_elements={}, scattered={"Sb": 0.02})

    monkeypatch.setattr(eels_map, "identify_cube", only_scattered)
    monkeypatch.chdir(tmp_path)
    code, result, _ = identify(capsys, write_image(tmp_path / "si.hspy", cube, energy))
    assert code == 0 and result["scattered"] == {"Sb": 0.02}
    assert (
        "50% of them beside another such pixel, or 4 of them in one cluster touching side or "
        "corner, more than random placements of as many pixels give but in 5% of draws divided "
        "by the number of elements tested" in (result["warnings"][-1])
    )


def test_elements_asked_for_in_any_case_get_their_fractions_and_thresholds(
    tmp_path, capsys, two_regions
):
    # "fe" was an unknown element, and the JSON held the present elements only
    cube, energy, labels, _ = two_regions
    path = write_image(tmp_path / "si.hspy", cube, energy)
    own = ELEMENTS[np.flatnonzero(labels[0] & ~labels[1])[0]]
    code, result, err = identify(capsys, path, "--elements", f"{own.lower()},bi", "--figure",
                                 tmp_path / "asked")  # fmt: skip
    assert code == 0, err
    assert result["fractions"] == {own: 0.5, "Bi": 0.0}
    thresholds = EELSIdentifier.load().thresholds
    assert result["thresholds"]["Bi"] == pytest.approx(thresholds[ELEMENTS.index("Bi")])
    assert result["thresholds"].keys() == {*result["present"], "Bi"}


def test_probabilities_are_saved_and_the_pixel_size_printed(tmp_path, capsys, two_regions):
    cube, energy, _, _ = two_regions
    path = write_image(tmp_path / "si.hspy", cube, energy)
    out = tmp_path / "new" / "p"
    code, result, err = identify(capsys, path, "--probabilities", out, "--figure", tmp_path / "f")
    assert code == 0, err
    assert result["probabilities_file"] == f"{out}.npy"
    saved = np.load(f"{out}.npy")
    assert saved.shape == (6, 8, 80) and saved.dtype == np.float32
    np.testing.assert_allclose(
        saved, identify_cube(cube, energy, EELSIdentifier.load()).probabilities
    )
    nm = {"scale": 1.0, "offset": 0.0, "units": "nm"}  # write_hspy's navigation axes
    assert result["pixel_size"] == {"rows": nm, "columns": nm}


def test_nan_padding_of_an_energy_alignment_loses_no_pixel(tmp_path, capsys, two_regions):
    # each pixel with a NaN was dropped whole: 43 of 48 pixels, "present" 0.06 not 0.5
    cube, energy, labels, _ = two_regions
    shifts = np.random.default_rng(2).integers(-3, 4, cube.shape[:2])
    aligned = cube.copy()
    for (i, j), shift in np.ndenumerate(shifts):  # HyperSpy's align1D(crop=False)
        aligned[i, j] = np.roll(cube[i, j], shift)
        if shift > 0:
            aligned[i, j, :shift] = np.nan
        elif shift < 0:
            aligned[i, j, shift:] = np.nan
    assert np.isnan(aligned).any(axis=-1).sum() > 30
    code, result, err = identify(capsys, write_image(tmp_path / "a.hspy", aligned, energy),
                                 "--figure", tmp_path / "a.png")  # fmt: skip
    assert code == 0, err
    assert result["present"] == {ELEMENTS[j]: 0.5 for j in np.flatnonzero(labels.any(axis=0))}
    assert (result["unidentified_pixels"], result["no_signal_pixels"]) == (0, 0)
    assert result["warnings"] == []


def test_vacuum_pixels_are_counted_not_mapped(tmp_path, capsys, two_regions):
    # dark-subtracted read noise over vacuum came out as Ge, "present" in 35 % of pixels
    cube, energy, labels, _ = two_regions
    vacuum = cube.astype(np.float32)
    vacuum[:3] = np.random.default_rng(5).normal(0, 5, vacuum[:3].shape)
    code, result, err = identify(capsys, write_image(tmp_path / "v.hspy", vacuum, energy),
                                 "--figure", tmp_path / "v.png")  # fmt: skip
    assert code == 0, err
    assert result["present"] == {ELEMENTS[j]: 0.5 for j in np.flatnonzero(labels.any(axis=0))}
    assert (result["unidentified_pixels"], result["no_signal_pixels"]) == (0, 24)
    assert result["warnings"][-1].startswith("24 of the 48 pixels have no signal")


def test_a_corrupt_chunk_names_the_file(tmp_path, capsys, two_regions):
    # h5py's "Can't synchronously read data (filter returned failure during read)" alone
    cube, energy, _, _ = two_regions
    path = write_image(tmp_path / "c.hspy", cube, energy)
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2 : len(raw) // 2 + 2000] = bytes(2000)  # inside the compressed data
    path.write_bytes(bytes(raw))
    code, result, err = identify(capsys, path, "--figure", tmp_path / "c.png")
    assert code == 2 and result is None
    assert err.startswith(
        f"error: {str(path)!r} cannot be read as a HyperSpy .hspy file (OSError: "
    )
    assert err.endswith("re-export it from HyperSpy\n") and err.count("\n") == 1


def test_an_image_is_refused_not_mapped_as_a_line_scan(tmp_path, capsys):
    # a HAADF image without units was mapped as a line scan of 64 "spectra"
    hspy = pytest.importorskip("rsciio.hspy")
    axes = [{"name": name, "size": 64, "offset": 0.0, "scale": 1.0, "navigate": False}
            for name in ("y", "x")]  # fmt: skip
    signal = {"data": np.ones((64, 64), np.float32), "axes": axes,
              "metadata": {"General": {"title": "haadf"}}, "original_metadata": {},
              "tmp_parameters": {}, "attributes": {"_lazy": False}, "learning_results": {},
              "models": {}, "package_info": {"name": "t", "version": "0"}}  # fmt: skip
    hspy.file_writer(str(tmp_path / "haadf.hspy"), signal, show_progressbar=False)
    code, result, err = identify(capsys, tmp_path / "haadf.hspy")
    assert code == 2 and result is None
    assert "has 2 signal axes (y, x), so it holds an image, not EELS spectra" in err


def test_help_names_the_maps_default_and_the_probabilities_file(capsys):
    with pytest.raises(SystemExit):
        main(["identify", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "STEM.maps.png or FOLDER.STEM.maps.png for a spectrum image" in text
    assert "--probabilities OUT.npy" in text and "simulators.eels.ELEMENTS" in text


def test_a_corrupt_chunk_of_one_spectrum_names_the_file(tmp_path, capsys):
    # one spectrum is read lazily too: h5py's message alone came out when it was computed
    counts = np.random.default_rng(0).poisson(1e4, (1, 1, 3000)).astype(np.float32)
    path = write_image(tmp_path / "one.hspy", counts, 100.0 + np.arange(3000.0))
    h5py = pytest.importorskip("h5py")
    with h5py.File(path, "r") as f:  # where the compressed spectrum lies in the file
        chunk = f["Experiments/one/data"].id.get_chunk_info(0)
    raw = bytearray(path.read_bytes())
    raw[chunk.byte_offset : chunk.byte_offset + chunk.size] = bytes(chunk.size)
    path.write_bytes(bytes(raw))
    code, result, err = identify(capsys, path, "--figure", tmp_path / "one.png")
    assert code == 2 and result is None
    assert err.startswith(f"error: {str(path)!r} cannot be read as a HyperSpy .hspy file (")


def test_an_element_asked_for_with_no_edge_in_the_window_is_said_unseen(
    tmp_path, monkeypatch, capsys, two_regions, saved
):
    # La (M5 832 eV) asked of a 430-765 eV image got a dark map titled "La: 0 % of identified
    # pixels" and no word, which reads as "no La here" (review V17)
    cube, energy, labels, _ = two_regions
    window = np.array([[energy[0], energy[-1]]])
    seen = [ELEMENTS[j] for j in np.flatnonzero(edge_inside(window)[0])]
    blind = next(e for e in ELEMENTS if e not in seen)
    shown = ELEMENTS[np.flatnonzero(labels[0])[0]]
    monkeypatch.chdir(tmp_path)
    path = write_image(tmp_path / "si.hspy", cube, energy)
    code, result, err = identify(capsys, path, "--elements", f"{shown},{blind}")
    assert code == 0, err
    assert result["has_edge_in_window"] == seen and shown in seen
    assert result["fractions"][blind] == 0.0
    assert result["warnings"][-1] == (
        f"--elements {blind}: no major edge in the energy window, so the networks cannot see "
        "this element: its map says nothing of it (see has_edge_in_window); measure a window "
        "holding its edges"
    )
    titles = [ax.get_title() for ax in saved[0].axes if ax.get_title()]
    assert titles[0].startswith(f"{shown}: ") and titles[0].endswith("of identified pixels")
    assert titles[1] == f"{blind}: no edge in the window"
