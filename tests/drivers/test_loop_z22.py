"""Review Z22 (controls): ``run_driver`` puts a detector's readings as its software returns
them: a spectrum of integer counts of a width the wire does not carry (uint32, int16), and
0-d arrays (an ophyd signal's reading) as value, uncertainty, readback or metadata, each
journaled as the number or list it holds, where the run raised and lost the reading."""

from contextlib import closing

import numpy as np
import pytest

from adaptive.client import Client
from adaptive.journal import Journal
from adaptive.server import Server
from drivers import Reading, run_driver

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}
COUNTS = np.array([0, 7, 2**32 - 1], dtype=np.uint32)


class Detector:
    """Reads ``reading`` wherever it is moved."""

    def __init__(self, reading: Reading):
        self.reading = reading

    def move(self, point):
        pass

    def read(self) -> Reading:
        return self.reading


@pytest.fixture
def served(tmp_path):
    """A server on a fresh journal and a client of it."""
    with Server(tmp_path / "j.sqlite", bind="tcp://127.0.0.1:0") as server:
        with Client(server.endpoint, timeout_s=10) as client:
            yield server, client


def _measured_once(client: Client, reading: Reading) -> str:
    """Run a driver reading ``reading`` on a new campaign of one observation; its id."""
    made = client.call(
        "campaign_create", space=SPACE, strategy={"name": "random"}, goals={"max_observations": 1}
    )
    run = run_driver(client, made["campaign_id"], Detector(reading))
    assert (run.n_measured, run.status) == (1, "stopped")
    return made["campaign_id"]


def _journaled(server: Server, campaign_id: str) -> list:
    """The observations the server's journal holds of the campaign."""
    with closing(Journal(server.journal_path)) as journal:
        return journal.observations(campaign_id)


@pytest.mark.parametrize(
    "spectrum",
    [
        {"x": np.array([1.0, 2.0, 3.0]), "y": COUNTS},
        {"x": np.array([1, 2, 3], dtype=np.int16), "y": COUNTS.astype(np.uint64)},
    ],
    ids=["uint32", "int16-uint64"],
)
def test_a_spectrum_of_integer_counts_is_journaled_as_its_numbers(served, spectrum):
    # Client.prepare refused it: "dtype '<u4' cannot go on the wire"
    server, client = served
    campaign_id = _measured_once(client, Reading(value=1.0, spectrum=spectrum))
    (observation,) = _journaled(server, campaign_id)
    assert observation.spectrum.x.tolist() == [1.0, 2.0, 3.0]
    assert observation.spectrum.y.tolist() == [0.0, 7.0, 2.0**32 - 1]


def test_0d_arrays_are_journaled_as_the_numbers_and_lists_they_hold(served):
    # the server refused them: "value=array(1.) must be one number, not ndarray"
    server, client = served
    reading = Reading(
        value=np.array(2.5),
        uncertainty=np.array(0.5, dtype=np.float32),
        point={"energy": np.array(9000.25)},
        metadata={"i0": np.array(7, dtype=np.uint32), "ring": np.array([1.0, np.nan])},
    )
    campaign_id = _measured_once(client, reading)
    (observation,) = _journaled(server, campaign_id)
    assert (observation.value, observation.uncertainty) == (2.5, 0.5)
    assert observation.point == {"energy": 9000.25}
    assert observation.metadata == {"i0": 7, "ring": [1.0, None]}


def test_a_0d_nan_value_is_a_failed_measurement_as_a_nan_number_is(served):
    _, client = served
    made = client.call("campaign_create", space=SPACE, strategy={"name": "random"})
    run = run_driver(client, made["campaign_id"], Detector(Reading(np.array(np.nan))), 1, 1)
    assert run.n_measured == 1
    failed = client.call("observations_get", campaign_id=made["campaign_id"])["failed"]
    assert len(failed["reasons"]) == 1 and "read value=nan" in failed["reasons"][0]
