"""Reading a data file's text: clear errors for a missing or binary file, decimal commas,
column separators, column titles and the energy unit named in a header.

``column_text`` reads the lines of a column file for every reader (XAS columns and XDI,
EELS and XPS text), which then choose its columns. Lines break at LF, CRLF and CR;
fields split at commas, semicolons and whitespace, mixed as they come; a line of
separators only (``,,``, a spreadsheet's empty row) is blank. A line starting with ``#``
is a comment, before, among or after the data (``%`` is not: ``% E mu`` is a title
line). The data start at the first other line whose first two fields are numbers; lines
before it are titles (a region name, column titles, ``1486.6 eV Al Ka``), but one written
as numbers that do not read (``"500","10"``, ``1.0D+01``, a ``-`` reading) is a bad data
row. A data row is
numbers only, at least two, no more than the first row's (a narrower row ends in NaN: a
spreadsheet leaves empty cells out): a decimal comma, a word or an extra column is refused,
naming the line, as is a first row two or more numbers wider than every later one (two
lines run together).

``refuse_uncalibrated`` and ``refuse_channel_title`` refuse an energy axis of detector
channel numbers (EELS and XPS text, EMSA and binary EELS files).

``table_rows`` reads a table with a header row, cells by column (a CSV), by the same
separators and comments; ``read_named_columns`` reads the numbers of the columns a header
names from one (a target spectrum, a pool of measured recipes).
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Collection
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path

import numpy as np

#: A number written with a decimal comma next to another number across a whitespace or
#: semicolon separator: "284,5\t1200,3", "500,5;1200,3", "500,5 1200", "500\t12,5";
#: readers that split columns at commas refuse such lines rather than misread them. A
#: comma between digits with no other separator beside it ("500,1200", "500.5,1200",
#: "500.5, 1200", "1,2,3") is a column separator and does not match. The separator is
#: whitespace, or one ';' with whitespace around it, written as two alternatives: one
#: pattern for both backtracked quadratically over a long run of spaces (minutes a file).
DECIMAL_COMMAS = re.compile(r"\d,\d+(?:\s*;\s*|\s+)[-+.]?\d|\d(?:\s*;\s*|\s+)[-+]?\d+,\d")
#: One number written with a decimal comma (a cell of a semicolon CSV: ``0,1``).
DECIMAL_COMMA = re.compile(r"[-+]?\d*,\d+")
#: Column separators of text data and headers: commas, semicolons, whitespace.
SEPARATORS = re.compile(r"[,;\s]+")
#: eV per energy unit, by the unit's prefix: none, k or K (kilo), m (milli); ``MeV`` is
#: mega-electronvolts, not milli, so ``M`` is none of them.
EV_PER_PREFIX = {"": 1.0, "k": 1000.0, "K": 1000.0, "m": 0.001}
#: An energy unit as a whole word anywhere in a label, or joined to a column title by an
#: underscore, its prefix the group: ``eV``, ``KEV``, ``meV``, ``electron volts``, ``Energy
#: Loss (eV)``, ``[keV]``, ``eV/ch``, ``keV per channel``, ``Binding Energy / eV``, ``eV
#: (BE)``, ``energy_eV``, ``E_keV`` (as pandas and beamline software title columns); not
#: ``MeV``.
ENERGY_UNIT = re.compile(r"(?<![^\W_])(?:([kKm]?)[eE][vV]|(?i:electron[\s-]?volts?))\b")
#: The energy units ``ev_per`` reads, for messages.
ENERGY_UNITS = (
    "eV, keV or meV (any case, but 'MeV' is not meV; also 'electron volts'; alone or in a "
    "label such as 'Energy (eV)', 'energy loss [keV]' or 'energy_eV')"
)
#: A slash or "per" just before an energy unit (``1/eV``, ``counts / (keV)``, ``states per
#: eV``), the slash its group.
_PER_BEFORE = re.compile(r"(?:(/)|(?<![^\W_])per[\s_]*)\s*[(\[]?\s*$", re.IGNORECASE)
#: The word before a slash that makes the energy unit after it a denominator: nothing or
#: a number (``1/eV``, ``DOS (1/eV)``, ``/keV``), the word after the last space or bracket.
_NUMBER_OR_NOTHING = re.compile(r"(?:.*[\s(\[])?(?:[-+]?\d+(?:\.\d*)?)?")
#: A negative power just after an energy unit: ``eV^-1``, ``eV-1``, ``(eV)**-2``, ``eV⁻¹``;
#: not a signed number after a space (``eV (-5 to 50)``, ``Energy (eV) -20..30``).
_NEGATIVE_POWER = re.compile(r"[)\]]?(?:\s*(?:\^|\*\*)\s*[({]?\s*[-−]\s*\d|[-−]\d|⁻)")
#: Energy units that say nothing (EMSA writers leave them empty or ``<undefined>``).
UNSET_UNITS = {"", "none", "<undefined>", "undefined", "-"}
#: Column titles (``header_columns`` names) of an energy axis: ``Energy (eV)``, ``E_keV``,
#: ``Energy loss``, ``energy-loss``, ``eLoss``, ``eV``, ``keV`` ...
ENERGY_TITLE = re.compile(r"(?:e|energy)(?:[\s_-]*loss)?|loss|k?ev")
#: Labels that name a binding energy without a unit: ``BE``, ``B.E.``, ``binding energy``.
_BINDING_ENERGY = re.compile(r"b\.?\s*e\.?|binding[\s_-]*energy", re.I)
#: A field written as a number that does not read as one (``"8779.0"``, ``-1.3D+00``,
#: ``20:00:01``), or a missing reading (``-``, ``NA``, ``null``): a line of such fields
#: before the data is a bad data row, not a title.
_NUMBER_LIKE = re.compile(r"""["']?[-+]?\.?\d""")
_MISSING = re.compile(r"-|n/?a|null|none", re.IGNORECASE)
#: Line breaks: LF, CRLF, CR only (``str.splitlines`` also breaks at U+0085, which a
#: Windows-1252 ellipsis, byte 0x85, becomes when read as Latin-1).
LINE_BREAK = re.compile(r"\r\n|\r|\n")
#: A column title with its unit: "energy (eV)", "E [keV]", "E/eV", "energy_eV", "E_keV".
_TITLE_UNIT = re.compile(r"(.+?)\s*(?:[(\[](.*)[)\]]|/(.+)|_([km]?ev))", re.IGNORECASE)
#: Titles of a column of detector channel numbers (an uncalibrated energy axis):
#: ``Channel``, ``Pixel``, ``Index``, ``Ch``, ``Channel #``, ``channel number``, ``px``.
CHANNEL_TITLE = re.compile(r"(?:channel|chan|ch|pixel|px|index|idx)(?:[\s_-]*(?:#|no\.?|number))?")
#: What ``refuse_channel_axis`` says to do first by default (the EELS identifier's words).
CALIBRATE_ENERGY = "calibrate the energy axis (eV) before identifying"
#: A label before the titles of a header line: SPEC's "L" (of "#L"), "%", "Columns:".
#: Two-word titles that space-separated titles keep whole: ``Binding Energy (eV)`` over
#: two columns is the first column's title, not two titles.
_TWO_WORD_TITLE = re.compile(r"\b(?:binding|kinetic|photon)\s+energy\b|\benergy\s+loss\b", re.I)
_LABEL = re.compile(r"(?:L\s|%|[^\s,;:]+:)\s*")
#: The start of SPEC's column titles line: ``#L``.
_SPEC_TITLES = re.compile(r"#L\s")


