"""The EELS benchmark: its argument checks, timing and measured-spectrum report."""

import json
import time
import types
from pathlib import Path

import numpy as np
import pytest
import torch

import adaptive.bench_eels as bench_eels
from adaptive.errors import InvalidParameterError
from surrogates.eels_identifier import INFERENCE_BATCH
from surrogates.eels_training import TEST_SEED, VALIDATION_SEED, train_eels_net


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


def test_a_networks_training_seed_is_refused_before_the_simulated_benchmark(
    not_simulated, tmp_path
):
    # --seed 7 scored a network trained at --seed 7 on its own training spectra (f1 0.845
    # against 0.714 at the test seed): the seed is read from each weights file
    with pytest.raises(
        InvalidParameterError,
        match=rf"--seed 0 is the training seed of \S*weights/eels_unet\.pt: .*{TEST_SEED}",
    ):
        bench_eels.bench_eels(2, seed=0)  # the committed networks' seed
    mine = tmp_path / "mine.pt"
    train_eels_net(
        "resnet", n_train=128, epochs=1, seed=7, batch_size=128, n_val=100, progress=False,
        checkpoint_dir=tmp_path / "ck", out_path=mine,
    )  # fmt: skip
    with pytest.raises(InvalidParameterError, match=f"--seed 7 is the training seed of {mine}"):
        bench_eels.bench_eels(2, seed=7, weights=[mine])
    with pytest.raises(AssertionError, match="simulated"):  # the committed ones pass seed 7
        bench_eels.bench_eels(2, seed=7)


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


class FakeIdentifier:
    """Finds nothing; sleeps ``delays[call]`` seconds on a call, counted per identifier
    from 0 (the warm-up batch); logs every call in ``calls``."""

    calls: list = []
    delays: dict = {}
    metadata = [{"settings": {"seed": 0}}]

    def __init__(self, networks):
        self.networks, self.n_calls = networks, 0

    def identify(self, spectra, window):
        time.sleep(self.delays.get(self.n_calls, 0.0))
        self.n_calls += 1
        self.calls.append((self.networks, len(spectra)))
        return None, np.zeros((len(spectra), 80), bool)


@pytest.fixture
def fake_networks(monkeypatch):
    """``bench_eels`` on 300 blank spectra with ``FakeIdentifier`` networks, perfect scores."""
    n = 300
    batch = types.SimpleNamespace(spectra=np.zeros((n, 8)), window=np.zeros((n, 2)), labels=None)
    monkeypatch.setattr(bench_eels, "simulate_eels", lambda *_: batch)
    monkeypatch.setattr(FakeIdentifier, "calls", [])
    monkeypatch.setattr(bench_eels.EELSIdentifier, "from_files", FakeIdentifier)
    scores = {"f1_weighted": 1.0, "precision": 1.0, "recall": 1.0, "exact_match": 1.0}
    monkeypatch.setattr(bench_eels, "score_identification", lambda *_: scores)
    return n


def test_each_network_is_timed_after_an_untimed_warm_up_batch(fake_networks, monkeypatch):
    # timed cold, the first network (the U-Net) paid for torch's start-up: 96 spectra/s
    # against 195 for the ensemble, which runs it and the ResNet
    n = fake_networks
    monkeypatch.setattr(FakeIdentifier, "delays", {0: 0.2})
    methods = bench_eels.bench_eels(n)["methods"]
    assert all(figures["spectra_per_s"] > 10 * n / 0.2 for figures in methods.values())
    sizes = [INFERENCE_BATCH] + [n] * bench_eels.TIMED_PASSES
    assert [size for _, size in FakeIdentifier.calls] == sizes * 3


def test_throughput_is_the_median_of_timed_passes_on_the_threads_reported(
    fake_networks, monkeypatch
):
    # one timed pass slowed by another process set the figure: on a busy 2-core machine
    # the U-Net read 169-287 spectra/s while the ensemble that runs it read 2,500
    n = fake_networks
    monkeypatch.setattr(FakeIdentifier, "delays", {1: 0.3})  # the first timed pass
    report = bench_eels.bench_eels(n)
    assert all(figures["spectra_per_s"] > 10 * n / 0.3 for figures in report["methods"].values())
    assert report["torch_threads"] == torch.get_num_threads()


@pytest.mark.parametrize(
    ("found", "missed", "false_elements", "ok"),
    [
        (["Mn", "O"], [], [], True),
        (["C", "Mn", "O"], [], ["C"], False),  # one false element was "ok": true
        (["Mn"], ["O"], [], False),
    ],
)
def test_a_measured_spectrum_is_ok_only_when_its_elements_are_the_labelled_ones(
    fake_networks, monkeypatch, found, missed, false_elements, ok
):
    path = Path("exspy_coreloss_Mn_O.msa")
    monkeypatch.setattr(bench_eels, "real_spectra", lambda _: [(path, {"Mn", "O"}, None)])
    monkeypatch.setattr(bench_eels, "identify_spectrum", lambda *_: {"present": found})
    (real,) = bench_eels.bench_eels(fake_networks, data_dir="data")["real"]
    assert real == {
        "file": str(path),
        "labelled": ["Mn", "O"],
        "predicted": found,
        "missed": missed,
        "false_elements": false_elements,
        "ok": ok,
    }


def test_a_test_set_beyond_memory_is_refused_with_what_it_needs():
    # a MemoryError traceback from simulate_eels
    with pytest.raises(
        InvalidParameterError,
        match=rf"^--n {10**12} test spectra need [\d,.]+ GiB \(12384 bytes each\), .*fewer$",
    ):
        bench_eels.bench_eels(10**12)
