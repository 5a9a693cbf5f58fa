"""Checking many files: discovery plus the engine, in a stable order, in parallel when it pays."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Optional

from .config import Settings
from .discovery import definition_names_in, discover, folders_above
from .engine import FileResult, check_builds, check_file, check_inline, definition_problems

if TYPE_CHECKING:  # the run imports build definitions only when a folder has one
    from .builds.model import Build, DefinitionProblem

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
# Files handed to a worker at a time: few round trips, yet an even spread at the end.
_CHUNK = 8

Progress = Callable[[int, int], None]  # (files done, files in all)
# A file to check: its path, settings, the data of `-`, and the builds that use it.
Item = tuple[str, Settings, Optional[bytes], tuple["Build", ...]]


class Plan:
    """What a run checks: the files, each with the builds that use it; the inline
    Dockerfiles of build definitions; the problems met reading those definitions."""

    def __init__(self, items: list[Item], inline: list[Build], problems: list[DefinitionProblem]) -> None:
        self.items = items
        self.inline = inline
        self.problems = problems


def plan(paths: Iterable[str], settings: Settings, definitions_near: Iterable[str] = ()) -> Plan:
    """Each file a run covers, in discovery order, with its settings (and the data of `-`)
    and, unless build definitions are off, the builds of the compose and bake files found.
    Checking and fixing both walk this list, so they cover the same files the same way.
    `definitions_near` are more files whose folders (and those above) hold definitions to
    read, such as changed compose files (`--changed`)."""
    paths = list(paths)
    folders: Optional[dict[str, list[str]]] = {} if settings.build_definitions else None
    found = list(discover(paths, settings.exclude, folders))
    definitions = _definitions(paths + list(definitions_near), folders, settings) if folders is not None else None
    items: list[Item] = []
    for path in found:
        if path == "-":
            # One byte over the limit is enough to refuse: never hold more of a hostile stream.
            items.append((path, settings, sys.stdin.buffer.read(settings.max_file_size + 1), ()))
        else:
            builds = tuple(definitions.builds_for(path)) if definitions is not None else ()
            items.append((path, settings.for_path(path), None, builds))
    if definitions is None:
        return Plan(items, [], [])
    return Plan(items, list(dict.fromkeys(definitions.inline)), definitions.problems)


def build_definitions(paths: Iterable[str], settings: Settings, definitions_near: Iterable[str] = ()):
    """The build definitions a run over `paths` reads, as `plan` finds them (for a door that
    picks its files itself, such as the Action); None when they are off or there is none."""
    if not settings.build_definitions:
        return None
    paths = list(paths)
    folders: dict[str, list[str]] = {}
    for _ in discover(paths, settings.exclude, folders):
        pass
    return _definitions(paths + list(definitions_near), folders, settings)


def _definitions(paths: list[str], folders: dict[str, list[str]], settings: Settings):
    """The build definitions of a run; None when there is no definition file (nothing imported)."""
    for folder in folders_above(paths):
        if folder not in folders:
            names = definition_names_in(folder)
            if names:
                folders[folder] = names
    if not folders and not settings.compose_files and not settings.bake_files:
        return None
    from .builds import load_definitions
    return load_definitions(folders, os.environ, settings.compose_files, settings.bake_files,
                            settings.compose_profiles)


def default_jobs() -> int:
    """The CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_paths(paths: Iterable[str], settings: Settings, jobs: Optional[int] = None,
                progress: Optional[Progress] = None, definitions_near: Iterable[str] = ()) -> list[FileResult]:
    """One result per file found under `paths`, in discovery order (`-` reads stdin).

    With `jobs` > 1 (default: one per CPU) and enough files, worker processes check them;
    results come back in the same order, so the report is identical to a serial run's.
    """
    run = plan(paths, settings, definitions_near)
    items = run.items
    jobs = jobs or default_jobs()
    if jobs > 1 and len(items) >= PARALLEL_THRESHOLD:
        results = _check_parallel(items, jobs, progress)
    else:
        results = []
        for item in items:
            results.append(_check(item))
            if progress is not None:
                progress(len(results), len(items))
    results += [check_inline(build, settings) for build in run.inline]
    results += definition_problems(run.problems, settings)
    return results


def _check(item: Item) -> FileResult:
    path, file_settings, data, builds = item
    if builds:
        return check_builds(path, file_settings, list(builds), display_path=path, data=data)
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
