"""Readers for measured EELS spectra, and their conversion onto the simulator's 1 eV grid.

``read_msa`` reads EMSA/MSA files (ISO 22029), ``read_eels_text`` two-column text,
``read_eels`` either of them or, through the optional rosettasciio package (the ``io``
extra: ``.venv/bin/pip install -c constraints.txt -e ".[io]"`` in a checkout), Gatan
``.dm3``/``.dm4`` and HyperSpy ``.hspy``/``.hdf5`` files holding one spectrum.
``read_eels_image`` reads a spectrum image (or line scan) from those binary files as an
``(H, W, E)`` cube, lazily, so that a cube larger than memory is read block by block.
``to_channels`` puts any energy axis onto the ``N_CHANNELS`` channels of
``simulators.eels`` (channel ``i`` covers ``[i - 0.5, i + 0.5)`` eV) so that a measured
spectrum looks like ``EELSBatch.spectra``.
"""

import importlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulators.base import as_float_array
from simulators.eels import ELEMENTS, N_CHANNELS
from simulators.text_files import (
    CHANNEL_TITLE,
    ENERGY_TITLE,
    ENERGY_UNIT,
    ColumnText,
    column_text,
    ev_per,
    existing_file,
    numbers,
    read_text,
    refuse_channel_title,
    refuse_uncalibrated,
    split_fields,
    split_lines,
    titled_columns,
)
from simulators.xps_files import VAMAS_FORMAT

#: Suffixes read through rosettasciio, by its reader module.
BINARY_SUFFIXES = {".dm3": "digitalmicrograph", ".dm4": "digitalmicrograph",
                   ".hspy": "hspy", ".hdf5": "hspy"}  # fmt: skip
#: The program that writes each reader module's format, for the errors.
_WRITERS = {"digitalmicrograph": "Gatan DigitalMicrograph", "hspy": "HyperSpy"}

_MSA_KEY = re.compile(r"#\s*([A-Za-z0-9_]+)\s*(?:-\s*(\S*))?\s*(?::(.*)|$)")
#: Below this, all of a spectrum's energies suggest an axis in keV read as eV.
KEV_HINT_EV = 100.0
#: Energy losses above this, eV, are a unit mistake (an eV axis labelled keV): EELS
#: spectrometers measure edges up to about 20 keV, and an eV core-loss window labelled keV
#: reads from 50 keV (a B K edge at 188 eV) up.
MAX_LOSS_EV = 50_000.0
#: How ``to_channels`` says to give a file's keV axis (``KEV_HINT_EV``).
KEV_FIX = (
    "multiply the energies by 1000 (or mark the unit: '#XUNITS : keV', a title 'Energy (keV)')"
)
#: Column titles of a text file's counts column.
COUNTS_TITLES = frozenset({"counts", "count", "cts", "intensity", "i", "signal"})
#: A label naming an XPS energy axis, binding or kinetic energy: ``Binding Energy (eV)``,
#: ``kinetic_energy``, ``B.E.``, ``BE``, ``KE`` (a text file's title line, a put's
#: ``x_units``); not "be" as a word ("to be"), nor ``BE-2`` in a sample's name.
XPS_ENERGY = re.compile(
    r"(?i:(?:binding|kinetic)[\s_-]*energ\w*|\b[bk]\.e\.)|(?<![A-Za-z0-9.-])[BK]E(?![A-Za-z0-9.-])"
)
#: An XPS core level: an element symbol, then the shell and subshell, joined or spaced
#: (``Co2p``, ``O1s``, ``Fe2p3/2``, ``C 1s``, ``Co2p_Co_metal``); not a formula (``Mn2P``,
#: ``La2NiO4``: capital letters).
_XPS_LEVEL = re.compile(
    rf"(?<![A-Za-z0-9])(?:{'|'.join(('H', 'He', 'Li', *ELEMENTS, 'Th', 'U'))})[ _]?"
    r"(?:[1-7]s|[2-6]p|[3-5]d|[45]f)(?![A-Za-z])"
)
#: An EELS edge named in a title: ``C K``, ``Ti L2,3``, ``Mn_L3``, ``M4,5``, or the word
#: edge; a title naming one may give the transition in core-level notation (``C 1s``).
_EELS_EDGE = re.compile(
    r"(?i:\bedges?\b)|(?<![A-Za-z0-9])(?:[A-Z][a-z]?[ _-]?K|[LMN][1-7](?:,\s?[1-7])?)\b"
)


@dataclass(frozen=True)
class EELSSpectrum:
    """A measured spectrum.

    Attributes:
        energy: (m,) energy loss, eV, strictly increasing.
        counts: (m,) intensity per point; NaN or infinite where a channel is missing (a
            dead detector channel, an alignment's padding), as in a spectrum image.
        metadata: header fields, keys lower case (``title``, ``beamkv``, ``xperchan``, ...).
        source: where it was read from.
    """

    energy: np.ndarray
    counts: np.ndarray
    metadata: dict
    source: str


@dataclass(frozen=True)
class NavigationAxis:
    """Where the pixels of a navigation axis lie: pixel i at ``offset + i * scale`` ``units``;
    pixel indices (scale 1, offset 0, units "") where the file gives no calibration."""

    scale: float = 1.0
    offset: float = 0.0
    units: str = ""


