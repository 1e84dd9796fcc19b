"""Whole campaigns: server + driver over loopback TCP, and resume after kill -9."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from adaptive.client import Client
from adaptive.errors import InvalidParameterError, RemoteError, ServerUnavailableError
from adaptive.journal import Journal
from drivers import DriverRun, SimulatedInstrument, replay_instrument, run_driver
from simulators import KEdgeXAS

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def energy_space(low, high):
    return {"dimensions": [{"name": "energy", "low": low, "high": high, "units": "eV"}]}


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
        campaign = client.call(
            "campaign_create",
            space=energy_space(*simulator.energy_range),
            strategy={"name": "energy_scan"},
        )["campaign_id"]

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
    assert len(Journal(server.journal_path).observations(campaign)) == 1


@pytest.mark.parametrize("strategy", ["grid", "conventional"])
def test_a_finite_scan_whose_size_the_batch_does_not_divide_runs_to_its_end(server, strategy):
    simulator = KEdgeXAS(i0=None)
    # 5 and 28 points, neither a multiple of the batch
    options = {"n_points": 5} if strategy == "grid" else {"edge_energy": 8979.0, "scale": 15.0}
    with Client(server.endpoint, timeout_s=30) as client:
        campaign = client.call(
            "campaign_create",
            space=energy_space(*simulator.energy_range),
            strategy={"name": strategy, "options": options},
        )["campaign_id"]
        run = run_driver(client, campaign, SimulatedInstrument(simulator), batch=3)
    assert run.status == "stopped" and "measured" in run.stop_reason
    observed = Journal(server.journal_path).observations(campaign)
    assert run.n_measured == len(observed) == len({o.point["energy"] for o in observed})


@pytest.mark.parametrize("options", [{"batch": 0}, {"replicates": 0}, {"replicates": 1.5}])
def test_driver_loop_refuses_bad_counts(server, options):
    simulator = KEdgeXAS(i0=None)
    with Client(server.endpoint, timeout_s=30) as client:
        with pytest.raises(InvalidParameterError, match=next(iter(options))):
            run_driver(client, "any", SimulatedInstrument(simulator), **options)


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
            last_sequence = client.next_sequence() - 1
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)
            process.stdout.close()
            with pytest.raises(ServerUnavailableError):
                client.call("campaign_status", campaign_id=campaign)

            port = int(endpoint.rsplit(":", 1)[1])
            process, endpoint = start_server_process(journal, port)
            status = client.call("campaign_status", campaign_id=campaign)
            assert status["n_observations"] == 25
            # a put retried across the crash is recognised and not counted twice
            last = Journal(journal).observations(campaign)[-1]
            keyed = {"campaign_id": campaign, "client_id": "beamline", "sequence": last_sequence}
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
