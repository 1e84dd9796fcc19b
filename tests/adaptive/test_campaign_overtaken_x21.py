"""Review X21 (XAS): a suggestion left pending by a driver killed mid-batch was never
named while the scan ran on; an energy scan waiting on one on the edge had not converged
after 252 more readings. The put that makes it ``OVERTAKEN`` warns, once."""

from adaptive import Campaign, Journal, Observation
from adaptive.campaign import OVERTAKEN

SPACE = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}


def test_a_put_warns_once_of_a_suggestion_overtaken_by_later_ones(tmp_path):
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SPACE, {"name": "random"})
    slow, orphan, released = campaign.suggest(3)
    campaign.release([released.id])
    warned = []
    for k in range(OVERTAKEN + 3):
        (suggestion,) = campaign.suggest(1)
        campaign.observe(Observation(suggestion.point, 1.0, suggestion_id=suggestion.id))
        warned.append([w for w in campaign.last_warnings if "still pending" in w])
        if k + 1 == OVERTAKEN:  # one made before the orphan, measured late: no repeat
            campaign.observe(Observation(slow.point, 1.0, suggestion_id=slow.id))
            assert not any("still pending" in w for w in campaign.last_warnings)
    at = [k + 1 for k, w in enumerate(warned) if w]
    assert at == [OVERTAKEN], at
    (warning,) = warned[OVERTAKEN - 1]
    assert orphan.id in warning and slow.id in warning and released.id not in warning
    assert "resume_pending=True" in warning and "suggestions_release" in warning


def test_a_failed_put_that_overtakes_a_suggestion_warns_of_it(tmp_path):
    # review C28: the OVERTAKEN-th later answer a failed measurement, the warning never came
    campaign = Campaign.create(Journal(tmp_path / "j.sqlite"), SPACE, {"name": "random"})
    (orphan,) = campaign.suggest(1)
    warned = []
    for k in range(1, OVERTAKEN + 3):
        (suggestion,) = campaign.suggest(1)
        failed = "beam dump" if k == OVERTAKEN else None
        value = None if failed else 1.0
        put = Observation(suggestion.point, value, suggestion_id=suggestion.id, failed=failed)
        campaign.observe(put)
        if any(orphan.id in w for w in campaign.last_warnings if "still pending" in w):
            warned.append(k)
    assert warned == [OVERTAKEN], warned