@dataclass(frozen=True)
class EELSImage:
    """A measured spectrum image: a spectrum per pixel, on one energy axis.

    Attributes:
        energy: (E,) energy loss, eV, strictly increasing.
        cube: (H, W, E) counts, energy axis last; a dask array when read lazily from a
            binary file, else numpy. A line scan is (1, n, E), one spectrum (1, 1, E).
        metadata: the file's metadata.
        source: where it was read from.
        navigation: the calibration of the rows and the columns axis.
    """

    energy: np.ndarray
    cube: np.ndarray
    metadata: dict
    source: str
    navigation: tuple[NavigationAxis, NavigationAxis] = (NavigationAxis(), NavigationAxis())

    def spectrum(self) -> EELSSpectrum:
        """The one spectrum of a one-pixel image; a ValueError for more pixels or for a
        lazily read file whose data fail to read (``unreadable``)."""
        height, width, _ = self.cube.shape
        if height * width != 1:
            raise ValueError(
                f"{self.source!r} holds a spectrum image of {height} x {width} pixels, not a "
                "single spectrum; map its elements (adaptive identify, read_eels_image), or "
                "pick or sum one spectrum from it first"
            )
        try:  # a lazily read file's bytes are read here
            counts = np.asarray(self.cube[0, 0])
        except OSError as error:
            raise unreadable(self.source, error) from error
        return checked_spectrum(self.energy, counts, self.metadata, self.source)


def _point(i: int, lines: np.ndarray | None) -> str:
    """Point ``i`` (from 0), or the file line it was read from when ``lines`` (m,) are known."""
    return f"point {i}" if lines is None else f"line {lines[i]}"


