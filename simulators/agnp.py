"""Silver-nanoparticle flow synthesis: recipe -> UV-vis absorbance spectrum of a droplet.

A physics-inspired, data-calibrated stand-in for the droplet-flow synthesis of
Mekki-Berrada et al., npj Comput. Mater. 7, 55 (2021) (data in
``shared/data/synthesis``). A recipe gives five flows: the fractions of silver
nitrate, PVA, trisodium citrate (TSC) and silver seeds in the total flow (%), and
the total flow (uL/min). The absorbance on 380..800 nm is the sum of

* a *seed / out-of-plane band* near 434 nm: an asymmetric Gaussian (broad blue side,
  steep red side) standing for the spherical seeds' plasmon and the prisms'
  out-of-plane quadrupole, with a scattering tail ``(lambda / 380)^-bg_power``; its
  height saturates with the seed fraction,
  ``sphere_scale * (1 - exp(-Qseed / sphere_saturation))``;
* a *nanoprism in-plane dipole band*: a Gaussian centred at
  ``prism_center + prism_shift_ratio * ln(QAgNO3 / Qseed) + prism_shift_tsc * ln(Qtsc / 10)``
  nm, whose width grows with its position
  (``prism_width * (1 + prism_width_slope * (center - 500) / 100)``: bigger, thinner
  prisms give redder, broader bands; floored at ``MIN_PRISM_WIDTH`` = 20 nm, since the
  linear law reaches zero for bands bluer than about 425 nm, which corners of ``BOUNDS``
  give, while the 164 measured recipes all keep it above 28 nm) and whose height grows
  with the silver supply,
  ``prism_scale * (1 - exp(-QAgNO3 / prism_saturation))``;

both multiplied by the conversion within the residence time,
``1 - exp(-flow_scale / Qtot)`` (faster flow, shorter residence, less absorbance).
PVA is validated but has no effect: the run-1 spectra show none that the fit could use.

What the model promises (and the tests check): the in-plane band red-shifts when the
seed fraction falls relative to silver nitrate (fitted ``prism_shift_ratio`` = +43.7 nm
per e-fold of QAgNO3/Qseed) and blue-shifts with more citrate (``prism_shift_tsc`` =
-24.6 nm per e-fold of Qtsc; the run-1 data favour this sign, not a red shift with
TSC); absorbance falls with total flow and rises, saturating, with silver and seeds.

Calibration (``calibrate``: scipy ``least_squares`` on the 15 parameters of
``DEFAULT_PARAMS``, under a second) against the per-condition median of the 315 run-1
droplet spectra (15 recipes, ``agnp_run1_spectra.csv``): cosine similarity between the
simulated and the median measured spectrum median 0.998, min 0.994; RMSE median 0.030,
max 0.039 (absorbance; the measured maxima are 0.35-0.62). Two parameters end on
their caps, which are modelling priors, not data: ``flow_scale`` <= 2000 uL/min (run 1
barely constrains the flow dependence; the cap keeps the decrease with flow, conversion
0.87 at 983 uL/min and 1.00 at 200 uL/min) and ``prism_saturation`` <= 100 % (else the
silver term runs off to a degenerate linear limit; at 100 % it is 19 % sub-linear at the
top of the AgNO3 range).

Loss check, with the data README's loss (cosine to the nanoprism target times a height
step): on the 15 run-1 recipes the noise-free simulated spectra give losses 0.567-0.850
(median 0.739) against the measured per-recipe mean losses 0.580-0.876 (median 0.752),
Pearson r 0.96, mean absolute difference 0.021. Out of sample, on all 164 recipes of
``agnp_droplets.csv``: simulated 0.167-0.853 (median 0.435) against measured mean
0.148-0.907 (median 0.497), Pearson r 0.76; the measured best recipe (0.148) simulates
at 0.199.

Droplet-to-droplet noise in ``measure``, sized from the run-1 replicates: a
log-normal intensity factor (``intensity_jitter``, measured spread 1-18 %, median
6 %), a Gaussian shift of the in-plane band (``position_jitter``, nm) and additive
Gaussian noise per point (``noise``).
"""

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.optimize import least_squares

