"""Replay of a measured absorption scan, plus readers for common text formats."""

import itertools
import re
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.interpolate import PchipInterpolator

from simulators.base import (
    MIN_TRANSMITTED,
    Simulator,
    TooFewCountsError,
    as_float_array,
    counted,
)
from simulators.text_files import (
    ENERGY_UNIT,
    column_text,
    column_titles,
    ev_per,
    header_columns,
    read_text,
    split_lines,
    titled_columns,
)

#: Minimum number of distinct energies in a spectrum.
MIN_POINTS = 4
#: Column names read as mu, in order of preference: raw mu, then the XDI dictionary's
#: normalised mu (its ``normrefer`` is a reference foil's, not the sample's), then the
#: normalised and flattened mu of Athena and Larch exports (``norm``, ``flat``).
MU_NAMES = ("mu", "xmu", "mutrans", "mufluor", "normtrans", "normfluor", "norm", "flat")
#: Names of a transmitted intensity, read as mu = ln(i0 / it) with an ``i0`` column.
TRANSMITTED_NAMES = ("itrans", "it", "i1")
#: Names of intensity columns that are not mu.
INTENSITY_NAMES = ("i0", *TRANSMITTED_NAMES, "if", "ifluor")
#: Titles of a transmitted fraction It / I0 (``T(%)`` too; and ``It/I0``, a transmitted
#: intensity over i0), whose edge is a drop: replayed as mu, it was a scan upside down.
TRANSMISSION_NAMES = (
    *("t", "t%", "%t", "trans", "trans.", "transmission", "transmittance"),
    *("it_i0", "i1_i0", "itrans_i0"),
)
#: What a column title of a reference foil's signal, never the sample's mu, holds (lower
#: case): the XDI dictionary's ``irefer``, ``murefer``, ``normrefer``; ``reference``,
#: ``Referenz``, ``mu_ref``.
REFERENCE_MARK = "ref"
#: Column names (lower case) of fluorescence counts: ``if``, ``ifluor`` and the like, or
#: an emission line's ROI (``Sum_Fe_Ka``, ``Fe_Ka_mca1``, ``Mn_Kb``).
FLUORESCENCE_PATTERN = re.compile(
    r"if|i?fluor\w*|(\w+_)?[a-z]{1,2}_[klm](a|b|alpha|beta)\d*(_\w+)?"
)
#: Column names read as the energy, in order of preference.
ENERGY_NAMES = ("energy", "e")
#: Column names that make a ``#`` line before the data of a column file its header.
HEADER_NAMES = frozenset({*ENERGY_NAMES, *MU_NAMES, *INTENSITY_NAMES})
#: Energies read without a unit must span at least this, eV: a narrower scan is most
#: likely in keV (8.90-9.10 for a 200 eV scan).
MIN_SPAN_EV = 5.0
#: Below this many eV no absorption edge scan ends (the softest X-ray edges lie from ~50
#: eV up): a recording whose energies all lie from 0 to this is in keV (8.779 to 10.146
#: titled eV) or another quantity (k, 0 to 16 per Angstrom), and so is an energy scan's
#: space of positive energies ending below it (``EnergyScan.check_new``).
LOWEST_EDGE_EV = 30.0
#: Above this many eV no absorption edge scan starts (the K edges end at ~116 keV, U's): a
#: recording whose energies all lie above it is in meV (8,979,000 for 8,979 eV) or in eV
#: titled keV, and so is an energy scan's space starting above it.
HIGHEST_EDGE_EV = 200e3
#: A SPEC scan's first line: ``#S 2 ascan ...``.
SPEC_SCAN = re.compile(r"#S\s")
#: A lone point of a file out of order by more than this many of the scan's steps around
#: it is a mistyped energy (917.504 for 9171.504), not a backlash step (one or two steps).
MAX_BACKLASH_STEPS = 10
#: Absorption added below the recorded minimum for counting noise: at most exp(-0.5) of
#: i0 is transmitted, and noise needs i0 >= MIN_TRANSMITTED exp(span of mu + MU_HEADROOM).
MU_HEADROOM = 0.5
#: A step wider than this many times the median of the ``GAP_AROUND`` steps on either
#: side is a gap in a recording (the shared scans' steps are at most 1.9 times theirs).
GAP_STEPS = 5
GAP_AROUND = 5
#: How a fluorescence column over i0 ends its ``Recording.signal`` (``Sum_Fe_Ka/i0``).
FLUORESCENCE_SIGNAL = "/i0"


class Recording(NamedTuple):
    """A spectrum read from a file, and what its mu is."""

    energy: np.ndarray  #: (n,) increasing energies, eV
    mu: np.ndarray  #: (n,) absorption
    signal: str  #: what mu is: "column mu", "ln(i0/i1)", "Sum_Fe_Ka/i0"
    #: fluorescence-like columns not read as mu, to read over i0 (none without an i0 column)
    fluorescence_columns: tuple[str, ...] = ()
    fluorescent: bool = False  #: whether mu is a fluorescence column over i0


