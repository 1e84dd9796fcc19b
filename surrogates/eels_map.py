"""Element maps from EELS spectrum images: every pixel's spectrum through an ``EELSIdentifier``.

A spectrum image is an ``(H, W, E)`` cube of counts with the energy axis last, as
HyperSpy and rosettasciio hand them out. ``identify_cube`` cuts it into blocks of about
``chunk_pixels`` pixels (a dask array, so a cube larger than memory is read block by
block), puts each block's spectra onto the 1 eV channels (``to_channels``) and runs the
networks on them, ``INFERENCE_BATCH`` spectra at a time; only the ``(H, W, 80)``
probabilities are kept in memory. Each pixel is identified on its measured channels: not
NaN or infinite (an energy alignment pads shifted spectra with NaN), nor a run of zeros
that its neighbours make implausible (``dead_zeros``: a dead detector channel, zero
padding); pixels with too few of them, or without signal (vacuum), are counted and left
out of the fractions. An element is present where
it is spatially coherent (``_coherent``), not only scattered over single pixels, or above
threshold in more pixels than the networks' false positives (``_beyond_false_positives``:
an element spread evenly).
``adaptive identify SI.hspy`` (or
``.dm4``) maps the spectrum image of a file (``simulators.eels_files.read_eels_image``,
lazily).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import dask.array as da
import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from scipy import ndimage, stats

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from adaptive.figures import save_figure
from simulators.eels import ELEMENTS
from simulators.eels_files import NavigationAxis, to_channels
from surrogates.eels_checks import (
    NO_EDGE,
    SIGNAL_SIGMAS,
    channel_noise,
    counts_warnings,
    dead_zeros,
    domain_warnings,
    edges_beside,
    fill_gaps,
    missing_channels,
    varies_beyond_noise,
)
from surrogates.eels_identifier import INFERENCE_BATCH, EELSIdentifier, edge_inside
from surrogates.threads import one_torch_thread

#: Smallest fraction of the identified pixels above threshold for an element to be present
#: unless they form a cluster of ``MIN_CLUSTER`` (a precipitate: 9 of 4,096 pixels).
MIN_FRACTION = 0.01
#: Smallest share of an element's pixels above threshold that have an 8-neighbour (side
#: or corner; along the line in a line scan) above it too for the element to be present: a
#: phase spans neighbouring pixels, the networks' false positives are isolated ones (salt
#: and pepper). Corners count: a boundary one pixel wide at 45 degrees touches only by
#: corners (with side neighbours only, a 32 x 32 map's La-rich diagonal boundary, 3 % of
#: the pixels, was scattered and a vertical one present).
MIN_COHERENT = 0.5
#: ... or the size of its largest 8-connected cluster of pixels above threshold: a compact
#: feature is present whatever stray pixels lie around it. On clean 64 x 64 cubes the
#: committed networks' false positives (under 4 % of the pixels) formed clusters of 4 at
#: most (3 touching side to side; 8 cubes of Fe2O3, TiO2, CeO2, CaCN at 1,000 and 10,000
#: counts per channel at the end), none beyond chance (``CHANCE``).
MIN_CLUSTER = 4
#: The neighbours of ``ndimage.label``'s clusters: side and corner (8-connected).
EIGHT_NEIGHBOURS = np.ones((3, 3), dtype=bool)
#: Either only where chance seldom gives as much: random placements of as many pixels
#: among the identified ones (seeded by the count) reach it in under this share, divided
#: by the number of elements tested and of the measures met (Bonferroni), so that noise
#: names no element present in about 95 % of images however many are listed (either
#: measure passed 3.75 % of 400 random 24 x 24 columns of 10 % of the pixels, 2-5.5 % at
#: 2-15 %; not divided by the measures, 5.5 % and 2-8.5 % with corner neighbours, 5.75 %
#: and 0.25-9.25 % with side neighbours only). With the sizes
#: alone, random pixels passed as coherent in 30 % (5 % of a 64 x 64 image) to 100 % (10 %
#: of 128 x 128) of 200 draws; against chance uncorrected, in 0-9 % (10 x 20 to 128 x 128
#: images, 1-15 % of the pixels; 2-7 % of 100 draws with corner neighbours), and a
#: low-dose 24 x 24 map whose networks listed 6
#: false elements named one present in 1 of 5 noise draws (a cluster of 7 Cs pixels,
#: reached by 4 % of the placements).
CHANCE = 0.05
#: A measure is beaten when fewer placements than this reach it, of ``REACHES x tests x
#: measures / CHANCE - 1``: the Monte Carlo p-value (1 + reached) / (1 + placements) is
#: then at most CHANCE / (tests x measures) (79 placements for one element and one
#: measure, 159 for both, 479 for six elements and one).
REACHES = 4
#: Placements drawn at once: 25 images of the map's size per listed element.
SHUFFLE_BLOCK = 25
#: An element above threshold in this share of the identified pixels or more is present:
#: random placements of so many pixels are as coherent as any phase.
MAJORITY = 0.5
#: ... or in more of them than a per-pixel false-positive rate this high gives but in
#: ``CHANCE`` of images over the tests (binomial; ``_beyond_false_positives``): an element
#: spread evenly (a dopant) is above threshold in random pixels, not in clusters (2 at.%
#: La in Fe2O3 at 1,000 counts: 20 % of 24 x 24 pixels, called scattered). The committed
#: networks named absent elements in at most 6.4 % of the pixels of 40 uniform 24 x 24
#: cubes (Fe2O3, TiO2, NiO, MnO, BaTiO3, LaMnO3, CaCN, SiO2, CuO, CeO2 at 300-10,000
#: counts per channel at the end: Ne 6.4 % in CeO2, Xe 2.4 %, La 2.1 % in Fe2O3) unless
#: each of their edges lies beside a present element's (Pr M5 beside Cu L3: 14-20 % of
#: CuO; Ne K beside Ni L2: 7-12 %; Co L3,2 beside Ba M5,4: 4-9 %), which this leaves out.
FALSE_POSITIVE_RATE = 0.1
#: Images of fewer pixels are too small to judge coherence: every element above
#: ``MIN_FRACTION`` is present.
MIN_COHERENCE_PIXELS = 16
#: Probability axis of a line scan's profiles: a little beyond [0, 1], so that lines at
#: p = 0 or 1 are not drawn on the axes' frame.
PROFILE_YLIM = (-0.03, 1.03)
#: When an element is present, in words (for warnings).
PRESENT_RULE = (
    f"above its threshold in {MIN_FRACTION:.0%} of the identified pixels and spatially "
    f"coherent: {MIN_COHERENT:.0%} of them beside another such pixel, or {MIN_CLUSTER} of "
    f"them in one cluster touching side or corner, more than random placements of as many "
    f"pixels give but in {CHANCE:.0%} of draws divided by the number of elements tested "
    f"and of these measures met (or in {MAJORITY:.0%} of the identified pixels; any, in an "
    f"image of under {MIN_COHERENCE_PIXELS} pixels); or spread evenly: in more of them than "
    f"a false-positive rate of {FALSE_POSITIVE_RATE:.0%} per pixel gives but in {CHANCE:.0%} "
    "of images over the tests, with an edge not beside a present element's; in fewer than "
    f"{MIN_FRACTION:.0%}, a cluster of {MIN_CLUSTER} beyond chance alike (a precipitate)"
)
#: A pixel has signal when its counts vary beyond their noise (``varies_beyond_noise``) or
#: their mean is more than this many times their channel noise (bright; ``_has_signal``)
#: in a window where a background falling as ``E^-SHALLOWEST_BACKGROUND`` (half the
#: shallowest trained exponent) would not: there a specimen's counts fall beyond their
#: noise, so bright flat counts are a dark or bias level (vacuum pixels at a flat 200
#: counts beside an Fe + O region, 400-1000 eV, were identified: Fe and O in 67 % of the
#: pixels, not 100 %, and Xe, Ne, In, Cu scattered).
BRIGHT_SIGMAS = 8.0
SHALLOWEST_BACKGROUND = 1.0
#: Each pixel's outcome, the last column of ``_block_probabilities``.
IDENTIFIED, UNREADABLE, NO_SIGNAL = 0, 1, 2
#: Colour of the pixels not identified, in the maps and line profiles.
GREY = "0.7"
#: Length units of a navigation axis, in nm: a map whose axes differ in unit is drawn in
#: the columns' unit (one in um, one in nm was drawn as a sliver 1,000 times too thin).
#: Angstrom as "A" or either code point of "Å" (Latin letter, angstrom sign).
NM_PER_UNIT = {
    "pm": 1e-3,
    "A": 0.1,
    "Å": 0.1,
    "Å": 0.1,
    "nm": 1.0,
    "um": 1e3,
    "µm": 1e3,
    "μm": 1e3,
    "mm": 1e6,
    "m": 1e9,
}


@dataclass(frozen=True)
class CubeResult:
    """Element probabilities of every pixel of a spectrum image.

    Attributes:
        probabilities: (H, W, 80) float32, column j for ``ELEMENTS[j]``; NaN for the
            pixels not identified (``unidentified`` and ``no_signal``), never all.
        present_elements: element -> fraction of the identified pixels above its
            threshold, for the elements in at least ``MIN_FRACTION`` of them, or with a
            cluster of ``MIN_CLUSTER`` (a precipitate), and spatially coherent
            (``_coherent``) or in more pixels than false positives
            (``_beyond_false_positives``), most widespread first.
        scattered: the same for the elements in at least ``MIN_FRACTION`` of them but
            neither (likely false positives; their maps show them).
        thresholds: (80,) the identifier's thresholds used for ``present_elements``.
        warnings: sentences on where the energy axis leaves the range the networks were
            trained on (``domain_warnings``, the same for every pixel), on the counts of
            the typical pixel (``_typical_pixel_warnings``), on channels missing in every
            pixel (NaN or infinite, or dead zeros: ``dead_zeros``), and on the pixels not
            identified; empty when none.
        fractions: (80,) each element's fraction of the identified pixels above threshold.
        unidentified: pixels with fewer than 2 finite channels in the energy range.
        no_signal: pixels whose counts are flat within their noise (``_has_signal``).
        has_edge_in_window: the elements with a major edge inside the energy window (of
            the channels measured in some pixel: a run missing in every pixel at an end is
            not in it), in ``ELEMENTS`` order: the networks cannot see any other, so
            its map says nothing of it.
    """

    probabilities: np.ndarray
    present_elements: dict[str, float]
    thresholds: np.ndarray
    warnings: list[str]
    fractions: np.ndarray
    unidentified: int
    no_signal: int
    scattered: dict[str, float]
    has_edge_in_window: list[str]


def _has_signal(counts: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """(n, m) counts of the pixels' own channels in the window, at ``energy`` (m,) ->
    (n,) bool: some count is positive, and the counts vary beyond their noise
    (``varies_beyond_noise``: a slope or block means), or their mean exceeds
    ``BRIGHT_SIGMAS`` times the noise per channel (``channel_noise``) where a background
    of that mean would not fall beyond it (``_background_slope``).

    The noise is estimated on the measured channels, not the 1 eV ones, which
    interpolation correlates at steps over 1 eV. Measured on
    vacuum (Poisson 3 or normal read noise, 4e5 pixels): signal in 1e-4 of the pixels of
    a 30-channel window, in none of 100 or 800 channels. Simulated core-loss spectra at
    10 counts at their peak: 11 of 300 have no signal (nearly flat ones), 3 of 300 at 50;
    a power law over 1500-2000 eV with a Si K edge: 25 % at 4 counts per channel, none
    at 8. Bright spectra (Poisson, over 64 counts per channel) have signal in any window:
    by their brightness where a background would not fall beyond their noise, elsewhere
    by their fall (none of 300 simulated ones at 200 or 1e6 counts at their peak lost it).
    """
    counts = counts.astype(float)
    mean, noise = counts.mean(axis=1), channel_noise(counts)
    # a specimen's background of that mean would fall beyond the noise: flat is no specimen
    falls = mean * _background_slope(energy) > SIGNAL_SIGMAS * noise
    bright = (mean > BRIGHT_SIGMAS * noise) & ~falls
    return (varies_beyond_noise(counts, energy) | bright) & (counts.max(axis=1) > 0)


def _background_slope(energy: np.ndarray) -> float:
    """The least-squares slope of a background ``E^-SHALLOWEST_BACKGROUND`` of mean 1 at
    ``energy`` (m,), as ``varies_beyond_noise`` measures it (times the root of the sum of
    squares of the centred energies); 0 where the energies do not all lie above 0."""
    if energy[0] <= 0:
        return 0.0
    background = energy**-SHALLOWEST_BACKGROUND
    x = energy - energy.mean()
    return float(abs(background @ x) / background.mean() / np.sqrt(x @ x))


def _dead_zeros_as_nan(block: np.ndarray) -> np.ndarray:
    """(r, c, E) counts -> (r, c, E) the same as floats (float32 at least), NaN in the runs
    of zeros that their neighbours make implausible (``dead_zeros``, pixel by pixel)."""
    counts = block.astype(np.promote_types(block.dtype, np.float32))  # a copy
    pixels = counts.reshape(-1, counts.shape[-1])  # a view of it
    pixels[dead_zeros(pixels)] = np.nan
    return counts


def _block_probabilities(
    block: np.ndarray, energy: np.ndarray, identifier: EELSIdentifier
) -> np.ndarray:
    """(r, c, E) counts -> (r, c, 81) float32: each pixel's 80 probabilities, NaN unless
    identified, and its outcome (``IDENTIFIED``, ``UNREADABLE``, ``NO_SIGNAL``).

    A pixel is identified on its span of finite channels (first to last), NaN or infinite
    channels inside it interpolated (``fill_gaps``); with a span that ``to_channels``
    refuses (under 2 channels) it is unreadable. The pixels of one span go through
    ``to_channels`` and the networks ``INFERENCE_BATCH`` at a time, so that the float64
    rebinning of a large block does not take several times its memory.
    """
    rows, cols, size = block.shape
    counts = block.reshape(rows * cols, size)
    finite = np.isfinite(counts)
    out = np.full((rows * cols, len(ELEMENTS) + 1), np.nan, dtype=np.float32)
    out[:, -1] = UNREADABLE
    readable = np.flatnonzero(finite.any(axis=1))
    first = finite[readable].argmax(axis=1)
    span = first * size + size - 1 - finite[readable, ::-1].argmax(axis=1)
    for code in np.unique(span):
        low, high = divmod(int(code), size)
        pixels = readable[span == code]
        span_energy = energy[low : high + 1]
        for start in range(0, len(pixels), INFERENCE_BATCH):
            batch = pixels[start : start + INFERENCE_BATCH]
            part = fill_gaps(counts[batch, low : high + 1], span_energy)
            try:
                spectra, window = to_channels(span_energy, part, normalise=False)
            except ValueError:  # a span under 2 channels, or outside them: unreadable
                break
            inside = (span_energy > window[0] - 1) & (span_energy < window[1] + 1)
            signal = _has_signal(part[:, inside], span_energy[inside])
            # a few positive points (over-subtracted vacuum) may sum to no positive channel
            signal &= (spectra[:, window[0] : window[1] + 1] > 0).any(axis=1)
            out[batch, -1] = np.where(signal, IDENTIFIED, NO_SIGNAL)
            if signal.any():
                windows = np.broadcast_to(window, (int(signal.sum()), 2))
                out[batch[signal], :-1] = identifier.probabilities(spectra[signal], windows)
    return out.reshape(rows, cols, len(ELEMENTS) + 1)


def _coherent_share(above: np.ndarray) -> np.ndarray:
    """(H, W, k) bool -> (k,) the share of each column's True pixels with a True
    8-neighbour (side or corner; 0 where none is True)."""
    rows, cols = above.shape[:2]
    padded = np.pad(above, ((1, 1), (1, 1), (0, 0)))
    neighbour = np.zeros_like(above)
    for down, across in np.ndindex(3, 3):
        if (down, across) != (1, 1):
            neighbour |= padded[down : down + rows, across : across + cols]
    return (above & neighbour).sum(axis=(0, 1)) / np.maximum(above.sum(axis=(0, 1)), 1)


def _largest_cluster(above: np.ndarray) -> np.ndarray:
    """(H, W, k) bool -> (k,) the pixels of each column's largest 8-connected cluster
    (pixels touching side or corner: a diagonal line is one cluster)."""
    sizes = []
    for j in range(above.shape[-1]):
        labels, _ = ndimage.label(above[..., j], structure=EIGHT_NEIGHBOURS)
        sizes.append(np.bincount(labels.ravel())[1:].max(initial=0))
    return np.array(sizes, dtype=int)


def _coherent(above: np.ndarray, identified: np.ndarray) -> np.ndarray:
    """(H, W, k) bool, (H, W) bool -> (k,) bool: each column's True pixels (among the
    ``identified``) are spatially coherent: the image holds fewer than
    ``MIN_COHERENCE_PIXELS`` pixels (too few to judge), or they are ``MAJORITY`` of the
    identified pixels, or ``MIN_COHERENT`` of them have a True 8-neighbour or their largest
    8-connected cluster holds ``MIN_CLUSTER``, in either case more than random placements
    of as many pixels among the identified ones give, but for a ``CHANCE`` share of them
    over the tests, one per column not a majority, and the measures met
    (``_beats_chance``)."""
    height, width, k = above.shape
    if height * width < MIN_COHERENCE_PIXELS:
        return np.ones(k, dtype=bool)
    share, cluster = _coherent_share(above), _largest_cluster(above)
    pixels = np.flatnonzero(identified.ravel())
    counts = above.sum(axis=(0, 1))
    coherent = counts >= MAJORITY * pixels.size
    tests = int((~coherent).sum())
    for j in np.flatnonzero(~coherent):
        observed = {_coherent_share: share[j]} if share[j] >= MIN_COHERENT else {}
        if cluster[j] >= MIN_CLUSTER:
            observed[_largest_cluster] = cluster[j]
        coherent[j] = bool(observed) and _beats_chance(
            observed, int(counts[j]), pixels, above.shape[:2], tests
        )
    return coherent


def _beyond_false_positives(
    counts: np.ndarray, pixels: int, listed: np.ndarray, coherent: np.ndarray, window: np.ndarray
) -> np.ndarray:
    """(k,) pixels above threshold of the elements ``listed`` (k,) (indices into
    ``ELEMENTS``, most widespread first), of ``pixels`` identified -> (k,) bool: more than
    the networks' false positives give, spread evenly or not (a dopant): false positives
    at ``FALSE_POSITIVE_RATE`` per pixel reach as many with a binomial chance under
    ``CHANCE`` over the k tests; and the element has a major edge in ``window`` (2,) eV,
    not each beside an edge of an element listed before it and ``coherent`` (k,) bool
    (``edges_beside``: such edges name it in many pixels)."""
    tests = max(len(listed), 1)
    beyond = stats.binom.sf(counts - 1, pixels, FALSE_POSITIVE_RATE) < CHANCE / tests
    own_edge = edge_inside(np.asarray(window)[None])[0, listed]
    for i in np.flatnonzero(beyond):
        surer = [ELEMENTS[j] for j in listed[:i][coherent[:i]]]
        beyond[i] = own_edge[i] and not edges_beside(ELEMENTS[listed[i]], surer, window)
    return beyond


def _beats_chance(
    observed: dict, n: int, pixels: np.ndarray, shape: tuple[int, int], tests: int
) -> bool:
    """Whether any measure (a function of (H, W, s) bool -> (s,), to its value ``observed``
    on the image) is reached by fewer than ``REACHES`` of ``REACHES x tests x measures /
    CHANCE - 1`` random placements of ``n`` pixels among ``pixels`` (flat indices into
    ``shape``): a p-value of at most ``CHANCE / (tests x measures)``, so that either of two
    measures passes chance no more often than one. Seeded by ``n`` (the same draws for the
    same count, in any column). The placements are drawn ``SHUFFLE_BLOCK`` at a time, which
    bounds the memory, and stop once every measure has been reached too often."""
    rng = np.random.default_rng(n)
    placements = math.ceil(REACHES * tests * len(observed) / CHANCE) - 1
    reached = dict.fromkeys(observed, 0)
    for start in range(0, placements, SHUFFLE_BLOCK):
        placed = np.zeros((min(SHUFFLE_BLOCK, placements - start), shape[0] * shape[1]), bool)
        for draw in placed:
            draw[rng.choice(pixels, n, replace=False)] = True
        placed = np.moveaxis(placed.reshape(-1, *shape), 0, -1)
        for measure, value in observed.items():
            reached[measure] += int((measure(placed) >= value).sum())
        if min(reached.values()) >= REACHES:
            return False
    return min(reached.values()) < REACHES


def _pixel_warnings(
    energy: np.ndarray,
    finite: np.ndarray,
    measured: np.ndarray,
    unidentified: int,
    no_signal: int,
    pixels: int,
) -> list[str]:
    """Sentences on the channels never measured, NaN or infinite (``finite`` (E,) False)
    or dead zeros (``measured`` (E,) False but ``finite``) in every pixel, and on the
    pixels not identified, of ``pixels``."""
    warnings = [
        missing_channels(energy[unread], energy.size, " in every pixel", zeros)
        for unread, zeros in ((~finite, False), (finite & ~measured, True))
        if unread.any()
    ]
    left = pixels - unidentified - no_signal
    if unidentified:
        warnings.append(
            f"{unidentified} of the {pixels} pixels have fewer than 2 finite channels (NaN "
            "or infinite counts) and were not identified (grey in the maps); the fractions "
            f"are of the {left} identified pixels."
        )
    if no_signal:
        warnings.append(
            f"{no_signal} of the {pixels} pixels have no signal, their counts flat within "
            "their noise (vacuum, dark counts), and were not identified (grey in the maps); "
            f"the fractions are of the {left} identified pixels."
        )
    return warnings


def _typical_pixel_warnings(
    cube: da.Array,
    energy: np.ndarray,
    window: np.ndarray,
    totals: np.ndarray,
    present: Collection[str],
    committed: bool = True,
) -> list[str]:
    """``counts_warnings`` (too few counts, over-subtracted, no edge, ...) of the pixel of
    median total counts among the identified ones (``totals`` (H, W), NaN elsewhere, not
    all NaN), each sentence naming that pixel: what holds for it holds for most pixels
    (an over-subtracted dark, a low dose; an edge with no element ``present`` in the cube,
    a miscalibrated axis), the networks ``committed`` or not. That it shows no edge is
    left out when elements are ``present``: a particle on an edge-free support film
    (review V20)."""
    order = np.argsort(np.where(np.isnan(totals), np.inf, totals), axis=None)
    row, col = np.unravel_index(order[int(np.isfinite(totals).sum()) // 2], totals.shape)
    counts = np.asarray(cube[row, col], dtype=float)
    finite = np.flatnonzero(np.isfinite(counts))
    span = slice(finite[0], finite[-1] + 1)
    counts = fill_gaps(counts[None, span], energy[span])[0]
    return [
        f"In a typical pixel (row {row}, column {col}, of the median total counts): {warning}"
        for warning in counts_warnings(energy[span], counts, window, present, committed)
        if not (present and warning.startswith(NO_EDGE))
    ]


def identify_cube(
    cube: np.ndarray | da.Array,
    energy: np.ndarray,
    identifier: EELSIdentifier,
    chunk_pixels: int = 1024,
) -> CubeResult:
    """Element probabilities of every pixel of an EELS spectrum image.

    Each pixel is identified on its measured channels (NaN or infinite counts, and runs of
    zeros that their neighbours make implausible, ``dead_zeros``, are missing ones:
    interpolated across inside its span, dropped at its ends), and the cube's window is
    that of the channels measured in some pixel, first to last; a pixel with fewer
    than 2 of them, or without signal (``_has_signal``: vacuum), is not identified, and
    the fractions are of the identified pixels. An element is present in at least
    ``MIN_FRACTION`` of them, or in fewer with a cluster of ``MIN_CLUSTER`` (a
    precipitate), where it is spatially coherent (``_coherent``) or in more pixels than
    the networks' false positives (``_beyond_false_positives``: spread evenly); one in at
    least ``MIN_FRACTION`` but only scattered is listed in ``scattered`` (likely false
    positives; ask for its map).

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
            holds fewer pixels, else part of a row. Blocks of 1024 pixels take no longer
            than blocks of 4096 (a 64 x 64 x 2048 cube: 2.8-3.0 s either way) and let a
            progress bar move.

    Returns:
        The probabilities, fractions, elements present, pixels not identified, warnings.

    Raises:
        InvalidParameterError: a cube that is not 3-D, an energy axis that is not last
            (with the call that moves it there), a bad energy axis or chunk_pixels, or
            no pixel to identify.
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
    finite = da.isfinite(cube).any(axis=(0, 1))
    cube = cube.map_blocks(_dead_zeros_as_nan, dtype=np.promote_types(cube.dtype, np.float32))
    blocks = cube.map_blocks(
        _block_probabilities,
        energy,
        identifier,
        chunks=(cube.chunks[0], cube.chunks[1], (len(ELEMENTS) + 1,)),
        dtype=np.float32,
    )
    with one_torch_thread():  # one pass over the cube: the blocks are read once for all
        out, finite, measured, totals = da.compute(
            blocks,
            finite,
            da.isfinite(cube).any(axis=(0, 1)),
            da.nansum(da.where(da.isfinite(cube), cube, np.nan), axis=2, dtype=np.float64),
            scheduler="synchronous",
        )
    probabilities, outcome = out[..., :-1], out[..., -1]
    unidentified, no_signal = int((outcome == UNREADABLE).sum()), int((outcome == NO_SIGNAL).sum())
    identified = height * width - unidentified - no_signal
    if unidentified < height * width and not (measured[0] and measured[-1]):
        # an end unmeasured in every pixel: the window of the channels measured in some
        # pixel (to_channels took a readable pixel's span, which lies within theirs)
        first, last = np.flatnonzero(measured)[[0, -1]]
        span = energy[first : last + 1]
        _, window = to_channels(span, np.ones(span.size), normalise=False)
    if not identified:
        raise InvalidParameterError(
            f"no pixel of the cube can be identified: {unidentified} of its {height * width} "
            f"pixels have fewer than 2 finite channels (NaN or infinite counts), {no_signal} "
            f"no signal in the window {window[0]}..{window[1]} eV (counts flat within their "
            "noise, or none positive: vacuum?); pass a cube with EELS signal in that window"
        )
    thresholds = identifier.thresholds
    above = probabilities > thresholds  # NaN pixels are below
    counts = above.sum(axis=(0, 1))  # (80,) pixels above threshold
    fractions = counts / identified
    order = np.argsort(-fractions, kind="stable")
    widespread = fractions[order] >= MIN_FRACTION
    few = order[~widespread & (counts[order] >= MIN_CLUSTER)]
    compact = few[_largest_cluster(above[..., few]) >= MIN_CLUSTER]  # a precipitate
    listed = np.concatenate([order[widespread], compact])  # still most widespread first
    coherent = _coherent(above[..., listed], outcome == IDENTIFIED)
    named = coherent | _beyond_false_positives(counts[listed], identified, listed, coherent, window)
    present = {ELEMENTS[j]: float(fractions[j]) for j in listed[named]}
    scattered = {
        ELEMENTS[j]: float(fractions[j]) for j in listed[~named] if fractions[j] >= MIN_FRACTION
    }
    # judged on the channels measured somewhere: a run dead in every pixel is a gap
    warnings = (
        domain_warnings(energy[measured], window)
        + _typical_pixel_warnings(
            cube,
            energy,
            window,
            np.where(outcome == IDENTIFIED, totals, np.nan),
            list(present),
            getattr(identifier, "committed", False),  # another kind of identifier: False
        )
        + _pixel_warnings(energy, finite, measured, unidentified, no_signal, height * width)
    )
    return CubeResult(
        probabilities,
        present,
        thresholds,
        warnings,
        fractions,
        unidentified,
        no_signal,
        scattered,
        [ELEMENTS[j] for j in np.flatnonzero(edge_inside(window[None])[0])],
    )


