"""Whole campaigns: server + driver over loopback TCP, and resume after kill -9."""

import functools
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pytest

from adaptive.client import Client
from adaptive.errors import InvalidParameterError, RemoteError, ServerUnavailableError
from adaptive.journal import Journal
from drivers import DriverRun, SimulatedInstrument, replay_instrument, run_driver
from simulators import KEdgeXAS
from tests.shared_data import SHARED_DATA

DATA = SHARED_DATA


def energy_space(low, high):
    return {"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]}


def create_campaign(client, simulator, strategy):
    """A campaign over the simulator's energy range; its id."""
    space = energy_space(*simulator.energy_range)
    return client.call("campaign_create", space=space, strategy=strategy)["campaign_id"]


@pytest.mark.parametrize("batch", [1, 4])
def test_simulated_campaign_reconstructs_the_spectrum(server, batch):
    simulator = KEdgeXAS(i0=None)
    low, high = simulator.energy_range
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = client.call(
            "campaign_create",
            space=energy_space(low, high),
            strategy={"name": "energy_scan"},
            goals={"max_observations": 58},  # not a multiple of the batch: no overshoot
        )["campaign_id"]
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=batch)
        grid = np.linspace(low, high, 1000)
        model = client.call("model_predict", campaign_id=campaign, points=grid)
    assert run.n_measured == 58 and run.status == "stopped"
    assert "max_observations" in run.stop_reason
    truth = simulator.evaluate_true(grid)
    nrmse = np.sqrt(np.mean((model["mean"] - truth) ** 2)) / np.ptp(truth)
    assert nrmse < 0.02
    assert len(Journal(server.journal_path).observations(campaign)) == 58


def test_a_campaign_stopped_mid_batch_ends_the_driver_loop(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "energy_scan"})

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
    assert run == DriverRun(1, "stopped", "operator")
    journal = Journal(server.journal_path)
    assert len(journal.observations(campaign)) == 1
    # the second point, measured while the operator stopped, is refused but not lost
    (late,) = journal.events(campaign, "late_observation")
    assert late["payload"]["value"] is not None and "operator" in late["payload"]["error"]


@pytest.mark.parametrize("strategy", ["grid", "conventional"])
def test_a_finite_scan_whose_size_the_batch_does_not_divide_runs_to_its_end(server, strategy):
    simulator = KEdgeXAS(i0=None)
    # 5 and 28 points, neither a multiple of the batch
    options = {"n_points": 5} if strategy == "grid" else {"edge_energy": 8979.0, "scale": 15.0}
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": strategy, "options": options})
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=3)
    assert run.status == "stopped" and "measured" in run.stop_reason
    observed = Journal(server.journal_path).observations(campaign)
    assert run.n_measured == len(observed) == len({o.point["energy"] for o in observed})


class FailsOnMove(SimulatedInstrument):
    """A simulated monochromator that jams on its ``fail_at``-th move."""

    def __init__(self, simulator, fail_at, error: BaseException | None = None):
        super().__init__(simulator)
        self.moves, self.fail_at = 0, fail_at
        self.error = RuntimeError("monochromator jammed") if error is None else error

    def move(self, point):
        self.moves += 1
        if self.moves == self.fail_at:
            raise self.error
        super().move(point)


def test_an_instrument_whose_own_controller_is_unavailable_still_releases_the_batch(server):
    simulator = KEdgeXAS(i0=None)
    silent_motor = ServerUnavailableError("no reply from the motor controller")
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 10}})
        with pytest.raises(ServerUnavailableError, match="motor"):
            run_driver(client, campaign, FailsOnMove(simulator, 2, silent_motor), batch=4)
        status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 1 and status["pending"] == []


def test_a_failing_instrument_releases_the_unmeasured_suggestions_of_its_batch(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 10}})
        with pytest.raises(RuntimeError, match="jammed"):
            run_driver(client, campaign, FailsOnMove(simulator, fail_at=3), batch=4)
        status = client.call("campaign_status", campaign_id=campaign)
        assert status["n_observations"] == 2 and status["pending"] == []
        # the released grid energies are suggested again, and the scan completes
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=4)
    assert run.n_measured == 8 and run.status == "stopped"
    released = Journal(server.journal_path).events(campaign, "release")
    assert sum(len(e["payload"]["ids"]) for e in released) == 2


