"""Training of the EELS element-identification networks of ``surrogates.eels_net``.

Training (``train_eels_net``): a fixed set of spectra from ``simulate_eels`` (the
simulator with ``TRAINING_SIMULATOR`` settings: windows from 30 eV, a quarter of the
spectra background-subtracted; ``augment`` can change it for training only, e.g. more
overlapping edges), stored as float16 and reused every epoch; AdamW with a one-cycle
cosine schedule, from random weights or from ``init`` ones; then thresholds are
calibrated on a separate validation set (``calibrate_thresholds`` of
``surrogates.eels_identifier``) and stored with the weights, together with the
validation probabilities so that an ensemble can fit its member weights and calibrate
its thresholds the same way when it is loaded; the metrics stored and returned are
scored on other held-out spectra (seed ``SCORE_SEED``), since on the validation set
precision equals recall by construction. ``VALIDATION_SEED``, ``SCORE_SEED`` and
``TEST_SEED`` are the seeds of the held-out spectra, which no training may use.
"""

from __future__ import annotations

import inspect
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, N_CHANNELS, EELSBatch, EELSSimulator
from surrogates.checkpoints import (
    check_finite_training,
    check_training_settings,
    fits_in_memory,
    load_file,
    load_weights,
    random_state,
    resume_training,
    save_checkpoint,
    save_file,
    training_device,
    training_step,
)
from surrogates.eels_identifier import EELSIdentifier, calibrate_thresholds, score_identification
from surrogates.eels_net import ARCHS, TRAINING_SIMULATOR, eels_inputs, eels_loss
from surrogates.seeds import derived_seed
from surrogates.threads import one_torch_thread, seeded_torch

#: Seed of the validation spectra, apart from any training seed.
VALIDATION_SEED = 2023
#: Seed of the held-out spectra that training scores the calibrated network on, apart
#: from any training seed and ``VALIDATION_SEED``; at most ``SCORE_SPECTRA`` of them (a
#: few seconds), fewer when there are fewer validation spectra.
SCORE_SEED = 2024
SCORE_SPECTRA = 2000
#: Seed of the test spectra of the benchmark (``adaptive bench eels``), apart from any
#: training seed.
TEST_SEED = 12345
#: Spectra simulated at a time.
_SIMULATE_CHUNK = 5000
#: Where ``train_eels_net`` (and ``adaptive train eels``) writes by default, per arch: under
#: runs/, never over the committed networks of ``surrogates.eels_net.WEIGHTS_DIR``.
TRAINED_WEIGHTS = "runs/eels_{arch}.pt"
TRAINING_CHECKPOINTS = "runs/eels_checkpoints"
#: The committed networks' ``augment`` (their ``settings``), the default.
TRAINING_AUGMENT = {"overlap_fraction": 0.25}


# --------------------------------------------------------------------------- training


def simulate_eels(
    n: int, seed: int, dtype: type = np.float32, progress: str | None = None, **settings
) -> EELSBatch:
    """n spectra of ``EELSSimulator(**TRAINING_SIMULATOR)``, simulated in chunks.

    Args:
        n: spectra (>= 1).
        seed: seed (>= 0); chunk i is sampled with a seed derived from (seed, i, 0).
        dtype: storage type of the spectra; float16 halves the memory of a training set.
        progress: the description of a tqdm progress bar of the spectra simulated so far
            (on stderr, as the training bar), e.g. ``"simulating training spectra"``;
            None for no bar.
        **settings: simulator settings replacing those of ``TRAINING_SIMULATOR``
            (none: the validation and test distribution).

    Returns:
        The batch (spectra (n, N_CHANNELS) of ``dtype``, labels (n, 80), window (n, 2)).
    """
    from tqdm.auto import tqdm

    n, seed = check_int("n", n, 1), check_int("seed", seed, 0)
    simulator = EELSSimulator(**{**TRAINING_SIMULATOR, **settings})
    spectra = np.empty((n, N_CHANNELS), dtype=dtype)
    labels = np.empty((n, len(ELEMENTS)), dtype=bool)
    window = np.empty((n, 2), dtype=np.int64)
    elements: list[tuple[str, ...]] = []
    with tqdm(total=n, desc=progress, unit=" spectra", disable=progress is None) as bar:
        for i, start in enumerate(range(0, n, _SIMULATE_CHUNK)):
            size = min(_SIMULATE_CHUNK, n - start)
            batch = simulator.sample(size, seed=derived_seed(seed, i, 0))
            rows = slice(start, start + size)
            spectra[rows], labels[rows], window[rows] = batch.spectra, batch.labels, batch.window
            elements += batch.elements
            bar.update(size)
    return EELSBatch(spectra=spectra, labels=labels, window=window, elements=elements)


