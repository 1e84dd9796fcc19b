"""Networks that name the elements in a core-loss EELS spectrum (multi-label, 80 elements).

After Annys, Jannis and Verbeeck, Sci. Rep. 13, 13724 (2023): a spectrum on the 3072
channels of 1 eV of ``simulators.eels`` (zero outside the measured window) goes to a 1-D
convolutional network with 80 sigmoid outputs, one per element Be..Bi, trained on
simulated spectra with binary cross-entropy plus a soft-F1 loss; an ensemble takes a mean
of the members' probabilities weighted per element by how well each names it; an element
counts as present above a threshold calibrated where precision equals recall on
validation spectra.

How a spectrum reaches the network (``prepare_eels``), the same in training and use:

1. Divide by the maximum inside the window (measured spectra may come as raw counts).
2. Three input channels, each zero outside the window:

   * ``asinh(x / LOG_FLOOR)`` minus its mean over the window: a logarithm above
     ``LOG_FLOOR`` (1e-4 of the maximum) that stays finite and smooth through zero for
     background-subtracted spectra. A wide window spans three to four decades of a power
     law, on which an edge is a step of the same size whatever its height; removing the
     window mean divides by the spectrum's geometric mean, so the channel does not
     depend on the intensity scale. It is deliberately not divided by its spread: a
     30 eV window and a 1500 eV one show an edge jump of the same log ratio.
   * the max-normalised spectrum itself: white lines and background-subtracted
     spectra read best on a linear scale.
   * the window mask (1 inside): it tells the network where the data end and the
     zero padding starts.

Architectures (both small enough to run >= 2,000 spectra/s on one CPU core, and both
reduce 3072 channels to 768 in the first layer):

* ``EELSUNet``: a strided stem, then an encoder of residual blocks at 768, 384, 192 and
  48 positions, a decoder that upsamples the 48-position bottleneck (each position
  sees about 450 eV of the spectrum around it) back to 192 positions and adds the skip
  connection from the encoder there, and the head.
* ``EELSResNet``: the same stem and residual stages at 768, 384 and 192 positions,
  without the bottleneck and decoder.

The head is a linear layer on the flattened 192-position feature map, not a global
pooling: which element an edge belongs to is given by *where* it is (the energy), and
pooling over positions would throw that away. Each of the 192 cells covers 16 eV;
the features within it say where inside the cell an edge starts and what shape it has.

Training (``train_eels_net``): a fixed set of spectra from ``simulate_eels`` (the
simulator with ``TRAINING_SIMULATOR`` settings: windows from 30 eV, a quarter of the
spectra background-subtracted; ``augment`` can change it for training only, e.g. more
overlapping edges), stored as float16 and reused every epoch; AdamW with a one-cycle
cosine schedule, from random weights or from ``init`` ones; then thresholds are
calibrated on a separate validation set (``calibrate_thresholds``) and stored with the
weights, together with the validation probabilities so that an ensemble can fit its
member weights and calibrate its thresholds the same way when it is loaded.

The committed weights ``weights/eels_unet.pt`` and ``weights/eels_resnet.pt`` (3.9 and
3.8 MB) come from ``adaptive train eels --arch unet`` / ``--arch resnet`` (130,000
spectra, 4 epochs, batch 128, a quarter with an overlapping-edge partner, seed 0), each
on one CPU thread (7 and 5 minutes). On 5,000 fresh spectra
(``simulate_eels(5000, seed=12345)``) at the calibrated thresholds: U-Net weighted F1
0.908, exact match 0.778; ResNet 0.890, 0.734; the weighted ensemble 0.906, 0.773.
Throughput on torch's two threads, batch 256, preprocessing included: U-Net 6,200,
ResNet 7,500, ensemble 3,500 spectra/s (BENCHMARKS.md).
"""

from __future__ import annotations

import inspect
import itertools
import time
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adaptive.arrays import check_int, finite_matrix
from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, N_CHANNELS, EELSBatch, EELSSimulator
from simulators.eels_files import KEV_HINT_EV, EELSSpectrum, to_channels
from surrogates.checkpoints import (
    check_training_settings,
    load_file,
    load_weights,
    random_state,
    resume_training,
    save_checkpoint,
    save_file,
    training_device,
    training_step,
)
from surrogates.seeds import derived_seed
from surrogates.threads import one_torch_thread, seeded_torch

