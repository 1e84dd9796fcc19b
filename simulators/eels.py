"""Simulated EELS core-loss spectra for element identification, and the edge table.

The task follows Annys, Jannis and Verbeeck, Sci. Rep. 13, 13724 (2023): 80 elements
from Be to Bi (Z = 4..83) and their K, L, M, N and O edges, spectra on ``N_CHANNELS =
3072`` channels of 1 eV. Channel ``i`` is centred on ``i`` eV and covers
``[i - 0.5, i + 0.5)`` eV, so the energy axis is ``np.arange(N_CHANNELS)``; channels
outside the measured window are zero.

Edge onsets come from ``data/eels_edges.csv``: the hyperspy/exspy EELS database
(``exspy/_misc/eels/eels_binding_energies.json``, version 1.0 of 2025-06-04), which
follows the Gatan EELS Atlas (after Ahn and Krivanek, EELS Atlas, ASU HREM Facility and
Gatan, 1983), with its Major/Minor relevance and its edge descriptors; S K (2472 eV) and
Cl K (2822 eV), absent there, come from the X-ray Data Booklet (Thompson et al., LBNL,
Table 1-1).

One spectrum of ``EELSSimulator.sample``, in the order it is built:

* **Composition**: a *query* element drawn uniformly from the 80, then 0-3 partners
  from a compound class drawn by weights that depend on the query's role (metal,
  anion former, noble gas): pure element, binary oxide/nitride/carbide/boride/
  fluoride/chalcogenide/halide, alloy or intermetallic, ternary compound
  (perovskite/spinel-like), quaternary (doped) compound; anion partners are drawn
  with O most likely, metal partners with common ones favoured. With probability
  ``contamination`` carbon is added, unless the composition already holds four
  elements or carbon (C is also drawn as an anion partner); so ``contamination`` is not
  the share of spectra with carbon: about 0.07 at 0, 0.15 at the default 0.1 and 0.91
  at 1. Atomic fractions follow rough stoichiometries.
* **Window**: width uniform in ``window_width`` channels, placed uniformly such that
  one major edge of the query, chosen at random, lies at least ``edge_margin`` eV
  inside it, and never below ``energy_min``.
* **Overlap** (a training option, off by default): with probability
  ``overlap_fraction`` one more partner joins, drawn uniformly among the pairs of a
  major edge of the query and a major edge of another element at most ``OVERLAP_EV``
  apart, both labelled in the window (La M4,5 and Ni L2,3, Ba M4,5 and Co L2, ...),
  with an atomic fraction log-uniform in ``OVERLAP_FRACTION``, so a weak edge can sit
  under a strong white line. It takes a free composition slot, or the last one.
* **Background**: ``B(E) = (E / E0)^-(r + dr ln(E/E0) / ln(E1/E0))`` (``E0``, ``E1`` the
  first and last channel, ``r`` in ``background_exponent``, ``|dr| <=
  background_curvature``): a power law whose local exponent ``-d ln B / d ln E = r +
  2 dr ln(E/E0) / ln(E1/E0)`` drifts from ``r`` at the first channel to ``r + 2 dr`` at
  the last, a change of ``2 dr`` (up to twice ``background_curvature``) across the
  window. It stands for the valence loss, the tails of the edges far below the window
  and their plural scattering, as a measured background does; edges more than
  ``GUARD_EV`` below the window are therefore not drawn separately.
* **Edges**: every edge of every element with an onset from ``GUARD_EV`` below the
  window up to its end, at the tabulated onset plus a common shift (``energy_shift``)
  and a chemical shift per element (``+-chemical_shift``). The jump at onset is
  ``fraction * strength * u * B(onset)`` with ``u`` log-uniform in ``jump_ratio``,
  one ``u`` per spin-orbit pair (L3 and L2, M5 and M4); ``strength`` is the
  statistical branching (L2 : L3 = 1 : 2, M4 : M5 = 2 : 3, ...), times
  ``MINOR_STRENGTH`` for minor edges. Above onset the continuum decays as
  ``(E / onset)^-p`` (``p`` per spectrum, near ``r``). "Abrupt onset" edges (K, L1, ...)
  are sawtooths; "Delayed maximum" edges (L2,3 of 3d and 4p elements, M4,5 of 4d/5d,
  N edges) rise over a Rayleigh profile of width 4-20 eV ("Very delayed": 20-30 eV)
  and overshoot to a broad maximum about 2.5 widths above onset, by up to 52 % of the
  step (before the continuum's decay). Atlas "Sharp peak" thresholds
  (L2,3 of Ca-Ni, M4,5 of Cs-Yb, L2,3 of Rb-Tc, ...) get a white line: a tapered
  Lorentzian -2 to 4 eV from the tabulated onset (the Atlas onsets differ from the
  binding energies by about that much: Ni 2p3/2 852.7 eV against 855 eV, La 3d5/2
  about 836 eV against 832 eV), height ``white_line`` times the jump. The two
  spin-orbit partners of an element share its height, offset and width (the weaker
  one 1.3 times broader, from its Coster-Kronig decay), and their areas follow the
  measured white-line ratios (``WHITE_LINE_RATIO``), not the statistical 2 : 1 and
  3 : 2: L3/L2 near 1 for K-V, 2-5 for Mn-Ni (Leapman, Grunes and Fejes, Phys. Rev. B
  26, 614 (1982); Pearson et al., Phys. Rev. B 47, 8471 (1993)); M5/M4 0.7-1.0 for
  Cs-La (4f0), rising with 4f filling to 1.5-2 at Gd and above 4 at Tm, Yb (Thole et
  al., Phys. Rev. B 32, 5107 (1985); Manoubi, Colliex and Rez, J. Electron Spectrosc.
  50, 1 (1990)); other pairs the statistical ratio times 0.7-1.4. "Broad peak"
  thresholds get a 4-12 eV wide Gaussian. Every edge near the window gets up to three
  Gaussian fine-structure components within 40 eV above onset (ELNES), heights up to
  the jump, or up to ``WHITE_LINE_FINE_STRUCTURE`` of it after a white line, where
  the measured near-edge structure beyond the white lines is a few to 25 % of the jump.
* **Plural scattering and resolution**: the edges are convolved (FFT) with the
  low-loss distribution ``exp(t (P - 1))`` in Fourier space, i.e. Poisson weights of
  ``k``-fold plasmon losses for thickness ``t = t/lambda`` (log-uniform in
  ``thickness``, so thin samples are common), with a
  Drude plasmon ``P`` (energy ``plasmon_energy``, width ``plasmon_width``), and with
  a Gaussian resolution of FWHM in ``resolution`` eV.
* **Noise**: Poisson counts, scaled so the last window channel holds a count drawn
  log-uniformly from ``counts``. With probability ``background_removed`` the
  background is then subtracted, as in many published spectra. Finally zero outside
  the window and division by the window maximum.

Calibration against the measured spectra in ``shared/data/eels`` (exspy Mn/O, EELSDB
La2NiO4): power-law fits to their pre-edge regions give r = 2.4-2.6; 15-45 eV beyond
onset the O K edge adds 0.15-0.35 of the background, Mn L2,3 0.30 and La M4,5 + Ni L2,3
0.79; the white lines peak at 0.94 (Mn L3) and 1.66 (La M4 + Ni L3) times the
background, Mn L3/L2 peaks 1.6, 8-9 eV above the tabulated onsets (calibration plus
chemical shift); the exspy low loss has t/lambda = 0.5 and a plasmon near 31 eV.
Simulating the same compositions and windows (300 spectra each) puts each of these
values between the 5th and 95th percentiles of the simulated ones (white-line peaks over
the background: Mn L3 0.10-2.1, La M4 + Ni L3 0.17-1.9; Mn L3/L2 0.97-4.6), except the
white-line positions: the simulated Mn L3 maximum lies -4 to 7 eV from the onset (5th to
95th percentile, shifts included), the measured one 9 eV.
"""

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources

