"""The server's log on stderr, written by a daemon thread of its own, so a stderr that
blocks (a pipe nobody reads) blocks no request and no stop.

Light (no torch): ``adaptive serve`` writes its stopping and closing lines through it, also
while the server's imports still run. A forked child starts an empty log of its own (the
parent's writer thread does not exist there).
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque

from tqdm import tqdm

from adaptive.stamps import stamped

#: The most log lines that wait for a stderr that takes none (a pipe nobody reads): those
#: past them are dropped, and their count written in their place once it takes lines again.
LOG_QUEUE_LINES = 1000
#: Seconds a request waits for its log line to be written while stderr keeps up (so the
#: line comes before the reply); while stderr is slower, no request waits for it.
LOG_WAIT_S = 0.5
#: Seconds a stopping server waits for its log lines to be written (before a closing line).
LOG_DRAIN_S = 2.0


class StderrLog:
    """Log lines written on stderr by a daemon thread of their own.

    A line is written before ``put`` returns while stderr keeps up (it waits up to
    ``LOG_WAIT_S`` for it, so a request's line comes before its reply); else it waits in a
    queue of ``LOG_QUEUE_LINES``, and the lines that find the queue full are dropped and
    counted, the count written in their place once stderr takes lines again.
    """

    def __init__(self):
        self._start()

    def _start(self) -> None:
        """An empty log whose writer thread starts with its first line."""
        self._lines: deque[list] = deque()  # [text, how many lines were dropped after it]
        self._changed = threading.Condition()
        self._queued = self._written = 0  # lines queued, and written, since the start
        self._writing = False
        self._thread: threading.Thread | None = None

    def put(self, text: str) -> None:
        """Queue ``text`` (one line) for stderr, or count it dropped; when it is the only
        line to write, wait up to ``LOG_WAIT_S`` for it to be written."""
        with self._changed:
            if len(self._lines) >= LOG_QUEUE_LINES:
                self._lines[-1][1] += 1
                return
            idle = self._idle()
            self._lines.append([text, 0])
            self._queued += 1
            number = self._queued
            if self._thread is None:
                self._thread = threading.Thread(target=self._write, daemon=True)
                self._thread.start()
            self._changed.notify_all()
            if idle:
                self._changed.wait_for(lambda: self._written >= number, LOG_WAIT_S)

    def drain(self, timeout_s: float = LOG_DRAIN_S) -> bool:
        """Wait up to ``timeout_s`` for every queued line to be written; whether it was (a
        stderr that took none leaves a line half written: exit by ``os._exit`` then, as
        the interpreter's exit would wait for that line's lock and abort)."""
        with self._changed:
            return self._changed.wait_for(self._idle, timeout_s)

    def _idle(self) -> bool:
        """Whether every line queued is written."""
        return not self._lines and not self._writing

    def _write(self) -> None:
        """Write the queued lines, each followed by the count of those dropped after it."""
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._lines)
                text, dropped = self._lines.popleft()
                self._writing = True
            write_stderr(text)
            if dropped:
                write_stderr(
                    stamped(
                        f"{dropped} log line{'s' * (dropped > 1)} dropped here: stderr took "
                        f"none while {LOG_QUEUE_LINES} waited (a pipe nobody reads?)"
                    )
                )
            with self._changed:
                self._writing = False
                self._written += 1
                self._changed.notify_all()


def write_stderr(text: str) -> None:
    """Write ``text`` as a line on stderr, above any progress bar; a stderr that fails
    (closed, a broken pipe) is skipped."""
    try:
        tqdm.write(text, file=sys.stderr)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


#: The process's log: the server's lines and ``adaptive serve``'s own.
STDERR = StderrLog()
os.register_at_fork(after_in_child=STDERR._start)
