"""simulate xas gives a fluorescence column without an i0 column only advice that works, and
refuses up front a column that cannot be a spectrum (review X23): it advised "pass
--fluorescence NAME to replay NAME/i0" and "--fluorescence 2 (fluorescence)", both failing,
and replayed an all-zero column to its last point, whose NRMSE only the summary left null."""

import re
from pathlib import Path

import numpy as np
import pytest

from adaptive.bench import Truth
from adaptive.errors import InvalidParameterError
from adaptive.simulate import simulate_xas, xas_source

ENERGY = np.linspace(8900.0, 9100.0, 41)
MU = 0.2 + np.arctan((ENERGY - 9000.0) / 5.0) / np.pi  # an edge at 9000 eV


def columns_file(path: Path, titles: str, *columns: np.ndarray) -> Path:
    """``path`` written as a column file titled ``# titles`` of ENERGY and ``columns``."""
    rows = np.column_stack([ENERGY, *columns])
    path.write_text(
        f"# {titles}\n" + "".join(" ".join(f"{v:g}" for v in row) + "\n" for row in rows)
    )
    return path


def test_a_fluorescence_column_without_i0_gets_only_advice_that_works(tmp_path, capsys):
    source = columns_file(tmp_path / "fluo.dat", "energy fluorescence", MU)
    simulate_xas(tmp_path / "out", source=str(source), strategy="random", max_points=4)
    notes = [line for line in capsys.readouterr().err.splitlines() if line.startswith("note")]
    assert not any("/i0" in note for note in notes), notes  # no i0 column to replay over
    (note,) = notes
    # follow the advice: retitle the column if told, then pass the option named
    retitle = re.search(r"title its column (\S+) and ", note)
    option = re.search(r"pass --fluorescence (\S+) to count it in fluorescence", note)
    assert option is not None, note
    if retitle is not None:
        columns_file(source, f"energy {retitle[1]}", MU)
    replay = xas_source(str(source), 1e6, 0, fluorescence=option[1])
    assert replay.fluorescent
    np.testing.assert_allclose(replay.evaluate_true(ENERGY), MU, atol=1e-6)


def test_a_flat_column_is_refused_before_a_scan_as_by_the_benchmark(tmp_path):
    source = columns_file(
        tmp_path / "scan.dat", "energy i0 i1 i2", np.full_like(MU, 1e5), 1e5 * np.exp(-MU), 0 * MU
    )
    with pytest.raises(InvalidParameterError, match=r"mu = column i2 is flat \(0 at .*--column"):
        simulate_xas(tmp_path / "out", source=str(source), column="i2", max_points=20)
    assert not (tmp_path / "out").exists()
    with pytest.raises(InvalidParameterError, match=r"mu = column i2 is flat \(0 at .*--column"):
        Truth(source, column="i2")
    assert xas_source(str(source), 1e6, 0).signal == "ln(i0/i1)"  # the file replays
