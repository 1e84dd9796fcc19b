"""Baseline peak fitters for the XPS benchmark: lmfit as a user would run it, and EM.

- ``fit_lmfit_naive``: subtract a Shirley background, start one pseudo-Voigt per peak
  found by ``surrogates.peak_refine.guess_peaks``, fit their sum plus a straight line
  with lmfit.
- ``fit_lmfit_oracle``: the same lmfit model with the true number of peaks, started at
  the true parameters: what perfect starts reach with a static Shirley background.
- ``fit_em``: the spectrum-adapted EM algorithm (Matsumura, Nagamura, Akaho, Nagata and
  Ando, Sci. Technol. Adv. Mater. 20, 733 (2019); the pseudo-Voigt mixture of their
  follow-up, STAM Methods 1, 45 (2021)): the Shirley-subtracted spectrum, clipped at 0,
  is a weighted histogram of binding energies, fitted by a pseudo-Voigt mixture with
  expectation-conditional maximisation; the number of peaks is chosen by BIC.

lmfit's ``PseudoVoigtModel`` has the same shape as ``xps_peak`` (shared FWHM = 2 sigma),
but its ``fraction`` is the Lorentzian share of the area, while ``eta`` here is that of
the height; both directions are converted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from lmfit.models import LinearModel, PseudoVoigtModel
from scipy.special import ndtr

from adaptive.arrays import check_int
from adaptive.errors import InvalidParameterError
from simulators.lineshapes import (
    GAUSSIAN_AREA_PER_FWHM,
    LORENTZIAN_AREA_PER_FWHM,
    pseudo_voigt_area,
    xps_peak,
)
from surrogates.peak_refine import FWHM_BOUNDS, check_spectrum, guess_peaks, parse_peaks
from surrogates.peak_result import FittedPeak, PeakFitResult, estimate_noise
from surrogates.xps_background import shirley_background

#: Seeded random starts per number of components in ``fit_em``.
EM_RESTARTS = 4
#: EM iterations at most, and the change of the mean log-likelihood that ends them.
EM_MAX_ITER = 300
EM_TOL = 1e-5

_GAUSS_FWHM_PER_SIGMA = 2.0 * math.sqrt(2.0 * math.log(2.0))
_CAUCHY_PER_SIGMA = math.sqrt(2.0 * math.log(2.0))  # Cauchy scale / Gaussian sigma at equal FWHM


def _height_fraction(area_fraction: np.ndarray) -> np.ndarray:
    """Lorentzian fraction of the height (``xps_peak``'s eta) from that of the area (lmfit's)."""
    lor = area_fraction * GAUSSIAN_AREA_PER_FWHM
    return lor / (lor + (1 - area_fraction) * LORENTZIAN_AREA_PER_FWHM)


def _area_fraction(eta: np.ndarray) -> np.ndarray:
    """Lorentzian fraction of the area from that of the height; inverse of ``_height_fraction``."""
    lor = eta * LORENTZIAN_AREA_PER_FWHM
    return lor / (lor + (1 - eta) * GAUSSIAN_AREA_PER_FWHM)


def _stderr(param) -> float:
    """An lmfit parameter's standard error, NaN when lmfit could not estimate it."""
    return math.nan if param.stderr is None else float(param.stderr)


