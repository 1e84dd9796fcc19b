"""Per-epoch training checkpoints that a rerun with the same settings resumes from."""

from __future__ import annotations

from pathlib import Path

import torch

from adaptive.errors import InvalidParameterError


def latest_checkpoint(checkpoint_dir: Path) -> Path | None:
    """The newest ``epoch_NNN.pt`` in ``checkpoint_dir``, or None."""
    files = sorted(Path(checkpoint_dir).glob("epoch_*.pt"))
    return files[-1] if files else None


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