def _check_augment(augment) -> dict:
    """``augment`` as a dict of ``EELSSimulator`` settings that pass its checks over
    ``TRAINING_SIMULATOR``; an ``InvalidParameterError`` otherwise."""
    if augment is None:
        return {}
    example = '{"overlap_fraction": 0.5}'
    if not isinstance(augment, dict):
        raise InvalidParameterError(
            f"augment is a dict of EELSSimulator settings such as {example}, or None; got "
            f"{augment!r}"
        )
    names = inspect.signature(EELSSimulator).parameters
    unknown = [key for key in augment if key not in names]
    if unknown:
        raise InvalidParameterError(
            f"augment names {unknown[0]!r}, not an EELSSimulator setting; use some of "
            f"{sorted(names)}, e.g. {example}"
        )
    try:
        EELSSimulator(**{**TRAINING_SIMULATOR, **augment}).check()
    except ValueError as err:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(f"augment {augment!r}: {err}") from None
    return dict(augment)


def spectra_in_memory(what: str, n: int, dtype: type = np.float32):
    """``fits_in_memory`` for ``n`` spectra of ``simulate_eels`` stored as ``dtype``;
    ``what`` names them, e.g. ``"n_train=100 training spectra"``."""
    each = np.dtype(dtype).itemsize * N_CHANNELS + len(ELEMENTS) + 16  # labels, window
    return fits_in_memory(what, n, each)


