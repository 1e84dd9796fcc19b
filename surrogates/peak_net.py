"""A 1-D squeeze-and-excitation CNN that finds the largest peak of an XPS spectrum.

The approach of arXiv:2107.04287: a compact convolutional network, trained on synthetic
pseudo-Voigt spectra, predicts how many peaks a spectrum holds and the centre, width,
height and Lorentzian fraction of its largest-area peak. Applied again to the residual
after that peak is subtracted it finds the next one (``surrogates.peak_extraction``), and
a least-squares fit refines all of them from those starts.

How a spectrum reaches the network (``prepare_spectra``):

1. Subtract the iterative Shirley background, or a straight line where the background
   falls towards high binding energy (``estimate_background``); skipped for residuals,
   whose background is already gone.
2. Resample linearly to ``grid_points`` uniform points over the measured window, so the
   network sees every spectrum on one grid whatever its step; positions and widths are
   learned as fractions of the window and converted back to eV afterwards.
3. Divide by the maximum and clip negatives to 0: heights are learned relative to the
   tallest point.

The network (``PeakNet``) stacks a stem convolution and ``len(channels) - 1`` residual stages
(a stride-2 convolution, a second convolution and a squeeze-and-excitation gate), with a
coordinate channel next to the spectrum so the features know where they are; the
flattened last feature map feeds a small MLP with two heads: count logits over 0..5 peaks
and four regressions (centre as a fraction of the window, log of FWHM over window width,
height over the normalised maximum, eta).

Training (``train_peak_net``) draws fresh spectra from ``simulators.xps.XPSSimulator``
every epoch, and turns half of them into residuals: the k largest-area peaks (slightly
perturbed, as a network's estimate would be) are subtracted, so the network learns to
work iteratively and to ignore subtraction ripples; residuals with every peak removed
are the no-peak examples. Losses are L1 on the regressions (it trained better than MSE in
the paper) plus cross-entropy on the count; Adam with a cosine learning-rate schedule.

The committed weights (``DEFAULT_WEIGHTS``, 0.5 MB, 113k parameters) come from
``train_peak_net(n_train=131072, epochs=32, seed=0)``: 25 min on one CPU thread. On 2000
fresh spectra they count the peaks right for 0.962 and put the largest peak's centre
0.047 eV (median) from the truth; the mean, 0.56 eV, is mostly spectra where a peak of
similar area is taken for the largest. The network alone runs at about 10,000 spectra/s
on one thread, preprocessing included.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adaptive.arrays import ascending_steps, check_int, finite_matrix
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps_files import MIN_POINTS
from surrogates.checkpoints import (
    check_finite_training,
    check_training_settings,
    fits_in_memory,
    load_file,
    load_weights,
    resume_training,
    save_checkpoint,
    save_file,
    training_device,
    training_step,
)
from surrogates.peak_refine import check_ev_scale
from surrogates.seeds import derived_seed
from surrogates.threads import one_torch_thread, seeded_torch
from surrogates.xps_background import shirley_background

#: Committed default weights, trained by ``train_peak_net`` with its default settings.
DEFAULT_WEIGHTS = Path(__file__).resolve().parent / "weights" / "peak_net.pt"
#: Where ``train_peak_net`` (and ``adaptive train peakfit``) writes by default: under runs/,
#: never over ``DEFAULT_WEIGHTS``.
TRAINED_WEIGHTS = "runs/peak_net.pt"
TRAINING_CHECKPOINTS = "runs/peak_net_checkpoints"
#: Largest peak count the network distinguishes (classes 0..MAX_COUNT).
MAX_COUNT = 5
#: Weights of the losses: count cross-entropy, then L1 of centre, log-FWHM, height, eta.
#: The centre is a fraction of a 15-60 eV window, so it gets the large weight.
LOSS_WEIGHTS = (1.0, 20.0, 1.0, 1.0, 0.5)
#: Training examples whose target peak is this many times higher than the input's maximum
#: are dropped as invisible (see ``make_examples``).
BURIED = 3.0
#: Points averaged at each end of a spectrum for the end levels of ``estimate_background``.
END_POINTS = 5
#: The squeeze-and-excitation gate's bottleneck has channels // _SE_REDUCTION units (>= 4).
_SE_REDUCTION = 4
#: Spectra simulated at a time for training and validation examples.
_SIMULATE_CHUNK = 4096


@dataclass(frozen=True)
class PreparedSpectra:
    """Spectra on the network's grid, with what it takes to go back to physical units.

    Attributes:
        x: (n, grid_points) float32 network input in [0, 1].
        low: (n,) lower window edge, eV binding energy.
        high: (n,) upper window edge, eV binding energy.
        scale: (n,) counts per unit of ``x``.
        background: (n, m) subtracted background, counts (zeros if none was subtracted).
    """

    x: np.ndarray
    low: np.ndarray
    high: np.ndarray
    scale: np.ndarray
    background: np.ndarray


def check_spectra(binding_energy, counts) -> tuple[np.ndarray, np.ndarray]:
    """Validated float copies of a batch of spectra.

    Args:
        binding_energy: (n, m) strictly ascending binding energies per row, eV.
        counts: (n, m) counts.

    Returns:
        (binding_energy, counts) as (n, m) float arrays.

    Raises:
        InvalidParameterError: not 2-D, shapes differ, no spectrum (n = 0), fewer than
            ``MIN_POINTS`` points, non-finite values, an energy axis that does not ascend, or one on
            another scale than eV (``check_ev_scale``: keV or meV numbers).
    """
    energy = finite_matrix("binding_energy", binding_energy, "spectrum")
    y = finite_matrix("counts", counts, "spectrum")
    if energy.shape != y.shape:
        raise InvalidParameterError(
            f"binding_energy has shape {energy.shape} but counts has {y.shape}; "
            "give one energy per count"
        )
    if energy.shape[0] == 0:
        raise InvalidParameterError(
            f"binding_energy and counts hold no spectrum (shape {energy.shape}); "
            "pass at least one spectrum, one per row"
        )
    if energy.shape[1] < MIN_POINTS:
        raise InvalidParameterError(
            f"spectra need at least {MIN_POINTS} points, got {energy.shape[1]}; measure a "
            "wider window"
        )
    ascending_steps(
        "binding_energy",
        energy,
        "sort each spectrum's points by binding energy (reverse a descending row i: "
        "energy[i, ::-1] and counts[i, ::-1]; order others by np.argsort of their energies)",
        "average the counts of repeated energies or drop all but one",
        unit=" eV",
    )
    check_ev_scale(energy)
    return energy, y


def to_binding_order(
    energy: np.ndarray, counts: np.ndarray, kinetic: np.ndarray, photon_energy: float
) -> tuple[np.ndarray, np.ndarray]:
    """Spectra on an ascending binding-energy axis, whether measured in binding or kinetic energy.

    Args:
        energy: (n, m) ascending measured energies, eV.
        counts: (n, m) counts.
        kinetic: (n,) bool, True where ``energy`` is kinetic energy.
        photon_energy: photon energy, eV (binding = photon_energy - kinetic).

    Returns:
        binding_energy: (n, m) ascending binding energies, eV.
        counts: (n, m) counts in the same order.
    """
    energy = np.asarray(energy, dtype=float)
    counts = np.asarray(counts, dtype=float)
    kinetic = np.asarray(kinetic, dtype=bool)[:, None]
    binding = np.where(kinetic, photon_energy - energy[:, ::-1], energy)
    return binding, np.where(kinetic, counts[:, ::-1], counts)


def resample(binding_energy: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of every row at the same relative positions of its window.

    Args:
        binding_energy: (n, m) strictly ascending energies.
        values: (n, m) values at those energies.
        grid: (g,) positions in [0, 1], 0 = first energy of a row, 1 = last.

    Returns:
        (n, g) interpolated values.
    """
    n, m = binding_energy.shape
    low = binding_energy[:, :1]
    t = (binding_energy - low) / (binding_energy[:, -1:] - low)  # (n, m) in [0, 1]
    # one searchsorted for all rows: shift row i by 2 i so the rows ascend end to end
    offset = 2.0 * np.arange(n)[:, None]
    flat = np.searchsorted((t + offset).ravel(), (grid + offset).ravel(), side="right")
    j = np.clip(flat.reshape(n, -1) - 1 - m * np.arange(n)[:, None], 0, m - 2)  # (n, g)
    t0 = np.take_along_axis(t, j, axis=1)
    t1 = np.take_along_axis(t, j + 1, axis=1)
    v0 = np.take_along_axis(values, j, axis=1)
    v1 = np.take_along_axis(values, j + 1, axis=1)
    return v0 + (v1 - v0) * (grid - t0) / (t1 - t0)


