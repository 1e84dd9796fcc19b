"""GP energy scan: the next photon energy where the warped GP is least certain."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from adaptive.arrays import check_bool, check_int, is_finite_real
from adaptive.errors import InvalidParameterError
from adaptive.space import Space
from adaptive.strategies.scan import Scan
from adaptive.strategy import check_state
from simulators.replay import HIGHEST_EDGE_EV, LOWEST_EDGE_EV, MIN_SPAN_EV
from surrogates.batch_acquisition import FLAT_STD
from surrogates.warped_gp import WarpedGP

#: The largest initial grid: each GP refit costs O(n^3), so a longer grid is a grid scan.
MAX_INITIAL = 1000
#: Points of the starting grid when ``n_initial`` is not given.
DEFAULT_INITIAL = 12
#: Reported uncertainties whose median exceeds the readings' scatter (the RMS of their
#: second differences over sqrt 6, which a signal only raises) this many times are in
#: other units (sqrt of counts for a ratio): held, they flattened the K-edge simulation to
#: NRMSE 0.36 at 100 points. Honest ones measured at least 1 / 1.6 of the scatter
#: (simulations and the shared replays, 12-100 readings down to 100 counts).
OVERSTATED = 5.0
#: The loosest stop (NRMSE 1.7 % at 35 points on the K-edge simulation): 0.5, a percent
#: meant, stopped it at its 12-point starting grid, NRMSE 10 %.
MAX_TOLERANCE = 0.1
#: The least fraction of the reconstruction's whole range the stop's tolerance is a fraction
#: of (see ``_feature_range``): a background at most 100 times the features it carries. A
#: tenth set the scale of a 0.02 Fe edge step on a background falling by 0.72: it stopped
#: "converged" at 136 points, 6.3 % of the step off at the edge (5.1 times the band).
MIN_FEATURE_RANGE = 0.01
#: How the GP's noise is set: held at the readings' uncertainties, or learned.
NOISE_MODELS = ("reported", "learned")


def _step_at(energy: np.ndarray, values: np.ndarray, at: int) -> float:
    """The step of ``values`` (n,) at index ``at`` of ``energy`` (n,).

    A line fitted to the points from ``at`` on minus one fitted to the points up to
    ``at``, both taken at ``energy[at]`` (as an XAS edge step is normalised), so a
    linear background does not count; a side of one point is a constant.
    """
    x = energy - energy[at]
    after, before = (
        np.polyfit(x[side], values[side], min(1, x[side].size - 1))[-1]
        for side in (slice(at, None), slice(None, at + 1))
    )
    return float(after - before)


def _features(mean: np.ndarray) -> float:
    """The range of a reconstruction ``mean`` (grid_size,), on the uniform grid, less the
    line through its two ends (the background an XAS normalisation removes: a 0.1 edge step
    on a background falling by 2.4 stopped at 22 points, its white line missed by 80 % of
    the step); 0 for readings all alike."""
    chord = np.linspace(mean[0], mean[-1], mean.size)
    return float(np.ptp(mean - chord))


def _feature_range(mean: np.ndarray) -> float:
    """The ``_features`` of a reconstruction ``mean`` (grid_size,), and at least
    ``MIN_FEATURE_RANGE`` of its whole range (a featureless slope); 0 for readings all
    alike."""
    return max(_features(mean), MIN_FEATURE_RANGE * float(np.ptp(mean)))


def _floor_note(mean: np.ndarray) -> str | None:
    """Why the feature range of a reconstruction ``mean`` (grid_size,) is its floor (see
    ``_feature_range``), in words for a stop reason; None when its features set it."""
    features, whole = _features(mean), float(np.ptp(mean))
    if features >= MIN_FEATURE_RANGE * whole:
        return None
    return (
        f"the feature range is its floor, {100 * MIN_FEATURE_RANGE:g}% of the reconstruction's "
        f"range {whole:.3g}: less the line through its ends it spans only {features:.3g}, a "
        f"background over {1 / MIN_FEATURE_RANGE:g} times its features (or a scan of no "
        "feature), so the tolerance is looser than the features' own"
    )


class EnergyScan(Scan):
    """Reconstruct a spectrum with few points: warped-GP maximum-variance sampling.

    The first ``n_initial`` points form a uniform grid. After that each
    suggestion is the grid energy of largest posterior std of a GP whose input
    warp follows the curvature of the current reconstruction (see
    ``surrogates.warped_gp``), so points gather on the edge and white line
    and thin out over the smooth pre-edge and EXAFS. Half of the warp's density
    (``floor``) follows XAFS practice instead: constant steps in k above the
    edge the reconstruction shows, which keeps exploring the EXAFS wiggles the
    curvature cannot see yet and spends few points on the flat far end; the signal
    may rise (mu) or fall (transmission) across that edge. A batch of ``n`` is chosen
    greedily, each pick conditioning the variance on the pending ones; energies
    pending or already picked are not picked again, so a batch is smaller (or empty) when
    fewer energies are left. On a dimension with a ``step`` every energy is snapped to its
    lattice.

    With ``noise="reported"`` (the default), when every observation carries an uncertainty
    (counting statistics, as the simulated and replay drivers' ``mu`` and ``i1`` channels
    report), its square is held as that reading's noise (a learned level sat at its bound on
    sparse noisy replays, leaving readings outside the band); otherwise, or with
    ``noise="learned"``, one noise level is learned. Held noise trusts the uncertainties:
    where readings scatter more than they say, the band is too narrow; use "learned".
    Uncertainties far above the scatter (``overstated``: other units) are not held. At a
    few tens of counts with honest uncertainties, held noise reconstructs better: a learned
    level may follow the scatter (the Fe fluorescence replay at 10 counts, 80 points: NRMSE
    0.25 learned, its band holding half the truth, against 0.055 held).

    The GP is refitted whenever ``suggest`` (or ``stop_reason``, which a campaign calls
    just before it) finds new observations, from the third on: from a cold start and from
    the previous fit's hyperparameters, keeping the likelier (past 200 observations only
    once they have grown by 10 % since; in between the stored hyperparameters condition
    the new ones: see ``WarpedGP``). ``predict`` fits a throwaway copy instead, so
    polling predictions does not change what is suggested next (and a resumed campaign
    picks as one that ran on).

    Once the GP's own std is below ``tolerance`` (of the feature range, below) at every
    free energy, suggestions rank what a reading can lower instead (``_lowerable``): the band
    the stop reads at the energies not read yet, the GP's own std at those read (the band's
    leave-one-out misfit leaves the readings at one energy out together, so a repeat does not
    lower it). So the spots the kernel misfits (an edge) get measured and the stop can fire:
    the default K-edge simulation, XMCD and four of seven replays at I0 1e6 ran to 300 points
    without; now all but SnO2 (and the Fe XANES replay in transmission) stop, at 48-226 points
    (K-edge 104), NRMSE 0.11-0.40 % (README, "The band").

    Stopping: fires once, for ``patience`` fits in a row, what a reading can lower is below
    ``tolerance`` at every energy the scan can read (on a step lattice the lattice energies:
    between them no reading lowers the band, and a 2 eV lattice never stopped), and so is
    the RMS change of the reconstruction there (fractions of the feature range: the
    reconstruction's range less the line through its two ends, the background an XAS
    normalisation removes, and at least ``MIN_FEATURE_RANGE`` of its range, see
    ``_feature_range``; one flat within the noise has not found the signal yet, however small
    its std). The reason is "converged" when the band ``predict`` reports (the GP's own
    widened by its leave-one-out misfit: the GP's own std alone was 0.45 % at 45 points while
    a 2 eV Fe pre-edge peak lay outside twice the band) is below ``tolerance`` at all those
    energies too; else "resolution-limited", naming where it is over: around energies all
    read, a step too coarse for the kernel there (the K-edge simulation's edge on its 1.17 eV
    grid, 1.8 %) or readings that scatter more than their uncertainties say. Bands given up
    on (a glitch) are left out of all three. The reason says so when the floor set the
    feature range (``_floor_note``).

    Args:
        space: one continuous dimension (the energy, in eV if ``edge_prior``).
        n_initial: size of the initial uniform grid (an integer from 3 to ``MAX_INITIAL``).
        tolerance: stopping threshold, a fraction of the feature range, in
            (0, 1); a new campaign's at most ``MAX_TOLERANCE`` (``check_new``).
        patience: consecutive fits that must meet ``tolerance`` (an integer >= 1).
        exponent, floor, smoothing: the warp (see ``WarpedGP``).
        edge_prior: use the k-space density as the warp's floor (else uniform); a bool.
        edge_width: eV, > 0; softens the 1/sqrt(E - E0) density right at the edge.
        noise: "reported" (hold the readings' uncertainties when all have one) or "learned".
    """

    name = "energy_scan"
    avoids_failed = True  # skips a band where REPEATED_FAILURES failed at one energy (a glitch)

    def __init__(
        self,
        space: Space,
        n_initial: int = DEFAULT_INITIAL,
        tolerance: float = 0.005,
        patience: int = 5,
        exponent: float = 0.5,
        floor: float = 0.5,
        smoothing: float = 4.0,
        edge_prior: bool = True,
        edge_width: float = 20.0,
        noise: str = "reported",
    ):
        super().__init__(space)
        check_int("n_initial", n_initial, 3, MAX_INITIAL)
        if not is_finite_real(tolerance) or not 0 < tolerance < 1:
            raise InvalidParameterError(f"tolerance={tolerance!r} must be a number in (0, 1)")
        check_int(
            "patience", patience, 1, why="fits in a row that meet tolerance before the scan stops"
        )
        check_bool("edge_prior", edge_prior)
        if noise not in NOISE_MODELS:
            raise InvalidParameterError(
                f"noise={noise!r} must be one of {NOISE_MODELS}: 'reported' holds each "
                "reading's uncertainty as its noise, 'learned' fits one level"
            )
        if not is_finite_real(edge_width) or edge_width <= 0:
            raise InvalidParameterError(
                f"edge_width={edge_width!r} must be a finite number > 0 (eV)"
            )
        if edge_prior:
            self._require_ev(
                "edge_prior's k-space density and edge_width (edge_prior=false drops them) are"
            )
        self.n_initial = n_initial
        self.tolerance = tolerance
        self.patience = patience
        self.edge_prior = edge_prior
        self.edge_width = edge_width
        self.noise = noise
        self.model = WarpedGP(
            grid_size=1024,
            exponent=exponent,
            floor=floor,
            smoothing=smoothing,
            base_density=self._xafs_density if edge_prior else None,
        )
        self._calm_fits = 0
        self._last_mean: np.ndarray | None = None
        self._fitted_on = 0
        self._ahead: tuple[int, WarpedGP] | None = None  # see predict
        self.last_max_std: float | None = None
        self.last_change: float | None = None  # None until a second fit

    def check_new(self) -> None:
        """Refuse, for a new campaign only (see ``Strategy``), an ``edge_prior`` over a space
        of positive energies ending below ``LOWEST_EDGE_EV``: its numbers are keV, which the
        prior's eV would read as a scan of one eV, placing the points badly. A space
        starting at or below 0 is relative to the edge (E - E0, -30 to 20 eV); it is keV
        when it spans less than ``MIN_SPAN_EV`` (-0.1 to 0.1). A space starting above
        ``HIGHEST_EDGE_EV`` is meV. A ``tolerance`` above ``MAX_TOLERANCE`` (a percent
        meant) is refused too."""
        if self.tolerance > MAX_TOLERANCE:
            raise InvalidParameterError(
                f"tolerance={self.tolerance!r} must be at most {MAX_TOLERANCE:g}: it is a "
                "fraction of the reconstruction's range, not a percent (0.5 % is 0.005)"
            )
        if not self.edge_prior:
            return
        if self.low <= 0 and self.high - self.low < MIN_SPAN_EV:
            self._not_ev(
                f"{self.high - self.low:g} eV around the edge, narrower than any absorption "
                f"edge scan ({MIN_SPAN_EV:g} eV)",
                "keV relative to the edge",
                1000,
            )
        if 0 < self.low and self.high < LOWEST_EDGE_EV:
            self._not_ev(
                f"below {LOWEST_EDGE_EV:g} eV, where no absorption edge scan lies",
                "keV (or k in 1/Angstrom: the dimension is the photon energy, E0 + 3.81 k^2 eV)",
                1000,
            )
        if self.low > HIGHEST_EDGE_EV:
            self._not_ev(
                f"above {HIGHEST_EDGE_EV / 1e3:g} keV, where no absorption edge scan lies",
                "meV",
                1e-3,
            )

    def _not_ev(self, where: str, unit: str, factor: float) -> None:
        """Refuse the space, which lies ``where`` (words): its numbers look like ``unit``,
        which ``factor`` times makes eV."""
        low, high = factor * self.low, factor * self.high
        scaled = f"x{factor:g}" if factor >= 1 else f"/{1 / factor:g}"
        raise InvalidParameterError(
            f"{self.name}: the energy dimension {self.dimension.name!r} spans "
            f"[{self.low:g}, {self.high:g}], {where}: the numbers look like {unit}, but "
            "edge_prior's k-space density and edge_width are in eV; give low and high in eV "
            f"({scaled}: {low:g} to {high:g}), or edge_prior=false for a scan of no "
            "absorption edge"
        )

    def _xafs_density(self, grid: np.ndarray, mean: np.ndarray) -> np.ndarray:
        """Prior point density (grid_size,): constant steps in k above the edge.

        The edge E0 is where the current reconstruction ``mean`` (grid_size,) rises
        fastest, as for an absorption (mu), unless the signal falls across its edge
        (a transmission I1/I0, or -mu): then it is where ``mean`` falls fastest. It
        falls when the steps (see ``_step_at``) at the steepest rise and at the
        steepest fall add up to a drop: a white line's far side, however steep, steps
        the same way as the edge, and a sloping background, however steep, neither
        way. Until the ``n_initial`` grid is measured the reconstruction is too coarse
        to tell (a raw mu on a steeply falling background looks like a drop), so the
        edge rises. Above E0 the density is dk/dE ~ 1/sqrt(E - E0 + edge_width);
        below ``E0 - edge_width`` it is the sparse far-EXAFS value (a coarse pre-edge).
        """
        energy = self._energy(grid)
        slope = np.gradient(mean, energy)
        rise, fall = int(np.argmax(slope)), int(np.argmin(slope))
        falls = (
            len(self._observed) >= self.n_initial
            and _step_at(energy, mean, rise) + _step_at(energy, mean, fall) < 0
        )
        edge = energy[fall if falls else rise]
        above = np.clip(energy - edge, 0.0, None)
        density = 1.0 / np.sqrt(above + self.edge_width)
        density[energy < edge - self.edge_width] = density.min()
        return density

    def _unit(self, energy) -> np.ndarray:
        return (np.asarray(energy, float) - self.low) / (self.high - self.low)

    def _energy(self, unit: np.ndarray) -> np.ndarray:
        """The energies (m,) of positions ``unit`` (m,) in [0, 1]: ``_unit`` undone."""
        return self.low + unit * (self.high - self.low)

    def _grid_energies(self) -> np.ndarray:
        """The energies (grid_size,) measured for the model's grid points: on the step
        lattice where the dimension has one."""
        return self.dimension.snap(self._energy(self.model.grid))

    def _readable(self, energies: np.ndarray) -> np.ndarray | None:
        """The model's positions (grid_size,) of the grid's ``energies`` (``_grid_energies``):
        on a step lattice the snapped energies, where readings can be taken (the band between
        them is no reading's to lower: a 2 eV lattice never stopped, its band largest between
        lattice energies); None without a step: the grid itself."""
        return None if self.dimension.step is None else self._unit(energies)

    def _posterior_at(
        self, energies: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The GP's mean and own std (each grid_size,) where the stop reads them, at the
        grid's ``energies`` (``_grid_energies``; see ``_readable``), and those positions."""
        at = self._readable(energies)
        mean, std = (
            self.model.grid_posterior() if at is None else self.model.predict(at, band=False)
        )
        return mean, std, at

    def _lowerable(self, std: np.ndarray, at: np.ndarray | None, read: np.ndarray) -> np.ndarray:
        """What a reading at each grid energy can lower (grid_size,), from the GP's own
        ``std`` at the model's positions ``at`` (``_readable``) and whether each energy was
        ``read`` already: the band ``predict`` reports where none was, the GP's own std where
        one was (the band's misfit stays there: the readings at one energy are left out
        together; ranked, the band put 203 of 300 readings on one K-edge energy)."""
        return np.where(read, std, self.model.widened(std, at))

    def _known_noise(self) -> np.ndarray | None:
        """The observations' variances (n,) when held ("reported"), every one gave an
        uncertainty and they are not ``overstated``, else None."""
        if self.noise == "learned":
            return None
        _, values, sigma = self._rows().T  # one sort for the check and the variances
        if not sigma.size or np.isnan(sigma).any() or self._overstated(values, sigma):
            return None
        return sigma**2

    def warning(self) -> str | None:
        """What a put's reply warns of (see ``Strategy``) under held noise: readings
        without an uncertainty among those with one (the noise is then learned for all),
        ``overstated`` uncertainties, or readings held as exact (uncertainty 0)."""
        if self.noise != "reported":
            return None
        energy, values, sigma = self._rows().T
        units = f" {self.dimension.units}" if self.dimension.units else ""
        missing = np.isnan(sigma)
        if missing.all():  # none gave one (or no reading yet): nothing was held
            return None
        if missing.any():  # held only when every reading gave one (``_known_noise``)
            return (
                f"{missing.sum()} of the {sigma.size} readings (one at "
                f"{energy[missing][0]:g}{units}) gave no uncertainty, so the noise is learned, "
                f"one level for all, and the {(~missing).sum()} uncertainties given are not "
                "held; give every put its uncertainty (or none)"
            )
        overstated = self._overstated(values, sigma)
        if overstated is not None or sigma.all():
            return overstated
        energy = energy[np.argmin(sigma)]
        return (
            f"readings with uncertainty 0 (the lowest at {energy:g}{units}) are held as exact: the "
            "reconstruction is made to pass through them, noise and all; if 0 means 'not "
            "known', leave the uncertainty out (the noise is then learned)"
        )

    def overstated(self) -> str | None:
        """Why the readings' uncertainties are not held as their noise when, from the
        ``n_initial``-th reading on, their median exceeds their scatter ``OVERSTATED``
        times (the noise is learned instead); None when it does not."""
        _, values, sigma = self._rows().T  # one sort, not data()'s and uncertainties()'s
        return self._overstated(values, sigma)

    def _overstated(self, values: np.ndarray, sigma: np.ndarray) -> str | None:
        """``overstated`` of the readings' values (n,) and uncertainties (n,), in the
        order of ``_rows``."""
        if values.size < max(self.n_initial, 4) or np.isnan(sigma).any():
            return None
        scatter = float(np.sqrt(np.mean(np.diff(values, 2) ** 2) / 6))
        stated = float(np.median(sigma))
        if stated <= OVERSTATED * scatter:
            return None
        return (
            f"the readings' uncertainties (median {stated:.3g}) are over {OVERSTATED:g} times "
            f"their scatter ({scatter:.3g}), so the noise was learned instead: are they in "
            "the values' units (not the sqrt of the counts of a ratio)?"
        )

    def _fit(self) -> None:
        """Refit the GP when new observations arrived; update the stopping counter."""
        x, y = self.data()
        if len(x) == self._fitted_on:
            return
        if self._ahead is not None and self._ahead[0] == len(x):
            self.model = self._ahead[1]  # predict fitted these observations already
        else:
            self._fit_model(self.model, x, y)
        self._ahead = None
        self._fitted_on = len(x)
        span = _feature_range(self.model.grid_posterior()[0])  # 0: readings all alike, never calm
        scale = span or 1.0
        # where a reading can come from: in a glitch band given up on the band stays wide and
        # the mean moves freely; on a step lattice, at the energies the grid's snap to (between
        # them the mean of an edge the lattice does not resolve moved 0.55 % a fit, for ever)
        energies = self._grid_energies()
        reachable = ~self._in_given_up(energies)
        mean, own, at = self._posterior_at(energies)
        change = None  # the first fit has nothing to compare with
        if self._last_mean is not None and reachable.any():
            moved = (mean - self._last_mean)[reachable]
            change = float(np.sqrt(np.mean(moved**2))) / scale
        self._last_mean = mean
        band = self.model.widened(own, at)
        self.last_max_std = float(band[reachable].max(initial=0.0)) / scale
        self.last_change = change
        # the band may stay over tolerance where every energy is read (an edge sharper than
        # the grid's or the lattice's step resolves): no reading lowers it, and the stop
        # reason says where it is
        lowerable = self._lowerable(own, at, self._is_measured(energies, x))
        calm = (
            span > 0
            and float(lowerable[reachable].max(initial=0.0)) / scale < self.tolerance
            and change is not None
            and change < self.tolerance
        )
        self._calm_fits = self._calm_fits + 1 if calm else 0

    def _fit_model(self, model: WarpedGP, x: np.ndarray, y: np.ndarray) -> None:
        """Fit ``model`` on the readings ``x``, ``y`` (n,); twice when more than one arrived
        since the last fit (a batch's) and the model picks next (the initial grid is
        measured): a fit ranks on the warp the fit before it derived, and a batch of 15
        ranked on the warp of 65 readings fewer put none on the edge."""
        batch = len(x) - self._fitted_on > 1 and len(x) >= self.n_initial
        for _ in range(2 if batch else 1):
            model.fit(self._unit(x), y, self._known_noise())

    def _choose(self, n: int, taken: list[float]) -> list[tuple[float, float | None, str]]:
        n_observed = len(self.data()[0])
        if n_observed >= 3:  # also during the initial grid: each fit warm-starts the next
            self._fit()
        chosen: list[tuple[float, float | None, str]] = []
        initial = self.dimension.snap(np.linspace(self.low, self.high, self.n_initial))
        positions = np.unique(initial)  # a coarse step lattice merges some
        measured = self._is_measured(positions, taken) | self._in_given_up(positions)
        for k, energy in enumerate(initial):
            if len(chosen) == n:
                return chosen
            at = int(np.searchsorted(positions, energy))
            if not measured[at]:
                measured[at] = True
                taken.append(float(energy))
                chosen.append((float(energy), None, f"initial grid point {k + 1}/{self.n_initial}"))
        if n_observed < 3:
            return chosen + self._largest_gaps(n - len(chosen), taken)
        pending = [self._unit(t) for t in taken[n_observed:]]
        energies = self._grid_energies()
        # a measured energy may be measured again (the GP's noise model can ask for it;
        # masking those cost 4 points on the Cu K-edge benchmark), a pending one not
        free = ~self._is_taken(energies, taken[n_observed:]) & ~self._in_given_up(energies)
        calm = self.tolerance * (_feature_range(self.model.grid_posterior()[0]) or 1.0)
        # on a step lattice the snapped energies are what get measured: rank their std, not
        # the grid's between them (a grid point beside a 2 eV lattice's edge kept its std,
        # and its lattice energy took 138 of 222 readings)
        at = self._readable(energies)
        read = self._is_measured(energies, self.data()[0])
        while len(chosen) < n and free.any():
            std = self.model.std_given_pending(np.array(pending), at)
            # the GP's own std under tolerance wherever free: the stop waits on what a reading
            # can lower only, so rank that, and the spots the kernel misfits get measured
            band = bool(std[free].max() < calm)
            if band:
                std = self._lowerable(std, at, read)
            best, why = self._most_uncertain(np.where(free, std, -np.inf), taken, band)
            unit = float(self.model.grid[best] if at is None else at[best])
            value = float(std[best])
            pending.append(unit)
            taken.append(float(energies[best]))  # the flat-std fallback spreads a batch
            free &= ~self._is_taken(energies, energies[best : best + 1])
            chosen.append(
                (
                    float(energies[best]),
                    value,
                    f"{why} ({value:.3g}) given {n_observed} observed, {len(pending) - 1} pending",
                )
            )
        return chosen

    def _most_uncertain(
        self, std: np.ndarray, taken: list[float], band: bool = False
    ) -> tuple[int, str]:
        """The grid index of the largest ``std`` (grid_size,; -inf where not free; the band
        where ``band``), unless the std is flat over every free energy (within ``FLAT_STD``
        of its largest): then the free energy farthest, in the warped coordinate, from the
        ``taken`` ones (measured and pending). A GP that finds no signal in its readings
        (its output scale collapsed at high noise) has a std flat to 1e-7, whose argmax sat
        on one end of the range (34 of 60 readings at XMCD I0 300): it fills the range
        instead. With why.
        """
        free = np.flatnonzero(np.isfinite(std))
        if std[free].min() < std.max() * (1 - FLAT_STD):
            if band:
                return int(np.argmax(std)), (
                    "largest band (warped-GP std widened by its leave-one-out misfit; at an "
                    "energy read already its own std, below tolerance everywhere)"
                )
            return int(np.argmax(std)), "largest warped-GP posterior std"
        u_taken = np.interp(self._unit(taken), self.model.grid, self.model.warp)
        distance = np.abs(self.model.warp[free][:, None] - u_taken[None, :]).min(1)
        why = "farthest from the energies taken, the warped-GP posterior std flat"
        return int(free[np.argmax(distance)]), why

    def _largest_gaps(self, n: int, taken: list[float]) -> list[tuple[float, float | None, str]]:
        """Midpoints of the widest gaps, while too few observations exist to fit a model;
        fewer than ``n`` (none) when no unmeasured energy is left between the taken ones and
        the glitch bands given up on (whose ends bound gaps too)."""
        out = []
        bands = np.asarray(self.given_up, float).ravel()
        for _ in range(n):
            edges = np.unique(np.concatenate([[self.low, self.high], taken, bands]))
            mids = self.dimension.snap((edges[:-1] + edges[1:]) / 2)
            unfit = self._is_taken(mids, taken) | self._in_given_up(mids)
            widths = np.where(unfit, -np.inf, np.diff(edges))
            if not np.isfinite(widths).any():
                break
            mid = float(mids[int(np.argmax(widths))])
            taken.append(mid)
            out.append((mid, None, "midpoint of the widest gap (model needs 3 observations)"))
        return out

    def predict(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """GP posterior mean and std at energies ``points`` (m,), each (m,); with fewer
        than 3 observations the GP is not fitted yet: linear interpolation and std None
        (``Scan.predict``, which needs 2).

        One number is one energy (m = 1); an (m, 1) column is taken as (m,).

        Observations that arrived since the last fit are fitted on a copy of the model,
        just as the next ``suggest`` will fit them: predicting changes neither later picks
        nor when the scan stops. The copy is kept until then, so repeated predictions and
        the next suggestion do not fit the same observations again (1.5 s each at 600 when
        the fit re-learns the hyperparameters).

        Raises:
            OutOfSpaceError: a point outside [low, high], where the GP would only clamp, by
                more than ``READBACK_TOLERANCE`` of the range (see ``Scan._inside``).
        """
        points = self._inside(points)
        x, y = self.data()
        if len(x) < 3:
            return super().predict(points)
        if len(x) == self._fitted_on:
            return self.model.predict(self._unit(points))
        if self._ahead is None or self._ahead[0] != len(x):
            model = copy.deepcopy(self.model, {id(self): self})  # its warp reads this scan
            self._fit_model(model, x, y)
            self._ahead = (len(x), model)
        return self._ahead[1].predict(self._unit(points))

    def stop_reason(self) -> str | None:
        if len(self.data()[0]) < self.n_initial:
            return None
        self._fit()
        if self._calm_fits < self.patience:
            return None
        learned = self.warning()
        bands = ", ".join(f"{first:g}-{last:g}" for first, last in self.given_up)
        units = self.dimension.units
        outside = bands and f" outside the glitch bands given up on ({bands} {units})"
        tolerance = f"{100 * self.tolerance:.2f}%"
        change = f"reconstruction change {100 * self.last_change:.2f}%"
        if self.last_max_std < self.tolerance:
            reason = (
                f"converged: posterior std (the band predict reports) "
                f"{100 * self.last_max_std:.2f}% and {change} of the reconstruction's feature "
                f"range stayed below {tolerance} for {self.patience} fits{outside}"
            )
        else:
            reason = (
                f"resolution-limited: the band predict reports stays over {tolerance} of the "
                f"reconstruction's feature range ({100 * self.last_max_std:.2f}% at "
                f"{self._widest():g} {units}) only around energies all read already, "
                f"{self._resolution()}: the kernel misfits what that step resolves, or the "
                "readings there scatter more than their uncertainties say; the GP's own std "
                f"and the {change} stayed below {tolerance} for {self.patience} fits{outside}"
            )
        floor = _floor_note(self.model.grid_posterior()[0])
        return "; ".join(note for note in (reason, floor, learned) if note)

    def _widest(self) -> float:
        """The grid energy of the largest band the stop read (see ``_fit``), outside the
        glitch bands given up on."""
        energies = self._grid_energies()
        _, own, at = self._posterior_at(energies)
        band = self.model.widened(own, at)
        return float(energies[np.argmax(np.where(self._in_given_up(energies), -1.0, band))])

    def _resolution(self) -> str:
        """How far apart the energies the scan can read lie, and how to read finer (words):
        the grid's spacing, or a step lattice's step where it is coarser. A finer lattice reads
        only the grid's energies snapped to it (``_grid_energies``: 1.1-1.2 eV apart on a 0.1
        eV lattice over the K-edge simulation's 1,200 eV), so a finer step reads no finer, a
        narrower range does."""
        units = self.dimension.units
        step = self.dimension.step
        spacing = (self.high - self.low) / (self.model.grid_size - 1)
        if step is not None and step >= spacing:
            return f"{step:g} {units} apart on the lattice (a finer step reads finer)"
        snapped = "" if step is None else f", snapped to the {step:g} {units} lattice"
        return (
            f"{spacing:.3g} {units} apart on its grid of {self.model.grid_size}{snapped} (a "
            "narrower range reads finer)"
        )

    def state(self) -> dict[str, Any]:
        return {
            "model": self.model.state(),
            "calm_fits": self._calm_fits,
            "last_mean": None if self._last_mean is None else self._last_mean.tolist(),
            "fitted_on": self._fitted_on,
            "last_max_std": self.last_max_std,
            "last_change": self.last_change,
            "given_up": [list(band) for band in self.given_up],
        }

    def load_state(self, state: dict[str, Any]) -> None:
        keys = {"model", "calm_fits", "last_mean", "fitted_on", "last_max_std", "last_change"}
        if isinstance(state, dict):  # states saved before the stop needed given_up lack it
            state = {"given_up": [], **state}
        check_state(self.name, state, keys | {"given_up"})
        self.model.load_state(state["model"])
        self._ahead = None
        self._calm_fits = int(state["calm_fits"])
        last = state["last_mean"]
        self._last_mean = None if last is None else np.asarray(last, float)
        self._fitted_on = int(state["fitted_on"])
        self.last_max_std = state["last_max_std"]
        change = state["last_change"]  # inf in states saved before None replaced it
        self.last_change = None if change is None or np.isinf(change) else change
        self.given_up = [(float(low), float(high)) for low, high in state["given_up"]]
