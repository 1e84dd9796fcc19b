import threading

import torch

from surrogates.threads import one_torch_thread, seeded_torch


def _draws(seed: int) -> torch.Tensor:
    with seeded_torch(seed):
        return torch.rand(4)


def test_a_seeded_block_keeps_its_draws_while_another_thread_seeds():
    expected = _draws(1)
    inside, other_done = threading.Event(), threading.Event()
    seen = {}

    def other():
        inside.wait()
        seen["other"] = _draws(2)  # must wait for the first block to end
        other_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    with seeded_torch(1):
        first = torch.rand(2)
        inside.set()
        assert not other_done.wait(0.2)  # the other thread's seeding waits outside
        rest = torch.rand(2)
    thread.join(10)
    assert torch.equal(torch.cat([first, rest]), expected)
    assert torch.equal(seen["other"], _draws(2))


def test_a_one_thread_block_is_not_undone_by_another_thread_leaving_its_own():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    ready, inside, other_done = threading.Event(), threading.Event(), threading.Event()

    def other():
        # two threads here too (a thread keeps its own count once it has used torch), so
        # its block changes the count and takes the lock: on one thread it would take none
        assert torch.get_num_threads() == 2
        ready.set()
        inside.wait()
        with one_torch_thread():  # must wait: leaving it would restore 2 threads meanwhile
            pass
        other_done.set()

    thread = threading.Thread(target=other)
    thread.start()
    ready.wait(10)
    with one_torch_thread():
        inside.set()
        assert not other_done.wait(0.2)
        assert torch.get_num_threads() == 1
    thread.join(10)
    assert other_done.is_set() and torch.get_num_threads() == 2
    torch.set_num_threads(before)
