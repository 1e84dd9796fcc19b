"""Joint least-squares refinement of XPS peaks and a background that follows them.

The model of a spectrum on an ascending binding-energy axis ``e`` (m,) is

    model(e) = P(e) + b0 + b1 (e - e[0]) + s S[P](e) + t T[P](e),
    P(e) = sum_k h_k xps_peak(e; c_k, w_k, eta_k, a_k),

where ``S[P]`` is the cumulative fraction of the current peak signal from low to high
binding energy (an active Shirley step) and ``T[P]`` the peak signal convolved with
Tougaard's universal loss function, normalised the same way (an active Tougaard
background); both follow the peaks during the fit, and the line takes up offsets and
slopes. All peaks and the background are fitted together by bounded trust-region least
squares (``scipy.optimize.least_squares``, 'trf') with an analytic Jacobian.

Points are weighted by one over their noise (``point_weights``): Poisson counts by
``1 / sqrt(max(counts, 1))`` (``poisson_weights``), other data whose noise grows with the
level (normalised, averaged, background-subtracted) by one over the noise measured at each
point (``noise_profile``), and data whose noise does not grow (noise of one level, or too
few points to tell) not at all. The parameter covariance is ``inv(J^T W J) s^2`` with
``s^2`` the weighted residual variance, so only relative weights matter. On
``simulators.xps`` spectra (half Poisson, half Gaussian noise) the weights raised the
success rate started from the true peaks from 0.79 to 0.81 (500 spectra) and converged
faster.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.fft import next_fast_len
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import OptimizeResult, basinhopping, least_squares
from scipy.signal import find_peaks, peak_widths
from scipy.special import expit, roots_legendre

from adaptive.arrays import ascending_steps, is_finite_real
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import xps_peak
from simulators.xps import TOUGAARD_C
from surrogates.peak_result import (
    Estimate,
    FittedPeak,
    PeakFitResult,
    estimate_noise,
    noise_grows_with_counts,
    noise_profile,
)
from surrogates.xps_background import shirley_background

#: Bounds of a peak's FWHM, eV: core lines are 0.3-4 eV wide, shake-up satellites (Ni, Co,
#: Cu(II) 2p) up to ~10 eV. At an upper bound of 6 eV a satellite 8-10 eV wide was split into
#: 2-3 peaks of 6 eV (its area 21 % low); 27 of the 172 peaks of the shared measured regions'
#: fits sat at 6 eV, 8 sit at 12 (``PeakFitter`` warns of those).
FWHM_BOUNDS = (0.2, 12.0)
#: Bounds of the asymmetry when it is fitted, 1/eV.
ASYMMETRY_BOUNDS = (0.0, 1.0)
#: Peaks with less than this fraction of the total peak area are dropped (then one refit),
#: unless at least ``CLEAR_HEIGHT_SIGMAS`` noise standard deviations high at their centre.
MIN_AREA_FRACTION = 0.01
CLEAR_HEIGHT_SIGMAS = 6.0
#: Bounds of a doublet partner's height (and area) relative to its main line.
RATIO_BOUNDS = (0.25, 1.0)
#: Relative change of the cost and of the parameters at which a fit stops
#: (``least_squares``' ftol and xtol).
TOLERANCE = 1e-6
#: A parameter within this share of its bounds' span from a bound is held at it (taken as
#: fixed in the standard errors), whatever the solver's ``active_mask`` says: that flag
#: lies within ``TOLERANCE`` of 0, so an eta of 3.5e-6 counted as free and one of 2.4e-7 as
#: held: the measured CuO 2p counts and the same rounded to 0.1 gave one line's area
#: error as 193 and 61, now both 61 (review W15).
HELD_SPAN = 1e-3
#: Basin-hopping steps when ``basin_hopping=True``.
BASIN_HOPPING_STEPS = 10
#: The ``method`` of every result.
METHOD = "pipeline"

#: Narrowest binding-energy window taken, eV: lines are 0.2-12 eV wide; a window of keV
#: numbers read as eV (0.925-0.950) is narrower.
MIN_WINDOW_EV = 1.0
#: Highest binding energy taken, eV: above hard X-ray photoemission's ~15 keV photons.
MAX_BINDING_EV = 2e4


_FIELDS = ("center", "fwhm", "height", "eta")
_LN2 = math.log(2.0)
# Gauss-Legendre nodes in theta for the line-shape area integral, u = tan(theta).
_THETA, _THETA_WEIGHTS = roots_legendre(256)
_THETA = _THETA * np.pi / 2
_THETA_WEIGHTS = _THETA_WEIGHTS * np.pi / 2


def check_ev_scale(energy: np.ndarray) -> None:
    """Refuse binding energies (n, m), ascending per row, that are not on the eV scale: a
    window under ``MIN_WINDOW_EV`` wide (keV numbers) or reaching above ``MAX_BINDING_EV``
    (meV numbers), with an InvalidParameterError saying how to convert them."""
    width = energy[:, -1] - energy[:, 0]
    if (width < MIN_WINDOW_EV).any():
        i = int(np.argmax(width < MIN_WINDOW_EV))
        raise InvalidParameterError(
            f"binding_energy[{i}] spans {width[i]:.4g} eV, under the {MIN_WINDOW_EV:g} eV of a "
            "core line and its background: is it in keV? multiply it by 1000 (in a campaign, "
            "send x_units='keV'; in a text file, title the column 'Binding Energy (keV)')"
        )
    if energy.max() > MAX_BINDING_EV:
        i = int(np.argmax(energy.max(axis=1)))
        raise InvalidParameterError(
            f"binding_energy[{i}] reaches {energy[i].max():.6g} eV, beyond the {MAX_BINDING_EV:g} "
            "eV any photoemission source reaches: is it in meV? divide it by 1000 (in a "
            "campaign, send x_units='meV'; in a text file, title the column 'Binding Energy "
            "(meV)')"
        )


#: Most points of a spectrum fitted: a region has 100-5,000, a survey up to ~15,000. A fit's
#: time grows faster than its points (``PeakFitter.fit``, one core: a 40,000-point survey
#: 8 s, 60,000 13 s, 120,000 52 s); above this, bin the spectrum or fit a narrower window.
MAX_POINTS = 40_000
#: How to mend a NaN or inf point of a spectrum to fit (a dropped point leaves a gap).
FILL_NOT_FINITE = (
    "fill the point (counts with their neighbours' mean, energies with the value their step "
    "gives): a dropped point leaves a gap in the axis, which a fit refuses"
)
#: Largest distance of an axis from the uniform one fitted to it (least squares), in mean
#: steps, that is still a uniform step: energies written with few decimals (a 0.025 eV
#: step written 920.00, 920.02, 920.05: 0.2 steps; 0.3 where the setpoints themselves
#: drift in their last bits, as ``np.arange(920, 940, 0.025)`` does) or read back with
#: jitter. Not the uniform axis through the ends: their own rounding tilts it (971.975
#: written 971.98 put a 0.025 eV step 0.4 steps off it). A missing row puts the axis half
#: a step off.
MAX_STEP_DEVIATION = 0.35


def check_spectrum(binding_energy: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validated float copies of a spectrum, its axis made uniform.

    Args:
        binding_energy: (m,) strictly ascending binding energies with a uniform step
            (each within ``MAX_STEP_DEVIATION`` mean steps of the uniform axis fitted to
            them), eV, 2 <= m <= ``MAX_POINTS``.
        counts: (m,) spectrum.

    Returns:
        ``(uniform binding energies, counts)`` as float arrays, the energies the
        least-squares uniform axis: a fit assumes a uniform step.

    Raises:
        InvalidParameterError: wrong shapes, fewer than 2 points or more than
            ``MAX_POINTS``, NaN/inf, an axis that is not strictly ascending with a uniform
            step (a gap, a step that changes), or one on another scale than eV
            (``check_ev_scale``).
    """
    e = np.asarray(binding_energy, dtype=float)
    y = np.asarray(counts, dtype=float)
    if e.ndim != 1 or e.shape != y.shape or e.size < 2:
        raise InvalidParameterError(
            f"binding_energy and counts must be 1-D of equal length >= 2, got shapes "
            f"{e.shape} and {y.shape}; pass one spectrum"
        )
    if e.size > MAX_POINTS:
        raise InvalidParameterError(
            f"the spectrum has {e.size} points, more than the {MAX_POINTS} a fit takes (a "
            "region has 100-5,000, a survey up to ~15,000; the fit's time grows faster than "
            f"the points): bin it, averaging every {-(-e.size // MAX_POINTS)} neighbouring "
            "points, or fit a narrower window"
        )
    if not (np.all(np.isfinite(e)) and np.all(np.isfinite(y))):
        raise InvalidParameterError(
            f"binding_energy and counts must be finite, got NaN or inf; {FILL_NOT_FINITE}"
        )
    steps = ascending_steps(
        "binding_energy", e, "reverse kinetic-energy-ordered spectra (e[::-1], counts[::-1])"
    )
    index = np.arange(e.size)
    uniform = np.polyval(np.polyfit(index, e, 1), index)
    if np.abs(e - uniform).max() > MAX_STEP_DEVIATION * steps.mean():
        raise InvalidParameterError(
            f"binding_energy must have a uniform step: {_uneven(e, steps, uniform)}"
        )
    check_ev_scale(e[None])
    return uniform, y


