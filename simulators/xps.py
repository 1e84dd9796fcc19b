"""Synthetic XPS core-level spectra with known peak parameters, for training peak-fitting networks.

``XPSSimulator(...).sample(n, seed)`` draws a whole batch at once with numpy: a few pseudo-Voigt
components (optionally asymmetric, optionally spin-orbit doublets) on a Shirley, linear or
Tougaard background plus a constant offset, with Poisson or Gaussian noise, on a binding- or
kinetic-energy axis. The truth (centres, widths, heights, areas) is always in binding energy.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CubicSpline

from simulators.base import MAX_COUNTS, check_finite, check_seed, is_finite_real, is_int
from simulators.lineshapes import pseudo_voigt_area, xps_peak

#: Al K-alpha photon energy, eV.
PHOTON_ENERGY_AL_KA = 1486.61

#: Binding energies the measurement windows are placed in, eV.
BINDING_RANGE = (50.0, 1200.0)

#: Largest signal-to-noise ratio: the counts scale as snr ** 2 times the level of peaks
#: plus background (a few largest heights), so this keeps them far below ``MAX_COUNTS``.
MAX_SNR = MAX_COUNTS**0.5 / 1e3

#: Spin-orbit doublets (p, d, f): area of the j = l - 1/2 component relative to the j = l + 1/2
#: one, and the range the splitting is drawn from (log-uniform), eV.
DOUBLETS = (
    (1.0 / 2.0, (0.5, 20.0)),
    (2.0 / 3.0, (0.5, 12.0)),
    (3.0 / 4.0, (1.5, 6.0)),
)

#: Tougaard universal loss function constant C, eV^2.
TOUGAARD_C = 1643.0

_BACKGROUNDS = ("shirley", "linear", "tougaard")
_NOISES = ("poisson", "gaussian")
_OFFSET = (0.1, 1.0)  # constant background, in units of the largest peak height
_BACKGROUND_LEVEL = (0.05, 0.6)  # background rise across the window, same units
_REDRAWS = 20  # rounds of redrawing widths and steps for peaks that do not fit the window
_AREA_NODES = 129  # asymmetry values the asymmetric-peak area is tabulated at
_AREA_POINTS = 1024  # integration points per tabulated area


@dataclass(frozen=True)
class XPSBatch:
    """A batch of simulated XPS spectra and their truth.

    Attributes:
        energy: (n, m) energy axis as measured, strictly ascending with a uniform step per
            spectrum, eV (kinetic energy where ``kinetic``, else binding energy).
        counts: (n, m) measured (noisy) counts.
        signal: (n, m) noise-free sum of the peaks.
        background: (n, m) noise-free background.
        kinetic: (n,) the axis is kinetic energy; binding = photon_energy - energy.
        photon_energy: photon energy, eV.
        n_peaks: (n,) number of peak components (a spin-orbit doublet counts as two).
        center: (n, P) binding energies in ascending order, NaN after ``n_peaks``, eV.
        fwhm: (n, P) full widths at half maximum, eV.
        eta: (n, P) Lorentzian fractions.
        asymmetry: (n, P) asymmetry of ``xps_peak``, 1/eV (0 = symmetric).
        height: (n, P) peak heights, counts.
        area: (n, P) peak areas, counts x eV (numerical integrals for asymmetric peaks).
        snr: (n,) largest peak height / noise standard deviation at its top.
    """

    energy: np.ndarray
    counts: np.ndarray
    signal: np.ndarray
    background: np.ndarray
    kinetic: np.ndarray
    photon_energy: float
    n_peaks: np.ndarray
    center: np.ndarray
    fwhm: np.ndarray
    eta: np.ndarray
    asymmetry: np.ndarray
    height: np.ndarray
    area: np.ndarray
    snr: np.ndarray

    def binding_energy(self) -> np.ndarray:
        """Binding-energy axis in stored order (descending for kinetic-axis spectra).

        Returns:
            (n, m) binding energies, eV.
        """
        return np.where(self.kinetic[:, None], self.photon_energy - self.energy, self.energy)


def _check_range(name: str, value, low: float, high: float, *, positive: bool = False) -> None:
    """Raise unless ``value`` is a pair ``(a, b)`` of finite reals, ``low <= a <= b <= high``."""
    try:
        a, b = value
    except (TypeError, ValueError):
        a = b = None
    if not (is_finite_real(a) and is_finite_real(b)):
        raise ValueError(
            f"{name} must be a (low, high) pair of finite numbers, got {value!r}; pass such a pair"
        )
    if not (low <= a <= b <= high) or (positive and a <= 0):
        bound = "0 < low" if positive else f"{low} <= low"
        raise ValueError(
            f"{name} must satisfy {bound} <= high <= {high}, got {value!r}; pass such a pair"
        )


def _check_choices(name: str, value, choices: tuple[str, ...]) -> None:
    """Raise unless ``value`` is a non-empty sequence of distinct names from ``choices``."""
    if isinstance(value, str) or not value or set(value) - set(choices):
        raise ValueError(
            f"{name} must be a non-empty sequence drawn from {choices}, got {value!r}; "
            f"pass e.g. {choices[:1]}"
        )
    if len(set(value)) != len(value):
        raise ValueError(f"{name} lists a name twice: {value!r}; list each once")


def _check_fraction(name: str, value: float) -> None:
    if not (is_finite_real(value) and 0.0 <= value <= 1.0):
        raise ValueError(f"{name} must lie in [0, 1], got {value!r}; pass a probability")


class XPSSimulator:
    """Random XPS core-level spectra with known components.

    Each spectrum draws: the number of components (uniform in ``peaks``); with probability
    ``doublet_fraction`` they come as spin-orbit doublets (p, d or f: shared width, shape and
    splitting, area ratio 1:2, 2:3 or 3:4, the lower-binding-energy component the larger; the
    number of components is made even, or the spectrum stays singlets if ``peaks`` allows no
    even number); per line a FWHM, a Lorentzian fraction and, with probability
    ``asymmetric_fraction``, an asymmetry; a step and a window of ``n_points`` points at a
    random binding energy in ``BINDING_RANGE``. Centres lie at least 2 x the spectrum's largest
    FWHM inside the window and neighbouring centres at least ``min_separation`` x their mean
    FWHM apart; spectra whose lines do not fit are redrawn (widths, step, splitting) up to 20
    times, after which their widths and splitting are scaled down until they fit. One line is
    the largest (height factor 1), the others are scaled by a factor in ``relative_height``. The
    background is one of ``backgrounds`` plus a constant offset of 0.1-1 x the largest height:
    "shirley" rises with the cumulative peak signal towards higher binding energy, "linear" is a
    straight line of either sign, "tougaard" is the signal convolved with the universal loss
    function ``T / (TOUGAARD_C + T^2)^2`` on the high-binding-energy side; each changes by
    0.05-0.6 x the largest height from one end of the window to the other (a Tougaard
    background can peak inside a window much wider than its ~23 eV loss maximum). The noise
    is one of ``noise`` with a log-uniform signal-to-noise ratio in ``snr``: the counts are
    scaled so that the largest height over the square root of the counts at its top equals
    it, then "poisson" draws Poisson counts and "gaussian" adds normal noise of deviation
    height / snr (counts can then be negative). Kinetic-axis spectra (probability
    ``kinetic_fraction``) are stored ascending in kinetic energy, i.e. reversed relative to
    binding energy.
    """

    def __init__(
        self,
        n_points: int = 300,
        peaks: tuple[int, int] = (1, 5),
        fwhm: tuple[float, float] = (0.5, 3.0),
        min_separation: float = 0.5,
        snr: tuple[float, float] = (20.0, 200.0),
        relative_height: tuple[float, float] = (0.25, 1.0),
        step: tuple[float, float] = (0.05, 0.2),
        eta: tuple[float, float] = (0.0, 1.0),
        asymmetric_fraction: float = 0.0,
        asymmetry: tuple[float, float] = (0.0, 0.4),
        doublet_fraction: float = 0.3,
        backgrounds: Sequence[str] = _BACKGROUNDS,
        noise: Sequence[str] = _NOISES,
        kinetic_fraction: float = 0.5,
        photon_energy: float = PHOTON_ENERGY_AL_KA,
    ) -> None:
        """Store and check the sampling settings.

        Args:
            n_points: points per spectrum m (>= 2).
            peaks: (low, high) number of components, 1 <= low <= high <= 8.
            fwhm: (low, high) FWHM range, eV (> 0).
            min_separation: minimum distance of neighbouring centres in units of their mean
                FWHM (>= 0).
            snr: (low, high) signal-to-noise range (> 0, <= ``MAX_SNR``), drawn log-uniform.
            relative_height: (low, high) height factors of the non-largest lines, in (0, 1].
            step: (low, high) energy step range, eV (> 0).
            eta: (low, high) Lorentzian fraction range within [0, 1].
            asymmetric_fraction: probability that a line is asymmetric.
            asymmetry: (low, high) asymmetry range of asymmetric lines, 1/eV (>= 0).
            doublet_fraction: probability that a spectrum's lines are spin-orbit doublets.
            backgrounds: background kinds to choose from: "shirley", "linear", "tougaard".
            noise: noise kinds to choose from: "poisson", "gaussian".
            kinetic_fraction: probability that a spectrum is stored on a kinetic-energy axis.
            photon_energy: photon energy, eV (> 1200, the top of ``BINDING_RANGE``).
        """
        if not is_int(n_points) or n_points < 2:
            raise ValueError(f"n_points must be an int >= 2, got {n_points!r}")
        _check_range("peaks", peaks, 1, 8)
        if any(int(k) != k for k in peaks):
            raise ValueError(f"peaks must be a pair of ints, got {peaks!r}; pass e.g. (1, 5)")
        _check_range("fwhm", fwhm, 0.0, np.inf, positive=True)
        check_finite("min_separation", min_separation, nonnegative=True)
        _check_range("snr", snr, 0.0, MAX_SNR, positive=True)
        _check_range("relative_height", relative_height, 0.0, 1.0, positive=True)
        _check_range("step", step, 0.0, np.inf, positive=True)
        _check_range("eta", eta, 0.0, 1.0)
        _check_fraction("asymmetric_fraction", asymmetric_fraction)
        _check_range("asymmetry", asymmetry, 0.0, np.inf)
        _check_fraction("doublet_fraction", doublet_fraction)
        _check_choices("backgrounds", backgrounds, _BACKGROUNDS)
        _check_choices("noise", noise, _NOISES)
        _check_fraction("kinetic_fraction", kinetic_fraction)
        if not (is_finite_real(photon_energy) and photon_energy > BINDING_RANGE[1]):
            raise ValueError(
                f"photon_energy must be a number above {BINDING_RANGE[1]} eV, got "
                f"{photon_energy!r}; pass e.g. PHOTON_ENERGY_AL_KA"
            )
        widest = (n_points - 1) * step[1]
        if widest >= BINDING_RANGE[1] - BINDING_RANGE[0]:
            raise ValueError(
                f"windows of (n_points - 1) x step = {widest} eV do not fit in {BINDING_RANGE} "
                "eV; reduce n_points or step"
            )
        self.n_points = n_points
        self.peaks = peaks
        self.fwhm = fwhm
        self.min_separation = min_separation
        self.snr = snr
        self.relative_height = relative_height
        self.step = step
        self.eta = eta
        self.asymmetric_fraction = asymmetric_fraction
        self.asymmetry = asymmetry
        self.doublet_fraction = doublet_fraction
        self.backgrounds = backgrounds
        self.noise = noise
        self.kinetic_fraction = kinetic_fraction
        self.photon_energy = photon_energy

    def sample(self, n: int, seed: int) -> XPSBatch:
        """Draw a batch of spectra.

        Args:
            n: number of spectra (>= 1).
            seed: non-negative int seed of the random generator; the same seed gives the same batch.

        Returns:
            The spectra and their truth, P = ``peaks[1]`` component columns.
        """
        if not is_int(n) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        rng = np.random.default_rng(check_seed(seed))
        m, units_max = self.n_points, int(self.peaks[1])
        rows = np.arange(n)

        n_peaks, doublet = self._draw_counts(rng, n)
        units = np.where(doublet, n_peaks // 2, n_peaks)
        unit_valid = np.arange(units_max) < units[:, None]
        orbital = rng.integers(0, len(DOUBLETS), n)
        ratio = np.array([d[0] for d in DOUBLETS])[orbital]
        step, widths, splitting = self._draw_fitting_widths(rng, units, doublet, orbital)
        window = (m - 1) * step
        gaps, margin, free, spread = _geometry(
            widths, units, splitting, doublet, window, self.min_separation
        )

        # Unit (line or doublet) positions: sorted uniform offsets plus the minimum gaps.
        reach = np.where(doublet, np.minimum(free, spread), free)
        offsets = np.where(unit_valid, rng.random((n, units_max)), 2.0)  # unused slots last
        offsets = np.sort(offsets, axis=1) * reach[:, None]
        shift = rng.random(n) * (free - reach)
        low = rng.uniform(BINDING_RANGE[0], BINDING_RANGE[1] - window)
        cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(gaps, axis=1)], axis=1)
        position = (low + margin + shift)[:, None] + offsets + cumulative

        unit_eta = rng.uniform(*self.eta, (n, units_max))
        asymmetric = rng.random((n, units_max)) < self.asymmetric_fraction
        unit_asymmetry = np.where(asymmetric, rng.uniform(*self.asymmetry, (n, units_max)), 0.0)
        factor = rng.uniform(*self.relative_height, (n, units_max))
        largest = rng.integers(0, units)
        factor[rows, largest] = 1.0

        # Components: doublet spectra list the main lines, then their partners at +splitting.
        slot = np.arange(units_max)
        valid = slot < n_peaks[:, None]
        partner = doublet[:, None] & (slot >= units[:, None])
        unit = np.where(valid, np.where(partner, slot - units[:, None], slot), 0)

        def per_component(values: np.ndarray) -> np.ndarray:
            return np.where(valid, np.take_along_axis(values, unit, axis=1), np.nan)

        center = per_component(position) + np.where(partner, splitting[:, None], 0.0)
        fwhm, eta, asymmetry = (per_component(v) for v in (widths, unit_eta, unit_asymmetry))
        relative = per_component(factor) * np.where(partner, ratio[:, None], 1.0)

        binding = low[:, None] + step[:, None] * np.arange(m)
        signal = np.zeros((n, m))
        for p in range(units_max):
            on = valid[:, p]
            signal[on] += relative[on, p, None] * _peak(
                binding[on],
                center[on, p, None],
                fwhm[on, p, None],
                eta[on, p, None],
                asymmetry[on, p, None],
            )
        background = self._background(rng, signal, step)

        # Scale so that height / sqrt(mean counts at the largest peak's top) = snr.
        top = position[rows, largest]
        at_top = np.where(
            valid, relative * _peak(top[:, None], center, fwhm, eta, asymmetry), 0.0
        ).sum(axis=1)
        index = np.clip(((top - low) / step).astype(int), 0, m - 2)
        frac = (top - binding[rows, index]) / step
        at_top += (1 - frac) * background[rows, index] + frac * background[rows, index + 1]
        snr = np.exp(rng.uniform(*np.log(self.snr), n))
        scale = snr**2 * at_top
        signal *= scale[:, None]
        background *= scale[:, None]
        counts = self._noise(rng, signal + background, scale / snr)

        height = relative * scale[:, None]
        area = _area(height, fwhm, eta, asymmetry)
        kinetic = rng.random(n) < self.kinetic_fraction
        flip = kinetic[:, None]
        energy = np.where(flip, self.photon_energy - binding[:, ::-1], binding)
        counts, signal, background = (
            np.where(flip, x[:, ::-1], x) for x in (counts, signal, background)
        )
        return XPSBatch(
            energy=energy,
            counts=counts,
            signal=signal,
            background=background,
            kinetic=kinetic,
            photon_energy=float(self.photon_energy),
            n_peaks=n_peaks,
            center=center,
            fwhm=fwhm,
            eta=eta,
            asymmetry=asymmetry,
            height=height,
            area=area,
            snr=snr,
        )

    def _draw_counts(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Number of components (n,) and doublet flags (n,); doublet spectra get an even count."""
        low, high = int(self.peaks[0]), int(self.peaks[1])
        n_peaks = rng.integers(low, high + 1, n)
        doublet = rng.random(n) < self.doublet_fraction
        even = np.where(
            n_peaks % 2 == 0, n_peaks, np.where(n_peaks < high, n_peaks + 1, n_peaks - 1)
        )
        doublet &= even >= max(low, 2)
        return np.where(doublet, even, n_peaks), doublet

    def _draw_fitting_widths(
        self,
        rng: np.random.Generator,
        units: np.ndarray,
        doublet: np.ndarray,
        orbital: np.ndarray,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Steps (n,), line widths (n, U) and doublet splittings (n,) whose lines fit the window,
        for units (n,) lines or doublets per spectrum, doublet (n,) flags and orbital (n,) rows
        of ``DOUBLETS``.

        Spectra that do not fit are redrawn; after ``_REDRAWS`` rounds the rest have their
        splitting raised to the minimum separation and everything scaled down to fit.
        """
        n, units_max = units.size, int(self.peaks[1])
        step, widths, splitting = np.empty(n), np.empty((n, units_max)), np.zeros(n)
        split_range = np.log(np.array([d[1] for d in DOUBLETS]))[orbital]
        todo = np.arange(n)
        for _ in range(_REDRAWS):
            step[todo] = rng.uniform(*self.step, todo.size)
            widths[todo] = rng.uniform(*self.fwhm, (todo.size, units_max))
            log_split = rng.uniform(split_range[todo, 0], split_range[todo, 1])
            splitting[todo] = np.where(doublet[todo], np.exp(log_split), 0.0)
            gaps, margin, free, spread = _geometry(
                widths[todo],
                units[todo],
                splitting[todo],
                doublet[todo],
                (self.n_points - 1) * step[todo],
                self.min_separation,
            )
            misfit = (free < 0) | (spread < 0)
            todo = todo[misfit]
            if todo.size == 0:
                return step, widths, splitting
        gaps, margin, spread = gaps[misfit], margin[misfit], spread[misfit]
        # Doublets too close to their partners get the minimum splitting.
        splitting[todo] -= np.where(doublet[todo], np.minimum(spread, 0.0), 0.0)
        need = 2 * margin + splitting[todo] + gaps.sum(axis=1)
        shrink = np.minimum(1.0, (self.n_points - 1) * step[todo] / need)
        widths[todo] *= shrink[:, None]
        splitting[todo] *= shrink
        return step, widths, splitting

    def _background(
        self, rng: np.random.Generator, signal: np.ndarray, step: np.ndarray
    ) -> np.ndarray:
        """Background (n, m) in units of the largest peak height, for signals on ascending
        binding-energy axes with steps (n,)."""
        n, m = signal.shape
        kind = np.array(self.backgrounds)[rng.integers(0, len(self.backgrounds), n)]
        offset = rng.uniform(*_OFFSET, n)
        level = rng.uniform(*_BACKGROUND_LEVEL, n)
        rising = rng.random(n) < 0.5
        shape = np.zeros((n, m))

        shirley = kind == "shirley"
        cumulative = np.cumsum(signal[shirley], axis=1)
        shape[shirley] = cumulative / cumulative[:, -1:]

        linear = kind == "linear"
        ramp = np.linspace(0.0, 1.0, m)
        shape[linear] = np.where(rising[linear, None], ramp, ramp[::-1])

        tougaard = kind == "tougaard"
        loss = step[tougaard, None] * np.arange(m)
        k = loss / (TOUGAARD_C + loss**2) ** 2
        spectrum = np.fft.rfft(signal[tougaard], 2 * m) * np.fft.rfft(k, 2 * m)
        losses = np.fft.irfft(spectrum, 2 * m)[:, :m]
        shape[tougaard] = np.maximum(losses / losses[:, -1:], 0.0)
        return offset[:, None] + level[:, None] * shape

    def _noise(self, rng: np.random.Generator, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
        """Noisy counts (n, m) around ``mean`` (n, m); Gaussian noise has deviation std (n,)."""
        kind = np.array(self.noise)[rng.integers(0, len(self.noise), mean.shape[0])]
        counts = mean.copy()
        poisson = kind == "poisson"
        if poisson.any() and mean[poisson].max() > MAX_COUNTS:  # degenerate shapes, see MAX_SNR
            raise ValueError(
                f"snr {self.snr!r} makes expected counts of {mean[poisson].max():g}, above the "
                f"{MAX_COUNTS:g} numpy's Poisson sampler takes; lower snr (counts grow as snr ** 2)"
            )
        counts[poisson] = rng.poisson(mean[poisson])
        gaussian = ~poisson
        counts[gaussian] += rng.normal(size=mean[gaussian].shape) * std[gaussian, None]
        return counts


def _peak(
    e: np.ndarray, center: np.ndarray, fwhm: np.ndarray, eta: np.ndarray, asymmetry: np.ndarray
) -> np.ndarray:
    """``xps_peak`` (broadcast shapes) without warnings where a steep asymmetric side
    overflows: the peak correctly underflows to 0 there."""
    with np.errstate(over="ignore", divide="ignore"):
        return xps_peak(e, center, fwhm, eta, asymmetry)


def _geometry(
    widths: np.ndarray,
    units: np.ndarray,
    splitting: np.ndarray,
    doublet: np.ndarray,
    window: np.ndarray,
    min_separation: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Room left for placing lines in their windows.

    Args:
        widths: (n, U) FWHM of each line (or doublet), in slot order.
        units: (n,) number of lines in use.
        splitting: (n,) doublet splitting, eV (0 for singlets).
        doublet: (n,) whether the lines are doublets.
        window: (n,) window widths, eV.
        min_separation: minimum centre distance in units of the mean FWHM of two neighbours.

    Returns:
        gaps (n, U - 1) minimum distances between neighbouring lines (0 past ``units``);
        margin (n,) distance of every centre from the window edges, 2 x the largest FWHM;
        free (n,) window length left after the margins, gaps and splitting (< 0: no fit);
        spread (n,) how far the main lines of a doublet spectrum may spread beyond their
        minimum gaps before they meet the partner lines (< 0: no fit; ``free`` for singlets).
    """
    slot = np.arange(widths.shape[1])
    pair = slot[1:] < units[:, None]
    gaps = np.where(pair, min_separation * (widths[:, :-1] + widths[:, 1:]) / 2, 0.0)
    margin = 2 * np.where(slot < units[:, None], widths, 0.0).max(axis=1)
    free = window - 2 * margin - splitting - gaps.sum(axis=1)
    cross = min_separation * (widths[:, 0] + widths[np.arange(units.size), units - 1]) / 2
    spread = np.where(doublet, splitting - cross - gaps.sum(axis=1), free)
    return gaps, margin, free, spread


def _area(
    height: np.ndarray, fwhm: np.ndarray, eta: np.ndarray, asymmetry: np.ndarray
) -> np.ndarray:
    """Peak areas (n, P), analytic for symmetric peaks and numerical for asymmetric ones.

    The area of ``xps_peak`` is ``height x fwhm x A(asymmetry x fwhm, eta)``; A is integrated
    on a tan-mapped grid (finite integrand even for Lorentzian tails) at ``_AREA_NODES``
    values of ``asymmetry x fwhm`` and interpolated with a cubic spline (relative error
    below 1e-5; largest, ~7e-6, for nearly Lorentzian lines of small asymmetry x fwhm).
    """
    area = pseudo_voigt_area(height, fwhm, eta)
    skewed = asymmetry > 0
    if skewed.any():
        reduced = asymmetry[skewed] * fwhm[skewed]
        nodes = np.linspace(0.0, reduced.max(), _AREA_NODES)
        theta = (np.arange(_AREA_POINTS) + 0.5) / _AREA_POINTS * np.pi - np.pi / 2
        x = np.tan(theta)
        weight = np.pi / _AREA_POINTS / np.cos(theta) ** 2
        per_fwhm = [
            (_peak(x, 0.0, 1.0, shape, nodes[:, None]) * weight).sum(axis=1) for shape in (1.0, 0.0)
        ]
        lorentz, gauss = (CubicSpline(nodes, a)(reduced) for a in per_fwhm)
        e = eta[skewed]
        area[skewed] = height[skewed] * fwhm[skewed] * (e * lorentz + (1 - e) * gauss)
    return area
