"""The driver loop against real servers on loopback: argument checks, outages, timing."""

import dataclasses
import functools
import signal
import sqlite3
import threading
import time

import numpy as np
import pytest

from adaptive.client import MAX_SUGGESTIONS, Client, RemoteError
from adaptive.errors import InstrumentFailingError, InvalidParameterError, StrategyMissingError
from adaptive.journal import Journal
from adaptive.server import Server
from adaptive.strategies import STRATEGIES, register_strategy
from drivers import DriverRun, Reading, SimulatedInstrument, run_driver
from drivers.loop import FAILURES_IN_A_ROW
from simulators import KEdgeXAS
from tests.adaptive.test_analysis import two_peaks

#: A port nothing listens on: a call there ends in ServerUnavailableError.
SILENT = "tcp://127.0.0.1:1"


class SlowServer(Server):
    """A real server whose ``slow`` handler takes ``delay_s`` (a long fit, an analysis).

    Attributes:
        handled: how many requests the slow handler did the work for.
    """

    def __init__(self, journal, slow: str, delay_s: float):
        super().__init__(journal, bind="tcp://127.0.0.1:0")
        self.handled = 0
        handler = self.methods[slow]

        @functools.wraps(handler)  # keeps the signature the dispatcher checks
        def slowly(**params):
            self.handled += 1
            time.sleep(delay_s)
            return handler(**params)

        self.methods[slow] = slowly


@pytest.fixture
def slow_server(tmp_path):
    """Start a ``SlowServer(slow, delay_s)``; every one started is stopped afterwards."""
    servers = []

    def start(slow: str, delay_s: float) -> SlowServer:
        server = SlowServer(tmp_path / f"journal{len(servers)}.sqlite", slow, delay_s)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def grid_campaign(client: Client, simulator: KEdgeXAS, n_points: int = 5) -> str:
    """A grid campaign over the simulator's energy range; its id."""
    low, high = simulator.energy_range
    space = {"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]}
    strategy = {"name": "grid", "options": {"n_points": n_points}}
    return client.call("campaign_create", space=space, strategy=strategy)["campaign_id"]


@pytest.mark.parametrize("slow", ["suggestions_get", "observation_put"])
def test_a_slow_server_answers_the_retries_of_an_outage_from_its_cache(slow_server, slow, caplog):
    server = slow_server(slow, delay_s=0.6)
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as setup:
        campaign = grid_campaign(setup, simulator)
    server.handled = 0
    # The client gives up after 0.1 s, long before the server answers: outage_s resends.
    with Client(server.endpoint, timeout_s=0.1, retries=0) as client:
        instrument = SimulatedInstrument(simulator)
        run = run_driver(client, campaign, instrument, batch=2, max_measurements=2, outage_s=4.0)
    assert run == DriverRun(2, "running", None)
    with Client(server.endpoint, timeout_s=10) as client:  # served after the queued copies
        status = client.call("campaign_status", campaign_id=campaign)
    assert server.handled == (1 if slow == "suggestions_get" else 2)  # once per request
    assert status["n_observations"] == 2 and status["pending"] == []
    # the driver froze for the outage without a word
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.loop"]
    retried = [line for line in logged if "retrying for up to" in line]
    answered = [line for line in logged if "answered after" in line]
    assert len(retried) == len(answered) >= 1, logged
    assert all(line.startswith(slow) for line in retried + answered), logged


def test_ctrl_c_while_waiting_for_suggestions_releases_the_batch_they_make(slow_server):
    server = slow_server("suggestions_get", delay_s=1.0)
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)
        server.handled = 0
        main = threading.main_thread().ident
        ctrl_c = threading.Timer(0.4, signal.pthread_kill, (main, signal.SIGINT))
        ctrl_c.start()  # while the server makes the batch
        with pytest.raises(KeyboardInterrupt):
            run_driver(client, campaign, SimulatedInstrument(simulator), batch=3)
        ctrl_c.join()
        status = client.call("campaign_status", campaign_id=campaign)
    assert server.handled == 1  # the resend was answered from the reply cache
    assert status["pending"] == [] and status["n_observations"] == 0
    journal = Journal(server.journal_path)
    try:
        (release,) = journal.events(campaign, "release")
        assert len(release["payload"]["ids"]) == 3
    finally:
        journal.close()