#: Folder of the committed weights ``eels_<arch>.pt``.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: Simulator settings of the training, validation and test spectra: ~30 eV windows like
#: the narrow measured ones, and more background-subtracted spectra than the default.
TRAINING_SIMULATOR = {"window_width": (30, 1500), "background_removed": 0.25}
#: Coarsest energy step (eV) of a measured axis inside the trained range: the broadest
#: energy resolution (FWHM) of the training spectra. A coarser axis smooths edges and
#: white lines more than any training spectrum.
MAX_STEP_EV = EELSSimulator(**TRAINING_SIMULATOR).resolution[1]
#: A step above ``MAX_STEP_EV`` and this many times the median step is a gap in the axis.
GAP_FACTOR = 5
#: Gaps a warning names; it counts the rest.
GAPS_SHOWN = 3
#: Seed of the validation spectra, apart from any training seed.
VALIDATION_SEED = 2023
#: Seed of the test spectra of the benchmark (``adaptive bench eels``), apart from any
#: training seed.
TEST_SEED = 12345
#: Where the log channel turns linear, relative to the window maximum.
LOG_FLOOR = 1e-4
#: Input channels made by ``prepare_eels``.
N_INPUTS = 3
#: Positives an element needs on the validation set for a threshold of its own.
MIN_SUPPORT = 20
#: Grid steps of the per-element member weights of an ensemble (``ensemble_weights``).
WEIGHT_STEPS = 10
#: The committed networks (``WEIGHTS_DIR/eels_<name>.pt``), the default ensemble.
COMMITTED_NETWORKS = ("unet", "resnet")
#: What loading uses of a weights file that ``train_eels_net`` wrote.
_SAVED_KEYS = {"arch", "config", "state_dict", "thresholds", "metrics", "settings", "validation"}
#: Spectra simulated at a time.
_SIMULATE_CHUNK = 5000
#: Spectra per network call at inference: small enough to keep the activations in cache
#: (2 cores, U-Net: 9,150 spectra/s in batches of 256, 3,110 in batches of 1,024).
INFERENCE_BATCH = 256


# ---------------------------------------------------------------------- preprocessing


def _checked(spectra, window) -> tuple[np.ndarray, np.ndarray]:
    """Validated (n, N_CHANNELS) float32 spectra and (n, 2) int64 windows."""
    x = finite_matrix("spectra", spectra, "spectrum", dtype=np.float32)
    try:
        w = np.asarray(window)
    except (TypeError, ValueError) as err:
        raise InvalidParameterError(f"window must be a numeric array: {err}") from None
    if x.shape[1] != N_CHANNELS:
        raise InvalidParameterError(
            f"spectra must have shape (n, {N_CHANNELS}) on the 1 eV channels, got {x.shape}; "
            "put measured spectra there with simulators.eels_files.to_channels and pass one "
            "spectrum as x[None, :]"
        )
    if w.shape != (x.shape[0], 2) or not np.issubdtype(w.dtype, np.integer):
        raise InvalidParameterError(
            f"window must be an integer array of shape ({x.shape[0]}, 2) (first and last "
            f"channel of each spectrum), got {w.dtype} {w.shape}"
        )
    w = w.astype(np.int64)
    bad = np.flatnonzero((w[:, 0] < 0) | (w[:, 1] >= N_CHANNELS) | (w[:, 1] <= w[:, 0]))
    if bad.size:
        raise InvalidParameterError(
            f"window[{bad[0]}] = {w[bad[0]].tolist()} must satisfy 0 <= first < last <= "
            f"{N_CHANNELS - 1}"
        )
    inside = (np.arange(N_CHANNELS) >= w[:, :1]) & (np.arange(N_CHANNELS) <= w[:, 1:])
    flat = np.flatnonzero(np.where(inside, x, -np.inf).max(axis=1) <= 0)
    if flat.size:
        raise InvalidParameterError(
            f"spectrum {flat[0]} has no positive value inside its window "
            f"{w[flat[0]].tolist()}; check the window or drop that spectrum"
        )
    return x, w


def _prepare(spectra: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """``prepare_eels`` without the checks: (n, N_CHANNELS) float32, (n, 2) int64."""
    channels = torch.arange(N_CHANNELS, device=spectra.device)
    mask = ((channels >= window[:, :1]) & (channels <= window[:, 1:])).float()
    x = spectra * mask
    x = x / x.amax(dim=1, keepdim=True)
    log = torch.asinh(x / LOG_FLOOR)
    log = (log - (log * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)) * mask
    return torch.stack([log, x, mask], dim=1)


def prepare_eels(spectra: np.ndarray, window: np.ndarray) -> torch.Tensor:
    """Network input of spectra on the 1 eV channels; see the module docstring.

    Args:
        spectra: (n, N_CHANNELS) spectra, zero (or anything: it is masked) outside the
            window, with a positive value inside it.
        window: (n, 2) int, first and last channel of each window.

    Returns:
        (n, N_INPUTS, N_CHANNELS) float32: centred asinh-log spectrum, max-normalised
        spectrum, window mask; all zero outside the window.

    Raises:
        InvalidParameterError: wrong shapes, non-finite values, a window outside the
            channels, or a spectrum with nothing positive in its window.
    """
    x, w = _checked(spectra, window)
    return _prepare(torch.from_numpy(x), torch.from_numpy(w))


# --------------------------------------------------------------------------- networks


def _conv(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0) -> nn.Sequential:
    """Convolution, batch norm, SiLU: (b, c_in, length) -> (b, c_out, length / stride)."""
    return nn.Sequential(
        nn.Conv1d(c_in, c_out, kernel, stride=stride, padding=padding, bias=False),
        nn.BatchNorm1d(c_out),
        nn.SiLU(),
    )


class _Residual(nn.Module):
    """Two kernel-3 convolutions with batch norm and an identity skip."""

    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            _conv(channels, channels, 3, padding=1),
            nn.Conv1d(channels, channels, 3, padding=1, bias=False),
            nn.BatchNorm1d(channels),
        )
        self.act = nn.SiLU()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(b, c, length) -> (b, c, length)."""
        return self.act(h + self.body(h))


def _stem(channels: int) -> nn.Sequential:
    """(b, N_INPUTS, 3072) -> (b, channels, 768): 8-channel kernels at stride 4, a block."""
    return nn.Sequential(_conv(N_INPUTS, channels, 8, stride=4, padding=2), _Residual(channels))


def _head(channels: int, dropout: float) -> nn.Sequential:
    """(b, channels, 192) -> (b, 80) logits, linear on the flattened feature map."""
    return nn.Sequential(
        nn.Flatten(), nn.Dropout(dropout), nn.Linear(channels * (N_CHANNELS // 16), len(ELEMENTS))
    )


def _encoder(c: Sequence[int]) -> nn.Sequential:
    """Stem to 768 positions, then stride-2 stages to 384 and 192: channels ``c[:3]``."""
    return nn.Sequential(
        _stem(c[0]),
        _conv(c[0], c[1], 3, stride=2, padding=1),
        _Residual(c[1]),
        _conv(c[1], c[2], 3, stride=2, padding=1),
        _Residual(c[2]),
    )


def _check_channels(channels, count: int) -> tuple[int, ...]:
    try:
        channels = tuple(int(c) for c in channels)
    except (TypeError, ValueError):
        channels = ()
    if len(channels) != count or min(channels) < 1:
        raise InvalidParameterError(
            f"channels must be {count} positive ints (one per resolution), got {channels!r}"
        )
    return channels


class EELSResNet(nn.Module):
    """Residual CNN: (n, N_INPUTS, 3072) prepared spectra -> (n, 80) logits.

    Stem to 768 positions (4 eV), two stride-2 stages to 384 and 192 (16 eV), one
    residual block at each, then the flattened linear head.

    Args:
        channels: feature channels at 768, 384 and 192 positions.
        dropout: dropout before the head.
    """

    def __init__(self, channels: Sequence[int] = (16, 24, 32), dropout: float = 0.1):
        super().__init__()
        c = _check_channels(channels, 3)
        self.config = {"channels": c, "dropout": float(dropout)}
        self.features = _encoder(c)
        self.head = _head(c[2], dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, N_INPUTS, N_CHANNELS) -> (n, 80) logits."""
        return self.head(self.features(x))


