"""Trained EELS networks at work: element probabilities, thresholds and ensembles.

``EELSIdentifier`` runs one network of ``surrogates.eels_net`` or an ensemble of them on
spectra on the 1 eV channels. An ensemble takes a mean of the members' probabilities
weighted per element by how well each names it (``ensemble_weights``); an element counts
as present above a threshold calibrated where precision equals recall on validation
spectra (``calibrate_thresholds``); ``score_identification`` compares predicted element
sets with labelled ones. Weights files that ``surrogates.eels_training.train_eels_net``
wrote are checked field by field before they are loaded (``_read_weights``).
``identify_spectrum`` identifies one measured spectrum, with the warnings of
``surrogates.eels_checks.domain_warnings`` on where it leaves the range the networks were
trained on and of ``overlap_warnings`` on elements named only for another's edges.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from simulators.eels import ELEMENTS, has_major_edge_inside
from simulators.eels_files import KEV_FIX, EELSSpectrum, checked_spectrum, to_channels
from surrogates.checkpoints import load_file, load_weights
from surrogates.eels_checks import (
    dead_zeros,
    domain_warnings,
    fill_gaps,
    missing_channels,
    overlap_warnings,
)
from surrogates.eels_net import (
    ARCHS,
    COMMITTED_NETWORKS,
    WEIGHTS_DIR,
    checked_eels_inputs,
    eels_inputs,
)

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
    for j in np.flatnonzero(_supported(y)):
        thresholds[j] = midpoint(p[:, j], int(support[j]))
    return np.clip(thresholds, 1e-6, 1 - 1e-6)


def _supported(labels: np.ndarray) -> np.ndarray:
    """(80,) whether each element of ``labels`` (n, 80) has at least ``MIN_SUPPORT``
    positives and a negative, so that its own threshold or weights can be fitted."""
    support = labels.sum(axis=0)
    return (support >= MIN_SUPPORT) & (support < len(labels))


def ensemble_weights(probabilities: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-element weights of an ensemble's members, fitted on labelled spectra.

    For each element with at least ``MIN_SUPPORT`` positives and a negative
    (``_supported``), the weights on the grid of the simplex with ``WEIGHT_STEPS`` steps
    (0, 1/WEIGHT_STEPS, ..., 1, summing to 1) whose weighted mean probability has the
    highest average precision; other elements weigh their members equally (every weight
    scores alike where all spectra are positive). A member that names an element better
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
    for j in np.flatnonzero(_supported(y)):
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
        #: The members' weights files, resolved (``from_files``); empty when built here.
        self.files: tuple[Path, ...] = ()

    @property
    def committed(self) -> bool:
        """Whether every member was loaded from a committed weights file
        (``COMMITTED_NETWORKS`` in ``WEIGHTS_DIR``), on which the warnings' measurements of
        the networks were made."""
        committed = {
            (Path(WEIGHTS_DIR) / f"eels_{name}.pt").resolve() for name in COMMITTED_NETWORKS
        }
        return bool(self.files) and set(self.files) <= committed

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
                there = sorted(
                    p.stem.removeprefix("eels_") for p in Path(directory).glob("eels_*.pt")
                )
                pick = (
                    f"holds the networks {there}: name one of them, or"
                    if there
                    else "holds no networks:"
                )
                train = (
                    f", e.g. the --out of adaptive train eels --arch {name} "
                    f"(train_eels_net(arch={name!r}))"
                    if name in ARCHS
                    else ""
                )
                raise InvalidParameterError(
                    f"no EELS network {name!r}: there is no weights file {path}; {directory} "
                    f"{pick} pass instead the weights file of a {' or '.join(sorted(ARCHS))} "
                    f"network (the elements analysis option weights; EELSIdentifier.from_files)"
                    f"{train}"
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
        identifier = cls(networks, thresholds, metadata, weights)
        identifier.files = tuple(Path(path).resolve() for path in paths)
        return identifier

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
            present: (n, 80) bool, probabilities above ``thresholds``, of elements with a
                major edge inside the window (the networks learned to call no other
                present).
        """
        p = self.probabilities(spectra, window, batch_size)
        windows, which = np.unique(np.asarray(window), axis=0, return_inverse=True)
        return p, (p > self._thresholds) & edge_inside(windows)[which.ravel()]