def _clean(
    energy: np.ndarray,
    mu: np.ndarray,
    source: str,
    lines: np.ndarray | None = None,
    signal: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Check a spectrum, sort it by energy and average duplicate energies.

    Args:
        energy: (n,) energies, eV.
        mu: (n,) absorption.
        source: where the data came from, for error messages.
        lines: (n,) the file line of each point, for error messages (None: arrays, whose
            points are named by index).
        signal: what mu was read as (``ln(i0/it)``), for error messages.

    Returns:
        (energy, mu), each (m,) with m <= n distinct, increasing energies.
    """
    energy = as_float_array(f"{source}: energy", energy, "real numbers", "pass a float array")
    mu = as_float_array(f"{source}: mu", mu, "real numbers", "pass a float array")
    if energy.ndim != 1 or energy.shape != mu.shape:
        raise ValueError(
            f"{source}: energy and mu must be 1-D arrays of equal length, got shapes "
            f"{energy.shape} and {mu.shape}"
        )
    for name, values in (
        ("energy", energy),
        ("mu" + (f", read as {signal}," if signal else ""), mu),
    ):
        bad = ~np.isfinite(values)
        if bad.any():
            at = int(np.argmax(bad))
            why = ""
            if lines is not None and np.isnan(values[at]):
                why = "nan in the file, or a row shorter than the first, padded"
                if name != "energy" and signal and not signal.startswith("column"):
                    why = f"{signal} is none there: i0 or the signal 0 (a beam dump?), {why}"
                why = f" ({why})"
            raise ValueError(
                f"{source}: {name} has non-finite value {float(values[at])} at "
                f"{f'index {at}' if lines is None else f'line {lines[at]}'}{why}; remove or "
                "fix that point"
            )
    _check_one_sweep(energy, source, lines)
    if lines is not None:  # arrays come in any order; a file's points in measured order
        _check_in_order(energy, source, lines)
    unique, inverse = np.unique(energy, return_inverse=True)
    if unique.size < MIN_POINTS:
        raise ValueError(
            f"{source}: {unique.size} distinct energies, need at least {MIN_POINTS}; "
            "supply a longer scan"
        )
    return unique, np.bincount(inverse, weights=mu) / np.bincount(inverse)


def _check_one_sweep(energy: np.ndarray, source: str, lines: np.ndarray | None) -> None:
    """Refuse points (n,) in file order that hold two sweeps over the same energies (up
    then down, or a repeat appended): two runs of steps in one direction, each of a
    quarter of the points (and ``MIN_POINTS``) or more, that overlap over more than half
    the energy span. Sorted together they would average into a sawtooth. A backlash step
    inside one sweep splits it into runs that do not overlap; points merely out of order
    (sorted and averaged) make no run that long."""
    steps = np.diff(energy)
    moving = np.flatnonzero(steps)  # a repeated energy turns nothing
    turns = moving[1:][np.sign(steps[moving[1:]]) != np.sign(steps[moving[:-1]])]
    bounds = list(zip([0, *turns], [*turns, energy.size - 1], strict=True))  # points, inclusive
    span = float(np.ptp(energy))
    long = [
        (a, b)
        for a, b in bounds
        if abs(energy[b] - energy[a]) > 0.5 * span and b - a >= max(energy.size // 4, MIN_POINTS)
    ]
    for first, second in itertools.combinations(long, 2):
        (lo1, hi1), (lo2, hi2) = (sorted(energy[[a, b]]) for a, b in (first, second))
        if min(hi1, hi2) - max(lo1, lo2) > 0.5 * span:
            turn = second[0]
            at = f"index {turn}" if lines is None else f"line {lines[turn]}"
            raise ValueError(
                f"{source} sweeps the same energies twice (it turns back after {at}); replay "
                "one sweep: split the file, or average the sweeps first"
            )


def _check_in_order(energy: np.ndarray, source: str, lines: np.ndarray) -> None:
    """Refuse a lone point of a file's scan, energies (n,) in file order read from
    ``lines`` (n,), that lies out of the scan's order by more than ``MAX_BACKLASH_STEPS``
    of the steps around it: its neighbours are in order and it is not between them (a
    mistyped energy, which sorting would move far from where it was measured). A scan
    may run either way; a run of points stepping back, or a backlash step, reads as
    before."""
    steps = np.diff(energy)
    direction = np.sign(np.sign(steps).sum())  # of most steps
    if direction == 0:
        return
    e = direction * energy  # ascending
    before, after = np.r_[-np.inf, e[:-1]], np.r_[e[1:], np.inf]
    off = np.maximum(before - e, e - after)  # > 0: out of order
    for i in np.flatnonzero((off > 0) & (before <= after)):
        around = np.abs(np.r_[steps[max(i - 4, 0) : max(i - 1, 0)], steps[i + 1 : i + 4]])
        around = around[around > 0]  # the steps near point i, not to or from it
        step = np.median(around if around.size else np.abs(steps[steps != 0]))
        if off[i] > MAX_BACKLASH_STEPS * step:
            beside = " and ".join(
                f"{energy[j]:.10g} eV on line {lines[j]}"
                for j in (i - 1, i + 1)
                if 0 <= j < energy.size
            )
            raise ValueError(
                f"{source} line {lines[i]}: energy {energy[i]:.10g} eV is out of order beside "
                f"{beside}, {off[i] / step:.0f} steps off; correct the mistyped energy or "
                "delete the line"
            )


def _column(table: np.ndarray, names: dict[str, int], name: str, path: str | Path) -> np.ndarray:
    """The column ``name`` of ``table`` (n, k); ``names`` maps names to 0-based indices."""
    if names[name] >= table.shape[1]:
        raise ValueError(
            f"{str(path)!r}: the header names column {names[name] + 1} {name!r} but rows have "
            f"{table.shape[1]} columns; fix the header"
        )
    return table[:, names[name]]


def _named_mu(
    table: np.ndarray, names: dict[str, int], path: str | Path
) -> tuple[np.ndarray, str] | None:
    """(n,) mu and what it is, from the columns of ``table`` (n, k) named in ``names``: a
    ``MU_NAMES`` column, else ln(i0 / it) from ``i0`` and a ``TRANSMITTED_NAMES`` column;
    None if neither is named."""
    if name := next((n for n in MU_NAMES if n in names), None):
        return _column(table, names, name, path), f"column {name}"
    transmitted = next((n for n in TRANSMITTED_NAMES if n in names), None)
    if "i0" not in names or transmitted is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        i0, it = _column(table, names, "i0", path), _column(table, names, transmitted, path)
        return np.log(i0 / it), f"ln(i0/{transmitted})"


def _listed(names: dict[str, int], spelled: dict[str, str]) -> str:
    """The column titles ``names`` (lower case, to 0-based indices) in file order, as
    ``spelled``, for messages."""
    return ", ".join(spelled[n] for n in sorted(names, key=names.get))


def _titled(
    table: np.ndarray,
    names: dict[str, int],
    spelled: dict[str, str],
    column: str | None,
    fluorescence: str | None,
    path: str | Path,
) -> tuple[np.ndarray, str] | None:
    """mu (n,) = the column of ``table`` (n, k) titled ``column`` (any case; ``names``
    lower case, ``spelled`` as the file writes them), and what it is (``column xmcd``);
    None when ``column`` is None.

    Raises:
        ValueError: ``fluorescence`` is named too, or no column but the energy is titled
            ``column``.
    """
    if column is None:
        return None
    if fluorescence is not None:
        raise ValueError(
            f"{str(path)!r}: name a column to replay as mu, or a fluorescence column to "
            f"replay over i0, not both (column {column!r}, fluorescence {fluorescence!r})"
        )
    used = column.lower()
    if used not in names or used in ENERGY_NAMES:
        what = "is the energy axis" if used in names else "is not a column"
        raise ValueError(
            f"{str(path)!r}: {column!r} {what}, so it cannot be replayed as mu (columns: "
            f"{_listed(names, spelled)}); name a column of readings"
        )
    return _column(table, names, used, path), f"column {spelled[used]}"


def _fluorescence(
    table: np.ndarray,
    names: dict[str, int],
    spelled: dict[str, str],
    fluorescence: str | None,
    path: str | Path,
) -> tuple[tuple[np.ndarray, str] | None, tuple[str, ...]]:
    """mu = ``fluorescence`` / i0 (n,) and what it is (``Sum_Fe_Ka/i0``), None when
    ``fluorescence`` is None, and the other fluorescence-like columns
    (``FLUORESCENCE_PATTERN``) that could be replayed over i0 instead (none without an i0
    column), from the columns of ``table`` (n, k) named in ``names`` (lower case;
    ``spelled`` as the file writes them). A ``fluorescence`` column titled as mu
    (``MU_NAMES``: ``mufluor``, or ``mu`` of a fluorescence scan) is over i0 already: it
    is mu as it is (``column mufluor``), to be counted in fluorescence all the same.

    Raises:
        ValueError: ``fluorescence`` is i0 (a constant mu), the energy axis, a transmitted
            intensity or a transmission mu (``mutrans``, ``normtrans``), or it or i0 is not
            named.
    """
    fluorescent = [
        spelled[n] for n in sorted(names, key=names.get) if FLUORESCENCE_PATTERN.fullmatch(n)
    ]
    used = None if fluorescence is None else fluorescence.lower()
    others = tuple(n for n in fluorescent if n.lower() != used) if "i0" in names else ()
    if used is None:
        return None, others
    hint = (
        f"name one of its fluorescence-like columns: {', '.join(fluorescent)}"
        if fluorescent
        else f"it has no fluorescence-like column (columns: {sorted(names)}); leave "
        "fluorescence out to read its mu or transmission"
    )
    if used == "i0":
        raise ValueError(
            f"{str(path)!r}: fluorescence {fluorescence!r} is the i0 column itself, so mu = "
            f"i0 / i0 would be constant; {hint}"
        )
    if used in ENERGY_NAMES and used in names:
        raise ValueError(
            f"{str(path)!r}: fluorescence {fluorescence!r} is the energy axis, not counts, so "
            f"mu = {spelled[used]} / i0 would be no spectrum; {hint}"
        )
    if used in TRANSMITTED_NAMES:
        raise ValueError(
            f"{str(path)!r}: fluorescence {fluorescence!r} is a transmitted intensity, read "
            f"as mu = ln(i0/{used}) when fluorescence is left out; to replay another column "
            f"as it is, name it as the column (columns: {_listed(names, spelled)})"
        )
    if used in MU_NAMES and used in names:  # a fluorescence mu, already over i0: as it is
        if "trans" in used:
            raise ValueError(
                f"{str(path)!r}: fluorescence {fluorescence!r} is a transmission mu by its "
                f"title, counted in transmission; leave fluorescence out (or name it as the "
                f"column) to replay it, or name a fluorescence column (columns: "
                f"{_listed(names, spelled)})"
            )
        return (_column(table, names, used, path), f"column {spelled[used]}"), others
    for needed in (fluorescence, "i0"):
        if needed.lower() not in names:
            raise ValueError(
                f"{str(path)!r}: fluorescence {fluorescence!r} / i0 needs both columns, and "
                f"no column is titled {needed!r} (columns: {_listed(names, spelled)}); name "
                "a column of the file"
            )
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = _column(table, names, used, path) / _column(table, names, "i0", path)
    return (mu, spelled[used] + FLUORESCENCE_SIGNAL), others


def _spectrum(
    energy: np.ndarray,
    mu: np.ndarray,
    signal: str,
    unit: str | None,
    where: str,
    source: str,
    fix: str,
    lines: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """``_clean`` of energies (n,) in ``unit`` (``ev_per``) and mu (n,), read as ``signal``
    (``Recording.signal``), from the file ``lines`` (n,); a ValueError when energies whose
    unit names no energy unit (None, ``-``, ``none``) span less than ``MIN_SPAN_EV``,
    saying ``fix`` (how to name the unit: ``"title the column 'E ({})'"``) with eV, and
    with keV where as keV they would start at most ``HIGHEST_EDGE_EV`` (a 7110-7114 eV
    pre-edge scan was told to title them keV, 7.1 MeV), or when all energies lie from 0 to
    ``LOWEST_EDGE_EV`` eV or above ``HIGHEST_EDGE_EV``, whatever the unit (energies
    relative to the edge start below 0);
    each message adds when mu looks like energies in eV (the columns swapped), and such
    a mu refuses energies spanning less than ``MIN_SPAN_EV`` whatever their unit."""
    per_unit = ev_per(unit, source=where)
    energy, mu = _clean(energy * per_unit, mu, source, lines, signal)
    span = float(energy[-1] - energy[0])
    low, high = float(mu.min()), float(mu.max())
    swapped = (
        f"; mu reads {low:g} to {high:g}, like energies in eV: if the energy and mu columns "
        "are swapped, swap them back"
        if low >= LOWEST_EDGE_EV and high - low >= MIN_SPAN_EV
        else ""
    )
    if not ENERGY_UNIT.search(unit or "") and span < MIN_SPAN_EV:
        # keV only where, read so, they would start at an edge's energy (1e3 eV per keV)
        unit_is = (
            f"if they are keV, {fix.format('keV')}; a scan in eV spans at least {MIN_SPAN_EV:g} eV"
            if energy[0] * 1e3 <= HIGHEST_EDGE_EV
            else f"narrower than the {MIN_SPAN_EV:g} eV a scan read without an energy unit "
            f"must span, and not keV ({energy[0]:g} to {energy[-1]:g} keV lie above "
            f"{HIGHEST_EDGE_EV / 1e3:g} keV, where no absorption edge scan lies)"
        )
        raise ValueError(
            f"{source}: energies span {span:g} eV: {unit_is}: if they are eV, "
            f"{fix.format('eV')}{swapped}"
        )
    if swapped and span < MIN_SPAN_EV:  # titled in eV, or starting below 0
        raise ValueError(
            f"{source}: energies {energy[0]:g} to {energy[-1]:g} eV span {span:g} eV, "
            f"narrower than any absorption edge scan ({MIN_SPAN_EV:g} eV){swapped}"
        )
    if energy[0] >= 0 and energy[-1] < LOWEST_EDGE_EV:
        raise ValueError(
            f"{source}: energies {energy[0]:g} to {energy[-1]:g} eV (read in "
            f"{unit or 'eV'}) lie below {LOWEST_EDGE_EV:g} eV, where no absorption edge scan "
            f"lies: if they are keV, {fix.format('keV')}; a replay reads mu against the "
            f"photon energy, not k (convert a chi(k) file back to energies){swapped}"
        )
    if energy[0] > HIGHEST_EDGE_EV:
        as_ev = f"if they are eV, {fix.format('eV')}; " if per_unit > 1 else ""
        raise ValueError(
            f"{source}: energies {energy[0]:g} to {energy[-1]:g} eV (read in "
            f"{unit or 'eV'}) lie above {HIGHEST_EDGE_EV / 1e3:g} keV, where no absorption "
            f"edge scan lies: {as_ev}if they are meV, {fix.format('meV')}{swapped}"
        )
    return energy, mu


def read_two_column(
    path: str | Path, fluorescence: str | None = None, column: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read energy and mu from a CSV, semicolon or whitespace column file of one scan.

    Blank lines (also those of separators only) and lines starting with ``#`` are
    skipped. The column titles come from the lines before the data that are not numbers,
    the last naming a known column (``energy_eV,mu``; a sample name above it is passed
    over), else the last of them; without such lines, from the last ``#`` line before the
    data that names a known column (``#  E  xmu``; a rule, units line or free text after
    it is passed over);
    ``text_files.column_titles`` lines them up with the data, dropping a label before
    them (SPEC's ``#L``, ``%``, ``Columns:``). A ``#S`` line or a ``#`` line naming two
    known columns among the data starts another scan (a SPEC file of several scans), and
    is refused. Energy is the column titled ``energy`` or
    ``e`` (any case; the pandas index column of ``,energy_eV,mu`` is skipped), else the
    first column: so a ``#`` line that titles no energy and titles the first column mu or
    an intensity is free text (``# mu normalised``), and such an uncommented title line
    is refused. The energy is in eV unless its title names keV (``E_keV``, ``Energy
    (keV)``, ``E / keV``); energies without a unit must span at least ``MIN_SPAN_EV`` (a
    narrower scan is most likely keV). mu is ``fluorescence / i0`` when a fluorescence
    column is named (as ``read_xdi``; a mu column named so is read as it is, over i0
    already), else the titled ``column``, else the column titled
    with one of ``MU_NAMES``
    (``mu``, ``xmu``, ..., the XDI dictionary's ``normfluor``, ``norm``; any case), else
    ln(i0 / it) when titles name ``i0`` and ``it``, ``itrans`` or ``i1``, else the column
    after the energy, which must not be titled as an intensity (``i0``, ``it``, ``i1``,
    ``if``) nor as a reference (``REFERENCE_MARK`` in it: ``murefer``, ``Referenz``), and
    must be the only column after it (``energy,absorbance``; in ``energy,mu_plus,mu_minus``
    which is mu cannot be told, so ``column`` must name it). Extra columns are ignored.
    Energies from 0 to ``LOWEST_EDGE_EV`` eV, whatever their unit, are refused (keV titled
    eV, or k), and so are energies above ``HIGHEST_EDGE_EV`` (meV, or eV titled keV).

    Args:
        path: text file.
        fluorescence: the title of a fluorescence counts column, normalised by ``i0``.
        column: the title of a column to read as mu as it is (``xmcd`` of an XMCD scan);
            not with ``fluorescence``.

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.

    Raises:
        ValueError: the file holds another scan after the first, the header names a known
            column but its titles do not fit the data columns, or titles the first column
            mu or an intensity and no energy, a ``fluorescence`` column or i0 is not
            titled, a lone energy lies far out of order (a typo: ``_check_in_order``), or
            the data cannot be read as a spectrum.
    """
    return _two_column(path, fluorescence, column)[:2]


def _misnames_energy(columns: list[tuple[str, str | None]]) -> bool:
    """Whether column titles (``titled_columns``) name no energy column but title the first
    column, which is then read as the energy, as mu or an intensity."""
    names = [name for name, _ in columns]
    return bool(names) and names[0] in HEADER_NAMES and not set(ENERGY_NAMES) & set(names)


def _starts_scan(line: str) -> bool:
    """Whether a comment line among the data starts another scan: SPEC's ``#S``, or titles
    naming two ``HEADER_NAMES`` columns (``#L Energy  It  I0``)."""
    titles = {name for name, _ in header_columns(line.lstrip("#"))}
    return bool(SPEC_SCAN.match(line)) or len(titles & HEADER_NAMES) >= 2


def _is_transmission(name: str, unit: str | None) -> bool:
    """Whether a column titled ``name`` (``unit``) holds a transmitted fraction It / I0."""
    over_i0 = (unit or "").lower().split()[:1] == ["i0"]  # 'It/I0', 'I/I0 (a.u.)'
    return name in TRANSMISSION_NAMES or (name in (*TRANSMITTED_NAMES, "i") and over_i0)


def _transmission_error(path: str | Path, where: str, name: str, unit: str | None) -> ValueError:
    """The refusal of a transmitted-fraction column (``_is_transmission``) at ``where``."""
    return ValueError(
        f"{str(path)!r}: {where} is titled {name!r}"
        + (f" ({unit})" if unit else "")
        + ", the transmitted fraction T = It / I0, whose edge is a drop, not mu, and no "
        "column is titled mu; write mu = -ln(T) (-ln(T / 100) for a percentage) as a column "
        "titled 'mu', or give the i0 and it columns for ln(i0 / it)"
    )


def _two_column(
    path: str | Path, fluorescence: str | None = None, column: str | None = None
) -> Recording:
    """``read_two_column``'s spectrum, what its mu is, and its other fluorescence-like
    columns (``FLUORESCENCE_PATTERN``), lower case."""
    text = column_text(read_text(path, "a text spectrum"), repr(str(path)), "energy and mu")
    table, width = text.rows, text.rows.shape[1]
    for number, line in text.notes:
        if text.lines[0] < number < text.lines[-1] and _starts_scan(line):
            raise ValueError(
                f"{str(path)!r} line {number} starts another scan ({line!r}); keep one scan "
                f"per file: split the file before line {number}"
            )
    titles = [line for _, line in text.notes if not line.startswith("#")]
    comments = [  # free text such as '# mu normalised' is no header
        line for _, line in text.header() if not _misnames_energy(titled_columns(line, width))
    ]
    header, columns = column_titles(titles or comments, HEADER_NAMES, width, repr(str(path)))
    if titles and not columns:
        header = titles[-1]
        columns = titled_columns(header, width)
    header = header if titles else None
    if header is not None and _misnames_energy(columns):
        raise ValueError(
            f"{str(path)!r}: the header {header!r} titles column 1 {columns[0][0]!r} "
            "and no column 'energy' or 'e', so the energy would be read from that "
            f"{columns[0][0]} column; title the energy column 'energy' (e.g. 'energy,mu')"
        )
    names: dict[str, int] = {}
    for index, (name, _) in enumerate(columns):
        if name:
            names.setdefault(name, index)
    titles = [name for name, _ in columns]
    energy_name = next((n for n in ENERGY_NAMES if n in names), None)
    at = 0 if energy_name is None else names[energy_name]
    energy = table[:, 0] if energy_name is None else _column(table, names, energy_name, path)
    spelled = {n: n for n in names}
    named = _titled(table, names, spelled, column, fluorescence, path)
    ratio, others = _fluorescence(table, names, spelled, fluorescence, path)
    named = named or ratio or _named_mu(table, names, path)
    if named is None:
        if at + 1 >= table.shape[1]:
            raise ValueError(
                f"{str(path)!r}: the energy is the last column ({at + 1}) and the titles "
                f"{titles} name no mu column; title the mu column 'mu'"
            )
        if len(columns) > at + 1 and _is_transmission(*columns[at + 1]):
            raise _transmission_error(path, f"column {at + 2}", *columns[at + 1])
        if len(columns) > at + 1 and columns[at + 1][0] in INTENSITY_NAMES:
            raise ValueError(
                f"{str(path)!r}: column {at + 2} is {columns[at + 1][0]!r}, an intensity, not "
                f"mu, and the titles {titles} name no mu column nor i0 with it for "
                "ln(i0 / it); title the mu column 'mu' (an 'energy,mu' file), or pass "
                "--fluorescence NAME to read the fluorescence column NAME over i0"
            )
        full = np.isfinite(table).all(axis=0)  # a spreadsheet's stray cells are no column
        if not names and full[2:].any():
            raise ValueError(
                f"{str(path)!r} has {int(full.sum())} columns and no titles, so which one is "
                "mu cannot be told (column 2 could be i0 or a reference); title the columns "
                "(e.g. a first line 'energy mu i0'), or keep only the energy and mu columns"
            )
        title = columns[at + 1][0] if len(columns) > at + 1 else None
        if title and REFERENCE_MARK in title:
            raise ValueError(
                f"{str(path)!r}: column {at + 2} is {title!r}, by its title a reference "
                f"foil's signal, not the sample's mu, and the titles {titles} name no mu "
                "column; pass --column NAME to read the sample's column NAME as mu, or title "
                "it 'mu'"
            )
        after = [name for name, _ in columns[at + 1 :] if name]
        if len(after) > 1 and full[at + 2 :].any():
            raise ValueError(
                f"{str(path)!r}: the titles {titles} name no mu column, so which of "
                f"{', '.join(map(repr, after))} is mu cannot be told; pass --column NAME to "
                "read the column NAME as mu, or title the mu column 'mu'"
            )
        named = table[:, at + 1], f"column {at + 2}" + (f" ({title})" if title else "")
    unit = columns[at][1] if len(columns) > at else None
    where = f"{str(path)!r} column {at + 1}"
    fix = "title the column 'E ({})'"
    spectrum = _spectrum(energy, *named, unit, where, repr(str(path)), fix, text.lines)
    return Recording(*spectrum, named[1], others, fluorescent=ratio is not None)


def read_xdi(
    path: str | Path, fluorescence: str | None = None, column: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read energy and mu from an XDI file.

    Column names come from ``# Column.N: name unit ...`` header lines (case-insensitive);
    energies are in eV unless the energy column's unit is keV; without a unit they must
    span at least ``MIN_SPAN_EV``. mu is ``fluorescence / i0`` when a fluorescence column
    is named, else the named ``column``, else the first of the
    ``MU_NAMES`` columns present (``mu``, ``xmu``, ``mutrans``, ``mufluor``, then the
    normalised ``normtrans``, ``normfluor``, ``norm``, ``flat``), else ``ln(i0 / itrans)``
    (``it`` or ``i1`` are accepted for ``itrans``), else ``ifluor / i0``: transmission wins
    when a file has both, so name the column of a fluorescence scan (e.g. ``Sum_Fe_Ka``).
    A file naming none of these, no other intensity, fluorescence-like or reference
    (``normrefer``) column gives the first column named after the energy (Athena names it
    after its group: ``# Column.2: JZP-4-merged``).

    Args:
        path: XDI file.
        fluorescence: name of a fluorescence counts column, normalised by ``i0``; not
            ``i0`` itself (a constant mu).
        column: name of a column to read as mu as it is; not with ``fluorescence``.

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.
    """
    return _xdi(path, fluorescence, column)[:2]


def _first_after_energy(
    table: np.ndarray,
    names: dict[str, int],
    spelled: dict[str, str],
    path: str | Path,
) -> tuple[np.ndarray, str]:
    """mu (n,) from the first column of ``table`` (n, k) named after the energy in an XDI
    file that names no mu, intensity, fluorescence-like (``FLUORESCENCE_PATTERN``) nor
    reference column (an Athena export naming it after its group: ``# Column.2:
    JZP-4-merged``), and what it is (``column JZP-4-merged``, as ``spelled``)."""
    after = [name for name in sorted(names, key=names.get) if names[name] > names["energy"]]
    fluorescent = any(FLUORESCENCE_PATTERN.fullmatch(name) for name in names)
    references = any(REFERENCE_MARK in name for name in names)
    if not after or fluorescent or references or set(names) & set(INTENSITY_NAMES):
        raise ValueError(
            f"{str(path)!r}: no {', '.join(MU_NAMES[:-1])} or {MU_NAMES[-1]} column and "
            f"no i0 with {'/'.join(TRANSMITTED_NAMES)} or ifluor (columns: "
            f"{sorted(names)}); add one of them"
        )
    if _is_transmission(after[0], None):
        raise _transmission_error(path, f"column {names[after[0]] + 1}", spelled[after[0]], None)
    return _column(table, names, after[0], path), f"column {spelled[after[0]]}"


def _xdi(path: str | Path, fluorescence: str | None, column: str | None) -> Recording:
    """``read_xdi``'s spectrum, what its mu is, and the file's other fluorescence-like
    columns (``FLUORESCENCE_PATTERN``), as the file spells them."""
    names: dict[str, int] = {}
    units: dict[str, str | None] = {}
    spelled: dict[str, str] = {}
    text = column_text(
        read_text(path, "a text spectrum"), repr(str(path)), "energy and mu", titles=False
    )
    for _, line in text.notes:  # all comments: XDI has no title line
        key, _, value = line.lstrip("#").partition(":")
        words = value.partition("||")[0].split()  # "energy eV || PV": name, unit, PV
        if key.strip().lower().startswith("column.") and words:
            index = key.strip()[len("column.") :]
            if index.isdigit() and int(index) >= 1:  # XDI numbers columns from 1
                names.setdefault(words[0].lower(), int(index) - 1)
                spelled.setdefault(words[0].lower(), words[0])
                units.setdefault(
                    words[0].lower(), words[1].strip("()[]") if len(words) > 1 else None
                )
    table = text.rows
    if "energy" not in names:
        found = f"they name {sorted(spelled.values())}" if names else "it has none"
        raise ValueError(
            f"{str(path)!r}: no 'energy' column in the '# Column.N:' header lines ({found}); "
            "name each data column in one, e.g. '# Column.1: energy eV' and '# Column.2: mu'"
        )
    chosen = _titled(table, names, spelled, column, fluorescence, path)
    named = None if fluorescence is not None or chosen else _named_mu(table, names, path)
    unchosen = named is None and chosen is None and fluorescence is None
    if unchosen and {"i0", "ifluor"} <= set(names):
        fluorescence = "ifluor"
    ratio, others = _fluorescence(table, names, spelled, fluorescence, path)
    named = chosen or ratio or named or _first_after_energy(table, names, spelled, path)
    energy = _column(table, names, "energy", path)
    where = f"{str(path)!r} Column.{names['energy'] + 1}"
    fix = f"write '# Column.{names['energy'] + 1}: energy {{}}'"
    spectrum = _spectrum(energy, *named, units["energy"], where, repr(str(path)), fix, text.lines)
    return Recording(*spectrum, named[1], others, fluorescent=ratio is not None)


def read_spectrum(
    path: str | Path, fluorescence: str | None = None, column: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Read a spectrum, choosing the reader from the content or the extension.

    Files whose first line starts with ``# XDI`` (or ``#XDI``), or named ``*.xdi``,
    go to ``read_xdi``; everything else to ``read_two_column``.

    Args:
        path: spectrum file.
        fluorescence: a fluorescence column to read over i0 as mu (see ``read_xdi``).
        column: a column to read as mu as it is (``xmcd``); not with ``fluorescence``.

    Returns:
        (energy, mu), each (n,): increasing energies (eV), duplicates averaged.
    """
    return _recording(path, fluorescence, column)[:2]


def _recording(path: str | Path, fluorescence: str | None, column: str | None) -> Recording:
    """``read_spectrum``'s spectrum, what its mu is, and its other fluorescence-like
    columns."""
    lines = split_lines(read_text(path, "a text spectrum"))
    first = lines[0].lstrip("#").lstrip() if lines else ""
    if first.startswith("XDI") or Path(path).suffix.lower() == ".xdi":
        return _xdi(path, fluorescence, column)
    return _two_column(path, fluorescence, column)


def gaps(energy: np.ndarray) -> list[tuple[float, float]]:
    """The (start, end) energies of each run of steps of ``energy`` (n,), increasing, wider
    than ``GAP_STEPS`` times the median of the ``GAP_AROUND`` steps on either side: where a
    replay interpolates across energies the recording skipped (a stray point inside a gap
    leaves it one)."""
    step = np.diff(energy)
    if step.size < 2:
        return []
    around = sliding_window_view(np.pad(step, GAP_AROUND, mode="reflect"), 2 * GAP_AROUND + 1)
    around = np.delete(around, GAP_AROUND, axis=1)  # each step's neighbours, not itself
    found: list[tuple[float, float]] = []
    for i in np.flatnonzero(step > GAP_STEPS * np.median(around, axis=1)):
        if found and found[-1][1] == energy[i]:  # the run goes on past a stray point
            found[-1] = (found[-1][0], float(energy[i + 1]))
        else:
            found.append((float(energy[i]), float(energy[i + 1])))
    return found


class RecordedSpectrum(Simulator):
    """Replays a recorded scan: a monotone cubic (PCHIP) interpolant through it.

    With ``i0`` set, measurements get Poisson counting noise in transmission like
    ``KEdgeXAS``, with ``mu_offset = MU_HEADROOM - min(mu)`` so that the transmitted
    fraction never exceeds exp(-0.5); a constant offset of mu does not change the noise.
    Channels: ``mu`` (primary), ``i0``, ``i1``.

    A fluorescence column over i0 (``fluorescent``, read with ``fluorescence``) is
    counted in fluorescence instead, channels ``mu``, ``i0``, ``if``: ``i0`` is the
    fluorescence count expected at the recording's highest mu (its white line or
    post-edge), whatever the units of the file's i0 column. With ``top = max(mu) +
    mu_offset``, ``If ~ Poisson(i0 * (mu + mu_offset) / top)``, read as ``mu = If / i0 *
    top - mu_offset`` with uncertainty ``sqrt(max(If, 1)) / i0 * top``; ``mu_offset`` is
    0 for a ratio of raw counts (so mu >= 0), and lifts a ratio dipping below 0
    (background subtracted) to count from its minimum. Noise-free, ``i0`` is 1 and ``if``
    the expected fraction ``(mu + mu_offset) / top``.

    Attributes:
        energy: (n,) recorded energies, increasing, eV.
        mu: (n,) recorded absorption (duplicate energies averaged).
        signal: what mu is, e.g. ``ln(i0/i1)`` or ``Sum_Fe_Ka/i0`` (``Recording``).
        fluorescence_columns: fluorescence-like columns of the file not replayed, to replay
            over i0 instead (``Recording``).
        fluorescent: whether mu is counted in fluorescence.
    """

    primary = "mu"
    channels = ("mu", "i0", "i1")

    def __init__(
        self,
        energy: np.ndarray,
        mu: np.ndarray,
        i0: float | None = None,
        seed: int | None = None,
        signal: str = "mu",
        fluorescence_columns: tuple[str, ...] = (),
        fluorescent: bool = False,
    ) -> None:
        """Store the recording.

        Args:
            energy: (n,) recorded energies, eV, any order (n >= 4 distinct).
            mu: (n,) recorded absorption.
            i0: incident counts per point, or None for noise-free replay.
            seed: seed of the noise generator.
            signal: what ``mu`` is, a label for summaries.
            fluorescence_columns: fluorescence-like columns of its file not replayed.
            fluorescent: whether ``mu`` is a fluorescence column over i0, counted in
                fluorescence (``Recording.fluorescent``); else transmission.

        Raises:
            ValueError: a bad recording or setting; with ``i0``, mu spanning more than
                ln(i0 / ``MIN_TRANSMITTED``) - ``MU_HEADROOM``, whose counting noise
                would clip; a fluorescence mu flat at 0 or below, which counts nothing, or
                with ``i0`` below ``MIN_TRANSMITTED`` (the counts at its highest mu).
        """
        self.energy, self.mu = _clean(energy, mu, "recorded spectrum")
        self.signal, self.fluorescence_columns = signal, tuple(fluorescence_columns)
        self.fluorescent = fluorescent
        lowest = float(self.mu.min())
        super().__init__(
            (self.energy[0], self.energy[-1]),
            i0=i0,
            mu_offset=max(0.0, -lowest) if self.fluorescent else MU_HEADROOM - lowest,
            seed=seed,
        )
        if self.fluorescent:
            if self._top() <= 0:
                raise ValueError(
                    f"{signal} is {self.mu[0]:.3g} at every energy, so it counts no "
                    "fluorescence; name the fluorescence column whose counts rise at the edge"
                )
            if self.i0 is not None and self.i0 < MIN_TRANSMITTED:  # at 1, 37 % count 0
                raise TooFewCountsError(
                    f"i0 = {self.i0:g} expects under {MIN_TRANSMITTED:g} fluorescence counts "
                    f"at the highest mu of {signal}, too few for counting noise, as under "
                    f"{MIN_TRANSMITTED:g} transmitted counts are in transmission; raise i0 to "
                    f"at least {MIN_TRANSMITTED:g}",
                    MIN_TRANSMITTED,
                )
            self.channels = ("mu", "i0", "if")
        self._interpolant = PchipInterpolator(self.energy, self.mu)
        if not self.fluorescent:  # PCHIP's extremes lie on the recorded points
            self._check_countable(
                self._interpolant,
                self.energy,
                "recorded mu",
                "normalise mu (edge step near 1; a constant offset does not matter)",
                headroom=MU_HEADROOM,
            )

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        i0: float | None = None,
        seed: int | None = None,
        fluorescence: str | None = None,
        column: str | None = None,
    ) -> "RecordedSpectrum":
        """Replay a spectrum file read with ``read_spectrum``, noting what its mu is.

        Args:
            path: XDI or column text file.
            i0: incident counts per point, or None for noise-free replay.
            seed: seed of the noise generator.
            fluorescence: a fluorescence column to replay over i0 as mu.
            column: a column to replay as mu as it is; not with ``fluorescence``.
        """
        return cls._replay(_recording(path, fluorescence, column), i0, seed)

    def replayed(self, i0: float | None, seed: int | None) -> "RecordedSpectrum":
        """The same recording replayed with ``i0`` incident counts per point (None:
        noise-free) and noise seeded with ``seed``.

        Raises:
            ValueError: as the constructor, e.g. too few counts for this mu.
        """
        return self._replay(self, i0, seed)

    @classmethod
    def _replay(
        cls, recording: "Recording | RecordedSpectrum", i0: float | None, seed: int | None
    ) -> "RecordedSpectrum":
        """A replay of ``recording`` (read from a file, or a replay's) with ``i0``, ``seed``."""
        return cls(
            recording.energy,
            recording.mu,
            i0=i0,
            seed=seed,
            signal=recording.signal,
            fluorescence_columns=recording.fluorescence_columns,
            fluorescent=recording.fluorescent,
        )

    def _evaluate_true(self, e: np.ndarray) -> np.ndarray:
        return self._interpolant(e)

    def _channels(self, e: np.ndarray) -> dict[str, np.ndarray]:
        """Transmission (``Simulator._channels``), or for a fluorescent replay ``mu``,
        ``i0`` and ``if`` counted as the class says; each (n,) at energies ``e`` (n,), eV."""
        if not self.fluorescent:
            return super()._channels(e)
        mu = self._evaluate_true(e)
        top = self._top()
        # PCHIP stays within the data, so mu + mu_offset >= 0 but for rounding
        expected = np.maximum(mu + self.mu_offset, 0.0) / top
        if self.i0 is None:
            return {"mu": mu, "i0": np.ones_like(mu), "if": expected}
        counts = self._rng.poisson(self.i0 * expected).astype(float)
        measured = counts / self.i0 * top - self.mu_offset
        return {"mu": measured, "i0": np.full_like(mu, self.i0), "if": counts}

    def _top(self) -> float:
        """``max(mu) + mu_offset``: the fluorescence mu that counts ``i0``."""
        return float(self.mu.max()) + self.mu_offset

    def uncertainties(self, channels: dict[str, float]) -> dict[str, float]:
        """Transmission's (``Simulator.uncertainties``), or for a fluorescent replay ``mu``
        sqrt(If) / i0 * (max(mu) + mu_offset) and ``if`` sqrt(If), If taken as at least 1
        count."""
        if self.i0 is None or not self.fluorescent:
            return super().uncertainties(channels)
        spread = counted(channels["if"]) ** 0.5
        return {"mu": spread / self.i0 * self._top(), "if": spread}
