"""One run: lint a set of inputs and return a `RunResult`, for every door alike.

The command line (and so the pre-commit hooks), `--fix`/`--diff` and the GitHub Action
all call `lint`; they differ only in how they present the result and in what they do
after it. Files are checked in discovery order, in worker processes when there are many;
the result is the same either way, notes from the workers included. The exit status has
one definition here.
"""
from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping

from .config import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, ConfigFile, Layer, Settings, build_settings, load_config
from .discovery import definition_names_in, discover, folders_above
from .engine import FileResult, check_builds, check_file, check_inline, definition_problems
from .lintcontext import RunContext
from .model import Finding, Severity
from .record import Record
from .rules import RULE_IDS

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:  # build definitions are imported only when a folder has one, fixing only for --fix/--diff
    from .builds.model import Build, DefinitionProblem
    from .fix import FixOutcome
    from .online import Fallback

# Below this many files, starting worker processes costs more than it saves.
PARALLEL_THRESHOLD = 16
# Files handed to a worker at a time: few round trips, yet an even spread at the end.
_CHUNK = 8

Progress = Callable[[int, int], None]  # (files done, files in all)
# A file to check: its path, settings, its bytes when they come from elsewhere (`-`, or
# the `contents` of a run), and the builds that use it.
Item = tuple[str, Settings, bytes | None, tuple["Build", ...]]


def load_settings(command_line: Layer, config: str | None = None, cwd: str | None = None) -> Settings:
    """The settings of a run: defaults, the config file (`config`, else the nearest one
    upwards from `cwd`) checked against the registered rules, then `command_line`."""
    found: ConfigFile | None = load_config(config, cwd, known_rules=RULE_IDS)
    return build_settings(command_line, found)


def fails(findings: Iterable[Finding], fail_level: Severity | None) -> bool:
    """Whether any finding is at or above the fail level (None: never)."""
    return fail_level is not None and any(f.severity >= fail_level for f in findings)


def exit_status(findings: Iterable[Finding], errors: list[str], fail_level: Severity | None) -> int:
    """2 on an internal error, else 1 when a finding reaches the fail level, else 0."""
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if fails(findings, fail_level) else EXIT_CLEAN