def split_lines(text: str) -> list[str]:
    """The lines of ``text`` split at LF, CRLF and CR only (see ``LINE_BREAK``)."""
    lines = LINE_BREAK.split(text)
    return lines[:-1] if lines[-1] == "" else lines


def split_fields(line: str) -> list[str]:
    """The fields of a line split at commas, semicolons and whitespace (none if blank)."""
    return [field for field in SEPARATORS.split(line.strip()) if field]


def table_rows(text: str) -> list[tuple[int, list[str]]]:
    """The rows of a table's ``text`` (a CSV), each (file line from 1, its cells as
    written), the header row first.

    Cells split at the one separator, of comma, semicolon and tab, that the first row uses
    most (a comma on a tie, or none), so a cell may hold another one (``size (nm, TEM)`` in
    a semicolon table) and an empty cell keeps its column; a quoted cell may hold the
    separator or a line break (a cell spanning lines gives the line it ends on). Blank lines,
    lines of empty cells only and comment lines (``#`` first, as in ``column_text``) are
    skipped. No rows for a text of none.
    """
    lines = [("" if line.lstrip().startswith("#") else line) + "\n" for line in split_lines(text)]
    first = next((line for line in lines if split_fields(line)), "")
    reader = csv.reader(lines, delimiter=max(",;\t", key=first.count))
    return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]