from simulators.base import as_float_array, check_seed, is_finite_real, is_int, is_real

#: (421,) wavelengths of every spectrum, nm: 380..800 in 1 nm steps.
WAVELENGTHS = np.arange(380.0, 801.0, 1.0)

#: Recipe factors, in the order of recipe arrays (same names and units as the data).
FACTORS = ("QAgNO3(%)", "Qpva(%)", "Qtsc(%)", "Qseed(%)", "Qtot(uL/min)")

#: Factor -> (low, high), the range covered by ``agnp_droplets.csv`` (164 recipes).
BOUNDS = {
    "QAgNO3(%)": (4.53, 42.81),
    "Qpva(%)": (9.99, 40.01),
    "Qtsc(%)": (0.5, 30.5),
    "Qseed(%)": (0.49, 19.5),
    "Qtot(uL/min)": (200.0, 983.0),
}

#: The four flow fractions (the first four factors) must sum to at most this, %.
MAX_FRACTION_SUM = 100.0
#: Relative slack on ``MAX_FRACTION_SUM``, as ``adaptive.space.TOL`` gives a campaign's
#: constraints: fractions filled up to exactly 100 % may sum to 100.00000000000001.
FRACTION_SUM_TOL = 1e-9

#: Most droplets one ``measure`` call simulates (each is a row of 421 absorbances).
MAX_DROPLETS = 10_000

#: Fitted model parameters (``calibrate`` on the run-1 median spectra; see module doc).
DEFAULT_PARAMS = {
    "sphere_scale": 0.1871,
    "sphere_saturation": 5.176,
    "prism_scale": 2.6953,
    "prism_saturation": 100.0,
    "flow_scale": 2000.0,
    "sphere_center": 433.6255,
    "sphere_left": 52.8856,
    "sphere_right": 12.7041,
    "prism_center": 517.2306,
    "prism_shift_ratio": 43.7094,
    "prism_shift_tsc": -24.5579,
    "prism_width": 64.0244,
    "prism_width_slope": 1.3406,
    "bg_amp": 1.3944,
    "bg_power": 2.3264,
}

#: Parameter -> (low, high) allowed in ``calibrate`` and in the constructor.
PARAM_BOUNDS = {
    "sphere_scale": (0.0, 5.0),
    "sphere_saturation": (0.1, 200.0),
    "prism_scale": (0.0, 20.0),
    "prism_saturation": (1.0, 100.0),
    "flow_scale": (100.0, 2000.0),
    "sphere_center": (400.0, 470.0),
    "sphere_left": (5.0, 150.0),
    "sphere_right": (2.0, 60.0),
    "prism_center": (450.0, 650.0),
    "prism_shift_ratio": (0.0, 300.0),
    "prism_shift_tsc": (-200.0, 200.0),
    "prism_width": (20.0, 250.0),
    "prism_width_slope": (0.0, 3.0),
    "bg_amp": (0.0, 5.0),
    "bg_power": (0.0, 10.0),
}

#: Floor of the in-plane band width (Gaussian sigma), nm: the lower bound of ``prism_width``.
MIN_PRISM_WIDTH = PARAM_BOUNDS["prism_width"][0]

_NAMES = tuple(DEFAULT_PARAMS)

#: One recipe: a dict keyed by exactly ``FACTORS`` or a (5,) array in that order.
Recipe = Mapping[str, float] | np.ndarray | Sequence[float]


