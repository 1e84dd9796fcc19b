"""A monochromator glitch fails the reading at one energy every time: energy_scan asked for
that energy 20 times in a row and its driver gave up with 2 readings learned (review X13).
energy_scan now skips an energy once its measurement failed REPEATED_FAILURES times
there; fewer failures (a beam loss) are measured again."""

import numpy as np

from adaptive.campaign import Campaign
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.strategies.scan import REPEATED_FAILURES

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}


def mu(energy: float) -> float:
    return float(np.tanh((energy - 8980.0) / 5.0))


def run(campaign: Campaign, glitch: tuple[float, float], puts: int) -> list[float]:
    """Suggest and measure ``puts`` times, or until the campaign stops, every reading inside
    ``glitch`` failing."""
    asked = []
    for _ in range(puts):
        batch = campaign.suggest(1)
        if not batch:  # stopped
            break
        (suggestion,) = batch
        energy = suggestion.point["energy"]
        asked.append(energy)
        if glitch[0] <= energy <= glitch[1]:
            failed = Observation(suggestion.point, failed="I0 = 0", suggestion_id=suggestion.id)
            campaign.observe(failed)
        else:
            campaign.observe(
                Observation(suggestion.point, value=mu(energy), suggestion_id=suggestion.id)
            )
    return asked


def test_an_energy_scan_moves_past_an_energy_that_keeps_failing(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    strategy = {"name": "energy_scan", "options": {"n_initial": 12}}
    campaign = Campaign.create(journal, SPACE, strategy)
    glitch = (8996.0, 8999.0)  # holds the grid energy 8997.56
    asked = run(campaign, glitch, 30)
    failed = [e for e in asked if glitch[0] <= e <= glitch[1]]
    assert failed == [failed[0]] * REPEATED_FAILURES  # one energy, given up on
    assert campaign.n_observations == 30 - REPEATED_FAILURES
    resumed = Campaign.resume(journal, campaign.id)  # the failures come back from the journal
    assert all(not glitch[0] <= e <= glitch[1] for e in run(resumed, glitch, 5))


def test_an_energy_that_failed_fewer_times_is_measured_again(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    campaign = Campaign.create(journal, SPACE, {"name": "energy_scan"})
    (first,) = campaign.suggest(1)
    for _ in range(REPEATED_FAILURES - 1):  # a beam loss, twice
        campaign.observe(Observation(first.point, failed="beam loss", suggestion_id=first.id))
        (again,) = campaign.suggest(1)
        assert again.point == first.point
        first = again


def test_an_energy_scan_moves_past_a_glitch_band_wider_than_its_grid_step(tmp_path):
    # review X19: a 10 eV band failed 5,902 times: failures at neighbouring grid energies
    # (1.17 eV apart, within the readback tolerance of 1.2 eV) made one run, and only its
    # mean, between grid energies, was skipped
    journal = Journal(tmp_path / "j.sqlite")
    wide = {"dimensions": [{"name": "energy", "low": 8500.0, "high": 9700.0, "units": "eV"}]}
    campaign = Campaign.create(journal, wide, {"name": "energy_scan"})
    glitch = (8981.0, 8991.0)
    asked = run(campaign, glitch, 100)
    failed = [e for e in asked if glitch[0] <= e <= glitch[1]]
    counts = np.unique(failed, return_counts=True)[1]
    assert counts.max() <= REPEATED_FAILURES and len(failed) < 30, failed


def test_an_energy_scan_converges_beside_a_glitch_band_on_the_edge(tmp_path):
    # review C26: the stop waited for the std inside the band given up on to fall, where no
    # reading can come: 200 readings and no convergence (30 without the glitch)
    journal = Journal(tmp_path / "j.sqlite")
    goals = {"max_observations": 200}
    campaign = Campaign.create(journal, SPACE, {"name": "energy_scan"}, goals=goals)
    glitch = (8982.0, 8986.0)
    while batch := campaign.suggest(1):
        (suggestion,) = batch
        energy = suggestion.point["energy"]
        if glitch[0] <= energy <= glitch[1]:
            put = Observation(suggestion.point, failed="I0 = 0", suggestion_id=suggestion.id)
        else:
            put = Observation(suggestion.point, mu(energy), 0.002, suggestion_id=suggestion.id)
        campaign.observe(put)
    assert campaign.stop_reason.startswith("converged"), campaign.stop_reason
    assert "fits outside the glitch bands given up on (898" in campaign.stop_reason
    assert campaign.n_observations < 60