def read_named_columns(path: str | Path, names: list[str], kind: str, fix: str) -> np.ndarray:
    """The numbers (n, k) of the k columns that the header row of the CSV ``path`` names
    ``names``, in that order, one row per data row (``read_text``, ``table_rows``).

    Args:
        path: the CSV file.
        names: the k column titles to read.
        kind: what the file should be, for ``read_text``'s messages.
        fix: what to do when the header lacks one of ``names``, ending that message.

    Raises:
        FileNotFoundError, IsADirectoryError: as ``read_text``.
        ValueError: not text, empty, no header naming every one of ``names``, one of them
            repeated in the header, no data rows, a row with cells beyond the header, or a
            cell of ``names`` that is not a finite number (naming its file line).
    """
    table = table_rows(read_text(path, kind))
    if not table:
        raise ValueError(f"{path} is empty; expected a header row and data rows")
    header = [name.strip() for name in table[0][1]]
    unknown = [name for name in names if name not in header]
    if unknown:
        shown = ", ".join(map(repr, header[:6])) + (
            f" and {len(header) - 6} more" if len(header) > 6 else ""
        )
        lowered = {title.lower(): title for title in header}
        near = [lowered[m] for n in unknown for m in get_close_matches(n.lower(), lowered, 3)]
        nearest = f" (nearest: {', '.join(map(repr, near))})" if near else ""
        raise ValueError(
            f"unknown column(s) {unknown} in {path}; available columns: {shown}{nearest}; {fix}"
        )
    repeated = [name for name in names if header.count(name) > 1]
    if repeated:
        raise ValueError(
            f"column(s) {repeated} appear more than once in the header of {path}; "
            "rename the copies so each name is unique"
        )
    if len(table) == 1:
        raise ValueError(f"{path} has a header but no data rows")
    columns = [header.index(name) for name in names]
    values = np.empty((len(table) - 1, len(names)))
    for r, (line, row) in enumerate(table[1:]):
        if any(cell.strip() for cell in row[len(header) :]):
            raise ValueError(
                f"line {line} of {path} has values beyond the header's {len(header)} "
                "columns; remove the extra cells or name their columns"
            )
        for c, (name, column) in enumerate(zip(names, columns, strict=True)):
            cell = row[column].strip() if column < len(row) else ""
            where = f"{cell!r} in column {name!r}, line {line} of {path}"
            if DECIMAL_COMMA.fullmatch(cell):
                raise ValueError(f"decimal comma in {where}; write decimal points")
            if not reads_as_float(cell):
                raise ValueError(f"non-numeric value {where}; write a number there")
            values[r, c] = float(cell)
            if not np.isfinite(values[r, c]):
                raise ValueError(f"non-finite value {where}; write a finite number or drop the row")
    return values