def test_ctrl_c_while_a_put_is_in_flight_releases_the_others_not_that_one(slow_server, capsys):
    # its release went out as the server journaled the put, and was refused: "not pending"
    server = slow_server("observation_put", delay_s=1.0)
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)
        main = threading.main_thread().ident
        ctrl_c = threading.Timer(0.4, signal.pthread_kill, (main, signal.SIGINT))
        ctrl_c.start()  # while the server journals the first put
        with pytest.raises(KeyboardInterrupt):
            run_driver(client, campaign, SimulatedInstrument(simulator), batch=2)
        ctrl_c.join()
        status = client.call("campaign_status", campaign_id=campaign)
        (measured,) = client.call("observations_get", campaign_id=campaign)["suggestion_ids"]
    assert status["pending"] == [] and status["n_observations"] == 1
    journal = Journal(server.journal_path)
    try:
        (release,) = journal.events(campaign, "release")
    finally:
        journal.close()
    assert len(release["payload"]["ids"]) == 1 and measured not in release["payload"]["ids"]
    assert "suggestions_release" not in capsys.readouterr().err  # no refusal logged


class ReadsFarOff(SimulatedInstrument):
    """Reads back an energy far outside the space: the server refuses every put."""

    def read(self) -> Reading:
        return dataclasses.replace(super().read(), point={"energy": 1e5})


def test_a_put_the_server_refuses_releases_its_suggestion_as_the_others(server):
    # its release was skipped with the Ctrl-C one's: the grid never measured that point
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)
        with pytest.raises(RemoteError, match="OutOfSpaceError"):
            run_driver(client, campaign, ReadsFarOff(simulator), batch=2)
        assert client.call("campaign_status", campaign_id=campaign)["pending"] == []
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=2)
    assert run.n_measured == 5 and run.status == "stopped"


def test_an_observation_is_timed_when_read_not_when_the_put_arrives(slow_server):
    server = slow_server("observation_put", delay_s=0.5)
    simulator = KEdgeXAS(i0=None)
    read_at = []

    class Timed(SimulatedInstrument):
        def read(self):
            reading = super().read()
            read_at.append(time.time())
            return reading

    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator, n_points=2)
        run_driver(client, campaign, Timed(simulator))
    journal = Journal(server.journal_path)
    observed = journal.observations(campaign)
    journal.close()
    assert len(observed) == len(read_at) == 2
    for observation, t in zip(observed, read_at, strict=True):
        assert observation.time == pytest.approx(t, abs=0.1)


def test_a_batch_above_the_servers_cap_is_refused_before_any_call():
    with Client(SILENT, timeout_s=0.1, retries=0) as client:
        with pytest.raises(InvalidParameterError, match=f"batch=1001 .* {MAX_SUGGESTIONS} "):
            run_driver(client, "c1", SimulatedInstrument(KEdgeXAS(i0=None)), batch=1001)


def test_the_servers_cap_is_a_valid_batch(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator, n_points=3)
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=MAX_SUGGESTIONS)
    assert run.n_measured == 3 and run.status == "stopped"


class MovesOnly:
    def move(self, point):
        pass


@pytest.mark.parametrize("instrument", [None, object(), MovesOnly()])
def test_an_instrument_without_move_and_read_is_refused_before_any_call(instrument):
    with Client(SILENT, timeout_s=0.1, retries=0) as client:
        with pytest.raises(InvalidParameterError, match="instrument=.* lacks move.*or read"):
            run_driver(client, "c1", instrument)


