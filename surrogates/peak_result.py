"""The outcome of fitting peaks to one photoemission spectrum, shared by every peak fitter."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

import numpy as np
import scipy.optimize
from matplotlib.figure import Figure

from adaptive.arrays import is_finite_real
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak

#: Largest |count| the fit statistics take: their sums of squares overflow near 1e154.
MAX_COUNTS = 1e100
#: Smallest largest |count| of a non-zero spectrum: squares underflow to 0 below 1e-154.
MIN_COUNTS = 1e-100
#: Most groups of points of similar level whose noise ``noise_profile`` fits its model to.
PROFILE_BINS = 8
#: Fewest points in each of those groups: the median absolute deviation of 5 fourth
#: differences (correlated, of neighbouring points) scatters by 65 % about 0.88 of their
#: std, of 12 by 45 % about 0.98.
PROFILE_GROUP_POINTS = 12
#: Fewest points whose noise a fit's reduced chi-square can rest on: estimated from fewer,
#: it scatters so that the true line's chi-square reads 0.5-1.7 (10th-90th percentile) at
#: 51 points, 0.6-1.3 at 101; a warning says so (``PeakFitResult.from_model``).
NOISE_POINTS = 100
#: Rounds of ``noise_profile``'s fit.
PROFILE_ROUNDS = 3
#: Spectra whose ``noise_profile`` is kept for the next call.
PROFILES_KEPT = 64
#: Least share of the rise Poisson counts' noise would have over a spectrum (log std, from
#: its lowest level to its highest) that its ``noise_profile`` must rise for the noise to
#: grow with the counts (``noise_grows_with_counts``).
COUNTS_RISE = 0.5
#: Colours of the fitted peaks in a figure: matplotlib's default cycle without the
#: envelope's C3 and the background's C7.
PEAK_COLOURS = ("C0", "C1", "C2", "C4", "C5", "C6", "C8", "C9")
#: A region name: a plain identifier, so that ``area_<name>`` is one too.
_REGION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: Region names whose features would be named like ``area_ratio_i`` or like another
#: region's ``area_fraction_<name>``.
_CLASHING_NAME = re.compile(r"ratio_[0-9]+|fraction_.*")
_REGIONS_EXAMPLE = '{"main": [930, 936], "sat": [938, 946]}'
#: A region with both ends above 0 and at most this (the top of XPS binding energies in
#: keV) and narrower than ``KEV_WIDTH`` reads as one typed in keV (``check_regions``).
KEV_TOP = 1.5
#: eV; no XPS region is narrower than a couple of energy steps (0.05-0.1 eV each).
KEV_WIDTH = 0.1


def estimate_noise(counts: np.ndarray) -> float:
    """Standard deviation of white noise on a smooth spectrum.

    Fourth differences of white noise of std ``sigma`` have std ``sqrt(70) sigma``, while
    those of a peak a few points wide are already small; their median absolute deviation
    also ignores the few points where the narrowest peaks still curve. Sparse counts (most
    channels 0 or 1) make most fourth differences exactly 0 and so the deviation 0; then
    their root mean square is used.

    Args:
        counts: (m,) spectrum.

    Returns:
        Noise std in the units of ``counts``; 0 for a noise-free straight line or m < 5.
    """
    fourth = np.diff(np.asarray(counts, dtype=float), 4)
    if fourth.size == 0:
        return 0.0
    return float(_spreads(fourth[None])[0] / np.sqrt(70.0))


def noise_profile(counts: np.ndarray) -> np.ndarray:
    """Standard deviation (m,) of the noise at each point, as ``sqrt(a + b * level)``:
    white noise ``a`` plus noise growing with the counts ``b * level`` (Poisson counts, at
    any gain), ``level`` the mean of the counts over the 5 points around each.

    ``a`` and ``b`` (both >= 0) are fitted, by non-negative least squares relative to the
    model, to the noise of ``PROFILE_BINS`` groups of points of similar level, each the
    median absolute deviation of their fourth differences (as in ``estimate_noise``) over
    the last round's model, so a group spanning a steep peak's levels is measured at its
    mean (``PROFILE_ROUNDS`` rounds), of at least ``PROFILE_GROUP_POINTS`` points each
    (fewer groups on a short spectrum). One level for all points (a flat spectrum), or too
    few points for 2 groups (m under 28), gives ``estimate_noise`` everywhere. On Poisson counts of
    a 20-eV window with one line 200 to 100,000 counts high, the true model's reduced
    chi-square against it is 0.99-1.04, against ``estimate_noise`` 1.06-15.7.

    Args:
        counts: (m,) spectrum.

    Returns:
        (m,) read-only, kept for the next call with the same counts (a fit compares many
        models of one spectrum).
    """
    return _noise_profile(np.ascontiguousarray(counts, dtype=float).tobytes())


def noise_grows_with_counts(counts: np.ndarray) -> bool:
    """Whether the noise of ``counts`` (m,) grows with them as Poisson counts': its
    ``noise_profile`` rises, from the lowest level (5-point means, at least 1) to the
    highest, by at least ``COUNTS_RISE`` of the rise in log std that counts would have.

    The profile of noise of one level is flat only up to its fit's scatter: for a line
    5,000 counts over 200 under Gaussian noise it rose by up to 25 %, where counts would
    rise 5x. Poisson counts fitted as such weight their points ``1 / sqrt(counts)``.
    """
    y = np.asarray(counts, dtype=float)
    if y.size < 5:
        return False
    level = np.maximum(_levels(y), 1.0)
    profile = noise_profile(y)
    if profile.min() <= 0:  # no noise (constant or noise-free counts): nothing grows
        return False
    rise = np.log(profile.max() / profile.min())
    return bool(rise > 0 and rise >= COUNTS_RISE * 0.5 * np.log(level.max() / level.min()))


def _levels(y: np.ndarray) -> np.ndarray:
    """The mean of ``y`` (m,) over the 5 points around each: (m - 4,)."""
    return np.convolve(y, np.ones(5) / 5, mode="valid")


@functools.lru_cache(maxsize=PROFILES_KEPT)
def _noise_profile(counts: bytes) -> np.ndarray:
    profile = _fit_noise_profile(np.frombuffer(counts))
    profile.setflags(write=False)
    return profile


def _fit_noise_profile(y: np.ndarray) -> np.ndarray:
    """``noise_profile`` of ``y`` (m,), computed."""
    flat = np.full(y.size, estimate_noise(y))
    bins = min(PROFILE_BINS, (y.size - 4) // PROFILE_GROUP_POINTS)
    if bins < 2:
        return flat
    level = np.maximum(_levels(y), 0.0)
    fourth = np.diff(y, 4)  # as ``level``: of the 5 points around each
    size = level.size // bins  # equal groups; the lowest few points left out
    groups = np.argsort(level, kind="stable")[-size * bins :].reshape(bins, -1)
    means = level[groups].mean(axis=1)
    if np.ptp(means) == 0:
        return flat
    variance = np.ones_like(level)  # the model's shape; first: one level
    for _ in range(PROFILE_ROUNDS):
        modelled = variance[groups].mean(axis=1)
        spreads = _spreads((fourth / np.sqrt(70 * variance))[groups]) ** 2 * modelled
        if spreads.max() == 0:
            return flat
        scale = modelled * float(np.mean(spreads / modelled))
        design = np.stack([np.ones_like(means), means], axis=1) / scale[:, None]
        (a, b), _ = scipy.optimize.nnls(design, spreads / scale)
        variance = np.maximum(a + b * level, max(a + b * level.max(), 1e-300) * 1e-9)
    local = np.pad(np.maximum(level, b), 2, mode="edge")  # at least one count, of gain b
    profile = np.sqrt(a + b * local)
    return profile if profile.min() > 0 else flat


def _spreads(values: np.ndarray) -> np.ndarray:
    """The normal-consistent median absolute deviation of each row of ``values`` (g, k), or,
    where that is 0 (sparse counts: most values exactly 0), the row's root mean square:
    (g,)."""
    deviation = np.abs(values - np.median(values, axis=1, keepdims=True))
    mad = 1.4826 * np.median(deviation, axis=1)
    return np.where(mad > 0, mad, np.sqrt(np.mean(values**2, axis=1)))


def _json_float(value: float) -> float | None:
    """``value`` as a JSON number, NaN and inf as None."""
    return float(value) if math.isfinite(value) else None


def check_regions(regions: Any) -> dict[str, tuple[float, float]]:
    """``regions`` as ``{name: (low, high)}`` binding-energy windows, eV.

    Args:
        regions: a mapping of plain identifiers to ``[low, high]`` pairs of finite numbers,
            low < high, e.g. ``{"main": [930, 936], "sat": [938, 946]}``; windows may overlap.

    A window that reads as keV is refused: both ends above 0 and at most ``KEV_TOP`` (1.5,
    the top of XPS binding energies in keV) and narrower than ``KEV_WIDTH`` (0.1 eV,
    narrower than any XPS region), such as ``[0.938, 0.946]``; a valence-band ``[0, 3]`` or
    a Fermi-edge ``[-0.5, 0.5]`` or ``[-0.03, 0.03]`` is taken (no binding energy in keV is
    negative). A wider window typed in keV (``[0.9, 1.05]``) passes here and is warned of
    when a spectrum's window misses it.

    Raises:
        InvalidParameterError: not a mapping, or an entry (named) whose name is not a plain
            identifier (or is ``ratio_<i>`` or ``fraction_...``, whose features would clash
            with others) or whose window is not such a pair, or reads as keV.
    """
    if not isinstance(regions, dict):
        raise InvalidParameterError(
            f"regions is a mapping of names to [low, high] binding-energy windows (eV) such "
            f"as {_REGIONS_EXAMPLE}, got {regions!r}"
        )
    checked = {}
    for name, window in regions.items():
        if not isinstance(name, str) or not _REGION_NAME.fullmatch(name):
            problem = "its name is not a plain identifier (a letter or _, then letters, digits, _)"
        elif _CLASHING_NAME.fullmatch(name):
            problem = "its features would clash with area_ratio_i or area_fraction_<name>"
        elif not (
            (isinstance(window, list | tuple) or getattr(window, "ndim", None) == 1)
            and len(window) == 2
            and all(map(is_finite_real, window))
        ):
            problem = "it is not a [low, high] pair of finite binding energies (eV)"
        elif window[0] >= window[1]:
            problem = "its low end is not below its high end"
        elif 0 < window[0] and window[1] <= KEV_TOP and window[1] - window[0] < KEV_WIDTH:
            problem = (
                f"it reads as keV (its ends are at most {KEV_TOP:g} and it is "
                f"{window[1] - window[0]:.3g} eV wide, narrower than any XPS region): regions "
                "are binding energies in eV; if the regions are in keV, give them in eV "
                f"([{window[0] * 1000:g}, {window[1] * 1000:g}])"
            )
        else:
            checked[name] = (float(window[0]), float(window[1]))
            continue
        raise InvalidParameterError(
            f"regions entry {name!r}: {window!r}: {problem}; give regions such as "
            f"{_REGIONS_EXAMPLE}"
        )
    return checked


class Estimate(NamedTuple):
    """A fitted value and its standard error (NaN when unknown)."""

    value: float
    err: float = math.nan


@dataclass(frozen=True)
class FittedPeak:
    """One fitted peak.

    Attributes:
        center: binding energy of the maximum, eV.
        fwhm: full width at half maximum, eV; of an asymmetric line, the line shape's width
            at its centre (``xps_peak``'s ``fwhm``), which its tail widens: the drawn line's
            width at half maximum is 8 % more at asymmetry 0.6 /eV and 2 eV (measured Co
            metal 2p1/2), 20 % more at 0.24 /eV and 9.7 eV.
        height: peak height above the background, counts.
        area: integrated intensity, counts x eV.
        eta: Lorentzian fraction in [0, 1].
        asymmetry: tail parameter of ``simulators.lineshapes.xps_peak``, 1/eV (0 = symmetric).
        center_err, fwhm_err, area_err: standard errors, NaN when unknown; they assume
            the noise the fit was weighted for: Poisson counts, or noise of one level where
            it was unweighted (``poisson_weights=False``, or ``noise_grows_with_counts``
            false).
    """

    center: float
    fwhm: float
    height: float
    area: float
    eta: float
    asymmetry: float
    center_err: float = math.nan
    fwhm_err: float = math.nan
    area_err: float = math.nan

    def to_dict(self) -> dict:
        """JSON-ready fields; unknown errors become None."""
        return {key: _json_float(value) for key, value in asdict(self).items()}


@dataclass(frozen=True)
class PeakFitResult:
    """Peaks, background and fit quality of one spectrum.

    Build it with ``PeakFitResult.from_model``, which sorts the peaks and computes the
    statistics.

    Attributes:
        binding_energy: (m,) ascending binding energies, eV.
        counts: (m,) measured spectrum.
        peaks: fitted peaks sorted by centre.
        background: (m,) fitted or subtracted background.
        model: (m,) background plus all peaks.
        method: name of the fitter, e.g. ``"pipeline"`` or ``"lmfit_naive"``.
        reduced_chi2: the residuals over the noise estimated from the data at each point
            (``noise_profile``), squared and summed per degree of freedom (about 1 for a fit
            that explains everything but the noise, Poisson counts of any height included;
            NaN when there are no degrees of freedom or no noise).
        r_squared: 1 - residual sum of squares / total sum of squares.
        n_params: number of fitted parameters, background included.
        splitting: common spin-orbit splitting of a doublet fit, eV (None otherwise).
        ratio: common partner / main area ratio of a doublet fit (None otherwise).
        warnings: sentences on what the fit may have left out (e.g. peaks beyond the
            fitter's ``max_peaks``) or on a spectrum too short to estimate its noise
            (``NOISE_POINTS``); empty when there is nothing to say.
    """

    binding_energy: np.ndarray
    counts: np.ndarray
    peaks: tuple[FittedPeak, ...]
    background: np.ndarray
    model: np.ndarray
    method: str
    r_squared: float
    n_params: int
    splitting: Estimate | None = None
    ratio: Estimate | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_model(
        cls,
        binding_energy: np.ndarray,
        counts: np.ndarray,
        peaks: list[FittedPeak] | tuple[FittedPeak, ...],
        background: np.ndarray,
        model: np.ndarray,
        method: str,
        n_params: int,
        splitting: Estimate | None = None,
        ratio: Estimate | None = None,
    ) -> PeakFitResult:
        """A result with sorted peaks and the fit statistics, and a warning for fewer than
        ``NOISE_POINTS`` points (their noise, and so the reduced chi-square, scatters).

        Args:
            binding_energy: (m,) ascending binding energies, eV.
            counts: (m,) measured spectrum.
            peaks: fitted peaks in any order.
            background: (m,) background.
            model: (m,) background plus peaks.
            method: name of the fitter.
            n_params: number of fitted parameters (for the degrees of freedom).
            splitting, ratio: the doublet parameters of a doublet fit.

        Raises:
            InvalidParameterError: no count above 0 (nothing counted), counts beyond
                ``MAX_COUNTS``, or non-zero counts all below ``MIN_COUNTS``.
        """
        counts = np.asarray(counts, dtype=float)
        top = float(counts.max()) if counts.size else 0.0
        if top == 0:
            raise InvalidParameterError(
                f"the spectrum has no count above 0 (its {counts.size} counts are at most 0): "
                "nothing was counted; check that the detector was on and its shutter open, "
                "and that the exported column is the counts"
            )
        if top < 0:
            raise InvalidParameterError(
                f"every count of the spectrum is below 0 (at most {top:g}): the "
                "counts are sign-inverted or a background was over-subtracted; send the "
                "counts as measured"
            )
        largest = float(np.abs(counts).max())
        if largest > MAX_COUNTS:
            raise InvalidParameterError(
                f"counts reach {largest:g}, beyond the {MAX_COUNTS:g} the fit statistics can "
                "square; divide the counts by a constant and multiply heights and areas back"
            )
        if largest < MIN_COUNTS:
            raise InvalidParameterError(
                f"counts reach only {largest:g}, below the {MIN_COUNTS:g} the fit statistics "
                "can square; multiply the counts by a constant and divide heights and areas back"
            )
        residual = counts - model
        rss = float(residual @ residual)
        centred = counts - counts.mean()
        tss = float(centred @ centred)
        r_squared = 1.0 - rss / tss if tss > 0 else math.nan
        short = ()
        if counts.size < NOISE_POINTS:
            short = (
                f"the spectrum has only {counts.size} points: the noise estimated from them "
                "scatters, so a right fit's reduced chi-square reads anywhere from about 0.5 "
                "to 2 and a peak fitted to noise may be kept; measure at least "
                f"{NOISE_POINTS} points (a finer step or a wider window), or fit a wider range "
                "of them",
            )
        return cls(
            binding_energy=np.asarray(binding_energy, dtype=float),
            counts=counts,
            peaks=tuple(sorted(peaks, key=lambda p: p.center)),
            background=np.asarray(background, dtype=float),
            model=np.asarray(model, dtype=float),
            method=method,
            r_squared=r_squared,
            n_params=n_params,
            splitting=splitting,
            ratio=ratio,
            warnings=short,
        )

    @property
    def residual(self) -> np.ndarray:
        """(m,) counts minus model."""
        return self.counts - self.model

    @functools.cached_property
    def chi2(self) -> float:
        """The squared residuals over the noise at each point (``noise_profile``, at least
        1e-12 of the largest |count|: noise-free data give a huge chi-square, not a division
        by 0), summed; computed when first asked for (the noise profile costs a fit of the
        noise, which the network alone does not need)."""
        floor = 1e-12 * max(float(np.abs(self.counts).max()), MIN_COUNTS)
        noise = np.maximum(noise_profile(self.counts), floor)
        return float(np.sum((self.residual / noise) ** 2))

    @functools.cached_property
    def reduced_chi2(self) -> float:
        """See the class's attributes: ``chi2`` per degree of freedom."""
        dof = self.counts.size - self.n_params
        if dof <= 0 or noise_profile(self.counts).min() <= 0:
            return math.nan
        return self.chi2 / dof

    def peak_curves(self) -> np.ndarray:
        """(m, P) each fitted peak on the energy axis, without background."""
        p = self.peaks
        return np.array([q.height for q in p]) * xps_peak(
            self.binding_energy[:, None],
            np.array([q.center for q in p]),
            np.array([q.fwhm for q in p]),
            np.array([q.eta for q in p]),
            np.array([q.asymmetry for q in p]),
        )

    def features(self, regions: dict | None = None) -> dict[str, float]:
        """Scalar features for a campaign's analysis step.

        The index features follow the fit's peak order, so one more peak found (a small
        satellite) renumbers those above it and ``area_1`` may be another line in each
        spectrum; region features name a binding-energy window and are stable.

        Args:
            regions: ``{name: [low, high]}`` binding-energy windows, eV (``check_regions``).

        Returns:
            ``n_peaks`` (an int) and, for each peak i in order of centre, ``center_i`` (eV),
            ``area_i`` and ``area_ratio_i`` (area over the largest peak's area); for a
            doublet fit also ``splitting`` (eV) and ``doublet_ratio``; for each region
            ``area_<name>``, the summed area of the peaks centred in its window (0 if none),
            and ``area_fraction_<name>``, that over all peaks' area (NaN without peaks).
        """
        out: dict[str, float] = {"n_peaks": len(self.peaks)}  # for range(), as to_dict's
        if self.splitting is not None and self.ratio is not None:
            out["splitting"], out["doublet_ratio"] = self.splitting.value, self.ratio.value
        largest = max((p.area for p in self.peaks), default=0.0)
        for i, peak in enumerate(self.peaks):
            out[f"center_{i}"] = peak.center
            out[f"area_{i}"] = peak.area
            out[f"area_ratio_{i}"] = peak.area / largest if largest > 0 else math.nan
        total = sum(p.area for p in self.peaks)
        for name, (low, high) in check_regions({} if regions is None else regions).items():
            area = sum(p.area for p in self.peaks if low <= p.center <= high)
            out[f"area_{name}"] = area
            out[f"area_fraction_{name}"] = area / total if total > 0 else math.nan
        return out

    def to_dict(self) -> dict:
        """JSON-ready summary: the peaks and the fit's figures, no arrays."""
        out = {
            "method": self.method,
            "n_peaks": len(self.peaks),
            "peaks": [p.to_dict() for p in self.peaks],
            "reduced_chi2": _json_float(self.reduced_chi2),
            "r_squared": _json_float(self.r_squared),
            "warnings": list(self.warnings),
        }
        for name in ("splitting", "ratio"):
            estimate = getattr(self, name)
            if estimate is not None:
                out[name] = {"value": _json_float(estimate.value), "err": _json_float(estimate.err)}
        return out

    def plot(self, name: str | None = None) -> Figure:
        """Data, background, each peak on the background, envelope, and a residual panel.

        Args:
            name: what the title names before the number of peaks (and the doublet
                splitting of a doublet fit), e.g. the region; defaults to the method.

        Returns:
            The figure (no pyplot state is touched); save it with
            ``adaptive.figures.save_figure``.
        """
        e = self.binding_energy
        fig = Figure(figsize=(8, 6), layout="constrained")
        ax, ax_res = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
        ax.plot(e, self.counts, ".", ms=3, color="0.3", label="data")
        # over the peaks' lines, which start from it; under the envelope (zorder 3)
        ax.plot(e, self.background, "--", color="C7", lw=1, label="background", zorder=2.5)
        for i, curve in enumerate(self.peak_curves().T):
            colour, label = PEAK_COLOURS[i % len(PEAK_COLOURS)], f"{self.peaks[i].center:.2f} eV"
            top = self.background + curve
            ax.fill_between(e, self.background, top, color=colour, alpha=0.3, lw=0)
            ax.plot(e, top, color=colour, lw=0.8, label=label)
        ax.plot(e, self.model, color="C3", lw=1.5, label="envelope", zorder=3)
        ax.set_ylabel("counts")
        ax.invert_xaxis()
        ax.legend(fontsize="small")
        n = len(self.peaks)
        title = f"{name or self.method}: {n} peak{'' if n == 1 else 's'}"
        if self.splitting is not None:
            title += f", doublet splitting {self.splitting.value:.2f} eV"
        ax.set_title(title)
        ax_res.plot(e, self.residual, lw=0.8, color="0.3")
        ax_res.axhline(0.0, color="C3", lw=0.8)
        ax_res.set_xlabel("binding energy (eV)")
        ax_res.set_ylabel("residual")
        return fig
