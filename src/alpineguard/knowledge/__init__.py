"""Embedded knowledge shipped as data files in the package, loaded once on first use."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Optional

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data(name: str):
    """Parse one of the package's YAML data files (safe loader only)."""
    with resources.files(__name__).joinpath(name).open("r", encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader


@dataclass(frozen=True)
class AlpineRelease:
    branch: str
    released: dt.date
    eol: dt.date
    unverified: bool = False

    @property
    def key(self) -> tuple[int, int]:
        return branch_key(self.branch)


def branch_key(branch: str) -> tuple[int, int]:
    major, _, minor = branch.partition(".")
    return int(major), int(minor or 0)


@lru_cache(maxsize=1)
def alpine_releases() -> tuple[AlpineRelease, ...]:
    rows = load_data("alpine_releases.yaml")["releases"]
    releases = [AlpineRelease(str(r["branch"]), r["released"], r["eol"], bool(r.get("unverified")))
                for r in rows]
    return tuple(sorted(releases, key=lambda r: r.key))


def release_info(branch: str) -> Optional[AlpineRelease]:
    return next((r for r in alpine_releases() if r.branch == branch), None)


def newest_supported(as_of: dt.date) -> AlpineRelease:
    """The newest branch already released on `as_of` (the table is in release order)."""
    released = [r for r in alpine_releases() if r.released <= as_of]
    return released[-1] if released else alpine_releases()[0]


def is_end_of_life(branch: str, as_of: dt.date) -> Optional[bool]:
    """True past end of support; None for a branch newer than the table knows."""
    info = release_info(branch)
    if info is not None:
        return as_of > info.eol
    oldest = alpine_releases()[0]
    if branch_key(branch) < oldest.key:
        return True
    return None


@lru_cache(maxsize=1)
def image_lists() -> dict:
    return load_data("images.yaml")