import numpy as np
import scipy.fft

from simulators.base import check_seed, is_finite_real, is_int

#: Element symbols Be..Bi (Z = 4..83) in order of atomic number.
ELEMENTS: tuple[str, ...] = (
    "Be", "B", "C", "N", "O", "F", "Ne", "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar", "K",
    "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se",
    "Br", "Kr", "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In",
    "Sn", "Sb", "Te", "I", "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd",
    "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au",
    "Hg", "Tl", "Pb", "Bi",
)  # fmt: skip
#: The other element symbols, H..Li (Z = 1..3) and Po..Og (Z = 84..118): none is identified.
OTHER_ELEMENTS: tuple[str, ...] = (
    "H", "He", "Li", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am",
    "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds",
    "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
)  # fmt: skip
#: Channels of a spectrum: 1 eV each, channel i centred on i eV.
N_CHANNELS = 3072
#: Edges further than this below the window are part of the power-law background, eV.
GUARD_EV = 100.0
#: Jump of a minor edge relative to a major one of the same branching.
MINOR_STRENGTH = 0.25
#: Statistical (2j + 1) weight of the weaker spin-orbit partner; others have weight 1.
BRANCHING = {"L2": 1 / 2, "M2": 1 / 2, "M4": 2 / 3, "N2": 1 / 2, "N4": 2 / 3, "N6": 3 / 4}
#: Anion formers drawn as partners, and how likely each is.
ANIONS = {"O": 45, "N": 8, "C": 8, "B": 4, "F": 6, "S": 7, "Se": 3, "Te": 2, "Cl": 5, "Br": 3,
          "I": 3, "P": 4}  # fmt: skip
NOBLE_GASES = ("Ne", "Ar", "Kr", "Xe")
#: Elements with no solid pure form to draw (gases).
GASES = ("N", "O", "F", "Cl", "Br", *NOBLE_GASES)
#: Metal partners twice as likely as others; radioactive ones ten times less.
COMMON_METALS = ("Mg", "Al", "Si", "Ca", "Ti", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Sr", "Zr",
                 "Ba", "La")  # fmt: skip