class FailsOnRead(SimulatedInstrument):
    """A simulated detector that fails on its ``fail_at``-th reading."""

    def __init__(self, simulator, fail_at):
        super().__init__(simulator)
        self.reads, self.fail_at = 0, fail_at

    def read(self):
        self.reads += 1
        if self.reads == self.fail_at:
            raise RuntimeError("detector saturated")
        return super().read()


def test_a_replicate_failing_after_the_first_put_releases_only_the_rest(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 10}})
        with pytest.raises(RuntimeError, match="saturated"):
            run_driver(client, campaign, FailsOnRead(simulator, 2), batch=3, replicates=2)
        status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 1 and status["pending"] == []
    released = Journal(server.journal_path).events(campaign, "release")
    assert [len(e["payload"]["ids"]) for e in released] == [2]


def test_a_put_journaled_whose_reply_is_lost_is_retried_and_counted_once(server):
    simulator = KEdgeXAS(i0=None)
    handler = server.methods["observation_put"]
    slow_once = []

    @functools.wraps(handler)
    def journal_then_stall(**params):
        reply = handler(**params)
        if not slow_once:
            slow_once.append(params["sequence"])
            time.sleep(1.0)  # past the client's timeout: the reply is lost
        return reply

    server.methods["observation_put"] = journal_then_stall
    puts = []
    with Client(server.endpoint, timeout_s=0.3, retries=0) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 6}})
        run = run_driver(
            client,
            campaign,
            SimulatedInstrument(simulator),
            outage_s=30,
            on_measured=lambda count, put: puts.append(put),
        )
    assert run.n_measured == 6 and run.status == "stopped"
    # the retry resends the same request, so the reply cache answers it with the first reply
    assert [put["duplicate"] for put in puts] == [False] * 6
    assert len(Journal(server.journal_path).observations(campaign)) == 6


def test_resume_pending_measures_what_a_dead_driver_left(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "energy_scan"})
        left = client.call("suggestions_get", campaign_id=campaign, n=3)["suggestions"]
        run = run_driver(
            client,
            campaign,
            SimulatedInstrument(simulator),
            resume_pending=True,
            max_measurements=3,
        )
        assert client.call("campaign_status", campaign_id=campaign)["pending"] == []
    assert run.n_measured == 3
    observed = Journal(server.journal_path).observations(campaign)
    assert [o.suggestion_id for o in observed] == [s["id"] for s in left]


@pytest.mark.parametrize(
    "options",
    [
        {"batch": 0},
        {"replicates": 0},
        {"replicates": 1.5},
        {"outage_s": -1},
        {"outage_s": math.nan},
        {"max_measurements": 0},
        {"max_measurements": 2.5},
        {"max_measurements": "3"},
        {"batch": True},
    ],
)
def test_driver_loop_refuses_bad_counts(server, options):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        with pytest.raises(InvalidParameterError, match=next(iter(options))):
            run_driver(client, "any", SimulatedInstrument(simulator), **options)
        assert client.call("campaign_list") == []  # refused before any call


def test_driver_loop_takes_numpy_counts(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 8}})
        counts = {"batch": np.int64(3), "replicates": np.int32(2), "max_measurements": np.int64(4)}
        run = run_driver(
            client, campaign, SimulatedInstrument(simulator), outage_s=np.int64(1), **counts
        )
    assert run.n_measured == 4
    assert len(Journal(server.journal_path).observations(campaign)) == 8