def check_elements(elements: list[str] | str) -> list[str]:
    """``elements`` as a list of symbols spelled as in ``ELEMENTS`` (``"fe"`` is Fe); a
    single string such as ``"Fe"`` is one symbol.

    Raises:
        InvalidParameterError: a symbol of no element the networks identify, or one
            element named twice (``Fe,fe``: each is mapped once).
    """
    elements = [elements] if isinstance(elements, str) else list(elements)
    symbols = {e.lower(): e for e in ELEMENTS}
    unknown = [e for e in elements if str(e).lower() not in symbols]
    if unknown:
        raise InvalidParameterError(
            f"unknown element {unknown[0]!r}; name elements the networks identify by their "
            f"symbols, {ELEMENTS[0]} to {ELEMENTS[-1]} (Z = 4 to 83), e.g. Fe or O"
        )
    spelled = [symbols[str(e).lower()] for e in elements]
    twice = sorted({e for e in spelled if spelled.count(e) > 1})
    if twice:
        raise InvalidParameterError(
            f"{elements!r} names {', '.join(twice)} more than once (symbols are read in any "
            "case); name each element once"
        )
    return spelled


def _percent(fraction: float) -> str:
    """A fraction in percent, to two significant digits below 1 % ("0.22 %", "0.000095 %";
    not "0 %")."""
    if 0 < fraction < 0.01:
        return f"{np.format_float_positional(100 * fraction, 2, fractional=False)} %"
    return f"{100 * fraction:.0f} %"


