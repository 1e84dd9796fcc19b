"""Checks of measured EELS spectra against the range the identification networks were
trained on: heuristics on the energy axis and the counts, no networks.

``domain_warnings`` says where a spectrum leaves the trained range (the axis: points
beyond the channels, a window in the low-loss region or too narrow, a coarse step, gaps;
then ``counts_warnings``: counts far below zero, spikes, few counts, a window starting on
an edge or past its peak, counts with no edge, counts rising toward high loss).
``varies_beyond_noise`` is the test for counts with no edge, and also finds the vacuum
pixels of a spectrum image (``surrogates.eels_map``). Noise estimators serve different
inputs: ``_noise`` of one spectrum, robust to its edges, spikes and slope,
``channel_noise`` of many pixels at once, the more precise on white noise (see each), and
``averaged_noise`` of one spectrum's means, where the noise is correlated between channels.
NaN or infinite counts are missing channels, in a spectrum and a spectrum image alike, and
so are runs of counts reading exactly 0 where their neighbours make a 0 implausible
(``dead_zeros``: a dead detector channel, an alignment's zero padding): ``fill_gaps``
interpolates across them and ``missing_channels`` words the warning.
``overlap_warnings`` judges the networks' answer on the edge table: an element named only
for edges that lie under those of another element named.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy import stats

from simulators.eels import ELEMENTS, N_CHANNELS, Edge, EELSSimulator, edge_table
from simulators.eels_files import KEV_HINT_EV
from simulators.text_files import is_channel_axis
from surrogates.eels_net import TRAINING_SIMULATOR

#: The simulator the networks were trained on, whose ranges the warnings quote.
_TRAINED = EELSSimulator(**TRAINING_SIMULATOR)
#: Coarsest energy step (eV) of a measured axis inside the trained range: the broadest
#: energy resolution (FWHM) of the training spectra. A coarser axis smooths edges and
#: white lines more than any training spectrum.
MAX_STEP_EV = _TRAINED.resolution[1]
#: How far (eV) from its tabulated onset an edge of the training spectra may lie: the
#: common shift (``energy_shift``, up to 5 eV) plus its element's chemical shift (up to
#: 2 eV). An edge of one element tabulated this near another's lies where the networks saw
#: the other's in training, so they cannot tell the two apart (``overlap_warnings``; on
#: 2,000 simulated training spectra that warning fell on 51 of the 279 elements named
#: wrongly and 44 of the 2,796 named rightly, within 5 eV on 40 and 37, within 10 on 58
#: and 52); an edge tabulated this far below a window's start can rise at the start
#: (``counts_warnings`` names it).
EDGE_SHIFT_EV = max(map(abs, _TRAINED.energy_shift)) + _TRAINED.chemical_shift
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
#: The noise of the counts at the end is measured on at least this many points, and their
#: variance stands for their number only where it is over ``END_NOISE_EXCESS`` times their
#: median (a background or an offset subtracted from Poisson counts leaves their noise;
#: below, it is the median's own Poisson variance, scattered). On the 5 points of
#: ``END_EV`` at 1 eV steps, the larger of the two missed "Few counts" at 300-700 per eV
#: in 20-41 % of spectra and called 300 per eV up to 953; now in at most 3 of 300 at each
#: of 300, 500, 700 per eV, steps 0.2 and 1 eV, each called within 12 %.
END_NOISE_POINTS = 25
END_NOISE_EXCESS = 4.0
#: An edge at the window start: over the first ``ONSET_EV`` eV, or else the first
#: ``PRE_EDGE_EV``, the counts rise by over ``ONSET_SHARE`` of the window maximum and
#: ``ONSET_SIGMAS`` standard errors of the least-squares slope (noise from second
#: differences of the first ``4 * ONSET_EV`` eV). The eXSpy Mn + O spectrum cut to start
#: at 531 eV (O missed) rises 6.1 % of its maximum, 25 standard errors; every measured
#: spectrum of the shared data falls there. Over ``PRE_EDGE_EV``: La2NiO4 cut to start at
#: 526 or 528 eV (O K 532 eV: O missed, p 0.16 and 0.02) rises; at 518-524 eV, and the
#: shared spectra, not (of 2,000 simulated spectra 2.6 % rise so, 1.2 % over ``ONSET_EV``).
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
#: ``_shows_edge`` measures the noise also as it averages (``averaged_noise``), over spans
#: of a ``NOISE_SPANS``-th of the points and of at least ``NOISE_SPAN`` channels where the
#: blocks are that wide: a detector's point spread correlates the noise of neighbouring
#: channels (lag-1 correlation 0.6-0.9 in the shared data), and means over a span of 8
#: varied 2-5 times as much as the channel-to-channel noise said. Judged by that alone,
#: the edge-free pre-edge counts of the Mn + O and La2NiO4 spectra (360-450, 410-455,
#: 424-520 eV) showed an edge, as did 81-85 % of edge-free Poisson power laws on 360-450 eV
#: blurred by a point spread of 0.7 channel (sigma) and all at 1 channel or more; now none
#: of those spectra, and 0-1 % of such power laws up to 2 channels (on 225 points up to 2 %
#: at 1.5 channels, 7 % at 2; on 50: 1-4 % at 1, 13-21 % at 1.5). Of 1,000 simulated
#: spectra with the training settings, 5 showed no edge (4 before; default settings 0),
#: 5 blurred by 1 channel (0); 40-150 eV windows of the shared data holding an edge all
#: showed one, as before.
NOISE_SPANS = 32
NOISE_SPAN = 4
#: ``averaged_noise`` reads the spread of its second differences at this quantile of
#: their absolute values, not at the median: the white lines of a narrow window fill over
#: half of them (Ba M4,5 at 8 times the background on 770-820 eV: 37 times the Poisson
#: noise), and the counts were said to show no edge. With it, and ``channel_noise`` at most
#: the Poisson noise of whole-number counts, 6 of 2,400 simulated 40-60 eV windows over
#: the white lines of Ba, La, Ce, Ni, Fe, Mn, Cu, Ti (5,000 counts at the end) showed
#: none, not 30; on the edge-free spectra above, as many edges as before within 1-2 %
#: (300 of each; 50 points blurred by 1 channel 3-4 %, was 3 %), training-like simulated
#: spectra 14 of 2,000 without one (15 before).
WHITE_LINE_QUANTILE = 0.4
#: How the warning that the counts show no edge (``_shows_edge``) begins: a spectrum
#: image's typical pixel drops it when elements are present elsewhere in the image.
NO_EDGE = "The counts show no edge"
#: What a warning of ``overlap_warnings`` says after the element and its probability.
MAY_BE_ABSENT = "may be absent: each of its major edges in the window"
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
#: Counts far below zero: under ``-NEGATIVE_SHARE`` of the window maximum and
#: ``-NEGATIVE_SIGMAS`` noise sigmas (``_noise``), in over ``NEGATIVE_SHARE`` of the
#: window's points (an over-subtracted dark or background reference). The eXSpy Mn + O
#: spectrum minus 30,000 has 79 % of its points so; a background-subtracted copy of it
#: reaches -3 % of its maximum, as do the shared data's LSMO spectrum and low-loss one
#: (-0.03 %); noise alone falls under 5 sigmas in 3e-7 of points; of 2,000 simulated
#: spectra (``TRAINING_SIMULATOR``, a quarter background-subtracted) none had over 2 %.
NEGATIVE_SHARE = 0.1
NEGATIVE_SIGMAS = 5.0
#: A run of counts reading exactly 0 is dead (``dead_zeros``: a dead detector channel, or
#: an energy alignment's zero padding at an end) where the median of the
#: ``DEAD_NEIGHBOURS`` finite counts each side of it lies over ``DEAD_SIGMAS`` noise sigmas
#: above 0. Their noise is that of their second differences, from the mean absolute one
#: (their median is 0 for counts of a few distinct values, a low dose times a gain: then
#: 1-2e-4 of the zeros of Poisson counts of 0.3-1 per channel were dead), and at least the
#: Poisson noise of that median for whole-number counts, where a true 0 then has a chance
#: of e^-100 at most. The eXSpy Mn + O spectrum at 1 eV per channel with one channel at
#: 710 eV reading 0 named Fe (p 0.73); runs of 1-3 such channels every 10 eV over
#: 380-750 eV named a wrong element or lost one in 27 of 114 spectra, unwarned (now none,
#: each warned of, as for NaN); La2NiO4 padded with 15-20 eV of zeros at an end named In
#: or Cu. None of the counts of the shared data's measured spectra (7 zeros in the
#: low-loss one) nor of Poisson counts of 0.3-10 per channel, raw, times a gain or less
#: their mean, is dead.
DEAD_SIGMAS = 10.0
DEAD_NEIGHBOURS = NOISE_POINTS


def domain_warnings(
    energy: np.ndarray,
    window: np.ndarray,
    counts: np.ndarray | None = None,
    present: Collection[str] | None = None,
    committed: bool = True,
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
        present: the elements named present (``counts_warnings``).
        committed: whether the networks are the committed ones (``counts_warnings``).

    Returns:
        One sentence per finding: points dropped above the channels, a window starting
        in the zero-loss and low-loss region (with the points dropped below the channels),
        a window narrower than any trained one, a median step above ``MAX_STEP_EV``, gaps
        in the axis inside the window (``gap_indices``), then those of
        ``counts_warnings``.
    """
    energy = np.asarray(energy, dtype=float)
    warnings = []
    dropped = int(np.sum(energy >= N_CHANNELS - 0.5))
    if dropped:
        warnings.append(
            f"{dropped} points above {N_CHANNELS - 0.5:g} eV were dropped: the networks see "
            f"energy losses up to {N_CHANNELS - 1} eV only, so edges above are not identified."
        )
    if window[0] < _TRAINED.energy_min:
        below = int(np.sum(energy < -0.5))  # before channel 0: to_channels drops them
        left_out = (
            f" (its {below} points below -0.5 eV, before the 0 eV channel, were left out)"
            if below
            else ""
        )
        calibrate = (
            f"; but its axis runs {energy[0]:g}, {energy[1]:g}, ..., {energy[-1]:g} eV in "
            "steps of exactly 1, as uncalibrated detector channel numbers do: if it is "
            "uncalibrated, calibrate it first (its offset and eV per channel: #OFFSET and "
            "#XPERCHAN in an EMSA file; offset and scale of s.axes_manager.signal_axes[0] "
            "in HyperSpy), as cropping channel numbers names the elements of wrong energies"
            if is_channel_axis(energy)
            else ""
        )
        warnings.append(
            f"The spectrum starts at {energy[0]:g} eV{left_out}, below {_TRAINED.energy_min} eV "
            "where the training windows start (zero-loss and low-loss region): the networks "
            f"were not trained on it; crop the spectrum to start at {_TRAINED.energy_min} eV "
            f"or above{calibrate}."
        )
    width = int(window[1] - window[0] + 1)
    if width < _TRAINED.window_width[0]:
        kev = (
            f" All energies are below {KEV_HINT_EV:g} eV: if the axis is in keV, multiply "
            "them by 1000."
            if np.max(energy) < KEV_HINT_EV
            else ""
        )
        warnings.append(
            f"The window is {width} eV wide, narrower than the {_TRAINED.window_width[0]} eV "
            f"of the narrowest training windows: accuracy is lower; widen the window to "
            f"{_TRAINED.window_width[0]} eV or more, with {PRE_EDGE_EV} eV or more before each "
            f"edge.{kev}"
        )
    step = np.diff(energy)
    median = float(np.median(step))
    if median > MAX_STEP_EV:
        low, high = _TRAINED.resolution
        warnings.append(
            f"The energy step is {median:g} eV, coarser than the energy resolution of the "
            f"training spectra (FWHM {low:g}-{high:g} eV): edges and white lines are smoothed "
            "beyond anything the networks were trained on, so elements may be missed or "
            f"misnamed; measure or send the spectrum with a step of {MAX_STEP_EV:g} eV or finer."
        )
    inside = (energy[1:] > window[0]) & (energy[:-1] < window[1])
    gaps = [f"{energy[i]:g} to {energy[i + 1]:g} eV" for i in gap_indices(energy) if inside[i]]
    if gaps:
        more = len(gaps) - GAPS_SHOWN
        named = ", ".join(gaps[:GAPS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        warnings.append(
            f"The energy axis has no points from {named} (steps over {GAP_FACTOR} times the "
            f"median {median:g} eV and over {MAX_STEP_EV:g} eV): the counts on either side are "
            "joined across a gap, which can look like an edge, so elements with edges in or at "
            "a gap are unreliable; measure or send the missing range."
        )
    if counts is not None:
        warnings += counts_warnings(
            energy, np.asarray(counts, dtype=float), window, present, committed
        )
    return warnings


def fill_gaps(counts: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """(n, m) counts with NaN or infinite values between finite ones -> float64, those
    interpolated linearly from their finite neighbours along ``energy`` (m,)."""
    counts = counts.astype(float)
    for row in np.flatnonzero(~np.isfinite(counts).all(axis=1)):
        good = np.isfinite(counts[row])
        counts[row, ~good] = np.interp(energy[~good], energy[good], counts[row, good])
    return counts


def dead_zeros(counts: np.ndarray) -> np.ndarray:
    """(n, m) counts -> (n, m) bool: the runs of counts reading exactly 0 whose neighbours
    make a 0 implausible (``DEAD_SIGMAS``, ``DEAD_NEIGHBOURS``), each row on its own.

    Honest zeros lie where the counts are few (a low dose, Poisson counts of a few per
    channel) or scatter about 0 (a background subtracted): there the neighbours' median is
    within a few noise sigmas of 0. A run with no finite neighbour is not judged dead."""
    counts = np.where(np.isfinite(counts), counts, np.nan).astype(float)
    size = counts.shape[1]
    whole = np.all((counts == np.round(counts)) | np.isnan(counts), axis=1)
    # whole numbers of DEAD_SIGMAS**2 or fewer: no level lies DEAD_SIGMAS Poisson sigmas up
    highest = np.max(np.where(np.isnan(counts), -np.inf, counts), axis=1, initial=-np.inf)
    judged = ~whole | (highest > DEAD_SIGMAS**2)
    zero = (counts == 0) & judged[:, None]
    edges = np.diff(np.pad(zero, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)  # row-major: the k-th start and end share a run
    ends = np.nonzero(edges == -1)[1]  # one past each run's last zero
    steps = np.arange(1, DEAD_NEIGHBOURS + 1)
    sides = []
    for index in (starts[:, None] - steps[::-1], ends[:, None] - 1 + steps):  # (r, k) each
        values = counts[rows[:, None], np.clip(index, 0, size - 1)]
        sides.append(np.where((index >= 0) & (index < size), values, np.nan))
    second = np.abs(np.concatenate([v[:, 2:] - 2 * v[:, 1:-1] + v[:, :-2] for v in sides], 1))
    level = _finite_median(np.concatenate(sides, axis=1))
    with np.errstate(invalid="ignore"):  # no second difference beside a run: NaN
        mean = np.nansum(second, axis=1) / np.isfinite(second).sum(axis=1)
    noise = mean * np.sqrt(np.pi / 12)  # of Gaussian noise: E|d2| = sigma sqrt(12 / pi)
    noise = np.where(whole[rows], np.fmax(noise, np.sqrt(np.abs(level))), noise)
    dead = level > DEAD_SIGMAS * noise  # False where NaN
    marks = np.zeros((counts.shape[0], size + 1), dtype=np.int8)
    marks[rows[dead], starts[dead]] = 1
    marks[rows[dead], ends[dead]] = -1
    return np.cumsum(marks, axis=1)[:, :size] > 0


def _finite_median(values: np.ndarray) -> np.ndarray:
    """(r, k) values, NaN where there is none -> (r,) the median of each row's finite
    ones; NaN for a row of none."""
    ordered = np.sort(values, axis=1)  # NaN last
    count = np.isfinite(values).sum(axis=1)
    low = np.take_along_axis(ordered, (np.maximum(count - 1, 0) // 2)[:, None], axis=1)
    high = np.take_along_axis(ordered, (count // 2)[:, None], axis=1)
    return (low[:, 0] + high[:, 0]) / 2


def missing_channels(energy: np.ndarray, total: int, where: str = "", zeros: bool = False) -> str:
    """The sentence on channels at ``energy`` (k,), of ``total``, whose counts are NaN or
    infinite, or read 0 though their neighbours make that implausible (``zeros``:
    ``dead_zeros``), ``where`` (e.g. " in every pixel"), left out of the identification."""
    listed = ", ".join(f"{e:g}" for e in energy[:GAPS_SHOWN])
    more = f" and {energy.size - GAPS_SHOWN} more" if energy.size > GAPS_SHOWN else ""
    read = (
        f"read 0{where}, where the counts beside them lie over {DEAD_SIGMAS:g} noise sigmas "
        "above 0 (dead detector channels, or an energy alignment's zero padding?)"
        if zeros
        else f"are NaN or infinite{where} (dead detector channels?)"
    )
    return (
        f"{energy.size} of the {total} channels, at {listed}{more} eV, {read} and were left "
        "out: interpolated across between finite ones, dropped at the ends."
    )


def gap_indices(energy: np.ndarray) -> np.ndarray:
    """The gaps in ``energy`` (m,), eV, increasing: (k,) int indices i of the steps from
    ``energy[i]`` to ``energy[i + 1]`` over ``MAX_STEP_EV`` and ``GAP_FACTOR`` times the
    median step. The rule of ``domain_warnings``' gap warning and of the breaks in the
    drawn spectrum (``adaptive.figures.plot_identification``)."""
    step = np.diff(np.asarray(energy, dtype=float))
    return np.flatnonzero(step > max(GAP_FACTOR * float(np.median(step)), MAX_STEP_EV))


def counts_warnings(
    energy: np.ndarray,
    counts: np.ndarray,
    window: np.ndarray,
    present: Collection[str] | None = None,
    committed: bool = True,
) -> list[str]:
    """Sentences on faults of the counts in the window (its points and one beyond each end)
    that can name wrong elements.

    Args:
        energy: (m,) energies, eV, strictly increasing.
        counts: (m,) counts.
        window: (2,) int, the first and last channel ``to_channels`` kept.
        present: the elements that passed their thresholds: with none, an edge the counts
            show is warned of (``_unidentified_edge``); a rise over the first
            ``PRE_EDGE_EV`` eV toward an edge of theirs is not (``_rise_to_edge``). None
            when not known: some element is taken as named, none of whose edges is known.
        committed: whether the networks are the committed ones, whose measurements that
            warning quotes.

    Returns:
        One sentence per finding: counts far below zero in a share of the window
        (``NEGATIVE_SHARE``, ``NEGATIVE_SIGMAS``), spikes (``SPIKE_SIGMAS``; at steps up
        to the finest trained resolution), whole-number counts (raw counts) under the
        training spectra's fewest at the end of the window, a rise over the first
        ``ONSET_EV`` or ``PRE_EDGE_EV`` eV (``ONSET_SHARE``, ``ONSET_SIGMAS``; naming the
        major edges there or up to ``EDGE_SHIFT_EV`` below; not over ``PRE_EDGE_EV`` eV
        toward a ``present`` element's edge: ``_rise_to_edge``) or else a steep fall from a
        maximum there (``_onset_fall``), a rise over the last ``ONSET_EV`` eV with a major
        edge in the last ``PRE_EDGE_EV`` (an edge too near the end), no edge
        (``_shows_edge``) or, with none ``present``, an edge (a miscalibrated axis),
        counts rising toward high loss (``_background_rise``). The counts at the end are
        those per 1 eV of the last ``END_EV`` eV: their median, or the variance of the last
        ``END_NOISE_POINTS`` points or more where over ``END_NOISE_EXCESS`` times larger
        (Poisson counts from which a background or an offset was subtracted keep the
        noise of the counts they were).
    """
    first = max(np.searchsorted(energy, window[0] - 0.5, side="right") - 1, 0)
    covering = slice(first, np.searchsorted(energy, window[1] + 0.5) + 1)  # the window's points
    energy, counts = energy[covering], counts[covering]
    step = float(np.median(np.diff(energy)))
    raw = bool(np.all(counts == np.round(counts)))
    warnings = []
    floor = -max(NEGATIVE_SHARE * counts.max(), NEGATIVE_SIGMAS * _noise(counts))
    below = float(np.mean(counts < floor))
    if below > NEGATIVE_SHARE:
        warnings.append(
            f"{below:.0%} of the counts in the window lie far below zero (down to "
            f"{counts.min():,.0f}, the maximum being {counts.max():,.0f}): a dark or "
            "background reference was over-subtracted (or an offset added), and the networks "
            "were trained on spectra whose counts are not so; subtract the right dark "
            "reference (or remove the offset) so that the pre-edge counts are near or above "
            "zero, then identify again."
        )
    spiked = _spikes(energy, counts, raw) if step <= _TRAINED.resolution[0] else energy[:0]
    if spiked.size:
        spikes = [f"{e:g} eV" for e in spiked]
        more = len(spikes) - GAPS_SHOWN
        named = ", ".join(spikes[:GAPS_SHOWN]) + (f" and {more} more" if more > 0 else "")
        warnings.append(
            f"The counts spike at {named} (one point far above its neighbours: a cosmic "
            "ray or a detector fault), which can look like an edge; remove the spike "
            "(set it to the mean of its neighbours) before identifying."
        )
    end = counts[energy > energy[-1] - END_EV]
    level = float(np.median(end))
    variance = _noise(counts[-max(end.size, END_NOISE_POINTS) :]) ** 2
    # per 1 eV, or per point of a coarser step: its noise is what the networks see
    end = (variance if variance > END_NOISE_EXCESS * level else level) / min(step, 1.0)
    channel = "1 eV channel" if step <= 1.0 else f"{step:g} eV point"
    fewest, most = _TRAINED.counts
    if raw and end < fewest:
        warnings.append(
            f"Few counts: {max(end, 0):.0f} per {channel} at the end of the window, where "
            f"the training spectra hold {fewest:,.0f} to {most:,.0f}; their noise can hide "
            "edges or look like them: sum more frames, or the spectra of neighbouring pixels."
        )
    rising = next(  # the longer span is measured only when the shorter one does not rise
        (
            (span, rise)
            for span in (ONSET_EV, PRE_EDGE_EV)
            if (rise := _onset_rise(energy, counts, span)) > ONSET_SHARE * counts.max() > 0
        ),
        None,
    )
    if rising and rising[0] == PRE_EDGE_EV and _rise_to_edge(energy[0], present or ()):
        rising = None  # the flank of an edge with the pre-edge asked for
    fall = 0.0 if rising else _onset_fall(energy, counts)
    at_start = bool(rising) or fall > FALL_SHARE * counts.max()  # rising or past its peak
    if rising:
        span, rise = rising
        start_edges = _edges_in(  # an onset shifted up as in training rises at the start
            energy[0] - EDGE_SHIFT_EV,
            energy[0] + span,
            f"there or up to {EDGE_SHIFT_EV:g} eV below the window",
        )
        warnings.append(
            f"The counts rise by {rise / counts.max():.0%} of their maximum over the first "
            f"{span:g} eV of the window: it starts on an edge{start_edges}, "
            f"which may then be missed; include {PRE_EDGE_EV} eV or more before each edge."
        )
    elif at_start:
        warnings.append(
            f"The counts fall from a maximum in the first {ONSET_EV:g} eV of the window by "
            f"{fall / counts.max():.0%} of their maximum more than a core-loss background "
            "would: the window starts past an edge's onset, in its fine structure, so that "
            f"edge may be missed; include {PRE_EDGE_EV} eV or more before each edge."
        )
    last = counts[energy > energy[-1] - 4 * ONSET_EV].max()  # the background fell there
    end_rise = _onset_rise(energy, counts, ONSET_EV, at_end=True)
    near_end = _edges_in(energy[-1] - PRE_EDGE_EV, energy[-1])  # else fine structure rose
    ending = end_rise > ONSET_SHARE * last > 0 and bool(near_end)
    if ending:
        warnings.append(
            f"The counts rise over the last {ONSET_EV:g} eV of the window (by "
            f"{end_rise / last:.0%} of their highest over its last {4 * ONSET_EV:g} eV), which "
            f"ends fewer than {PRE_EDGE_EV} eV past an edge{near_end}: the networks were not "
            "trained to see an edge so near the window's end, so it may be missed; extend "
            f"the window {PRE_EDGE_EV} eV or more past each edge."
        )
    unspiked = ~np.isin(energy, spiked)  # a spike's square inflated the noise: no edge seen
    shows_edge = _shows_edge(energy[unspiked], counts[unspiked])
    identified = present is None or bool(present)  # None: not known, taken as named
    if shows_edge is False:
        warnings.append(
            f"{NO_EDGE}: they follow a smooth power-law background within their "
            "noise, so any element named present is the networks' guess from noise and is "
            "not to be trusted; measure a window holding an edge, with "
            f"{PRE_EDGE_EV} eV or more before it, or sum more counts."
        )
    elif shows_edge and not (identified or at_start or ending or window[0] < _TRAINED.energy_min):
        # else the edge seen is one at an end, or the low-loss region's plasmons
        warnings.append(_unidentified_edge(committed))
    growth = _background_rise(energy, counts)
    if growth > 1:
        warnings.append(
            f"The counts rise toward high energy loss (their power-law background grows "
            f"{growth:.1f}-fold over the window), the reverse of a core-loss background: are "
            "the counts reversed, or is the axis not energy loss? Pass the counts in the "
            "order of their energy losses, of a core-loss spectrum."
        )
    return warnings


def _unidentified_edge(committed: bool) -> str:
    """The warning on counts showing an edge while no element passes its threshold: the
    networks, a specimen thicker than the training ones, or a shifted axis; what the
    committed networks lost at which shifts is quoted only for them (``committed``)."""
    thin, thick = _TRAINED.thickness
    if committed:
        networks = "the networks miss that edge's element"
        shifts = (
            f" (trained on shifts of up to {max(np.abs(_TRAINED.energy_shift)):g} eV, they "
            "lost every element of three of four measured spectra at 3.4-4 eV too high, "
            "though the fourth kept its elements to 5 eV)"
        )
        other = ""
    else:
        networks = (
            "the networks, not the committed ones, miss that edge's element (as a network "
            "trained briefly or on other spectra does)"
        )
        shifts = ""
        other = (
            "; identify with the committed networks (without --weights) to tell a weak "
            "network from a faulty spectrum"
        )
    return (
        f"The counts show an edge, but no element passes its threshold: {networks}; or the "
        f"specimen is thicker than the training spectra (t/lambda {thin:g}-{thick:g}), "
        "whose plural scattering smears the edges; or the energy axis is off by a few eV"
        f"{shifts}, which puts edges where no element's lie (and can name wrong elements)"
        f"{other}; check the calibration (the zero-loss peak at 0 eV, or a known edge's "
        "onset) and the thickness (t/lambda: ln of a low-loss spectrum's total counts over "
        "its zero-loss peak's), and identify again."
    )


def overlap_warnings(
    probabilities: np.ndarray, present: np.ndarray, window: np.ndarray
) -> list[str]:
    """Sentences on elements named only for edges that lie under another named element's.

    An element named present is warned of when each of its major edges inside the window
    (``EELSIdentifier.identify`` names no element without one) lies within
    ``EDGE_SHIFT_EV`` of a major edge of an element named with a higher probability: the
    networks saw both elements' edges there in training, so the other's edge alone can
    name it (Sb M5 528 and M4 537 eV beside O K 532 eV, Co L3 779 eV beside Ba M5 781 eV).

    Args:
        probabilities: (80,) the networks' probabilities, column j for ``ELEMENTS[j]``.
        present: (80,) bool, the elements named present.
        window: (2,) int, the first and last channel (eV) of the window.

    Returns:
        One sentence per such element, the likeliest first: its edges, the edges beside
        them, and its other tabulated edges to confirm it by.
    """
    probabilities = np.asarray(probabilities, dtype=float)
    named = [ELEMENTS[j] for j in np.argsort(-probabilities) if present[j]]
    pairs = (edges_beside(element, named[:k], window) for k, element in enumerate(named))
    return [_overlap_sentence(*zip(*p, strict=True), probabilities) for p in pairs if p]


def edges_beside(
    element: str, surer: Collection[str], window: np.ndarray
) -> list[tuple[Edge, Edge]]:
    """The major edges of ``element`` inside ``window`` (2,) eV, each paired with the
    nearest major edge of the elements ``surer``, when each lies within ``EDGE_SHIFT_EV``
    of its pair (the networks cannot tell such edges apart: ``overlap_warnings``); [] when
    one lies farther or none is inside."""
    majors = [e for e in edge_table() if e.major]
    inside = [e for e in majors if e.element == element and window[0] <= e.onset_ev <= window[1]]
    others = [e for e in majors if e.element in surer]
    pairs = [(e, _nearest(e, others)) for e in inside]
    beside = all(b is not None and abs(b.onset_ev - e.onset_ev) <= EDGE_SHIFT_EV for e, b in pairs)
    return pairs if beside else []


def _nearest(edge: Edge, edges: list[Edge]) -> Edge | None:
    """Of ``edges``, the one whose onset lies nearest ``edge``'s; None when there is none."""
    return min(edges, key=lambda e: abs(e.onset_ev - edge.onset_ev), default=None)


def _overlap_sentence(
    inside: tuple[Edge, ...], beside: tuple[Edge, ...], probabilities: np.ndarray
) -> str:
    """The warning of ``overlap_warnings`` on the element of the edges ``inside`` the window,
    each lying beside the edge of ``beside`` at the same place; ``probabilities`` (80,)."""
    element = inside[0].element

    def sure(symbol: str) -> str:  # "O (p 1.00)"
        return f"{symbol} (p {probabilities[ELEMENTS.index(symbol)]:.2f})"

    covering = ", ".join(sure(y) for y in dict.fromkeys(b.element for b in beside))
    pairs = ", ".join(
        f"{_edge_words(e)} beside {_edge_words(b)}" for e, b in zip(inside, beside, strict=True)
    )
    others = sorted(
        (e for e in edge_table() if e.element == element and e not in inside),
        key=lambda e: (not e.major, e.onset_ev),
    )
    listed = [_edge_words(e) + ("" if e.major else " (minor)") for e in others[:GAPS_SHOWN]]
    more = f" and {len(others) - GAPS_SHOWN} more" if len(others) > GAPS_SHOWN else ""
    confirm = (
        f"confirm {element} by another of its edges ({', '.join(listed)}{more}): widen the "
        f"window, or measure another, to hold one {PRE_EDGE_EV} eV or more inside"
        if others
        else f"{element} has no other edge up to {N_CHANNELS - 1} eV: confirm it otherwise "
        "(by EDX, or the sample's composition)"
    )
    return (
        f"{sure(element)} {MAY_BE_ABSENT} lies within "
        f"{EDGE_SHIFT_EV:g} eV of an edge of {covering}, named with more confidence "
        f"({pairs}), and the networks, trained on edges up to {EDGE_SHIFT_EV:g} eV from their "
        f"tabulated onsets, cannot tell such edges apart; {confirm}."
    )


def channel_noise(counts: np.ndarray) -> np.ndarray:
    """(n, m) counts -> (n,) their noise per channel: the rms of the differences between
    neighbouring channels over sqrt 2, which a few edges hardly raise.

    Not ``_noise``: on white noise this scatters less (30 channels: 17 % against 27 %),
    and a median of whole-number differences is coarse, so with ``_noise`` the vacuum
    test of spectrum images found signal in 0.2-0.7 % of noise pixels of 30 channels,
    not 0.02 %."""
    return np.sqrt(np.mean(np.diff(counts, axis=1) ** 2, axis=1) / 2)


def varies_beyond_noise(
    counts: np.ndarray,
    energy: np.ndarray,
    blocks: int = SIGNAL_BLOCKS,
    noise: np.ndarray | None = None,
) -> np.ndarray:
    """(n, m) counts at ``energy`` (m,) -> (n,) bool: their least-squares slope is more than
    ``SIGNAL_SIGMAS`` standard errors from zero, or the chi-square of their ``blocks``
    block means about their mean exceeds ``SIGNAL_CHI2``, both against ``noise`` (n,), the
    noise per channel as it averages over many (``channel_noise``, white noise, if None)."""
    counts = counts.astype(float)
    noise = channel_noise(counts) if noise is None else noise
    x = energy - energy.mean()
    slope = np.abs(counts @ x) / np.sqrt(x @ x)
    parts = np.array_split(counts, min(blocks, counts.shape[1]), axis=1)
    sizes = np.array([part.shape[1] for part in parts])
    means = np.stack([part.mean(axis=1) for part in parts], axis=1)
    spread = (sizes * (means - counts.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    return (slope > SIGNAL_SIGMAS * noise) | (spread > SIGNAL_CHI2 * noise**2)


def _shows_edge(energy: np.ndarray, counts: np.ndarray) -> bool | None:
    """Whether ``counts`` (m,) at ``energy`` (m,) depart from a smooth background beyond
    their noise (``varies_beyond_noise`` over ``EDGE_BLOCKS`` blocks); None (no finding
    either way) for fewer than ``2 * EDGE_BLOCKS`` points above 0 eV.

    The background is a power law ``a E^b`` fitted to the log counts (weighted by the
    counts, as Poisson noise has it), and the departure is over the square root of the
    background (Poisson noise at any gain); where some count is not positive (a
    background subtracted) it is ``a + b ln E`` fitted to the counts. The noise is the
    departure's as it averages over spans (``NOISE_SPANS``, ``NOISE_SPAN``:
    ``averaged_noise``, noise correlated between channels) or between neighbouring
    channels (``channel_noise``, white noise), the larger; the latter at most the Poisson
    noise of whole-number counts (1 in these units): the steep flanks of white lines 5-10
    times the background raise the differences of neighbouring channels 17-27 times
    over it (``averaged_noise`` resists them: ``WHITE_LINE_QUANTILE``).
    """
    above = energy > 0
    energy, counts = energy[above], counts[above]
    if counts.size < 2 * EDGE_BLOCKS:
        return None
    poisson = np.inf  # the departure's Poisson noise, where known
    if np.all(counts > 0):
        background = _power_law(energy, counts)
        departure = (counts - background) / np.sqrt(background)
        if np.all(counts == np.round(counts)):  # counted electrons
            poisson = 1.0
    else:
        design = _log_design(energy)
        fit, *_ = np.linalg.lstsq(design, counts, rcond=None)
        departure = counts - design @ fit
    span = max(counts.size // NOISE_SPANS, min(NOISE_SPAN, counts.size // EDGE_BLOCKS))
    white = min(channel_noise(departure[None])[0], poisson)
    noise = max(white, averaged_noise(departure, span))
    return bool(varies_beyond_noise(departure[None], energy, EDGE_BLOCKS, np.array([noise]))[0])


def averaged_noise(counts: np.ndarray, span: int) -> float:
    """The noise per channel of ``counts`` (m,) as it averages: sqrt(``span``) times the
    noise of their means over ``span`` channels (``_noise`` of the means ``span`` apart at
    ``WHITE_LINE_QUANTILE``, robust to edges, white lines and slope). White noise gives
    ``channel_noise``; noise correlated over up to about ``span`` channels, which averages
    down more slowly, gives more, where the differences of neighbouring channels see only
    its uncorrelated part."""
    total = np.concatenate([[0.0], np.cumsum(counts)])
    means = (total[span:] - total[:-span]) / span  # (m - span + 1,)
    return float(np.sqrt(span) * _noise(means, span, WHITE_LINE_QUANTILE))


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


def _onset_rise(energy: np.ndarray, counts: np.ndarray, span: float, at_end: bool = False) -> float:
    """How much ``counts`` (m,) rise over the first ``span`` eV of ``energy`` (m,), or
    toward the end over its last ``span`` eV (``at_end``), by their least-squares slope;
    0 when fewer than 4 points lie there or the rise is within ``ONSET_SIGMAS`` standard
    errors (noise of the ``4 * ONSET_EV`` eV at that end)."""
    if at_end:  # the end first, on a reversed axis: a rise toward the end is a fall there
        energy, counts = -energy[::-1], counts[::-1]
    first = energy < energy[0] + span
    if first.sum() < 4:
        return 0.0
    x = energy[first] - energy[first].mean()
    slope = float(x @ counts[first] / (x @ x)) * (-1 if at_end else 1)
    noise = _noise(counts[energy < energy[0] + 4 * ONSET_EV])
    return slope * span if slope > ONSET_SIGMAS * noise / np.sqrt(x @ x) else 0.0


def _rise_to_edge(start: float, present: Collection[str]) -> bool:
    """Whether a rise over the first ``PRE_EDGE_EV`` eV of a window starting at ``start``
    eV is the flank of an edge of an element named ``present``, which has the pre-edge
    the warning asks for: a major edge of one lies ``PRE_EDGE_EV`` to ``PRE_EDGE_EV +
    EDGE_SHIFT_EV`` eV past the start, where its white line (broadened by the resolution)
    or the edge shifted down as in training rises before its onset (Ba M5 781 eV in a
    window from 769 eV: a rise of 17 % over 769-779 eV), and none lies nearer the start
    or up to ``EDGE_SHIFT_EV`` before it (Mn L3 640 eV in a window from 637 eV rises
    there, not Mn L2 651 eV)."""
    past = [e.onset_ev - start for e in edge_table() if e.major and e.element in present]
    return any(PRE_EDGE_EV <= d <= PRE_EDGE_EV + EDGE_SHIFT_EV for d in past) and not any(
        -EDGE_SHIFT_EV <= d < PRE_EDGE_EV for d in past
    )


def _edges_in(low: float, high: float, where: str = "there") -> str:
    """The major edges whose onsets lie from ``low`` to ``high`` eV, as words (" (major
    edges there: O K 532 eV)", ``where`` saying where that is), or "" when none does."""
    edges = [
        _edge_words(e)
        for e in sorted(edge_table(), key=lambda e: e.onset_ev)
        if e.major and low <= e.onset_ev <= high
    ]
    return f" (major edges {where}: {', '.join(edges)})" if edges else ""


def _edge_words(edge: Edge) -> str:
    """An edge in words: "O K 532 eV"."""
    return f"{edge.element} {edge.name} {edge.onset_ev:g} eV"


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


def _noise(counts: np.ndarray, lag: int = 1, quantile: float = 0.5) -> float:
    """The noise per point of ``counts`` (m,): the spread (1.4826 x median absolute
    deviation) of their second differences (of points ``lag`` apart: uncorrelated noise)
    over sqrt 6, which a trend hardly raises; 0 for fewer than ``2 * lag + 1`` points.
    Read at another ``quantile`` of their absolute values (scaled to the standard
    deviation of normal noise), it resists features filling more than half of them.

    Not ``channel_noise``: one spectrum's slope, edges and spikes raise the rms of its
    first differences, so with it the rise at the start of the shared LSMO spectrum
    cropped 12 eV in went unwarned, and the warnings on 9-11 % of simulated spectra
    (reversed, fewer counts, spiked, offset) changed."""
    if counts.size < 2 * lag + 1:
        return 0.0
    second = counts[2 * lag :] - 2 * counts[lag:-lag] + counts[: -2 * lag]
    spread = np.quantile(np.abs(second), quantile) / stats.norm.ppf((1 + quantile) / 2)
    return float(spread / np.sqrt(6))