def test_a_read_that_returns_no_reading_is_refused_and_its_batch_released(server):
    simulator = KEdgeXAS(i0=None)

    class BareFloat(SimulatedInstrument):
        def read(self):
            return super().read().value

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator)
        with pytest.raises(InvalidParameterError, match=r"BareFloat.read\(\) returned .*Reading"):
            run_driver(client, campaign, BareFloat(simulator), batch=3)
        status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 0 and status["pending"] == []


def test_a_run_held_up_by_another_drivers_pending_suggestions_names_them(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator, n_points=5)
        held = client.call("suggestions_get", campaign_id=campaign, n=2)["suggestions"]
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=2)
        assert run.n_measured == 3 and run.status == "running"
        assert set(run.waiting_on) == {s["id"] for s in held}
        client.call("suggestions_release", campaign_id=campaign, ids=list(run.waiting_on))
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=2)
    assert run == DriverRun(2, "stopped", "all 5 grid points measured")


class Counting(SimulatedInstrument):
    """Counts its moves and readings."""

    def __init__(self, simulator):
        super().__init__(simulator)
        self.moves = self.reads = 0

    def move(self, point):
        self.moves += 1
        super().move(point)

    def read(self):
        self.reads += 1
        return super().read()


@pytest.mark.parametrize(("goal", "suggestions"), [(4, 2), (5, 3)])
def test_replicates_end_at_the_goal_with_no_reading_wasted(server, goal, suggestions):
    simulator = KEdgeXAS(i0=None)
    instrument = Counting(simulator)
    low, high = simulator.energy_range
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = client.call(
            "campaign_create",
            space={"dimensions": [{"name": "energy", "low": low, "high": high}]},
            strategy={"name": "random", "options": {"seed": 0}},
            goals={"max_observations": goal},
        )["campaign_id"]
        run = run_driver(client, campaign, instrument, batch=3, replicates=2)
        status = client.call("campaign_status", campaign_id=campaign)
    assert run == DriverRun(suggestions, "stopped", f"reached max_observations={goal}")
    assert instrument.reads == status["n_observations"] == goal  # the last put stopped it
    assert status["pending"] == []  # none asked for beyond the goal
    journal = Journal(server.journal_path)
    assert journal.events(campaign, "late_observation") == []
    assert journal.events(campaign, "release") == []
    journal.close()


def test_a_restarted_driver_with_a_chosen_client_id_journals_its_readings(server):
    simulator = KEdgeXAS(i0=None)
    runs = []
    for _ in range(2):  # the driver script, run again with its configured id
        with Client(server.endpoint, timeout_s=10, client_id="beamline-8id") as client:
            campaign = runs[0][0] if runs else grid_campaign(client, simulator, n_points=10)
            run = run_driver(client, campaign, SimulatedInstrument(simulator), max_measurements=2)
            runs.append((campaign, run))
    assert [run.n_measured for _, run in runs] == [2, 2]
    db = sqlite3.connect(server.journal_path)
    keys = db.execute("SELECT client_id, client_seq FROM observations ORDER BY seq").fetchall()
    db.close()
    first, second = keys[0][0], keys[2][0]
    assert first.startswith("beamline-8id/") and second.startswith("beamline-8id/")
    assert keys == [(first, 1), (first, 2), (second, 1), (second, 2)] and first != second


def test_resume_pending_on_a_stopped_campaign_moves_nothing(server):
    simulator = KEdgeXAS(i0=None)
    instrument = Counting(simulator)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)
        client.call("suggestions_get", campaign_id=campaign, n=3)  # in hand when it died
        client.call("campaign_stop", campaign_id=campaign, reason="beam lost")
        run = run_driver(client, campaign, instrument, resume_pending=True)
    assert run == DriverRun(0, "stopped", "beam lost")
    assert instrument.moves == instrument.reads == 0


