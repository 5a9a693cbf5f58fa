"""Which Dockerfiles a set of changed files calls for (`--changed`, the pre-commit hooks).

pre-commit passes the files of a commit. A Dockerfile among them is checked itself. Any
other file (a requirement, package or lock file the user opted in to) is never parsed as
a Dockerfile: the Dockerfiles under the current folder that copy it in from their build
context are checked instead, since their dependency findings may have changed with it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Optional

from .discovery import discover, is_dockerfile_name


def dockerfiles_for_changes(changed: Iterable[str], context: Optional[str] = None,
                            excludes: Iterable[str] = ()) -> list[str]:
    """The changed Dockerfiles in the order given, then those that copy in another changed file.

    `context` is the build context of every Dockerfile (default: each one's own folder);
    `excludes` are the configuration's globs for folder search.
    """
    changed = list(dict.fromkeys(changed))
    result = [path for path in changed if is_dockerfile_name(os.path.basename(path))]
    others = [path for path in changed if not is_dockerfile_name(os.path.basename(path))]
    if not others:
        return result
    given = {os.path.abspath(path) for path in result}
    for candidate in discover(["."], excludes):
        if os.path.abspath(candidate) not in given and copies_any(candidate, others, context):
            result.append(candidate)
    return result


def copies_any(dockerfile: str, files: list[str], context: Optional[str] = None) -> bool:
    """Whether the Dockerfile's build (context: `context`, default its folder) copies in any of `files`."""
    from .context import copied_context_files
    from .engine import Unreadable
    context_dir = os.path.abspath(context or os.path.dirname(dockerfile) or ".")
    absolute = (os.path.abspath(path) for path in files)
    inside = {os.path.relpath(path, context_dir).replace(os.sep, "/") for path in absolute
              if path.startswith(context_dir.rstrip(os.sep) + os.sep)}
    if not inside:
        return False
    try:
        return bool(copied_context_files(dockerfile, context_dir, candidates=inside))
    except Unreadable:
        return False  # not changed itself, and unreadable: nothing to learn from it