RARE_METALS = ("Tc", "Pm")
#: Compound classes as (metal partners, anion partners).
CLASSES = ((0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (2, 1), (1, 2), (3, 0))
#: Class weights by the query's role: metal, anion former, noble gas.
CLASS_WEIGHTS = {
    "metal": (0.15, 0.42, 0.10, 0.03, 0.20, 0.06, 0.04, 0.0),
    "anion": (0.05, 0.03, 0.45, 0.22, 0.10, 0.07, 0.0, 0.08),
    "noble": (0.0, 0.0, 0.6, 0.0, 0.4, 0.0, 0.0, 0.0),
}
#: Major edges of two elements at most this far apart overlap (``overlap_fraction``), eV.
OVERLAP_EV = 40.0
#: Range of the atomic fraction of an overlapping partner (log-uniform).
OVERLAP_FRACTION = (0.05, 0.5)
#: Fine-structure (ELNES) components drawn per edge.
N_FINE_STRUCTURE = 3
#: Largest fine-structure height relative to the jump after a white line (else 1).
WHITE_LINE_FINE_STRUCTURE = 0.25
#: Range of the white-line intensity ratio of the stronger spin-orbit partner to the
#: weaker (L3/L2, M5/M4), by element; other pairs: the statistical ratio times 0.7-1.4.
WHITE_LINE_RATIO = {
    **dict.fromkeys(("K", "Ca", "Sc", "Ti", "V"), (0.7, 1.2)),
    "Cr": (1.0, 2.0), "Mn": (2.0, 5.0), "Fe": (2.5, 5.5), "Co": (2.5, 5.0), "Ni": (2.0, 4.0),
    **dict.fromkeys(("Cs", "Ba", "La"), (0.7, 1.0)),
    "Ce": (0.8, 1.2), "Pr": (1.0, 1.4), "Nd": (1.1, 1.5), "Pm": (1.2, 1.6), "Sm": (1.3, 1.8),
    "Eu": (1.4, 2.0), "Gd": (1.5, 2.1), "Tb": (1.7, 2.5), "Dy": (2.0, 3.0), "Ho": (2.4, 3.6),
    "Er": (3.0, 4.5), "Tm": (4.0, 7.0), "Yb": (6.0, 12.0),
}  # fmt: skip
#: Spin-orbit shells (pairs of one element sharing their draws), by edge name.
SHELLS = {"K": 0, "L1": 1, "L2": 2, "L3": 2, "L2,3": 2, "M1": 3, "M2": 4, "M3": 4, "M4": 5,
          "M5": 5, "N1": 6, "N2": 7, "N3": 7, "N4": 8, "N5": 8, "N6": 9, "N7": 9, "O1": 10,
          "O2": 11, "O3": 11}  # fmt: skip
#: Spectra rendered at a time (bounds memory).
CHUNK = 1000

_PEAK_OFFSETS = np.arange(-31, 33)  # channels around a peak centre
_KERNEL_OFFSETS = np.arange(256)  # channels above a delayed onset
_PLASMON_SUPPORT = 320  # channels of the single-plasmon distribution
_FFT_SIZE = 4096


@dataclass(frozen=True)
class Edge:
    """One ionisation edge of the table.

    Attributes:
        element: element symbol, e.g. ``"Mn"``.
        z: atomic number.
        name: edge name, e.g. ``"K"``, ``"L3"``, ``"L2,3"``, ``"M5"``.
        onset_ev: tabulated onset energy, eV.
        major: True for the Atlas' major edges (the ones a person labels).
        threshold: Atlas threshold descriptor: ``"Sharp peak"``, ``"Broad peak"`` or ``""``.
        shape: Atlas edge descriptor: ``"Abrupt onset"``, ``"Delayed maximum"``,
            ``"Very delayed"`` or ``""``.
    """

    element: str
    z: int
    name: str
    onset_ev: float
    major: bool
    threshold: str
    shape: str


@dataclass(frozen=True)
class EELSBatch:
    """A batch of simulated core-loss spectra.

    Attributes:
        spectra: (n, N_CHANNELS) float32, zero outside the window, window maximum 1.
        labels: (n, 80) bool, column j for ``ELEMENTS[j]``: the element is present and
            has a major edge at least ``edge_margin`` eV inside the window.
        window: (n, 2) int, first and last measured channel (inclusive).
        elements: n tuples of symbols, the composition; the first is the query element,
            which is always labelled. Elements without an edge in the window are listed.
    """

    spectra: np.ndarray
    labels: np.ndarray
    window: np.ndarray
    elements: list[tuple[str, ...]]


@functools.cache
def _read_table() -> tuple[Edge, ...]:
    text = resources.files("simulators").joinpath("data/eels_edges.csv").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("#")]
    rows = csv.DictReader(io.StringIO("\n".join(lines)))
    return tuple(
        Edge(
            element=row["element"],
            z=int(row["Z"]),
            name=row["edge"],
            onset_ev=float(row["onset_ev"]),
            major=row["relevance"] == "Major",
            threshold=row["threshold"],
            shape=row["shape"],
        )
        for row in rows
    )


def edge_table() -> list[Edge]:
    """The edge table: every edge of Be..Bi with an onset between 10 and 3071 eV.

    Returns:
        Edges sorted by atomic number, then onset.
    """
    return list(_read_table())


@dataclass(frozen=True)
class _Tables:
    """The edge table as arrays (E edges), indexed by edge id."""

    onset: np.ndarray  # (E,) eV
    major: np.ndarray  # (E,) bool
    strength: np.ndarray  # (E,) jump scale: branching, times MINOR_STRENGTH if minor
    sharp: np.ndarray  # (E,) bool, white line
    broad: np.ndarray  # (E,) bool, broad threshold peak
    shape: np.ndarray  # (E,) 0 abrupt, 1 delayed, 2 very delayed
    weaker: np.ndarray  # (E,) bool, weaker spin-orbit partner (broader white line)
    shell: np.ndarray  # (E,) spin-orbit shell (SHELLS)
    partner: np.ndarray  # (E, 2) range of statistical / white-line ratio; (1, 1) if stronger
    by_element: np.ndarray  # (80, K) edge ids of each element, -1 padded
    metal_weights: np.ndarray  # (80,) partner weight as a metal, 0 if not a metal
    anion_weights: np.ndarray  # (80,) partner weight as an anion, 0 if not an anion
    class_weights: np.ndarray  # (80, len(CLASSES)) class probabilities by query