def test_a_stop_from_elsewhere_releases_the_suggestions_not_started(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)

        def operator_stops_after_the_first(count, put):
            if count == 1:
                client.call("campaign_stop", campaign_id=campaign, reason="operator")

        run = run_driver(
            client,
            campaign,
            SimulatedInstrument(simulator),
            batch=3,
            on_measured=operator_stops_after_the_first,
        )
        status = client.call("campaign_status", campaign_id=campaign)
    assert run == DriverRun(1, "stopped", "operator")
    # the second was measured as the operator stopped (kept as a late observation)
    journal = Journal(server.journal_path)
    (late,) = journal.events(campaign, "late_observation")
    (release,) = journal.events(campaign, "release")
    journal.close()
    assert status["pending"] == []  # the late reading answered its suggestion
    assert len(release["payload"]["ids"]) == 1
    assert late["payload"]["suggestion_id"] not in release["payload"]["ids"]


@pytest.mark.parametrize("client", [SILENT, None])
def test_a_client_that_is_not_a_client_is_refused_before_any_call(client):
    with pytest.raises(InvalidParameterError, match="client=.* is not an adaptive.client.Client"):
        run_driver(client, "c1", SimulatedInstrument(KEdgeXAS(i0=None)))


def test_a_driver_killed_after_the_put_that_met_the_goal_leaves_it_stopped(server):
    # that put stops the campaign: a restarted driver finds it stopped and asks nothing
    simulator = KEdgeXAS(i0=None)
    instrument = Counting(simulator)
    low, high = simulator.energy_range
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = client.call(
            "campaign_create",
            space={"dimensions": [{"name": "energy", "low": low, "high": high}]},
            strategy={"name": "random", "options": {"seed": 0}},
            goals={"max_observations": 2},
        )["campaign_id"]

        def killed_after_the_last_put(count, put):
            if put["n_observations"] == 2:
                raise RuntimeError("driver killed")

        with pytest.raises(RuntimeError, match="driver killed"):
            run_driver(client, campaign, instrument, on_measured=killed_after_the_last_put)
        reads = instrument.reads
        run = run_driver(client, campaign, instrument, replicates=2)
    assert run == DriverRun(0, "stopped", "reached max_observations=2")
    assert instrument.reads == reads == 2


def test_a_reading_that_says_it_failed_is_put_as_a_failed_measurement(server):
    simulator = KEdgeXAS(i0=None)

    class FailsSecond(SimulatedInstrument):
        reads = 0

        def read(self):
            self.reads += 1
            if self.reads == 2:
                return Reading(value=None, failed="beam dump")
            return super().read()

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator)
        run = run_driver(client, campaign, FailsSecond(simulator), batch=3, max_measurements=3)
        status = client.call("campaign_status", campaign_id=campaign)
    assert run == DriverRun(3, "running", None)
    assert status["n_observations"] == 2 and status["n_failed"] == 1
    assert status["pending"] == []  # the failure answered its suggestion
    journal = Journal(server.journal_path)
    (failure,) = journal.events(campaign, "measurement_failed")
    journal.close()
    assert failure["payload"]["failed"] == "beam dump"


@pytest.mark.parametrize(
    ("value", "uncertainty", "named"),
    [
        (float("nan"), None, "value=nan"),
        (np.inf, None, "value=inf"),
        (-np.float32(np.inf), None, "value=-inf"),
        (float("nan"), float("nan"), "value=nan"),  # an I0 of 0: ln(I0 / It), its sigma
        (0.5, np.inf, "uncertainty=inf"),
    ],
)
def test_a_reading_of_no_finite_value_is_put_as_a_failed_measurement(
    server, value, uncertainty, named
):
    """A NaN (an I0 of 0) ended the run with the server's refusal."""
    simulator = KEdgeXAS(i0=None)

    class GlitchesSecond(SimulatedInstrument):
        reads = 0

        def read(self):
            self.reads += 1
            glitch = Reading(value=value, uncertainty=uncertainty)
            return glitch if self.reads == 2 else super().read()

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator)
        run = run_driver(client, campaign, GlitchesSecond(simulator), max_measurements=3)
        status = client.call("campaign_status", campaign_id=campaign)
    assert run == DriverRun(3, "running", None)
    assert status["n_observations"] == 2 and status["n_failed"] == 1
    journal = Journal(server.journal_path)
    (failure,) = journal.events(campaign, "measurement_failed")
    journal.close()
    assert failure["payload"]["failed"] == (
        f"the instrument read {named}, not a finite number (a glitch, an I0 of 0?)"
    )


