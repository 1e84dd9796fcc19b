"""Review X24: a random scan asked for a failed energy again, for ever (its draws skipped only
the readings measured or pending, and a failed one is neither): a glitch failed 20 times in a
row at one energy and the driver gave up."""

from adaptive import Campaign, Journal, Observation

SPACE = {"dimensions": [{"name": "energy", "low": 8779.0, "high": 9979.0, "units": "eV"}]}
RANDOM = {"name": "random", "options": {"seed": 0}}


def run(campaign: Campaign, n: int, failing: set[int]) -> list[float]:
    """The energies of ``n`` suggestions, one at a time; the readings numbered in ``failing``
    fail, the others read 1.0."""
    energies = []
    for k in range(n):
        (suggestion,) = campaign.suggest(1)
        energies.append(suggestion.point["energy"])
        reading = {"failed": "glitch"} if k in failing else {"value": 1.0}
        campaign.observe(
            Observation(point=suggestion.point, suggestion_id=suggestion.id, **reading)
        )
    return energies


def test_a_failed_draw_is_passed_over_and_the_sequence_goes_on(tmp_path):
    measured = Campaign.create(Journal(tmp_path / "a.sqlite"), SPACE, RANDOM)
    failing = Campaign.create(Journal(tmp_path / "b.sqlite"), SPACE, RANDOM)
    draws = run(measured, 8, set())
    energies = run(failing, 8, {3})
    assert energies == draws  # the 4th failed: the 5th draw follows, not the 4th again
    assert energies.count(draws[3]) == 1


def test_a_resumed_campaign_does_not_ask_for_its_failed_energy_again(tmp_path):
    path = tmp_path / "j.sqlite"
    campaign = Campaign.create(Journal(path), SPACE, RANDOM)
    energies = run(campaign, 4, {3})
    journal = Journal(path)
    resumed = Campaign.resume(journal, journal.campaign_ids()[-1])
    (suggestion,) = resumed.suggest(1)
    assert suggestion.point["energy"] not in energies
