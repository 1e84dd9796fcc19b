"""The UTC time stamp that begins the server's log lines and ``adaptive serve``'s stopping
and closing lines (light: the CLI stamps a stop while the server's imports still run)."""

from __future__ import annotations

import time


def stamped(line: str) -> str:
    """``line`` after the UTC time, as the server's log lines begin."""
    return f"{time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {line}"
