"""A monochromator glitch fails the reading at one energy every time: energy_scan asked for
that energy 20 times in a row and its driver gave up with 2 readings learned (review X13).
energy_scan now skips an energy once its measurement failed REPEATED_FAILURES times
there; fewer failures (a beam loss) are measured again."""

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.strategies.scan import REPEATED_FAILURES

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}


def mu(energy: float) -> float:
    return float(np.tanh((energy - 8980.0) / 5.0))


def run(
    campaign: Campaign, glitch: tuple[float, float], puts: int | None = None, restart=False
) -> tuple[Campaign, list[float]]:
    """Suggest and measure one reading at a time, ``puts`` times (None: any number) or until
    the campaign stops, every reading inside ``glitch`` failing; resumed from the journal
    after each put where ``restart`` (a server restart). Returns the campaign and the
    energies asked, in order."""
    asked: list[float] = []
    while puts is None or len(asked) < puts:
        batch = campaign.suggest(1)
        if not batch:  # stopped
            break
        (suggestion,) = batch
        energy = suggestion.point["energy"]
        asked.append(energy)
        if glitch[0] <= energy <= glitch[1]:
            put = Observation(suggestion.point, failed="I0 = 0", suggestion_id=suggestion.id)
        else:
            put = Observation(suggestion.point, mu(energy), 0.002, suggestion_id=suggestion.id)
        campaign.observe(put)
        if restart:
            campaign = Campaign.resume(campaign.journal, campaign.id)
    return campaign, asked


def longest_failing(asked: list[float], glitch: tuple[float, float]) -> int:
    """The longest run of ``asked`` energies in a row inside ``glitch``."""
    longest = streak = 0
    for energy in asked:
        streak = streak + 1 if glitch[0] <= energy <= glitch[1] else 0
        longest = max(longest, streak)
    return longest


