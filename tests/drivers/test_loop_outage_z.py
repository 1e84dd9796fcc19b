"""A driver that waited its ``outage_s`` for a server that did not come back says so."""

import pytest

from adaptive.client import Client
from adaptive.errors import ServerUnavailableError
from drivers import SimulatedInstrument, run_driver
from simulators import KEdgeXAS
from tests.drivers.test_loop import SILENT


def test_the_outage_error_names_the_outage_s_spent(caplog):
    # it told a driver that passed outage_s=1 to "pass outage_s to run_driver"
    instrument = SimulatedInstrument(KEdgeXAS(seed=0))
    with Client(SILENT, timeout_s=0.1, retries=0) as client:
        with pytest.raises(ServerUnavailableError, match=r"waited outage_s=1 s") as refused:
            run_driver(client, "c", instrument, outage_s=1.0)
    assert "resume_pending=True" in str(refused.value)
    assert refused.value.request.method == "campaign_status"  # the request to resend
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.loop"]
    assert len(logged) == 1 and "retrying for up to 1 s more (outage_s)" in logged[0], logged


def test_without_outage_s_the_error_is_the_clients():
    instrument = SimulatedInstrument(KEdgeXAS(seed=0))
    with Client(SILENT, timeout_s=0.1, retries=0) as client:
        with pytest.raises(ServerUnavailableError) as refused:
            run_driver(client, "c", instrument)
    assert "waited outage_s" not in str(refused.value)