def _ascending_steps(
    energy: np.ndarray,
    where: str = "",
    lines: np.ndarray | None = None,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Steps (m - 1,) of ``energy`` (m,); a ValueError (prefixed ``where``, naming the point
    by its file line when ``lines`` (m,) are known) unless all > 0, which says that energy
    and ``counts`` (..., m) look swapped when they do (``_swapped``)."""
    step = np.diff(energy)
    if (step <= 0).any():
        i = int(np.argmax(step <= 0))
        point = _point(i + 1, lines)
        if (step == 0).all():
            found = f"every point is {energy[0]} eV (a dispersion of 0)"
            fix = "set the axis's dispersion (its scale: eV per channel) to the spectrometer's"
        elif step[i] == 0:
            found, fix = f"{point} repeats {energy[i]} eV", "remove the duplicate points"
        else:
            found = f"{point} ({energy[i + 1]} eV) follows {energy[i]} eV"
            fix = "reverse both arrays" if (step < 0).all() else "sort the spectrum by energy"
        swapped = _swapped(energy, counts)
        advice = (
            f", {swapped}: energy and counts look swapped; give the energy loss first "
            "(the first column, or x) and the counts second"
            if swapped
            else f"; {fix}"
        )
        raise ValueError(
            f"{where}energy must increase strictly (positive dispersion), but {found}{advice}"
        )
    return step


#: Fewest points whose counts rising strictly beside energies that do not tell swapped
#: columns when the energies lie inside the channels (normalised intensities or counts
#: under 3,072 read as energies): three noisy counts rise so by chance one time in six.
SWAP_POINTS = 5


def _swapped(energy: np.ndarray, counts: np.ndarray | None) -> str:
    """Why ``energy`` (m,), which does not ascend, and ``counts`` (..., m) look swapped, else
    "" (also when ``counts`` is None): counts rising strictly, as energies do, over
    ``SWAP_POINTS`` or more points; or energies past the channels, as counts of thousands
    are, all of them, or some while the counts ascend or descend strictly."""
    if counts is None:
        return ""
    last = N_CHANNELS - 0.5
    step = np.diff(counts, axis=-1)
    way = "increase" if (step > 0).all() else "decrease" if (step < 0).all() else ""
    like = f"the counts {way} strictly (like energies)"
    if energy.max() <= last:
        return like if way == "increase" and energy.size >= SWAP_POINTS else ""
    if not way and energy.min() <= last:
        return ""
    found = f"the energies reach {energy.max()} eV (past {N_CHANNELS - 1} eV, like counts)"
    return f"{found} and {like}" if way else found


def checked_spectrum(
    energy, counts, metadata: dict, source: str, lines: np.ndarray | None = None
) -> EELSSpectrum:
    """The spectrum, checked, and reversed when its energies decrease (recorded
    high to low); ``lines`` (m,) are the file lines of the points, for the errors, which
    begin with ``source`` unless it is "" (arrays sent rather than read)."""
    where = f"{source}: " if source else ""
    energy = as_float_array(f"{where}energy", energy, "real numbers", "pass a float array")
    counts = as_float_array(f"{where}counts", counts, "real numbers", "pass a float array")
    if energy.ndim != 1 or counts.shape != energy.shape or energy.size < 2:
        raise ValueError(
            f"{where}need at least 2 (energy, counts) points as 1-D arrays of equal length, "
            f"got shapes {energy.shape} and {counts.shape}"
        )
    bad = np.flatnonzero(~np.isfinite(energy))
    if bad.size:
        raise ValueError(
            f"{where}energy is {energy[bad[0]]} at {_point(bad[0], lines)}; remove or fix "
            "that point"
        )
    if np.isfinite(counts).sum() < 2:  # NaN counts are missing channels, as in an image
        raise ValueError(
            f"{where}fewer than 2 counts are finite numbers (the rest NaN or infinite); "
            "pass a spectrum with counts"
        )
    if (np.diff(energy) <= 0).all():  # high to low; duplicates are refused below
        energy, counts = energy[::-1], counts[::-1]
        lines = None if lines is None else lines[::-1]
    _ascending_steps(energy, where, lines, counts)
    return EELSSpectrum(energy=energy, counts=counts, metadata=metadata, source=source)


def _value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def _leading_number(value: float | str | None) -> float | None:
    """A header value as a number, reading ``"0.5 eV"`` as 0.5; None if it is not one."""
    if isinstance(value, str) and value.split():
        value = _value(value.split()[0])
    return value if isinstance(value, float) else None


#: ``#SIGNALTYPE`` values of X-ray spectra (ISO 22029 ``EDS``, ``WDS``, ``XRF``; HyperSpy
#: ``EDS_TEM``, ``EDS_SEM``; ``EDX``, ``XEDS``), whose energies are photon energies, not losses;
#: a combined label naming ELS or EELS too (``EDS-EELS``, ``EDS/EELS``) is read.
_XRAY_SIGNAL = re.compile(r"(?!.*\bE?ELS\b)(?:x?eds|edxs?|wdxs?|wds|xrf)(?:[\s_/-].*)?", re.I)
#: ``#SIGNALTYPE`` values of photoelectron and Auger spectra (ISO 22029 ``XPS``, ``PES``,
#: ``AES``; ``UPS``), refused by the EELS readers: an XPS Cu 2p read as EELS named Pr.
_PHOTOEMISSION_SIGNAL = re.compile(r"xps|pes|ups|aes", re.I)
#: Header keywords of which an EMSA/MSA file has at least one: its format or its axis.
_MSA_HEADER_KEYS = {"format", "datatype", "xperchan", "offset", "npoints", "ncolumns", "xunits"}


def _refuse_xray(signal_type: str, named: str, eels: str) -> None:
    """A ValueError when ``signal_type`` marks an X-ray spectrum (``_XRAY_SIGNAL``);
    ``named`` says where the file gives it, ``eels`` how it names an EELS spectrum."""
    if _XRAY_SIGNAL.fullmatch(signal_type):
        raise ValueError(
            f"{named} {signal_type!r} marks an X-ray spectrum (EDS, WDS or XRF), not an "
            "electron energy-loss one, and the EELS identifier reads EELS spectra only; pass "
            f"an EELS spectrum ({eels})"
        )


def _is_msa(text: str) -> bool:
    """Whether ``text`` is EMSA/MSA: a ``#SPECTRUM`` line (also ``# SPECTRUM :``, any case)
    and at least one MSA header keyword, so that a text file whose comment reads
    ``# Spectrum : sample A`` stays a text file."""
    keys = set()
    for line in split_lines(text):
        match = _MSA_KEY.match(line.strip())
        if match:
            keys.add(match.group(1).lower())
    return "spectrum" in keys and bool(keys & _MSA_HEADER_KEYS)


def _parse_msa(text: str, source: str) -> EELSSpectrum:
    header: dict[str, float | str] = {}
    units: dict[str, str] = {}  # "#OFFSET -keV : 0.36" or "#OFFSET : 0.36 keV"
    data: list[list[float]] = []
    lines: list[int] = []  # the file line of each value in data
    in_data = False
    for number, line in enumerate(split_lines(text), start=1):
        match = _MSA_KEY.match(line.strip())
        if match:
            key = match.group(1).lower()
            if key == "spectrum":
                in_data = True
            elif key == "endofdata":
                break
            else:
                header[key] = _value((match.group(3) or "").strip())
                words = (match.group(3) or "").split()
                if match.group(2) or len(words) > 1:
                    units[key] = match.group(2) or words[1]
        elif in_data and line.strip():
            data.append(numbers(line, f"{source} line {number}", "fix that line"))
            lines += [number] * len(data[-1])
    if not in_data:
        raise ValueError(
            f"{source}: no '#SPECTRUM' line, so not an EMSA/MSA file; read it with read_eels_text"
        )
    signal = str(header.get("signaltype", "")).strip()
    _refuse_xray(signal, f"{source}: #SIGNALTYPE", "#SIGNALTYPE : ELS or EELS")
    if _PHOTOEMISSION_SIGNAL.fullmatch(signal):
        raise ValueError(
            f"{source}: #SIGNALTYPE {signal!r} marks a photoelectron or Auger spectrum, not an "
            "electron energy-loss one; fit its peaks with adaptive fit peaks"
        )
    values = np.array([v for row in data for v in row])
    lines = np.array(lines, dtype=int)
    datatype = str(header.get("datatype", "Y")).upper()
    x_scale = ev_per(header.get("xunits"), source=source)
    if datatype == "XY":
        if values.size % 2:
            raise ValueError(f"{source}: DATATYPE XY needs (x, y) pairs, got {values.size} numbers")
        energy, counts, lines = values[0::2] * x_scale, values[1::2], lines[0::2]
    elif datatype == "Y":
        offset, step = (_leading_number(header.get(key)) for key in ("offset", "xperchan"))
        if offset is None or step is None:
            raise ValueError(
                f"{source}: DATATYPE Y needs numeric #OFFSET and #XPERCHAN, got "
                f"{header.get('offset')!r} and {header.get('xperchan')!r}"
            )
        if step <= 0:
            raise ValueError(f"{source}: #XPERCHAN must be > 0, got {step}")
        offset *= ev_per(units.get("offset"), x_scale, source)
        step *= ev_per(units.get("xperchan"), x_scale, source)
        counts = values
        energy = offset + step * np.arange(values.size)
    else:
        raise ValueError(f"{source}: #DATATYPE must be Y or XY, got {datatype!r}")
    npoints = _leading_number(header.get("npoints"))
    if npoints is not None and not (np.isfinite(npoints) and npoints == round(npoints) >= 0):
        raise ValueError(
            f"{source}: #NPOINTS must be a whole number of points, got "
            f"{header.get('npoints')!r}; fix the header or remove that line"
        )
    if npoints is not None and int(npoints) != counts.size:
        raise ValueError(
            f"{source}: #NPOINTS says {int(npoints)} points but the data hold {counts.size}; "
            "fix the header or the data"
        )
    refuse_uncalibrated(
        energy,
        header.get("xunits"),
        f"{source}: ",
        "write its calibration in the header: #OFFSET (eV), #XPERCHAN (eV per channel) "
        "and '#XUNITS : eV' (for DATATYPE XY, the energies in eV as the x values)",
    )
    return checked_spectrum(energy, counts, header, source, lines)


def _text_columns(header: str, width: int, source: str) -> tuple[int, int, str | None]:
    """(energy column, counts column, energy unit or None) of data rows ``width`` numbers
    wide, by the titles of the ``header`` line ("" for none).

    The energy column is the first titled as in ``ENERGY_TITLE``, the counts column the
    first titled in ``COUNTS_TITLES``, else the one after the energy. Without titles that
    line up with the columns, they are the first two (the unit from the first title), but
    among more than two columns titles must pick them: a ValueError says which to write.
    A first column read as the energy for want of an energy title is refused when titled
    as channel numbers (``refuse_channel_title``), or when titles in words, one per
    column, name no energy (``_names_energy``: ``x y``, ``Sample A``; a line of another
    count of words, a sample's name, is passed over), or among more than two columns when
    none is an energy title.
    """
    titles = titled_columns(header, width)
    names = [name for name, _ in titles]
    lined_up = len(titles) == width
    if not lined_up and header and width > 2:
        raise ValueError(
            f"{source}: the header {header!r} gives {len(titles)} column titles but the "
            f"data rows have {width} columns; write one title per column (separate "
            "titles that hold spaces by tabs or commas)"
        )
    energy = next(
        (i for i, name in enumerate(names) if lined_up and ENERGY_TITLE.fullmatch(name)), None
    )
    if energy is None:
        if width == 2:
            refuse_channel_title(titles, 0, header, source, "title that column 'Energy (eV)'")
        words = re.search(r"[^\W\d_]", header)  # a rule (-----) names no column
        if titles and (width > 2 or (lined_up and words and not _names_energy(titles))):
            raise ValueError(
                f"{source}: the column titles {names} name no energy column; title it "
                "'Energy (eV)' (or 'Energy (keV)'), and the counts column 'Counts', in a "
                "title line above the data (e.g. 'energy_eV counts')"
            )
        if not lined_up:
            return 0, 1, titles[0][1] if titles else None
    energy = 0 if energy is None else energy
    counts = next(
        (i for i, name in enumerate(names) if name in COUNTS_TITLES and i != energy), energy + 1
    )
    if counts >= width:
        raise ValueError(
            f"{source}: the energy is the last column ({width}) and the titles {names} name "
            "no counts column; title the counts column 'Counts'"
        )
    name, unit = titles[energy]
    return energy, counts, unit or (name if ENERGY_UNIT.fullmatch(name) else None)


def _names_energy(titles: list[tuple[str, str | None]]) -> bool:
    """Whether column ``titles`` (name, unit) name an energy: the first carries a unit
    (``Binding Energy (eV)``; ``ev_per`` refuses ``Wavelength (nm)``), or one is an energy
    title (``ENERGY_TITLE``) or names an energy unit (``electron volts``)."""
    return titles[0][1] is not None or any(
        ENERGY_TITLE.fullmatch(name) or ENERGY_UNIT.search(name) for name, _ in titles
    )


def _titles_line(lines: list[str], width: int) -> str | None:
    """The last of ``lines`` (title lines, or ``#`` lines as ``numpy.savetxt(header=...)``
    writes, before the data) that titles the ``width`` data columns, else None.

    A line titles them when it gives exactly ``width`` titles (``titled_columns``) and
    names an energy (``ENERGY_TITLE``) and a counts column (``COUNTS_TITLES``), or, over
    two columns, begins with an energy title carrying its unit (``Energy (keV)``), or
    names channel numbers first and a counts column (``# Channel Counts``, which
    ``_text_columns`` refuses). Other lines are free text (``# EELS energy loss``), rules
    or units and are passed over.
    """
    for line in reversed(lines):
        titles = titled_columns(line, width)
        if len(titles) != width:
            continue
        energy = [bool(ENERGY_TITLE.fullmatch(name)) for name, _ in titles]
        counts = any(name in COUNTS_TITLES for name, _ in titles)
        channel = bool(CHANNEL_TITLE.fullmatch(titles[0][0]))
        if ((any(energy) or channel) and counts) or (width == 2 and energy[0] and titles[0][1]):
            return line
    return None


def _parse_text(text: str, source: str) -> EELSSpectrum:
    if text.startswith(VAMAS_FORMAT):
        raise ValueError(
            f"{source}: an XPS VAMAS file (ISO 14976), not an EELS spectrum; fit its peaks "
            f"with adaptive fit peaks {source} (read_vamas), or pass an EELS spectrum"
        )
    table = column_text(text, source, "energy and counts")
    width = table.rows.shape[1]
    metadata: dict[str, float | str] = {}
    titles: list[str] = []  # the lines before the data that are not `#` lines
    comments: list[str] = []  # the `#` lines before the data that are not `key: value`
    for number, line in table.notes:
        key, sep, value = line.lstrip("#").partition(":")
        if not line.startswith("#"):
            _refuse_xps_title(line, f"{source} line {number}", source)
            titles.append(line)
        elif sep and key.strip():
            metadata[key.strip().lower()] = _value(value.strip())
        elif number < table.lines[0]:
            comments.append(line)
    header = _titles_line(titles, width) or (titles[-1] if titles else None)
    header = header or _titles_line(comments, width)
    if header is not None:
        metadata.setdefault("header", header)  # a '# header: ...' line stays as written
    at, count, unit = _text_columns(str(metadata.get("header", "")), width, source)
    _refuse_short_row(table, text, (at, count), source)
    unit = unit or metadata.get("xunits")
    energy = table.rows[:, at] * ev_per(unit, source=source)
    spectrum = checked_spectrum(energy, table.rows[:, count], metadata, source, table.lines)
    refuse_uncalibrated(
        spectrum.energy,
        unit,
        f"{source}: ",
        "write the energies in eV in the energy column, titled 'Energy (eV)'",
    )
    return spectrum


def _refuse_xps_title(line: str, where: str, source: str) -> None:
    """A ValueError when the title ``line`` (read at ``where``) of text file ``source``
    names an XPS core level (``_XPS_LEVEL``: ``Co2p Co metal``) and no EELS edge
    (``_EELS_EDGE``: ``Graphite C K edge (C 1s to pi*)`` is read), or a binding or kinetic
    energy (``XPS_ENERGY``), whatever its count of words: an XPS export, whose binding
    energies would be read as energy losses."""
    level = None if _EELS_EDGE.search(line) else _XPS_LEVEL.search(line)
    found = level or XPS_ENERGY.search(line)
    if found:
        what = "an XPS core level" if level else "an XPS axis (binding or kinetic energy)"
        raise ValueError(
            f"{where}: the title {line!r} names {found.group()!r}, {what}: this looks like "
            f"an XPS export, not an EELS spectrum; fit its peaks with adaptive fit peaks "
            f"{source}, or pass an EELS spectrum (energy loss, eV)"
        )


def _refuse_short_row(table: ColumnText, text: str, columns: tuple[int, int], source: str) -> None:
    """A ValueError naming the first data row of ``table`` (read from ``text``) missing a
    value of ``columns`` (energy, counts) when the row is short: fewer values than the
    first row, which ``column_text`` pads with NaN; a NaN written in the file is left to
    ``checked_spectrum``."""
    missing = np.flatnonzero(np.isnan(table.rows[:, list(columns)]).any(axis=1))
    if missing.size:
        line = int(table.lines[missing[0]])
        given, width = len(split_fields(split_lines(text)[line - 1])), table.rows.shape[1]
        if given < width:
            raise ValueError(
                f"{source}: line {line} has {given} value{'s' if given != 1 else ''}, expected "
                f"{width} (as the first data row); complete or remove that line"
            )


def read_msa(path: str | Path) -> EELSSpectrum:
    """Read an EMSA/MSA spectrum file (ISO 22029).

    Header lines ``#KEYWORD -unit : value`` become ``metadata`` (keys lower case, numbers
    as float); the data between ``#SPECTRUM`` and ``#ENDOFDATA`` are ``Y`` values on
    ``#OFFSET + #XPERCHAN * i`` or ``XY`` pairs, per ``#DATATYPE``, read in order however
    many there are per line (``#NCOLUMNS``). ``#OFFSET``, ``#XPERCHAN`` and ``#NPOINTS``
    may carry a unit after the number (``0.5 eV``). Energies in keV or meV (``ev_per``) are
    converted to eV:
    ``#XUNITS: keV``, or keV on ``#OFFSET`` or ``#XPERCHAN`` (``#XPERCHAN -keV: 0.0002``
    or ``0.0002 keV``), which wins over ``#XUNITS`` for that value. A ``#SIGNALTYPE``
    of an X-ray spectrum (``EDS_TEM``, ``WDS``, ``XRF``; ``_XRAY_SIGNAL``) is refused;
    ``ELS``, ``EELS``, other or no signal types are read. An uncalibrated energy axis,
    channel numbers (``#OFFSET : 0`` or ``1``, ``#XPERCHAN : 1`` or XY pairs x 0, 1, ...,
    without ``#XUNITS``), is refused (``refuse_uncalibrated``), as for binary and text files.

    Args:
        path: the file.

    Returns:
        The spectrum.
    """
    return _parse_msa(read_text(path, "an EELS text file"), str(path))


def read_eels_text(path: str | Path) -> EELSSpectrum:
    """Read energy (eV) and counts from the columns of a text file.

    Lines are read as ``text_files.column_text`` reads them: columns separated by commas,
    semicolons, tabs or spaces, every data row as wide as the first; a data line with
    decimal commas (``500,5;1200,3``, ``500,5 1200``) is refused. ``# key: value``
    lines become ``metadata``. Of the title lines before the data, the last that gives
    one title per column, naming the energy and counts (``Energy (keV)  Counts``;
    ``_titles_line``), is kept as ``metadata["header"]``, else the last (a sample name
    above the titles is passed over); without title lines, so is the last such ``#`` line
    before the data (``# Energy (keV)  Counts``, as ``numpy.savetxt(header=...)``
    writes), while other ``#`` lines are free text. Its titles pick the columns
    (``_text_columns``): energy is the one titled ``Energy``, ``E``, ``Energy loss``,
    ``eV`` ... (``ENERGY_TITLE``), counts the one titled ``Counts``, ``Intensity`` ...
    (``COUNTS_TITLES``), else the one after the energy; other columns (an index,
    ``Channel``) are ignored. Untitled, they are the first two; more than two columns
    need titles naming the energy, and a title line in words naming none (``x y``) is
    refused. A title line naming an XPS core level or a binding or kinetic energy
    (``Co2p Co metal``, ``Binding Energy (eV)  Counts``: an XPS export, whatever its count
    of words; ``_refuse_xps_title``) is refused, while ``#`` lines stay free text.
    Energies in keV or meV, by the energy column's title (``Energy (keV)``, ``E_keV``) or
    a ``# xunits: keV`` line (``text_files.ev_per``), are converted to eV; energies
    recorded high to low are reversed, with their counts. Energies 0, 1, ... or 1, 2, ...
    without a unit are channel numbers and refused (``refuse_uncalibrated``), as is a
    data row too short to hold the energy and counts (named by its line).

    Args:
        path: the file.

    Returns:
        The spectrum.
    """
    return _parse_text(read_text(path, "an EELS text file"), str(path))


def _read_signals(path: Path, lazy: bool) -> list[dict]:
    """What rosettasciio's ``file_reader`` for ``path``'s suffix returns, its data a dask
    array when ``lazy``; a ValueError naming the io extra, or the file and its error."""
    module = BINARY_SUFFIXES[path.suffix.lower()]
    try:
        reader = importlib.import_module(f"rsciio.{module}").file_reader
    except ImportError:  # rsciio.hspy needs h5py too
        needs = "rosettasciio and h5py" if module == "hspy" else "rosettasciio"
        raise ValueError(
            f"reading {path.suffix} files needs {needs}; "
            "install the io extra (in a checkout: .venv/bin/pip install -c constraints.txt -e "
            '".[io]")'
        ) from None
    try:
        return reader(str(path), lazy=lazy)
    except Exception as error:  # a third-party parser of the file's bytes: any error
        raise unreadable(path, error) from error


def unreadable(path: str | Path, error: Exception) -> ValueError:
    """The error for a binary file (``BINARY_SUFFIXES``) whose bytes failed to read with
    ``error``, when opened or later, when a lazily read cube is computed."""
    path = Path(path)
    writer = _WRITERS[BINARY_SUFFIXES[path.suffix.lower()]]
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return ValueError(
        f"{str(path)!r} cannot be read as a {writer} {path.suffix} file "
        f"({name}: {str(error).strip()}); check that it is complete (fully copied "
        f"or saved) and of that format, or re-export it from {writer}"
    )


def signal_image(signals: list[dict], source: str) -> EELSImage:
    """The spectrum image in what a rosettasciio ``file_reader`` returned for a file.

    The energy axis (``_energy_axis``: where HyperSpy puts the signal axis, or the one in
    energy units) is moved last; the image gets two navigation axes: a spectrum (E,)
    becomes (1, 1, E), a line scan (n, E) becomes (1, n, E); of more than two, those of one
    pixel are dropped (a column scan (n, 1, E) stays one). An energy axis recorded high to
    low is reversed, with the counts.

    Args:
        signals: its list of signal dicts (``data``, ``axes``, ``metadata``, ...); the
            first is read. ``data`` may be a dask array (read lazily); it stays one.
        source: the file, for the errors.

    Raises:
        ValueError: more than two navigation axes of more than one pixel, no energy axis
            (``_energy_axis``: an image has two signal axes, neither in eV), an unknown or
            non-monotonic energy axis, an uncalibrated one (channel numbers 0, 1, ...
            without units: HyperSpy's default scale 1, offset 0), or metadata whose
            ``Signal.signal_type`` marks an X-ray spectrum (``EDS_TEM``, ``EDS_SEM``;
            ``_XRAY_SIGNAL``).
    """
    signal = signals[0]
    metadata = dict(signal.get("metadata", {}))
    about = metadata.get("Signal")
    kind = str(about.get("signal_type", "") if isinstance(about, dict) else "").strip()
    _refuse_xray(kind, f"{source!r}: its metadata's signal_type", "signal_type EELS")
    axes = list(signal["axes"])
    energy_index = _energy_axis(signal, source)
    axes.append(axes.pop(energy_index))  # axes align with the data's last axes
    data = np.moveaxis(signal["data"], energy_index - len(axes), -1)  # stays lazy (dask)
    size = data.shape[-1]
    kept = [i for i, n in enumerate(data.shape[:-1]) if n != 1 or data.ndim <= 3]
    if len(kept) > 2:
        raise ValueError(
            f"{source!r} holds data of shape {data.shape}, a stack of spectrum images; "
            "save one spectrum image (rows, columns, energy) of it and read that"
        )
    calibrated = len(axes) == data.ndim
    navigation = [_navigation_axis(axes[i]) if calibrated else NavigationAxis() for i in kept]
    navigation = [NavigationAxis()] * (2 - len(kept)) + navigation
    axis = axes[-1]
    if "axis" in axis:  # a non-uniform axis (HyperSpy DataAxis): its points, in its units
        energy = np.asarray(axis["axis"], dtype=float)
    elif "scale" in axis and "offset" in axis:
        energy = axis["offset"] + axis["scale"] * np.arange(size)
    else:
        raise ValueError(
            f"{source!r}: its energy axis has no 'axis' array and no 'scale' and 'offset' "
            f"(keys {sorted(axis)}), so its energies are unknown; save the spectrum with its "
            "energy axis (e.g. from HyperSpy) and read it again"
        )
    units = axis.get("units")
    refuse_uncalibrated(
        energy,
        units,
        f"{source!r}: ",
        "give it its scale (eV per channel), offset and units 'eV' (in HyperSpy: "
        "s.axes_manager.signal_axes[0]), then save it again",
    )
    energy = energy * ev_per(units, source=source)
    bad = int(np.sum(~np.isfinite(energy)))
    if energy.shape != (size,) or bad:
        raise ValueError(
            f"{source!r}: its energy axis must give a finite energy to each of the {size} "
            f"channels, but has {energy.size} points, {bad} of them NaN or infinite; save "
            "the spectra with their energy axis (e.g. from HyperSpy) and read them again"
        )
    cube = data.reshape((1,) * (2 - len(kept)) + tuple(data.shape[i] for i in kept) + (size,))
    if (np.diff(energy) <= 0).all():  # high to low; duplicates are refused below
        energy, cube = energy[::-1], cube[..., ::-1]
    _ascending_steps(energy, f"{source!r}: ")
    return EELSImage(energy, cube, metadata, source, tuple(navigation))


def _energy_axis(signal: dict, source: str) -> int:
    """The index in ``signal["axes"]`` (a rosettasciio signal dict) of its energy axis: the
    first array axis where the reader's ``post_process`` calls HyperSpy's ``to_signal1D``
    (which makes that axis the signal axis: the DM reader's spectrum images, (E, Y, X), with
    E marked to navigate); else the one axis in energy units (``ENERGY_UNIT``: a DM line
    scan, energy first or last); else the one signal axis (``navigate`` False); else, where
    no axis says, the last.

    Raises:
        ValueError: none of these (an image: two signal axes, neither in eV).
    """
    axes = signal["axes"]
    if "to_signal1D" in _post_process_calls(signal):
        return 0
    in_energy = [i for i, a in enumerate(axes) if ENERGY_UNIT.search(str(a.get("units") or ""))]
    if len(in_energy) == 1:
        return in_energy[0]
    signal_axes = [i for i, a in enumerate(axes) if not a.get("navigate", True)]
    if len(signal_axes) == 1 or not any("navigate" in a for a in axes):
        return signal_axes[0] if signal_axes else len(axes) - 1
    names = [str(axes[i].get("name", "?")) for i in signal_axes]
    what = "an image" if names else "no spectra"
    raise ValueError(
        f"{source!r} has {len(names)} signal axes ({', '.join(names)}), so it holds {what}, "
        "not EELS spectra, whose one signal axis is the energy loss; pass an EELS spectrum "
        "image, line scan or spectrum"
    )


class _MethodLog:
    """A stand-in for the HyperSpy signal that a rosettasciio ``post_process`` step is given:
    it logs the names of the methods the step calls (``to_signal1D``, ``squeeze``)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def __getattr__(self, name: str):
        self.names.append(name)
        return lambda *args, **kwargs: self


def _post_process_calls(signal: dict) -> list[str]:
    """The HyperSpy methods that ``signal``'s ``post_process`` steps call, in order."""
    log = _MethodLog()
    for step in signal.get("post_process", ()):
        try:
            step(log)
        except Exception:  # a step that does more than call the signal's methods
            continue
    return log.names


def _navigation_axis(axis: dict) -> NavigationAxis:
    """The calibration in a rosettasciio axis dict; pixel indices where it has none."""
    scale, offset = float(axis.get("scale", 1.0)), float(axis.get("offset", 0.0))
    if not (np.isfinite([scale, offset]).all() and scale != 0):
        return NavigationAxis()
    units = str(axis.get("units") or "")
    return NavigationAxis(scale, offset, "" if units == "<undefined>" else units)


def _read_binary(path: Path, lazy: bool) -> EELSImage:
    """The spectrum image of a ``BINARY_SUFFIXES`` file (``_read_signals``, ``signal_image``)."""
    signals = _read_signals(existing_file(path, f"a {path.suffix} file"), lazy)
    return signal_image(signals, str(path))


def read_eels_image(path: str | Path) -> EELSImage:
    """Read an EELS spectrum image, line scan or spectrum as an (H, W, E) cube.

    ``.dm3``, ``.dm4``, ``.hspy`` and ``.hdf5`` files are read lazily through rosettasciio
    (optional extra ``io``; ``signal_image`` reads its output and refuses X-ray spectra),
    so the cube is a dask array, read block by block when computed. Text files hold one
    spectrum (``read_eels``), a (1, 1, E) cube.

    Args:
        path: the file.

    Returns:
        The spectrum image.
    """
    path = Path(path)
    if path.suffix.lower() in BINARY_SUFFIXES:
        return _read_binary(path, lazy=True)
    spectrum = read_eels(path)
    return EELSImage(
        spectrum.energy, spectrum.counts[None, None], spectrum.metadata, spectrum.source
    )


def read_eels(path: str | Path) -> EELSSpectrum:
    """Read an EELS spectrum, choosing the reader from the suffix and the content.

    ``.dm3``, ``.dm4``, ``.hspy`` and ``.hdf5`` go through rosettasciio (optional extra
    ``io``; ``signal_image`` reads its output, one pixel, and refuses X-ray spectra); text with a
    ``#SPECTRUM`` line (as ``read_msa`` reads it, also ``# SPECTRUM :``) and an MSA header
    keyword (``#FORMAT``, ``#DATATYPE``, ``#XPERCHAN``, ``#OFFSET``, ``#NPOINTS``,
    ``#NCOLUMNS`` or ``#XUNITS``) to ``read_msa``; other text to ``read_eels_text``
    (EELSDB ``.msa`` downloads are often plain two columns). A spectrum whose energies
    strictly decrease is reversed; errors name a text file's lines.

    Args:
        path: the file.

    Returns:
        The spectrum.
    """
    path = Path(path)
    if path.suffix.lower() in BINARY_SUFFIXES:
        return _read_binary(path, lazy=False).spectrum()
    text = read_text(path, "an EELS text file")
    if _is_msa(text):
        return _parse_msa(text, str(path))
    return _parse_text(text, str(path))


def to_channels(
    energy: np.ndarray,
    counts: np.ndarray,
    normalise: bool = True,
    source: str | None = None,
    kev_fix: str = KEV_FIX,
) -> tuple[np.ndarray, np.ndarray]:
    """Put a spectrum onto the 1 eV channels 0..N_CHANNELS - 1, zero outside the measured range.

    Each point stands for counts spread evenly between the midpoints to its neighbours.
    With a dispersion (median step) up to 1 eV the counts are rebinned: each channel
    sums the counts falling in it, which conserves them. With coarser dispersion the
    counts per eV are interpolated linearly at the channel centres. The window is the
    channels at least half covered by the data (rebinning) or whose centres lie within
    it (interpolation); energies outside ``[-0.5, N_CHANNELS - 0.5)`` eV are dropped.

    Args:
        energy: (m,) strictly increasing energies, eV, m >= 2.
        counts: (..., m) counts on that axis; leading axes are a batch.
        normalise: divide each spectrum by its maximum, like ``EELSBatch.spectra``;
            False returns counts per 1 eV channel (partly covered edge channels scaled
            up to a full channel).
        source: where the spectrum came from (a file), to name it in the errors.
        kev_fix: how to give an axis in keV, for the error on energies all below
            ``KEV_HINT_EV`` eV that cover fewer than 2 channels (a file's unit by default).

    Returns:
        (spectrum, window): (..., N_CHANNELS) float32 and (2,) int, the first and last
        channel of the window.
    """
    energy = as_float_array("energy", energy, "real numbers", "pass a float array")
    counts = as_float_array("counts", counts, "real numbers", "pass a float array")
    if energy.ndim != 1 or energy.size < 2:
        raise ValueError(f"energy must be a 1-D axis of >= 2 points, got shape {energy.shape}")
    if counts.ndim < 1 or counts.shape[-1] != energy.size:
        raise ValueError(
            f"counts must have shape (..., {energy.size}) to match energy, got {counts.shape}"
        )
    for name, values in (("energy", energy), ("counts", counts)):
        bad = np.argwhere(~np.isfinite(values))
        if bad.size:
            index = tuple(int(i) for i in bad[0])
            raise ValueError(
                f"{name}[{', '.join(map(str, index))}] = {values[index]} is not finite; drop "
                "or fix that point, energy and counts (identify_spectrum and identify_cube "
                "take NaN or infinite counts as missing channels)"
            )
    step = _ascending_steps(energy, counts=counts)
    bounds = np.concatenate(
        [[energy[0] - step[0] / 2], (energy[1:] + energy[:-1]) / 2, [energy[-1] + step[-1] / 2]]
    )
    where = f"{source}: " if source else ""
    if bounds[-1] <= -0.5 or bounds[0] >= N_CHANNELS - 0.5:
        fix = "pass a core-loss spectrum in that range"
        if energy[0] > MAX_LOSS_EV and energy[-1] / 1000 < N_CHANNELS - 0.5:
            fix = (
                f"no EELS spectrum reaches {MAX_LOSS_EV / 1000:g} keV of energy loss, and these "
                "divided by 1000 would fit: is the axis in meV, or in eV but labelled keV (an "
                "EMSA file's #XUNITS, a column title)? give the energies in eV: divide meV by "
                "1000, label an eV axis eV"
            )
        raise ValueError(
            f"{where}energies {energy[0]}..{energy[-1]} eV lie outside the channels "
            f"0..{N_CHANNELS - 1} eV; {fix}"
        )
    channels = np.arange(N_CHANNELS)
    if np.median(step) <= 1.0:
        cumulative = np.concatenate([np.zeros(counts.shape[:-1] + (1,)), counts.cumsum(-1)], -1)
        edges = np.arange(N_CHANNELS + 1) - 0.5
        position = np.interp(edges, bounds, np.arange(energy.size + 1))
        values = np.diff(_linear(cumulative, position), axis=-1)
        coverage = np.diff(np.clip(edges, bounds[0], bounds[-1]))
        inside = coverage >= 0.5
        values = values / np.maximum(coverage, 0.5)
    else:
        inside = (channels >= energy[0]) & (channels <= energy[-1])
        position = np.interp(channels, energy, np.arange(energy.size))
        values = _linear(counts / np.diff(bounds), position)
    if inside.sum() < 2:
        kev = (
            f"; all are below {KEV_HINT_EV:g} eV: if the axis is in keV, {kev_fix}"
            if energy[-1] < KEV_HINT_EV
            else ""
        )
        raise ValueError(
            f"{where}energies {energy[0]}..{energy[-1]} eV cover {inside.sum()} channel(s) of "
            f"0..{N_CHANNELS - 1} eV; need at least 2{kev}"
        )
    first, last = np.flatnonzero(inside)[[0, -1]]
    spectrum = np.where(inside, values, 0.0)
    if normalise:
        peak = spectrum[..., first : last + 1].max(axis=-1, keepdims=True)
        if (peak <= 0).any():
            raise ValueError(
                f"{where}a spectrum has no positive counts in its window {first}..{last} eV; "
                "cannot normalise; pass a spectrum with positive counts, not a blank or "
                "background-only one"
            )
        spectrum = spectrum / peak
    return spectrum.astype(np.float32), np.array([first, last])


def _linear(values: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Linear interpolation of values (..., k) at fractional indices position (p,)."""
    i = np.clip(np.floor(position).astype(int), 0, values.shape[-1] - 2)
    f = position - i
    return values[..., i] * (1 - f) + values[..., i + 1] * f
