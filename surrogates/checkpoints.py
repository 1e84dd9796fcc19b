"""Training runs of the analysis networks: checked settings, data sets that fit in memory,
the device, and per-epoch checkpoints that a rerun with the same settings resumes from."""

from __future__ import annotations

import os
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError


def check_training_settings(
    n_train: int,
    epochs: int,
    seed: int,
    batch_size: int,
    n_val: int,
    min_val: int,
    lr: float,
    reserved_seeds: dict[int, str] | None = None,
) -> None:
    """Raise ``InvalidParameterError`` for a bad training setting (``n_val >= min_val``).

    Args:
        reserved_seeds: seeds of held-out data -> what they make (e.g. ``"the validation
            spectra"``); training on one of them would train on that data.
    """
    check_int("batch_size", batch_size, 2)
    check_int("n_train", n_train, batch_size, why="at least one batch")
    check_int("epochs", epochs, 1)
    check_int("seed", seed, 0, 2**63 - 1, why="torch takes a signed 64-bit seed")
    check_int("n_val", n_val, min_val)
    if seed in (reserved_seeds or {}):
        raise InvalidParameterError(
            f"seed={seed} is the seed of {reserved_seeds[seed]}, so training on it would "
            "score the network on its own training data; pick another seed"
        )
    if not (isinstance(lr, int | float) and np.isfinite(lr) and lr > 0):
        raise InvalidParameterError(f"lr must be a finite number > 0, got {lr!r}")


@contextmanager
def fits_in_memory(what: str, n: int, each: int):
    """Turn a ``MemoryError`` raised inside into an ``InvalidParameterError`` saying that
    ``what`` (``n`` spectra of ``each`` bytes, e.g. ``"n_train=100 training spectra"``)
    need more memory than this machine can allocate, and to pass fewer."""
    try:
        yield
    except MemoryError:
        raise InvalidParameterError(
            f"{what} need {n * each / 2**30:,.1f} GiB ({each} bytes each), more memory than "
            "this machine can allocate; pass fewer"
        ) from None


def training_device(device: str) -> torch.device:
    """The torch device named ``device``: ``"cpu"``, ``"cuda"`` or ``"cuda:N"`` of a GPU here.

    Raises:
        InvalidParameterError: another device, or a CUDA one that torch does not see.
    """
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    here = ["cpu", *(["cuda", *(f"cuda:{i}" for i in range(gpus))] if gpus else [])]
    try:
        dev = torch.device(device) if isinstance(device, str) else None
    except RuntimeError:
        dev = None
    kind = None if dev is None else dev.type
    if kind == "cpu" and dev.index is None or kind == "cuda" and (dev.index or 0) < gpus:
        return dev
    if kind == "cuda" and not gpus:
        raise InvalidParameterError(
            f"device={device!r} but torch sees no CUDA device; train with device='cpu'"
        )
    raise InvalidParameterError(
        f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}; the devices here are "
        f"{', '.join(here)}"
    )