#: A step this many times the axis's median step is a gap: a missing row makes 2.
GAP_STEPS = 1.5


def _uneven(e: np.ndarray, steps: np.ndarray, uniform: np.ndarray) -> str:
    """What is uneven about the (m,) axis ``e`` with (m - 1,) ``steps`` (``uniform`` (m,)
    its least-squares uniform axis), and its repair:
    the first gap (a step over ``GAP_STEPS`` x the median) named where it is, else the
    steps' range."""
    usual = float(np.median(steps))
    wide = steps > GAP_STEPS * usual
    gaps = int(wide.sum())
    if not gaps:
        return (
            f"got steps from {steps.min():.3g} to {steps.max():.3g} eV, points up to "
            f"{np.abs(e - uniform).max() / steps.mean():.2g} of the mean step off a uniform "
            f"axis (at most {MAX_STEP_DEVIATION:g} is read as readback jitter); interpolate "
            "the counts onto a uniform axis, np.linspace(e[0], e[-1], m)"
        )
    at = int(np.argmax(wide))
    first = f"{steps[at]:.3g} eV between {e[at]:g} and {e[at + 1]:g} eV"
    found = (
        f"a gap of {first} (its steps are otherwise {usual:.3g} eV): a row may be missing"
        if gaps == 1
        else f"{gaps} gaps over its usual {usual:.3g} eV step, the first {first}: rows may be "
        "missing, or the step changes along the axis"
    )
    return f"it has {found}; fill in what is missing, or cut the gap(s) away"


