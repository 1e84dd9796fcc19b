"""Base class for spectrum simulators, after BoTorch's synthetic test problems.

A simulator stores its settings in the constructor, owns a seeded random
generator, and splits the signal into a noise-free part (``evaluate_true``) and
a measured, noisy part (``measure`` / ``measure_channels``).
"""

import math
import reprlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable

import numpy as np

#: Largest incident (and expected transmitted) count per point: numpy's Poisson sampler
#: refuses means above about 9.2e18 (int64 max - 10 sqrt(int64 max)).
MAX_COUNTS = 1e18
#: Fewest transmitted counts to expect at the most absorbing point for counting noise.
#: Readings of 0 and 1 count give the same mu (zero is floored at one count): at 1
#: expected count (1 + 1) exp(-1) = 74% of readings clip to that one value, at 10 only
#: (1 + 10) exp(-10) = 0.05%, and the bias of ln(i0 / I1), about 1 / (2 * 10) = 0.05,
#: stays well inside its noise 1 / sqrt(10) = 0.32.
MIN_TRANSMITTED = 10.0
#: Evenly spaced energies on which ``Simulator._check_countable`` seeks the largest mu.
GRID_POINTS = 20001


def is_real(value) -> bool:
    """Whether ``value`` is a real number: an int or a float, numpy's included, as JSON and
    numpy carry them (a bool, text, a ``Fraction`` or a ``Decimal`` is not; NaN and inf are).

    The one definition of a real number, for ``adaptive`` too (which imports it from
    ``adaptive.arrays``)."""
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def is_int(value) -> bool:
    """Whether ``value`` is an integer, numpy's included (a bool is not): the one
    definition, for ``adaptive`` (from ``adaptive.arrays``) and ``drivers`` too."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def is_finite_real(value) -> bool:
    """Whether ``value`` is a real number (``is_real``) that is finite as a float
    (``10**400`` is not)."""
    if not is_real(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def as_float_array(name: str, value, form: str, fix: str) -> np.ndarray:
    """``value`` as a new float array of its shape, or a ValueError naming ``name``, the
    expected ``form`` and the ``fix`` unless numpy reads it as real numbers (complex values,
    text such as ``"9000"``, bools, None, dicts, ragged nesting and other objects are
    refused)."""
    try:
        array = np.asarray(value)
        if array.dtype.kind in "iuf" or (
            array.dtype.kind == "O" and all(map(is_real, array.flat))  # Python ints past int64
        ):
            return array.astype(float)
    except (TypeError, ValueError, OverflowError):
        pass
    raise ValueError(f"{name} must be {form}, got {reprlib.repr(value)}; {fix}")


def check_finite(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a float, or a ValueError naming ``name`` unless it is a finite real
    number (and > 0 when ``positive``, >= 0 when ``nonnegative``)."""
    if not (
        is_finite_real(value) and (value > 0 or not positive) and (value >= 0 or not nonnegative)
    ):
        need, kind = (
            (" and > 0", "positive ")
            if positive
            else (" and >= 0", "non-negative ")
            if nonnegative
            else ("", "")
        )
        raise ValueError(
            f"{name} must be finite{need}, got {value!r}; pass a {kind}real number (an int or a "
            "float)"
        )
    return float(value)


def min_i0(total: float) -> float | None:
    """The least i0, rounded up to two significant digits, that expects ``MIN_TRANSMITTED``
    counts through the absorption ``total`` (mu + mu_offset); None above ``MAX_COUNTS``."""
    if total > math.log(MAX_COUNTS / MIN_TRANSMITTED):
        return None
    need = MIN_TRANSMITTED * math.exp(total)
    step = 10.0 ** (math.floor(math.log10(need)) - 1)
    need = math.ceil(need / step) * step
    return need if need <= MAX_COUNTS else None


class TooFewCountsError(ValueError):
    """Too few incident counts ``i0`` for a simulator's counting noise (its mu would clip);
    ``least_i0`` is the fewest it takes (``min_i0``), None when even ``MAX_COUNTS`` are too
    few."""

    def __init__(self, message: str, least_i0: float | None):
        super().__init__(message)
        self.least_i0 = least_i0


def check_seed(seed) -> int | None:
    """``seed`` as an int (or None), or a ValueError unless it is a non-negative integer
    (a numpy integer counts, a bool does not) or None, which draws a fresh one."""
    if seed is None:
        return None
    if not is_int(seed) or seed < 0:
        raise ValueError(
            f"seed must be a non-negative int or None, got {seed!r}; pass an integer such as 0"
        )
    return int(seed)