def check_finite_training(lr: float, checkpoint_dir: Path, net: torch.nn.Module, *figures) -> None:
    """Raise ``InvalidParameterError`` when training at ``lr`` diverged: a tensor of
    ``net``'s state (parameters, batch-norm statistics) or a value of ``figures``
    (array-likes: losses, thresholds, probabilities, validation errors) is NaN or inf.
    Called before the weights file is written, so none is."""
    bad = []
    if not all(bool(torch.isfinite(t).all()) for t in net.state_dict().values()):
        bad.append("weights")
    if not all(np.isfinite(np.asarray(figure, dtype=float)).all() for figure in figures):
        bad.append("losses or validation figures")
    if bad:
        raise InvalidParameterError(
            f"training diverged at lr={lr:g} (its {' and '.join(bad)} are NaN or inf), so no "
            f"weights file was written; lower it, e.g. lr={lr / 10:g}, with a new "
            f"checkpoint_dir (--checkpoints) or after deleting {checkpoint_dir}, which holds "
            "the diverged run"
        )


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The ``epoch_NNN.pt`` of the highest epoch in ``checkpoint_dir``, or None."""
    epochs = {}
    for path in Path(checkpoint_dir).glob("epoch_*.pt"):
        match = re.fullmatch(r"epoch_(\d+)\.pt", path.name)
        if match:
            epochs[int(match.group(1))] = path
    return epochs[max(epochs)] if epochs else None


def save_file(obj, path: Path) -> None:
    """``torch.save`` ``obj`` to a temporary file beside ``path``, then rename it to ``path``.

    A run killed while saving thus leaves the old file (or none), never a truncated one. A
    Ctrl-C (or a SIGTERM handled in Python) while saving reaches its handler once the file is
    in place (``_interrupt_after``): a ``KeyboardInterrupt`` raised inside ``torch.save``
    became a RuntimeError of its zip writer, with a traceback, and the epoch was lost.
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with _interrupt_after():
            with open(temporary, "wb") as file:
                torch.save(obj, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextmanager
def _interrupt_after() -> Iterator[None]:
    """Hold a Ctrl-C (SIGINT) or SIGTERM that arrives during the block until it ends, then
    pass it to its handler (Python's SIGINT one raises ``KeyboardInterrupt``; ``adaptive
    train`` makes SIGTERM's do so too).

    Only signals with a handler in Python, in the main thread (neither ignored, as SIGINT in
    a background job, nor left to the operating system, as SIGTERM by default)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    handlers = {s: handler for s, handler in handlers.items() if callable(handler)}
    received = []
    for signum in handlers:
        signal.signal(signum, lambda signum, frame: received.append(signum))
    try:
        yield
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    if received:
        handlers[received[0]](received[0], None)


def load_file(path: Path, keys: set[str], fix: str) -> dict:
    """The dict holding ``keys`` that ``save_file`` wrote to ``path``, read onto the CPU.

    Raises:
        InvalidParameterError: ``path`` is truncated, corrupt or holds something else;
            the message names it and ends with ``fix``.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # torch's unpickler raises a dozen types on a damaged file
        raise InvalidParameterError(
            f"{path} cannot be read ({type(err).__name__}): it is truncated, corrupt or no "
            f"torch file; {fix}"
        ) from None
    if not isinstance(state, dict) or not keys <= state.keys():
        raise InvalidParameterError(
            f"{path} does not hold a dict with the keys {sorted(keys)}; {fix}"
        )
    return state


def load_weights(net: torch.nn.Module, state_dict: dict, path: Path, fix: str) -> None:
    """``net.load_state_dict(state_dict)`` for tensors read from ``path``.

    Raises:
        InvalidParameterError: no state dict, or missing, unexpected or differently shaped
            tensors (a network of another layout); the message names ``path`` and ends
            with ``fix``.
    """
    try:
        net.load_state_dict(state_dict)
    except (RuntimeError, TypeError):  # RuntimeError: tensors of another layout
        raise InvalidParameterError(
            f"{path} holds a network of another layout than this {type(net).__name__} "
            f"(written by another version?); {fix}"
        ) from None


def random_state(device: torch.device) -> dict[str, torch.Tensor]:
    """Torch's random state, for ``save_checkpoint``: ``rng`` (CPU), and ``cuda_rng`` on a GPU."""
    state = {"rng": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda_rng"] = torch.cuda.get_rng_state(device)
    return state


def training_step(loss: torch.Tensor, optimizer, schedule, bar, epoch: int) -> None:
    """One optimiser step on ``loss`` (its gradients, the optimiser, the learning-rate
    ``schedule``), shown on the tqdm ``bar`` with the 0-based ``epoch``."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    bar.update()
    bar.set_postfix(epoch=epoch + 1, loss=f"{loss.item():.3f}", refresh=False)


def save_checkpoint(
    checkpoint_dir: Path,
    epoch: int,
    settings: dict,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule,
    **extra,
) -> None:
    """Write ``checkpoint_dir/epoch_NNN.pt`` after ``epoch`` epochs, for ``resume_training``;
    the folder is made with the first one, so a run refused or stopped before leaves none.

    Args:
        extra: more state to keep, e.g. ``history``, ``seconds``, ``**random_state(device)``.
    """
    state = {
        "settings": settings,
        "epoch": epoch,
        "model": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        **extra,
    }
    Path(checkpoint_dir).mkdir(parents=True, exist_ok=True)
    save_file(state, Path(checkpoint_dir) / f"epoch_{epoch:03d}.pt")


def resume_training(
    checkpoint_dir: Path,
    settings: dict,
    device: torch.device,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule,
) -> dict | None:
    """Load the newest checkpoint into the network, optimiser and schedule.

    Also sets torch's random state where the checkpoint holds one (``random_state``).
    The checkpoint is read onto the CPU (the random states must stay there);
    ``load_state_dict`` moves the rest to the network's device.

    Returns:
        The checkpoint (``epoch``, ``history``, ``seconds`` and whatever else was saved),
        or None when there is none.

    Raises:
        InvalidParameterError: the checkpoint is unreadable, belongs to a run with
            other settings, or holds a network of another layout.
    """
    latest = latest_checkpoint(checkpoint_dir)
    if latest is None:
        return None
    fix = f"delete it (or the folder {checkpoint_dir}) to start the run afresh"
    state = load_file(latest, {"settings", "epoch", "model", "optimizer", "schedule"}, fix)
    if state["settings"] != settings:
        raise InvalidParameterError(
            f"{checkpoint_dir} holds a run with settings {state['settings']}, not "
            f"{settings}; pass an empty checkpoint_dir (--checkpoints) or the same settings"
        )
    load_weights(net, state["model"], latest, f"pass a new checkpoint_dir (--checkpoints) or {fix}")
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    if "rng" in state:
        torch.set_rng_state(state["rng"])
    if "cuda_rng" in state:
        torch.cuda.set_rng_state(state["cuda_rng"], device)
    return state