class RunResult(Record):
    """What one run found: a result per file in discovery order (findings before any fix,
    internal errors, notes) and, when fixing, each fixable file's outcome by path."""
    __slots__ = ("files", "fixes")

    def __init__(self, files: list[FileResult], fixes: dict[str, FixOutcome] | None = None) -> None:
        self.files = files
        self.fixes = {} if fixes is None else fixes

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the run (before any fix), sorted by path, line, column and rule."""
        return sorted((f for r in self.files for f in r.findings), key=lambda f: f.sort_key)

    @property
    def remaining(self) -> list[Finding]:
        """The findings left once the fixes are applied (the findings, when not fixing)."""
        left = (f for r in self.files
                for f in (self.fixes[r.path].result.findings if r.path in self.fixes else r.findings))
        return sorted(left, key=lambda f: f.sort_key)

    @property
    def errors(self) -> list[str]:
        return [e for r in self.files for e in r.errors]

    @property
    def fallbacks(self) -> list[Fallback]:
        """The dependencies checked with the embedded data because their registry look-up
        failed, each once, from every file (and every worker process)."""
        return list(dict.fromkeys(f for r in self.files for f in r.fallbacks))

    @property
    def notes(self) -> list[str]:
        """What the user should know that is no finding, each once: the files' notes, then
        one line per failed kind of registry look-up naming the packages that fell back."""
        notes = list(dict.fromkeys(n for r in self.files for n in r.notes))
        fallbacks = self.fallbacks
        if fallbacks:
            from .online import fallback_notes  # only a run with failed look-ups needs it
            notes += fallback_notes(fallbacks)
        return notes

    def counts(self) -> dict[Severity, int]:
        counts = dict.fromkeys(Severity, 0)
        for finding in self.findings:
            counts[finding.severity] += 1
        return counts

    def exit_status(self, fail_level: Severity | None, after_fixes: bool = False) -> int:
        return exit_status(self.remaining if after_fixes else self.findings, self.errors, fail_level)


class Plan:
    """What a run checks: the files, each with the builds that use it; the inline
    Dockerfiles of build definitions; the problems met reading those definitions."""

    def __init__(self, items: list[Item], inline: list[Build], problems: list[DefinitionProblem]) -> None:
        self.items = items
        self.inline = inline
        self.problems = problems


def plan(paths: Iterable[str], settings: Settings, contents: Mapping[str, bytes] | None = None,
         definitions_near: Iterable[str] = (), definitions=None) -> Plan:
    """Each file a run covers, in discovery order, with its settings (and the data of `-`,
    or its bytes in `contents`) and, unless build definitions are off, the builds of the
    compose and bake files found. `definitions_near` are more files whose folders (and
    those above) hold definitions to read, such as changed compose files (`--changed`);
    `definitions`, those a door read itself (see build_definitions)."""
    paths = list(paths)
    folders: dict[str, list[str]] | None = {} if settings.build_definitions and definitions is None else None
    found = list(discover(paths, settings.exclude, folders))
    if folders is not None:
        definitions = _definitions(paths + list(definitions_near), folders, settings)
    items: list[Item] = []
    for path in found:
        if path == "-":
            # One byte over the limit is enough to refuse: never hold more of a hostile stream.
            items.append((path, settings, sys.stdin.buffer.read(settings.max_file_size + 1), ()))
        else:
            builds = tuple(definitions.builds_for(path)) if definitions is not None else ()
            items.append((path, settings.for_path(path), (contents or {}).get(path), builds))
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


def lint(paths: Iterable[str], settings: Settings, *, contents: Mapping[str, bytes] | None = None,
         fix: str | None = None, jobs: int | None = None, progress: Progress | None = None,
         run: RunContext | None = None, definitions_near: Iterable[str] = (), definitions=None) -> RunResult:
    """Check the files found under `paths` (`-` reads standard input; a path in `contents`
    is checked with those bytes instead of the file's), as their compose and bake builds
    make them, and the inline Dockerfiles and problems of those build definitions.

    `definitions_near` and `definitions` are plan()'s. `fix`: None checks only; "safe" or
    "unsafe" also works out each file's fixed text in memory (nothing is written). With
    `jobs` > 1 (default: one per CPU) and enough files, worker processes check them; the
    result is the same as a serial run's.
    """
    if fix:  # fixes are edits of each Dockerfile as written: no build definitions
        settings, definitions = settings.replaced(build_definitions=False), None
    work = plan(paths, settings, contents, definitions_near, definitions)
    jobs = jobs or default_jobs()
    run = run or RunContext()
    if jobs > 1 and len(work.items) >= PARALLEL_THRESHOLD:
        checked = _check_parallel(work.items, fix, jobs, progress)
    else:
        checked = []
        for item in work.items:
            checked.append(_check(item, fix, run))
            if progress is not None:
                progress(len(checked), len(work.items))
    files = [result for result, _ in checked]
    files += [check_inline(build, settings, run) for build in work.inline]
    files += definition_problems(work.problems, settings)
    return RunResult(files, {result.path: outcome for result, outcome in checked if outcome is not None})


_Checked = tuple[FileResult, "FixOutcome | None"]


def _check(item: Item, fix: str | None, run: RunContext) -> _Checked:
    path, settings, data, builds = item
    if fix is not None:
        from .fix import fix_file  # lazy: a plain check skips importing fix and difflib (about 3 ms under -X importtime)
        outcome, result = fix_file(path, settings, unsafe=fix == "unsafe", data=data, run=run)
        if outcome is None:
            return result, None
        return FileResult(path, outcome.found, result.errors, result.notes, result.fallbacks), outcome
    if builds:
        return check_builds(path, settings, list(builds), display_path=path, data=data, run=run), None
    return check_file(path, settings, display_path=path, data=data, run=run), None


_worker_run: RunContext | None = None  # each worker process's own run state


def _start_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops the run."""
    import signal
    global _worker_run
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker_run = RunContext()


def _check_in_worker(job: tuple[Item, str | None]) -> _Checked:
    return _check(*job, _worker_run or RunContext())


def _check_parallel(items: list[Item], fix: str | None, jobs: int,
                    progress: Progress | None) -> list[_Checked]:
    # Lazy: multiprocessing costs start-up time, and few runs have enough files for workers.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    # fork starts a worker without importing the checker again; elsewhere the platform default.
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    results: list[_Checked] = []
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), mp_context=context, initializer=_start_worker)
    try:
        for result in pool.map(_check_in_worker, [(item, fix) for item in items], chunksize=_CHUNK):
            results.append(result)
            if progress is not None:
                progress(len(results), len(items))
    except BrokenProcessPool:
        # A worker died (killed, out of memory): check what it left undone here, one by one.
        run = RunContext()
        for item in items[len(results):]:
            results.append(_check(item, fix, run))
            if progress is not None:
                progress(len(results), len(items))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)  # on Ctrl-C, the queued files are dropped
    return results