def train_eels_net(
    arch: str = "unet",
    n_train: int = 130_000,
    epochs: int = 4,
    seed: int = 0,
    batch_size: int = 128,
    checkpoint_dir: str | Path | None = None,
    out_path: str | Path | None = None,
    device: str = "cpu",
    progress: bool = True,
    n_val: int = 10_000,
    lr: float = 2e-3,
    augment: dict | None = TRAINING_AUGMENT,
    init: str | Path | None = None,
) -> dict[str, float]:
    """Train an element-identification network on simulated spectra and save it. The
    defaults are the committed networks' settings (their ``settings``) and ``adaptive
    train eels``'s.

    The ``n_train`` training spectra are simulated once (``simulate_eels`` with
    ``augment``, float16) and reused every epoch in a new order. Deterministic given
    ``seed`` on the CPU (torch on one thread): initialisation, data, batch order and
    dropout derive from it. After every epoch a checkpoint (network, optimiser,
    schedule, random state) goes to ``checkpoint_dir/epoch_NNN.pt``, and a run with the
    same settings resumes from the latest one there. Finally the thresholds are
    calibrated on ``n_val`` validation spectra (seed ``VALIDATION_SEED``, not augmented:
    the test distribution, the same set for every run) where precision = recall, and
    the network is scored at them on ``min(n_val, SCORE_SPECTRA)`` other held-out
    spectra (seed ``SCORE_SEED``, the same distribution).

    Args:
        arch: ``"unet"`` or ``"resnet"``.
        n_train: training spectra (>= batch_size).
        epochs: passes over them (>= 1).
        seed: seed of everything random (>= 0), not ``VALIDATION_SEED``, ``SCORE_SEED``
            or ``TEST_SEED``.
        batch_size: spectra per AdamW step (>= 2).
        checkpoint_dir: folder of the per-epoch checkpoints (made with the first one);
            ``TRAINING_CHECKPOINTS/<arch>`` when None.
        out_path: weights file; ``TRAINED_WEIGHTS`` (``runs/eels_<arch>.pt``) when None; to
            replace a committed network, ``surrogates.eels_net.WEIGHTS_DIR/eels_<arch>.pt``.
        device: torch device for training, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        progress: show tqdm progress bars: of simulating the training spectra, of
            training, then of calibrating the thresholds and scoring.
        n_val: validation spectra (>= 100).
        lr: peak learning rate of the one-cycle cosine schedule.
        augment: simulator settings of the training spectra only, replacing those of
            ``TRAINING_SIMULATOR``, e.g. ``{"overlap_fraction": 0.5}`` for more
            overlapping edges; None for none; ``TRAINING_AUGMENT`` by default.
        init: weights file of the same arch to start from (fine-tuning); None starts
            from a random initialisation.

    Returns:
        Metrics at the calibrated thresholds on the held-out scoring spectra, not the
        validation spectra (``score_identification``), plus ``scored_spectra`` (how many)
        and ``train_seconds``. The weights file holds ``state_dict``, ``arch``, ``config``,
        ``thresholds`` (80,), ``metrics``, ``settings``, ``history`` (mean loss per
        epoch) and ``validation`` (its probabilities, float16, and labels, bit-packed).

    Raises:
        InvalidParameterError: a bad setting, ``augment`` or ``init`` file (before any
            folder is made), ``checkpoint_dir`` holds an unreadable checkpoint or a
            run with other settings, the ``n_train`` spectra do not fit in memory, or
            training diverged (``check_finite_training``; no weights file is written).
    """
    from tqdm.auto import tqdm

    if arch not in ARCHS:
        raise InvalidParameterError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    reserved = {
        VALIDATION_SEED: "the validation spectra",
        SCORE_SEED: "the held-out spectra the trained network is scored on",
        TEST_SEED: "the benchmark's test spectra",
    }
    check_training_settings(n_train, epochs, seed, batch_size, n_val, 100, lr, reserved)
    augment = _check_augment(augment)
    settings = {
        "arch": arch,
        "n_train": n_train,
        "epochs": epochs,
        "seed": seed,
        "batch_size": batch_size,
        "lr": float(lr),
        "simulator": dict(TRAINING_SIMULATOR),
        "augment": augment,
        "init": None if init is None else str(init),
    }
    dev = training_device(device)
    if init is not None:
        if not Path(init).is_file():
            raise InvalidParameterError(f"init {init} is not a weights file")
        fix = f"pass as init a weights file that train_eels_net wrote for arch={arch!r}"
        saved = load_file(Path(init), {"arch", "state_dict"}, fix)
        if saved["arch"] != arch:
            raise InvalidParameterError(f"init {init} holds {saved['arch']!r} weights; {fix}")
    if checkpoint_dir is None:
        checkpoint_dir = Path(TRAINING_CHECKPOINTS, arch)
    checkpoint_dir = Path(checkpoint_dir)
    out_path = Path(TRAINED_WEIGHTS.format(arch=arch) if out_path is None else out_path)
    steps = n_train // batch_size

    with one_torch_thread() if dev.type == "cpu" else nullcontext(), seeded_torch(seed):
        net = ARCHS[arch]()
        if init is not None:
            layout = f"the {arch} network has config {net.config}; {fix}"
            load_weights(net, saved["state_dict"], Path(init), layout)
        net = net.to(dev)
        optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=1e-4)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=epochs * steps, pct_start=0.05
        )
        start, history, seconds = 0, [], 0.0
        state = resume_training(checkpoint_dir, settings, dev, net, optimizer, schedule)
        if state is not None:
            start, history, seconds = state["epoch"], state["history"], state["seconds"]

        if start < epochs:
            with spectra_in_memory(f"n_train={n_train} training spectra", n_train, np.float16):
                shown = f"simulating {n_train:,} training spectra" if progress else None
                data = simulate_eels(n_train, seed, np.float16, shown, **augment)
        with tqdm(total=epochs * steps, initial=start * steps, disable=not progress) as bar:
            for epoch in range(start, epochs):
                began = time.perf_counter()
                order = np.random.default_rng(derived_seed(seed, epoch, 1)).permutation(n_train)
                net.train()
                total = 0.0
                for i in range(steps):
                    rows = np.sort(order[i * batch_size : (i + 1) * batch_size])
                    x = torch.from_numpy(data.spectra[rows].astype(np.float32)).to(dev)
                    y = torch.from_numpy(data.labels[rows]).float().to(dev)
                    loss = eels_loss(
                        net(eels_inputs(x, torch.from_numpy(data.window[rows]).to(dev))), y
                    )
                    training_step(loss, optimizer, schedule, bar, epoch)
                    total += loss.item()
                seconds += time.perf_counter() - began
                history.append(total / steps)
                save_checkpoint(
                    checkpoint_dir,
                    epoch + 1,
                    settings,
                    net,
                    optimizer,
                    schedule,
                    **random_state(dev),
                    history=history,
                    seconds=seconds,
                )

    net = net.cpu().eval()
    # after the training bar, a minute or more under load: one step each
    with tqdm(total=4, desc="thresholds and scores", unit="step", disable=not progress) as bar:
        validation = simulate_eels(n_val, VALIDATION_SEED)
        bar.update()
        p = EELSIdentifier([net]).probabilities(validation.spectra, validation.window)
        thresholds = calibrate_thresholds(p, validation.labels)
        check_finite_training(lr, checkpoint_dir, net, history, thresholds, p)
        bar.update()
        scored = simulate_eels(min(n_val, SCORE_SPECTRA), SCORE_SEED)
        bar.update()
        p_scored = EELSIdentifier([net]).probabilities(scored.spectra, scored.window)
        metrics = score_identification(p_scored > thresholds, scored.labels)
        bar.update()
    metrics["scored_spectra"] = len(scored.labels)
    metrics["train_seconds"] = seconds
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {
            "state_dict": net.state_dict(),
            "arch": arch,
            "config": net.config,
            "thresholds": torch.from_numpy(thresholds),
            "metrics": metrics,
            "settings": settings,
            "history": history,
            "validation": {
                "probabilities": torch.from_numpy(p).half(),
                "labels": torch.from_numpy(np.packbits(validation.labels, axis=1)),
            },
        },
        out_path,
    )
    return metrics
