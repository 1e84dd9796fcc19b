"""Training runs of the analysis networks: checked settings, the device, and per-epoch
checkpoints that a rerun with the same settings resumes from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from adaptive.errors import InvalidParameterError


def check_training_settings(
    n_train: int, epochs: int, seed: int, batch_size: int, n_val: int, min_val: int, lr: float
) -> None:
    """Raise ``InvalidParameterError`` for a bad training setting (``n_val >= min_val``)."""
    for name, value, low in (
        ("n_train", n_train, batch_size),
        ("epochs", epochs, 1),
        ("seed", seed, 0),
        ("batch_size", batch_size, 2),
        ("n_val", n_val, min_val),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidParameterError(f"{name} must be an int >= {low}, got {value!r}")
    if not (isinstance(lr, int | float) and np.isfinite(lr) and lr > 0):
        raise InvalidParameterError(f"lr must be a finite number > 0, got {lr!r}")


def training_device(device: str) -> torch.device:
    """The torch device named ``device``, or ``InvalidParameterError`` if unusable here."""
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise InvalidParameterError(f"device must be 'cpu' or 'cuda', got {device!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise InvalidParameterError(
            f"device={device!r} but torch sees no CUDA device; train with device='cpu'"
        )
    return dev


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The newest ``epoch_NNN.pt`` in ``checkpoint_dir``, or None."""
    files = sorted(Path(checkpoint_dir).glob("epoch_*.pt"))
    return files[-1] if files else None


def save_checkpoint(
    checkpoint_dir: Path,
    epoch: int,
    settings: dict,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule,
    **extra,
) -> None:
    """Write ``checkpoint_dir/epoch_NNN.pt`` after ``epoch`` epochs, for ``resume_training``.

    Args:
        extra: more state to keep, e.g. ``history``, ``seconds``, ``rng``.
    """
    state = {
        "settings": settings,
        "epoch": epoch,
        "model": net.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        **extra,
    }
    torch.save(state, Path(checkpoint_dir) / f"epoch_{epoch:03d}.pt")


def resume_training(
    checkpoint_dir: Path,
    settings: dict,
    device: torch.device,
    net: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    schedule,
) -> dict | None:
    """Load the newest checkpoint into the network, optimiser and schedule.

    Returns:
        The checkpoint (``epoch``, ``history``, ``seconds`` and whatever else was saved),
        or None when there is none.

    Raises:
        InvalidParameterError: the checkpoint belongs to a run with other settings.
    """
    latest = latest_checkpoint(checkpoint_dir)
    if latest is None:
        return None
    state = torch.load(latest, map_location=device, weights_only=True)
    if state["settings"] != settings:
        raise InvalidParameterError(
            f"{checkpoint_dir} holds a run with settings {state['settings']}, not "
            f"{settings}; pass an empty checkpoint_dir or the same settings"
        )
    net.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    return state