def parse_peaks(peaks: Sequence) -> np.ndarray:
    """Peak starts or true peaks as an array.

    Args:
        peaks: sequence of mappings or objects with ``center``, ``fwhm`` (> 0), ``height``
            and ``eta``, and optionally ``asymmetry`` (default 0).

    Returns:
        (P, 5) columns center, fwhm, height, eta, asymmetry.

    Raises:
        InvalidParameterError: a missing field, a value that is not a finite number, or
            fwhm <= 0.
    """
    rows = []
    for i, peak in enumerate(peaks):
        get = peak.get if isinstance(peak, Mapping) else lambda k, d=None, p=peak: getattr(p, k, d)
        missing = [k for k in _FIELDS if get(k) is None]
        if missing:
            raise InvalidParameterError(
                f"peak {i} lacks {missing}, got {peak!r}; give center, fwhm, height and eta"
            )
        row = [get(k) for k in _FIELDS] + [get("asymmetry", 0.0)]
        if not all(map(is_finite_real, row)) or row[1] <= 0:
            raise InvalidParameterError(
                f"peak {i} must have finite values and fwhm > 0, got {row}; fix the start"
            )
        rows.append([float(v) for v in row])
    return np.array(rows, dtype=float).reshape(-1, 5)


def guess_peaks(binding_energy: np.ndarray, counts: np.ndarray, max_peaks: int = 5) -> list[dict]:
    """Peak starts from a peak finder on the Shirley-subtracted, lightly smoothed spectrum.

    Keeps the ``max_peaks`` most prominent local maxima whose prominence exceeds four
    times the noise (``estimate_noise``); widths at half prominence.

    Args:
        binding_energy: (m,) ascending, uniformly stepped binding energies, eV.
        counts: (m,) spectrum.
        max_peaks: most peaks to return (>= 1).

    Returns:
        Starts sorted by centre, each a dict with center, fwhm, height, eta (0.5) and
        asymmetry (0), ready for ``refine_peaks``.
    """
    e, y = check_spectrum(binding_energy, counts)
    if max_peaks < 1:
        raise InvalidParameterError(f"max_peaks must be >= 1, got {max_peaks!r}")
    signal = gaussian_filter1d(y - shirley_background(y), 1.0)
    noise = estimate_noise(y)
    index, props = find_peaks(signal, prominence=max(4.0 * noise, np.finfo(float).tiny))
    index = np.sort(index[np.argsort(props["prominences"])[::-1][:max_peaks]])
    if index.size == 0:
        return []
    _, _, left, right = peak_widths(signal, index, rel_height=0.5)
    grid = np.arange(e.size)
    fwhm = np.clip(np.interp(right, grid, e) - np.interp(left, grid, e), *FWHM_BOUNDS)
    return [
        {
            "center": float(e[i]),
            "fwhm": float(w),
            "height": max(float(signal[i]), 0.0),
            "eta": 0.5,
            "asymmetry": 0.0,
        }
        for i, w in zip(index, fwhm, strict=True)
    ]


class _Following:
    """The two background shapes that follow a peak signal, on a uniform axis.

    Shirley: the signal integrated from low binding energy up to each point. Tougaard:
    the signal convolved with the universal loss function ``T / (C + T^2)^2`` of the
    energy loss T (C = ``simulators.xps.TOUGAARD_C``), by FFT. Both are linear in the
    signal, so they map Jacobian columns too; the caller normalises them.

    Args:
        e: (m,) ascending binding energies with a uniform step, eV.
    """

    def __init__(self, e: np.ndarray):
        self.m = e.size
        self.step = (e[-1] - e[0]) / (e.size - 1)
        self.n_fft = next_fast_len(2 * e.size)
        loss = self.step * np.arange(e.size)
        kernel = loss / (TOUGAARD_C + loss**2) ** 2 * self.step
        self.kernel = np.fft.rfft(kernel, self.n_fft)

    def __call__(self, signal: np.ndarray) -> np.ndarray:
        """(2, m, ...) raw Shirley and Tougaard shapes of ``signal`` (m, ...)."""
        kernel = self.kernel.reshape(-1, *(1,) * (signal.ndim - 1))
        spectrum = np.fft.rfft(signal, self.n_fft, axis=0) * kernel
        tougaard = np.fft.irfft(spectrum, self.n_fft, axis=0)[: self.m]
        return np.stack([np.cumsum(signal, axis=0) * self.step, tougaard])


