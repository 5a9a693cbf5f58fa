"""Files the Action reads: only inside GITHUB_WORKSPACE, and as they are at the commit
under review; which Dockerfiles a change concerns; what git says changed.

Nothing read here is executed: the head commit's files are only parsed, which is what
makes checking a pull request's content safe under `pull_request_target`."""
from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable

from ..discovery import discover, is_dockerfile_name

from .diff import ChangedFile
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


GIT_TIMEOUT = 300
MERGE_BASE_DEPTHS = (64, 1024)  # history fetched, deeper each time, to find where a branch left its base


_STATUS = {"A": "added", "M": "modified", "D": "removed", "R": "renamed", "C": "copied", "T": "changed"}


class Git:
    """The workspace's git repository, read-only except for fetching commits from `origin`."""

    def __init__(self, workspace: str, log: Callable[[str], None]):
        self.workspace, self.log = workspace, log
        self.fetch_errors: list[str] = []

    def run(self, *args: str, timeout: int = GIT_TIMEOUT) -> bytes | None:
        done = self._run(args, timeout)
        return done.stdout if done is not None and done.returncode == 0 else None

    def _run(self, args, timeout: int) -> subprocess.CompletedProcess | None:
        try:
            return subprocess.run(["git", "-c", f"safe.directory={self.workspace}", "-C", self.workspace, *args],
                                  capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                                  env=dict(os.environ, GIT_TERMINAL_PROMPT="0"))
        except (OSError, subprocess.SubprocessError):
            return None

    def head(self) -> str | None:
        out = self.run("rev-parse", "--verify", "-q", "HEAD")
        return out.decode().strip() if out else None

    def has_commit(self, sha: str) -> bool:
        return self.run("cat-file", "-e", f"{sha}^{{commit}}") is not None

    def shallow(self) -> bool:
        return self.run("rev-parse", "--is-shallow-repository") == b"true\n"

    def fetch(self, *refspecs: str, depth: int | None = 1) -> bool:
        """Fetch from `origin`; `depth` only deepens a shallow clone, never makes a full one shallow."""
        args = ["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"]
        if depth is not None and self.shallow():
            args.append(f"--depth={depth}")
        done = self._run([*args, "origin", *refspecs], GIT_TIMEOUT)
        if done is not None and done.returncode == 0:
            return True
        reason = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"])[-1] if done \
            else "git did not run"
        self.fetch_errors.append(f"git fetch {' '.join(refspecs)}: {reason}")
        return False

    def ensure(self, sha: str, *refspecs: str) -> bool:
        """The commit is here, or fetched now: by its id, else through `refspecs` (such as a pull
        request's `refs/pull/N/head`, which the job's token can read also for forks)."""
        if self.has_commit(sha):
            return True
        for refspec in (sha, *refspecs):
            if self.fetch(refspec) and self.has_commit(sha):
                return True
        return False

    def merge_base(self, base: str, head: str) -> str | None:
        """Where `head` left `base`, fetching more history while a shallow clone hides it."""
        for depth in (None, *MERGE_BASE_DEPTHS, 0):
            if depth is not None:
                if depth == 0:
                    if not self.shallow() or not self.fetch("--unshallow", base, head, depth=None):
                        return None
                elif not self.fetch(base, head, depth=depth):
                    return None
            out = self.run("merge-base", base, head)
            if out:
                return out.decode().strip()
        return None

    def changes(self, base: str, head: str) -> list[ChangedFile] | None:
        out = self.run("diff", "--no-ext-diff", "-M", "--name-status", "-z", base, head)
        if out is None:
            return None
        fields = out.decode("utf-8", "surrogateescape").split("\0")
        found, i = [], 0
        while i < len(fields) - 1:
            code = fields[i]
            if code[:1] in "RC":
                found.append(ChangedFile(fields[i + 2], _STATUS[code[0]], fields[i + 1]))
                i += 3
            else:
                found.append(ChangedFile(fields[i + 1], _STATUS.get(code[:1], "modified")))
                i += 2
        return found

    def patch(self, base: str, head: str, path: str, previous: str | None = None) -> str | None:
        paths = [previous, path] if previous else [path]
        out = self.run("diff", "--no-ext-diff", "--no-color", "-M", "--unified=3", base, head, "--", *paths)
        return out.decode("utf-8", "replace") if out is not None else None

    def extract(self, sha: str, destination: str) -> bool:
        """The commit's files written under `destination` (as `git archive` gives them)."""
        try:
            archive = subprocess.Popen(["git", "-c", f"safe.directory={self.workspace}", "-C", self.workspace,
                                        "archive", "--format=tar", sha], stdout=subprocess.PIPE,
                                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        except OSError:
            return False
        try:
            with tarfile.open(fileobj=archive.stdout, mode="r|") as tar:
                for member in tar:
                    try:
                        tar.extract(member, destination, filter="data")
                    except (tarfile.FilterError, OSError):
                        continue  # a link leading outside: not part of what is checked
        except tarfile.TarError:
            return False
        finally:
            archive.stdout.close()
        return archive.wait() == 0


class Head:
    """The files as they are at the commit under review. `root` holds them (the checkout when it
    is that commit, else a temporary folder the commit was extracted into); `read_through` is
    set when only GitHub's API could give them: then the checkout only tells which files exist
    beside those the pull request lists, and serves the files a build copies in."""

    def __init__(self, root: str, how: str, temporary: bool = False,
                 read_through: Callable[[str], bytes | None] | None = None,
                 listed: dict[str, str] | None = None):
        self.root, self.how, self.temporary = root, how, temporary
        self.read_through = read_through
        self.listed = listed or {}  # path -> status in the pull request, for the API case

    def read(self, path: str, max_size: int) -> bytes | None:
        if self.read_through is not None:
            return None if self.listed.get(path) == "removed" else self.read_through(path)
        if not inside(self.root, path) or not os.path.isfile(os.path.join(self.root, path)):
            return None
        try:
            with open(os.path.join(self.root, path), "rb") as handle:
                return handle.read(max_size + 1)
        except OSError:
            return None

    def dockerfiles(self, scopes: list[str], excludes) -> list[str]:
        found = list(discover(scopes, excludes))
        if self.read_through is None:
            return found
        gone = {p for p, status in self.listed.items() if status == "removed"}
        added = [p for p, status in self.listed.items() if status != "removed"
                 and is_dockerfile_name(os.path.basename(p)) and in_scope(p, scopes)]
        return [p for p in dict.fromkeys(found + added) if p not in gone]

    def close(self) -> None:
        if self.temporary:
            shutil.rmtree(self.root, ignore_errors=True)


def open_head(workspace: str, sha: str, git: Git, refspecs: tuple[str, ...] = ()) -> Head | None:
    """The checkout if it is `sha`, else the commit extracted from git (fetched if need be);
    None when git cannot give it."""
    if git.head() == sha:
        return Head(workspace, "as checked out")
    if not git.ensure(sha, *refspecs):
        return None
    folder = tempfile.mkdtemp(prefix="alpineguard-head-")
    if not git.extract(sha, folder):
        shutil.rmtree(folder, ignore_errors=True)
        return None
    return Head(os.path.realpath(folder), f"commit {sha[:12]} read with git (the checkout is another commit)",
                temporary=True)
