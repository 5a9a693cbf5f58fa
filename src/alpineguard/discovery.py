"""Which files a run checks: the paths given, and Dockerfiles found under folders."""
from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator

# Build definitions: compose files (and their overrides) and bake files.
COMPOSE_NAMES = frozenset({"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml",
                           "compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                           "docker-compose.override.yaml"})
BAKE_NAMES = frozenset({"docker-bake.json", "docker-bake.hcl", "docker-bake.override.json",
                        "docker-bake.override.hcl"})
DEFINITION_NAMES = COMPOSE_NAMES | BAKE_NAMES

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


def discover(paths: Iterable[str], excludes: Iterable[str] = (),
             definitions: dict[str, list[str]] | None = None) -> Iterator[str]:
    """Files to check, as display paths: given files as written, found ones joined to their folder.

    With `definitions`, the folders searched that hold compose or bake files go into it
    (absolute folder -> those file names), read from the same listing."""
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
            if definitions is not None and not DEFINITION_NAMES.isdisjoint(files):
                definitions[os.path.abspath(folder)] = [name for name in files if name in DEFINITION_NAMES]
            for name in files:
                if is_dockerfile_name(name):
                    path = os.path.normpath(os.path.join(folder, name))
                    if not _excluded(path, excludes):
                        found.append(path)
        for path in sorted(found):
            if path not in seen:
                seen.add(path)
                yield path


def folders_above(paths: Iterable[str]) -> list[str]:
    """Each given path's folder and the folders above it, up to the repository root (the
    first folder holding `.git`) or the file system's root: where `docker compose` looks."""
    result: dict[str, None] = {}
    for path in paths:
        if path == "-":
            continue
        folder = os.path.abspath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        while folder not in result:
            result[folder] = None
            parent = os.path.dirname(folder)
            if parent == folder or os.path.exists(os.path.join(folder, ".git")):
                break
            folder = parent
    return list(result)


def definition_names_in(folder: str) -> list[str]:
    # A few stats cost less than listing a folder such as /tmp with thousands of entries.
    return [name for name in sorted(DEFINITION_NAMES) if os.path.isfile(os.path.join(folder, name))]
