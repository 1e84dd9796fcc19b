"""Pure, vectorised line shapes for X-ray absorption and photoemission spectra.

Every function takes energies (or wavenumbers) as a scalar or an array of any
shape and returns a float array of the same shape. Peaks have unit height at
their centre; multiply by an amplitude to scale them. Scalar settings (positions,
widths, fractions, shells) must be finite real numbers, else a ValueError names them;
``xps_peak`` and ``pseudo_voigt_area`` broadcast arrays and skip the checks.
"""

from collections.abc import Sequence

import numpy as np

from simulators.base import check_finite

#: 2 m_e / hbar^2 in eV^-1 Angstrom^-2: k = sqrt(K_FACTOR * (E - E0)).
K_FACTOR = 0.2624682917


def arctan_step(e: np.ndarray, e0: float, width: float) -> np.ndarray:
    """Arctangent edge step rising from 0 to 1.

    Args:
        e: (...) energies, eV.
        e0: step centre (value 0.5 and steepest slope), eV.
        width: half width of the rise, eV (> 0); the slope at ``e0`` is ``1 / (pi * width)``.

    Returns:
        (...) step values in (0, 1).
    """
    e0 = check_finite("e0", e0)
    width = check_finite("width", width, positive=True)
    return 0.5 + np.arctan((np.asarray(e, dtype=float) - e0) / width) / np.pi


def gaussian(e: np.ndarray, center: float, fwhm: float) -> np.ndarray:
    """Gaussian peak of unit height.

    Args:
        e: (...) energies, eV.
        center: peak position, eV.
        fwhm: full width at half maximum, eV (> 0).

    Returns:
        (...) peak values in (0, 1].
    """
    center = check_finite("center", center)
    fwhm = check_finite("fwhm", fwhm, positive=True)
    x = (np.asarray(e, dtype=float) - center) / fwhm
    return np.exp(-4.0 * np.log(2.0) * x**2)


def lorentzian(e: np.ndarray, center: float, fwhm: float) -> np.ndarray:
    """Lorentzian peak of unit height.

    Args:
        e: (...) energies, eV.
        center: peak position, eV.
        fwhm: full width at half maximum, eV (> 0).

    Returns:
        (...) peak values in (0, 1].
    """
    center = check_finite("center", center)
    fwhm = check_finite("fwhm", fwhm, positive=True)
    x = (np.asarray(e, dtype=float) - center) / fwhm
    return 1.0 / (1.0 + 4.0 * x**2)


def pseudo_voigt(e: np.ndarray, center: float, fwhm: float, eta: float) -> np.ndarray:
    """Pseudo-Voigt peak of unit height: ``eta * lorentzian + (1 - eta) * gaussian``.

    Args:
        e: (...) energies, eV.
        center: peak position, eV.
        fwhm: full width at half maximum shared by both parts, eV (> 0).
        eta: Lorentzian fraction in [0, 1].

    Returns:
        (...) peak values in (0, 1].
    """
    eta = check_finite("eta", eta)
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta must lie in [0, 1], got {eta!r}; pass a Lorentzian fraction")
    return eta * lorentzian(e, center, fwhm) + (1.0 - eta) * gaussian(e, center, fwhm)


def energy_to_k(e: np.ndarray, e0: float) -> np.ndarray:
    """Photoelectron wavenumber above the edge.

    Args:
        e: (...) energies, eV.
        e0: edge energy, eV.

    Returns:
        (...) k = sqrt(K_FACTOR * (e - e0)) in Angstrom^-1 for e > e0, 0 below.
    """
    e0 = check_finite("e0", e0)
    return np.sqrt(K_FACTOR * np.clip(np.asarray(e, dtype=float) - e0, 0.0, None))


