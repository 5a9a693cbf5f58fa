"""A progress bar on standard error for runs over many files, shown only to a person.

Nothing is written unless the stream is a terminal and no CI system is named in the
environment, and nothing before the run has lasted a moment: short runs and logs stay clean.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import TextIO

_WIDTH = 30


def wanted(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """A person watches `stream`: a terminal, not a CI log (CI set), not a dumb terminal."""
    if environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        return False
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar:
    """`alpineguard: [#####-----]  512/2000 files`, redrawn in place at most ten times a second."""

    def __init__(self, stream: TextIO, delay: float = 0.5, clock: Callable[[], float] = time.monotonic):
        self.stream = stream
        self.delay = delay
        self.clock = clock
        self.started = clock()
        self.drawn_at: float | None = None

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if now - self.started < self.delay or total <= 0:
            return
        if self.drawn_at is not None and now - self.drawn_at < 0.1 and done < total:
            return
        self.drawn_at = now
        filled = _WIDTH * done // total
        digits = len(str(total))
        self.stream.write(f"\r\033[Kalpineguard: [{'#' * filled}{'-' * (_WIDTH - filled)}] "
                          f"{done:>{digits}}/{total} files")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar so the summary line starts on a clean line."""
        if self.drawn_at is not None:
            self.stream.write("\r\033[K")
            self.stream.flush()