def test_a_metadata_channel_that_reads_nan_is_journaled_as_null_and_warned_of(server, caplog):
    """A NaN ring current in a reading's metadata ended the run with an encoding error that
    named no key; the reading is the measurement, so it is journaled, the channel as null."""
    simulator = KEdgeXAS(i0=None)

    class RingDumpsSecond(SimulatedInstrument):
        reads = 0

        def read(self):
            self.reads += 1
            current = float("nan") if self.reads == 2 else 400.0
            metadata = {"ring": {"current_ma": current}, "temps": [20.5, -np.float32(np.inf)]}
            return dataclasses.replace(super().read(), metadata=metadata)

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator, n_points=3)
        run = run_driver(client, campaign, RingDumpsSecond(simulator))
    assert run.n_measured == 3 and run.status == "stopped"
    temps = "metadata.temps[1] read NaN or inf; journaled as null"
    ring = "metadata.ring.current_ma read NaN or inf; journaled as null"
    assert run.warnings == (temps, ring, temps, temps)
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.loop"]
    assert [m.split(": ", 1)[1] for m in logged] == list(run.warnings)
    journal = Journal(server.journal_path)
    observations = journal.observations(campaign)
    journal.close()
    assert [o.metadata["ring"]["current_ma"] for o in observations] == [400.0, None, 400.0]
    assert all(o.metadata["temps"] == [20.5, None] for o in observations)
    assert all(np.isfinite(o.value) for o in observations)


class Scripted(SimulatedInstrument):
    """Reads as ``script`` says, one letter a read: "m" measures, "f" fails, "d" dies."""

    def __init__(self, simulator, script: str):
        super().__init__(simulator)
        self.script = iter(script)

    def read(self):
        step = next(self.script)
        if step == "d":
            raise RuntimeError("driver killed")
        return super().read() if step == "m" else Reading(value=None, failed="clogged")


@pytest.mark.parametrize("dead_run", ["mfd", "fd", "ffd", "mmmfd", "ffmmd", "mmfffd"])
def test_resume_pending_counts_failed_replicates_as_the_dead_run_did(server, dead_run):
    simulator = KEdgeXAS(i0=None)
    instrument = Counting(simulator)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator, n_points=3)
        with pytest.raises(RuntimeError, match="driver killed"):  # mid-replicates
            run_driver(client, campaign, Scripted(simulator, dead_run), replicates=3)
        run = run_driver(client, campaign, instrument, replicates=3, resume_pending=True)
        reply = client.call("observations_get", campaign_id=campaign)
    assert run.status == "stopped" and run.stop_reason == "all 3 grid points measured"
    assert instrument.reads == 3 * 3 - (len(dead_run) - 1)  # a failed reading is one of 3
    readings = reply["suggestion_ids"] + reply["failed"]["suggestion_ids"]
    assert sorted(readings.count(i) for i in set(readings)) == [3, 3, 3]


class OffsetMono(SimulatedInstrument):
    """A mono that settles ``offset`` eV above each setpoint and reads back where it is."""

    def __init__(self, simulator, offset: float):
        super().__init__(simulator)
        self.offset = offset

    def move(self, point):
        super().move(point)
        self.energy = min(self.energy + self.offset, self.simulator.energy_range[1])

    def read(self):
        return dataclasses.replace(super().read(), point={"energy": self.energy})


