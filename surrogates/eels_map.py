"""Element maps from EELS spectrum images: every pixel's spectrum through an ``EELSIdentifier``.

A spectrum image is an ``(H, W, E)`` cube of counts with the energy axis last, as
HyperSpy and rosettasciio hand them out. ``identify_cube`` cuts it into blocks of about
``chunk_pixels`` pixels (a dask array, so a cube larger than memory is read block by
block), puts each block's spectra onto the 1 eV channels (``to_channels``) and runs the
networks on them, ``INFERENCE_BATCH`` spectra at a time; only the ``(H, W, 80)``
probabilities are kept in memory. ``adaptive identify SI.hspy`` (or ``.dm4``) maps the
spectrum image of a file (``simulators.eels_files.read_eels_image``, lazily).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dask.array as da
import numpy as np
from matplotlib.figure import Figure

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from simulators.eels import ELEMENTS
from simulators.eels_files import to_channels
from surrogates.eels_identifier import INFERENCE_BATCH, EELSIdentifier, domain_warnings
from surrogates.threads import one_torch_thread

#: Smallest fraction of pixels above threshold for an element to be listed as present.
MIN_FRACTION = 0.01


@dataclass(frozen=True)
class CubeResult:
    """Element probabilities of every pixel of a spectrum image.

    Attributes:
        probabilities: (H, W, 80) float32, column j for ``ELEMENTS[j]``; NaN for pixels
            with no positive count in the window or a NaN/infinite count (nothing to
            identify), never for all of them.
        present_elements: element -> fraction of all pixels above its threshold, for the
            elements in at least ``MIN_FRACTION`` of the pixels, most widespread first.
        thresholds: (80,) the identifier's thresholds used for ``present_elements``.
        warnings: sentences on where the energy axis leaves the range the networks were
            trained on (``domain_warnings``, the same for every pixel); empty when it
            does not.
    """

    probabilities: np.ndarray
    present_elements: dict[str, float]
    thresholds: np.ndarray
    warnings: list[str]


def _block_probabilities(
    block: np.ndarray, energy: np.ndarray, identifier: EELSIdentifier
) -> np.ndarray:
    """(r, c, E) counts -> (r, c, 80) float32 probabilities, NaN where nothing is positive.

    A pixel with a non-finite count is zeroed, so that it too comes back NaN. The pixels
    go through ``to_channels`` and the networks ``INFERENCE_BATCH`` at a time, so that the
    float64 rebinning of a large block does not take several times its memory.
    """
    rows, cols, _ = block.shape
    counts = block.reshape(rows * cols, -1)
    out = np.full((rows * cols, len(ELEMENTS)), np.nan, dtype=np.float32)
    for start in range(0, rows * cols, INFERENCE_BATCH):
        part = counts[start : start + INFERENCE_BATCH]
        part = np.where(np.isfinite(part).all(axis=1, keepdims=True), part, 0.0)
        spectra, window = to_channels(energy, part, normalise=False)
        signal = spectra[:, window[0] : window[1] + 1].max(axis=1) > 0
        if signal.any():
            windows = np.broadcast_to(window, (int(signal.sum()), 2))
            out[start : start + len(part)][signal] = identifier.probabilities(
                spectra[signal], windows
            )
    return out.reshape(rows, cols, len(ELEMENTS))


def _nothing_to_identify(cube: da.Array, energy: np.ndarray, window: np.ndarray) -> str:
    """Why no pixel of ``cube`` (H, W, E) can be identified, and the fix; a second pass."""
    finite = da.isfinite(cube)
    channels, pixels = da.compute(
        finite.any(axis=(0, 1)), finite.all(axis=-1).sum(), scheduler="synchronous"
    )
    dead = np.flatnonzero(~channels)
    if dead.size:
        more = f" (and {dead.size - 1} more channels)" if dead.size > 1 else ""
        return (
            f"the cube's channel {dead[0]} at {energy[dead[0]]:g} eV{more} is NaN or infinite "
            "in every pixel (a dead detector channel?), so no pixel can be identified; crop "
            "it from cube and energy (e.g. cube[..., keep], energy[keep]) or repair it (e.g. "
            "interpolate it from its neighbours)"
        )
    bad = cube.shape[0] * cube.shape[1] - int(pixels)
    return (
        f"no pixel of the cube can be identified: {bad} of its {cube.shape[0] * cube.shape[1]} "
        "pixels hold a NaN or infinite count, the others no positive count in the window "
        f"{window[0]}..{window[1]} eV; repair the non-finite counts, or pass a cube with "
        "signal in that window"
    )


def identify_cube(
    cube: np.ndarray | da.Array,
    energy: np.ndarray,
    identifier: EELSIdentifier,
    chunk_pixels: int = 4096,
) -> CubeResult:
    """Element probabilities of every pixel of an EELS spectrum image.

    Blocks are computed one after another in the calling thread (dask's synchronous
    scheduler), with torch on one thread (``one_torch_thread``; the caller's thread count
    is restored afterwards): for blocks of a few thousand spectra extra threads only
    contend (measured on 2 busy cores: a 32 x 32 cube took 0.6-1.1 s on one thread,
    7-9 s on two, with the same probabilities), and torch's thread setting is global to
    the process, so concurrent blocks would fight over it.

    Args:
        cube: (H, W, E) counts, energy axis last; a numpy array (wrapped in dask) or a
            dask array (rechunked so that the energy axis is one chunk).
        energy: (E,) strictly increasing energy loss of the last axis, eV.
        identifier: the networks, e.g. ``EELSIdentifier.load()``.
        chunk_pixels: pixels per block (>= 1): whole rows of the image where a row
            holds fewer pixels, else part of a row.

    Returns:
        The probabilities, the elements present and the out-of-domain warnings.

    Raises:
        InvalidParameterError: a cube that is not 3-D, an energy axis that is not last
            (with the call that moves it there), a bad energy axis or chunk_pixels, or
            no pixel to identify (naming a channel that is NaN/infinite in every pixel).
    """
    chunk_pixels = check_int("chunk_pixels", chunk_pixels, 1)
    energy = np.asarray(energy, dtype=float)
    try:
        _, window = to_channels(energy, np.ones(energy.size), normalise=False)
    except ValueError as err:  # simulators raise builtins only (they import nothing of ours)
        raise InvalidParameterError(f"cannot map this cube: {err}") from None
    if not isinstance(cube, da.Array):
        cube = np.asarray(cube)
    if cube.ndim != 3:
        raise InvalidParameterError(
            f"cube must be 3-D (rows, columns, energy), got shape {cube.shape}; reshape a "
            "line scan to (1, n, E)"
        )
    if cube.shape[-1] != energy.size:
        if cube.shape[0] == energy.size:
            raise InvalidParameterError(
                f"cube has shape {cube.shape}: its first axis, not its last, matches the "
                f"{energy.size} energies; put the energy axis last with "
                "np.moveaxis(cube, 0, -1)"
            )
        raise InvalidParameterError(
            f"the last axis of cube {cube.shape} must hold the {energy.size} energies of "
            "energy; pass the energy axis of this cube"
        )
    height, width, _ = cube.shape
    if height < 1 or width < 1:
        raise InvalidParameterError(f"cube {cube.shape} holds no pixels; pass at least one")
    rows, cols = (
        (max(1, chunk_pixels // width), width) if width <= chunk_pixels else (1, chunk_pixels)
    )
    if isinstance(cube, da.Array):
        cube = cube.rechunk((rows, cols, -1))
    else:
        cube = da.from_array(cube, chunks=(rows, cols, -1))
    with one_torch_thread():
        probabilities = cube.map_blocks(
            _block_probabilities,
            energy,
            identifier,
            chunks=(cube.chunks[0], cube.chunks[1], (len(ELEMENTS),)),
            dtype=np.float32,
        ).compute(scheduler="synchronous")
    if np.isnan(probabilities).all():
        raise InvalidParameterError(_nothing_to_identify(cube, energy, window))
    thresholds = identifier.thresholds
    fraction = (probabilities > thresholds).mean(axis=(0, 1))
    order = np.argsort(-fraction, kind="stable")
    present = {ELEMENTS[j]: float(fraction[j]) for j in order if fraction[j] >= MIN_FRACTION}
    return CubeResult(probabilities, present, thresholds, domain_warnings(energy, window))


def check_elements(elements: list[str] | str) -> list[str]:
    """``elements`` as a list of symbols; a single string such as ``"Fe"`` is one symbol.

    Raises:
        InvalidParameterError: an unknown symbol.
    """
    elements = [elements] if isinstance(elements, str) else list(elements)
    unknown = [e for e in elements if e not in ELEMENTS]
    if unknown:
        raise InvalidParameterError(
            f"unknown element {unknown[0]!r}; use symbols from simulators.eels.ELEMENTS"
        )
    return elements


def plot_probability_maps(
    result: CubeResult, elements: list[str] | str | None, path: str | Path
) -> Path:
    """Save one probability map per element, titled with the fraction of pixels above threshold.

    Args:
        result: from ``identify_cube``.
        elements: symbols to show (a single symbol such as ``"Fe"`` shows that one);
            None for ``result.present_elements``.
        path: image file to write (the suffix picks the format, e.g. ``.png``).

    Returns:
        The path written.

    Raises:
        InvalidParameterError: an unknown symbol, or nothing to show.
    """
    elements = list(result.present_elements) if elements is None else check_elements(elements)
    if not elements:
        raise InvalidParameterError(
            "no element to plot: none is present in 1 % of the pixels; name elements to show"
        )
    columns = min(4, len(elements))
    rows = -(-len(elements) // columns)
    fig = Figure(figsize=(3.2 * columns, 3.0 * rows))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel()[len(elements) :]:
        ax.set_visible(False)
    for ax, symbol in zip(axes.ravel(), elements, strict=False):
        j = ELEMENTS.index(symbol)
        image = ax.imshow(result.probabilities[..., j], vmin=0, vmax=1, cmap="viridis")
        fraction = float((result.probabilities[..., j] > result.thresholds[j]).mean())
        ax.set_title(f"{symbol}: {100 * fraction:.0f} % of pixels", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="probability")
    fig.tight_layout()
    return save_figure(fig, path)
