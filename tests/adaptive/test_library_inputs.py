"""The packages used as a library (a notebook): natural inputs work or say how to fix them."""

import json
import subprocess
import sys

import numpy as np
import pytest

import adaptive
import adaptive.strategies
import surrogates
from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan, UniformGrid

SPACE = Space((Dimension("energy", low=8900.0, high=9100.0, units="eV"),))

#: The constraints' bounds a WarpedGP state held before states became strict JSON.
OLD_BOUNDS = {
    "likelihood.noise_covar.raw_noise_constraint.lower_bound": 9.999999974752427e-07,
    "likelihood.noise_covar.raw_noise_constraint.upper_bound": 0.05000000074505806,
    "covar_module.base_kernel.raw_lengthscale_constraint.lower_bound": 0.0,
    "covar_module.base_kernel.raw_lengthscale_constraint.upper_bound": float("inf"),
    "covar_module.raw_outputscale_constraint.lower_bound": 0.0,
    "covar_module.raw_outputscale_constraint.upper_bound": float("inf"),
}


def mu(energy):
    return float(np.arctan((energy - 8980.0) / 3.0) / np.pi + 0.5)


def measured(strategy, n):
    """``strategy`` after measuring ``n`` of its suggestions one by one."""
    for i in range(n):
        (suggestion,) = strategy.suggest(1)
        energy = suggestion.point["energy"]
        strategy.observe([Observation(point={"energy": energy}, value=mu(energy), time=i)])
    return strategy


@pytest.fixture(scope="module")
def scans():
    return measured(EnergyScan(SPACE), 8), measured(UniformGrid(SPACE, n_points=5), 5)


@pytest.mark.parametrize("which", [0, 1], ids=["energy_scan", "grid"])
def test_predict_takes_one_energy_or_a_column(scans, which):
    scan = scans[which]
    energies = np.array([8950.0, 8980.0, 9050.0])
    flat = scan.predict(energies)
    column = scan.predict(energies[:, None])
    np.testing.assert_array_equal(column[0], flat[0])
    assert column[0].shape == (3,)
    one = scan.predict(8980.0)
    assert one[0].shape == (1,)
    np.testing.assert_allclose(one[0], flat[0][1:2], rtol=1e-9)
    with pytest.raises(InvalidParameterError, match=r"an \(m,\) array .* got shape \(1, 3\)"):
        scan.predict(energies[None, :])


def test_numpy_integers_ask_for_suggestions(journal):
    assert len(EnergyScan(SPACE).suggest(np.int64(2))) == 2
    campaign = Campaign.create(journal, SPACE.to_dict(), {"name": "energy_scan"})
    assert len(campaign.suggest(np.int64(2))) == 2
    goal = {"max_observations": 20}
    limited = Campaign.create(journal, SPACE.to_dict(), {"name": "energy_scan"}, goals=goal)
    assert len(limited.suggest(np.int64(3))) == 3


def test_pending_takes_points_and_refuses_suggestions_with_a_typed_error():
    scan = EnergyScan(SPACE)
    first = scan.suggest(2)
    with pytest.raises(
        InvalidParameterError,
        match=r"a point must be a mapping name -> value \(a suggestion's \.point\)",
    ):
        scan.suggest(1, pending=first)
    (third,) = scan.suggest(1, pending=[s.point for s in first])
    assert third.point not in [s.point for s in first]


def test_energy_scan_state_is_strict_json_after_its_first_fit():
    scan = measured(EnergyScan(SPACE), 3)
    scan.suggest(1)  # the first fit: no reconstruction before it to compare with
    assert scan.last_change is None
    json.dumps(scan.state(), allow_nan=False)
    measured(scan, 1)
    scan.suggest(1)
    assert scan.last_change > 0
    json.dumps(scan.state(), allow_nan=False)


def test_a_state_journaled_with_inf_still_loads_and_picks_the_same(scans):
    scan = scans[0]
    old = json.loads(json.dumps(scan.state()))
    old["last_change"] = float("inf")  # as saved before, and as json reads it back
    old["model"]["hyper"].update(OLD_BOUNDS)
    old = json.loads(json.dumps(old))  # the journal writes Infinity
    again = EnergyScan(SPACE)
    again.observe(
        [Observation(point={"energy": x}, value=y) for x, y in zip(*scan.data(), strict=True)]
    )
    again.load_state(old)
    assert again.last_change is None
    json.dumps(again.state(), allow_nan=False)
    energies = np.linspace(8900.0, 9100.0, 7)
    for a, b in zip(scan.predict(energies), again.predict(energies), strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_campaign_takes_a_space_object(journal):
    campaign = Campaign.create(journal, SPACE, {"name": "grid"})
    assert campaign.config["space"] == SPACE.to_dict()
    assert Campaign.resume(journal, campaign.id).space == SPACE


def test_a_strategy_object_is_refused_naming_the_config_and_nothing_journaled(journal):
    with pytest.raises(InvalidParameterError, match=r'strategy must be a config \{"name"'):
        Campaign.create(journal, SPACE.to_dict(), EnergyScan(SPACE))
    assert journal.campaign_ids() == []


def test_a_journal_path_is_refused_naming_how_to_open_one(tmp_path):
    path = str(tmp_path / "journal.sqlite")
    with pytest.raises(InvalidParameterError, match=r"adaptive\.journal\.Journal\(path\)"):
        Campaign.create(path, SPACE.to_dict(), {"name": "grid"})
    with pytest.raises(InvalidParameterError, match=r"adaptive\.journal\.Journal\(path\)"):
        Campaign.resume(path, "c1")


def test_the_packages_export_their_main_classes():
    from adaptive.campaign import Campaign as campaign_class
    from adaptive.records import Spectrum, Suggestion
    from surrogates.eels_identifier import EELSIdentifier
    from surrogates.peak_fitter import PeakFitter

    assert adaptive.Space is Space and adaptive.Dimension is Dimension
    assert adaptive.Observation is Observation and adaptive.Suggestion is Suggestion
    assert adaptive.Spectrum is Spectrum and adaptive.Journal is Journal
    assert adaptive.Campaign is campaign_class
    assert surrogates.PeakFitter is PeakFitter and surrogates.EELSIdentifier is EELSIdentifier
    assert "BatchBO" in adaptive.strategies.__all__
    for package in (adaptive, surrogates, adaptive.strategies):
        assert all(hasattr(package, name) for name in package.__all__)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        adaptive.Nope  # noqa: B018


def test_import_adaptive_stays_light():
    """The CLI starts with ``import adaptive``: its exports load on first use."""
    code = "import sys, adaptive; print(sorted({'numpy', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
