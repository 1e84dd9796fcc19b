"""Reading a data file's text, with clear errors for a missing or binary file."""

from __future__ import annotations

from pathlib import Path


def read_text(path: str | Path, kind: str) -> str:
    """The text of ``path``.

    Args:
        path: the file.
        kind: what the file should be, for the messages, e.g. ``"an EELS text file"``.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file is not text (not UTF-8).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spectrum file {str(path)!r} does not exist; check the path")
    try:
        return path.read_text()
    except UnicodeDecodeError as err:
        raise ValueError(f"{str(path)!r} is not a text file ({err}); pass {kind}") from err