def test_an_energy_scan_moves_past_an_energy_that_keeps_failing(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    strategy = {"name": "energy_scan", "options": {"n_initial": 12}}
    campaign = Campaign.create(journal, SPACE, strategy)
    glitch = (8996.0, 8999.0)  # holds the grid energy 8997.56
    _, asked = run(campaign, glitch, 30)
    failed = [e for e in asked if glitch[0] <= e <= glitch[1]]
    assert failed[:REPEATED_FAILURES] == [failed[0]] * REPEATED_FAILURES  # given up on
    assert failed[0] not in failed[REPEATED_FAILURES:]  # then the band's width is probed
    assert campaign.n_observations == 30 - len(failed)
    resumed = Campaign.resume(journal, campaign.id)  # the failures come back from the journal
    assert all(not glitch[0] <= e <= glitch[1] for e in run(resumed, glitch, 5)[1])


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
    _, asked = run(campaign, glitch, 100)
    failed = [e for e in asked if glitch[0] <= e <= glitch[1]]
    counts = np.unique(failed, return_counts=True)[1]
    assert counts.max() <= REPEATED_FAILURES and len(failed) < 30, failed


@pytest.mark.parametrize("glitch", [(8982.0, 8986.0), (8981.0, 8991.0)])
def test_an_energy_scan_converges_beside_a_glitch_band_on_the_edge(tmp_path, glitch):
    # review C26: the stop waited for the std inside the band given up on to fall, where no
    # reading can come: 200 readings and no convergence (30 without the glitch). Review
    # C27: each grid energy of the band was then tried once, 0.2 eV apart (25 of 67 puts
    # failed, 22 in a row, and run_driver gave up); the mean inside a 10 eV band, free to
    # move, kept the stop from firing for 150 readings
    journal = Journal(tmp_path / "j.sqlite")
    goals = {"max_observations": 200}
    campaign = Campaign.create(journal, SPACE, {"name": "energy_scan"}, goals=goals)
    campaign, asked = run(campaign, glitch)
    longest = longest_failing(asked, glitch)
    assert campaign.stop_reason.startswith("converged"), campaign.stop_reason
    assert "fits outside the glitch bands given up on (89" in campaign.stop_reason
    assert campaign.n_observations < 60
    assert campaign.n_failed <= 12 and longest <= 8, (campaign.n_failed, longest)
    ((first, last),) = campaign.strategy.given_up
    assert first <= glitch[0] and last >= glitch[1]  # it skips the band, and...
    assert last - first <= 3 * (glitch[1] - glitch[0])  # ...not much of the spectrum beside


def test_a_glitch_band_on_a_step_lattice_is_skipped_and_the_scan_converges(tmp_path):
    # review C27: lattice energies 0.5 eV apart, beyond the readback tolerance (0.2 eV),
    # were each a band of their own, and the stop masked the grid between them: 150
    # readings, 27 failed, no convergence (28 readings without the glitch)
    journal = Journal(tmp_path / "j.sqlite")
    lattice = {"dimensions": [{**SPACE["dimensions"][0], "step": 0.5}]}
    goals = {"max_observations": 150}
    campaign = Campaign.create(journal, lattice, {"name": "energy_scan"}, goals=goals)
    campaign, _ = run(campaign, (8982.0, 8986.0))
    assert campaign.stop_reason.startswith("converged"), campaign.stop_reason
    assert campaign.n_failed <= 10, campaign.n_failed


def test_a_resumed_scan_skips_and_stops_as_one_that_ran_on(tmp_path):
    # review C27: the bands given up on were not in the strategy's state, so a scan resumed
    # after each put counted the band's std again: no convergence in 120 readings (42 ran on)
    stops = []
    for restart in (False, True):
        journal = Journal(tmp_path / f"{restart}.sqlite")
        goals = {"max_observations": 120}
        campaign = Campaign.create(journal, SPACE, {"name": "energy_scan"}, goals=goals)
        campaign, _ = run(campaign, (8982.0, 8986.0), restart=restart)
        stops.append((campaign.n_observations, campaign.n_failed, campaign.stop_reason))
    assert stops[0] == stops[1] and stops[0][2].startswith("converged"), stops


def batches_with_a_beam_dump(campaign: Campaign, batches: int) -> list[float]:
    """Measure ``batches`` batches of 8, the fourth lost to a beam dump (each reading failed
    once); return the energies of the batch lost."""
    lost: list[float] = []
    for k in range(batches):
        batch = campaign.suggest(8)
        for suggestion in batch:
            energy = suggestion.point["energy"]
            if k == 3:
                put = Observation(suggestion.point, failed="beam dump", suggestion_id=suggestion.id)
                lost.append(energy)
            else:
                put = Observation(suggestion.point, mu(energy), 0.002, suggestion_id=suggestion.id)
            campaign.observe(put)
    return lost


def test_a_batch_lost_to_a_beam_dump_is_measured_again(tmp_path):
    # review C27: a batch's neighbouring energies on the white line, each failed once by a
    # beam dump, chained into a "glitch band given up on" and were never measured again
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SPACE, {"name": "energy_scan"})
    lost = np.sort(batches_with_a_beam_dump(campaign, 4))
    assert np.diff(lost).min() < 0.5  # neighbours: they would chain
    again = [s.point["energy"] for s in campaign.suggest(8)]
    assert campaign.strategy.given_up == []
    assert set(again) & set(lost), (again, lost)


def test_a_glitch_band_stops_at_the_readings_that_succeeded_beside_it(tmp_path):
    # review C28: a beam dump's failures, all measured again since, widened a glitch band
    # beside them across 7 good readings and the edge, which the scan then never measured
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SPACE, {"name": "energy_scan"})
    lost = batches_with_a_beam_dump(campaign, 5)
    measured = campaign.strategy.data()[0]
    assert np.isin(lost, measured).all()  # the beam dump's energies were measured again
    glitch = sorted(lost)[len(lost) // 2] - 0.1  # one energy among them
    for _ in range(REPEATED_FAILURES):
        campaign.observe(Observation({"energy": glitch}, failed="glitch"))
    campaign.suggest(1)
    ((first, last),) = campaign.strategy.given_up
    assert first <= glitch <= last
    assert not ((measured > first) & (measured < last)).any(), (first, last)


def test_a_glitch_is_not_asked_again_before_the_model_is_fitted(tmp_path):
    # review C28: with n_initial=3 and fewer than 3 readings, the widest gap's midpoint, the
    # glitch energy given up on, was asked again and again (10 failures in 12 puts)
    journal = Journal(tmp_path / "j.sqlite")
    strategy = {"name": "energy_scan", "options": {"n_initial": 3}}
    campaign = Campaign.create(journal, SPACE, strategy)
    _, asked = run(campaign, (8999.9, 9000.1), 12)
    assert asked.count(9000.0) == REPEATED_FAILURES, asked
    assert campaign.n_observations == 12 - REPEATED_FAILURES