def header_columns(line: str) -> list[tuple[str, str | None]]:
    """(name, unit) of each column title in a header line, names lower case.

    Titles are separated by commas or semicolons, else by (runs of) tabs (``Energy Loss (eV)``
    is one title), else by spaces, where a unit in brackets or after a slash may stand
    apart (``E (keV)``, ``E / keV``), and so may a bare unit (``Energy eV``, ``ENERGY_UNIT``),
    and a binding, kinetic or photon energy or an energy loss is one title
    (``_TWO_WORD_TITLE``).
    ``mu(E)`` gives ``("mu", "E")``, a plain ``energy`` no unit. An empty title (the index
    column of ``,energy_eV,mu``) gives ``("", None)``; ``aligned_columns`` lines the
    titles up with the data. Quotes around a title are dropped (``"E (keV)","mu"``).
    """
    for separator in (r"[,;]", r"\t+"):
        if re.search(separator, line):
            titles = [title.strip() for title in re.split(separator, line)]
            break
    else:
        fields: list[list[str]] = []  # the fields of each title
        depth = 0  # of the brackets open in the last title
        joined = _TWO_WORD_TITLE.sub(lambda m: "\0".join(m[0].split()), line)
        for field in joined.split():
            if fields and (field[0] in "([/" or depth > 0 or fields[-1][-1].endswith("/")):
                fields[-1].append(field)
            elif fields and ENERGY_UNIT.fullmatch(field):
                fields[-1].append(f"({field})")
            else:
                fields.append([field])
                depth = 0
            depth += sum(map(field.count, "([")) - sum(map(field.count, ")]"))
        titles = ["".join(title).replace("\0", " ") for title in fields]
    columns = []
    for title in titles:
        if len(title) > 1 and title[0] == title[-1] and title[0] in "\"'":
            title = title[1:-1].strip()
        match = _TITLE_UNIT.fullmatch(title)
        units = [u.strip() for u in match.groups()[1:] if u and u.strip()] if match else []
        columns.append(((match.group(1) if match else title).lower(), units[0] if units else None))
    return columns


def aligned_columns(
    columns: list[tuple[str, str | None]], width: int
) -> list[tuple[str, str | None]]:
    """The ``header_columns`` titles lined up with data rows of ``width`` numbers.

    ``split_fields`` drops a row's empty fields, so empty titles are dropped too
    (``,energy,mu`` over ``,8900,0.1``, ``energy,,mu``, ``energy,mu,``), unless there are
    exactly ``width`` titles: then each keeps its column, as the empty title of a pandas
    index column does (``,energy_eV,mu`` over ``0,8900,0.1``).
    """
    if len(columns) == width:
        return columns
    return [column for column in columns if column[0]]


def titled_columns(line: str, width: int) -> list[tuple[str, str | None]]:
    """The ``header_columns`` of a header line lined up with ``width`` data columns.

    A leading ``#`` is dropped, and a label before the titles (SPEC's ``#L``, ``%``,
    ``Columns:``) too when the titles then fit the ``width`` columns (``aligned_columns``).
    SPEC separates ``#L`` titles by two spaces and a title may hold one, so there runs of
    two or more spaces separate titles as tabs do: ``#L Energy  Ring Current  I0``.
    """
    spec = _SPEC_TITLES.match(line.strip())
    line = line.strip().lstrip("#").strip()
    if spec:
        line = re.sub(r" {2,}", "\t", line)
    label = _LABEL.match(line)
    if label:
        unlabelled = aligned_columns(header_columns(line[label.end() :]), width)
        if len(unlabelled) == width:
            return unlabelled
    return aligned_columns(header_columns(line), width)


