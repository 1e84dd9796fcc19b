"""A point whose spectrum the analysis failed on is not suggested again by batch_bo (live,
resumed and served), and a driver mapping a sample with holes goes on past them."""

import numpy as np
import pytest

from adaptive.campaign import Campaign
from adaptive.client import Client
from adaptive.errors import AnalysisError
from adaptive.journal import Journal
from adaptive.records import Observation, Spectrum
from drivers import Reading, run_driver

SQUARE = {
    "dimensions": [{"name": "x", "low": 0.0, "high": 10.0}, {"name": "y", "low": 0.0, "high": 10.0}]
}
CHANNELS = np.linspace(400.0, 800.0, 50)
#: Scores each spectrum by its Pearson loss against a line at 550 nm; a spectrum of zero
#: counts (constant) cannot be scored: its put fails analysis.
OBJECTIVE = {
    "target_x": CHANNELS.tolist(),
    "target_y": np.exp(-(((CHANNELS - 550) / 40) ** 2)).tolist(),
    "measure": "pearson",
    "x_units": "nm",
}
BATCH_BO = {"name": "batch_bo", "options": {"q": 4, "n_initial": 4, "n_candidates": 64, "seed": 0}}


def counts(point: dict) -> np.ndarray:
    """The spectrum (50,) at ``point``: a line moving with x; none (all zero) for y > 6."""
    if point["y"] > 6.0:
        return np.zeros(CHANNELS.size)
    return np.exp(-(((CHANNELS - 500.0 - 10.0 * point["x"]) / 40) ** 2))


def key(point: dict) -> tuple:
    return tuple(sorted(point.items()))


def test_a_point_that_failed_analysis_is_not_suggested_again_live_or_resumed(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    live = Campaign.create(journal, SQUARE, BATCH_BO, campaign_id="c", objective=OBJECTIVE)
    design = live.suggest(4)
    hole = next(s for s in design if s.point["y"] > 6.0)
    for suggestion in design:
        spectrum = Spectrum(CHANNELS, counts(suggestion.point))
        point = dict(suggestion.point)
        observation = Observation(point, spectrum=spectrum, suggestion_id=suggestion.id)
        if suggestion is hole:
            with pytest.raises(AnalysisError, match="'analysis_failed' event"):
                live.observe(observation)
        else:
            assert live.observe(observation)
    assert live.analysis_failed_points == [hole.point] and live.pending.keys() == {hole.id}
    live.release([hole.id])  # as run_driver does
    reopened = Journal(path)
    try:
        resumed = Campaign.resume(reopened, "c")
        assert resumed.analysis_failed_points == [hole.point]
        assert resumed.summary() == live.summary() and resumed.n_failed == 0
        for campaign in (live, resumed):
            again = campaign.suggest(4)
            assert len(again) == 4 and key(hole.point) not in {key(s.point) for s in again}
    finally:
        reopened.close()
        journal.close()


class Stage:
    """Moves to a point and reads its ``counts`` spectrum; counts each point read."""

    def __init__(self):
        self.reads: dict[tuple, int] = {}

    def move(self, point):
        self.point = point

    def read(self):
        self.reads[key(self.point)] = self.reads.get(key(self.point), 0) + 1
        return Reading(
            value=None, spectrum={"x": CHANNELS, "y": counts(self.point), "x_units": "nm"}
        )


def test_a_driver_mapping_a_sample_with_holes_goes_on_and_never_returns_to_them(server):
    with Client(server.endpoint, timeout_s=60) as client:
        campaign_id = client.call(
            "campaign_create",
            space=SQUARE,
            strategy=BATCH_BO,
            goals={"max_observations": 10},
            objective=OBJECTIVE,
        )["campaign_id"]
        stage = Stage()
        run = run_driver(client, campaign_id, stage, batch=4)
        status = client.call("campaign_status", campaign_id=campaign_id)
    journal = Journal(server.journal_path)
    try:
        holes = [e["payload"]["point"] for e in journal.events(campaign_id, "analysis_failed")]
        suggested = [e["payload"]["point"] for e in journal.events(campaign_id, "suggestion")]
        resumed = Campaign.resume(journal, campaign_id)
    finally:
        journal.close()
    assert (run.status, status["n_observations"], status["pending"]) == ("stopped", 10, [])
    assert holes and all(point["y"] > 6.0 for point in holes)
    assert all(stage.reads[key(point)] == 1 for point in holes)  # each hole measured once
    assert all([key(p) for p in suggested].count(key(hole)) == 1 for hole in holes)
    assert len(run.warnings) == len(holes) and "analysis_failed" in run.warnings[0]
    assert resumed.analysis_failed_points == holes
