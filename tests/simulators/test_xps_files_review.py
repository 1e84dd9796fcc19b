"""read_xps picks a VAMAS block by its sample or block identifier, and a file that is not
VAMAS is told what to pass in words that serve a caller of the command line as well."""

import pytest

from simulators import read_vamas, read_xps
from tests.simulators.test_xps_files import vamas_text, write, xps_dir  # noqa: F401


def test_an_exact_sample_identifier_picks_its_block(xps_dir):  # noqa: F811
    # "MnO" is a substring of all three names: "matches 3 regions" refused the sample's own name
    path = xps_dir / "Mn_references.vms"
    assert read_xps(path, block="MnO").name == "Mn 2p MnO"
    assert read_xps(path, block="mno2").name == "Mn 2p MnO2"


def _synthetic(tmp_path, blocks):
    rows = [(block, sample, "binding energy", 705.0, 0.25, [1, 2, 3]) for block, sample in blocks]
    return write(tmp_path, "refs.vms", vamas_text(rows))


def test_an_exact_block_identifier_picks_its_block(tmp_path):
    path = _synthetic(tmp_path, [("Fe2p", "Fe"), ("Fe2p3/2", "Fe metal")])
    assert read_xps(path, block="fe2p").name == "Fe2p Fe"  # a substring of both names


def test_several_matches_list_the_names_that_pick_one(tmp_path):
    path = _synthetic(tmp_path, [("Cu2p", "Cu metal"), ("Cu2p", "CuO"), ("O1s", "Cu metal")])
    with pytest.raises(ValueError) as caught:
        read_xps(path, block="Cu metal")  # the sample identifier of two blocks
    assert str(caught.value) == (
        f"{path}: block 'Cu metal' matches 2 regions; pass the full name or position N of one "
        "of them: [1] 'Cu2p Cu metal', [3] 'O1s Cu metal'"
    )
    assert read_xps(path, block="O1s Cu metal").name == "O1s Cu metal"
    same = _synthetic(tmp_path, [("Fe2p", "Fe"), ("Fe2p", "Fe")])
    with pytest.raises(ValueError, match=r"pass the position N of one of them: \[1\] 'Fe2p Fe'"):
        read_xps(same, block="Fe")  # a name two blocks share picks neither


def test_a_file_that_is_not_vamas_is_told_what_to_pass_without_python_names(tmp_path):
    # "use read_xps_text for two-column text or read_xps to detect the format"
    fake = write(tmp_path, "fake.vms", "not a vamas file at all\n")
    with pytest.raises(ValueError) as caught:
        read_xps(fake)
    assert str(caught.value) == (
        f"{fake}: not a VAMAS file (first line 'not a vamas file at all'); pass a VAMAS file "
        "or a two-column text file (binding energy, counts) named .txt"
    )
    # "read it with read_xps_text, or give it a .txt suffix for read_xps"
    text = write(tmp_path, "text.vms", "Co2p Co metal\n840.0\t22827.9\n839.9\t22868.9\n")
    with pytest.raises(ValueError) as caught:
        read_xps(text)
    assert str(caught.value) == (
        f"{text}: not a VAMAS file; it looks like two-column text (binding energy, counts): "
        "rename it to .txt to have it read as text"
    )
    named_txt = write(tmp_path, "text.txt", text.read_text())
    with pytest.raises(ValueError, match=r"counts\)$"):  # already .txt: no renaming to do
        read_vamas(named_txt)
