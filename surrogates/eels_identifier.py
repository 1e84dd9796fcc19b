"""Trained EELS networks at work: element probabilities, thresholds and ensembles.

``EELSIdentifier`` runs one network of ``surrogates.eels_net`` or an ensemble of them on
spectra on the 1 eV channels. An ensemble takes a mean of the members' probabilities
weighted per element by how well each names it (``ensemble_weights``); an element counts
as present above a threshold calibrated where precision equals recall on validation
spectra (``calibrate_thresholds``); ``score_identification`` compares predicted element
sets with labelled ones. Weights files that ``surrogates.eels_training.train_eels_net``
wrote are checked field by field before they are loaded (``_read_weights``).
``identify_spectrum`` identifies one measured spectrum, and ``domain_warnings`` says
where it leaves the range the networks were trained on (``counts_warnings``: spikes, few
counts, a window starting on an edge or past its peak, counts with no edge:
``varies_beyond_noise``, the test that also finds the vacuum pixels of a spectrum image,
counts rising toward high loss).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from numpy.lib.stride_tricks import sliding_window_view
from torch import nn

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, N_CHANNELS, EELSSimulator
from simulators.eels_files import KEV_FIX, KEV_HINT_EV, EELSSpectrum, to_channels
from surrogates.checkpoints import load_file, load_weights
from surrogates.eels_net import (
    ARCHS,
    COMMITTED_NETWORKS,
    TRAINING_SIMULATOR,
    WEIGHTS_DIR,
    checked_eels_inputs,
    eels_inputs,
)

#: Coarsest energy step (eV) of a measured axis inside the trained range: the broadest
#: energy resolution (FWHM) of the training spectra. A coarser axis smooths edges and
#: white lines more than any training spectrum.
MAX_STEP_EV = EELSSimulator(**TRAINING_SIMULATOR).resolution[1]
#: A step above ``MAX_STEP_EV`` and this many times the median step is a gap in the axis.
GAP_FACTOR = 5
#: Gaps (and spikes) a warning names; it counts the rest.
GAPS_SHOWN = 3
#: A spike: a point over ``SPIKE_SIGMAS`` noise sigmas above the median of the
#: ``SPIKE_NEIGHBOURS`` points each side, the two points beside it rising less than
#: ``SPIKE_SIDE`` of that (a peak of one point; sought at steps up to the finest trained
#: resolution only, where no real feature is that narrow). The noise at a point is the
#: spread (1.4826 x median absolute deviation) of those excesses over ``NOISE_POINTS``
#: points each side, and at least the Poisson noise of the median for whole-number counts.
#: The measured spectra of the shared data reach 9.3 sigmas on a white line (whose sides
#: rise 77 % as high), 3.6 on a peak of one point; a point of the eXSpy Mn + O spectrum
#: tripled (Fe named) reaches 200.
SPIKE_SIGMAS = 10
SPIKE_NEIGHBOURS = 3
SPIKE_SIDE = 0.25
NOISE_POINTS = 15
#: eV at the end of the window whose counts are judged (``counts_warnings``).
END_EV = 5.0
#: An edge at the window start: over the first ``ONSET_EV`` eV the counts rise by over
#: ``ONSET_SHARE`` of the window maximum and ``ONSET_SIGMAS`` standard errors of the
#: least-squares slope (noise from second differences of the first ``4 * ONSET_EV`` eV).
#: The eXSpy Mn + O spectrum cut to start at 531 eV (O missed) rises 6.1 % of its
#: maximum, 25 standard errors; every measured spectrum of the shared data falls there.
ONSET_EV = 5.0
ONSET_SHARE = 0.05
ONSET_SIGMAS = 10
#: A window starting past an edge's peak: from their maximum over the first ``ONSET_EV``
#: eV to their minimum over the next ``FALL_EV`` eV (means over 1 eV) the counts fall by
#: over ``FALL_SHARE`` of the window maximum and ``ONSET_SIGMAS`` noise sigmas more than a
#: background ``E^-STEEPEST_BACKGROUND`` would (the training backgrounds' local exponents
#: reach 5.5, those at the start of the shared data's measured spectra 1.9-3.7). The eXSpy
#: Mn + O spectrum cut to start at 540-550 eV (O missed, p 0.001) falls 3.8-9.2 % (from
#: 532-538 eV it rises, which is warned of instead); the measured spectra of the shared
#: data fall less than a background (the background-subtracted LSMO one is not judged).
#: Of 2,000 simulated spectra 1.0 % fell so (0.35 % with the default settings), each
#: starting at most 60 eV above an edge of its elements.
FALL_EV = 10.0
FALL_SHARE = 0.03
STEEPEST_BACKGROUND = 6.0
#: Counts vary beyond their noise (``varies_beyond_noise``) when their least-squares slope
#: is more than ``SIGNAL_SIGMAS`` standard errors from zero, or the chi-square of their
#: block means (``SIGNAL_BLOCKS`` of them; the vacuum test of spectrum images) about their
#: mean exceeds ``SIGNAL_CHI2``.
SIGNAL_SIGMAS = 5.0
SIGNAL_CHI2 = 50.0
SIGNAL_BLOCKS = 8
#: A spectrum shows an edge when its departure from a power-law background varies so over
#: this many blocks (``_shows_edge``). Poisson noise on 925-970 eV, flat or a power law,
#: showed none in 400 of 400; the measured spectra of the shared data reach a chi-square
#: of 4e4 or more; of 4,000 simulated spectra (each with an edge; ``TRAINING_SIMULATOR``
#: and default settings, half each) 9 showed none (of the first 2,000: 6, 15 over 8
#: blocks, none over 32, where 2 % of the noise showed one), mostly a weak broad edge of a
#: heavy element over a steep background; the networks named a labelled element in 5 of 9.
EDGE_BLOCKS = 16
#: Counts rise toward high loss, the reverse of a core-loss background, when their power-law
#: background rises and their least-squares slope is over ``SIGNAL_SIGMAS`` standard errors
#: above zero in ``RISING_BLOCKS`` or more of ``EDGE_BLOCKS`` blocks (edges rise in a few).
#: Of 10,000 simulated spectra of positive counts (``TRAINING_SIMULATOR`` and default
#: settings, half each) none rose in more than 8 blocks, though the power law fitted to 5 %
#: rose (strong edges); of 1,200 of them reversed, 83-90 % rose in 10 or more (the rest
#: had too few counts), as did the shared data's La2NiO4 and Mn + O spectra reversed (14).
RISING_BLOCKS = 10
#: eV of pre-edge the warnings ask for before each edge.
PRE_EDGE_EV = 10
#: Positives an element needs on the validation set for a threshold of its own.
MIN_SUPPORT = 20
#: Grid steps of the per-element member weights of an ensemble (``ensemble_weights``).
WEIGHT_STEPS = 10
#: What loading uses of a weights file that ``train_eels_net`` wrote.
_SAVED_KEYS = {"arch", "config", "state_dict", "thresholds", "metrics", "settings", "validation"}
#: Spectra per network call at inference: small enough to keep the activations in cache
#: (2 cores, U-Net: 9,150 spectra/s in batches of 256, 3,110 in batches of 1,024).
INFERENCE_BATCH = 256


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
        ``f1_weighted`` (per-element F1 weighted by the element's positives),
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
        "f1_weighted": float((f1 * support).sum() / max(support.sum(), 1)),
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
        x, w = checked_eels_inputs(spectra, window)
        x, w = torch.from_numpy(x), torch.from_numpy(w)
        out = np.empty((len(x), len(ELEMENTS)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                rows = slice(start, start + batch_size)
                inputs = eels_inputs(x[rows], w[rows])
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


def identify_spectrum(
    spectrum: EELSSpectrum, identifier: EELSIdentifier | None = None, kev_fix: str = KEV_FIX
) -> dict:
    """Elements in one measured spectrum.

    Args:
        spectrum: as ``read_eels`` returns it.
        identifier: networks to use; the committed ensemble (``EELSIdentifier.load()``)
            when None.
        kev_fix: how to give an axis in keV, for the error on energies that look like keV
            (``to_channels``; a file's unit by default).

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
        x, window = to_channels(
            spectrum.energy, spectrum.counts, source=spectrum.source, kev_fix=kev_fix
        )
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
        "warnings": domain_warnings(spectrum.energy, window, spectrum.counts),
    }