class EELSUNet(nn.Module):
    """1-D U-Net: (n, N_INPUTS, 3072) prepared spectra -> (n, 80) logits.

    Encoder: stem to 768 positions, stride-2 stages to 384 and 192, a stride-4 stage to a
    48-position bottleneck (64 eV per position, each seeing about 450 eV of the input);
    decoder: the bottleneck upsampled to 192 positions and added to the encoder's
    192-position features (the skip connection), one more block, then the head.

    Args:
        channels: feature channels at 768, 384, 192 and 48 positions.
        dropout: dropout before the head.
    """

    def __init__(self, channels: Sequence[int] = (16, 24, 32, 48), dropout: float = 0.1):
        super().__init__()
        c = _check_channels(channels, 4)
        self.config = {"channels": c, "dropout": float(dropout)}
        self.encoder = _encoder(c)
        self.bottleneck = nn.Sequential(_conv(c[2], c[3], 4, stride=4), _Residual(c[3]))
        self.up = nn.Sequential(
            nn.Upsample(scale_factor=4),
            nn.Conv1d(c[3], c[2], 1, bias=False),
            nn.BatchNorm1d(c[2]),
        )
        self.decoder = _Residual(c[2])
        self.head = _head(c[2], dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, N_INPUTS, N_CHANNELS) -> (n, 80) logits."""
        skip = self.encoder(x)
        return self.head(self.decoder(skip + self.up(self.bottleneck(skip))))


#: Architectures by name.
ARCHS: dict[str, type[nn.Module]] = {"unet": EELSUNet, "resnet": EELSResNet}


def eels_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy plus ``1 - soft F1`` (as in the paper).

    The soft F1 is ``2 sum(p y) / (sum(p) + sum(y))`` over all entries of the batch
    (micro-averaged), with sigmoid probabilities ``p`` in place of hard decisions.

    Args:
        logits: (b, 80) network outputs.
        labels: (b, 80) float 0/1 targets.

    Returns:
        Scalar loss.
    """
    p = torch.sigmoid(logits)
    soft_f1 = 2 * (p * labels).sum() / (p.sum() + labels.sum()).clamp(min=1e-6)
    return nn.functional.binary_cross_entropy_with_logits(logits, labels) + 1 - soft_f1


# ---------------------------------------------------------------- thresholds, scores


