"""Reading a data file's text: clear errors for a missing or binary file, decimal commas."""

from __future__ import annotations

import re
from pathlib import Path

#: A number written with a decimal comma next to another number across a whitespace or
#: semicolon separator: "284,5\t1200,3", "500,5;1200,3", "500,5 1200", "500\t12,5";
#: readers that split columns at commas refuse such lines rather than misread them. A
#: comma between digits with no other separator beside it ("500,1200", "500.5,1200",
#: "500.5, 1200", "1,2,3") is a column separator and does not match.
DECIMAL_COMMAS = re.compile(r"\d,\d+\s*[;\s]\s*[-+.]?\d|\d\s*[;\s]\s*[-+]?\d+,\d")


def refuse_decimal_commas(line: str, where: str) -> None:
    """A ValueError naming ``where`` (file and line) if ``line`` writes decimal commas."""
    if DECIMAL_COMMAS.search(line):
        raise ValueError(f"{where}: {line.strip()!r} writes decimal commas; write decimal points")


def read_text(path: str | Path, kind: str) -> str:
    """The text of ``path``: UTF-8 (a byte-order mark dropped), else Latin-1.

    Instruments and the EMSA files of other programs often write Latin-1 headers
    (``µm``, ``ü``), which are not valid UTF-8; any byte sequence is Latin-1, so a file
    counts as binary when it holds NUL bytes.

    Args:
        path: the file.
        kind: what the file should be, for the messages, e.g. ``"an EELS text file"``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not text (it holds NUL bytes).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spectrum file {str(path)!r} does not exist; check the path")
    data = path.read_bytes()
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ValueError(
            f"{str(path)!r} is not a text file (NUL byte at offset {nul}); pass {kind}"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")
