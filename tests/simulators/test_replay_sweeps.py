"""A recorded file of two sweeps over the same energies is refused, not averaged into a
sawtooth; one sweep with a backlash step still reads."""

import numpy as np
import pytest

from simulators import RecordedSpectrum, read_two_column


def edge(e: np.ndarray) -> np.ndarray:
    return np.arctan((e - 9000.0) / 3.0)


def write(path, energy, mu):
    path.write_text("".join(f"{a:.3f} {b:.6f}\n" for a, b in zip(energy, mu, strict=True)))
    return path


@pytest.mark.parametrize("second", ["down", "repeat"])
def test_two_sweeps_in_one_file_are_refused_naming_where_it_turns(tmp_path, second):
    # up then down (0.3 eV off, mu +0.05) was sorted together into a sawtooth "truth"
    up = np.linspace(8950.0, 9100.0, 200)
    back = (up[::-1] if second == "down" else up) + 0.3
    energy = np.concatenate([up, back])
    mu = np.concatenate([edge(up), edge(back) + 0.05])
    path = write(tmp_path / "two.txt", energy, mu)
    with pytest.raises(ValueError, match=r"twice \(it turns back after line 201\)"):
        read_two_column(path)
    with pytest.raises(ValueError, match=r"twice \(it turns back after index 200\)"):
        RecordedSpectrum(energy, mu)


def test_one_sweep_with_a_backlash_step_still_reads(tmp_path):
    energy = np.linspace(8950.0, 9100.0, 200)
    energy[100] = energy[98]  # the mono stepped back once, mid-scan
    path = write(tmp_path / "one.txt", energy, edge(energy))
    e, _ = read_two_column(path)
    assert e.size == 199 and np.all(np.diff(e) > 0)