def domain_warnings(
    energy: np.ndarray, window: np.ndarray, counts: np.ndarray | None = None
) -> list[str]:
    """Sentences on where a measured spectrum leaves the range the networks were trained on.

    Training windows (``TRAINING_SIMULATOR``) start at ``energy_min`` or above and are at
    least ``window_width[0]`` eV wide; the channels end at ``N_CHANNELS - 1`` eV; the
    training spectra have no gaps, a resolution no broader than ``MAX_STEP_EV``, no spikes
    and ``counts[0]`` counts or more in the last channel of the window
    (``counts_warnings``).

    Args:
        energy: (m,) the spectrum's energies, eV, strictly increasing.
        window: (2,) int, the first and last channel ``to_channels`` kept.
        counts: (m,) the spectrum's counts; the findings on the axis alone when None.

    Returns:
        One sentence per finding: points dropped above the channels, a window starting
        in the zero-loss and low-loss region (with the points dropped below the channels),
        a window narrower than any trained one, a median step above ``MAX_STEP_EV``, gaps
        in the axis inside the window (steps above ``MAX_STEP_EV`` and ``GAP_FACTOR``
        times the median step), then those of ``counts_warnings``.
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
        below = int(np.sum(energy < -0.5))  # before channel 0: to_channels drops them
        left_out = (
            f" (its {below} points below -0.5 eV, before the 0 eV channel, were left out)"
            if below
            else ""
        )
        warnings.append(
            f"The spectrum starts at {energy[0]:g} eV{left_out}, below {trained.energy_min} eV "
            "where the training windows start (zero-loss and low-loss region): the networks "
            f"were not trained on it; crop the spectrum to start at {trained.energy_min} eV "
            "or above."
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
            f"of the narrowest training windows: accuracy is lower; widen the window to "
            f"{trained.window_width[0]} eV or more, with {PRE_EDGE_EV} eV or more before each "
            f"edge.{kev}"
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
    if counts is not None:
        warnings += counts_warnings(energy, np.asarray(counts, dtype=float), window)
    return warnings


def counts_warnings(energy: np.ndarray, counts: np.ndarray, window: np.ndarray) -> list[str]:
    """Sentences on faults of the counts in the window (its points and one beyond each end)
    that can name wrong elements.

    Args:
        energy: (m,) energies, eV, strictly increasing.
        counts: (m,) counts.
        window: (2,) int, the first and last channel ``to_channels`` kept.

    Returns:
        One sentence per finding: spikes (``SPIKE_SIGMAS``; at steps up to the finest
        trained resolution), whole-number counts (raw counts) under the training
        spectra's fewest at the end of the window, a rise over the first ``ONSET_EV`` eV
        (``ONSET_SHARE``, ``ONSET_SIGMAS``) or else a steep fall from a maximum there
        (``_onset_fall``), no edge (``_shows_edge``), counts rising toward high loss
        (``_background_rise``). The counts at
        the end are those per 1 eV of the last ``END_EV`` eV: their median, or their
        variance where larger (Poisson counts from which a background or an offset was
        subtracted keep the noise of the counts they were; a detector gain or read noise
        adds to it).
    """
    trained = EELSSimulator(**TRAINING_SIMULATOR)
    first = max(np.searchsorted(energy, window[0] - 0.5, side="right") - 1, 0)
    covering = slice(first, np.searchsorted(energy, window[1] + 0.5) + 1)  # the window's points
    energy, counts = energy[covering], counts[covering]
    step = float(np.median(np.diff(energy)))
    raw = bool(np.all(counts == np.round(counts)))
    warnings = []
    if step <= trained.resolution[0]:
        spikes = [f"{e:g} eV" for e in _spikes(energy, counts, raw)]
        if spikes:
            more = len(spikes) - GAPS_SHOWN
            named = ", ".join(spikes[:GAPS_SHOWN]) + (f" and {more} more" if more > 0 else "")
            warnings.append(
                f"The counts spike at {named} (one point far above its neighbours: a cosmic "
                "ray or a detector fault), which can look like an edge; remove the spike "
                "(set it to the mean of its neighbours) before identifying."
            )
    end = counts[energy > energy[-1] - END_EV]
    end = max(float(np.median(end)), _noise(end) ** 2) / min(step, 1.0)
    fewest, most = trained.counts
    if raw and end < fewest:
        warnings.append(
            f"Few counts: {max(end, 0):.0f} per 1 eV channel at the end of the window, where "
            f"the training spectra hold {fewest:,.0f} to {most:,.0f}; their noise can hide "
            "edges or look like them: sum more frames, or the spectra of neighbouring pixels."
        )
    rise = _onset_rise(energy, counts)
    if rise > ONSET_SHARE * counts.max() > 0:
        warnings.append(
            f"The counts rise by {rise / counts.max():.0%} of their maximum over the first "
            f"{ONSET_EV:g} eV of the window: it starts on an edge, which may then be missed; "
            f"include {PRE_EDGE_EV} eV or more before each edge."
        )
    elif (fall := _onset_fall(energy, counts)) > FALL_SHARE * counts.max():
        warnings.append(
            f"The counts fall from a maximum in the first {ONSET_EV:g} eV of the window by "
            f"{fall / counts.max():.0%} of their maximum more than a core-loss background "
            "would: the window starts past an edge's onset, in its fine structure, so that "
            f"edge may be missed; include {PRE_EDGE_EV} eV or more before each edge."
        )
    if not _shows_edge(energy, counts):
        warnings.append(
            "The counts show no edge: they follow a smooth power-law background within their "
            "noise, so any element named present is the networks' guess from noise and is "
            "not to be trusted; measure a window holding an edge, with "
            f"{PRE_EDGE_EV} eV or more before it, or sum more counts."
        )
    growth = _background_rise(energy, counts)
    if growth > 1:
        warnings.append(
            f"The counts rise toward high energy loss (their power-law background grows "
            f"{growth:.1f}-fold over the window), the reverse of a core-loss background: are "
            "the counts reversed, or is the axis not energy loss? Pass the counts in the "
            "order of their energy losses, of a core-loss spectrum."
        )
    return warnings


def channel_noise(counts: np.ndarray) -> np.ndarray:
    """(n, m) counts -> (n,) their noise per channel: the rms of the differences between
    neighbouring channels over sqrt 2, which a few edges hardly raise."""
    return np.sqrt(np.mean(np.diff(counts, axis=1) ** 2, axis=1) / 2)


def varies_beyond_noise(
    counts: np.ndarray, energy: np.ndarray, blocks: int = SIGNAL_BLOCKS
) -> np.ndarray:
    """(n, m) counts at ``energy`` (m,) -> (n,) bool: their least-squares slope is more than
    ``SIGNAL_SIGMAS`` standard errors from zero, or the chi-square of their ``blocks``
    block means about their mean exceeds ``SIGNAL_CHI2``, both against the noise per
    channel (``channel_noise``)."""
    counts = counts.astype(float)
    noise = channel_noise(counts)
    x = energy - energy.mean()
    slope = np.abs(counts @ x) / np.sqrt(x @ x)
    parts = np.array_split(counts, min(blocks, counts.shape[1]), axis=1)
    sizes = np.array([part.shape[1] for part in parts])
    means = np.stack([part.mean(axis=1) for part in parts], axis=1)
    spread = (sizes * (means - counts.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return (slope > SIGNAL_SIGMAS * noise) | (spread > SIGNAL_CHI2 * noise**2)


def _shows_edge(energy: np.ndarray, counts: np.ndarray) -> bool:
    """Whether ``counts`` (m,) at ``energy`` (m,) depart from a smooth background beyond
    their noise (``varies_beyond_noise`` over ``EDGE_BLOCKS`` blocks); True (no finding)
    for fewer than ``2 * EDGE_BLOCKS`` points above 0 eV.

    The background is a power law ``a E^b`` fitted to the log counts (weighted by the
    counts, as Poisson noise has it), and the departure is over the square root of the
    background (Poisson noise at any gain); where some count is not positive (a
    background subtracted) it is ``a + b ln E`` fitted to the counts.
    """
    above = energy > 0
    energy, counts = energy[above], counts[above]
    if counts.size < 2 * EDGE_BLOCKS:
        return True
    if np.all(counts > 0):
        background = _power_law(energy, counts)
        departure = (counts - background) / np.sqrt(background)
    else:
        design = _log_design(energy)
        fit, *_ = np.linalg.lstsq(design, counts, rcond=None)
        departure = counts - design @ fit
    return bool(varies_beyond_noise(departure[None], energy, EDGE_BLOCKS)[0])


def _log_design(energy: np.ndarray) -> np.ndarray:
    """(m, 2) columns 1 and ln E (centred) of ``energy`` (m,) > 0, for fits in ln E."""
    log_e = np.log(energy) - np.log(energy).mean()
    return np.stack([np.ones_like(log_e), log_e], axis=1)


def _power_law(energy: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The power law ``a E^b`` (m,) fitted to the log of positive ``counts`` (m,) at
    ``energy`` (m,) > 0, weighted by the counts (as Poisson noise has it)."""
    design = _log_design(energy)
    weight = np.sqrt(counts)
    fit, *_ = np.linalg.lstsq(design * weight[:, None], np.log(counts) * weight, rcond=None)
    return np.exp(design @ fit)


