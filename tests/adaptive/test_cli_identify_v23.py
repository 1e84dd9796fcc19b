"""Review V23: ``adaptive identify SI.hspy --figure FOLDER`` failed only once every pixel
was identified, and ``--probabilities FOLDER`` suggested ``FOLDER/weights.pt``; the warning
on an edge of no element named quoted the committed networks' shift measurements for
any weights (a network trained for one epoch) and did not name a thick specimen."""

import numpy as np
import pytest

from adaptive.cli import main
from simulators.eels_files import EELSSpectrum, read_eels
from surrogates.eels_identifier import EELSIdentifier, identify_spectrum
from surrogates.eels_map import identify_cube
from surrogates.eels_net import WEIGHTS_DIR
from tests.adaptive.test_analysis import retrained_eels
from tests.adaptive.test_cli_identify_image import write_image
from tests.shared_data import SHARED_DATA

MN_O = SHARED_DATA / "eels" / "exspy_coreloss_Mn_O.msa"
QUOTED = "they lost every element of three of four measured spectra"
THICK = "or the specimen is thicker than the training spectra (t/lambda 0.1-1.5)"


@pytest.fixture(scope="module")
def retrained(tmp_path_factory):
    return retrained_eels(tmp_path_factory.mktemp("eels") / "my_resnet.pt")


@pytest.mark.parametrize(
    ("flag", "example"), [("--figure", "maps.png"), ("--probabilities", "probabilities.npy")]
)
def test_an_output_naming_a_folder_is_refused_before_the_pixels_are_identified(
    tmp_path, capsys, flag, example
):
    energy = np.arange(400.0, 700.0)
    cube = np.random.default_rng(0).poisson(1e4 * (energy / 400) ** -3, (4, 4, energy.size))
    image = write_image(tmp_path / "si.hspy", cube.astype(np.float32), energy)
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["identify", str(image), flag, str(folder), "--json"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing identified: the maps were not printed
    assert err == (
        f"error: {flag} {folder} names a folder; pass a file name such as {folder / example}\n"
    )


def test_the_unidentified_edge_warning_quotes_the_committed_networks_only_for_them(retrained):
    if not MN_O.is_file():
        pytest.skip(f"measured EELS spectrum not found at {MN_O} (shared data absent)")
    spectrum = read_eels(MN_O)
    moved = EELSSpectrum(spectrum.energy + 7.0, spectrum.counts, {}, "moved.msa")
    (committed,) = identify_spectrum(moved, EELSIdentifier.load())["warnings"]
    assert QUOTED in committed and THICK in committed
    mine = EELSIdentifier.from_files([retrained])
    mine.thresholds = 1 - 1e-6  # nothing passes: the edges are left unexplained
    (sentence,) = identify_spectrum(spectrum, mine)["warnings"]
    assert sentence.startswith(
        "The counts show an edge, but no element passes its threshold: the networks, not the "
        "committed ones, miss that edge's element (as a network trained briefly or on other "
        f"spectra does); {THICK}"
    )
    assert QUOTED not in sentence
    assert "identify with the committed networks (without --weights)" in sentence
    cube = np.random.default_rng(0).poisson(spectrum.counts.clip(0), (3, 3, spectrum.counts.size))
    maps = identify_cube(cube.astype(np.float32), spectrum.energy, mine)
    typical = [w for w in maps.warnings if "no element passes its threshold" in w]
    assert len(typical) == 1 and QUOTED not in typical[0] and "not the committed" in typical[0]


def test_the_committed_networks_loaded_from_their_files_are_committed(tmp_path, retrained):
    assert EELSIdentifier.load().committed and EELSIdentifier.load(("unet",)).committed
    assert not EELSIdentifier.from_files([retrained]).committed
    assert EELSIdentifier.from_files([WEIGHTS_DIR / "eels_resnet.pt"]).committed
    copy = tmp_path / "eels_unet.pt"  # a file elsewhere: what it holds is not known
    copy.write_bytes((WEIGHTS_DIR / "eels_unet.pt").read_bytes())
    assert not EELSIdentifier.from_files([copy]).committed
