"""Networks that name the elements in a core-loss EELS spectrum (multi-label, 80 elements).

After Annys, Jannis and Verbeeck, Sci. Rep. 13, 13724 (2023): a spectrum on the 3072
channels of 1 eV of ``simulators.eels`` (zero outside the measured window) goes to a 1-D
convolutional network with 80 sigmoid outputs, one per element Be..Bi, trained on
simulated spectra with binary cross-entropy plus a soft-F1 loss (``eels_loss``). This
module holds the preprocessing, the two networks, the loss, the simulator settings they
are trained on (``TRAINING_SIMULATOR``) and where their committed weights lie;
``surrogates.eels_identifier`` runs trained networks (thresholds, ensembles, measured
spectra) and ``surrogates.eels_training`` trains them.

How a spectrum reaches the network (``eels_inputs``, after ``checked_eels_inputs`` for
spectra from outside), the same in training and use:

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

The committed weights ``weights/eels_unet.pt`` and ``weights/eels_resnet.pt`` (3.9 and
3.8 MB) come from ``adaptive train eels --arch unet`` / ``--arch resnet`` (130,000
spectra, 4 epochs, batch 128, a quarter with an overlapping-edge partner, seed 0), each
on one CPU thread (7 and 5 minutes). On 5,000 fresh spectra
(``eels_training.simulate_eels(5000, seed=12345)``) at the calibrated thresholds: U-Net
weighted F1 0.908, exact match 0.778; ResNet 0.890, 0.734; the weighted ensemble 0.906,
0.773.
Throughput on torch's two threads, batch 256, preprocessing included: U-Net 6,200,
ResNet 7,500, ensemble 3,500 spectra/s (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adaptive.arrays import finite_matrix
from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, N_CHANNELS

#: Folder of the committed weights ``eels_<arch>.pt``.
WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
#: Simulator settings of the training, validation and test spectra: ~30 eV windows like
#: the narrow measured ones, and more background-subtracted spectra than the default.
TRAINING_SIMULATOR = {"window_width": (30, 1500), "background_removed": 0.25}
#: Where the log channel turns linear, relative to the window maximum.
LOG_FLOOR = 1e-4
#: Input channels made by ``eels_inputs``.
N_INPUTS = 3
#: The committed networks (``WEIGHTS_DIR/eels_<name>.pt``), the default ensemble.
COMMITTED_NETWORKS = ("unet", "resnet")


# ---------------------------------------------------------------------- preprocessing


def checked_eels_inputs(spectra, window) -> tuple[np.ndarray, np.ndarray]:
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


def eels_inputs(spectra: torch.Tensor, window: torch.Tensor) -> torch.Tensor:
    """Network input of spectra on the 1 eV channels; see the module docstring.

    Args:
        spectra: (n, N_CHANNELS) float32, as ``checked_eels_inputs`` returns them (it is
            masked outside the window).
        window: (n, 2) int64, first and last channel of each window.

    Returns:
        (n, N_INPUTS, N_CHANNELS) float32: centred asinh-log spectrum, max-normalised
        spectrum, window mask; all zero outside the window.
    """
    channels = torch.arange(N_CHANNELS, device=spectra.device)
    mask = ((channels >= window[:, :1]) & (channels <= window[:, 1:])).float()
    x = spectra * mask
    x = x / x.amax(dim=1, keepdim=True)
    log = torch.asinh(x / LOG_FLOOR)
    log = (log - (log * mask).sum(1, keepdim=True) / mask.sum(1, keepdim=True)) * mask
    return torch.stack([log, x, mask], dim=1)


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