def test_resume_pending_completes_the_replicates_of_a_dead_runs_last_suggestion(server):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 4}})
        with pytest.raises(RuntimeError, match="saturated"):  # dies at replicate 2 of the 2nd
            run_driver(client, campaign, FailsOnRead(simulator, 5), batch=4, replicates=3)
        low, high = simulator.energy_range
        reference = {"energy": low + 0.1 * (high - low)}  # put by hand, names no suggestion
        client.call("observation_put", campaign_id=campaign, point=reference, value=0.0)
        run = run_driver(
            client,
            campaign,
            SimulatedInstrument(simulator),
            batch=4,
            replicates=3,
            resume_pending=True,
        )
    assert run.status == "stopped" and run.n_measured == 3  # the 2nd's rest, then the 3rd, 4th
    observed = Journal(server.journal_path).observations(campaign)
    per_suggestion = {i: 0 for i in dict.fromkeys(o.suggestion_id for o in observed)}
    for o in observed:
        per_suggestion[o.suggestion_id] += 1
    assert list(per_suggestion.values()) == [3, 3, 1, 3, 3]
    assert len({o.point["energy"] for o in observed}) == 5


def test_an_error_in_on_measured_releases_the_rest_of_the_batch(server):
    simulator = KEdgeXAS(i0=None)

    def interrupted(count, put):
        if count == 2:
            raise KeyboardInterrupt

    with Client(server.endpoint, timeout_s=30) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 10}})
        with pytest.raises(KeyboardInterrupt):
            run_driver(
                client, campaign, SimulatedInstrument(simulator), batch=6, on_measured=interrupted
            )
        status = client.call("campaign_status", campaign_id=campaign)
    assert status["n_observations"] == 2 and status["pending"] == []


class InterruptedRead(SimulatedInstrument):
    """Stops the server, then is interrupted (Ctrl-C) on its second reading."""

    def __init__(self, simulator, server):
        super().__init__(simulator)
        self.server, self.reads = server, 0

    def read(self):
        self.reads += 1
        if self.reads == 2:
            self.server.stop()
            raise KeyboardInterrupt
        return super().read()


def test_a_driver_interrupted_while_the_server_is_down_stops_within_one_timeout_per_release(
    server,
):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=1.0, retries=3) as client:
        campaign = create_campaign(client, simulator, {"name": "grid", "options": {"n_points": 10}})
        instrument = InterruptedRead(simulator, server)
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            run_driver(client, campaign, instrument, batch=4)
        elapsed = time.monotonic() - start
        assert client.retries == 3  # restored after the releases' single tries
    # two releases (rest of batch, current suggestion) of one try each: its 1 s timeout and
    # a server_ping of up to 1 s, about 4 s in all; 4 tries each would take about 16 s
    assert elapsed < 9.0


def test_replay_campaign_stops_by_its_own_rule(server):
    path = DATA / "xas" / "two_column" / "mn_cpmnco3.csv"
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    instrument = replay_instrument(path)
    low, high = instrument.simulator.energy_range
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = client.call(
            "campaign_create",
            space=energy_space(low, high),
            strategy={"name": "energy_scan", "options": {"tolerance": 0.01, "patience": 3}},
            goals={"max_observations": 250},
        )["campaign_id"]
        run = run_driver(client, campaign, instrument)
    assert run.status == "stopped"
    assert run.stop_reason.startswith("converged"), run.stop_reason
    assert run.n_measured < 250


