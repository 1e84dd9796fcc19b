"""XPS text exports are refused as EELS spectra whatever the word count of their title
(``Co2p Co metal`` over two columns was read as energy losses: La and Co present), while
EELS titles that look alike, and the measured EELS files, are read."""

import numpy as np
import pytest

from adaptive.cli import main
from simulators import read_eels
from tests.shared_data import SHARED_DATA
from tests.surrogates.test_eels_map import COMMITTED

XPS = r"looks like an XPS export, not an EELS spectrum; fit its peaks with adaptive fit peaks "
#: Binding energies running down from 840 eV and counts, as an XPS export writes them.
ROWS = "".join(f"{840 - 0.1 * i:.1f}\t{20000 + 30 * i}\n" for i in range(50))


@pytest.mark.parametrize(
    ("xps_title", "found", "eels_title"),
    [
        ("Co2p Co metal", "Co2p", "Co L edge of Co metal"),
        ("Cu2p Cu metal", "Cu2p", "Cu foil 300 K"),
        ("O1s", "O1s", "O K edge"),
        ("Fe2p3/2 Fe2O3 film", "Fe2p", "Fe2O3 film to be checked"),
        ("C 1s graphite", "C 1s", "# C 1s graphite"),  # a comment stays free text
        ("Mn2p_MnO2", "Mn2p", "Mn2P thin film"),  # a formula: capital P
        ("Binding Energy (eV)\tCounts", "Binding Energy", "Delta E (eV)\tCounts"),
        ("Kinetic energy (eV) counts", "Kinetic energy", "Energy loss (eV) counts"),
        ("BE (eV)\tCounts", "BE", "BE-2 sample A"),
        ("C 1s", "C 1s", "Graphite C K edge (C 1s to pi*)"),  # an edge named too: EELS
        ("Ti2p TiO2", "Ti2p", "TiO2 anatase Ti L3 (Ti 2p -> 3d) and O K"),
        ("K 2p KCl", "K 2p", "KCl Cl L3 (Cl 2p)"),
    ],
)
def test_an_xps_title_is_refused_whatever_its_words_and_look_alikes_are_read(
    tmp_path, xps_title, found, eels_title
):
    path = tmp_path / "export.txt"
    path.write_text(f"{xps_title}\n{ROWS}")
    with pytest.raises(
        ValueError, match=rf"export\.txt line 1: the title .* names '{found}', an XPS .*{XPS}"
    ):
        read_eels(path)
    path.write_text(f"{eels_title}\n{ROWS}")
    assert read_eels(path).energy[0] == pytest.approx(835.1)


XPS_EXPORTS = sorted((SHARED_DATA / "xps").glob("*.txt"))
XPS_EXPORTS = [path for path in XPS_EXPORTS if not path.name.startswith("LICENSE")]
EELS_FILES = sorted((SHARED_DATA / "eels").glob("**/*.msa"))


@pytest.mark.skipif(not XPS_EXPORTS or not EELS_FILES, reason="shared data absent")
@pytest.mark.skipif(not COMMITTED, reason="needs the committed EELS weights")
def test_identify_refuses_every_measured_xps_export_and_reads_the_eels_files(capsys):
    # Co2p_Co_metal.txt was identified as La and Co (p_La 0.95), Cu2p_Cu_metal.txt as Pr
    for path in XPS_EXPORTS:
        code = main(["identify", str(path), "--json"])
        out, err = capsys.readouterr()
        assert code == 2 and out == "", (path, out)
        assert f"{path} line 1: the title " in err and XPS in err, err
    for path in EELS_FILES:
        spectrum = read_eels(path)
        assert spectrum.energy.size > 100 and np.isfinite(spectrum.counts).all()
