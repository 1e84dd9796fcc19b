"""A readback just past the scan's end, put naming its suggestion, is taken onto the bound
(live, resumed and served); and a scan over an integer or categorical energy says why not."""

import pytest

from adaptive.campaign import FAR_FROM_SUGGESTION, Campaign
from adaptive.client import Client
from adaptive.errors import InvalidParameterError, OutOfSpaceError
from adaptive.journal import Journal
from adaptive.records import Observation
from adaptive.space import Space
from adaptive.strategies import make_strategy
from drivers import Reading, SimulatedInstrument, run_driver
from simulators import KEdgeXAS

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0, "units": "eV"}]}
GRID = {"name": "grid", "options": {"n_points": 5}}  # 8900, 8950, ..., 9100
OFFSET = -0.3  # the mono reads back 0.3 eV below its setpoint: 1.5x READBACK_TOLERANCE


def measure_with_offset(campaign: Campaign, n: int) -> list[list[str]]:
    """Put ``n`` suggestions read back at setpoint + OFFSET, naming them; their warnings."""
    warnings = []
    for suggestion in campaign.suggest(n):
        read = {"energy": suggestion.point["energy"] + OFFSET}
        assert campaign.observe(Observation(read, 1.0, suggestion_id=suggestion.id))
        warnings.append(campaign.last_warnings)
    return warnings


def test_a_readback_past_the_low_end_naming_its_suggestion_is_taken_on_the_bound(journal):
    campaign = Campaign.create(journal, SPACE, GRID, campaign_id="c1")
    warnings = measure_with_offset(campaign, 2)
    first, second = journal.observations("c1")
    assert first.point == {"energy": 8900.0}
    assert first.metadata["driver_point"] == {"energy": 8899.7}
    assert second.point == {"energy": 8949.7} and "driver_point" not in second.metadata
    assert len(warnings[0]) == 1 and warnings[1] == []
    assert "energy=8899.7 eV lies outside 8900..9100 eV" in warnings[0][0]
    assert "journaled on the bound 8900 eV" in warnings[0][0]
    assert campaign.pending == {}


def test_a_resume_after_such_puts_has_the_same_state(tmp_path):
    path = tmp_path / "journal.sqlite"
    journal = Journal(path)
    live = Campaign.create(journal, SPACE, GRID, campaign_id="c1")
    measure_with_offset(live, 2)
    reopened = Journal(path)
    try:
        resumed = Campaign.resume(reopened, "c1")
        assert resumed.summary() == live.summary()
        assert reopened.observations("c1") == journal.observations("c1")
        assert [s.point for s in resumed.suggest(3)] == [s.point for s in live.suggest(3)]
    finally:
        reopened.close()
        journal.close()


@pytest.mark.parametrize(
    ("named", "energy", "match"),
    [
        (False, 8899.7, r"0.2 eV .*\(a put naming the suggestion it measured, suggestion_id, "),
        (True, 9100.5, r"0.2 eV .* and farther than 5% of the range from the 8900 eV of the "),
        (True, 8889.9, "farther than 5% of the range"),  # 10.1 eV from 8900: more than 10
    ],
    ids=["no suggestion_id", "far from it", "just past its reach"],
)
def test_a_readback_past_the_tolerance_and_not_near_a_named_suggestion_is_refused(
    journal, named, energy, match
):
    campaign = Campaign.create(journal, SPACE, GRID, campaign_id="c1")
    (suggestion,) = campaign.suggest(1)
    assert suggestion.point == {"energy": 8900.0}
    suggestion_id = suggestion.id if named else None
    observation = Observation({"energy": energy}, 1.0, suggestion_id=suggestion_id)
    with pytest.raises(OutOfSpaceError, match=match):
        campaign.observe(observation)
    assert journal.observations("c1") == [] and suggestion.id in campaign.pending
    within = 8900.0 - 0.9 * FAR_FROM_SUGGESTION * 200.0  # 9 eV out, of a 10 eV reach
    assert campaign.observe(Observation({"energy": within}, 1.0, suggestion_id=suggestion.id))
    assert journal.observations("c1")[0].point == {"energy": 8900.0}


class OffsetMono(SimulatedInstrument):
    """A mono whose readback sits OFFSET below its setpoint."""

    def read(self):
        reading = super().read()
        point = {"energy": self.energy + OFFSET}
        return Reading(reading.value, reading.uncertainty, metadata=reading.metadata, point=point)


def test_a_driver_whose_mono_reads_back_below_the_setpoint_completes_its_scan(server):
    simulator = KEdgeXAS(seed=0)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign_id = client.call(
            "campaign_create",
            space=SPACE,
            strategy={"name": "energy_scan", "options": {"n_initial": 6}},
            goals={"max_observations": 8},
        )["campaign_id"]
        run = run_driver(client, campaign_id, OffsetMono(simulator))
        status = client.call("campaign_status", campaign_id=campaign_id)
        points = client.call("observations_get", campaign_id=campaign_id)["points"]
    assert (run.n_measured, run.status) == (8, "stopped")
    assert status["n_observations"] == 8 and status["pending"] == []
    assert points[0] == {"energy": 8900.0}  # the grid's first point, read back at 8899.7
    assert len(run.warnings) == 1 and "journaled on the bound 8900 eV" in run.warnings[0]


@pytest.mark.parametrize(
    "dimension",
    [
        {"name": "energy", "kind": "integer", "low": 8900, "high": 9100, "units": "eV"},
        {"name": "energy", "kind": "categorical", "choices": [8900, 9000, 9100]},
    ],
    ids=["integer", "categorical"],
)
def test_a_scan_over_an_energy_not_continuous_names_its_kind_and_the_fix(dimension):
    space = Space.from_dict({"dimensions": [dimension]})
    with pytest.raises(
        InvalidParameterError,
        match=rf"'energy' is of kind '{dimension['kind']}': give it kind 'continuous' with low "
        r"and high, and 'step': 1",
    ):
        make_strategy({"name": "energy_scan"}, space, None)
