"""L2,3-edge X-ray magnetic circular dichroism of a 3d transition metal."""

import numpy as np

from simulators.base import Simulator, check_finite, counted
from simulators.lineshapes import arctan_step, pseudo_voigt

#: Largest ``|xmcd_l3|`` and ``|xmcd_l2|``: at 2 one helicity has no white line left.
MAX_XMCD = 2.0


class XMCD(Simulator):
    """L2,3 absorption for both photon helicities and their difference.

    The helicity-averaged absorption is two arctan steps with 2:1 branching plus a
    pseudo-Voigt white line at each edge::

        mu_avg(E) = edge_step * (2/3 * arctan_step(E, L3, w) + 1/3 * arctan_step(E, L2, w))
                    + white_line_l3 * pv(E, L3) + white_line_l2 * pv(E, L2)
        xmcd(E)   = xmcd_l3 * white_line_l3 * pv(E, L3) + xmcd_l2 * white_line_l2 * pv(E, L2)
        mu_plus   = mu_avg + xmcd / 2,   mu_minus = mu_avg - xmcd / 2

    The edges and lines resemble Fe metal, with the dichroism negative at L3 and positive
    at L2; its default sizes are illustrative: the sum rules give m_orb / m_spin =
    2q / (9p - 6q) = 0.12 (bcc Fe about 0.04, which ``xmcd_l2=0.41`` gives: 0.038).
    Each helicity carries a white line ``(1 +- xmcd_l3 / 2)`` times that of the average
    (likewise at L2), so ``|xmcd_l3|, |xmcd_l2| <= MAX_XMCD`` = 2 keeps both helicities'
    absorption >= 0 (the edge step and white lines are >= 0).
    With ``i0`` set, each helicity is measured in transmission with independent
    Poisson counting noise, drawn energy by energy (plus then minus at each point), so a
    scan measured in one call or point by point sees the same noise.

    Channels: ``mu_avg`` (primary, the helicity average), ``mu_plus``, ``mu_minus``,
    ``xmcd`` (= ``mu_plus - mu_minus``, also for noisy measurements), and the transmitted
    counts ``i1_plus`` and ``i1_minus``. Use ``measure_channels(energy)["xmcd"]`` for the
    dichroic signal; ``uncertainties`` gives each channel's counting uncertainty.
    """

    primary = "mu_avg"
    channels = ("mu_avg", "mu_plus", "mu_minus", "xmcd", "i1_plus", "i1_minus")

    def __init__(
        self,
        l3_energy: float = 707.0,
        l2_energy: float = 720.0,
        energy_range: tuple[float, float] | None = None,
        edge_step: float = 1.0,
        edge_width: float = 1.0,
        white_line_l3: float = 3.0,
        white_line_l2: float = 1.5,
        fwhm_l3: float = 2.0,
        fwhm_l2: float = 2.5,
        eta: float = 0.5,
        xmcd_l3: float = -0.3,
        xmcd_l2: float = 0.3,
        mu_offset: float = 0.5,
        i0: float | None = 1e6,
        seed: int | None = None,
    ) -> None:
        """Store the spectrum settings.

        Args:
            l3_energy: L3 edge and white-line position, eV.
            l2_energy: L2 edge and white-line position, eV (> ``l3_energy``).
            energy_range: ``(low, high)`` measurable energies, eV; default
                ``(l3_energy - 17, l2_energy + 20)``.
            edge_step: total jump of the averaged absorption across both edges.
            edge_width: arctan half width of both steps, eV (> 0).
            white_line_l3: L3 white-line height.
            white_line_l2: L2 white-line height.
            fwhm_l3: L3 white-line FWHM, eV (> 0).
            fwhm_l2: L2 white-line FWHM, eV (> 0).
            eta: Lorentzian fraction of the pseudo-Voigt white lines, in [0, 1].
            xmcd_l3: dichroic difference at L3 as a fraction of the L3 white line, in
                [-``MAX_XMCD``, ``MAX_XMCD``].
            xmcd_l2: dichroic difference at L2 as a fraction of the L2 white line, in
                [-``MAX_XMCD``, ``MAX_XMCD``].
            mu_offset: sample absorption added for the counting statistics only.
            i0: incident counts per point and helicity, or None for noise-free
                measurements.
            seed: seed of the noise generator.

        Raises:
            ValueError: naming the setting, unless every setting is a finite real number
                (widths > 0, edge step and white lines >= 0, ``eta`` in [0, 1],
                ``l3_energy < l2_energy``, ``|xmcd_l3|`` and
                ``|xmcd_l2|`` <= ``MAX_XMCD``); with ``i0``, also when the largest mu of
                a helicity plus ``mu_offset`` exceeds ln(i0 / ``MIN_TRANSMITTED``), where under
                ``MIN_TRANSMITTED`` counts are transmitted and many noisy readings would clip.
        """
        self.l3_energy = check_finite("l3_energy", l3_energy)
        self.l2_energy = check_finite("l2_energy", l2_energy)
        if not self.l3_energy < self.l2_energy:
            raise ValueError(
                f"need l3_energy < l2_energy, got l3_energy={l3_energy!r}, "
                f"l2_energy={l2_energy!r}; the L2 edge lies above L3"
            )
        if energy_range is None:
            energy_range = (self.l3_energy - 17.0, self.l2_energy + 20.0)
        super().__init__(energy_range, i0=i0, mu_offset=mu_offset, seed=seed)
        self.edge_step = check_finite("edge_step", edge_step, nonnegative=True)
        self.edge_width = check_finite("edge_width", edge_width, positive=True)
        self.white_line_l3 = check_finite("white_line_l3", white_line_l3, nonnegative=True)
        self.white_line_l2 = check_finite("white_line_l2", white_line_l2, nonnegative=True)
        self.fwhm_l3 = check_finite("fwhm_l3", fwhm_l3, positive=True)
        self.fwhm_l2 = check_finite("fwhm_l2", fwhm_l2, positive=True)
        self.eta = check_finite("eta", eta)
        if not 0.0 <= self.eta <= 1.0:
            raise ValueError(f"eta must lie in [0, 1], got {eta!r}; pass a Lorentzian fraction")
        self.xmcd_l3 = check_finite("xmcd_l3", xmcd_l3)
        self.xmcd_l2 = check_finite("xmcd_l2", xmcd_l2)
        for name, value in (("xmcd_l3", self.xmcd_l3), ("xmcd_l2", self.xmcd_l2)):
            if abs(value) > MAX_XMCD:
                raise ValueError(
                    f"{name} must lie in [-{MAX_XMCD:g}, {MAX_XMCD:g}], got {value!r}; pass a "
                    "smaller fraction (a helicity's white line is (1 +- xmcd / 2) times the "
                    "average, negative beyond 2)"
                )
        self._check_countable(
            lambda e: np.maximum(*self._helicities(e)),
            (self.l3_energy, self.l2_energy),
            "the noise-free mu of one helicity",
            "lower edge_step, white_line_l3, white_line_l2, |xmcd_l3|, |xmcd_l2| or mu_offset",
        )

    def _helicities(self, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free (mu_plus, mu_minus), each (n,), for energies e: (n,) eV."""
        w = self.edge_width
        steps = (2 * arctan_step(e, self.l3_energy, w) + arctan_step(e, self.l2_energy, w)) / 3
        l3 = self.white_line_l3 * pseudo_voigt(e, self.l3_energy, self.fwhm_l3, self.eta)
        l2 = self.white_line_l2 * pseudo_voigt(e, self.l2_energy, self.fwhm_l2, self.eta)
        mu_avg = self.edge_step * steps + l3 + l2
        half_xmcd = 0.5 * (self.xmcd_l3 * l3 + self.xmcd_l2 * l2)
        return mu_avg + half_xmcd, mu_avg - half_xmcd

    def _evaluate_true(self, e: np.ndarray) -> np.ndarray:
        plus, minus = self._helicities(e)
        return 0.5 * (plus + minus)

    def _channels(self, e: np.ndarray) -> dict[str, np.ndarray]:
        # Interleaved (plus, minus) per energy, so the noise does not depend on the split
        # of a scan into calls.
        measured, _, i1 = self._transmission(np.column_stack(self._helicities(e)).ravel())
        plus, minus = measured.reshape(-1, 2).T
        i1_plus, i1_minus = i1.reshape(-1, 2).T
        return {
            "mu_avg": 0.5 * (plus + minus),
            "mu_plus": plus,
            "mu_minus": minus,
            "xmcd": plus - minus,
            "i1_plus": i1_plus,
            "i1_minus": i1_minus,
        }

    def uncertainties(self, channels: dict[str, float]) -> dict[str, float]:
        """Counting uncertainties of measured channels (see ``Simulator.uncertainties``):
        each helicity's mu 1/sqrt(I1), their difference the two in quadrature, their
        average half that; none without counting noise."""
        if self.i0 is None:
            return {}
        plus, minus = (counted(channels[name]) for name in ("i1_plus", "i1_minus"))
        both = (1.0 / plus + 1.0 / minus) ** 0.5
        return {
            "mu_avg": 0.5 * both,
            "mu_plus": 1.0 / plus**0.5,
            "mu_minus": 1.0 / minus**0.5,
            "xmcd": both,
            "i1_plus": plus**0.5,
            "i1_minus": minus**0.5,
        }