def calibrate_thresholds(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-element thresholds where precision equals recall on labelled spectra.

    Precision equals recall exactly when as many spectra are called positive as are
    labelled positive (then false positives = false negatives), so the threshold of an
    element with k positives lies midway between its k-th and (k+1)-th largest
    probability. Elements with fewer than ``MIN_SUPPORT`` positives (or no negatives)
    share the global threshold found the same way over all entries at once.

    Args:
        probabilities: (n, 80) predicted probabilities.
        labels: (n, 80) bool labels.

    Returns:
        (80,) thresholds in (0, 1).
    """
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if p.ndim != 2 or p.shape[1] != len(ELEMENTS) or y.shape != p.shape:
        raise InvalidParameterError(
            f"probabilities and labels must both have shape (n, {len(ELEMENTS)}), got "
            f"{p.shape} and {y.shape}"
        )
    if not y.any():
        raise InvalidParameterError("labels hold no positive; calibrate on labelled spectra")

    def midpoint(values: np.ndarray, k: int) -> float:
        top = np.sort(values)[::-1]
        return float((top[k - 1] + top[k]) / 2) if k < top.size else float(top[-1] / 2)

    thresholds = np.full(len(ELEMENTS), midpoint(p.ravel(), int(y.sum())))
    support = y.sum(axis=0)
    for j in np.flatnonzero((support >= MIN_SUPPORT) & (support < len(y))):
        thresholds[j] = midpoint(p[:, j], int(support[j]))
    return np.clip(thresholds, 1e-6, 1 - 1e-6)


def ensemble_weights(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-element weights of an ensemble's members, fitted on labelled spectra.

    For each element with at least ``MIN_SUPPORT`` positives, the weights on the grid of
    the simplex with ``WEIGHT_STEPS`` steps (0, 1/WEIGHT_STEPS, ..., 1, summing to 1)
    whose weighted mean probability has the highest average precision; elements with
    fewer positives weigh their members equally. A member that names an element better
    gets more say on it (on validation spectra the U-Net is the better one for most
    elements).

    Args:
        probabilities: (m, n, 80) each member's probabilities.
        labels: (n, 80) bool labels.

    Returns:
        (80, m) weights, each row summing to 1.
    """
    p = np.asarray(probabilities, dtype=float)
    y = np.asarray(labels, dtype=bool)
    if p.ndim != 3 or p.shape[1:] != y.shape or y.shape[1:] != (len(ELEMENTS),):
        raise InvalidParameterError(
            f"probabilities must have shape (m, n, {len(ELEMENTS)}) and labels (n, "
            f"{len(ELEMENTS)}), got {p.shape} and {y.shape}"
        )
    members = len(p)
    cells = itertools.product(range(WEIGHT_STEPS + 1), repeat=members)
    grid = np.array([c for c in cells if sum(c) == WEIGHT_STEPS]) / WEIGHT_STEPS  # (g, m)
    weights = np.full((len(ELEMENTS), members), 1 / members)
    for j in np.flatnonzero(y.sum(axis=0) >= MIN_SUPPORT):
        mixed = p[:, :, j].T @ grid.T  # (n, g)
        weights[j] = grid[np.argmax(_average_precision(mixed, y[:, j]))]
    return weights


def _average_precision(scores: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Average precision (g,) of each column of ``scores`` (n, g) for ``positive`` (n,)."""
    order = np.argsort(-scores, axis=0, kind="stable")
    hits = positive[order]  # (n, g), in descending score
    precision = np.cumsum(hits, axis=0) / np.arange(1, len(hits) + 1)[:, None]
    return (precision * hits).sum(axis=0) / max(int(positive.sum()), 1)


def score_identification(present: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """How well predicted element sets match labelled ones.

    Args:
        present: (n, 80) bool predictions.
        labels: (n, 80) bool labels.

    Returns:
        ``weighted_f1`` (per-element F1 weighted by the element's positives),
        ``micro_f1``, ``precision`` and ``recall`` (micro), ``exact_match`` (fraction
        of spectra whose whole element set is right).
    """
    present = np.asarray(present, dtype=bool)
    labels = np.asarray(labels, dtype=bool)
    tp = (present & labels).sum(axis=0)
    fp = (present & ~labels).sum(axis=0)
    fn = (~present & labels).sum(axis=0)
    f1 = 2 * tp / np.maximum(2 * tp + fp + fn, 1)
    support = labels.sum(axis=0)
    return {
        "weighted_f1": float((f1 * support).sum() / max(support.sum(), 1)),
        "micro_f1": float(2 * tp.sum() / max(2 * tp.sum() + fp.sum() + fn.sum(), 1)),
        "precision": float(tp.sum() / max(tp.sum() + fp.sum(), 1)),
        "recall": float(tp.sum() / max(tp.sum() + fn.sum(), 1)),
        "exact_match": float((present == labels).all(axis=1).mean()),
    }


# ------------------------------------------------------------------------- identifier


def _check_thresholds(value) -> np.ndarray:
    try:
        t = np.broadcast_to(np.asarray(value, dtype=float), (len(ELEMENTS),)).copy()
    except (TypeError, ValueError):
        raise InvalidParameterError(
            f"thresholds must be a number or {len(ELEMENTS)} numbers (one per element of "
            f"simulators.eels.ELEMENTS), got {value!r}"
        ) from None
    bad = np.flatnonzero(~((t > 0) & (t < 1)))
    if bad.size:
        raise InvalidParameterError(
            f"thresholds must lie strictly between 0 and 1, got {t[bad[0]]} for "
            f"{ELEMENTS[bad[0]]}; pass probabilities such as 0.5"
        )
    return t


def _kind(value) -> str:
    """What a stored field holds, in a few words: a tensor's shape and dtype, a dict's
    entries, another type's name."""
    if isinstance(value, torch.Tensor):
        return f"a tensor {tuple(value.shape)} of {str(value.dtype).removeprefix('torch.')}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key!r}: {_kind(v)}" for key, v in value.items()) + "}"
    return "None" if value is None else f"a {type(value).__name__}"


def _is_float_tensor(value, shape: tuple[int, ...]) -> bool:
    return isinstance(value, torch.Tensor) and value.is_floating_point() and value.shape == shape


def _read_weights(path: Path) -> tuple[nn.Module, dict]:
    """The network in a weights file that ``train_eels_net`` wrote, and the file's dict,
    every field that loading reads checked: ``arch``, ``config``, ``state_dict``,
    ``thresholds`` (80,) in (0, 1), ``validation`` (``probabilities`` (n, 80) in [0, 1],
    ``labels`` (n, 10) uint8 bit-packed, some positive), ``metrics`` and ``settings`` dicts.

    Raises:
        InvalidParameterError: a missing, damaged or foreign file, or a field of another
            form; one line naming ``path`` and the field, ending with how to get a good file.
    """
    fix = "pass a weights file that adaptive train eels --out (train_eels_net) wrote"
    if not path.is_file():
        raise InvalidParameterError(f"no EELS weights at {path}; {fix}")
    saved = load_file(path, _SAVED_KEYS, fix)
    arch, config = saved["arch"], saved["config"]
    if not isinstance(arch, str) or arch not in ARCHS:
        raise InvalidParameterError(
            f"{path} holds arch {arch!r}, not an EELS network ({sorted(ARCHS)}); {fix}"
        )
    try:
        net = ARCHS[arch](**config)
    except (TypeError, ValueError):  # unknown keys, bad channel counts
        raise InvalidParameterError(
            f"{path} holds a {arch} config {config!r} that {ARCHS[arch].__name__} does "
            f"not take (written by another version?); {fix}"
        ) from None
    load_weights(net, saved["state_dict"], path, fix)
    n = len(ELEMENTS)
    t = saved["thresholds"]
    if not (_is_float_tensor(t, (n,)) and ((t > 0) & (t < 1)).all()):
        raise InvalidParameterError(
            f"{path} holds thresholds {_kind(t)}, not a tensor of {n} probabilities strictly "
            f"between 0 and 1 (one per element); {fix}"
        )
    v = saved["validation"]
    p, labels = (v.get("probabilities"), v.get("labels")) if isinstance(v, dict) else (None, None)
    rows = len(p) if isinstance(p, torch.Tensor) and p.ndim else 0
    if not (
        rows
        and _is_float_tensor(p, (rows, n))
        and ((p >= 0) & (p <= 1)).all()
        and isinstance(labels, torch.Tensor)
        and labels.dtype == torch.uint8
        and labels.shape == (rows, (n + 7) // 8)
        and labels.any()
    ):
        raise InvalidParameterError(
            f"{path} holds validation {_kind(v)}, not a dict of 'probabilities' (n, {n}) in "
            f"[0, 1] and 'labels' (n, {(n + 7) // 8}) uint8, bit-packed, some set; {fix}"
        )
    for key in ("metrics", "settings"):
        if not isinstance(saved[key], dict):
            raise InvalidParameterError(
                f"{path} holds {key} {_kind(saved[key])}, not a dict; {fix}"
            )
    return net, saved


class EELSIdentifier:
    """Trained networks (one, or an ensemble) that name the elements in spectra.

    Example:
        >>> identifier = EELSIdentifier.load()                  # committed U-Net + ResNet
        >>> mine = EELSIdentifier.from_files(["my_unet.pt"])    # adaptive train eels --out
        >>> prob, present = identifier.identify(spectra, window)  # each (n, 80)
        >>> identifier.thresholds = 0.5                         # or an (80,) array

    An ensemble takes a weighted mean of its members' probabilities, one set of weights
    per element. When it is loaded from members that share one validation set
    (``train_eels_net`` always uses the same one for the same ``n_val``), the weights
    are fitted on their stored validation probabilities (``ensemble_weights``) and the
    thresholds calibrated where precision = recall on the weighted mean; otherwise the
    members weigh equally and the thresholds are the mean of the members' thresholds.

    Args:
        networks: trained networks mapping (n, N_INPUTS, N_CHANNELS) to (n, 80) logits.
        thresholds: a probability, or (80,) one per element, in (0, 1).
        metadata: what training stored about each member (arch, metrics, ...).
        weights: (80, len(networks)) member weights per element, >= 0, rows summing to 1;
            None weighs the members equally.
    """

    def __init__(
        self,
        networks: Sequence[nn.Module],
        thresholds: float | np.ndarray = 0.5,
        metadata: Sequence[dict] = (),
        weights: np.ndarray | None = None,
    ):
        if not networks:
            raise InvalidParameterError("networks is empty; pass at least one trained network")
        self.networks = [net.eval() for net in networks]
        self.thresholds = thresholds
        self.metadata = list(metadata)
        shape = (len(ELEMENTS), len(self.networks))
        if weights is None:
            weights = np.full(shape, 1 / len(self.networks))
        weights = np.asarray(weights, dtype=np.float32)
        if not (
            weights.shape == shape
            and (weights >= 0).all()
            and np.allclose(weights.sum(axis=1), 1, atol=1e-4)
        ):
            raise InvalidParameterError(
                f"weights must have shape {shape}, be >= 0 and have rows summing to 1, got "
                f"an array of shape {weights.shape}; pass None to weigh the members equally"
            )
        self._weights = torch.from_numpy(weights.T.copy())  # (m, 80)

    @property
    def weights(self) -> np.ndarray:
        """(80, m) each member's weight per element, rows summing to 1."""
        return self._weights.numpy().T.copy()

    @property
    def thresholds(self) -> np.ndarray:
        """(80,) probabilities above which an element counts as present."""
        return self._thresholds.copy()

    @thresholds.setter
    def thresholds(self, value: float | np.ndarray) -> None:
        self._thresholds = _check_thresholds(value)

    @classmethod
    def load(
        cls, names: Sequence[str] = COMMITTED_NETWORKS, directory: str | Path = WEIGHTS_DIR
    ) -> EELSIdentifier:
        """Networks saved by ``train_eels_net`` as ``directory/eels_<name>.pt``.

        Args:
            names: one name per member, e.g. ``("unet",)`` or ``("unet", "resnet")``.
            directory: folder of the weights files; the committed ones by default.

        Raises:
            InvalidParameterError: no names, or a weights file that does not exist or is
                not such weights (``from_files``).
        """
        if isinstance(names, str) or not names:
            raise InvalidParameterError(
                f"names must be a non-empty sequence of weight names, got {names!r}; "
                "e.g. ('unet',) or ('unet', 'resnet')"
            )
        paths = [Path(directory) / f"eels_{name}.pt" for name in names]
        for name, path in zip(names, paths, strict=True):
            if not path.is_file():
                raise InvalidParameterError(
                    f"no EELS weights {path}; train them with train_eels_net(arch={name!r}, "
                    f"out_path={str(path)!r}, ...) or choose from {sorted(ARCHS)}"
                )
        return cls.from_files(paths)

    @classmethod
    def from_files(cls, paths: Sequence[str | Path]) -> EELSIdentifier:
        """Networks from weights files that ``train_eels_net`` wrote (``adaptive train eels
        --out``), one file per member.

        Args:
            paths: the files, e.g. ``["my_unet.pt"]`` or ``["my_unet.pt", "my_resnet.pt"]``.

        Raises:
            InvalidParameterError: no paths, or a file that does not exist, is truncated
                or corrupt, holds another network (a peak network, an unknown arch, a
                config or tensors of another layout) or a stored field of another form
                (``_read_weights``); the message names the file.
        """
        if isinstance(paths, str | Path) or not paths:
            raise InvalidParameterError(
                f"paths must be a non-empty sequence of weights files, got {paths!r}; "
                "e.g. ['my_unet.pt'] or ['my_unet.pt', 'my_resnet.pt']"
            )
        networks, saved = zip(*(_read_weights(Path(path)) for path in paths), strict=True)
        validation = [s["validation"] for s in saved]
        weights = None
        if len(saved) == 1:
            thresholds = saved[0]["thresholds"].numpy()
        elif all(torch.equal(v["labels"], validation[0]["labels"]) for v in validation):
            p = torch.stack([v["probabilities"].float() for v in validation]).numpy()
            labels = np.unpackbits(validation[0]["labels"].numpy(), axis=1, count=len(ELEMENTS))
            weights = ensemble_weights(p, labels.astype(bool))
            mixed = np.einsum("mnj,jm->nj", p, weights)
            thresholds = calibrate_thresholds(mixed, labels.astype(bool))
        else:
            thresholds = torch.stack([s["thresholds"] for s in saved]).mean(0).numpy()
        metadata = [{k: s[k] for k in ("arch", "config", "metrics", "settings")} for s in saved]
        return cls(networks, thresholds, metadata, weights)

    def probabilities(
        self, spectra: np.ndarray, window: np.ndarray, batch_size: int = INFERENCE_BATCH
    ) -> np.ndarray:
        """The members' probabilities, weighted per element.

        Args:
            spectra: (n, N_CHANNELS) spectra on the 1 eV channels (as for ``identify``).
            window: (n, 2) int, first and last channel of each spectrum's window.
            batch_size: spectra per network call (>= 1).

        Returns:
            (n, 80) float32 probabilities, column j for ``ELEMENTS[j]``.
        """
        batch_size = check_int("batch_size", batch_size, 1)
        x, w = _checked(spectra, window)
        x, w = torch.from_numpy(x), torch.from_numpy(w)
        out = np.empty((len(x), len(ELEMENTS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                rows = slice(start, start + batch_size)
                inputs = _prepare(x[rows], w[rows])
                p = sum(
                    weight * torch.sigmoid(net(inputs))
                    for weight, net in zip(self._weights, self.networks, strict=True)
                )
                out[rows] = p.numpy()
        return out

    def identify(
        self, spectra: np.ndarray, window: np.ndarray, batch_size: int = INFERENCE_BATCH
    ) -> tuple[np.ndarray, np.ndarray]:
        """Element probabilities and decisions for spectra on the 1 eV channels.

        Runs on torch's threads (``torch.set_num_threads``; by default one per core).

        Args:
            spectra: (n, N_CHANNELS) spectra, e.g. ``EELSBatch.spectra``, or
                ``simulators.eels_files.to_channels`` output: ``x[None]`` for one spectrum.
            window: (n, 2) int, first and last channel of each window. ``to_channels``
                gives one (2,) window for all its spectra: pass ``w[None]`` for one
                spectrum, ``np.broadcast_to(w, (n, 2))`` for a batch of n.
            batch_size: spectra per network call (>= 1).

        Returns:
            probabilities: (n, 80) float32, column j for ``ELEMENTS[j]``.
            present: (n, 80) bool, probabilities above ``thresholds``.
        """
        p = self.probabilities(spectra, window, batch_size)
        return p, p > self._thresholds


def identify_spectrum(spectrum: EELSSpectrum, identifier: EELSIdentifier | None = None) -> dict:
    """Elements in one measured spectrum.

    Args:
        spectrum: as ``read_eels`` returns it.
        identifier: networks to use; the committed ensemble (``EELSIdentifier.load()``)
            when None.

    Returns:
        ``source``; ``window`` (first, last) channel = eV; ``probabilities`` element ->
        probability for all 80, highest first; ``thresholds`` element -> the calibrated
        probability above which it counts as present, same order (they differ per
        element, so a low probability can be present and a high one absent);
        ``present`` the elements above their thresholds, highest probability first;
        ``warnings`` sentences on where the spectrum leaves the trained range (see
        ``domain_warnings``), empty when it does not.

    Raises:
        InvalidParameterError: energies outside the channels or covering fewer than 2 of
            them (with a hint when they look like keV), or no positive count in the window.
    """
    identifier = EELSIdentifier.load() if identifier is None else identifier
    try:
        x, window = to_channels(spectrum.energy, spectrum.counts, source=spectrum.source)
    except ValueError as err:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(str(err)) from None
    p, present = identifier.identify(x[None], window[None])
    thresholds = identifier.thresholds
    order = np.argsort(-p[0])
    return {
        "source": spectrum.source,
        "window": (int(window[0]), int(window[1])),
        "probabilities": {ELEMENTS[j]: float(p[0, j]) for j in order},
        "thresholds": {ELEMENTS[j]: float(thresholds[j]) for j in order},
        "present": [ELEMENTS[j] for j in order if present[0, j]],
        "warnings": domain_warnings(spectrum.energy, window),
    }


def domain_warnings(energy: np.ndarray, window: np.ndarray) -> list[str]:
    """Sentences on where a measured spectrum leaves the range the networks were trained on.

    Training windows (``TRAINING_SIMULATOR``) start at ``energy_min`` or above and are at
    least ``window_width[0]`` eV wide; the channels end at ``N_CHANNELS - 1`` eV; the
    training spectra have no gaps and a resolution no broader than ``MAX_STEP_EV``.

    Args:
        energy: (m,) the spectrum's energies, eV, strictly increasing.
        window: (2,) int, the first and last channel ``to_channels`` kept.

    Returns:
        One sentence per finding: points dropped above the channels, a window starting
        in the zero-loss and low-loss region, a window narrower than any trained one, a
        median step above ``MAX_STEP_EV``, gaps in the axis inside the window (steps
        above ``MAX_STEP_EV`` and ``GAP_FACTOR`` times the median step).
    """
    trained = EELSSimulator(**TRAINING_SIMULATOR)
    energy = np.asarray(energy, dtype=float)
    warnings = []
    dropped = int(np.sum(energy >= N_CHANNELS - 0.5))
    if dropped:
        warnings.append(
            f"{dropped} points above {N_CHANNELS - 0.5:g} eV were dropped: the networks see "
            f"energy losses up to {N_CHANNELS - 1} eV only, so edges above are not identified."
        )
    if window[0] < trained.energy_min:
        warnings.append(
            f"The window starts at {window[0]} eV, below {trained.energy_min} eV where the "
            "training windows start (zero-loss and low-loss region): the networks were not "
            f"trained on it; crop the spectrum to start at {trained.energy_min} eV or above."
        )
    width = int(window[1] - window[0] + 1)
    if width < trained.window_width[0]:
        kev = (
            f" All energies are below {KEV_HINT_EV:g} eV: if the axis is in keV, multiply "
            "them by 1000."
            if np.max(energy) < KEV_HINT_EV
            else ""
        )
        warnings.append(
            f"The window is {width} eV wide, narrower than the {trained.window_width[0]} eV "
            f"of the narrowest training windows: accuracy is lower.{kev}"
        )
    step = np.diff(energy)
    median = float(np.median(step))
    if median > MAX_STEP_EV:
        low, high = trained.resolution
        warnings.append(
            f"The energy step is {median:g} eV, coarser than the energy resolution of the "
            f"training spectra (FWHM {low:g}-{high:g} eV): edges and white lines are smoothed "
            "beyond anything the networks were trained on, so elements may be missed or "
            f"misnamed; measure or send the spectrum with a step of {MAX_STEP_EV:g} eV or finer."
        )
    inside = (energy[1:] > window[0]) & (energy[:-1] < window[1])
    gap = inside & (step > max(GAP_FACTOR * median, MAX_STEP_EV))
    gaps = [f"{energy[i]:g} to {energy[i + 1]:g} eV" for i in np.flatnonzero(gap)]
    if gaps:
        more = len(gaps) - GAPS_SHOWN
        named = ", ".join(gaps[:GAPS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        warnings.append(
            f"The energy axis has no points from {named} (steps over {GAP_FACTOR} times the "
            f"median {median:g} eV): the counts on either side are joined across a gap, which "
            "can look like an edge, so elements with edges in or at a gap are unreliable; "
            "measure or send the missing range."
        )
    return warnings


# --------------------------------------------------------------------------- training


def simulate_eels(n: int, seed: int, dtype: type = np.float32, **settings) -> EELSBatch:
    """n spectra of ``EELSSimulator(**TRAINING_SIMULATOR)``, simulated in chunks.

    Args:
        n: spectra (>= 1).
        seed: seed (>= 0); chunk i is sampled with a seed derived from (seed, i, 0).
        dtype: storage type of the spectra; float16 halves the memory of a training set.
        **settings: simulator settings replacing those of ``TRAINING_SIMULATOR``
            (none: the validation and test distribution).

    Returns:
        The batch (spectra (n, N_CHANNELS) of ``dtype``, labels (n, 80), window (n, 2)).
    """
    n, seed = check_int("n", n, 1), check_int("seed", seed, 0)
    simulator = EELSSimulator(**{**TRAINING_SIMULATOR, **settings})
    spectra = np.empty((n, N_CHANNELS), dtype=dtype)
    labels = np.empty((n, len(ELEMENTS)), dtype=bool)
    window = np.empty((n, 2), dtype=np.int64)
    elements: list[tuple[str, ...]] = []
    for i, start in enumerate(range(0, n, _SIMULATE_CHUNK)):
        batch = simulator.sample(min(_SIMULATE_CHUNK, n - start), seed=derived_seed(seed, i, 0))
        rows = slice(start, start + len(batch.labels))
        spectra[rows], labels[rows], window[rows] = batch.spectra, batch.labels, batch.window
        elements += batch.elements
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


def train_eels_net(
    arch: str = "unet",
    n_train: int = 130_000,
    epochs: int = 4,
    seed: int = 0,
    batch_size: int = 128,
    checkpoint_dir: str | Path = "eels_checkpoints",
    out_path: str | Path | None = None,
    device: str = "cpu",
    progress: bool = True,
    n_val: int = 10_000,
    lr: float = 2e-3,
    augment: dict | None = None,
    init: str | Path | None = None,
) -> dict[str, float]:
    """Train an element-identification network on simulated spectra and save it.

    The ``n_train`` training spectra are simulated once (``simulate_eels`` with
    ``augment``, float16) and reused every epoch in a new order. Deterministic given
    ``seed`` on the CPU (torch on one thread): initialisation, data, batch order and
    dropout derive from it. After every epoch a checkpoint (network, optimiser,
    schedule, random state) goes to ``checkpoint_dir/epoch_NNN.pt``, and a run with the
    same settings resumes from the latest one there. Finally the thresholds are
    calibrated on ``n_val`` validation spectra (seed ``VALIDATION_SEED``, not augmented:
    the test distribution, the same set for every run) where precision = recall.

    Args:
        arch: ``"unet"`` or ``"resnet"``.
        n_train: training spectra (>= batch_size).
        epochs: passes over them (>= 1).
        seed: seed of everything random (>= 0), not ``VALIDATION_SEED`` or ``TEST_SEED``.
        batch_size: spectra per AdamW step (>= 2).
        checkpoint_dir: folder of the per-epoch checkpoints (created if missing).
        out_path: weights file; ``WEIGHTS_DIR/eels_<arch>.pt`` when None.
        device: torch device for training, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``.
        progress: show a tqdm progress bar.
        n_val: validation spectra (>= 100).
        lr: peak learning rate of the one-cycle cosine schedule.
        augment: simulator settings of the training spectra only, replacing those of
            ``TRAINING_SIMULATOR``, e.g. ``{"overlap_fraction": 0.5}`` for more
            overlapping edges; None for none.
        init: weights file of the same arch to start from (fine-tuning); None starts
            from a random initialisation.

    Returns:
        Validation metrics at the calibrated thresholds (``score_identification``), plus
        ``train_seconds``. The weights file holds ``state_dict``, ``arch``, ``config``,
        ``thresholds`` (80,), ``metrics``, ``settings``, ``history`` (mean loss per
        epoch) and ``validation`` (its probabilities, float16, and labels, bit-packed).

    Raises:
        InvalidParameterError: a bad setting, ``augment`` or ``init`` file (before any
            folder is made), or ``checkpoint_dir`` holds an unreadable checkpoint or a
            run with other settings.
    """
    from tqdm.auto import tqdm

    if arch not in ARCHS:
        raise InvalidParameterError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    reserved = {
        VALIDATION_SEED: "the validation spectra",
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
    checkpoint_dir = Path(checkpoint_dir)
    out_path = Path(WEIGHTS_DIR / f"eels_{arch}.pt" if out_path is None else out_path)
    steps = n_train // batch_size

    with one_torch_thread() if dev.type == "cpu" else nullcontext(), seeded_torch(seed):
        net = ARCHS[arch]()
        if init is not None:
            layout = f"the {arch} network has config {net.config}; {fix}"
            load_weights(net, saved["state_dict"], Path(init), layout)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
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
            data = simulate_eels(n_train, seed, np.float16, **settings["augment"])
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
                        net(_prepare(x, torch.from_numpy(data.window[rows]).to(dev))), y
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
    validation = simulate_eels(n_val, VALIDATION_SEED)
    p = EELSIdentifier([net]).probabilities(validation.spectra, validation.window)
    thresholds = calibrate_thresholds(p, validation.labels)
    metrics = score_identification(p > thresholds, validation.labels)
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