def _unit_area(eta: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Area of ``xps_peak`` with unit height and unit FWHM; ``alpha`` = asymmetry x FWHM.

    Integrates over u = tan(theta) with Gauss-Legendre nodes: exact to ~1e-12 for the
    symmetric pseudo-Voigt, where it equals ``simulators.lineshapes.pseudo_voigt_area``.

    Args:
        eta: (P,) Lorentzian fractions.
        alpha: (P,) dimensionless asymmetries.

    Returns:
        (P,) areas.
    """
    u = np.tan(_THETA)[:, None]
    jacobian = (_THETA_WEIGHTS / np.cos(_THETA) ** 2)[:, None]
    with np.errstate(over="ignore", divide="ignore"):  # narrow side far out: width 0, shape 0
        shape = xps_peak(u, 0.0, 1.0, eta, alpha)
    return (shape * jacobian).sum(axis=0)


def peak_areas(params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Areas of peaks and their gradients with respect to the peak parameters.

    Args:
        params: (P, 5) center, fwhm, height, eta, asymmetry.

    Returns:
        ``(area (P,), gradient (P, 5))``; the gradient's centre column is 0.
    """
    _, fwhm, height, eta, asym = params.T
    alpha = asym * fwhm
    unit = _unit_area(eta, alpha)
    step = 1e-6
    d_alpha = (_unit_area(eta, alpha + step) - _unit_area(eta, alpha - step)) / (2 * step)
    d_eta = _unit_area(np.ones_like(eta), alpha) - _unit_area(np.zeros_like(eta), alpha)
    gradient = np.stack(
        [
            np.zeros_like(fwhm),
            height * (unit + fwhm * asym * d_alpha),
            fwhm * unit,
            height * fwhm * d_eta,
            height * fwhm**2 * d_alpha,
        ],
        axis=1,
    )
    return height * fwhm * unit, gradient


class _Model:
    """Residual and Jacobian of peaks on an active Shirley + Tougaard + linear background.

    Parameters ``theta`` are ``n_per_peak`` values per peak (center, fwhm, height, eta,
    and asymmetry when fitted), then b0, b1, s, t. Counts are divided by ``scale``;
    residuals and Jacobian rows are multiplied by ``weights`` (m,).
    """

    def __init__(
        self, e: np.ndarray, y: np.ndarray, weights: np.ndarray, n_peaks: int, fit_asymmetry: bool
    ):
        self.e = e
        self.y = y
        self.weights = weights
        self.n_peaks = n_peaks
        self.n_per_peak = 5 if fit_asymmetry else 4
        self.following = _Following(e)
        self._theta: np.ndarray | None = None

    def peak_params(self, theta: np.ndarray) -> np.ndarray:
        """(P, 5) peak parameters, asymmetry 0 when not fitted."""
        per_peak = theta[: self.n_peaks * self.n_per_peak].reshape(self.n_peaks, self.n_per_peak)
        params = np.zeros((self.n_peaks, 5))
        params[:, : self.n_per_peak] = per_peak
        return params

    def _evaluate(self, theta: np.ndarray) -> None:
        if self._theta is not None and np.array_equal(theta, self._theta):
            return
        c, w0, h, eta, a = self.peak_params(theta).T
        b0, b1 = theta[-4:-2]
        u = self.e[:, None] - c
        # Width factor; the floor keeps x2 finite where the narrow side's shape is 0 anyway.
        q = np.maximum(expit(a * u), 1e-30)
        w = 2.0 * w0 * q
        x2 = (u / w) ** 2
        lor = 1.0 / (1.0 + 4.0 * x2)
        gau = np.exp(-4.0 * _LN2 * x2)
        g = eta * lor + (1.0 - eta) * gau
        peaks = h * g
        raw = self.following(peaks.sum(axis=1))  # (2, m)
        end = raw[:, -1:]
        shapes = np.divide(raw, end, out=np.zeros_like(raw), where=end > 0)
        background = b0 + b1 * (self.e - self.e[0]) + theta[-2:] @ shapes
        self._theta = theta.copy()
        self.background = background
        self.model = background + peaks.sum(axis=1)
        self._parts = (u, q, w, x2, lor, gau, g, h, eta, a, w0, shapes, end)

    def residual(self, theta: np.ndarray) -> np.ndarray:
        """(m,) weighted model minus data."""
        self._evaluate(theta)
        return (self.model - self.y) * self.weights

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """(m, n_params) derivative of the weighted residual."""
        self._evaluate(theta)
        u, q, w, x2, lor, gau, g, h, eta, a, w0, shapes, end = self._parts
        d_x2 = h * (-4.0 * eta * lor**2 - 4.0 * _LN2 * (1.0 - eta) * gau)  # d peak / d x2
        columns = [
            -d_x2 * (2.0 * u / w**2) * (1.0 - a * u * (1.0 - q)),  # centre
            d_x2 * (-2.0 * x2 / w0),  # fwhm
            g,  # height
            h * (lor - gau),  # eta
            d_x2 * (-2.0 * x2 * (1.0 - q) * u),  # asymmetry
        ][: self.n_per_peak]
        jac_peaks = np.stack(columns, axis=2).reshape(self.e.size, -1)
        raw = self.following(jac_peaks)  # (2, m, n); shapes = raw / end: quotient rule
        d_shapes = np.divide(
            raw - shapes[:, :, None] * raw[:, -1:, :],
            end[:, :, None],
            out=np.zeros_like(raw),
            where=end[:, :, None] > 0,
        )
        jac_peaks = jac_peaks + np.tensordot(theta[-2:], d_shapes, axes=1)
        background = np.column_stack([np.ones_like(self.e), self.e - self.e[0], *shapes])
        return np.hstack([jac_peaks, background]) * self.weights[:, None]

    def cost(self, theta: np.ndarray) -> float:
        """Half the weighted residual sum of squares (``least_squares``' cost)."""
        r = self.residual(theta)
        return 0.5 * float(r @ r)

    def expansion(self, theta: np.ndarray) -> np.ndarray:
        """(n_params, n_params) derivative of the peak and background parameters: identity."""
        return np.eye(theta.size)


class _Doublets:
    """Spin-orbit doublets, and free lines beside them, as a reparametrisation of a
    ``_Model`` of 2U + S peaks.

    Parameters ``phi``: ``n_per_peak`` values for each of the U main lines, then for each of
    the S free lines, then the common splitting and the common height ratio, then the four
    background values. Main line u is peak u of the inner model; its partner, peak U + u,
    sits ``splitting`` eV higher with the same width, shape and asymmetry and ``ratio`` x
    its height (so its area too); free line s is peak 2U + s.
    """

    def __init__(self, model: _Model, n_singles: int = 0):
        self.inner = model
        self.e, self.n_per_peak = model.e, model.n_per_peak
        self.n_pairs = (model.n_peaks - n_singles) // 2
        self.n_peaks = self.n_pairs + n_singles  # lines with parameters of their own

    def expand(self, phi: np.ndarray) -> np.ndarray:
        """The inner model's parameters ((2U + S) n_per_peak + 4,) from ``phi``."""
        pairs, lines = self.n_pairs * self.n_per_peak, self.n_peaks * self.n_per_peak
        mains = phi[:pairs].reshape(self.n_pairs, self.n_per_peak)
        splitting, ratio = phi[lines : lines + 2]
        partners = mains.copy()
        partners[:, 0] += splitting
        partners[:, 2] *= ratio
        return np.concatenate([mains.ravel(), partners.ravel(), phi[pairs:lines], phi[-4:]])

    def expansion(self, phi: np.ndarray) -> np.ndarray:
        """((2U + S) n_per_peak + 4, (U + S) n_per_peak + 6) derivative of ``expand``."""
        pairs, lines = self.n_pairs * self.n_per_peak, self.n_peaks * self.n_per_peak
        unit = np.arange(pairs)
        centre, height = unit[0 :: self.n_per_peak], unit[2 :: self.n_per_peak]
        free = np.arange(pairs, lines)
        d = np.zeros((pairs + lines + 4, lines + 6))
        d[unit, unit] = 1.0
        d[pairs + unit, unit] = 1.0
        d[pairs + height, height] = phi[lines + 1]
        d[pairs + centre, lines] = 1.0
        d[pairs + height, lines + 1] = phi[height]
        d[pairs + free, free] = 1.0
        d[-4:, -4:] = np.eye(4)
        return d

    def residual(self, phi: np.ndarray) -> np.ndarray:
        """(m,) weighted model minus data."""
        return self.inner.residual(self.expand(phi))

    def jacobian(self, phi: np.ndarray) -> np.ndarray:
        """(m, n_params) derivative of the weighted residual."""
        return self.inner.jacobian(self.expand(phi)) @ self.expansion(phi)

    def cost(self, phi: np.ndarray) -> float:
        """Half the weighted residual sum of squares."""
        return self.inner.cost(self.expand(phi))

    def peak_params(self, phi: np.ndarray) -> np.ndarray:
        """(2U + S, 5) parameters of the mains, their partners, then the free lines."""
        return self.inner.peak_params(self.expand(phi))

    @property
    def background(self) -> np.ndarray:
        return self.inner.background

    @property
    def model(self) -> np.ndarray:
        return self.inner.model


def _bounds(e: np.ndarray, starts: np.ndarray, n_per_peak: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds (n_params,) of the parameters of peaks ``starts`` (P, 5)."""
    center = np.clip(starts[:, 0], e[0], e[-1])
    reach = np.maximum(1.0, starts[:, 1])
    ones = np.ones_like(center)
    lower = np.column_stack(
        [np.maximum(e[0], center - reach), FWHM_BOUNDS[0] * ones, 0 * ones, 0 * ones]
        + [ASYMMETRY_BOUNDS[0] * ones]
    )
    upper = np.column_stack(
        [np.minimum(e[-1], center + reach), FWHM_BOUNDS[1] * ones, np.inf * ones, ones]
        + [ASYMMETRY_BOUNDS[1] * ones]
    )
    lower = np.append(lower[:, :n_per_peak].ravel(), [-np.inf, -np.inf, 0.0, 0.0])
    upper = np.append(upper[:, :n_per_peak].ravel(), [np.inf, np.inf, np.inf, np.inf])
    return lower, upper


def _background_start(e: np.ndarray, y: np.ndarray) -> np.ndarray:
    """b0, b1, s, t from the mean levels at the two ends of the window (t = 0)."""
    ends = max(1, min(5, e.size // 10))
    low, high = y[:ends].mean(), y[-ends:].mean()
    if high >= low:
        return np.array([low, 0.0, high - low, 0.0])
    return np.array([low, (high - low) / (e[-1] - e[0]), 0.0, 0.0])


def _least_squares(
    model: _Model | _Doublets,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
) -> OptimizeResult:
    """Bounded trust-region fit of ``model`` from ``x0`` (clipped into the bounds)."""
    return least_squares(
        model.residual,
        np.clip(x0, lower, upper),
        jac=model.jacobian,
        bounds=(lower, upper),
        method="trf",
        x_scale="jac",
        ftol=TOLERANCE,
        xtol=TOLERANCE,
    )


class _Step:
    """Basin-hopping move: centres by a quarter FWHM, widths and heights by ~20%."""

    def __init__(self, model: _Model, lower: np.ndarray, upper: np.ndarray, seed: int):
        self.model, self.lower, self.upper = model, lower, upper
        self.rng = np.random.default_rng(seed)

    def __call__(self, theta: np.ndarray) -> np.ndarray:
        n, k = self.model.n_peaks, self.model.n_per_peak
        per_peak = theta[: n * k].reshape(n, k).copy()
        per_peak[:, 0] += self.rng.normal(0.0, 0.25, n) * per_peak[:, 1]
        per_peak[:, 1:3] *= np.exp(self.rng.normal(0.0, 0.2, (n, 2)))
        per_peak[:, 3] += self.rng.normal(0.0, 0.2, n)
        out = np.concatenate([per_peak.ravel(), theta[n * k :]])
        return np.clip(out, self.lower, self.upper)


def _fit(
    model: _Model | _Doublets,
    x0: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    basin_hopping: bool,
    seed: int,
) -> OptimizeResult:
    """One bounded fit of ``model`` from parameters ``x0`` within ``lower``..``upper``;
    ``held`` marks the parameters at a bound (``HELD_SPAN``)."""
    result = _least_squares(model, x0, lower, upper)
    if basin_hopping:

        def local(fun, x0, **_) -> OptimizeResult:
            """The bounded least-squares fit as basin hopping's local minimiser."""
            fit = _least_squares(model, x0, lower, upper)
            return OptimizeResult(x=fit.x, fun=fit.cost, success=fit.success, nfev=fit.nfev)

        hop = basinhopping(
            model.cost,
            result.x,
            niter=BASIN_HOPPING_STEPS,
            minimizer_kwargs={"method": local},
            take_step=_Step(model, lower, upper, seed),
            rng=seed,
        )
        if hop.fun < result.cost:  # polish: the result with the Jacobian at the best point
            result = _least_squares(model, hop.x, lower, upper)
    span = np.where(np.isfinite(upper - lower), upper - lower, 0.0)
    result.held = (result.active_mask != 0) | (
        np.minimum(result.x - lower, upper - result.x) < HELD_SPAN * span
    )
    return result


def _background_only(e: np.ndarray, y: np.ndarray, weights: np.ndarray) -> PeakFitResult:
    """Straight-line background, no peaks."""
    design = np.column_stack([np.ones_like(e), e - e[0]])
    coef, *_ = np.linalg.lstsq(design * weights[:, None], y * weights, rcond=None)
    background = design @ coef
    return PeakFitResult.from_model(e, y, [], background, background, METHOD, 2)


def refine_peaks(
    binding_energy: np.ndarray,
    counts: np.ndarray,
    initial: Sequence,
    *,
    fit_asymmetry: bool = False,
    basin_hopping: bool = False,
    poisson_weights: bool = True,
    seed: int = 0,
) -> PeakFitResult:
    """Refine all peaks and the background jointly from initial peaks.

    Peaks with less than ``MIN_AREA_FRACTION`` of the total peak area after the fit, and
    less than ``CLEAR_HEIGHT_SIGMAS`` noise standard deviations high, are dropped and the
    rest refitted once. Starts are clipped into the bounds: centre
    within max(1 eV, fwhm) of its start and inside the window, FWHM in ``FWHM_BOUNDS``,
    eta in [0, 1], height >= 0, asymmetry in ``ASYMMETRY_BOUNDS``.

    Args:
        binding_energy: (m,) ascending, uniformly stepped binding energies, eV.
        counts: (m,) spectrum.
        initial: peak starts, mappings or objects with center, fwhm, height (above the
            background), eta and optionally asymmetry (see ``parse_peaks``); may be empty.
        fit_asymmetry: fit each peak's asymmetry; otherwise all peaks are symmetric.
        basin_hopping: after the local fit, search nearby basins
            (``BASIN_HOPPING_STEPS`` seeded steps) and polish the best.
        poisson_weights: weight counts with Poisson noise by ``1 / sqrt(max(counts, 1))``;
            False weights every spectrum by its measured noise (``point_weights``).
        seed: seed of the basin-hopping steps.

    Returns:
        Fitted peaks with standard errors (from the Jacobian, scaled by the weighted
        residual variance; areas by the delta method), the fitted background and the
        model.
        With no starts, or when every peak is dropped, a straight-line background and
        no peaks.

    Raises:
        InvalidParameterError: a bad spectrum (``check_spectrum``) or bad starts
            (``parse_peaks``).
    """
    e, y, scale, starts, weights, background = _prepare(
        binding_energy, counts, initial, fit_asymmetry, poisson_weights
    )
    for attempt in range(2):
        if len(starts) == 0:
            return _background_only(e, y, weights)
        model = _Model(e, y / scale, weights, len(starts), fit_asymmetry)
        lower, upper = _bounds(e, starts, model.n_per_peak)
        x0 = np.append(starts[:, : model.n_per_peak].ravel(), background)
        result = _fit(model, x0, lower, upper, basin_hopping, seed)
        params = model.peak_params(result.x)
        area, _ = peak_areas(params)
        keep = area >= MIN_AREA_FRACTION * area.sum()
        if not keep.all():
            keep |= _clear(e, y, params[:, 2] * scale, params[:, 0])
        if attempt == 1 or keep.all():
            break
        starts, background = params[keep], result.x[-4:]
    return _result(e, y, scale, model, result)


def _clear(e: np.ndarray, y: np.ndarray, height: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Whether each peak, of ``height`` (P,) in counts at ``center`` (P,) eV, stands
    ``CLEAR_HEIGHT_SIGMAS`` noise standard deviations (``noise_profile`` of the counts ``y``
    (m,) at the centre on the axis ``e`` (m,); the profile the fit statistics read) high:
    (P,). A minor line of 0.8 % of the area, 25 sigma high, was dropped as small."""
    at = np.clip(np.searchsorted(e, center), 0, e.size - 1)
    return height >= CLEAR_HEIGHT_SIGMAS * noise_profile(y)[at]


def refine_doublets(
    binding_energy: np.ndarray,
    counts: np.ndarray,
    mains: Sequence,
    splitting: float,
    ratio: float,
    *,
    singles: Sequence = (),
    fit_asymmetry: bool = False,
    basin_hopping: bool = False,
    poisson_weights: bool = True,
    seed: int = 0,
) -> PeakFitResult:
    """Refine spin-orbit doublets: one common splitting and height ratio for all of them,
    and free lines beside them.

    Each main line (the j = l + 1/2 component, lower binding energy) has a partner
    ``splitting`` eV above it with the same FWHM, shape and asymmetry and ``ratio`` x its
    height and area (1/2 for p, 2/3 for d, 3/4 for f levels). The splitting is bounded
    to within max(1 eV, the main lines' mean FWHM) of its start, the ratio to
    ``RATIO_BOUNDS``; the rest as in ``refine_peaks``, whose arguments these share.

    Args:
        mains: starts of the U >= 1 main lines (see ``parse_peaks``).
        splitting: start of the splitting, eV (> 0).
        ratio: start of the partner's height ratio, within ``RATIO_BOUNDS``.
        singles: starts of S lines fitted free beside the doublets (an s level, a
            satellite: MoS2's S 2s beside Mo 3d).

    Returns:
        The 2U + S peaks with standard errors, and the fitted ``splitting`` and ``ratio``
        with their standard errors.

    Raises:
        InvalidParameterError: a bad spectrum or start, no main line, a splitting that
            is not a positive number, or a ratio outside ``RATIO_BOUNDS``.
    """
    e, y, scale, starts, weights, background = _prepare(
        binding_energy, counts, [*mains, *singles], fit_asymmetry, poisson_weights
    )
    n_mains = len(starts) - len(singles)
    if n_mains == 0 or not (is_finite_real(splitting) and splitting > 0):
        raise InvalidParameterError(
            f"refine_doublets needs >= 1 main line and a splitting > 0, got {n_mains} "
            f"lines and splitting {splitting!r}; use refine_peaks for single lines"
        )
    if not (is_finite_real(ratio) and RATIO_BOUNDS[0] <= ratio <= RATIO_BOUNDS[1]):
        raise InvalidParameterError(
            f"the partner's height ratio must start within {RATIO_BOUNDS}, got {ratio!r}; "
            "the partner is the weaker, higher-binding-energy line (1/2 for p, 2/3 for d)"
        )
    inner = _Model(e, y / scale, weights, 2 * n_mains + len(singles), fit_asymmetry)
    model = _Doublets(inner, len(singles))
    lower, upper = _bounds(e, starts, model.n_per_peak)
    reach = max(1.0, float(starts[:n_mains, 1].mean()))
    size = starts.shape[0] * model.n_per_peak
    lower = np.insert(lower, size, [max(0.1, splitting - reach), RATIO_BOUNDS[0]])
    upper = np.insert(upper, size, [splitting + reach, RATIO_BOUNDS[1]])
    x0 = np.concatenate([starts[:, : model.n_per_peak].ravel(), [splitting, ratio], background])
    result = _fit(model, x0, lower, upper, basin_hopping, seed)
    return _result(e, y, scale, model, result)


def _prepare(
    binding_energy: np.ndarray,
    counts: np.ndarray,
    initial: Sequence,
    fit_asymmetry: bool,
    poisson_weights: bool,
) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray, np.ndarray]:
    """Checked spectrum, its scale, scaled starts (P, 5), point weights and background start."""
    e, y = check_spectrum(binding_energy, counts)
    starts = parse_peaks(initial)
    scale = float(np.max(np.abs(y))) or 1.0
    starts[:, 2] /= scale
    if not fit_asymmetry:
        starts[:, 4] = 0.0
    weights = point_weights(y, poisson_weights)
    return e, y, scale, starts, weights, _background_start(e, y / scale)


def point_weights(counts: np.ndarray, poisson_weights: bool = True) -> np.ndarray:
    """Weights (m,) of the points of ``counts`` (m,) in a fit, one over the noise at each,
    scaled to mean 1.

    Noise that does not grow with the counts (``noise_grows_with_counts``: of one level, or
    too few points to tell) gives every point 1. Noise that grows gives Poisson counts
    (``poisson_weights``, and every value 0 or at least 1, as counts are)
    ``1 / sqrt(max(counts, 1))``, and other data (normalised, averaged or
    background-subtracted values, or ``poisson_weights`` False) one over the noise measured
    at each point (``noise_profile``). The floor of one count gave every point of a
    spectrum normalised to 1 the same weight, so the quiet background set the residual
    variance: the Cu 2p doublet's ratio error came out 2.2x too small (review W26).
    """
    if not noise_grows_with_counts(counts):
        return np.ones_like(counts)
    as_counts = poisson_weights and bool(np.all((counts == 0) | (counts >= 1)))
    noise = np.sqrt(np.maximum(counts, 1.0)) if as_counts else noise_profile(counts)
    weights = 1.0 / noise
    return weights / weights.mean()


def _result(
    e: np.ndarray,
    y: np.ndarray,
    scale: float,
    model: _Model | _Doublets,
    result: OptimizeResult,
) -> PeakFitResult:
    """Peaks with standard errors from the fit ``result`` of ``model`` on ``y / scale``.

    The covariance ``inv(J^T J) s^2`` of the parameters not held at a bound (those are
    taken as fixed: e.g. a Shirley step pinned at 0 on a flat background) is taken as
    ``R R^T s^2`` with ``R = V / S`` from the SVD of their columns of J, so every
    variance is a sum of squares (directions with singular values below 1e-12 of the
    largest are left out); ``model.expansion`` carries R to the parameters of every
    peak. A value that depends on no free parameter (a FWHM held at its bound) has no
    standard error: NaN.
    """
    params = model.peak_params(result.x)
    n_params = result.x.size
    dof = e.size - n_params
    free = ~result.held
    _, singular, vt = np.linalg.svd(result.jac[:, free], full_matrices=False)
    kept = singular > 1e-12 * singular[0]
    root = np.zeros((n_params, int(kept.sum())))  # (n_params, rank)
    root[free] = vt[kept].T / singular[kept]
    sigma = math.sqrt(2.0 * result.cost / dof) if dof > 0 else math.nan
    area, gradient = peak_areas(params)
    k = model.n_per_peak
    full_root = model.expansion(result.x) @ root
    peaks = []
    for i, (center, fwhm, height, eta, asym) in enumerate(params):
        block = full_root[i * k : (i + 1) * k]
        peaks.append(
            FittedPeak(
                center=float(center),
                fwhm=float(fwhm),
                height=float(height * scale),
                area=float(area[i] * scale),
                eta=float(eta),
                asymmetry=float(asym),
                center_err=_standard_error(sigma, block[0]),
                fwhm_err=_standard_error(sigma, block[1]),
                area_err=_standard_error(sigma, gradient[i, :k] @ block) * scale,
            )
        )
    doublet = {}
    if isinstance(model, _Doublets):
        at = model.n_peaks * k
        doublet = {
            "splitting": Estimate(float(result.x[at]), _standard_error(sigma, root[at])),
            "ratio": Estimate(float(result.x[at + 1]), _standard_error(sigma, root[at + 1])),
        }
    model.residual(result.x)  # the model's state at the solution
    return PeakFitResult.from_model(
        e, y, peaks, model.background * scale, model.model * scale, METHOD, n_params, **doublet
    )


def _standard_error(sigma: float, row: np.ndarray) -> float:
    """``sigma`` x the norm of a value's ``row`` (rank,) of R; NaN for a row of zeros (the
    value depends only on parameters held at a bound)."""
    return sigma * float(np.linalg.norm(row)) if row.any() else math.nan
