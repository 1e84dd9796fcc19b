"""Run small torch models on one thread."""

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread and restore the previous thread count afterwards.

    For matrices of a few hundred rows extra threads only contend (measured: a
    warped-GP fit took 40 ms on one thread, 1.9 s on two busy cores).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