def column_titles(
    lines: list[str], names: Collection[str], width: int, where: str
) -> tuple[str | None, list[tuple[str, str | None]]]:
    """The header among ``lines`` and its ``titled_columns`` over ``width`` data columns.

    The header is the last line naming one of ``names`` (lower case) whose titles fit the
    ``width`` columns. A line naming none (a free-text comment, a rule ``#----``, a units
    line) is never the header, nor is one that does not fit and names only one (free text
    such as ``# Cu K-edge energy scan`` or a region name ``Be 1s``).

    Returns:
        (header line, its ``width`` (name, unit) titles), or (None, []) when no line
        is the header.

    Raises:
        ValueError: no line fits, and the last line naming two or more of ``names`` (a
            header, not free text) gives another number of titles than ``width``.
    """

    def named(line: str) -> int:
        return len(set(names) & {name for name, _ in header_columns(line.strip().lstrip("#"))})

    fitting = [line for line in lines if named(line) and len(titled_columns(line, width)) == width]
    if fitting:
        return fitting[-1], titled_columns(fitting[-1], width)
    headers = [line for line in lines if named(line) >= 2]
    if headers:
        header, columns = headers[-1], titled_columns(headers[-1], width)
        raise ValueError(
            f"{where}: the header {header.strip()!r} gives {len(columns)} column titles but "
            f"the data rows have {width} columns; write one title per column (separate "
            "titles that hold spaces by tabs or commas)"
        )
    return None, []


def ev_per(unit: str | None, default: float = 1.0, source: str = "") -> float:
    """eV per energy ``unit``, the one reading of an energy unit for every reader and
    analysis: 1000 for keV, 1 for eV, 0.001 for meV (``ENERGY_UNIT``, a whole word
    anywhere in the label or after an underscore: ``Energy (eV)``, ``energy loss [keV]``,
    ``electron volts``, ``energy_eV``); ``default`` when unset (None, ``UNSET_UNITS``) or
    when the label only names an energy (``Energy loss``, ``BE``, ``binding energy``).

    Raises:
        ValueError: (prefixed ``source``) any other unit (``MeV``, ``nm``), two units
            (``keV (eV)``) or a unit per energy (``1/eV``, ``states per eV``, ``eV^-1``; see
            ``_per_energy``), which read as eV would put every edge elsewhere.
    """
    label = "" if unit is None else str(unit).strip()
    units = list(ENERGY_UNIT.finditer(label))
    scales = {EV_PER_PREFIX[match.group(1) or ""] for match in units}
    per = any(_per_energy(label, match) for match in units)
    if len(scales) == 1 and not per:
        return scales.pop()
    if not scales and (
        label.lower() in UNSET_UNITS
        or ENERGY_TITLE.fullmatch(label.lower())
        or _BINDING_ENERGY.fullmatch(label)
    ):
        return default
    where = f"{source}: " if source else ""
    denominator = ", but a unit per energy (the energy is a denominator)" if per else ""
    raise ValueError(
        f"{where}energy units {unit!r} are not {ENERGY_UNITS}{denominator}; convert the "
        "energy axis to eV and name its unit eV"
    )


def _per_energy(label: str, unit: re.Match) -> bool:
    """Whether the energy ``unit`` found in ``label`` is a denominator: after "per"
    (``states per eV``), after a slash with no quantity or a number before it (``1/eV``,
    ``/keV``), or with a negative power (``eV^-1``, ``eV-1``). A slash after a quantity is
    "quantity / unit" (ISO 80000): ``Binding Energy / eV``, ``E/keV`` and ``hv / eV`` give
    the energy in that unit."""
    before = label[: unit.start()]
    per = _PER_BEFORE.search(before)
    if per and per.group(1) and not _NUMBER_OR_NOTHING.fullmatch(before[: per.start()].strip()):
        per = None
    return per is not None or _NEGATIVE_POWER.match(label, unit.end()) is not None


def _channel_numbers(found: str, fix: str, calibrate: str) -> ValueError:
    """The error for an energy axis of detector channel numbers (uncalibrated): ``found``
    says where and how the file gives them, ``calibrate`` what to do first, ``fix`` how to
    mark the calibrated axis."""
    return ValueError(f"{found}: channel numbers, not energies; {calibrate}, and {fix}")


def is_channel_axis(energy: np.ndarray) -> bool:
    """Whether the energy axis (m,) reads as detector channel numbers: 0, 1, ..., m - 1 or
    1, 2, ..., m (at least 2 of them; to 1e-6, a fitted uniform axis's rounding)."""
    if energy.size < 2 or not np.isfinite(energy[0]):
        return False
    first = round(float(energy[0]))
    channels = first + np.arange(energy.size)
    return first in (0, 1) and bool(np.allclose(energy, channels, rtol=0.0, atol=1e-6))