def start_server_process(journal: Path, port: int | None = None) -> tuple[subprocess.Popen, str]:
    bind = f"tcp://127.0.0.1:{port or 0}"
    process = subprocess.Popen(
        [sys.executable, "-m", "adaptive.cli", "serve", "--bind", bind, "--journal", str(journal)],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline()
    match = re.search(r"tcp://[\d.]+:\d+", line)
    assert match, f"server printed {line!r}"
    return process, match.group(0)


def test_resume_after_kill_9_loses_and_duplicates_nothing(tmp_path):
    journal = tmp_path / "journal.sqlite"
    simulator = KEdgeXAS(i0=None)
    low, high = simulator.energy_range
    process, endpoint = start_server_process(journal)
    try:
        with Client(endpoint, timeout_s=10, retries=1, client_id="beamline") as client:
            campaign = client.call(
                "campaign_create",
                space=energy_space(low, high),
                strategy={"name": "energy_scan"},
                goals={"max_observations": 40},
            )["campaign_id"]
            first = run_driver(
                client, campaign, SimulatedInstrument(simulator), max_measurements=25
            )
            assert first.n_measured == 25
            with closing(sqlite3.connect(journal)) as db:  # the key of the run's last put
                put_id, last_sequence = db.execute(
                    "SELECT client_id, client_seq FROM observations ORDER BY seq DESC LIMIT 1"
                ).fetchone()
            assert put_id.startswith("beamline/") and last_sequence == 25
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)
            process.stdout.close()
            client.timeout_s, client.retries = 1.0, 0  # the server is dead: no need to wait
            with pytest.raises(ServerUnavailableError):
                client.call("campaign_status", campaign_id=campaign)
            client.timeout_s, client.retries = 10.0, 1

            port = int(endpoint.rsplit(":", 1)[1])
            process, endpoint = start_server_process(journal, port)
            status = client.call("campaign_status", campaign_id=campaign)
            assert status["n_observations"] == 25
            # a put retried across the crash is recognised and not counted twice
            last = Journal(journal).observations(campaign)[-1]
            keyed = {"campaign_id": campaign, "client_id": put_id, "sequence": last_sequence}
            replay = client.call(
                "observation_put",
                point=last.point,
                value=last.value,
                suggestion_id=last.suggestion_id,
                metadata=last.metadata,
                **keyed,
            )
            assert replay["duplicate"] and replay["n_observations"] == 25
            # another reading under a used key is refused, not silently dropped
            with pytest.raises(RemoteError, match="already put a different observation"):
                client.call("observation_put", point={"energy": low}, value=0.0, **keyed)
            assert client.call("campaign_status", campaign_id=campaign)["n_observations"] == 25
            second = run_driver(client, campaign, SimulatedInstrument(simulator))
    finally:
        process.kill()
        process.wait(5)
        process.stdout.close()
    assert second.n_measured == 15 and second.status == "stopped"
    observations = Journal(journal).observations(campaign)
    assert len(observations) == 40
    energies = [o.point["energy"] for o in observations]
    assert len(set(energies)) == 40, "the resumed strategy re-suggested a measured energy"


class KillsTheServerOnRead(SimulatedInstrument):
    """Kills the server (-9) just after its ``kill_at``-th reading, before the put."""

    def __init__(self, simulator, kill_at, kill):
        super().__init__(simulator)
        self.reads, self.kill_at, self.kill = 0, kill_at, kill

    def read(self):
        reading = super().read()
        self.reads += 1
        if self.reads == self.kill_at:
            self.kill()
        return reading


def test_a_driver_rides_out_a_server_restart_and_journals_the_reading_in_hand_once(tmp_path):
    journal = tmp_path / "journal.sqlite"
    simulator = KEdgeXAS(i0=None)
    servers = [start_server_process(journal)]
    port = int(servers[0][1].rsplit(":", 1)[1])
    restarts = []  # cancelled at the end, so a failing test leaves no server running

    def kill_and_restart_later():
        os.kill(servers[-1][0].pid, signal.SIGKILL)
        restarts.append(
            threading.Timer(2.0, lambda: servers.append(start_server_process(journal, port)))
        )
        restarts[-1].start()

    try:
        with Client(servers[0][1], timeout_s=0.5, retries=0) as client:
            campaign = create_campaign(
                client, simulator, {"name": "grid", "options": {"n_points": 12}}
            )
            instrument = KillsTheServerOnRead(simulator, 5, kill_and_restart_later)
            with pytest.raises(ServerUnavailableError):
                run_driver(client, campaign, instrument, max_measurements=6)
            time.sleep(2.5)  # the server is back
            instrument = KillsTheServerOnRead(simulator, 5, kill_and_restart_later)
            # the reading lost with the first run left its suggestion pending: resume it
            run = run_driver(client, campaign, instrument, resume_pending=True, outage_s=60)
    finally:
        for timer in restarts:
            timer.cancel()
            timer.join()
        for process, _ in servers:
            process.kill()
            process.wait(5)
            process.stdout.close()
    assert run.status == "stopped" and "12 grid points" in run.stop_reason
    assert run.n_measured == 8
    observed = Journal(journal).observations(campaign)
    energies = [o.point["energy"] for o in observed]
    assert len(observed) == len(set(energies)) == 12