def _spectra(p: np.ndarray, x: np.ndarray, shift: np.ndarray | float = 0.0) -> np.ndarray:
    """Noise-free model spectra.

    Args:
        p: (15,) parameters in ``DEFAULT_PARAMS`` order.
        x: (n, 5) checked recipes in ``FACTORS`` order.
        shift: scalar or (n,) extra shift of the in-plane band, nm.

    Returns:
        (n, 421) absorbance on ``WAVELENGTHS``.
    """
    (ss, s0, sp, s1, qs, cs, sl, sr, cp, kr, kt, wp, kw, ba, bp) = p
    ag, _pva, tsc, seed, qtot = x.T
    conversion = 1.0 - np.exp(-qs / qtot)
    i_sphere = ss * (1.0 - np.exp(-seed / s0)) * conversion
    i_prism = sp * (1.0 - np.exp(-ag / s1)) * conversion
    center = cp + kr * np.log(ag / seed) + kt * np.log(tsc / 10.0) + shift
    width = np.maximum(wp * (1.0 + kw * (center - 500.0) / 100.0), MIN_PRISM_WIDTH)
    lam = WAVELENGTHS[None, :]
    d = lam - cs
    sphere = np.exp(-0.5 * (d / np.where(d < 0.0, sl, sr)) ** 2) + ba * (lam / 380.0) ** (-bp)
    prism = np.exp(-0.5 * ((lam - center[:, None]) / width[:, None]) ** 2)
    return i_sphere[:, None] * sphere + i_prism[:, None] * prism


def _check_params(params: Mapping[str, float]) -> np.ndarray:
    unknown = sorted(set(params) - set(_NAMES))
    if unknown:
        raise ValueError(
            f"unknown model parameter(s) {unknown}; known parameters are {list(_NAMES)}"
        )
    merged = {**DEFAULT_PARAMS, **params}
    for name, value in merged.items():
        low, high = PARAM_BOUNDS[name]
        if not (is_finite_real(value) and low <= value <= high):
            raise ValueError(
                f"model parameter {name}={value!r} must be a finite number in [{low}, {high}]"
            )
    return np.array([float(merged[n]) for n in _NAMES])