def edge_inside(window: np.ndarray) -> np.ndarray:
    """(n, 80) bool: the element has a major edge inside the window (n, 2) (first, last eV)."""
    elements = np.broadcast_to(np.arange(len(ELEMENTS)), (len(window), len(ELEMENTS)))
    return has_major_edge_inside(elements, window[:, 0], window[:, 1])


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
        ``has_edge_in_window`` the elements with a major edge inside the window, in
        ``ELEMENTS`` order: the networks learned to call only those present (with an
        edge 10 eV inside), so the low probability of any other says nothing of it;
        ``warnings`` sentences on where the spectrum leaves the trained range (see
        ``domain_warnings``, judged on its measured channels, so a run of missing ones
        wide enough is a gap) and on its missing channels (NaN or infinite counts, and
        runs of zeros that their neighbours make implausible, ``dead_zeros``: it is
        identified on its span of measured ones, those inside interpolated, as a spectrum
        image's pixels are), then on elements named only for edges lying beside those of
        an element named with more confidence (``overlap_warnings``), empty when there
        are none.

    Raises:
        InvalidParameterError: not an ``EELSSpectrum``, energies outside the channels or
            covering fewer than 2 of them (with a hint when they look like keV), or no
            positive count in the window.
    """
    if not isinstance(spectrum, EELSSpectrum):
        raise InvalidParameterError(
            f"identify_spectrum takes an EELSSpectrum, got {type(spectrum).__name__}; read one "
            "with simulators.read_eels(path), or make one: simulators.EELSSpectrum(energy, "
            "counts, {}, 'my spectrum')"
        )
    try:  # one made in Python is checked as a file's is (a reader's are already)
        spectrum = checked_spectrum(
            spectrum.energy, spectrum.counts, spectrum.metadata, spectrum.source
        )
    except ValueError as err:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(str(err)) from None
    identifier = EELSIdentifier.load() if identifier is None else identifier
    energy, counts, missing = spectrum.energy, spectrum.counts, []
    finite = np.isfinite(counts)
    dead = dead_zeros(counts[None])[0]
    measured = finite & ~dead
    if not measured.all():
        first, last = np.flatnonzero(measured)[[0, -1]]
        energy = energy[first : last + 1]
        counts = fill_gaps(np.where(measured, counts, np.nan)[None, first : last + 1], energy)[0]
        missing = [
            missing_channels(spectrum.energy[unread], finite.size, zeros=zeros)
            for unread, zeros in ((~finite, False), (dead, True))
            if unread.any()
        ]
    try:
        x, window = to_channels(energy, counts, source=spectrum.source, kev_fix=kev_fix)
    except ValueError as err:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(str(err)) from None
    p, present = identifier.identify(x[None], window[None])
    thresholds = identifier.thresholds
    order = np.argsort(-p[0])
    # judged on the measured channels: a run of missing ones is a gap in their axis
    warnings = domain_warnings(
        spectrum.energy[measured],
        window,
        spectrum.counts[measured],
        [ELEMENTS[j] for j in np.flatnonzero(present[0])],
        identifier.committed,
    )
    return {
        "source": spectrum.source,
        "window": (int(window[0]), int(window[1])),
        "probabilities": {ELEMENTS[j]: float(p[0, j]) for j in order},
        "thresholds": {ELEMENTS[j]: float(thresholds[j]) for j in order},
        "present": [ELEMENTS[j] for j in order if present[0, j]],
        "has_edge_in_window": [ELEMENTS[j] for j in np.flatnonzero(edge_inside(window[None]))],
        "warnings": warnings + missing + overlap_warnings(p[0], present[0], window),
    }