@functools.cache
def _tables() -> _Tables:
    edges = _read_table()
    index = {symbol: i for i, symbol in enumerate(ELEMENTS)}
    element = np.array([index[e.element] for e in edges])
    branching = np.array([BRANCHING.get(e.name, 1.0) for e in edges])
    s_level = np.array([e.name in ("K", "L1", "M1", "N1", "O1") for e in edges])
    shape = np.array(
        [
            {"Abrupt onset": 0, "Delayed maximum": 1, "Very delayed": 2}.get(e.shape, -1)
            for e in edges
        ]
    )
    shape = np.where(shape >= 0, shape, np.where(s_level, 0, 1))  # undescribed: by subshell
    major = np.array([e.major for e in edges])
    partner = np.array(
        [
            np.divide(1 / b, WHITE_LINE_RATIO.get(e.element, (0.7 / b, 1.4 / b)))[::-1]
            if b < 1
            else (1.0, 1.0)
            for e, b in zip(edges, branching, strict=True)
        ]
    )
    n_edges = np.bincount(element, minlength=len(ELEMENTS))
    by_element = np.full((len(ELEMENTS), n_edges.max()), -1)
    for i in range(len(ELEMENTS)):
        ids = np.flatnonzero(element == i)
        by_element[i, : len(ids)] = ids
    roles = ["anion" if s in ANIONS else "noble" if s in NOBLE_GASES else "metal" for s in ELEMENTS]
    metal = np.array(
        [
            (role == "metal") * (2.0 if s in COMMON_METALS else 0.1 if s in RARE_METALS else 1.0)
            for s, role in zip(ELEMENTS, roles, strict=True)
        ]
    )
    class_weights = np.array([CLASS_WEIGHTS[role] for role in roles])
    class_weights[[index[s] for s in GASES], 0] = 0.0
    class_weights /= class_weights.sum(axis=1, keepdims=True)
    return _Tables(
        onset=np.array([e.onset_ev for e in edges]),
        major=major,
        strength=branching * np.where(major, 1.0, MINOR_STRENGTH),
        sharp=np.array([e.threshold == "Sharp peak" for e in edges]),
        broad=np.array([e.threshold == "Broad peak" for e in edges]),
        shape=shape,
        weaker=branching < 1,
        shell=np.array([SHELLS[e.name] for e in edges]),
        partner=partner,
        by_element=by_element,
        metal_weights=metal,
        anion_weights=np.array([ANIONS.get(s, 0.0) for s in ELEMENTS], dtype=float),
        class_weights=class_weights,
    )


def has_major_edge_inside(
    elements: np.ndarray, first: np.ndarray, last: np.ndarray, margin: float = 0.0
) -> np.ndarray:
    """Whether each element has a major edge whose tabulated onset lies at least
    ``margin`` eV inside its window (a simulated spectrum labels a present element so,
    with ``edge_margin``).

    Args:
        elements: (n, m) element indices (``ELEMENTS``), -1 for none.
        first, last: (n,) first and last window channel (eV).

    Returns:
        (n, m) bool, False where the index is -1.
    """
    t = _tables()
    ids = t.by_element[elements]  # (n, m, K)
    onset = t.onset[ids]
    return (
        (ids >= 0)
        & (elements[..., None] >= 0)
        & t.major[ids]
        & (onset >= np.asarray(first)[:, None, None] + margin)
        & (onset <= np.asarray(last)[:, None, None] - margin)
    ).any(axis=2)


@functools.cache
def _overlapping_pairs() -> tuple[np.ndarray, ...]:
    """Major edges of two elements at most OVERLAP_EV apart, both ways round.

    Returns:
        (query, query_onset, partner, partner_onset), each (P,): element indices and
        onsets (eV) of the pairs.
    """
    t = _tables()
    ids = t.by_element
    onset = np.where((ids >= 0) & t.major[ids], t.onset[ids], np.nan)  # (80, K)
    close = np.abs(onset[:, None, :, None] - onset[None, :, None, :]) <= OVERLAP_EV
    close &= ~np.eye(len(ELEMENTS), dtype=bool)[:, :, None, None]
    i, j, a, b = np.nonzero(close)
    return i, onset[i, a], j, onset[j, b]


def _log_uniform(rng: np.random.Generator, bounds: tuple[float, float], size) -> np.ndarray:
    return np.exp(rng.uniform(np.log(bounds[0]), np.log(bounds[1]), size))


def _pick_distinct(
    rng: np.random.Generator, weights: np.ndarray, exclude: np.ndarray, k: int
) -> np.ndarray:
    """Draw k distinct elements per row with probabilities ~ weights (Gumbel top-k).

    Args:
        rng: random generator.
        weights: (80,) non-negative element weights.
        exclude: (m,) element index per row that must not be drawn.
        k: elements per row.

    Returns:
        (m, k) element indices.
    """
    with np.errstate(divide="ignore"):
        keys = np.log(weights) + rng.gumbel(size=(len(exclude), len(weights)))
    keys[np.arange(len(exclude)), exclude] = -np.inf
    return np.argsort(-keys, axis=1)[:, :k]


