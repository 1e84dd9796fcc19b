"""Readers for measured XPS spectra: ISO 14976 VAMAS files and two-column text exports.

Every reader returns regions on an ascending binding-energy axis. VAMAS files store the
kinetic energy as a regular axis (start, increment); it is converted with the file's
analysis-source energy, ``binding = source energy - kinetic``.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulators.base import is_int
from simulators.text_files import (
    column_text,
    column_titles,
    ev_per,
    existing_file,
    header_columns,
    read_text,
    reads_as_float,
    refuse_channel_title,
    refuse_uncalibrated,
    split_fields,
    split_lines,
)

VAMAS_FORMAT = "VAMAS Surface Chemical Analysis Standard Data Transfer Format"
#: The first line of an EMSA/MSA file (ISO 22029: ``#FORMAT : EMSA/MAS Spectral Data File``);
#: one whose ``#SIGNALTYPE`` marks an EELS or X-ray spectrum (``NOT_PHOTOEMISSION``) is
#: refused with the command that reads it; an XPS one (XY data) is read as text.
EMSA_FORMAT = re.compile(r"#\s*format\s*:\s*emsa", re.IGNORECASE)
EMSA_SIGNAL = re.compile(r"#\s*signaltype\s*:\s*(.*)", re.IGNORECASE)
NOT_PHOTOEMISSION = re.compile(r"(?:e?els|x?eds|edxs?|wdxs?|wds|xrf)(?:[\s_/-].*)?", re.IGNORECASE)

#: A label naming kinetic energy: "Kinetic Energy (eV)", "K.E.", a word "KE" (a text header
#: line, a spectrum's ``x_units``; also "KE_eV"); not "KE-17" in a sample name nor "K. E.
#: Smith".
KINETIC = re.compile(r"kinetic|\bk\.e\.|(?<![A-Za-z0-9.-])ke(?![A-Za-z0-9.-])", re.IGNORECASE)
#: Column titles of a text export's binding-energy axis and counts (lower case, units
#: dropped: "Binding Energy (eV)", pandas' "binding_energy_eV", "B.E.", "Counts/s"); a
#: binding-energy title wins over a plain "energy".
_BINDING_TITLES = ("binding energy", "binding_energy", "be", "b.e.")
_ENERGY_TITLES = (*_BINDING_TITLES, "energy")
_COUNTS_TITLES = ("counts", "intensity", "cps")
#: A block chosen by its 1-based position in the file: "2".
_POSITION = re.compile(r"[0-9]+")
#: A kinetic-energy axis needs an analysis-source energy above 0 and below this, eV
#: (CasaXPS writes 1e37 for an unknown one).
_MAX_SOURCE_ENERGY = 1e6
#: What to do first with an axis of channel numbers (``text_files.refuse_channel_axis``):
#: a text file's, a campaign put's (``adaptive.analysis.PeakAnalysis``).
CALIBRATE_BINDING = "calibrate the axis to binding energy (eV) before fitting peaks"
#: Fewest points of a spectrum that the peak network and the fitters take
#: (``surrogates.peak_net`` imports it; readers name it for a shorter region).
MIN_POINTS = 10

# Experiment modes and techniques that add optional lines to a VAMAS block (ISO 14976).
_MAP_MODES = ("MAP", "MAPDP")
_REGION_MODES = ("MAP", "MAPDP", "NORM", "SDP")
_SPUTTER_MODES = ("MAPDP", "MAPSVDP", "SDP", "SDPSV")
_FIELD_OF_VIEW_MODES = ("MAP", "MAPDP", "MAPSV", "MAPSVDP", "SEM")
_LINESCAN_MODES = ("MAPSV", "MAPSVDP", "SEM")
_ION_TECHNIQUES = (
    "FABMS",
    "FABMS ENERGY SPEC",
    "ISS",
    "SIMS",
    "SIMS ENERGY SPEC",
    "SNMS",
    "SNMS ENERGY SPEC",
)


@dataclass(frozen=True)
class XPSRegion:
    """One measured XPS region.

    Attributes:
        name: block name, VAMAS block identifier and sample identifier (``"Fe2p Fe metal"``),
            or the text file's title line (its file name without suffix when it has none).
        binding_energy: (m,) strictly ascending binding energies, eV.
        counts: (m,) intensities aligned with ``binding_energy``, as the file stores them:
            VAMAS blocks hold counts per channel, exported text often counts per second
            (the shared ``.txt`` files are the ``.vms`` counts / (dwell time x scans)), so
            areas of the same measurement differ by that factor between the two.
        source: path of the file read.
    """

    name: str
    binding_energy: np.ndarray
    counts: np.ndarray
    source: str


def _region(
    name: str,
    energy: np.ndarray,
    counts: np.ndarray,
    source: str,
    lines: np.ndarray | None = None,
) -> XPSRegion:
    """Check a spectrum and return it on an ascending axis.

    Args:
        name: region name.
        energy: (m,) binding energies, ascending or descending, eV.
        counts: (m,) counts.
        source: file path, named in error messages.
        lines: (m,) the text file's line of each point, for error messages (None: a
            VAMAS block, whose points are named by index).
    """
    if energy.size < 2:
        raise ValueError(
            f"{source}: region {name!r} has {energy.size} point(s); need >= 2, and a peak "
            f"fit at least {MIN_POINTS}: measure a wider window"
        )
    for label, values, fill in (
        ("energy", energy, "write the energy its neighbours' step gives"),
        ("counts", counts, "fill it, e.g. with the mean of its neighbours' counts"),
    ):
        if not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            at = f"point {bad}" if lines is None else f"line {lines[bad]}"
            raise ValueError(
                f"{source}: region {name!r} has a non-finite {label} value (NaN or inf) at "
                f"{at}; {fill} (removing the point leaves a gap in the energy axis, which a "
                "peak fit refuses)"
            )
    if energy[0] > energy[-1]:
        energy, counts = energy[::-1], counts[::-1]
        lines = None if lines is None else lines[::-1]
    step = np.diff(energy)
    if np.any(step <= 0):
        bad = int(np.flatnonzero(step <= 0)[0])
        kind = "repeats" if step[bad] == 0 else "is not monotonic"
        if _swapped(counts):
            at = f"point {bad + 1}" if lines is None else f"line {lines[bad + 1]}"
            raise ValueError(
                f"{source}: region {name!r}: the energy axis {kind} at {at} while the counts "
                "ascend or descend strictly, as energies do: energy and counts look swapped; "
                "put the binding energy in the first column and the counts in the second, or "
                "title the columns 'Binding Energy (eV)' and 'Counts'"
            )
        at = "" if lines is None else f" on line {lines[bad + 1]}"
        where, fix = (
            (at, "average the counts of a repeated energy, or keep one of its points")
            if step[bad] == 0
            else (
                f": {float(energy[bad + 1]):g} eV follows it{at}",
                "sort the rows by energy, or put each sweep of a file of several in a file "
                "of its own",
            )
        )
        raise ValueError(
            f"{source}: region {name!r}: the energy axis {kind} at {float(energy[bad]):g} eV"
            f"{where}; the axis must be strictly ascending or strictly descending: {fix}"
        )
    return XPSRegion(name, energy.copy(), counts.copy(), source)


#: Fewest points whose counts ascending or descending strictly tell a swapped energy column
#: (``_swapped``); three counts of a short file do so by chance.
_SWAP_POINTS = 5


def _swapped(counts: np.ndarray) -> bool:
    """Whether ``counts`` (m,), beside an energy axis that does not ascend or descend
    strictly, do so themselves over ``_SWAP_POINTS`` or more, as a swapped energy column does."""
    step = np.diff(counts)
    return counts.size >= _SWAP_POINTS and bool((step > 0).all() or (step < 0).all())


class _Lines:
    """Cursor over the lines of a VAMAS file; errors name the line number."""

    def __init__(self, lines: list[str], source: str) -> None:
        self.lines = lines
        self.source = source
        self.index = 0

    def text(self, what: str) -> str:
        if self.index >= len(self.lines):
            raise ValueError(f"{self.source}: VAMAS file ends early; expected {what}")
        self.index += 1
        return self.lines[self.index - 1].strip()

    def number(self, what: str, kind: type = float) -> float:
        value = self.text(what)
        try:
            return kind(value)
        except ValueError:
            raise ValueError(
                f"{self.source}: line {self.index}: expected {what} as {kind.__name__}, "
                f"got {value!r}; the file is not valid VAMAS"
            ) from None

    def skip(self, count: int) -> None:
        for _ in range(count):
            self.text("a header line")


def read_vamas(path: str | Path) -> list[XPSRegion]:
    """Read every block of an ISO 14976 VAMAS file (as written by CasaXPS).

    Only the REGULAR scan mode (start + increment axis) is supported. The first corresponding
    variable (counts) is read; kinetic-energy axes are converted to binding energy with the
    block's analysis-source energy, which must be above 0 and below 1e6 eV. A UTF-8
    byte-order mark is dropped; lines break at LF, CRLF and CR only.

    Args:
        path: file to read.

    Returns:
        One region per block, in file order.

    Raises:
        ValueError: the file is not VAMAS, uses an unsupported layout, or any block holds
            bad data (``read_xps`` reads one block and checks only that one).
    """
    return [block.region() for block in _vamas_blocks(path)]


@dataclass(frozen=True)
class _VamasBlock:
    """A parsed VAMAS block whose axis and values are not yet checked.

    Attributes:
        name: block and sample identifiers.
        identifiers: (sample identifier, block identifier), each a name of its own to
            ``read_xps``'s ``block``.
        axis_label: abscissa label, lower case.
        axis: (m,) abscissa as stored.
        counts: (m,) first corresponding variable.
        source_energy: analysis-source characteristic energy, eV.
        source: file path.
    """

    name: str
    identifiers: tuple[str, str]
    axis_label: str
    axis: np.ndarray
    counts: np.ndarray
    source_energy: float
    source: str

    def region(self) -> XPSRegion:
        """The checked region, a kinetic axis converted to binding energy; raises ValueError
        for an unsupported axis, a kinetic axis without a valid source energy, or bad data."""
        if self.axis_label not in ("kinetic energy", "binding energy"):
            raise ValueError(
                f"{self.source}: block {self.name!r} has abscissa {self.axis_label!r}; "
                "only 'kinetic energy' and 'binding energy' axes are supported"
            )
        if self.axis_label == "binding energy":
            return _region(self.name, self.axis, self.counts, self.source)
        if not 0 < self.source_energy < _MAX_SOURCE_ENERGY:
            raise ValueError(
                f"{self.source}: block {self.name!r} has a kinetic-energy axis but its "
                f"analysis source energy is missing or invalid; the file has "
                f"{self.source_energy:g} eV: write the photon energy (1486.61 eV for Al "
                "K-alpha, 1253.6 eV for Mg K-alpha) or export a binding-energy axis"
            )
        return _region(self.name, self.source_energy - self.axis, self.counts, self.source)


def _vamas_blocks(path: str | Path) -> list[_VamasBlock]:
    """The blocks of a VAMAS file, parsed but not checked (see ``read_vamas``)."""
    source = str(path)
    lines = split_lines(read_text(path, "a VAMAS (.vms) file"))
    if not lines:
        raise ValueError(f"{source}: file is empty; pass a VAMAS (.vms) file")
    if not lines[0].startswith(VAMAS_FORMAT):
        if any(reads_as_float(field) for line in lines[:2] for field in split_fields(line)[:1]):
            named_vms = Path(source).suffix.lower() == ".vms"
            raise ValueError(
                f"{source}: not a VAMAS file; it looks like two-column text (binding energy, "
                "counts)" + (": rename it to .txt to have it read as text" if named_vms else "")
            )
        raise ValueError(
            f"{source}: not a VAMAS file (first line {lines[0][:60]!r}); pass a VAMAS file "
            "or a two-column text file (binding energy, counts) named .txt"
        )
    cursor = _Lines(lines, source)
    cursor.skip(5)  # format, institution, instrument, operator, experiment identifiers
    cursor.skip(int(cursor.number("number of comment lines", int)))
    mode = cursor.text("experiment mode").upper()
    scan_mode = cursor.text("scan mode").upper()
    if scan_mode != "REGULAR":
        raise ValueError(
            f"{source}: scan mode {scan_mode!r} is not supported; only REGULAR axes are read"
        )
    if mode in _REGION_MODES:
        cursor.skip(1)  # number of spectral regions
    if mode in _MAP_MODES:
        cursor.skip(3)  # analysis positions, discrete x and y coordinates
    n_variables = int(cursor.number("number of experimental variables", int))
    cursor.skip(2 * n_variables)
    if cursor.number("parameter inclusion list length", int) != 0:
        raise ValueError(
            f"{source}: parameter inclusion/exclusion lists are not supported; "
            "re-export the file with every block parameter written"
        )
    cursor.skip(int(cursor.number("number of manually entered items", int)))
    future_experiment = int(cursor.number("number of future experiment entries", int))
    future_block = int(cursor.number("number of future block entries", int))
    cursor.skip(future_experiment)
    n_blocks = int(cursor.number("number of blocks", int))
    blocks = [_read_block(cursor, mode, n_variables, future_block) for _ in range(n_blocks)]
    if not blocks:
        raise ValueError(f"{source}: VAMAS file holds no blocks")
    return blocks


def _read_block(cursor: _Lines, mode: str, n_variables: int, future_block: int) -> _VamasBlock:
    """Read one VAMAS block from the cursor (ISO 14976 block layout)."""
    identifier, sample = cursor.text("block identifier"), cursor.text("sample identifier")
    name = f"{identifier} {sample}".strip()
    cursor.skip(7)  # year, month, day, hours, minutes, seconds, hours ahead of GMT
    cursor.skip(int(cursor.number("number of block comment lines", int)))
    technique = cursor.text("technique").upper()
    if mode in _MAP_MODES:
        cursor.skip(2)  # x, y coordinates
    cursor.skip(n_variables)  # values of the experimental variables
    cursor.skip(1)  # analysis source label
    if mode in _SPUTTER_MODES or technique in _ION_TECHNIQUES:
        cursor.skip(3)  # sputtering ion atomic number, atoms per particle, charge
    source_energy = cursor.number("analysis source characteristic energy")
    cursor.skip(3)  # source strength, beam widths x and y
    if mode in _FIELD_OF_VIEW_MODES:
        cursor.skip(2)
    if mode in _LINESCAN_MODES:
        cursor.skip(6)
    cursor.skip(4)  # polar angle, azimuth, analyser mode, pass energy
    if technique == "AES DIFF":
        cursor.skip(1)  # differential width
    cursor.skip(10)  # magnification ... charge of detected particle
    axis_label = cursor.text("abscissa label").lower()
    cursor.skip(1)  # abscissa units
    start = cursor.number("abscissa start")
    increment = cursor.number("abscissa increment")
    n_corresponding = int(cursor.number("number of corresponding variables", int))
    if n_corresponding < 1:
        raise ValueError(f"{cursor.source}: block {name!r} has no corresponding variable")
    cursor.skip(2 * n_corresponding)
    cursor.skip(4)  # signal mode, collection time, number of scans, time correction
    if mode in _SPUTTER_MODES:
        cursor.skip(7)  # sputtering source settings
    cursor.skip(3)  # sample tilt, tilt azimuth, rotation
    cursor.skip(3 * int(cursor.number("number of additional numerical parameters", int)))
    cursor.skip(future_block)
    n_values = int(cursor.number("number of ordinate values", int))
    if n_values % n_corresponding:
        raise ValueError(
            f"{cursor.source}: block {name!r} has {n_values} ordinate values, not a multiple "
            f"of its {n_corresponding} corresponding variables"
        )
    cursor.skip(2 * n_corresponding)  # minimum and maximum of each variable
    values = np.array([cursor.number("ordinate value") for _ in range(n_values)])
    counts = values[::n_corresponding]
    axis = start + increment * np.arange(counts.size)
    return _VamasBlock(
        name, (sample, identifier), axis_label, axis, counts, source_energy, cursor.source
    )


def _text_columns(
    header: list[str], width: int, source: str, kinetic: str | None = None
) -> tuple[tuple[int, int], str | None, str | None]:
    """The 0-based (binding energy, counts) columns of a text export whose first data row
    has ``width`` fields, the energy unit and the header line of the titles (None without
    titles), from the column titles among ``header``
    (``text_files.column_titles``): columns 1 and 2 without titles (a header line of one
    energy title alone, ``Binding Energy (keV)``, titles column 1); of two columns, the
    one not titled is the other. A ValueError when the titles do not tell, or when
    ``kinetic``, the header line (``line N '...'``) that names a kinetic-energy axis, is
    given and no binding-energy title names a column (CasaXPS's ``K.E.  B.E.  Counts``
    export has one), or when the energy column is titled as channel numbers
    (``text_files.refuse_channel_title``: ``Channel  Counts``)."""
    try:
        line, columns = column_titles(header, {*_ENERGY_TITLES, *_COUNTS_TITLES}, width, source)
    except ValueError:
        if kinetic is None:
            raise
        line, columns = None, []  # refused as kinetic below, which says more
    names = [name for name, _ in columns]
    energy = next((k for k, name in enumerate(names) if name in _BINDING_TITLES), None)
    if kinetic is not None and energy is None:
        raise ValueError(
            f"{source}: {kinetic} says the energy axis is kinetic energy, and no column is "
            "titled binding energy: convert it (binding energy = photon energy - kinetic "
            "energy, e.g. 1486.61 eV - KE for Al K-alpha) or export the spectrum with a "
            "binding-energy column ('B.E.' or 'Binding Energy')"
        )
    if line is None:
        # one title alone, 'Binding Energy (keV)' as the refusals advise: column 1's
        titled = [
            (line, titles[0][1])
            for line in header
            if len(titles := header_columns(line.strip().lstrip("#"))) == 1
            and titles[0][0] in _ENERGY_TITLES
        ]
        return ((0, 1), *titled[-1][::-1]) if titled else ((0, 1), None, None)
    if energy is None:
        energy = next((k for k, name in enumerate(names) if name in _ENERGY_TITLES), None)
    counts = next((k for k, name in enumerate(names) if name in _COUNTS_TITLES), None)
    if width == 2 and (energy is None) != (counts is None):
        energy, counts = (1 - counts, counts) if energy is None else (energy, 1 - energy)
    if energy is None or counts is None:
        raise ValueError(
            f"{source}: the header {line.strip()!r} does not tell which columns are the "
            "binding energy and the counts; title them 'Binding Energy (eV)' and 'Counts'"
        )
    fix = "title that column 'Binding Energy (eV)'"
    refuse_channel_title(columns, energy, line, source, fix, CALIBRATE_BINDING)
    return (energy, counts), columns[energy][1], line


def read_xps_text(path: str | Path) -> XPSRegion:
    """Read a two-column text spectrum (binding energy eV, counts) after optional header lines.

    Lines are read as ``text_files.column_text`` reads them: those before the first line
    starting with a number are a header (CasaXPS and SpecsLab exports write several), the
    first naming the region (unless it is the column titles), whitespace runs made single
    spaces; ``#`` lines among or after the data are comments; columns are separated by
    whitespace, commas (CSV) or semicolons, and every data row holds the same number of
    numbers. The binding energy and counts
    are columns 1 and 2, or the columns so titled in the last header line naming them
    (``Binding Energy (keV)``, ``BE``, ``Counts``; a pandas index column is passed over),
    the energy in eV unless its title names keV; other columns are ignored (a kinetic-energy
    one too: CasaXPS's ``K.E.  B.E.  Counts  Background  Envelope``); the axis may be
    ascending or descending. An axis of detector channel numbers is refused: a column
    titled ``Channel`` (``Pixel``, ``Index``), or one whose title gives no unit holding
    0, 1, ..., m - 1 or 1, 2, ..., m (``text_files.refuse_uncalibrated``).

    Args:
        path: file to read.

    Returns:
        The region, named by the first header line unless it holds the column titles,
        else by the file name without suffix.

    Raises:
        ValueError: the file holds no data rows, its header names a kinetic-energy axis
            ("kinetic", "K.E.") but no binding-energy column, its column titles do not fit
            the data or do not tell the binding energy and counts columns, a data row is
            not numbers (naming its line), the axis is channel numbers, or the data are bad.
    """
    source = str(path)
    text = read_text(path, "a two-column text spectrum")
    table = column_text(text, source, "binding energy and counts")
    header = table.header()
    kinetic = next((f"line {n} {line!r}" for n, line in header if KINETIC.search(line)), None)
    lines = [line for _, line in header]
    at, unit, titles = _text_columns(lines, table.rows.shape[1], source, kinetic)
    named = lines and lines[0] != titles  # a line of column titles names no region
    name = " ".join(lines[0].split()) if named else Path(path).stem
    energy = table.rows[:, at[0]] * ev_per(unit, source=f"{source} column {at[0] + 1}")
    region = _region(name, energy, table.rows[:, at[1]], source, table.lines)
    fix = "title the column 'Binding Energy (eV)' in a line above the data"
    refuse_uncalibrated(region.binding_energy, unit, f"{source}: ", fix, CALIBRATE_BINDING)
    return region


def _emsa_signal(path: Path) -> str:
    """An EMSA/MSA file's ``#SIGNALTYPE`` value ("" where its header gives none)."""
    for line in split_lines(read_text(path, "an EMSA/MSA file")):
        match = EMSA_SIGNAL.match(line.strip())
        if match:
            return match.group(1).strip()
        if line.strip().lower().startswith(("#spectrum", "# spectrum")):
            return ""
    return ""


def read_xps(path: str | Path, block: str | int | None = None) -> XPSRegion:
    """Read one XPS region from a VAMAS or two-column text file.

    VAMAS is recognised by its first line or a ``.vms`` suffix; an EMSA/MSA file of an
    EELS or X-ray spectrum (``EMSA_FORMAT``) is refused; anything else is read as text.
    Only the chosen block is checked, so one bad block does not hide the others.

    Args:
        path: file to read.
        block: region to pick: a number N (or its text) for the N-th region (1-based; the
            way to pick among regions of the same name), else a case-insensitive substring
            of its name; an exact name wins, then an exact VAMAS sample identifier ("MnO"
            of "Mn 2p MnO", whose other names hold "MnO" too), then an exact block
            identifier; may be omitted when the file holds a single region.

    Returns:
        The selected region.

    Raises:
        FileNotFoundError, IsADirectoryError: nothing, or a folder, is at ``path``.
        ValueError: the file or the chosen block is bad, or ``block`` matches no region or
            several.
    """
    path = existing_file(path, "a VAMAS (.vms) or two-column text XPS file")
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        first = handle.readline()
    if path.suffix.lower() == ".vms" or first.startswith(VAMAS_FORMAT):
        blocks = _vamas_blocks(path)
        return blocks[_select(path, [(b.name, *b.identifiers) for b in blocks], block)].region()
    signal = _emsa_signal(path) if EMSA_FORMAT.match(first.strip()) else ""
    if NOT_PHOTOEMISSION.fullmatch(signal):
        raise ValueError(
            f"{str(path)!r} is an EMSA/MSA file of #SIGNALTYPE {signal}, not an XPS "
            "spectrum: identify an EELS spectrum's elements with adaptive identify FILE"
        )
    region = read_xps_text(path)
    _select(path, [(region.name,)], block)
    return region


def _select(path: Path, regions: list[tuple[str, ...]], block: str | int | None) -> int:
    """Index of the region that ``block`` picks (see ``read_xps``) among ``regions``, each
    its name then, of a VAMAS block, its sample and block identifiers."""
    if is_int(block):
        block = str(int(block))
    elif not (block is None or isinstance(block, str)):
        raise ValueError(
            f"block={block!r} must be a region's name (text) or its position, an integer from 1"
        )
    names = [region[0] for region in regions]
    listing = ", ".join(f"[{k}] {name!r}" for k, name in enumerate(names, 1))
    if block is None:
        if len(names) == 1:
            return 0
        raise ValueError(
            f"{path}: holds {len(names)} regions; pass block=<name substring> or "
            f"block=<position N>: available {listing}"
        )
    if _POSITION.fullmatch(block.strip()):
        position = int(block)
        if not 1 <= position <= len(names):
            raise ValueError(
                f"{path}: block {block!r} is out of range: the file holds {len(names)} "
                f"region(s), numbered from 1: available {listing}"
            )
        return position - 1
    wanted = block.lower()
    exact = (
        [k for k, keys in enumerate(regions) if at < len(keys) and keys[at].lower() == wanted]
        for at in range(3)  # the name, the sample identifier, the block identifier
    )
    substring = [k for k, name in enumerate(names) if wanted in name.lower()]
    matches = next(filter(None, exact), substring)
    if not matches:
        raise ValueError(
            f"{path}: block {block!r} matches no region; pass a name substring or the "
            f"position N of one of the available {listing}"
        )
    if len(matches) > 1:
        matched = [names[k] for k in matches]
        by = "the position N" if len(set(matched)) < len(matched) else "the full name or position N"
        found = ", ".join(f"[{k + 1}] {names[k]!r}" for k in matches)
        raise ValueError(
            f"{path}: block {block!r} matches {len(matches)} regions; pass {by} of one of "
            f"them: {found}"
        )
    return matches[0]