def test_a_reading_with_a_readback_is_journaled_where_the_instrument_was(server):
    # the setpoint was journaled, the readback only in metadata: 0.4 eV off on every point
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator, n_points=5)
        run_driver(client, campaign, OffsetMono(simulator, 0.4), batch=2)
        observed = client.call("observations_get", campaign_id=campaign)
    low, high = simulator.energy_range
    setpoints = np.linspace(low, high, 5)
    readbacks = np.minimum(setpoints + 0.4, high)
    energies = sorted(p["energy"] for p in observed["points"])
    np.testing.assert_allclose(energies, readbacks)
    values = dict(zip((p["energy"] for p in observed["points"]), observed["values"], strict=True))
    np.testing.assert_allclose([values[e] for e in energies], simulator.evaluate_true(readbacks))


def test_the_warnings_of_every_put_are_logged_and_returned(server, caplog):
    # a readback 10 % of the range off was warned of in each put's reply, which the loop
    # dropped: nothing printed, and on_measured saw only the last replicate's reply
    simulator = KEdgeXAS(i0=None)
    low, high = simulator.energy_range
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator, n_points=3)
        offset = 0.1 * (high - low)
        run = run_driver(client, campaign, OffsetMono(simulator, offset), replicates=2)
    # the last setpoint is the top: clipped there, it reads back on its suggestion
    assert run.n_measured == 3 and len(run.warnings) == 4, run.warnings
    assert all(w.startswith("energy=") and "from the" in w for w in run.warnings)
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.loop"]
    assert len(logged) == 4 and all(f"campaign {campaign}, suggestion " in m for m in logged)
    assert [m.split(": ", 1)[1] for m in logged] == list(run.warnings)


class XPSBench:
    """Measures the same Cu 2p spectrum at any point (an analysis campaign's instrument)."""

    def move(self, point):
        pass

    def read(self):
        e, counts = two_peaks()
        return Reading(value=None, spectrum={"x": e, "y": counts, "x_units": "eV"})


def test_the_warnings_of_an_analysis_are_logged_and_returned(server, caplog):
    space = {"dimensions": [{"name": "x", "low": 0.0, "high": 1.0}]}
    regions = {"main": [930, 936], "typo": [9300, 9360]}
    analysis = {"name": "peak_fit", "options": {"regions": regions}, "value": "area_main"}
    with Client(server.endpoint, timeout_s=60) as client:
        campaign = client.call(
            "campaign_create", space=space, strategy={"name": "random"}, analysis=analysis
        )["campaign_id"]
        run = run_driver(client, campaign, XPSBench(), max_measurements=1)
    (typo,) = [w for w in run.warnings if "typo" in w]
    assert typo.startswith("analysis: region 'typo' [9300, 9360] eV lies outside")
    assert any(typo in r.getMessage() for r in caplog.records if r.name == "drivers.loop")


def test_a_readback_of_some_dimensions_keeps_the_setpoint_of_the_others(server):
    class XOnly(SimulatedInstrument):
        def move(self, point):
            self.point = point

        def read(self):
            return Reading(value=1.0, point={"x": 0.99 * self.point["x"]})

    space = {"dimensions": [{"name": n, "low": 0.0, "high": 10.0} for n in ("x", "y")]}
    strategy = {"name": "batch_bo", "options": {"q": 1, "n_initial": 2, "seed": 0}}
    instrument = XOnly(KEdgeXAS(i0=None))
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = client.call("campaign_create", space=space, strategy=strategy)["campaign_id"]
        run_driver(client, campaign, instrument, max_measurements=1)
        (point,) = client.call("observations_get", campaign_id=campaign)["points"]
    assert point == {"x": 0.99 * instrument.point["x"], "y": instrument.point["y"]}


def test_a_readback_that_is_not_a_dict_is_refused_and_its_batch_released(server):
    simulator = KEdgeXAS(i0=None)

    class ListReadback(SimulatedInstrument):
        def read(self):
            return dataclasses.replace(super().read(), point=[self.energy])

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = grid_campaign(client, simulator)
        with pytest.raises(
            InvalidParameterError, match=r"ListReadback.read\(\) returned point=\[.*\]; it must be"
        ):
            run_driver(client, campaign, ListReadback(simulator), batch=3)
        status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 0 and status["pending"] == []