def estimate_background(counts: np.ndarray) -> np.ndarray:
    """Shirley background, or a straight line where the background falls.

    The iterative Shirley step rises towards high binding energy; on a background that
    falls there (e.g. a sloped linear one) it stays flat at the higher end and swallows
    the peaks. So the falling part of the straight line between the end levels is taken
    off first and added back: a rising spectrum gets the plain Shirley background, a
    falling one (nearly) that line. The end levels are means of the ``END_POINTS``
    points at each end.

    Args:
        counts: (n, m) spectra on ascending binding-energy axes.

    Returns:
        (n, m) background.
    """
    fall = counts[:, -END_POINTS:].mean(axis=1) - counts[:, :END_POINTS].mean(axis=1)
    ramp = np.minimum(fall, 0.0)[:, None] * np.linspace(0.0, 1.0, counts.shape[1])
    return shirley_background(counts - ramp, end_points=END_POINTS) + ramp


def prepare_spectra(
    binding_energy: np.ndarray,
    counts: np.ndarray,
    grid_points: int = 256,
    subtract_background: bool = True,
) -> PreparedSpectra:
    """Background-subtracted spectra, resampled to the network's grid and normalised.

    Args:
        binding_energy: (n, m) strictly ascending binding energies, eV.
        counts: (n, m) counts.
        grid_points: points of the uniform grid over each window (>= 16).
        subtract_background: subtract ``estimate_background``; False for residuals
            whose background is already gone.

    Returns:
        The prepared spectra; ``x`` is ``max(counts - background, 0)`` resampled and
        divided by ``scale``, its maximum (``scale`` is 1 where nothing is above 0).

    Raises:
        InvalidParameterError: bad spectra (see ``check_spectra``) or grid_points.
    """
    grid_points = check_int("grid_points", grid_points, 16)
    energy, y = check_spectra(binding_energy, counts)
    background = estimate_background(y) if subtract_background else np.zeros_like(y)
    grid = np.linspace(0.0, 1.0, grid_points)
    net = np.clip(resample(energy, y - background, grid), 0.0, None)
    peak = net.max(axis=1)
    scale = np.where(peak > 0, peak, 1.0)
    return PreparedSpectra(
        x=(net / scale[:, None]).astype(np.float32),
        low=energy[:, 0].copy(),
        high=energy[:, -1].copy(),
        scale=scale,
        background=background,
    )


