"""The EELS benchmark's argument checks."""

import json
import time
import types

import numpy as np
import pytest

import adaptive.bench_eels as bench_eels
from adaptive.errors import InvalidParameterError
from surrogates.eels_net import INFERENCE_BATCH, TEST_SEED, VALIDATION_SEED


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


def test_each_network_is_timed_after_an_untimed_warm_up_batch(monkeypatch):
    # timed cold, the first network (the U-Net) paid for torch's start-up: 96 spectra/s
    # against 195 for the ensemble, which runs it and the ResNet
    n, calls = 300, []

    class ColdIdentifier:
        def __init__(self, networks):
            self.networks = networks

        def identify(self, spectra, window):
            if not any(networks == self.networks for networks, _ in calls):
                time.sleep(0.2)  # the first call of each identifier is slow
            calls.append((self.networks, len(spectra)))
            return None, np.zeros((len(spectra), 80), bool)

    batch = types.SimpleNamespace(spectra=np.zeros((n, 8)), window=np.zeros((n, 2)), labels=None)
    monkeypatch.setattr(bench_eels, "simulate_eels", lambda *_: batch)
    monkeypatch.setattr(bench_eels.EELSIdentifier, "load", ColdIdentifier)
    scores = {"weighted_f1": 1.0, "precision": 1.0, "recall": 1.0, "exact_match": 1.0}
    monkeypatch.setattr(bench_eels, "score_identification", lambda *_: scores)
    methods = bench_eels.bench_eels(n)["methods"]
    assert all(figures["spectra_per_s"] > 10 * n / 0.2 for figures in methods.values())
    assert [size for _, size in calls] == [INFERENCE_BATCH, n] * 3
