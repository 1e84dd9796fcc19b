"""A beamline scientist's review of the energy scans: scans longer than their
max_observations goal, keV numbers under the eV edge prior, predictions at a replay's own
end energy, and too few fluorescence counts (SIGTERM in ``adaptive simulate``: see
test_cli_errors)."""

from pathlib import Path

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.simulate import xas_source
from adaptive.space import Dimension, Space
from adaptive.strategies import EnergyScan, UniformGrid

REPO = Path(__file__).resolve().parents[2]
CU_K = {"dimensions": [{"name": "energy", "low": 8779, "high": 9979, "units": "eV"}]}


@pytest.fixture
def journal(tmp_path):
    kept = Journal(tmp_path / "j.sqlite")
    yield kept
    kept.close()


@pytest.mark.parametrize(
    ("strategy", "length", "fix"),
    [
        (
            {"name": "conventional", "options": {"edge_energy": 8979}},
            387,
            "pass a larger scale or larger steps (fewer points), or max_observations=387 or more",
        ),
        (
            {"name": "grid", "options": {"n_points": 100}},
            100,
            "pass the option n_points=50 or less, or max_observations=100 or more",
        ),
    ],
    ids=["conventional", "grid"],
)
def test_a_scan_longer_than_max_observations_is_refused_at_creation(journal, strategy, length, fix):
    """conventional measured 50 points, all pre-edge, and stopped "reached
    max_observations=50"; a grid of 100 measured its low half."""
    with pytest.raises(InvalidParameterError, match="would stop inside it") as err:
        Campaign.create(journal, CU_K, strategy, goals={"max_observations": 50})
    assert f"{strategy['name']} scans " in str(err.value)
    assert f"{length} points" in str(err.value) and fix in str(err.value)
    assert journal.campaign_ids() == []
    Campaign.create(journal, CU_K, strategy, goals={"max_observations": length})


def test_an_energy_space_in_kev_numbers_is_refused_under_the_edge_prior(journal):
    kev = {"dimensions": [{"name": "energy", "low": 8.779, "high": 9.979}]}
    with pytest.raises(InvalidParameterError, match="look like keV") as err:
        Campaign.create(journal, kev, {"name": "energy_scan"})
    assert "give low and high in eV (x1000: 8779 to 9979)" in str(err.value)
    assert journal.campaign_ids() == []
    k = {"dimensions": [{"name": "k", "low": 2.0, "high": 14.0}]}  # was told only x1000
    with pytest.raises(InvalidParameterError, match=r"or k in 1/Angstrom.*E0 \+ 3\.81 k\^2"):
        Campaign.create(journal, k, {"name": "energy_scan"})
    Campaign.create(journal, kev, {"name": "energy_scan", "options": {"edge_prior": False}})
    soft = {"dimensions": [{"name": "energy", "low": 40.0, "high": 90.0, "units": "eV"}]}
    Campaign.create(journal, soft, {"name": "energy_scan"})  # a Li K edge scan, 55 eV
    relative = {"dimensions": [{"name": "energy", "low": -30.0, "high": 20.0, "units": "eV"}]}
    Campaign.create(journal, relative, {"name": "energy_scan"})  # E - E0 in eV


def test_an_energy_space_in_mev_numbers_is_refused_under_the_edge_prior(journal):
    mev = {"dimensions": [{"name": "energy", "low": 8.779e6, "high": 9.979e6}]}
    with pytest.raises(InvalidParameterError, match="above 200 keV, .* look like meV") as err:
        Campaign.create(journal, mev, {"name": "energy_scan"})
    assert "give low and high in eV (/1000: 8779 to 9979)" in str(err.value)
    assert journal.campaign_ids() == []
    Campaign.create(journal, mev, {"name": "energy_scan", "options": {"edge_prior": False}})
    uranium = {"dimensions": [{"name": "energy", "low": 115e3, "high": 117e3, "units": "eV"}]}
    Campaign.create(journal, uranium, {"name": "energy_scan"})  # the U K edge, 115.6 keV


def test_a_relative_space_in_kev_numbers_is_refused_under_the_edge_prior(journal):
    # -0.1 to 0.1 (keV around the edge) was taken as a 0.2 eV scan
    kev = {"dimensions": [{"name": "energy", "low": -0.1, "high": 0.1}]}
    with pytest.raises(InvalidParameterError, match=r"0\.2 eV around the edge, narrower") as err:
        Campaign.create(journal, kev, {"name": "energy_scan"})
    assert "give low and high in eV (x1000: -100 to 100)" in str(err.value)
    assert journal.campaign_ids() == []
    Campaign.create(journal, kev, {"name": "energy_scan", "options": {"edge_prior": False}})
    pre_edge = {"dimensions": [{"name": "energy", "low": -6.0, "high": 0.0, "units": "eV"}]}
    Campaign.create(journal, pre_edge, {"name": "energy_scan"})  # 6 eV of pre-edge peaks


#: The Fe replay's range, read from its file (fexanes_a.001).
LOW, HIGH = 7032.000244, 7355.788689


def _measured_replay(strategy_class, **options):
    """A scan of the Fe replay's range, measured at 8 energies."""
    scan = strategy_class(Space((Dimension("energy", low=LOW, high=HIGH, units="eV"),)), **options)
    for t, energy in enumerate(np.linspace(LOW, HIGH, 8)):
        value = float(np.tanh((energy - 7120.0) / 5.0))
        scan.observe([Observation({"energy": energy}, value=value, time=float(t))])
    return scan


@pytest.mark.parametrize(
    ("strategy_class", "options"), [(EnergyScan, {"n_initial": 5}), (UniformGrid, {})]
)
def test_a_prediction_at_the_replays_end_energy_is_taken_onto_the_bound(strategy_class, options):
    """model_predict refused 7032.0, the first energy of the file as typed, while
    observation_put takes it onto the bound, within READBACK_TOLERANCE of the range."""
    scan = _measured_replay(strategy_class, **options)
    ends = scan.predict(np.array([LOW, HIGH]))[0]
    assert scan.predict(np.array([7032.0, 7355.9]))[0] == pytest.approx(ends)
    # farther than READBACK_TOLERANCE (1e-3 of the 324 eV range) stays refused
    with pytest.raises(OutOfSpaceError, match=r"point 1 .* by more than the readback tolerance"):
        scan.predict(np.array([7100.0, 7031.6]))


@pytest.mark.parametrize("counts", [1, 0.5])
def test_too_few_fluorescence_counts_are_refused_as_transmission_counts_are(tmp_path, counts):
    """A fluorescence replay's --noise-counts are the counts at its highest mu."""
    energy = np.linspace(8900.0, 9100.0, 60)
    mu = 1 / (1 + np.exp(-(energy - 9000.0) / 5))
    rows = "".join(f"{e} 2000 {2000 * m}\n" for e, m in zip(energy, mu, strict=True))
    path = tmp_path / "fluo.xdi"
    path.write_text(
        "# XDI/1.0\n# Column.1: energy eV\n# Column.2: i0\n# Column.3: Sum_Fe_Ka\n#----\n" + rows
    )
    with pytest.raises(InvalidParameterError) as err:
        xas_source(str(path), counts, 0, fluorescence="Sum_Fe_Ka")
    assert str(err.value).startswith(f"--noise-counts {counts:g} is too few for --source {path}")
    assert "under 10 fluorescence counts" in str(err.value)
    assert str(err.value).endswith(
        "raise i0 to at least 10); pass --noise-counts 10 or more, or 0 for noise-free"
    )
    assert xas_source(str(path), 10, 0, fluorescence="Sum_Fe_Ka").i0 == 10
