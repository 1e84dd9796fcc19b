"""Process-wide state of the numeric libraries (torch's thread count and global RNG, numpy's
global RNG), changed one thread at a time: the server runs campaigns on parallel threads,
which would otherwise see one another's settings and seeds."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

#: Held while a block changes and uses process-wide library state; re-entrant, so the
#: blocks nest.
PROCESS_STATE_LOCK = threading.RLock()


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread and restore the previous thread count afterwards.

    For matrices of a few hundred rows extra threads only contend (measured: a
    warped-GP fit took 40 ms on one thread, 1.9 s on two busy cores).

    ``PROCESS_STATE_LOCK`` is held only to change the count: when torch already runs on
    one thread (``adaptive serve`` sets it so), the block takes no lock, and campaigns'
    fits run side by side. A thread that changes the count meanwhile may restore more
    threads while such a block runs: that makes the block slower, never wrong.
    """
    if torch.get_num_threads() == 1:
        yield
        return
    with PROCESS_STATE_LOCK:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


@contextmanager
def seeded_torch(seed: int) -> Iterator[None]:
    """Run the block with torch's global RNG seeded by ``seed``, restored afterwards (for
    library code that draws from it, such as botorch's fit restarts and posterior draws)."""
    with PROCESS_STATE_LOCK, torch.random.fork_rng():
        torch.manual_seed(seed)
        yield