class EELSSimulator:
    """Random core-loss EELS spectra with element labels; see the module docstring.

    Example:
        >>> batch = EELSSimulator().sample(100, seed=0)
        >>> batch.spectra.shape, batch.labels.shape
        ((100, 3072), (100, 80))
    """

    def __init__(
        self,
        window_width: tuple[int, int] = (200, 1500),
        energy_min: int = 50,
        edge_margin: float = 10.0,
        background_exponent: tuple[float, float] = (2.0, 4.5),
        background_curvature: float = 0.5,
        jump_ratio: tuple[float, float] = (0.2, 2.0),
        white_line: tuple[float, float] = (3.0, 12.0),
        energy_shift: tuple[float, float] = (-5.0, 5.0),
        chemical_shift: float = 2.0,
        thickness: tuple[float, float] = (0.1, 1.5),
        plasmon_energy: tuple[float, float] = (10.0, 32.0),
        plasmon_width: tuple[float, float] = (2.0, 12.0),
        resolution: tuple[float, float] = (0.5, 2.0),
        counts: tuple[float, float] = (1e3, 1e6),
        contamination: float = 0.1,
        background_removed: float = 0.1,
        overlap_fraction: float = 0.0,
    ) -> None:
        """Store the settings; they are checked when sampling.

        Args:
            window_width: (min, max) window width, channels (1 eV each), integers.
            energy_min: lowest first channel of a window, eV; an integer (whole channels).
            edge_margin: how far inside the window a major edge's tabulated onset must
                lie to be labelled, eV; at least the largest shift
                ``max|energy_shift| + chemical_shift``, so a labelled edge is drawn inside.
            background_exponent: (min, max) power-law exponent r.
            background_curvature: largest ``|dr|`` of the background's exponent
                (module docstring); the local exponent changes by ``2 dr``, so by up to
                twice this, across a window.
            jump_ratio: (min, max) of the log-uniform factor u in the edge jump
                ``fraction * strength * u`` relative to the background at onset.
            white_line: (min, max) white-line height relative to the edge jump.
            energy_shift: (min, max) common energy shift of all edges, eV; with
                ``chemical_shift`` it may not move the lowest onset (24 eV) to 0 eV or below.
            chemical_shift: largest chemical shift of one element's edges, eV.
            thickness: (min, max) relative thickness t/lambda (log-uniform).
            plasmon_energy: (min, max) Drude plasmon energy, eV.
            plasmon_width: (min, max) Drude plasmon width, eV.
            resolution: (min, max) FWHM of the Gaussian energy resolution, eV.
            counts: (min, max) counts in the last window channel (log-uniform).
            contamination: probability of adding carbon (contamination, support film)
                to a composition of at most three elements without carbon; carbon also
                comes as an anion partner, so the share of spectra with carbon differs
                (module docstring).
            background_removed: probability that the power-law background is subtracted,
                as in many published spectra.
            overlap_fraction: probability of adding a partner whose major edge overlaps
                one of the query's in the window (a training option; 0 draws nothing, so
                the default spectra stay the same).
        """
        self.window_width = window_width
        self.energy_min = energy_min
        self.edge_margin = edge_margin
        self.background_exponent = background_exponent
        self.background_curvature = background_curvature
        self.jump_ratio = jump_ratio
        self.white_line = white_line
        self.energy_shift = energy_shift
        self.chemical_shift = chemical_shift
        self.thickness = thickness
        self.plasmon_energy = plasmon_energy
        self.plasmon_width = plasmon_width
        self.resolution = resolution
        self.counts = counts
        self.contamination = contamination
        self.background_removed = background_removed
        self.overlap_fraction = overlap_fraction

    def sample(self, n: int, seed: int) -> EELSBatch:
        """Draw n labelled spectra.

        Args:
            n: number of spectra (>= 1).
            seed: non-negative int seed of the random generator; the same (n, seed)
                gives the same batch.

        Returns:
            The batch.
        """
        self.check()
        if not is_int(n) or n < 1:
            raise ValueError(f"n must be an integer >= 1, got {n!r}")
        rng = np.random.default_rng(check_seed(seed))
        comp, frac = self._compositions(int(n), rng)
        first, last = self._windows(comp[:, 0], rng)
        if self.overlap_fraction > 0:  # no draws otherwise: the default batches stay the same
            comp, frac = self._add_overlapping(comp, frac, first, last, rng)
        chunks = [slice(i, i + CHUNK) for i in range(0, n, CHUNK)]
        spectra = np.concatenate(
            [self._render(comp[c], frac[c], first[c], last[c], rng) for c in chunks]
        )
        return EELSBatch(
            spectra=spectra,
            labels=self._labels(comp, first, last),
            window=np.stack([first, last], axis=1),
            elements=[tuple(ELEMENTS[i] for i in row if i >= 0) for row in comp],
        )

    def check(self) -> None:
        """Raise a ValueError naming the first bad setting and how to fix it; ``sample``
        calls it."""
        ranges = {
            "window_width": (self.window_width, 1),
            "background_exponent": (self.background_exponent, 0.5),
            "jump_ratio": (self.jump_ratio, 1e-6),
            "white_line": (self.white_line, 0),
            "energy_shift": (self.energy_shift, -50),
            "thickness": (self.thickness, 1e-3),
            "plasmon_energy": (self.plasmon_energy, 1),
            "plasmon_width": (self.plasmon_width, 0.1),
            "resolution": (self.resolution, 0.05),
            "counts": (self.counts, 1),
        }
        for name, (value, least) in ranges.items():
            try:
                low, high = value
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a (min, max) pair, got {value!r}") from None
            if not (is_finite_real(low) and is_finite_real(high) and least <= low <= high):
                raise ValueError(
                    f"{name} must be a (min, max) pair of finite numbers with {least} <= min "
                    f"<= max, got {value!r}"
                )
        scalars = {
            "energy_min": (self.energy_min, 1, N_CHANNELS - 1),
            "edge_margin": (self.edge_margin, 0, N_CHANNELS / 2),
            "background_curvature": (self.background_curvature, 0, 2),
            "chemical_shift": (self.chemical_shift, 0, 20),
            "contamination": (self.contamination, 0, 1),
            "background_removed": (self.background_removed, 0, 1),
            "overlap_fraction": (self.overlap_fraction, 0, 1),
        }
        for name, (value, low, high) in scalars.items():
            if not (is_finite_real(value) and low <= value <= high):
                raise ValueError(f"{name} must be a number in [{low}, {high}], got {value!r}")
        # labels use the tabulated onsets: shifted, a labelled edge must stay in the window
        moved = max(abs(self.energy_shift[0]), abs(self.energy_shift[1])) + self.chemical_shift
        if moved > self.edge_margin:
            raise ValueError(
                f"energy_shift {self.energy_shift!r} and chemical_shift {self.chemical_shift} "
                f"move edges by up to {moved} eV, more than edge_margin {self.edge_margin}, so "
                "a labelled edge could be drawn outside its window; narrow the shifts or raise "
                f"edge_margin to at least {moved}"
            )
        lowest = _tables().onset.min() + self.energy_shift[0] - self.chemical_shift
        if lowest <= 0:
            raise ValueError(
                f"energy_shift {self.energy_shift!r} and chemical_shift {self.chemical_shift} "
                f"can move the lowest edge onset ({_tables().onset.min()} eV) to {lowest} eV; "
                "onsets must stay positive: raise the energy_shift minimum or lower "
                "chemical_shift"
            )
        # whole channels: a window starts at energy_min or above, and is as wide as asked
        for name, value in (("energy_min", [self.energy_min]), ("window_width", self.window_width)):
            if any(v != int(v) for v in value):
                raise ValueError(
                    f"{name} must be whole channels (integers), got {getattr(self, name)!r}"
                )
        low, high = self.window_width
        # 2 * edge_margin + 2 channels leave room for a whole channel of window starts,
        # so an integer one holds the query's (non-integer) onset edge_margin inside
        if low < 2 * self.edge_margin + 2 or high > N_CHANNELS - self.energy_min:
            raise ValueError(
                f"window_width {self.window_width!r} must lie within "
                f"[2 * edge_margin + 2, N_CHANNELS - energy_min] = "
                f"[{2 * self.edge_margin + 2}, {N_CHANNELS - self.energy_min}]; widen the "
                "windows or lower edge_margin"
            )
        unplaceable = np.isnan(self._major_onsets()).all(axis=1)
        if unplaceable.any():
            names = [ELEMENTS[i] for i in np.flatnonzero(unplaceable)]
            raise ValueError(
                f"energy_min {self.energy_min} and edge_margin {self.edge_margin} leave no major "
                f"edge of {', '.join(names)} inside any window; lower them"
            )

    def _compositions(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Query element first, then partners by compound class, then maybe carbon.

        Returns:
            (comp, frac), each (n, 4): element indices (-1 padded) and atomic fractions.
        """
        t = _tables()
        query = rng.integers(len(ELEMENTS), size=n)
        cumulative = np.cumsum(t.class_weights[query], axis=1)
        cumulative[:, -1] = 1.0  # no rounding past the last class
        cls = (rng.random(n)[:, None] > cumulative).sum(axis=1)
        comp = np.full((n, 4), -1)
        comp[:, 0] = query
        for c, (n_metal, n_anion) in enumerate(CLASSES):
            rows = np.flatnonzero(cls == c)
            q = query[rows]
            if n_metal:
                comp[rows, 1 : 1 + n_metal] = _pick_distinct(rng, t.metal_weights, q, n_metal)
            if n_anion:
                comp[rows, 1 + n_metal : 1 + n_metal + n_anion] = _pick_distinct(
                    rng, t.anion_weights, q, n_anion
                )
        carbon = ELEMENTS.index("C")
        size = (comp >= 0).sum(axis=1)
        add = (rng.random(n) < self.contamination) & (size < 4) & ~(comp == carbon).any(axis=1)
        comp[add, size[add]] = carbon
        is_anion = t.anion_weights[comp] > 0
        weight = np.where(is_anion, rng.uniform(1.0, 3.0, (n, 4)), rng.uniform(0.5, 2.0, (n, 4)))
        weight[:, 0] = np.where(
            np.isin(query, [ELEMENTS.index(s) for s in NOBLE_GASES]),
            rng.uniform(0.05, 0.3, n),
            weight[:, 0],
        )
        weight[add, size[add]] = rng.uniform(0.05, 0.3, add.sum())
        weight[comp < 0] = 0.0
        return comp, weight / weight.sum(axis=1, keepdims=True)

    def _add_overlapping(
        self,
        comp: np.ndarray,
        frac: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """With probability overlap_fraction, a partner with an overlapping major edge.

        Args:
            comp: (n, 4) element indices, query first, -1 padded.
            frac: (n, 4) atomic fractions.
            first: (n,) first window channel.
            last: (n,) last window channel.
            rng: random generator.

        Returns:
            (comp, frac), each (n, 4), new arrays.
        """
        query, query_onset, partner, partner_onset = _overlapping_pairs()
        low = (first + self.edge_margin)[:, None]
        high = (last - self.edge_margin)[:, None]
        ok = (
            (query == comp[:, :1])
            & (query_onset >= low)
            & (query_onset <= high)
            & (partner_onset >= low)
            & (partner_onset <= high)
        )  # (n, P)
        ok &= (rng.random(len(comp)) < self.overlap_fraction)[:, None]
        rows = np.flatnonzero(ok.any(axis=1))
        keys = np.where(ok[rows], rng.random(ok[rows].shape), -1.0)
        new = partner[keys.argmax(axis=1)]  # uniform among the row's pairs
        comp, frac = comp.copy(), frac.copy()
        same = comp[rows] == new[:, None]
        size = (comp[rows] >= 0).sum(axis=1)
        slot = np.where(same.any(axis=1), same.argmax(axis=1), np.minimum(size, 3))
        comp[rows, slot] = new
        share = _log_uniform(rng, OVERLAP_FRACTION, len(rows))
        frac[rows, slot] = 0.0
        frac[rows] *= ((1 - share) / frac[rows].sum(axis=1))[:, None]
        frac[rows, slot] = share
        return comp, frac

    def _major_onsets(self) -> np.ndarray:
        """(80, K) onsets of the major edges a window can hold with the margin, nan padded."""
        t = _tables()
        ids = t.by_element
        onset = np.where(ids >= 0, t.onset[ids], np.nan)
        ok = (
            (ids >= 0)
            & t.major[ids]
            & (onset >= self.energy_min + self.edge_margin)
            & (onset <= N_CHANNELS - 1 - self.edge_margin)
        )
        return np.sort(np.where(ok, onset, np.nan), axis=1)

    def _windows(self, query: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
        """First and last channel, each (n,) int, holding a major edge of each query."""
        onsets = self._major_onsets()[query]
        count = np.isfinite(onsets).sum(axis=1)
        onset = onsets[np.arange(len(query)), (rng.random(len(query)) * count).astype(int)]
        width = rng.integers(self.window_width[0], self.window_width[1] + 1, size=len(query))
        low = np.maximum(self.energy_min, np.ceil(onset + self.edge_margin - width + 1))
        high = np.minimum(N_CHANNELS - width, np.floor(onset - self.edge_margin))
        first = (low + np.floor(rng.random(len(query)) * (high - low + 1))).astype(int)
        return first, first + width - 1

    def _labels(self, comp: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
        """(n, 80) bool: element present with a major edge edge_margin inside the window."""
        labels = np.zeros((len(comp), len(ELEMENTS)), dtype=bool)
        rows, slots = np.nonzero(has_major_edge_inside(comp, first, last, self.edge_margin))
        labels[rows, comp[rows, slots]] = True
        return labels

    def _render(
        self,
        comp: np.ndarray,
        frac: np.ndarray,
        first: np.ndarray,
        last: np.ndarray,
        rng: np.random.Generator,
    ) -> np.ndarray:
        """Spectra of m compositions and windows.

        Args:
            comp: (m, 4) element indices, -1 padded.
            frac: (m, 4) atomic fractions.
            first: (m,) first window channel.
            last: (m,) last window channel.
            rng: random generator.

        Returns:
            (m, N_CHANNELS) float32 spectra, zero outside the window, window maximum 1.
        """
        t = _tables()
        m = len(first)
        channels = np.arange(N_CHANNELS)
        r = rng.uniform(*self.background_exponent, m)
        curvature = rng.uniform(-self.background_curvature, self.background_curvature, m)
        decay = np.maximum(r + rng.uniform(-0.7, 0.3, m), 1.5)
        shift = rng.uniform(*self.energy_shift, m)
        chemical = rng.uniform(-self.chemical_shift, self.chemical_shift, (m, 4))
        e0 = first.astype(float)
        span = np.log(last / e0)
        log_x = np.log(np.maximum(channels, 1.0)) - np.log(e0)[:, None]
        background = np.exp(_log_power(log_x, r[:, None], curvature[:, None], span[:, None]))

        # One row per edge from GUARD_EV below the window to its end.
        ids = t.by_element[comp]
        rows, slots, k = np.nonzero((ids >= 0) & (comp[..., None] >= 0))
        ids = ids[rows, slots, k]
        onset = t.onset[ids] + shift[rows] + chemical[rows, slots]
        keep = (onset >= first[rows] - GUARD_EV) & (onset <= last[rows])
        rows, slots, ids, onset = rows[keep], slots[keep], ids[keep], onset[keep]
        log_xk = np.log(onset / e0[rows])
        # the spin-orbit partners of one element (L3 and L2, M5 and M4) share their draws
        keys, shell = np.unique(
            (rows * 4 + slots) * len(SHELLS) + t.shell[ids], return_inverse=True
        )
        jump = (
            frac[rows, slots]
            * t.strength[ids]
            * _log_uniform(rng, self.jump_ratio, len(keys))[shell]
            * np.exp(_log_power(log_xk, r[rows], curvature[rows], span[rows]))
        )
        # Continuum jump * (E / onset)^-decay: cumulated steps of height jump * onset^decay.
        steps = _steps(m, rows, onset, jump * np.exp(decay[rows] * log_xk), t.shape[ids], rng)
        core = np.cumsum(steps, axis=1) * np.exp(-decay[:, None] * log_x)
        core += _peaks(m, rows, shell, onset, jump, ids, self.white_line, rng)
        core = _plural_scattering(
            core,
            thickness=_log_uniform(rng, self.thickness, m),
            plasmon_energy=rng.uniform(*self.plasmon_energy, m),
            plasmon_width=rng.uniform(*self.plasmon_width, m),
            resolution=rng.uniform(*self.resolution, m),
        )

        total = background + core
        window = (channels >= first[:, None]) & (channels <= last[:, None])
        end = total[np.arange(m), last]
        # FFT round-off can leave the far end of a steep spectrum at or below zero
        end = np.where(end > 0, end, background[np.arange(m), last])
        scale = _log_uniform(rng, self.counts, m) / end
        noisy = np.zeros_like(total)
        # round-off of the plural-scattering FFT can leave tiny negative means far below
        # the zero-loss peak on steep backgrounds; counts cannot be negative
        mean_counts = np.clip(total * scale[:, None], 0.0, None)
        noisy[window] = rng.poisson(mean_counts[window]) / np.repeat(scale, last - first + 1)
        removed = (rng.random(m) < self.background_removed)[:, None]
        noisy -= np.where(window & removed, background, 0.0)
        return (noisy / noisy.max(axis=1, keepdims=True)).astype(np.float32)


def _log_power(log_x, r, curvature, span):
    """Log of the background power law at log(E / E0), broadcasting over the arguments.

    The exponent ``r + curvature * log_x / span`` is held at its window-end values
    outside ``[0, span]``. Inside, the local exponent ``-d ln B / d ln E`` is
    ``r + 2 curvature log_x / span``: it changes by ``2 curvature`` across the window.
    """
    return -(r + curvature / span * np.clip(log_x, 0.0, span)) * log_x


def _accumulate(m: int, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum values into an (m, N_CHANNELS) array at (rows, cols), dropping columns outside."""
    ok = (cols >= 0) & (cols < N_CHANNELS)
    flat = np.bincount(rows[ok] * N_CHANNELS + cols[ok], values[ok], minlength=m * N_CHANNELS)
    return flat.reshape(m, N_CHANNELS)


def _steps(
    m: int,
    rows: np.ndarray,
    onset: np.ndarray,
    height: np.ndarray,
    shape: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Derivative of the edge continua: an impulse per abrupt edge, a rise profile per
    delayed edge (Rayleigh of width w, minus an overshoot Rayleigh of width 2.5 w).

    Args:
        m: number of spectra.
        rows: (k,) spectrum of each edge.
        onset: (k,) onset, eV (= channel).
        height: (k,) step height (the integral of the derivative).
        shape: (k,) 0 abrupt, 1 delayed, 2 very delayed.
        rng: random generator.

    Returns:
        (m, N_CHANNELS) steps.
    """
    base = np.floor(onset).astype(int)
    frac = onset - base
    abrupt = shape == 0
    delayed = ~abrupt
    n_delayed = int(delayed.sum())
    width = np.where(
        shape[delayed] == 2, rng.uniform(20.0, 30.0, n_delayed), rng.uniform(4.0, 20.0, n_delayed)
    )[:, None]
    overshoot = rng.uniform(0.0, 1.0, n_delayed)[:, None]
    d = np.maximum(_KERNEL_OFFSETS - frac[delayed][:, None], 0.0)
    wide = 2.5 * width
    kernel = (1 + overshoot) * d / width**2 * np.exp(-0.5 * (d / width) ** 2)
    kernel -= overshoot * d / wide**2 * np.exp(-0.5 * (d / wide) ** 2)
    kernel *= (height[delayed] / kernel.sum(axis=1))[:, None]
    return _accumulate(
        m,
        np.concatenate(
            [rows[abrupt], rows[abrupt], np.repeat(rows[delayed], _KERNEL_OFFSETS.size)]
        ),
        np.concatenate(
            [base[abrupt], base[abrupt] + 1, (base[delayed][:, None] + _KERNEL_OFFSETS).ravel()]
        ),
        np.concatenate(
            [height[abrupt] * (1 - frac[abrupt]), height[abrupt] * frac[abrupt], kernel.ravel()]
        ),
    )


def _peaks(
    m: int,
    rows: np.ndarray,
    shell: np.ndarray,
    onset: np.ndarray,
    jump: np.ndarray,
    ids: np.ndarray,
    white_line: tuple[float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """White lines, broad threshold peaks and fine structure of the edges.

    Args:
        m: number of spectra.
        rows: (k,) spectrum of each edge.
        shell: (k,) spin-orbit shell of each edge, shared by partners, 0..max.
        onset: (k,) onset, eV.
        jump: (k,) edge jump at onset.
        ids: (k,) edge ids in the table.
        white_line: (min, max) white-line height relative to the jump.
        rng: random generator.

    Returns:
        (m, N_CHANNELS) peaks.
    """
    t = _tables()
    sharp = np.flatnonzero(t.sharp[ids])
    broad = np.flatnonzero(t.broad[ids])
    fine = np.repeat(np.arange(len(ids)), N_FINE_STRUCTURE)
    edge = np.concatenate([sharp, broad, fine])
    n_s, n_b, n_f = len(sharp), len(broad), len(fine)
    # one strength, offset and width per spin-orbit pair; the weaker partner is broader
    n_shells = shell.max() + 1
    strength, offset, width = (
        rng.uniform(*bounds, n_shells)[shell[sharp]]
        for bounds in (white_line, (-2.0, 4.0), (1.0, 3.5))
    )
    weaker = np.where(t.weaker[ids[sharp]], 1.3, 1.0)
    partner = t.partner[ids[sharp]]
    ratio = np.exp(rng.uniform(np.log(partner[:, 0]), np.log(partner[:, 1])))
    fine_max = np.where(t.sharp[ids], WHITE_LINE_FINE_STRUCTURE, 1.0)[fine]
    centre = onset[edge] + np.concatenate(
        [offset, rng.uniform(3.0, 12.0, n_b), rng.uniform(0.0, 40.0, n_f)]
    )
    fwhm = np.concatenate(
        [width * weaker, rng.uniform(4.0, 12.0, n_b), rng.uniform(1.5, 8.0, n_f)]
    )[:, None]
    height = jump[edge] * np.concatenate(
        [
            strength * ratio / weaker,
            rng.uniform(0.5, 3.0, n_b),
            rng.uniform(0.0, fine_max) * (rng.random(n_f) < 0.7),
        ]
    )
    base = np.floor(centre).astype(int)
    x = base[:, None] + _PEAK_OFFSETS - centre[:, None]
    lorentzian = np.cos(np.pi * x / (2 * _PEAK_OFFSETS[-1])) ** 2 / (1 + 4 * (x / fwhm) ** 2)
    gaussian = np.exp(-4 * np.log(2) * (x / fwhm) ** 2)
    profile = np.where(np.arange(len(edge))[:, None] < n_s, lorentzian, gaussian)
    return _accumulate(
        m,
        np.repeat(rows[edge], _PEAK_OFFSETS.size),
        (base[:, None] + _PEAK_OFFSETS).ravel(),
        (height[:, None] * profile).ravel(),
    )


def _plural_scattering(
    core: np.ndarray,
    thickness: np.ndarray,
    plasmon_energy: np.ndarray,
    plasmon_width: np.ndarray,
    resolution: np.ndarray,
) -> np.ndarray:
    """Convolve single-scattering core losses with the low-loss distribution and resolution.

    In Fourier space the low loss is ``exp(t (P - 1))``, the sum of Poisson-weighted
    k-fold self-convolutions of the normalised single-plasmon loss ``P`` (Drude:
    ``E Gamma Ep^2 / ((E^2 - Ep^2)^2 + (E Gamma)^2)``); the resolution is a Gaussian.

    Args:
        core: (m, N_CHANNELS) single-scattering core losses.
        thickness: (m,) t / lambda.
        plasmon_energy: (m,) Ep, eV.
        plasmon_width: (m,) Gamma, eV.
        resolution: (m,) Gaussian FWHM, eV.

    Returns:
        (m, N_CHANNELS) float32 plurally scattered, broadened core losses.
    """
    e = np.arange(_PLASMON_SUPPORT)
    ep2, gamma = plasmon_energy[:, None] ** 2, plasmon_width[:, None]
    drude = e * gamma * ep2 / ((e**2 - ep2) ** 2 + (e * gamma) ** 2)
    drude = (drude / drude.sum(axis=1, keepdims=True)).astype(np.float32)
    q = scipy.fft.rfft(drude, n=_FFT_SIZE, axis=1) - 1
    sigma = (resolution / np.sqrt(8 * np.log(2)))[:, None]
    t = thickness[:, None].astype(np.float32)
    f = scipy.fft.rfftfreq(_FFT_SIZE).astype(np.float32)
    magnitude = np.exp(t * q.real - (2 * np.pi**2 * (sigma * f) ** 2).astype(np.float32))
    transfer = magnitude * (np.cos(t * q.imag) + 1j * np.sin(t * q.imag))
    spectrum = scipy.fft.rfft(core.astype(np.float32), n=_FFT_SIZE, axis=1)
    return scipy.fft.irfft(spectrum * transfer, n=_FFT_SIZE, axis=1)[:, :N_CHANNELS]
