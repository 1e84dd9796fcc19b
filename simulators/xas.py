"""K-edge X-ray absorption spectrum measured in transmission."""

from collections.abc import Sequence

import numpy as np

from simulators.base import Simulator, check_finite
from simulators.lineshapes import (
    arctan_step,
    energy_to_k,
    exafs_chi,
    gaussian,
    lorentzian,
)

#: Approximate Cu metal shells (amplitude, R, sigma2, phase): 12 Cu at 2.55 A, 6 at 3.61 A,
#: 24 at 4.43 A.
CU_SHELLS = ((4.0, 2.55, 0.0087, -1.0), (1.5, 3.61, 0.012, -1.2), (4.0, 4.43, 0.013, -1.4))
_SHELL_PARTS = ("amplitude", "R", "sigma2", "phase")


class KEdgeXAS(Simulator):
    """K-edge transmission XAS: pre-edge peak, edge step, white line and EXAFS.

    The noise-free absorption is::

        mu(E) = pre_edge_slope * (E - E0)
                + pre_edge_amplitude * gaussian(E, E0 + pre_edge_offset, pre_edge_fwhm)
                + edge_step * (arctan_step(E, E0, edge_width) * (1 + window(k) * chi(k))
                               + white_line_amplitude
                                 * lorentzian(E, E0 + white_line_offset, white_line_fwhm))

    with ``k = energy_to_k(E, E0)``, ``chi = exafs_chi(k, shells)`` and
    ``window(k) = 1 - exp(-(k / exafs_onset_k)^2)``, which switches the EXAFS on
    smoothly above the edge. Defaults resemble a Cu K edge.

    Channels: ``mu`` (primary), ``i0`` and ``i1`` (incident and transmitted counts).
    """

    primary = "mu"
    channels = ("mu", "i0", "i1")

    def __init__(
        self,
        edge_energy: float = 8979.0,
        energy_range: tuple[float, float] | None = None,
        edge_step: float = 1.0,
        edge_width: float = 1.5,
        pre_edge_offset: float = -7.0,
        pre_edge_amplitude: float = 0.05,
        pre_edge_fwhm: float = 1.5,
        white_line_offset: float = 3.0,
        white_line_amplitude: float = 0.4,
        white_line_fwhm: float = 5.0,
        shells: Sequence[tuple[float, float, float, float]] = CU_SHELLS,
        exafs_onset_k: float = 2.5,
        pre_edge_slope: float = -2e-4,
        mu_offset: float = 1.0,
        i0: float | None = 1e6,
        seed: int | None = None,
    ) -> None:
        """Store the spectrum settings.

        Args:
            edge_energy: edge position E0, eV.
            energy_range: ``(low, high)`` measurable energies, eV; default
                ``(E0 - 200, E0 + 1000)``.
            edge_step: jump of mu across the edge.
            edge_width: arctan half width of the edge, eV (> 0).
            pre_edge_offset: pre-edge peak position relative to E0, eV.
            pre_edge_amplitude: pre-edge peak height (0 disables it).
            pre_edge_fwhm: pre-edge peak FWHM, eV (> 0, also when the peak is disabled).
            white_line_offset: white-line position relative to E0, eV.
            white_line_amplitude: white-line height in units of ``edge_step``.
            white_line_fwhm: white-line FWHM, eV (> 0).
            shells: EXAFS shells ``(amplitude, R, sigma2, phase)``, see ``exafs_chi``.
            exafs_onset_k: wavenumber over which the EXAFS switches on, Angstrom^-1 (> 0).
            pre_edge_slope: linear background slope, per eV.
            mu_offset: sample absorption added for the counting statistics only.
            i0: incident counts per point, or None for noise-free measurements.
            seed: seed of the noise generator.

        Raises:
            ValueError: naming the setting, unless every setting is a finite real number
                (widths and R > 0, sigma2 >= 0) and each shell a 4-tuple; with ``i0``,
                also when the largest mu + ``mu_offset`` exceeds ln(i0 / ``MIN_TRANSMITTED``),
                where under ``MIN_TRANSMITTED`` counts are transmitted and many noisy readings
                would clip.
        """
        self.edge_energy = check_finite("edge_energy", edge_energy)
        if energy_range is None:
            energy_range = (self.edge_energy - 200.0, self.edge_energy + 1000.0)
        super().__init__(energy_range, i0=i0, mu_offset=mu_offset, seed=seed)
        self.edge_step = check_finite("edge_step", edge_step)
        self.edge_width = check_finite("edge_width", edge_width, positive=True)
        self.pre_edge_offset = check_finite("pre_edge_offset", pre_edge_offset)
        self.pre_edge_amplitude = check_finite("pre_edge_amplitude", pre_edge_amplitude)
        self.pre_edge_fwhm = check_finite("pre_edge_fwhm", pre_edge_fwhm, positive=True)
        self.white_line_offset = check_finite("white_line_offset", white_line_offset)
        self.white_line_amplitude = check_finite("white_line_amplitude", white_line_amplitude)
        self.white_line_fwhm = check_finite("white_line_fwhm", white_line_fwhm, positive=True)
        self.shells = _check_shells(shells)
        self.exafs_onset_k = check_finite("exafs_onset_k", exafs_onset_k, positive=True)
        self.pre_edge_slope = check_finite("pre_edge_slope", pre_edge_slope)
        self._check_countable(
            self._evaluate_true,
            (self.edge_energy + self.pre_edge_offset, self.edge_energy + self.white_line_offset),
            "the noise-free mu",
            "lower edge_step, white_line_amplitude, pre_edge_amplitude or mu_offset",
        )

    def _evaluate_true(self, e: np.ndarray) -> np.ndarray:
        e0 = self.edge_energy
        k = energy_to_k(e, e0)
        window = 1.0 - np.exp(-((k / self.exafs_onset_k) ** 2))
        step = arctan_step(e, e0, self.edge_width) * (1.0 + window * exafs_chi(k, self.shells))
        white = self.white_line_amplitude * lorentzian(
            e, e0 + self.white_line_offset, self.white_line_fwhm
        )
        pre = self.pre_edge_amplitude * gaussian(e, e0 + self.pre_edge_offset, self.pre_edge_fwhm)
        return self.pre_edge_slope * (e - e0) + pre + self.edge_step * (step + white)


def _check_shells(shells) -> tuple[tuple[float, float, float, float], ...]:
    """``shells`` as float 4-tuples, or a ValueError naming the bad shell and part."""

    def is_sequence(x) -> bool:
        return isinstance(x, Sequence | np.ndarray) and not isinstance(x, str)

    if not (is_sequence(shells) and all(is_sequence(s) and len(s) == 4 for s in shells)):
        raise ValueError(
            "shells must be a sequence of (amplitude, R, sigma2, phase) 4-tuples, "
            f"got {shells!r}; pass () for no EXAFS"
        )
    checked = []
    for i, shell in enumerate(shells):
        amplitude, r, sigma2, phase = (
            check_finite(f"shells[{i}] {part}", v, positive=part == "R")
            for part, v in zip(_SHELL_PARTS, shell, strict=True)
        )
        if sigma2 < 0:
            raise ValueError(f"shells[{i}] sigma2 must be >= 0, got {sigma2!r}; pass sigma2 >= 0")
        checked.append((amplitude, r, sigma2, phase))
    return tuple(checked)
