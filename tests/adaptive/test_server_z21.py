"""Review Z21: a served campaign's spectra are not read by ``observations_get`` nor by the
resume of a campaign whose strategy learns values (a plugin's is taught them); a plugin
strategy's ``sys.exit`` is answered as a ``StrategyError``, not left unanswered."""

import sys
import tracemalloc

import numpy as np
import pytest

import adaptive.strategies as strategies
from adaptive.client import Client
from adaptive.errors import RemoteError, StrategyError
from adaptive.server import Server
from adaptive.strategies import STRATEGIES, RandomScan

SPACE = {"dimensions": [{"name": "energy", "low": 8900.0, "high": 9100.0}]}
#: Channels of each spectrum: 8 readings hold 12.8 MB of them.
WIDE = 100_000


class SpectraCounter(RandomScan):
    """Random points; its model's mean is how many spectra it has learned."""

    name = "spectra_counter_z21"

    def __init__(self, space, seed=0):
        super().__init__(space, seed)
        self.n_spectra = 0

    def observe(self, observations):
        super().observe(observations)
        self.n_spectra += sum(o.spectrum is not None for o in observations)

    def predict(self, points):
        return np.full(len(points), float(self.n_spectra)), None


class Quitter(RandomScan):
    """A plugin that gives up with ``sys.exit``: in ``suggest`` after two readings, or when
    built with ``at="init"``."""

    name = "quitter_z21"

    def __init__(self, space, seed=0, at="suggest"):
        if at == "init":
            sys.exit("no licence")
        super().__init__(space, seed)

    def suggest(self, n, pending=(), failed=()):
        if len(self.data()[0]) >= 2:
            sys.exit("model diverged")
        return super().suggest(n, pending)


@pytest.fixture
def plugins():
    for cls in (SpectraCounter, Quitter):
        strategies.register_strategy(cls)
    yield
    for cls in (SpectraCounter, Quitter):
        del STRATEGIES[cls.name]


def _served(journal):
    server = Server(journal, bind="tcp://127.0.0.1:0")
    return server, Client(server.start(), timeout_s=30)


def _with_spectra(journal, strategy: str) -> str:
    """A campaign of ``strategy`` served on ``journal``, 8 readings with a spectrum each
    journaled by a server since stopped; its id."""
    server, client = _served(journal)
    x = np.linspace(0.0, 1.0, WIDE)
    try:
        with client:
            campaign_id = client.call("campaign_create", space=SPACE, strategy={"name": strategy})[
                "campaign_id"
            ]
            for k in range(8):
                spectrum = {"x": x, "y": np.full(WIDE, float(k))}
                point = {"energy": 8900.0 + k}
                client.call(
                    "observation_put",
                    campaign_id=campaign_id,
                    point=point,
                    value=float(k),
                    spectrum=spectrum,
                )
    finally:
        server.stop()
    return campaign_id


def test_a_resume_and_observations_get_of_a_value_campaign_read_no_spectrum(tmp_path):
    journal = tmp_path / "journal.sqlite"
    campaign_id = _with_spectra(journal, "random")
    server, client = _served(journal)
    tracemalloc.start()
    try:
        with client:
            status = client.call("campaign_status", campaign_id=campaign_id)  # resumes it
            readings = client.call("observations_get", campaign_id=campaign_id)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        server.stop()
    assert status["n_observations"] == 8 and readings["values"].tolist() == list(range(8))
    assert peak < 8 * WIDE * 16 / 10, peak  # a tenth of the spectra's bytes


def test_a_plugin_strategy_is_taught_the_journaled_spectra_on_a_resume(tmp_path, plugins):
    journal = tmp_path / "journal.sqlite"
    campaign_id = _with_spectra(journal, SpectraCounter.name)
    server, client = _served(journal)
    try:
        with client:
            mean = client.call("model_predict", campaign_id=campaign_id, points=[9000.0])["mean"]
    finally:
        server.stop()
    assert mean.tolist() == [8.0]


def test_a_plugin_strategy_that_calls_sys_exit_is_answered_as_a_strategy_error(tmp_path, plugins):
    server = Server(tmp_path / "journal.sqlite", bind="tcp://127.0.0.1:0")
    try:
        with Client(server.start(), timeout_s=5, retries=0) as client:
            created = client.call("campaign_create", space=SPACE, strategy={"name": Quitter.name})
            campaign_id = created["campaign_id"]
            for energy in (8950.0, 9050.0):
                client.call(
                    "observation_put", campaign_id=campaign_id, point={"energy": energy}, value=1.0
                )
            with pytest.raises(StrategyError) as err:
                client.call("suggestions_get", campaign_id=campaign_id)
            with pytest.raises(RemoteError, match="no licence"):
                client.call(
                    "campaign_create",
                    space=SPACE,
                    strategy={"name": Quitter.name, "options": {"at": "init"}},
                )
            pinged = client.call("server_ping")
    finally:
        server.stop()
    assert f"strategy {Quitter.name!r} suggest() raised SystemExit: model diverged" in str(
        err.value
    )
    assert pinged["campaigns"] == 1  # serving on; the one that quit building is not made