def _fit_lmfit(e: np.ndarray, y: np.ndarray, starts: np.ndarray, method: str) -> PeakFitResult:
    """lmfit pseudo-Voigts from ``starts`` (P, 5) plus a line on the Shirley-subtracted spectrum.

    The line takes up what a static Shirley step leaves: a sloped background, end levels
    lifted by peak tails. Energies are measured from ``e[0]`` so that the line's slope
    and intercept are not correlated.
    """
    shirley = shirley_background(y)
    if len(starts) == 0:
        return PeakFitResult.from_model(e, y, [], shirley, shirley, method, 0)
    n_free = 2 + 4 * len(starts)  # line slope and intercept; area, centre, sigma, fraction
    if e.size < n_free:
        raise InvalidParameterError(
            f"lmfit needs at least {n_free} points for {len(starts)} peak(s) plus a line, "
            f"got {e.size}; pass a spectrum with more points"
        )
    x = e - e[0]
    prefixes = [f"p{i}_" for i in range(len(starts))]
    model = LinearModel(prefix="line_")
    for prefix in prefixes:
        model = model + PseudoVoigtModel(prefix=prefix)
    params = model.make_params(line_slope=0.0, line_intercept=0.0)
    for prefix, (center, fwhm, height, eta, _) in zip(prefixes, starts, strict=True):
        params[f"{prefix}center"].set(value=np.clip(center - e[0], 0, x[-1]), min=0, max=x[-1])
        fwhm = np.clip(fwhm, *FWHM_BOUNDS)
        params[f"{prefix}sigma"].set(value=fwhm / 2, min=FWHM_BOUNDS[0] / 2, max=FWHM_BOUNDS[1] / 2)
        eta = np.clip(eta, 0.0, 1.0)
        params[f"{prefix}fraction"].set(value=_area_fraction(eta), min=0.0, max=1.0)
        area = pseudo_voigt_area(max(height, 0.0), fwhm, eta)
        params[f"{prefix}amplitude"].set(value=area, min=0.0)
    fit = model.fit(y - shirley, params, x=x)
    peaks = [
        FittedPeak(
            center=float(fit.params[f"{p}center"].value) + e[0],
            fwhm=float(fit.params[f"{p}fwhm"].value),
            height=float(fit.params[f"{p}height"].value),
            area=float(fit.params[f"{p}amplitude"].value),
            eta=float(_height_fraction(fit.params[f"{p}fraction"].value)),
            asymmetry=0.0,
            center_err=_stderr(fit.params[f"{p}center"]),
            fwhm_err=_stderr(fit.params[f"{p}fwhm"]),
            area_err=_stderr(fit.params[f"{p}amplitude"]),
        )
        for p in prefixes
    ]
    background = shirley + fit.eval_components(x=x)["line_"]
    model_counts = shirley + fit.best_fit
    return PeakFitResult.from_model(e, y, peaks, background, model_counts, method, fit.nvarys)


def fit_lmfit_naive(binding_energy: np.ndarray, counts: np.ndarray) -> PeakFitResult:
    """lmfit as a user would run it: peak finder starts on a Shirley-subtracted spectrum.

    One ``lmfit.models.PseudoVoigtModel`` per peak from ``guess_peaks`` (at most 5),
    centres bounded to the window, FWHM to ``FWHM_BOUNDS``, fraction to [0, 1], areas
    >= 0, plus a ``LinearModel`` on top of the static Shirley background.

    Args:
        binding_energy: (m,) ascending, uniformly stepped binding energies, eV.
        counts: (m,) spectrum.

    Returns:
        The fit, method ``"lmfit_naive"``; lmfit's standard errors, NaN when it has none.

    Raises:
        InvalidParameterError: a bad spectrum, or fewer points than free parameters
            (4 per peak found, 2 for the line).
    """
    e, y = check_spectrum(binding_energy, counts)
    return _fit_lmfit(e, y, parse_peaks(guess_peaks(e, y)), "lmfit_naive")


def fit_lmfit_oracle(
    binding_energy: np.ndarray, counts: np.ndarray, true_peaks: Sequence
) -> PeakFitResult:
    """The lmfit model of ``fit_lmfit_naive`` with the true peak count and true starts.

    Args:
        binding_energy: (m,) ascending, uniformly stepped binding energies, eV.
        counts: (m,) spectrum.
        true_peaks: the true peaks, mappings or objects with center, fwhm, height and
            eta (see ``surrogates.peak_refine.parse_peaks``).

    Returns:
        The fit, method ``"lmfit_oracle"``.
    """
    e, y = check_spectrum(binding_energy, counts)
    return _fit_lmfit(e, y, parse_peaks(true_peaks), "lmfit_oracle")