def refuse_channel_axis(
    energy: np.ndarray, where: str, fix: str, calibrate: str = CALIBRATE_ENERGY
) -> None:
    """A ValueError (prefixed ``where``, saying ``calibrate`` and ``fix``) when the energy
    axis (m,) is detector channel numbers, uncalibrated: 0, 1, ..., m - 1 or 1, 2, ..., m
    (scale 1, offset 0 or 1: ``is_channel_axis``)."""
    if is_channel_axis(energy):
        first = round(float(energy[0]))
        raise _channel_numbers(
            f"{where}its energy axis is uncalibrated ({first:g}, {first + 1:g}, ..., "
            f"{energy[-1]:g} in steps of 1)",
            fix,
            calibrate,
        )


def refuse_uncalibrated(
    energy: np.ndarray, units, where: str, fix: str, calibrate: str = CALIBRATE_ENERGY
) -> None:
    """``refuse_channel_axis`` for a file's energy axis (m,) without ``units``
    (``UNSET_UNITS``); one whose unit is given is taken as calibrated."""
    if str(units or "").strip().lower() in UNSET_UNITS:
        refuse_channel_axis(energy, where, fix, calibrate)


def refuse_channel_title(
    titles: list[tuple[str, str | None]],
    column: int,
    header: str,
    source: str,
    fix: str,
    calibrate: str = CALIBRATE_ENERGY,
) -> None:
    """A ValueError (as ``refuse_channel_axis``'s) when the title (name, unit) of the
    0-based ``column`` of the ``header``'s ``titles``, which a reader takes as the energy,
    names channel numbers (``CHANNEL_TITLE``, no unit)."""
    if column < len(titles) and titles[column][1] is None:
        name = titles[column][0]
        if CHANNEL_TITLE.fullmatch(name):
            written = re.findall(re.escape(name), header, re.IGNORECASE) or [name]
            raise _channel_numbers(
                f"{source}: column {column + 1} is titled {written[0]!r}", fix, calibrate
            )


