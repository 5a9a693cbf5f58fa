"""Checking many files: discovery plus the engine, in a stable order."""
from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import Optional

from .config import Settings
from .discovery import discover
from .engine import FileResult, check_file


def files(paths: Iterable[str], settings: Settings) -> Iterator[tuple[str, Settings, Optional[bytes]]]:
    """Each file a run covers, in discovery order, with its settings (and the data of `-`).
    Checking and fixing both walk this list, so they cover the same files the same way."""
    for path in discover(paths, settings.exclude):
        if path == "-":
            yield path, settings, sys.stdin.buffer.read()
        else:
            yield path, settings.for_path(path), None


def check_paths(paths: Iterable[str], settings: Settings) -> list[FileResult]:
    """One result per file found under `paths`, in discovery order (`-` reads stdin)."""
    return [check_file(path, file_settings, display_path=path, data=data)
            for path, file_settings, data in files(paths, settings)]