# --------------------------------------------------------------------------- network


class _SqueezeExcitation(nn.Module):
    """Channel gate: global average -> bottleneck MLP -> sigmoid weights per channel."""

    def __init__(self, channels: int):
        super().__init__()
        hidden = max(channels // _SE_REDUCTION, 4)
        self.gate = nn.Sequential(
            nn.Linear(channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels),
            nn.Sigmoid(),
        )

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(b, c, length) -> (b, c, length)."""
        return h * self.gate(h.mean(dim=2)).unsqueeze(2)


class _Stage(nn.Module):
    """Halve the length, then a residual convolution with a squeeze-and-excitation gate."""

    def __init__(self, c_in: int, c_out: int, kernel: int):
        super().__init__()
        pad = kernel // 2
        self.down = nn.Sequential(
            nn.Conv1d(c_in, c_out, kernel, stride=2, padding=pad, bias=False),
            nn.BatchNorm1d(c_out),
            nn.SiLU(),
        )
        self.body = nn.Sequential(
            nn.Conv1d(c_out, c_out, kernel, padding=pad, bias=False),
            nn.BatchNorm1d(c_out),
            _SqueezeExcitation(c_out),
        )
        self.act = nn.SiLU()

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        """(b, c_in, length) -> (b, c_out, length / 2)."""
        h = self.down(h)
        return self.act(h + self.body(h))


class PeakNet(nn.Module):
    """SE-CNN: spectrum on the grid -> peak-count logits and the largest peak's parameters.

    Args:
        grid_points: input length (a multiple of ``2 ** len(channels)``).
        channels: output channels of the stem and of each halving stage.
        kernel: convolution kernel size (odd).
        hidden: width of the MLP after the flattened features.
    """

    def __init__(
        self,
        grid_points: int = 256,
        channels: tuple[int, ...] = (16, 16, 24, 32, 48, 48),
        kernel: int = 5,
        hidden: int = 128,
    ):
        super().__init__()
        stages = len(channels) - 1
        if grid_points % 2**stages:
            raise InvalidParameterError(
                f"grid_points = {grid_points} must be a multiple of 2 ** {stages} "
                f"for {stages} halving stages; use e.g. 256"
            )
        self.config = {
            "grid_points": grid_points,
            "channels": tuple(channels),
            "kernel": kernel,
            "hidden": hidden,
        }
        self.register_buffer("coordinate", torch.linspace(-1.0, 1.0, grid_points)[None, None])
        self.stem = nn.Sequential(
            nn.Conv1d(2, channels[0], kernel, padding=kernel // 2, bias=False),
            nn.BatchNorm1d(channels[0]),
            nn.SiLU(),
        )
        self.stages = nn.Sequential(
            *(_Stage(a, b, kernel) for a, b in zip(channels[:-1], channels[1:], strict=True))
        )
        self.mlp = nn.Sequential(
            nn.Flatten(),
            nn.Linear(channels[-1] * (grid_points // 2**stages), hidden),
            nn.SiLU(),
        )
        self.count_head = nn.Linear(hidden, MAX_COUNT + 1)
        self.peak_head = nn.Linear(hidden, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Count logits and largest-peak parameters.

        Args:
            x: (b, grid_points) prepared spectra.

        Returns:
            logits: (b, MAX_COUNT + 1) over 0..MAX_COUNT peaks.
            peak: (b, 4) centre as a fraction of the window (sigmoid), log(FWHM / window
                width), height over the normalised maximum, eta (sigmoid).
        """
        h = torch.cat([x[:, None], self.coordinate.expand(x.shape[0], 1, -1)], dim=1)
        h = self.mlp(self.stages(self.stem(h)))
        raw = self.peak_head(h)
        peak = torch.stack(
            [torch.sigmoid(raw[:, 0]), raw[:, 1], raw[:, 2], torch.sigmoid(raw[:, 3])], dim=1
        )
        return self.count_head(h), peak


# ------------------------------------------------------------------------- predictor


class PeakNetPredictor:
    """A trained ``PeakNet`` with its preprocessing; answers in physical units.

    Example:
        >>> predictor = PeakNetPredictor.load()           # committed default weights
        >>> out = predictor.predict(binding_energy, counts)  # each (n, m)
        >>> out["center_ev"], out["count"]                # each (n,)

    Args:
        net: a trained network (switched to eval mode).
        metadata: training metadata (settings, validation metrics).
        path: the weights file it was loaded from (``load``); None for a network built here.
    """

    def __init__(self, net: PeakNet, metadata: dict | None = None, path: Path | None = None):
        self.net = net.eval()
        self.metadata = dict(metadata or {})
        self.grid_points = net.config["grid_points"]
        self.path = path

    @property
    def committed(self) -> bool:
        """Whether the weights are the committed ``DEFAULT_WEIGHTS`` (not a retrained network)."""
        return self.path is not None and self.path.resolve() == DEFAULT_WEIGHTS

    @classmethod
    def load(cls, path: str | Path | None = None) -> PeakNetPredictor:
        """Load weights written by ``train_peak_net``.

        Args:
            path: weights file; None for the committed default ``DEFAULT_WEIGHTS``.

        Raises:
            InvalidParameterError: the file does not exist, is not such weights, or holds
                a network of another layout or config.
        """
        path = Path(DEFAULT_WEIGHTS if path is None else path)
        fix = (
            "train them with train_peak_net(...) (adaptive train peakfit), or pass the file "
            "it wrote"
        )
        if not path.is_file():
            raise InvalidParameterError(f"no peak-network weights at {path}; {fix}")
        saved = load_file(path, {"config", "state_dict", "metadata"}, fix)
        try:
            net = PeakNet(**saved["config"])
        except (TypeError, ValueError, RuntimeError):  # unknown keys, bad or negative sizes
            raise InvalidParameterError(
                f"{path} holds a network config {saved['config']!r} that this PeakNet does "
                f"not take (written by another version?); {fix}"
            ) from None
        load_weights(net, saved["state_dict"], path, fix)
        return cls(net, saved["metadata"], path)

    def predict(
        self, binding_energy: np.ndarray, counts: np.ndarray, subtract_background: bool = True
    ) -> dict[str, np.ndarray]:
        """Peak count and the largest-area peak of each spectrum.

        The network was trained on ``simulators.xps.XPSSimulator``'s default windows:
        15-60 eV wide (300 points at 0.05-0.2 eV steps) with 1-5 peaks. Spectra far from
        that, such as much wider windows or dense multiplet structure (Fe 2p), can get a
        ``count`` of 0 although they hold peaks; ``PeakFitter`` still finds those, as its
        residual step judges the network's largest peak by its height, not the count,
        and looks at a window wider than 64 eV in pieces too.

        Args:
            binding_energy: (n, m) strictly ascending binding energies, eV.
            counts: (n, m) counts.
            subtract_background: subtract ``estimate_background`` first; False for
                residuals whose background is already gone.

        Returns:
            ``count`` (n,) int, most likely number of peaks; ``count_probs`` (n, 6)
            probabilities of 0..5 peaks; ``center_ev``, ``fwhm_ev`` (n,) binding energy,
            eV; ``height`` (n,) counts above the background; ``eta`` (n,) in [0, 1].
        """
        prepared = prepare_spectra(
            binding_energy, counts, self.grid_points, subtract_background=subtract_background
        )
        return self.predict_prepared(prepared)

    def predict_prepared(self, prepared: PreparedSpectra) -> dict[str, np.ndarray]:
        """``predict`` for spectra already on the grid (see ``prepare_spectra``)."""
        with one_torch_thread(), torch.inference_mode():
            logits, peak = self.net(torch.from_numpy(prepared.x))
            probs = torch.softmax(logits, dim=1).double().numpy()
            peak = peak.double().numpy()
        width = prepared.high - prepared.low
        return {
            "count": probs.argmax(axis=1),
            "count_probs": probs,
            "center_ev": prepared.low + peak[:, 0] * width,
            "fwhm_ev": np.exp(peak[:, 1]) * width,
            "height": np.clip(peak[:, 2], 0.0, None) * prepared.scale,
            "eta": peak[:, 3],
        }


# -------------------------------------------------------------------------- training


def _take(a: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """(n, k) entries of the (n, P) array ``a`` at ``columns`` (n, k)."""
    return np.take_along_axis(np.asarray(a, dtype=float), columns, axis=1)


def make_examples(
    batch, seed: int, grid_points: int = 256, residual_fraction: float = 0.5
) -> dict[str, np.ndarray]:
    """Network inputs and targets from a simulated batch, some of them residuals.

    In a ``residual_fraction`` of the spectra (chosen at random) the ``k`` largest-area
    peaks, k uniform in 1..n_peaks, are subtracted after the background, each with its
    centre, FWHM and height perturbed by 5 % (of the FWHM, or of itself), as a network's
    estimate would be; the target is then the largest remaining peak (none if k = n_peaks).

    Examples whose target peak is more than ``BURIED`` times as high as the input's
    maximum are dropped: the background estimate or the subtraction buried that peak, and
    nothing in the input shows it (about 1 % of residuals, none of the originals).

    Args:
        batch: a ``simulators.xps.XPSBatch`` of n spectra.
        seed: seed of the residual choice and the perturbations.
        grid_points: network grid.
        residual_fraction: share of spectra turned into residuals, in [0, 1].

    Returns:
        n' <= n examples: ``x`` (n', grid_points) float32 inputs; ``count`` (n',) int64
        peaks left; ``target`` (n', 4) float32 centre fraction, log(FWHM / width), height over
        scale, eta of the largest remaining peak (0 where none is left); plus
        ``center_ev``, ``fwhm_ev`` (n',) of that peak (NaN where none) and the window
        edges ``low``, ``high`` (n',), eV.
    """
    rng = np.random.default_rng(seed)
    energy, counts = to_binding_order(
        batch.energy, batch.counts, batch.kinetic, batch.photon_energy
    )
    n = counts.shape[0]
    n_peaks = np.asarray(batch.n_peaks, dtype=int)
    if n_peaks.max() > MAX_COUNT:
        raise InvalidParameterError(
            f"the simulator made {n_peaks.max()} peaks but the network counts up to "
            f"{MAX_COUNT}; simulate with peaks=(1, {MAX_COUNT})"
        )
    area = np.where(np.isfinite(batch.area), batch.area, -np.inf)
    by_area = np.argsort(-area, axis=1, kind="stable")  # (n, P) largest first, NaN last
    removed = np.where(rng.random(n) < residual_fraction, rng.integers(1, n_peaks + 1), 0)
    net = counts - estimate_background(counts)
    if removed.max() > 0:
        k = int(removed.max())
        columns = by_area[:, :k]
        fwhm = _take(batch.fwhm, columns)
        center = _take(batch.center, columns) + 0.05 * fwhm * rng.standard_normal((n, k))
        fwhm = np.abs(fwhm * (1.0 + 0.05 * rng.standard_normal((n, k))))
        height = _take(batch.height, columns) * (1.0 + 0.05 * rng.standard_normal((n, k)))
        used = np.arange(k)[None, :] < removed[:, None]  # (n, k)
        profiles = height[:, :, None] * xps_peak(
            energy[:, None, :], center[:, :, None], fwhm[:, :, None],
            _take(batch.eta, columns)[:, :, None], _take(batch.asymmetry, columns)[:, :, None],
        )  # fmt: skip
        net = net - np.where(used[:, :, None], profiles, 0.0).sum(axis=1)
    prepared = prepare_spectra(energy, net, grid_points, subtract_background=False)

    count = n_peaks - removed
    left = count > 0
    column = np.take_along_axis(by_area, np.minimum(removed, by_area.shape[1] - 1)[:, None], 1)
    center_ev = np.where(left, _take(batch.center, column)[:, 0], np.nan)
    fwhm_ev = np.where(left, _take(batch.fwhm, column)[:, 0], np.nan)
    width = prepared.high - prepared.low
    target = np.stack(
        [
            (center_ev - prepared.low) / width,
            np.log(fwhm_ev / width),
            _take(batch.height, column)[:, 0] / prepared.scale,
            _take(batch.eta, column)[:, 0],
        ],
        axis=1,
    )
    target = np.where(left[:, None], target, 0.0)
    keep = target[:, 2] <= BURIED
    examples = {
        "x": prepared.x,
        "count": count.astype(np.int64),
        "target": target.astype(np.float32),
        "center_ev": center_ev,
        "fwhm_ev": fwhm_ev,
        "low": prepared.low,
        "high": prepared.high,
    }
    return {key: value[keep] for key, value in examples.items()}


def _simulate(n: int, seed: int, grid_points: int, residual_fraction: float, name: str = "n"):
    """n examples (``make_examples``) of fresh simulated spectra, made in chunks into arrays
    of n rows; refused by ``fits_in_memory`` (naming ``name=n``) where those do not fit."""
    from simulators.xps import XPSSimulator

    simulator = XPSSimulator(peaks=(1, MAX_COUNT))
    chunk = min(_SIMULATE_CHUNK, n + n // 10 + 8)  # a few spare for the dropped examples
    examples, made, i = {}, 0, 0
    while made < n:
        batch = simulator.sample(chunk, seed=derived_seed(seed, i, 0))
        part = make_examples(batch, derived_seed(seed, i, 1), grid_points, residual_fraction)
        if not examples:
            each = sum(value[:1].nbytes for value in part.values())
            with fits_in_memory(f"{name}={n} spectra", n, each):
                examples = {k: np.empty((n, *v.shape[1:]), v.dtype) for k, v in part.items()}
        take = min(len(part["count"]), n - made)
        for key, rows in examples.items():
            rows[made : made + take] = part[key][:take]
        made, i = made + take, i + 1
    return examples


def _losses(net: PeakNet, x, count, target) -> tuple[torch.Tensor, torch.Tensor]:
    """Weighted total loss and the five parts (count CE, centre, log-FWHM, height, eta L1)."""
    logits, peak = net(x)
    has_peak = (count > 0).float()[:, None]
    l1 = ((peak - target).abs() * has_peak).sum(dim=0) / has_peak.sum().clamp(min=1.0)
    parts = torch.cat([nn.functional.cross_entropy(logits, count)[None], l1])
    return (parts * parts.new_tensor(LOSS_WEIGHTS)).sum(), parts.detach()


def evaluate(predictor: PeakNetPredictor, examples: dict[str, np.ndarray]) -> dict[str, float]:
    """Count accuracy and largest-peak errors on examples from ``make_examples``.

    Args:
        predictor: the network to score.
        examples: ``make_examples`` output for n spectra.

    Returns:
        ``count_accuracy``; ``largest_peak_center_mae_ev``, ``largest_peak_center_median_ev``
        (absolute errors), ``largest_peak_fwhm_mae_ev`` and ``largest_peak_eta_mae`` of the
        largest peak over examples with a peak, the network's largest peak taken for the
        true one even where it is another (unlike ``adaptive bench peakfit``'s
        ``center_mae_ev`` and ``fwhm_mae_ev``, over matched peaks only).
    """
    x = examples["x"]
    ones = np.ones(x.shape[0])
    prepared = PreparedSpectra(x, examples["low"], examples["high"], ones, ones[:, None])
    out = predictor.predict_prepared(prepared)
    has = examples["count"] > 0
    center_error = np.abs(out["center_ev"] - examples["center_ev"])[has]
    return {
        "count_accuracy": float((out["count"] == examples["count"]).mean()),
        "largest_peak_center_mae_ev": float(center_error.mean()),
        "largest_peak_center_median_ev": float(np.median(center_error)),
        "largest_peak_fwhm_mae_ev": float(np.abs(out["fwhm_ev"] - examples["fwhm_ev"])[has].mean()),
        "largest_peak_eta_mae": float(np.abs(out["eta"] - examples["target"][:, 3])[has].mean()),
    }


def train_peak_net(
    n_train: int = 131_072,
    epochs: int = 32,
    seed: int = 0,
    batch_size: int = 256,
    checkpoint_dir: str | Path = TRAINING_CHECKPOINTS,
    out_path: str | Path = TRAINED_WEIGHTS,
    device: str = "cpu",
    progress: bool = True,
    n_val: int = 2000,
    lr: float = 3e-3,
) -> dict[str, float]:
    """Train a ``PeakNet`` on fresh simulated spectra every epoch and save its weights.
    The defaults are the committed network's settings (its ``metadata["settings"]``) and
    ``adaptive train peakfit``'s.

    Deterministic given ``seed`` on the CPU (one torch thread): the initialisation, every
    epoch's spectra and batch order derive from it. A checkpoint (network, optimiser and
    schedule) is written to ``checkpoint_dir/epoch_NNN.pt`` after every epoch, and a run
    with the same settings resumes from the latest one there.

    Args:
        n_train: spectra per epoch, a multiple of batch_size (every step takes a whole
            batch).
        epochs: passes, each over ``n_train`` freshly simulated spectra (>= 1).
        seed: seed of everything random (>= 0).
        batch_size: spectra per Adam step (>= 2).
        checkpoint_dir: folder of the per-epoch checkpoints (made with the first one).
        out_path: weights file written at the end (state dict, config, metadata); to
            replace the committed network, ``DEFAULT_WEIGHTS``.
        device: torch device, "cpu", "cuda" or "cuda:N".
        progress: show a tqdm progress bar.
        n_val: validation spectra (>= 1), simulated from a seed apart from training's.
        lr: peak learning rate of Adam; it decays to 0 on a cosine over all steps.

    Returns:
        Validation metrics of the final network (see ``evaluate``) on original spectra,
        and ``residual_count_accuracy``, ``residual_largest_peak_center_mae_ev`` on
        residuals, plus ``train_seconds``.

    Raises:
        InvalidParameterError: a bad setting (checked before anything is simulated or
            written), ``checkpoint_dir`` holds an unreadable checkpoint or a run with
            other settings, the ``n_train`` spectra of an epoch do not fit in memory
            (``fits_in_memory``), or training diverged (``check_finite_training``; no weights
            file is written).
    """
    from tqdm.auto import tqdm

    check_training_settings(n_train, epochs, seed, batch_size, n_val, 1, lr)
    if n_train % batch_size:
        below = n_train - n_train % batch_size
        raise InvalidParameterError(
            f"n_train={n_train} must be a multiple of batch_size={batch_size}, as every step "
            f"takes a whole batch; pass n_train={below} or {below + batch_size}"
        )
    settings = {"n_train": n_train, "epochs": epochs, "seed": seed, "batch_size": batch_size}
    settings["lr"] = float(lr)
    dev = training_device(device)
    checkpoint_dir = Path(checkpoint_dir)
    steps = n_train // batch_size

    with one_torch_thread() if dev.type == "cpu" else nullcontext():
        with seeded_torch(seed):
            net = PeakNet().to(dev)
        optimizer = torch.optim.Adam(net.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs * steps)
        start, history, seconds = 0, [], 0.0
        state = resume_training(checkpoint_dir, settings, dev, net, optimizer, schedule)
        if state is not None:
            start, history, seconds = state["epoch"], state["history"], state["seconds"]

        with tqdm(total=epochs * steps, initial=start * steps, disable=not progress) as bar:
            for epoch in range(start, epochs):
                began = time.perf_counter()
                data = _simulate(
                    n_train, derived_seed(seed, epoch, 1), net.config["grid_points"], 0.5, "n_train"
                )
                order = np.random.default_rng(derived_seed(seed, epoch, 2)).permutation(n_train)
                x = torch.from_numpy(data["x"][order]).to(dev)
                count = torch.from_numpy(data["count"][order]).to(dev)
                target = torch.from_numpy(data["target"][order]).to(dev)
                net.train()
                total = torch.zeros(5, device=dev)
                for i in range(steps):
                    rows = slice(i * batch_size, (i + 1) * batch_size)
                    loss, parts = _losses(net, x[rows], count[rows], target[rows])
                    training_step(loss, optimizer, schedule, bar, epoch)
                    total += parts
                seconds += time.perf_counter() - began
                history.append([float(v) for v in (total / steps).cpu()])
                save_checkpoint(
                    checkpoint_dir,
                    epoch + 1,
                    settings,
                    net,
                    optimizer,
                    schedule,
                    history=history,
                    seconds=seconds,
                )

    net = net.cpu().eval()
    predictor = PeakNetPredictor(net)
    grid = net.config["grid_points"]
    originals = _simulate(n_val, derived_seed(seed, 10**6, 1), grid, 0.0, "n_val")
    residuals = _simulate(n_val, derived_seed(seed, 10**6, 2), grid, 1.0, "n_val")
    metrics = evaluate(predictor, originals)
    # weights finite but huge (one step at lr=1e9) give NaN outputs, hence NaN errors here
    check_finite_training(lr, checkpoint_dir, net, history, list(metrics.values()))
    residual = evaluate(predictor, residuals)
    metrics["residual_count_accuracy"] = residual["count_accuracy"]
    metrics["residual_largest_peak_center_mae_ev"] = residual["largest_peak_center_mae_ev"]
    metrics["train_seconds"] = seconds
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {
            "config": net.config,
            "state_dict": net.state_dict(),
            "metadata": {
                "settings": settings,
                "metrics": metrics,
                "history": history,
                "loss_parts": ["count_ce", "center", "log_fwhm", "height", "eta"],
            },
        },
        out_path,
    )
    return metrics