def check_recipes(recipes: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """Validate recipes given as an array in ``FACTORS`` order.

    Args:
        recipes: (n, 5) flows in ``FACTORS`` order.

    Returns:
        (n, 5) float copy.

    Raises:
        ValueError: values that are not real numbers (dicts, complex), wrong shape,
            non-finite value, value outside ``BOUNDS`` or the four fractions summing to
            more than ``MAX_FRACTION_SUM`` (by more than ``FRACTION_SUM_TOL`` of it).
    """
    x = as_float_array(
        "recipes",
        recipes,
        f"an (n, {len(FACTORS)}) array of real numbers in order {FACTORS}",
        "give each recipe as a row of numbers, e.g. [[r[f] for f in FACTORS] for r in dicts]",
    )
    if x.ndim != 2 or x.shape[1] != len(FACTORS):
        raise ValueError(
            f"recipes must be an (n, {len(FACTORS)}) array in order {FACTORS}, got shape {x.shape}"
        )
    for j, name in enumerate(FACTORS):
        col = x[:, j]
        bad = ~np.isfinite(col)
        if bad.any():
            raise ValueError(f"{name} must be finite, got {col[bad][0]} (recipe {bad.argmax()})")
        low, high = BOUNDS[name]
        out = (col < low) | (col > high)
        if out.any():
            i = int(out.argmax())
            raise ValueError(
                f"{name}={col[i]} (recipe {i}) is outside its bounds [{low}, {high}]; "
                "pass a value inside BOUNDS"
            )
    total = x[:, :4].sum(axis=1)
    over = total > MAX_FRACTION_SUM * (1.0 + FRACTION_SUM_TOL)
    if over.any():
        i = int(over.argmax())
        raise ValueError(
            f"flow fractions {FACTORS[:4]} of recipe {i} sum to {float(total[i])!r} % > "
            f"{MAX_FRACTION_SUM:g} % (by {total[i] - MAX_FRACTION_SUM:.3g}); lower them so "
            f"they sum to at most {MAX_FRACTION_SUM:g}"
        )
    return x


def _recipe_row(recipe: Recipe) -> np.ndarray:
    """One recipe (dict keyed by ``FACTORS`` or (5,) array) as a checked (1, 5) array."""
    if isinstance(recipe, Mapping):
        unknown = sorted(set(recipe) - set(FACTORS))
        missing = [f for f in FACTORS if f not in recipe]
        if unknown or missing:
            raise ValueError(
                f"recipe has unknown factor(s) {unknown} and missing factor(s) {missing}; "
                f"give exactly {list(FACTORS)}"
            )
        wrong = {f: recipe[f] for f in FACTORS if not is_real(recipe[f])}
        if wrong:  # float() took "25" and True
            raise ValueError(
                f"recipe values must be real numbers; {wrong!r} are not: give each flow as a number"
            )
        row = [float(recipe[f]) for f in FACTORS]
    else:
        row = as_float_array(
            "recipe",
            recipe,
            f"a dict keyed by {list(FACTORS)} or a ({len(FACTORS)},) array of real numbers",
            "pass one recipe of numbers",
        )
        if row.shape != (len(FACTORS),):
            raise ValueError(
                f"a recipe array must have shape ({len(FACTORS)},) in order {FACTORS}, "
                f"got shape {row.shape}; use spectra_true for several recipes"
            )
    return check_recipes(np.asarray(row, dtype=float)[None, :])


class AgNPSynthesis:
    """Seeded simulator of silver-nanoparticle droplet-flow synthesis.

    Example:
        >>> sim = AgNPSynthesis(seed=0)
        >>> recipe = {"QAgNO3(%)": 15.0, "Qpva(%)": 25.0, "Qtsc(%)": 10.0,
        ...           "Qseed(%)": 8.0, "Qtot(uL/min)": 500.0}
        >>> sim.measure(recipe, n_droplets=3).shape
        (3, 421)

    Attributes:
        wavelengths: (421,) ``WAVELENGTHS``, nm.
        params: model parameters (``DEFAULT_PARAMS`` updated with the given ones).
        intensity_jitter: standard deviation of the log of the per-droplet intensity factor.
        position_jitter: standard deviation of the per-droplet in-plane band shift, nm.
        noise: standard deviation of the additive per-point noise, absorbance.
        seed: seed of the random generator.
    """

    factors = FACTORS
    bounds = BOUNDS

    def __init__(
        self,
        params: Mapping[str, float] | None = None,
        intensity_jitter: float = 0.06,
        position_jitter: float = 4.0,
        noise: float = 0.003,
        seed: int | None = None,
    ) -> None:
        """Store the settings.

        Args:
            params: model parameters overriding ``DEFAULT_PARAMS`` (names from it,
                values inside ``PARAM_BOUNDS``), e.g. the output of ``calibrate``.
            intensity_jitter: finite >= 0 log-normal sigma of the droplet intensity.
            position_jitter: finite >= 0 droplet shift of the in-plane band, nm.
            noise: finite >= 0 additive Gaussian noise per point, absorbance.
            seed: non-negative int seed of the random generator; None draws a fresh one.
        """
        self._p = _check_params(dict(params or {}))
        for name, value in (
            ("intensity_jitter", intensity_jitter),
            ("position_jitter", position_jitter),
            ("noise", noise),
        ):
            if not (is_finite_real(value) and value >= 0):
                raise ValueError(
                    f"{name} must be a finite number >= 0 (0 disables it), got {value!r}"
                )
        self.params = dict(zip(_NAMES, self._p.tolist(), strict=True))
        self.intensity_jitter = float(intensity_jitter)
        self.position_jitter = float(position_jitter)
        self.noise = float(noise)
        self.seed = seed
        self.wavelengths = WAVELENGTHS.copy()
        self._rng = np.random.default_rng(check_seed(seed))

    def spectrum_true(self, recipe: Recipe) -> np.ndarray:
        """Noise-free absorbance of one recipe.

        Args:
            recipe: dict keyed by exactly ``FACTORS``, or a (5,) array in that order.

        Returns:
            (421,) absorbance on ``WAVELENGTHS``.
        """
        return _spectra(self._p, _recipe_row(recipe))[0]

    def spectra_true(self, recipes: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """Noise-free absorbance of many recipes (vectorised).

        Args:
            recipes: (n, 5) flows in ``FACTORS`` order.

        Returns:
            (n, 421) absorbance on ``WAVELENGTHS``.
        """
        return _spectra(self._p, check_recipes(recipes))

    def measure(
        self,
        recipe: Recipe,
        n_droplets: int = 1,
    ) -> np.ndarray:
        """Measured (noisy) absorbance of ``n_droplets`` droplets of one recipe.

        Each droplet gets its own log-normal intensity factor, in-plane band shift and
        additive noise, drawn from the simulator's seeded generator droplet by droplet (one
        row of 2 + 421 standard normals each), so ``measure(r, 3)`` equals three
        ``measure(r)`` calls.

        Args:
            recipe: dict keyed by exactly ``FACTORS``, or a (5,) array in that order.
            n_droplets: number of droplets, an int from 1 to ``MAX_DROPLETS``.

        Returns:
            (n_droplets, 421) absorbance on ``WAVELENGTHS``.
        """
        if not is_int(n_droplets):
            raise ValueError(f"n_droplets must be an int >= 1, got {n_droplets!r}")
        if not 1 <= n_droplets <= MAX_DROPLETS:
            raise ValueError(
                f"n_droplets must be from 1 to {MAX_DROPLETS}, got {n_droplets}; measure "
                "more droplets in several calls"
            )
        x = np.repeat(_recipe_row(recipe), int(n_droplets), axis=0)
        n = x.shape[0]
        z = self._rng.standard_normal((n, 2 + WAVELENGTHS.size))
        shift = self.position_jitter * z[:, 0]
        scale = np.exp(self.intensity_jitter * z[:, 1])
        return scale[:, None] * _spectra(self._p, x, shift) + self.noise * z[:, 2:]


def calibrate(
    recipes: np.ndarray,
    spectra: np.ndarray,
    x0: Mapping[str, float] | None = None,
    max_nfev: int | None = None,
) -> dict[str, float]:
    """Fit the model parameters to measured spectra by bounded least squares.

    This is how ``DEFAULT_PARAMS`` were obtained: ``recipes`` the 15 run-1 recipes,
    ``spectra`` the per-condition median of their droplet spectra, ``x0`` a rough
    hand-made start (scales 0.4, saturations 5 and 10, flow_scale 1000, centres 435 and
    520 nm, widths 28/12 and 60 nm, shifts 60 and -30 nm, slope 0.6, bg 0.5 and 3);
    ``scipy.optimize.least_squares`` (trust-region reflective, ``x_scale="jac"``)
    within ``PARAM_BOUNDS`` takes about a second.

    Args:
        recipes: (n, 5) flows in ``FACTORS`` order, n >= 1.
        spectra: (n, 421) measured absorbance on ``WAVELENGTHS`` (e.g. medians of the
            droplets of each recipe).
        x0: starting parameters (default ``DEFAULT_PARAMS``); missing names take defaults.
        max_nfev: optional cap on model evaluations.

    Returns:
        Fitted parameter dict, usable as ``AgNPSynthesis(params=...)``.
    """
    x = check_recipes(recipes)
    if x.shape[0] == 0:
        raise ValueError("calibrate needs at least one recipe with its measured spectrum, got none")
    y = as_float_array(
        "spectra", spectra, "an array of real numbers", "pass measured absorbance values"
    )
    if y.shape != (x.shape[0], WAVELENGTHS.size):
        raise ValueError(
            f"spectra must have shape ({x.shape[0]}, {WAVELENGTHS.size}) to match the recipes "
            f"and WAVELENGTHS, got {y.shape}"
        )
    if not np.isfinite(y).all():
        raise ValueError("spectra must be finite; drop or interpolate NaN/inf points first")
    p0 = _check_params(dict(x0 or {}))
    low = np.array([PARAM_BOUNDS[n][0] for n in _NAMES])
    high = np.array([PARAM_BOUNDS[n][1] for n in _NAMES])
    fit = least_squares(
        lambda p: (_spectra(p, x) - y).ravel(),
        p0,
        bounds=(low, high),
        x_scale="jac",
        max_nfev=max_nfev,
    )
    return {n: round(float(v), 4) for n, v in zip(_NAMES, fit.x, strict=True)}