def _label(name: str, axis: NavigationAxis) -> str:
    return f"{name} ({axis.units})" if axis.units else name


def _in_one_unit(
    down: NavigationAxis, across: NavigationAxis
) -> tuple[NavigationAxis, NavigationAxis] | None:
    """The rows and columns axes in one unit (the columns'); None when they have none in
    common (one uncalibrated, or a unit not in ``NM_PER_UNIT``)."""
    if down.units == across.units:
        return down, across
    if down.units in NM_PER_UNIT and across.units in NM_PER_UNIT:
        factor = NM_PER_UNIT[down.units] / NM_PER_UNIT[across.units]
        return NavigationAxis(down.scale * factor, down.offset * factor, across.units), across
    return None


def _plot_map(
    fig: Figure, ax, p: np.ndarray, threshold: float, navigation: tuple[NavigationAxis, ...]
) -> None:
    """``p`` (H, W) on calibrated axes, NaN grey; the threshold a red line on the colour
    bar. The axes are drawn to scale in one unit (``_in_one_unit``); a strip more than 4
    times longer than wide, or axes of no common unit, fill the panel."""
    common = _in_one_unit(*navigation)
    (height, width), (down, across) = p.shape, common or navigation
    extent = (
        across.offset - across.scale / 2,
        across.offset + (width - 0.5) * across.scale,
        down.offset + (height - 0.5) * down.scale,
        down.offset - down.scale / 2,
    )
    strip = max(height, width) > 4 * min(height, width)
    aspect = "auto" if strip or common is None else "equal"
    cmap = mpl.colormaps["viridis"].with_extremes(bad=GREY)
    image = ax.imshow(
        p, vmin=0, vmax=1, cmap=cmap, extent=extent, aspect=aspect, interpolation="nearest"
    )
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="probability (red: threshold)")
    bar.ax.axhline(threshold, color="red", linewidth=2)
    ax.set_xlabel(_label("x", across), fontsize=8)
    ax.set_ylabel(_label("y", down), fontsize=8)
    ax.tick_params(labelsize=7)


