"""Which files a run checks: the paths given, and Dockerfiles found under folders."""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator

# Folders that hold other people's files, never the project's own Dockerfiles.
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox"})


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(".dockerignore"):
        return False
    return (name in ("Dockerfile", "Containerfile") or name.startswith(("Dockerfile.", "Containerfile."))
            or name.endswith((".Dockerfile", ".containerfile", ".dockerfile")))


def _excluded(path: str, excludes: Iterable[str]) -> bool:
    # Absolute patterns are path globs the config anchored at its own folder.
    return any(fnmatch.fnmatch(os.path.abspath(path) if os.path.isabs(pattern) else path, pattern)
               or fnmatch.fnmatch(os.path.basename(path), pattern) for pattern in excludes)


def discover(paths: Iterable[str], excludes: Iterable[str] = ()) -> Iterator[str]:
    """Files to check, as display paths: given files as written, found ones joined to their folder."""
    excludes = tuple(excludes)
    seen: set[str] = set()
    for given in paths:
        if given == "-" or not os.path.isdir(given):
            if given not in seen:
                seen.add(given)
                yield given
            continue
        found = []
        for folder, dirs, files in os.walk(given, onerror=None, followlinks=False):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                             and not _excluded(os.path.normpath(os.path.join(folder, d)), excludes))
            for name in files:
                if is_dockerfile_name(name):
                    path = os.path.normpath(os.path.join(folder, name))
                    if not _excluded(path, excludes):
                        found.append(path)
        for path in sorted(found):
            if path not in seen:
                seen.add(path)
                yield path
