"""Checking many files: discovery plus the engine, in a stable order."""
from __future__ import annotations

import sys
from collections.abc import Iterable

from .config import Settings
from .discovery import discover
from .engine import FileResult, check_file


def check_paths(paths: Iterable[str], settings: Settings) -> list[FileResult]:
    """One result per file found under `paths`, in discovery order (`-` reads stdin)."""
    results = []
    for path in discover(paths, settings.exclude):
        if path == "-":
            results.append(check_file("-", settings, display_path="-", data=sys.stdin.buffer.read()))
        else:
            results.append(check_file(path, settings.for_path(path)))
    return results
