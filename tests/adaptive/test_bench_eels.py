"""The EELS benchmark's argument checks."""

import json

import numpy as np
import pytest

import adaptive.bench_eels as bench_eels
from adaptive.errors import InvalidParameterError
from surrogates.eels_net import TEST_SEED, VALIDATION_SEED


@pytest.fixture
def not_simulated(monkeypatch):
    def simulated(*_):
        raise AssertionError("the test set was simulated before the arguments were checked")

    monkeypatch.setattr(bench_eels, "simulate_eels", simulated)


def test_a_wrong_data_folder_is_refused_before_the_simulated_benchmark(not_simulated, tmp_path):
    with pytest.raises(InvalidParameterError, match="--data .*no labelled EELS spectra there"):
        bench_eels.bench_eels(2, data_dir=tmp_path / "eles")


def test_the_validation_seed_is_refused_before_the_simulated_benchmark(not_simulated):
    # it scored the networks on the spectra their thresholds were calibrated on
    with pytest.raises(InvalidParameterError, match=f"--seed {VALIDATION_SEED} .*{TEST_SEED}"):
        bench_eels.bench_eels(2, seed=VALIDATION_SEED)


def msa(energy, counts):
    lines = [f"{e}, {c}" for e, c in zip(energy, counts, strict=True)]
    return "#FORMAT : EMSA/MAS\n#DATATYPE : XY\n#SPECTRUM :\n" + "\n".join(lines) + "\n"


def test_real_spectra_are_read_and_put_on_the_channels_up_front(tmp_path):
    energy = np.arange(500.0, 600.0)
    (tmp_path / "exspy_coreloss_Mn_O.msa").write_text(msa(energy, 1e4 * (energy / 500) ** -3))
    ((path, labels, spectrum),) = bench_eels.real_spectra(tmp_path)
    assert labels == {"Mn", "O"}
    np.testing.assert_allclose(spectrum.energy, energy)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("#FORMAT : EMSA/MAS\n#SPECTRUM\n1, 2\n3, abc\n", "line 4: cannot read numbers"),
        (msa([5000.0, 5001.0], [1.0, 2.0]), "lie outside the channels"),
    ],
)
def test_a_bad_spectrum_file_is_refused_before_the_simulated_benchmark(
    not_simulated, tmp_path, text, match
):
    entry = tmp_path / "eelsdb" / "x"
    entry.mkdir(parents=True)
    (entry / "metadata.json").write_text(json.dumps({"edges": ["Mn_L2,3"]}))
    (entry / "data.msa").write_text(text)
    with pytest.raises(InvalidParameterError, match=f"--data .*data.msa.*{match}"):
        bench_eels.bench_eels(2, data_dir=tmp_path)