def _inside(e: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fractions of a Gaussian (sigma) and a Cauchy (equal FWHM) at ``mean`` inside the window.

    Args:
        e: (m,) binding energies; the window is ``[e[0], e[-1]]``.
        mean, sigma: (...) centres and Gaussian sigmas.

    Returns:
        ``(gauss, cauchy)``, (...) each.
    """
    lo, hi = e[0] - mean, e[-1] - mean
    gamma = _CAUCHY_PER_SIGMA * sigma
    gauss = ndtr(hi / sigma) - ndtr(lo / sigma)
    cauchy = (np.arctan(hi / gamma) - np.arctan(lo / gamma)) / np.pi
    return gauss, cauchy


def _em(
    e: np.ndarray, weight: np.ndarray, k: int, rng: np.random.Generator, min_var: float
) -> tuple[np.ndarray, ...]:
    """Best of ``EM_RESTARTS`` ECM runs of K pseudo-Voigts plus a flat floor, run at once.

    Each pseudo-Voigt density is ``f N(mu, s^2) + (1 - f) Cauchy(mu, g)`` with the shared
    FWHM ``2 g = 2 sqrt(2 ln 2) s``; the Cauchy part is a Gaussian scale mixture, whose
    latent precision ``u = 2 / (1 + (x - mu)^2 / g^2)`` makes the centre and width updates
    closed-form (expectation-conditional maximisation). Densities are normalised to the
    window in the E-step, so that tails cut off by it do not bias the Lorentzian
    fraction (the M-step ignores the cut). The flat component (uniform over the window)
    takes up clipped noise and background left after the subtraction.

    Args:
        e: (m,) binding energies.
        weight: (m,) non-negative weights summing to 1.
        k: number of peaks.
        rng: source of the random starts (centres drawn from the weighted histogram).
        min_var: floor of the Gaussian variance, eV^2.

    Returns:
        Of the restart with the highest log-likelihood: ``(mean, sigma, lorentz, mass)``,
        (k,) each: centres, Gaussian sigmas, Lorentzian area fractions, and areas
        (tails outside the window included) as fractions of the area inside it; and
        ``floor``, the flat component's weight.
    """
    r = EM_RESTARTS
    mean = np.sort(rng.choice(e, size=(r, k), p=weight), axis=1)
    var = np.full((r, k), ((e[-1] - e[0]) / (4 * k)) ** 2)
    lorentz = np.full((r, k), 0.5)
    mix = np.full((r, k), 0.9 / k)
    floor = np.full(r, 0.1)
    flat = 1.0 / (e[-1] - e[0])
    x = e[None, :, None]
    w = weight[None, :, None]
    previous = np.full(r, -np.inf)
    for _ in range(EM_MAX_ITER):
        gamma2 = _CAUCHY_PER_SIGMA**2 * var[:, None, :]
        z2 = (x - mean[:, None, :]) ** 2
        in_g, in_c = _inside(e, mean, np.sqrt(var))
        gauss = (mix * (1 - lorentz) / in_g)[:, None, :] * np.exp(-0.5 * z2 / var[:, None, :])
        gauss /= np.sqrt(2 * np.pi * var[:, None, :])
        cauchy = (mix * lorentz / in_c)[:, None, :] / (np.pi * np.sqrt(gamma2) * (1 + z2 / gamma2))
        density = gauss.sum(axis=2) + cauchy.sum(axis=2) + (floor * flat)[:, None] + 1e-300
        log_likelihood = np.log(density) @ weight
        if np.all(log_likelihood - previous < EM_TOL):
            break
        previous = log_likelihood
        resp_g = w * gauss / density[:, :, None]  # (r, m, k)
        resp_c = w * cauchy / density[:, :, None]
        # at 0, not a rounding error below it: a negative floor makes far tails' density < 0
        floor = np.maximum(1.0 - resp_g.sum(axis=(1, 2)) - resp_c.sum(axis=(1, 2)), 0.0)
        mass_g, mass_c = resp_g.sum(axis=1), resp_c.sum(axis=1)
        mix = mass_g + mass_c + 1e-300
        lorentz = mass_c / mix
        scaled_c = resp_c * 2.0 / (1.0 + z2 / gamma2)  # Cauchy responsibilities times u
        precision_g = mass_g / var
        precision_c = scaled_c.sum(axis=1) / gamma2[:, 0, :]
        mean = ((resp_g * x).sum(axis=1) / var + (scaled_c * x).sum(axis=1) / gamma2[:, 0, :]) / (
            precision_g + precision_c + 1e-300
        )
        z2 = (x - mean[:, None, :]) ** 2
        spread = (resp_g * z2).sum(axis=1) + (scaled_c * z2).sum(axis=1) / _CAUCHY_PER_SIGMA**2
        var = spread / mix + min_var
    best = np.argmax(log_likelihood)
    mean, sigma = mean[best], np.sqrt(var[best])
    in_g, in_c = _inside(e, mean, sigma)
    gauss, cauchy = mix[best] * (1 - lorentz[best]) / in_g, mix[best] * lorentz[best] / in_c
    return mean, sigma, cauchy / (gauss + cauchy), gauss + cauchy, float(floor[best])


def fit_em(
    binding_energy: np.ndarray, counts: np.ndarray, max_peaks: int = 5, seed: int = 0
) -> PeakFitResult:
    """Spectrum-adapted EM: a pseudo-Voigt mixture fitted to the spectrum as a histogram.

    The Shirley-subtracted spectrum, clipped at 0, weights a histogram of binding
    energies. For each K = 1..max_peaks the best of ``EM_RESTARTS`` seeded ECM runs of K
    pseudo-Voigts plus a flat floor is kept (``_em``); K is chosen by the BIC of the
    scaled mixture against the subtracted spectrum with Gaussian noise of the level
    ``estimate_noise`` finds, ``RSS / noise^2 + (4 K + 1) log m``. (A likelihood BIC on
    the histogram would depend on the arbitrary count units, and one on ``log RSS``
    picked too many peaks in trials.) Areas are the mixture weights times the total
    area, divided by each peak's fraction inside the window; no standard errors.

    Args:
        binding_energy: (m,) ascending, uniformly stepped binding energies, eV.
        counts: (m,) spectrum.
        max_peaks: most peaks tried, an int >= 1.
        seed: seed of the random starts.

    Returns:
        The fit, method ``"em"``; no peaks when the subtracted spectrum is empty. The
        background is the Shirley background plus the flat floor.
    """
    e, y = check_spectrum(binding_energy, counts)
    check_int("max_peaks", max_peaks, 1, why="pass e.g. max_peaks=5")
    background = shirley_background(y)
    step = np.gradient(e)
    signal = np.clip(y - background, 0.0, None)
    total = float(signal @ step)
    if total <= 0:
        return PeakFitResult.from_model(e, y, [], background, background, "em", 0)
    noise = estimate_noise(y)
    noise2 = max(noise, 1e-12 * float(np.max(np.abs(y))), np.finfo(float).tiny) ** 2
    rng = np.random.default_rng(seed)
    min_var = (step.min() / 2) ** 2
    best = None
    for k in range(1, max_peaks + 1):
        mean, sigma, lorentz, mass, floor = _em(e, signal * step / total, k, rng, min_var)
        fwhm = sigma * _GAUSS_FWHM_PER_SIGMA
        area = mass * total
        eta = _height_fraction(lorentz)
        height = area / pseudo_voigt_area(1.0, fwhm, eta)
        curves = height * xps_peak(e[:, None], mean, fwhm, eta)  # (m, k)
        flat = floor * total / (e[-1] - e[0])
        rss = float(np.sum((signal - flat - curves.sum(axis=1)) ** 2))
        bic = rss / noise2 + (4 * k + 1) * np.log(e.size)
        if best is None or bic < best[0]:
            best = (bic, mean, fwhm, height, area, eta, curves, flat)
    _, mean, fwhm, height, area, eta, curves, flat = best
    peaks = [
        FittedPeak(center=c, fwhm=f, height=h, area=a, eta=n, asymmetry=0.0)
        for c, f, h, a, n in zip(
            *(v.tolist() for v in (mean, fwhm, height, area, eta)), strict=True
        )
    ]
    background = background + flat
    model = background + curves.sum(axis=1)
    return PeakFitResult.from_model(e, y, peaks, background, model, "em", 4 * len(peaks) + 1)