def _background_rise(energy: np.ndarray, counts: np.ndarray) -> float:
    """The factor (> 1) by which the power-law background (``_power_law``) of ``counts``
    (m,) at ``energy`` (m,) grows from the first point to the last, when the counts also
    rise beyond their noise (``_noise``) in ``RISING_BLOCKS`` of ``EDGE_BLOCKS`` blocks,
    as reversed core-loss counts do; else 0, as for counts not all positive, energies not
    all above 0, or fewer than ``4 * EDGE_BLOCKS`` points."""
    if counts.size < 4 * EDGE_BLOCKS or not (np.all(counts > 0) and energy[0] > 0):
        return 0.0
    background = _power_law(energy, counts)
    blocks = zip(
        np.array_split(energy, EDGE_BLOCKS), np.array_split(counts, EDGE_BLOCKS), strict=True
    )
    rising = sum(
        bool((e - e.mean()) @ c > SIGNAL_SIGMAS * _noise(c) * np.linalg.norm(e - e.mean()))
        for e, c in blocks
    )
    growth = background[-1] / background[0]
    return float(growth) if growth > 1 and rising >= RISING_BLOCKS else 0.0


def _spikes(energy: np.ndarray, counts: np.ndarray, raw: bool) -> np.ndarray:
    """Energies of the spikes (``SPIKE_SIGMAS``) among ``counts`` (m,) at ``energy`` (m,),
    eV; ``raw`` counts (whole numbers) have at least Poisson noise. None among fewer than
    ``2 * (SPIKE_NEIGHBOURS + NOISE_POINTS) + 1`` points; the noise windows are mirrored
    at the ends."""
    half = SPIKE_NEIGHBOURS
    if counts.size <= 2 * (half + NOISE_POINTS):  # too few for the noise
        return energy[:0]
    rows = sliding_window_view(counts, 2 * half + 1)
    base = np.median(np.delete(rows, half, axis=1), axis=1)
    excess = rows[:, half] - base
    side = np.maximum(rows[:, half - 1], rows[:, half + 1]) - base
    spread = np.pad(np.abs(excess), NOISE_POINTS, mode="symmetric")
    noise = 1.4826 * np.median(sliding_window_view(spread, 2 * NOISE_POINTS + 1), axis=1)
    if raw:
        noise = np.maximum(noise, np.sqrt(np.maximum(base, 1.0)))
    spike = (excess > SPIKE_SIGMAS * noise) & (side < SPIKE_SIDE * excess)
    return energy[half:-half][spike]