def _plot_profile(ax, p: np.ndarray, threshold: float, axis: NavigationAxis) -> None:
    """A line scan's ``p`` (n,) against position, the threshold dashed, NaN pixels grey;
    the legend below the panel, where it hides no point at p = 0 or 1."""
    position = axis.offset + axis.scale * np.arange(p.size)
    ax.plot(position, p, marker=".", markersize=5, linewidth=1.2, label="probability")
    ax.axhline(threshold, color="red", linestyle="--", linewidth=1, label="threshold")
    low, high = PROFILE_YLIM
    missing = np.isnan(p)
    if missing.any():
        ax.bar(
            position[missing],
            high - low,
            bottom=low,
            width=abs(axis.scale),
            color=GREY,
            label="not identified",
        )
    ax.set_ylim(low, high)
    ax.set_xlabel(_label("position", axis))
    ax.set_ylabel("probability")
    ax.tick_params(labelsize=9)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize=9)


def plot_probability_maps(
    result: CubeResult,
    elements: list[str] | str | None,
    path: str | Path,
    navigation: tuple[NavigationAxis, NavigationAxis] = (NavigationAxis(), NavigationAxis()),
) -> Path:
    """Save one probability map per element, titled with the fraction of identified pixels
    above threshold, marked on its colour bar (or, for an element with no major edge in the
    window, that it is not seen); a line scan (H or W of 1) as profiles.

    Args:
        result: from ``identify_cube``.
        elements: symbols to show (a single symbol such as ``"Fe"`` shows that one);
            None for ``result.present_elements``.
        path: image file to write (the suffix picks the format, e.g. ``.png``).
        navigation: the calibration of the rows and the columns axis
            (``EELSImage.navigation``); pixel indices by default.

    Returns:
        The path written.

    Raises:
        InvalidParameterError: an unknown symbol, or nothing to show.
    """
    elements = list(result.present_elements) if elements is None else check_elements(elements)
    if not elements:
        raise InvalidParameterError(
            f"no element to plot: none is present ({PRESENT_RULE}); name elements to show"
        )
    height, width = result.probabilities.shape[:2]
    profiles = 1 in (height, width)
    columns = min(2 if profiles else 4, len(elements))
    rows = -(-len(elements) // columns)
    panel = (6.0, 4.2) if profiles else (3.4, 3.0)
    fig = Figure(figsize=(panel[0] * columns, panel[1] * rows + 0.4))
    axes = fig.subplots(rows, columns, squeeze=False)
    for ax in axes.ravel()[len(elements) :]:
        ax.set_visible(False)
    for ax, symbol in zip(axes.ravel(), elements, strict=False):
        j = ELEMENTS.index(symbol)
        p, threshold = result.probabilities[..., j], result.thresholds[j]
        if width == 1:
            _plot_profile(ax, p[:, 0], threshold, navigation[0])
        elif height == 1:
            _plot_profile(ax, p[0], threshold, navigation[1])
        else:
            _plot_map(fig, ax, p, threshold, navigation)
        seen = symbol in result.has_edge_in_window
        ax.set_title(
            f"{symbol}: {_percent(result.fractions[j])} of identified pixels"
            if seen
            else f"{symbol}: no edge in the window",
            fontsize=11 if profiles else 9,
        )
    missing = result.unidentified + result.no_signal
    if missing:
        fig.suptitle(
            f"grey: {missing} of {height * width} pixels not identified ({result.unidentified} "
            f"with too few finite counts, {result.no_signal} without signal)",
            fontsize=9,
        )
    fig.tight_layout()
    return save_figure(fig, path)
