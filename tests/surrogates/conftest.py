"""Fixtures shared by the EELS network tests (``test_eels_net``, ``test_eels_identifier``)."""

import pytest

from surrogates.eels_training import simulate_eels


@pytest.fixture(scope="module")
def batch():
    return simulate_eels(64, seed=5)
