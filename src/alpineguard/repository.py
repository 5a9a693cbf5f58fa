"""The repository a Dockerfile is kept in, as `owner/name` from its git checkout's remote.

AG201 uses it to tell the images the same organisation builds (`FROM myorg/base:alpine` in a
`myorg/...` repository: its release is pinned, or not, where that image is built) from
images of other publishers. Read from `.git/config` (a worktree's `.git` file is followed),
never by running git; asked only when a rule needs it.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache

_SECTION = re.compile(r'\s*\[\s*remote\s+"([^"]*)"\s*\]')
_URL = re.compile(r"\s*url\s*=\s*(\S+)")
# The last two path components of a remote URL: scp-like (git@host:owner/name.git) or a URL.
_OWNER_NAME = re.compile(r"[:/]([^/:]+)/([^/:]+?)(?:\.git)?/*$")


def owner_and_name(url: str) -> str | None:
    """`owner/name` of a remote URL, None when it names no such pair."""
    match = _OWNER_NAME.search(url)
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _config_of(dot_git: str) -> str | None:
    if os.path.isdir(dot_git):
        return os.path.join(dot_git, "config")
    try:
        with open(dot_git, encoding="utf-8") as handle:
            pointer = handle.read().strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not pointer.startswith("gitdir:"):
        return None
    git_dir = os.path.join(os.path.dirname(dot_git), pointer[len("gitdir:"):].strip())
    try:  # a worktree: the remotes are in the main repository's config
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as handle:
            git_dir = os.path.join(git_dir, handle.read().strip())
    except (OSError, UnicodeDecodeError):
        pass
    return os.path.join(git_dir, "config")


def _remote(config_path: str) -> str | None:
    """`owner/name` of the `origin` remote, else of the first remote with a URL."""
    try:
        with open(config_path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    urls: dict[str, str] = {}
    remote = None
    for line in lines:
        section = _SECTION.match(line)
        if section:
            remote = section.group(1)
        elif line.lstrip().startswith("["):
            remote = None
        elif remote is not None:
            url = _URL.match(line)
            if url and remote not in urls:
                urls[remote] = url.group(1)
    url = urls.get("origin") or next(iter(urls.values()), None)
    return owner_and_name(url) if url else None


@lru_cache(maxsize=256)
def _repository_of_folder(folder: str) -> str | None:
    dot_git = os.path.join(folder, ".git")
    if os.path.exists(dot_git):
        config = _config_of(dot_git)
        return _remote(config) if config else None
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository_of_folder(parent)


def repository_of(path: str | None) -> str | None:
    """`owner/name` of the checkout that holds the file at `path` (None: not in one, or no remote)."""
    if not path:
        return None
    return _repository_of_folder(os.path.dirname(os.path.abspath(path)))
