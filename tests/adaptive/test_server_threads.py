"""Server workers run torch on the thread count of the server's thread."""

import threading

import numpy as np
import pytest
import torch

from adaptive.server import _Workers
from surrogates.recipe_gp import fit_recipe_gp


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_worker_keeps_one_torch_thread_through_a_recipe_gp_fit(one_thread):
    # a fresh worker thread went to one torch thread per core after its first recipe-GP
    # fit: 4-10x slower batches on 2 busy cores
    x = np.random.default_rng(0).random((12, 2))
    y = ((x - 0.3) ** 2).sum(1)

    def answer(identity, job):
        fit_recipe_gp(x, y, None, {})
        return [str(torch.get_num_threads()).encode()]

    workers = _Workers(answer, threading.Event())
    workers.submit("campaign", b"client", ("fit",))
    assert workers._replies.get(timeout=60) == (b"client", "fit", [b"1"])


def test_a_worker_whose_answer_fails_answers_the_requests_queued_behind_it(capfd):
    # the worker died (out of memory making an error reply) and dropped the requests queued
    queued = threading.Event()

    def answer(identity, key):
        if key == "bad":
            assert queued.wait(60)
            raise MemoryError
        return [b"ok"]

    workers = _Workers(answer, threading.Event())
    workers.submit("campaign", b"one", ("bad",))
    workers.submit("campaign", b"two", ("good",))
    queued.set()
    assert workers._replies.get(timeout=60) == (b"one", "bad", [])  # no reply, no copies
    assert workers._replies.get(timeout=60) == (b"two", "good", [b"ok"])
    assert "MemoryError" in capfd.readouterr().err