def _onset_rise(energy: np.ndarray, counts: np.ndarray) -> float:
    """How much ``counts`` (m,) rise over the first ``ONSET_EV`` eV of ``energy`` (m,) by
    their least-squares slope; 0 when fewer than 4 points lie there or the rise is within
    ``ONSET_SIGMAS`` standard errors."""
    first = energy < energy[0] + ONSET_EV
    if first.sum() < 4:
        return 0.0
    x = energy[first] - energy[first].mean()
    slope = float(x @ counts[first] / (x @ x))
    noise = _noise(counts[energy < energy[0] + 4 * ONSET_EV])
    return slope * ONSET_EV if slope > ONSET_SIGMAS * noise / np.sqrt(x @ x) else 0.0


def _onset_fall(energy: np.ndarray, counts: np.ndarray) -> float:
    """How much ``counts`` (m,) at ``energy`` (m,), in means over 1 eV, fall from their
    maximum over the first ``ONSET_EV`` eV to their minimum over the next ``FALL_EV`` eV
    beyond the fall of a background ``E^-STEEPEST_BACKGROUND`` from that maximum; 0 when
    that is within ``ONSET_SIGMAS`` noise sigmas (``_noise`` of the first
    ``4 * ONSET_EV`` eV, over the root of the points averaged), when that minimum or the
    first energy is not positive (no background to judge), or for under 2 eV of points."""
    size = max(round(1.0 / float(np.median(np.diff(energy)))), 1)  # points per 1 eV
    if counts.size < 2 * size or energy[0] <= 0:
        return 0.0
    mean = np.ones(size) / size
    e, c = np.convolve(energy, mean, "valid"), np.convolve(counts, mean, "valid")
    start = np.flatnonzero(e < energy[0] + ONSET_EV)
    top = start[np.argmax(c[start])]
    after = np.flatnonzero((e >= e[top]) & (e <= e[top] + FALL_EV))
    low = after[np.argmin(c[after])]
    if c[low] <= 0:
        return 0.0
    fall = c[top] * (e[low] / e[top]) ** -STEEPEST_BACKGROUND - c[low]
    noise = _noise(counts[energy < energy[0] + 4 * ONSET_EV]) / np.sqrt(size)
    return float(fall) if fall > ONSET_SIGMAS * noise else 0.0


def _noise(counts: np.ndarray) -> float:
    """The noise per point of ``counts`` (m,): the spread (1.4826 x median absolute
    deviation) of their second differences over sqrt 6, which a trend hardly raises;
    0 for fewer than 3 points."""
    if counts.size < 3:
        return 0.0
    return float(1.4826 * np.median(np.abs(np.diff(counts, 2))) / np.sqrt(6))