class DeadBeam(SimulatedInstrument):
    """Every read fails, as with the beam dumped; counts its reads."""

    reads = 0

    def read(self):
        self.reads += 1
        return Reading(value=None, failed="beam dump")


def test_a_loop_whose_readings_all_fail_gives_up_and_leaves_the_campaign_running(server):
    simulator = KEdgeXAS(i0=None)
    instrument = DeadBeam(simulator)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator)  # a grid suggests a failed energy again
        with pytest.raises(InstrumentFailingError, match="20 readings in a row failed.*beam dump"):
            run_driver(client, campaign, instrument, batch=3)
        status = client.call("campaign_status", campaign_id=campaign)
    assert instrument.reads == FAILURES_IN_A_ROW == 20
    assert status["status"] == "running" and status["n_failed"] == 20
    assert status["pending"] == []  # the batch's unmeasured suggestions were released


def test_a_reading_that_succeeds_starts_the_count_of_failures_again(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=10) as client:
        campaign = grid_campaign(client, simulator, n_points=8)
        script = Scripted(simulator, "ffmffmff")
        run = run_driver(client, campaign, script, max_measurements=8, max_failures_in_a_row=3)
        assert run == DriverRun(8, "running", None)  # a failed reading counts as measured
        with pytest.raises(InstrumentFailingError, match="3 readings in a row failed"):
            run_driver(client, campaign, Scripted(simulator, "mfff"), max_failures_in_a_row=3)


@pytest.mark.parametrize("limit", [0, -1, 2.5, True])
def test_a_failure_limit_that_is_not_a_positive_integer_is_refused(limit):
    with Client(SILENT, timeout_s=0.1, retries=0) as client:
        with pytest.raises(InvalidParameterError, match=f"max_failures_in_a_row={limit!r} must"):
            run_driver(client, "c", DeadBeam(KEdgeXAS()), max_failures_in_a_row=limit)


def test_a_server_started_without_the_campaigns_plugin_is_waited_out(server):
    """A server restarted without the --plugin of a campaign's strategy refused the put of
    the reading in hand as a driver's mistake (InvalidParameterError): the run ended and the
    reading was lost. It is the server's, which run_driver waits out under outage_s."""
    plugged = type("Plugged", (STRATEGIES["random"],), {"name": "plugged_z12"})
    register_strategy(plugged)
    simulator = KEdgeXAS(i0=None)
    plugin = threading.Timer(1.0, register_strategy, (plugged,))  # "restarted with it"
    refused = []

    class ServerRestartsWithoutThePlugin(SimulatedInstrument):
        reads = 0

        def read(self):
            self.reads += 1
            if self.reads == 2:  # the campaign is evicted, its strategy unregistered
                del STRATEGIES["plugged_z12"], server.campaigns[campaign]
                with Client(server.endpoint, timeout_s=30) as other:
                    with pytest.raises(StrategyMissingError) as caught:
                        other.call("campaign_status", campaign_id=campaign)
                refused.append(str(caught.value))
                plugin.start()
            return super().read()

    low, high = simulator.energy_range
    space = {"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]}
    try:
        with Client(server.endpoint, timeout_s=30) as client:
            campaign = client.call(
                "campaign_create", space=space, strategy={"name": "plugged_z12"}
            )["campaign_id"]
            instrument = ServerRestartsWithoutThePlugin(simulator)
            run = run_driver(client, campaign, instrument, max_measurements=3, outage_s=30)
            status = client.call("campaign_status", campaign_id=campaign)
    finally:
        plugin.cancel()
        STRATEGIES.pop("plugged_z12", None)
    assert run.n_measured == 3 and status["n_observations"] == 3  # no reading lost
    assert refused == [
        f"StrategyMissingError: campaign {campaign} runs strategy 'plugged_z12', which this "
        f"server does not have (it has {sorted(set(STRATEGIES) - {'plugged_z12'})}); start it "
        "with --plugin MODULE_OR_FILE naming the module that registers it (register_strategy). "
        "Its journal is intact"
    ]