def exafs_chi(k: np.ndarray, shells: Sequence[tuple[float, float, float, float]]) -> np.ndarray:
    """EXAFS oscillation as a sum of damped sine waves, one per scattering shell.

    ``chi(k) = sum amplitude * exp(-2 k^2 sigma2) * sin(2 k R + phase) / (k R^2)``.
    The ``1 / k`` factor diverges as k -> 0; ``chi`` is set to 0 at ``k == 0`` and
    callers should window small k (see ``KEdgeXAS``).

    Args:
        k: (...) wavenumbers, Angstrom^-1 (>= 0).
        shells: sequence of ``(amplitude, R, sigma2, phase)``: amplitude in Angstrom
            (coordination number times S0^2 times backscattering amplitude), distance
            R in Angstrom (> 0), Debye-Waller factor sigma2 in Angstrom^2 (>= 0), phase
            in radians.

    Returns:
        (...) chi(k), dimensionless.
    """
    k = np.asarray(k, dtype=float)
    chi = np.zeros(k.shape)
    above = k > 0
    kk = k[above]
    for i, (amplitude, r, sigma2, phase) in enumerate(shells):
        amplitude = check_finite(f"shells[{i}] amplitude", amplitude)
        r = check_finite(f"shells[{i}] R", r, positive=True)
        sigma2 = check_finite(f"shells[{i}] sigma2", sigma2)
        if sigma2 < 0:
            raise ValueError(f"shells[{i}] sigma2 must be >= 0, got {sigma2!r}; use sigma2 >= 0")
        phase = check_finite(f"shells[{i}] phase", phase)
        damping = np.exp(-2 * kk**2 * sigma2)
        chi[above] += amplitude * damping * np.sin(2 * kk * r + phase) / (kk * r**2)
    return chi


#: Area of a unit-height Gaussian and Lorentzian per eV of FWHM.
GAUSSIAN_AREA_PER_FWHM = float(np.sqrt(np.pi / (4.0 * np.log(2.0))))
LORENTZIAN_AREA_PER_FWHM = float(np.pi / 2.0)


def xps_peak(
    e: np.ndarray,
    center: np.ndarray,
    fwhm: np.ndarray,
    eta: np.ndarray,
    asymmetry: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Unit-height pseudo-Voigt core-level peak, optionally asymmetric; all arguments broadcast.

    The asymmetric form varies the width with energy (Stancik and Brauns, Vib. Spectrosc.
    47, 66 (2008)): ``w(e) = 2 fwhm / (1 + exp(-asymmetry (e - center)))``, so a positive
    asymmetry (1/eV) puts a tail on the high-energy side (higher binding energy, as for
    metals). No argument checks: this is the hot path of simulators and fitters.

    Args:
        e: (...) energies, eV.
        center: (...) peak positions, eV.
        fwhm: (...) full widths at half maximum, eV (> 0): ``w(center)``, the line's
            width at half maximum when symmetric (its tail widens an asymmetric one).
        eta: (...) Lorentzian fractions in [0, 1].
        asymmetry: (...) asymmetry in 1/eV (0 = symmetric).

    Returns:
        (...) broadcast peak values, 1 at ``center``.
    """
    e = np.asarray(e, dtype=float)
    width = 2.0 * fwhm / (1.0 + np.exp(-np.asarray(asymmetry) * (e - center)))
    x2 = ((e - center) / width) ** 2
    return eta / (1.0 + 4.0 * x2) + (1.0 - eta) * np.exp(-4.0 * np.log(2.0) * x2)


def pseudo_voigt_area(height: np.ndarray, fwhm: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """Area of a symmetric pseudo-Voigt peak; arguments broadcast.

    Args:
        height: (...) peak heights.
        fwhm: (...) full widths at half maximum, eV.
        eta: (...) Lorentzian fractions in [0, 1].

    Returns:
        (...) areas, height x eV.
    """
    per_fwhm = eta * LORENTZIAN_AREA_PER_FWHM + (1.0 - eta) * GAUSSIAN_AREA_PER_FWHM
    return height * fwhm * per_fwhm
