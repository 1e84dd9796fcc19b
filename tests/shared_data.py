"""Where the measured data of ``../shared/data`` lie (see README, Data): tests that read
it skip when it is absent."""

from pathlib import Path

#: ``../shared/data`` beside the repository root.
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