class Simulator(ABC):
    """A simulated spectrometer measuring signals as a function of photon energy.

    Subclasses set ``primary`` and ``channels``, call ``super().__init__`` and
    implement ``_evaluate_true``. The default ``_channels`` measures the primary
    signal in transmission (channels ``mu``, ``i0``, ``i1``); simulators with other
    channels override it.

    Attributes:
        primary: name of the channel returned by ``measure``.
        channels: names of all channels returned by ``measure_channels``.
        energy_range: ``(low, high)`` measurable energies, eV.
        i0: incident counts per point, or None for noise-free measurements.
        mu_offset: absorption added to the signal (sample matrix, windows) when
            computing transmitted counts and removed again from the measured mu.
        seed: seed of the random generator.
    """

    primary: str = "mu"
    channels: tuple[str, ...] = ("mu", "i0", "i1")

    def __init__(
        self,
        energy_range: tuple[float, float],
        i0: float | None = None,
        mu_offset: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Store and check the shared settings.

        Args:
            energy_range: ``(low, high)`` with finite low < high, eV.
            i0: incident counts per point (0 < i0 <= ``MAX_COUNTS``) for Poisson
                counting noise, or None for noise-free measurements.
            mu_offset: finite extra absorption used only for the counting statistics.
            seed: non-negative int seed of the random generator; None draws a fresh one.
        """
        try:
            pair = tuple(energy_range)
        except TypeError:
            pair = ()
        if not (len(pair) == 2 and all(map(is_finite_real, pair)) and pair[0] < pair[1]):
            raise ValueError(
                f"energy_range must be finite (low, high) with low < high, got {energy_range!r}; "
                "pass two numbers in eV"
            )
        if i0 is not None and not (is_finite_real(i0) and 0 < i0 <= MAX_COUNTS):
            raise ValueError(
                f"i0 must be a count with 0 < i0 <= {MAX_COUNTS:g} (numpy's Poisson sampler "
                f"fails above ~9.2e18) or None (noise-free), got {i0!r}; pass a number in range"
            )
        self.energy_range = (float(pair[0]), float(pair[1]))
        self.i0 = None if i0 is None else float(i0)
        self.mu_offset = check_finite("mu_offset", mu_offset)
        self.seed = seed
        self._rng = np.random.default_rng(check_seed(seed))

    def _check_countable(
        self,
        true_mu: Callable[[np.ndarray], np.ndarray],
        peaks: Iterable[float],
        what: str,
        fix: str,
        headroom: float = 0.0,
    ) -> None:
        """With ``i0`` set, a ``TooFewCountsError`` unless ``MIN_TRANSMITTED`` counts are expected
        through the largest ``true_mu`` plus ``mu_offset``: below them many noisy readings
        clip at ln(i0) - mu_offset.

        Args:
            true_mu: noise-free absorption, (n,) energies in eV -> (n,).
            peaks: energies of narrow maxima, eV, searched besides ``GRID_POINTS`` even
                steps over ``energy_range``.
            what: the name of ``true_mu`` in the message.
            fix: what lowers it, for the message (``lower edge_step or mu_offset``).
            headroom: 0, or the absorption that ``mu_offset`` keeps below the lowest
                ``true_mu`` (a replay's ``MU_HEADROOM``: ``mu_offset = headroom -
                min(true_mu)``). The rule is the same; the message then weighs the span of
                ``true_mu``, which the caller sets, against ln(i0 / ``MIN_TRANSMITTED``) -
                ``headroom``, naming neither ``mu_offset`` nor i0=None.
        """
        if self.i0 is None:
            return
        low, high = self.energy_range
        e = np.union1d(np.linspace(low, high, GRID_POINTS), [p for p in peaks if low <= p <= high])
        mu = true_mu(e)
        top = int(np.argmax(mu))
        total = float(mu[top]) + self.mu_offset
        limit = math.log(self.i0 / MIN_TRANSMITTED)
        if total <= limit:
            return
        need = min_i0(total)
        if headroom:
            bottom = int(np.argmin(mu))
            excess = (
                f"{what} spans {mu[top] - mu[bottom]:.3g} ({mu[bottom]:.3g} at {e[bottom]:g} eV "
                f"to {mu[top]:.3g} at {e[top]:g} eV), more than the ln(i0 / "
                f"{MIN_TRANSMITTED:g}) - {headroom:g} = {limit - headroom:.3g} that counting "
                f"noise at i0 = {self.i0:g} can express: under {MIN_TRANSMITTED:g} transmitted "
                "counts are expected at the highest mu, so many noisy readings would clip flat "
                "there"
            )
        else:
            excess = (
                f"{what} reaches {mu[top]:.3g} at {e[top]:g} eV: with mu_offset = "
                f"{self.mu_offset:g}, {total:.3g} exceeds ln(i0 / {MIN_TRANSMITTED:g}) = "
                f"{limit:.3g} (i0 = {self.i0:g}), so under {MIN_TRANSMITTED:g} transmitted "
                "counts are expected there and many noisy readings would clip at ln(i0) - "
                "mu_offset"
            )
        raise TooFewCountsError(
            f"{excess}; {fix}"
            + (f", or raise i0 to at least {need:g}" if need is not None else "")
            + ("" if headroom else ", or pass i0=None for noise-free measurements"),
            need,
        )

    @abstractmethod
    def _evaluate_true(self, e: np.ndarray) -> np.ndarray:
        """Noise-free primary signal.

        Args:
            e: (n,) checked energies inside ``energy_range``, eV.

        Returns:
            (n,) primary signal.
        """

    def _channels(self, e: np.ndarray) -> dict[str, np.ndarray]:
        """All channels, noisy when ``i0`` is set; default: transmission of the primary signal.

        Args:
            e: (n,) checked energies inside ``energy_range``, eV.

        Returns:
            Mapping of each name in ``channels`` to an (n,) array.
        """
        mu, i0, i1 = self._transmission(self._evaluate_true(e))
        return {"mu": mu, "i0": i0, "i1": i1}

    def _transmission(self, mu: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Measure an absorption ``mu`` in transmission with Poisson counting noise.

        Transmitted counts are ``I1 ~ Poisson(i0 * exp(-(mu + mu_offset)))`` and the
        measured absorption is ``ln(i0 / I1) - mu_offset`` (zero counts are floored at
        one count so the logarithm stays finite). With ``i0`` None there is no noise:
        ``i0`` is 1 and ``i1`` is the transmitted fraction.

        Args:
            mu: (n,) noise-free absorption.

        Returns:
            (measured mu, i0, i1), each (n,).
        """
        expected = np.exp(-(mu + self.mu_offset))
        if self.i0 is None:
            return mu, np.ones_like(mu), expected
        lam = self.i0 * expected
        if not np.all(lam <= MAX_COUNTS):
            raise ValueError(
                f"expected transmitted counts i0 * exp(-(mu + mu_offset)) reach {np.max(lam):g}, "
                f"above {MAX_COUNTS:g} (numpy's Poisson sampler fails above ~9.2e18); lower i0 "
                "or raise mu_offset so that mu + mu_offset >= 0"
            )
        i1 = self._rng.poisson(lam).astype(float)
        measured = np.log(self.i0 / counted(i1)) - self.mu_offset
        return measured, np.full_like(mu, self.i0), i1

    def _check_energy(self, energy: float | np.ndarray) -> np.ndarray:
        e = as_float_array(
            "energy", energy, "a real number or an array of real numbers", "pass energies in eV"
        )
        bad = ~np.isfinite(e)
        if bad.any():
            raise ValueError(
                f"energy must be finite, got {float(e[bad][0])}; pass energies in eV "
                f"inside energy_range {self.energy_range}"
            )
        low, high = self.energy_range
        outside = (e < low) | (e > high)
        if outside.any():
            raise ValueError(
                f"energy {float(e[outside][0])} eV is outside energy_range {self.energy_range}; "
                "request energies inside the range"
            )
        return e

    def evaluate_true(self, energy: float | np.ndarray) -> float | np.ndarray:
        """Noise-free primary signal.

        Args:
            energy: scalar or (...) array of energies inside ``energy_range``, eV.

        Returns:
            A float for scalar input, else an array shaped like ``energy``.
        """
        e = self._check_energy(energy)
        return _shaped(self._evaluate_true(e.ravel()), e.shape)

    def measure(self, energy: float | np.ndarray) -> float | np.ndarray:
        """Measured (noisy when ``i0`` is set) primary signal.

        Args:
            energy: scalar or (...) array of energies inside ``energy_range``, eV.

        Returns:
            A float for scalar input, else an array shaped like ``energy``.
        """
        return self.measure_channels(energy)[self.primary]

    def measure_channels(self, energy: float | np.ndarray) -> dict[str, float | np.ndarray]:
        """All measured channels (noisy when ``i0`` is set).

        Args:
            energy: scalar or (...) array of energies inside ``energy_range``, eV.

        Returns:
            Mapping of each name in ``channels`` to a float for scalar input, else to
            an array shaped like ``energy``.
        """
        e = self._check_energy(energy)
        return {name: _shaped(v, e.shape) for name, v in self._channels(e.ravel()).items()}

    def uncertainties(self, channels: dict[str, float]) -> dict[str, float]:
        """Counting uncertainties (one standard deviation) of measured ``channels``
        (``measure_channels``: floats of one energy, or arrays of several, each uncertainty
        then of their shape), for the channels that have one; none without counting noise
        (``i0`` None). Default: ``mu`` (ln I0/I1) 1/sqrt(I1) and ``i1`` sqrt(I1), I1 taken as
        at least 1 count, as ``mu`` is (``counted``)."""
        if self.i0 is None:
            return {}
        spread = counted(channels["i1"]) ** 0.5
        return {"mu": 1.0 / spread, "i1": spread}


def counted(counts: float | np.ndarray) -> float | np.ndarray:
    """A counting channel's ``counts`` taken as at least 1: a float for one energy, an
    array of their shape for several."""
    at_least_one = np.maximum(np.asarray(counts, float), 1.0)
    return float(at_least_one) if at_least_one.ndim == 0 else at_least_one


def _shaped(values: np.ndarray, shape: tuple[int, ...]) -> float | np.ndarray:
    return float(values[0]) if shape == () else values.reshape(shape)
