"""A replay names as fluorescence columns only those it can read over i0, and refuses the
energy axis as the fluorescence column (review X23): without an i0 column simulate xas
advised "--fluorescence NAME to replay NAME/i0", which fails, and --fluorescence Energy
replayed mu = Energy / i0, while --column Energy was refused."""

import numpy as np
import pytest

from simulators import RecordedSpectrum

ENERGY = np.linspace(8900.0, 9100.0, 41)
MU = 0.2 + np.arctan((ENERGY - 9000.0) / 5.0) / np.pi  # an edge at 9000 eV
XDI = "#XDI/1.1\n# Column.1: energy eV\n# Column.2: I0\n# Column.3: I1\n# Column.4: Sum_Fe_Ka\n"


def rows(*columns: np.ndarray) -> str:
    """Text rows of ENERGY and ``columns`` (each (41,))."""
    table = np.column_stack([ENERGY, *columns])
    return "".join(" ".join(f"{v:g}" for v in row) + "\n" for row in table)


@pytest.mark.parametrize(("i0", "listed"), [(False, ()), (True, ("sum_fe_ka",))])
def test_fluorescence_columns_are_listed_only_with_an_i0_column_to_read_them_over(
    tmp_path, i0, listed
):
    path = tmp_path / "scan.dat"
    titles, columns = (
        ("energy mu i0 sum_fe_ka", (MU, 0 * MU + 1e5)) if i0 else ("energy mu sum_fe_ka", (MU,))
    )
    path.write_text(f"# {titles}\n" + rows(*columns, 1e3 * MU))
    replay = RecordedSpectrum.from_file(path)
    assert (replay.signal, replay.fluorescence_columns) == ("column mu", listed)
    for name in listed:  # each one listed replays over i0
        assert RecordedSpectrum.from_file(path, fluorescence=name).fluorescent


@pytest.mark.parametrize("energy", ["Energy", "energy", "ENERGY"])
def test_the_energy_axis_is_refused_as_the_fluorescence_column(tmp_path, energy):
    path = tmp_path / "scan.xdi"
    path.write_text(XDI + rows(0 * MU + 1e5, 1e5 * np.exp(-MU), 1e3 * MU))
    with pytest.raises(
        ValueError,
        match=rf"fluorescence '{energy}' is the energy axis, not counts.*columns: Sum_Fe_Ka$",
    ):
        RecordedSpectrum.from_file(path, fluorescence=energy)
    assert RecordedSpectrum.from_file(path, fluorescence="Sum_Fe_Ka").signal == "Sum_Fe_Ka/i0"