def reads_as_float(field: str) -> bool:
    """Whether ``float(field)`` reads a number (also ``nan``, ``inf``, ``1e3``)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def numbers(line: str, where: str, fix: str = "fix or comment out (#) that line") -> list[float]:
    """The numbers of a data ``line``; a ValueError naming ``where`` (file and line) if the
    line writes decimal commas (which splitting at commas would misread) or a field is not
    a number, saying ``fix``."""
    if DECIMAL_COMMAS.search(line):
        raise ValueError(f"{where}: {line.strip()!r} writes decimal commas; write decimal points")
    try:
        return [float(field) for field in split_fields(line)]
    except ValueError:
        raise ValueError(f"{where}: cannot read numbers from {line.strip()!r}; {fix}") from None


@dataclass(frozen=True)
class ColumnText:
    """A column text file as ``column_text`` reads it.

    Attributes:
        rows: (n, k) numbers of the data rows, k >= 2.
        lines: (n,) the file line (from 1) of each row.
        notes: (file line, stripped line) of the comments and the title lines, in order.
    """

    rows: np.ndarray
    lines: np.ndarray
    notes: list[tuple[int, str]]

    def header(self) -> list[tuple[int, str]]:
        """The ``notes`` before the data."""
        return [(number, line) for number, line in self.notes if number < self.lines[0]]


def column_text(text: str, source: str, columns: str, titles: bool = True) -> ColumnText:
    """The data rows of a column text file and its other lines, by this module's rules.

    Args:
        text: the file's text (``read_text``).
        source: the file, as the errors name it.
        columns: what the columns are, for the errors: ``"energy and mu"``.
        titles: whether title lines may come before the data (XDI has none: there, a line
            that is not numbers is a bad data row).

    A data row narrower than the first ends in NaN (a spreadsheet leaves empty cells
    out); the readers refuse NaN in the columns they read, naming the line.

    Raises:
        ValueError: a data row that is not numbers or wider than the first, or a first
            row two or more numbers wider than every later one (two lines run together),
            naming its line; no data rows, or one column.
    """
    notes: list[tuple[int, str]] = []
    rows: list[list[float]] = []
    lines: list[int] = []
    widest = 0  # of the data rows after the first
    for number, line in enumerate(split_lines(text), start=1):
        fields, comment = split_fields(line), line.lstrip().startswith("#")
        starts_data = all(map(reads_as_float, fields[:2]))  # "1486.6 eV Al Ka" is a title
        if comment or (fields and not rows and titles and not starts_data):
            if not comment and _written_as_numbers(fields):
                numbers(line, f"{source} line {number}")  # refuses it, naming the line
            notes.append((number, line.strip()))
        elif fields:
            rows.append(numbers(line, f"{source} line {number}"))
            lines.append(number)
            if len(rows[-1]) > len(rows[0]):
                raise ValueError(
                    f"{source} line {number}: {len(rows[-1])} columns, more than the "
                    f"{len(rows[0])} of the first data row, line {lines[0]}; give every data row "
                    "the same columns"
                )
            if len(rows) > 1:
                widest = max(widest, len(rows[-1]))
            rows[-1] += [np.nan] * (len(rows[0]) - len(rows[-1]))  # a spreadsheet's empty cells
    if not rows:
        raise ValueError(f"{source} holds no data rows; pass a file with a spectrum")
    if 2 <= widest <= len(rows[0]) - 2:  # its extra cells would fill a row: a joined line
        raise ValueError(
            f"{source} line {lines[0]}: {len(rows[0])} numbers, but no later data row has more "
            f"than {widest}: two lines run together (a lost line break); split line "
            f"{lines[0]} after its first {widest} numbers"
        )
    if len(rows[0]) < 2:
        raise ValueError(f"{source} has one column; need {columns} columns")
    return ColumnText(np.array(rows), np.array(lines), notes)


def _written_as_numbers(fields: list[str]) -> bool:
    """Whether ``fields`` are written as numbers or missing readings, at least one a number
    (``_NUMBER_LIKE``, ``_MISSING``): a data row, though some do not read."""
    numeric = [field for field in fields if _NUMBER_LIKE.match(field)]
    return bool(numeric) and all(f in numeric or _MISSING.fullmatch(f) for f in fields)


def existing_file(path: str | Path, kind: str) -> Path:
    """``path`` as a Path; FileNotFoundError if nothing is there, IsADirectoryError if it is
    a folder (``kind`` is what the file should be, for the message)."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a directory, not a file; pass {kind}")
    if not path.is_file():
        raise FileNotFoundError(f"{str(path)!r} does not exist; check the path, or pass {kind}")
    return path


def read_text(path: str | Path, kind: str) -> str:
    """The text of ``path``: UTF-16 after a UTF-16 byte-order mark, else UTF-8 (a
    byte-order mark dropped), else Latin-1.

    Instruments and the EMSA files of other programs often write Latin-1 headers
    (``µm``, ``ü``), which are not valid UTF-8; any byte sequence is Latin-1, so a file
    without a UTF-16 byte-order mark counts as binary when it holds NUL bytes.

    Args:
        path: the file.
        kind: what the file should be, for the messages, e.g. ``"an EELS text file"``.

    Raises:
        FileNotFoundError: no such file.
        IsADirectoryError: ``path`` is a folder.
        ValueError: the file is not text (it holds NUL bytes, or is not the UTF-16 its
            byte-order mark announces).
    """
    data = existing_file(path, kind).read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"{str(path)!r} starts with a UTF-16 byte-order mark but is not UTF-16 text "
                f"({error.reason} at offset {error.start}); pass {kind} saved as UTF-8"
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ValueError(
            f"{str(path)!r} is not a text file (NUL byte at offset {nul}); pass {kind}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
