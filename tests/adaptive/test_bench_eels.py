"""The EELS benchmark's argument checks."""

import pytest

import adaptive.bench_eels as bench_eels
from adaptive.errors import InvalidParameterError


def test_a_wrong_data_folder_is_refused_before_the_simulated_benchmark(monkeypatch, tmp_path):
    def simulated(*_):
        raise AssertionError("the test set was simulated before --data was checked")

    monkeypatch.setattr(bench_eels, "simulate_eels", simulated)
    with pytest.raises(InvalidParameterError, match="--data .*no labelled EELS spectra there"):
        bench_eels.bench_eels(2, data_dir=tmp_path / "eles")
