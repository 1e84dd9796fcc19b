"""Gatan DM spectrum images and line scans through rosettasciio's real DM reader.

The files are written here byte by byte in the DM4 format (``write_dm4``), so the reader
parses them as it parses a microscope's: it returns a spectrum image as (E, Y, X), the
energy axis marked to navigate and a ``post_process`` step ``to_signal1D`` for HyperSpy.
"""

import struct

import dask.array as da
import numpy as np
import pytest

from simulators.eels_files import read_eels_image

pytest.importorskip("rsciio.digitalmicrograph")


def _tag(name: str, value) -> bytes:
    """One DM4 tag: a group for a dict (named tags) or a list (unnamed ones, as DM's
    ``Dimensions`` and ``ImageList``), else a data tag: a float32 array, a string (uint16
    characters), a float32 or an int32."""
    key = name.encode()
    if isinstance(value, dict | list):
        items = list(value.items()) if isinstance(value, dict) else [("", v) for v in value]
        tags = b"".join(_tag(k, v) for k, v in items)
        body = struct.pack(">bbq", 0, 1, len(items)) + tags
        return struct.pack(">bh", 20, len(key)) + key + struct.pack(">q", len(body)) + body
    if isinstance(value, np.ndarray):
        info, payload = [20, 6, value.size], value.astype("<f4").tobytes()
    elif isinstance(value, str):
        info, payload = [20, 4, len(value)], np.array([ord(c) for c in value], "<u2").tobytes()
    elif isinstance(value, float):
        info, payload = [6], struct.pack("<f", value)
    else:
        info, payload = [3], struct.pack("<i", value)
    body = b"%%%%" + struct.pack(f">q{len(info)}q", len(info), *info) + payload
    return struct.pack(">bh", 21, len(key)) + key + struct.pack(">q", len(body)) + body


def write_dm4(path, data: np.ndarray, dimensions: list[dict], spectrum_image: bool = True):
    """A DM4 file holding ``data`` (C order, DM's last dimension first) with the
    ``dimensions`` calibrations (DM order: X first; ``Origin``, ``Scale``, ``Units``), tagged
    an EELS spectrum image (``Meta Data.Format``) when ``spectrum_image``."""
    meta = {"Signal": "EELS", **({"Format": "Spectrum image"} if spectrum_image else {})}
    image = {
        "ImageData": {
            "Calibrations": {
                "Brightness": {"Origin": 0.0, "Scale": 1.0, "Units": "Counts"},
                "Dimension": dimensions,
            },
            "Data": data,
            "DataType": 2,  # float32
            "Dimensions": list(data.shape[::-1]),
        },
        "ImageTags": {"Meta Data": meta},
        "Name": "EELS Spectrum Image",
    }
    tags = _tag("ImageList", [image])
    root = struct.pack(">bbq", 0, 1, 1) + tags
    path.write_bytes(struct.pack(">iqi", 4, 16 + len(root), 1) + root)
    return path


#: DM calibrations (position = (i - Origin) * Scale): 0.5 eV channels from 400 eV; 2 nm pixels.
EV = {"Origin": -800.0, "Scale": 0.5, "Units": "eV"}
NM = {"Origin": 0.0, "Scale": 2.0, "Units": "nm"}


def test_a_dm4_spectrum_image_is_read_lazily_as_rows_columns_energy(tmp_path):
    # rsciio returns it as (E, Y, X) with E navigating and y, x signal axes: it was refused
    # as "an image"
    spectra = np.random.default_rng(0).poisson(100.0, (3, 4, 100)).astype(np.float32)
    stored = np.moveaxis(spectra, -1, 0)  # (E, Y, X), as DM stores an SI
    path = write_dm4(tmp_path / "si.dm4", np.ascontiguousarray(stored), [NM, NM, EV])
    image = read_eels_image(path)
    assert isinstance(image.cube, da.Array)
    np.testing.assert_array_equal(image.cube.compute(), spectra)
    np.testing.assert_allclose(image.energy[[0, 1, -1]], [400.0, 400.5, 449.5])
    assert image.navigation[0].scale == 2.0 and image.navigation[0].units == "nm"


@pytest.mark.parametrize("energy_first", [False, True], ids=["energy last", "energy first"])
def test_a_dm4_line_scan_is_read_whichever_its_energy_axis(tmp_path, energy_first):
    spectra = np.random.default_rng(1).poisson(100.0, (5, 100)).astype(np.float32)
    stored = spectra.T if energy_first else spectra
    dimensions = [NM, EV] if energy_first else [EV, NM]
    path = write_dm4(tmp_path / "line.dm4", np.ascontiguousarray(stored), dimensions)
    image = read_eels_image(path)
    assert image.cube.shape == (1, 5, 100)
    np.testing.assert_array_equal(np.asarray(image.cube)[0], spectra)
    np.testing.assert_allclose(image.energy[[0, -1]], [400.0, 449.5])


def test_a_dm4_image_stays_refused(tmp_path):
    path = write_dm4(tmp_path / "haadf.dm4", np.ones((6, 8), np.float32), [NM, NM], False)
    with pytest.raises(ValueError, match=r"has 2 signal axes \(y, x\), so it holds an image"):
        read_eels_image(path)
