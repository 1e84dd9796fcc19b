"""A fit on one torch thread takes no process-wide lock, and ``adaptive serve`` starts torch
on one thread, so one campaign's long fit does not hold up another's."""

import argparse
import threading

import pytest
import torch

import adaptive.server
from adaptive import cli
from surrogates.threads import PROCESS_STATE_LOCK, one_torch_thread


@pytest.fixture
def threads():
    """Torch's thread count, restored afterwards."""
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_a_block_already_on_one_thread_does_not_wait_for_another_threads_lock(threads):
    torch.set_num_threads(1)
    held, release, done = threading.Event(), threading.Event(), threading.Event()

    def long_fit():  # another campaign's fit, holding the lock as one that changes the count
        with PROCESS_STATE_LOCK:
            held.set()
            release.wait(10)

    def fit():
        with one_torch_thread():
            done.set()

    holder = threading.Thread(target=long_fit)
    holder.start()
    held.wait(10)
    fitter = threading.Thread(target=fit)
    fitter.start()
    try:
        assert done.wait(2), "a fit already on one thread waited for another thread's lock"
        assert torch.get_num_threads() == 1
    finally:
        release.set()
        holder.join(10)
        fitter.join(10)


def test_a_block_that_changes_the_count_still_restores_it(threads):
    torch.set_num_threads(2)
    with one_torch_thread():
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == 2


class _Started(Exception):
    pass


class _StopAtStart:
    """Stands in for the Server: records the thread count a new thread (a campaign's
    worker) starts with, then ends the serve command."""

    seen: list[int] = []

    def __init__(self, journal, bind):
        pass

    def start(self) -> str:
        worker = threading.Thread(target=lambda: self.seen.append(torch.get_num_threads()))
        worker.start()
        worker.join(10)
        raise _Started

    def stop(self) -> None:
        pass


def test_serve_runs_the_campaigns_workers_on_one_torch_thread(threads, monkeypatch):
    torch.set_num_threads(2)  # as on a machine of several cores
    monkeypatch.setattr(adaptive.server, "Server", _StopAtStart)
    with pytest.raises(_Started):
        cli.cmd_serve(argparse.Namespace(journal="j.sqlite", bind="tcp://127.0.0.1:0", plugin=None))
    assert _StopAtStart.seen == [1]
