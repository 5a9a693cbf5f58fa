"""Checking many files: discovery plus the engine, in a stable order, in parallel when it pays."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Optional

from .config import Settings
from .discovery import discover
from .engine import FileResult, check_file

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
# Files handed to a worker at a time: few round trips, yet an even spread at the end.
_CHUNK = 8

Progress = Callable[[int, int], None]  # (files done, files in all)
Item = tuple[str, Settings, Optional[bytes]]


def files(paths: Iterable[str], settings: Settings) -> Iterator[Item]:
    """Each file a run covers, in discovery order, with its settings (and the data of `-`).
    Checking and fixing both walk this list, so they cover the same files the same way."""
    for path in discover(paths, settings.exclude):
        if path == "-":
            # One byte over the limit is enough to refuse: never hold more of a hostile stream.
            yield path, settings, sys.stdin.buffer.read(settings.max_file_size + 1)
        else:
            yield path, settings.for_path(path), None


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_paths(paths: Iterable[str], settings: Settings, jobs: Optional[int] = None,
                progress: Optional[Progress] = None) -> list[FileResult]:
    """One result per file found under `paths`, in discovery order (`-` reads stdin).

    With `jobs` > 1 (default: one per CPU) and enough files, worker processes check them;
    results come back in the same order, so the report is identical to a serial run's.
    """
    items = list(files(paths, settings))
    jobs = jobs or default_jobs()
    if jobs > 1 and len(items) >= PARALLEL_THRESHOLD:
        return _check_parallel(items, jobs, progress)
    results = []
    for item in items:
        results.append(_check(item))
        if progress is not None:
            progress(len(results), len(items))
    return results


def _check(item: Item) -> FileResult:
    path, file_settings, data = item
    return check_file(path, file_settings, display_path=path, data=data)


def _ignore_interrupts():
    """Workers leave Ctrl-C to the main process, which stops the run."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _check_parallel(items: list[Item], jobs: int, progress: Optional[Progress]) -> list[FileResult]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork starts a worker without importing the checker again; elsewhere the platform default.
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    results: list[FileResult] = []
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context,
                               initializer=_ignore_interrupts)
    try:
        for result in pool.map(_check, items, chunksize=_CHUNK):
            results.append(result)
            if progress is not None:
                progress(len(results), len(items))
    except BrokenProcessPool:
        # A worker died (killed, out of memory): check what it left undone here, one by one.
        for item in items[len(results):]:
            results.append(_check(item))
            if progress is not None:
                progress(len(results), len(items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C, the queued files are dropped
    return results
