"""EELS binary files whose energy axis is uncalibrated (channel numbers, HyperSpy's default
scale 1, offset 0 and no units) are refused as a column titled ``Channel`` is; calibrated
axes, with or without a unit, are read."""

import numpy as np
import pytest

from adaptive.cli import main
from simulators.eels_files import read_eels, read_eels_image, signal_image
from tests.simulators.test_eels_files import write_hspy
from tests.surrogates.test_eels_map import COMMITTED

#: HyperSpy's default energy axis: channel numbers 0, 1, 2 ... and no unit.
UNCALIBRATED = {"name": "Energy loss", "offset": 0.0, "scale": 1.0, "units": "<undefined>",
                "navigate": False}  # fmt: skip
REFUSED = r"its energy axis is uncalibrated .*calibrate the energy axis \(eV\) before identifying"


def test_an_uncalibrated_spectrum_image_is_refused(tmp_path):
    # its channels 0..99 were read as 0..99 eV: confident wrong elements (Zn, Al)
    image = write_hspy(tmp_path / "si_chan.hspy", np.ones((2, 3, 100)), UNCALIBRATED)
    with pytest.raises(ValueError, match=rf"si_chan\.hspy': {REFUSED}"):
        read_eels_image(image)
    spectrum = write_hspy(tmp_path / "chan.hspy", np.ones(100), UNCALIBRATED)
    with pytest.raises(ValueError, match=REFUSED):
        read_eels(spectrum)


#: Calibrations of the energy axis that are read, and its first two energies (eV).
CALIBRATED = [
    ({"offset": 0.0, "scale": 1.0, "units": "eV"}, [0.0, 1.0]),  # a real unit
    ({"offset": 0.0, "scale": 1.0, "units": "keV"}, [0.0, 1000.0]),
    ({"offset": 300.0, "scale": 1.0, "units": "<undefined>"}, [300.0, 301.0]),  # offset set
    ({"offset": 0.0, "scale": 0.5, "units": "<undefined>"}, [0.0, 0.5]),  # scale set
    ({"offset": 400.0, "scale": 0.25}, [400.0, 400.25]),  # no units key: eV
]


@pytest.mark.parametrize("units", [None, "", " <undefined> ", "none", "missing"])
def test_only_channel_numbers_without_units_are_refused(units):
    def image(**calibration):
        axis = {"name": "E", "size": 100, "navigate": False, **calibration}
        return signal_image([{"data": np.ones((2, 100)), "axes": [{}, axis]}], "x.hspy")

    unset = {} if units == "missing" else {"units": units}
    with pytest.raises(ValueError, match=REFUSED):
        image(offset=0, scale=1.0, **unset)
    for calibration, energies in CALIBRATED:
        np.testing.assert_allclose(image(**calibration).energy[:2], energies)


@pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")
def test_identify_refuses_an_uncalibrated_spectrum_image_in_one_line(tmp_path, capsys):
    path = write_hspy(tmp_path / "si_chan.hspy", np.ones((2, 3, 2048)), UNCALIBRATED)
    code = main(["identify", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "", out
    assert err.startswith(f"error: {str(path)!r}: its energy axis is uncalibrated"), err
    assert "calibrate the energy axis (eV) before identifying" in err and err.count("\n") == 1
