"""Files the Action reads: only inside GITHUB_WORKSPACE, and as they are at the pull
request's head commit; which Dockerfiles a change concerns."""
from __future__ import annotations

import fnmatch
import glob
import os
import subprocess
from typing import Optional

from .event import ActionError

# Files that pin what a build installs: a change to one can break a Dockerfile that copies it.
DEPENDENCY_FILES = ("requirements*.txt", "constraints*.txt", "pyproject.toml", "setup.py", "setup.cfg",
                    "Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "pdm.lock", "package.json",
                    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "go.mod", "go.sum")


def inside(workspace: str, path: str) -> bool:
    real = os.path.realpath(os.path.join(workspace, path))
    return real == workspace or real.startswith(workspace + os.sep)


def expand_paths(workspace: str, patterns: list[str]) -> list[str]:
    """The `path` input as workspace-relative files and folders; globs expanded."""
    found = []
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            matches = sorted(glob.glob(pattern, root_dir=workspace, recursive=True))
        else:
            matches = [pattern] if os.path.exists(os.path.join(workspace, pattern)) else []
        if not matches:
            raise ActionError(f"input `path`: {pattern!r} matches nothing in the workspace")
        for match in matches:
            if os.path.isabs(match) or not inside(workspace, match):
                raise ActionError(f"input `path`: {pattern!r} leads outside the workspace")
            found.append(os.path.normpath(match))
    return found


def in_scope(path: str, scopes: list[str]) -> bool:
    return any(s == "." or path == s or path.startswith(s.rstrip("/") + "/") for s in scopes)


def is_dependency_file(path: str) -> bool:
    return any(fnmatch.fnmatch(os.path.basename(path), pattern) for pattern in DEPENDENCY_FILES)


class HeadReader:
    """Reads files at the head commit: from disk when the checkout is that commit, else
    from git when the commit is there (the default checkout of a pull request is a merge
    commit whose lines need not match the head's). `exact` is False when neither holds."""

    def __init__(self, workspace: str, head_sha: str, max_size: int):
        self.workspace, self.head, self.max_size = workspace, head_sha, max_size
        checked_out = self._git("rev-parse", "HEAD")
        on_head = checked_out is not None and checked_out.decode().strip() == head_sha
        self.from_git = not on_head and self._git("cat-file", "-e", f"{head_sha}^{{commit}}") is not None
        self.exact = on_head or self.from_git

    def _git(self, *args: str) -> Optional[bytes]:
        try:
            done = subprocess.run(["git", "-c", f"safe.directory={self.workspace}", "-C", self.workspace, *args],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    def read(self, path: str) -> Optional[bytes]:
        if self.from_git:
            return self._git("show", f"{self.head}:{path}")
        if not inside(self.workspace, path) or not os.path.isfile(os.path.join(self.workspace, path)):
            return None
        try:
            with open(os.path.join(self.workspace, path), "rb") as handle:
                return handle.read(self.max_size + 1)
        except OSError:
            return None
