"""Which Dockerfiles a set of changed files calls for (`--changed`, the pre-commit hooks).

pre-commit passes the files of a commit. A Dockerfile among them is checked itself; any
other file (a requirement, package or lock file the user opted in to) is not a
Dockerfile, so it is not parsed as one.
"""
from __future__ import annotations

import os
from collections.abc import Iterable

from .discovery import is_dockerfile_name


def dockerfiles_for_changes(changed: Iterable[str]) -> list[str]:
    """The changed files that are Dockerfiles, in the order given, each once."""
    seen: set[str] = set()
    result = []
    for path in changed:
        if path not in seen and is_dockerfile_name(os.path.basename(path)):
            seen.add(path)
            result.append(path)
    return result
