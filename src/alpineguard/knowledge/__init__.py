"""Embedded knowledge shipped as data files in the package, loaded once on first use.

The YAML files are the source of truth. Importing a YAML parser costs more start-up
time than checking a Dockerfile, so each file's parsed content is also kept as JSON in
the user's cache folder, keyed by a checksum of the YAML bytes: a changed file is
parsed again, and a cache that cannot be read or written is simply not used.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import zlib
from functools import lru_cache
from collections.abc import Mapping
from typing import Optional

from ..record import Record

_HERE = os.path.dirname(os.path.abspath(__file__))
_CACHE_FORMAT = 1


def cache_dir() -> str:
    """Where alpineguard keeps derived data: $ALPINEGUARD_CACHE_DIR, else the XDG cache folder."""
    explicit = os.environ.get("ALPINEGUARD_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "alpineguard")


def _encode(value):
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return {"$date": value.isoformat()}
    raise TypeError(f"{type(value).__name__} has no JSON form")


def _decode(mapping: dict):
    if len(mapping) == 1 and "$date" in mapping:
        return dt.date.fromisoformat(mapping["$date"])
    return mapping


def _parse_yaml(raw: bytes):
    import yaml  # only on a cache miss: the import alone costs more than a check
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(raw.decode("utf-8"), Loader=loader)  # noqa: S506 - a safe loader


def _store(path: str, data) -> None:
    try:
        text = json.dumps(data, default=_encode)
    except (TypeError, ValueError):
        return  # not representable as JSON: parse the YAML every time
    if json.loads(text, object_hook=_decode) != data:
        return  # JSON would change it (non-string keys, ...): do not cache
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only or missing home folder only costs speed


class ReadOnly(Mapping):
    """A read-only view of a parsed mapping; what it holds is read-only when read (lists as
    tuples). Lazy, as freezing every entry of a large data file up front costs start-up."""
    __slots__ = ("_data",)

    def __init__(self, data: dict) -> None:
        self._data = data

    def __getitem__(self, key):
        return frozen(self._data[key])

    def __iter__(self):
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"ReadOnly({self._data!r})"


def frozen(value):
    """`value` read-only: knowledge serves every file of a run, so nothing may change it."""
    if isinstance(value, dict):
        return ReadOnly(value)
    if isinstance(value, list):
        return tuple(frozen(item) for item in value)
    return value


def load_data(name: str):
    """Parse one of the package's YAML data files (safe loader only), through the cache;
    the answer is read-only (see `frozen`)."""
    with open(os.path.join(_HERE, name), "rb") as handle:
        raw = handle.read()
    cached = os.path.join(cache_dir(), "knowledge",
                          f"{name}.{_CACHE_FORMAT}-{zlib.crc32(raw):08x}-{len(raw)}.json")
    try:
        with open(cached, encoding="utf-8") as handle:
            return frozen(json.load(handle, object_hook=_decode))
    except (OSError, ValueError, TypeError):  # missing, or damaged: parse the YAML again
        pass
    data = _parse_yaml(raw)
    _store(cached, data)
    return frozen(data)


class AlpineRelease(Record, frozen=True):
    """One Alpine stable branch with its release and end-of-support dates."""
    __slots__ = ("branch", "released", "eol", "unverified")

    def __init__(self, branch: str, released: dt.date, eol: dt.date, unverified: bool = False) -> None:
        self.branch = branch
        self.released = released
        self.eol = eol
        self.unverified = unverified

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
