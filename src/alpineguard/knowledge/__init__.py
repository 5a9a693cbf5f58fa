"""Embedded knowledge shipped as data files in the package, loaded once on first use.

The YAML files are the source of truth. Importing a YAML parser costs more start-up
time than checking a Dockerfile, so each file's parsed content is also kept as JSON in
the user's cache folder, keyed by the package version and the YAML file's size and
modification time (as Python keys its bytecode cache: reading and hashing the largest
file would cost half a millisecond on every run; the version guards against installers
that give every release's files the same timestamp): a changed file is parsed again, and
a cache that cannot be read or written is simply not used.
"""
from __future__ import annotations

import datetime as dt
import json
import os
from functools import lru_cache
from collections.abc import Mapping

from .. import __version__
from ..record import Record

_HERE = os.path.dirname(os.path.abspath(__file__))
_CACHE_FORMAT = 2


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
    _write(path, text.encode("utf-8"))


def _write(path: str, content: bytes) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except OSError:
        pass  # a read-only or missing home folder only costs speed


class ReadOnly(Mapping):
    """A read-only view of a parsed mapping; what it holds is read-only when read (lists as
    tuples). Lazy, as freezing every entry of a large data file up front costs start-up;
    each entry is frozen once, as rules read the same entries for every command."""
    __slots__ = ("_data", "_frozen")

    def __init__(self, data: dict) -> None:
        self._data = data
        self._frozen: dict = {}

    def __getitem__(self, key):
        if key not in self._frozen:
            self._frozen[key] = frozen(self._data[key])
        return self._frozen[key]

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


def _read_yaml_through_cache(name: str, suffix: str, read_cache, write_cache):
    """`read_cache(path)` of the cached form of data file `name`, else the parsed YAML,
    stored with `write_cache(path, data)` for the next run."""
    source = os.path.join(_HERE, name)
    stat = os.stat(source)
    cached = os.path.join(cache_dir(), "knowledge",
                          f"{name}.{_CACHE_FORMAT}-{__version__}-{stat.st_size}-{stat.st_mtime_ns}.{suffix}")
    try:
        return read_cache(cached)
    except (OSError, ValueError, TypeError, KeyError):  # missing, or damaged: parse the YAML again
        pass
    with open(source, "rb") as handle:
        data = _parse_yaml(handle.read())
    write_cache(cached, data)
    return data


def _read_json(path: str):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle, object_hook=_decode)


def load_data(name: str):
    """Parse one of the package's YAML data files (safe loader only), through the cache;
    the answer is read-only (see `frozen`)."""
    return frozen(_read_yaml_through_cache(name, "json", _read_json, _store))


class _Table(Mapping):
    """A large mapping of a data file, each entry read and decoded from the cache when
    first asked for: a check looks up a few entries, and decoding them all costs more than
    the check."""
    __slots__ = ("_path", "_base", "_spans", "_decoded")  # frozen() passes a _Table through: it is read-only

    def __init__(self, path: str, base: int, spans: dict[str, list[int]]) -> None:
        self._path = path
        self._base = base  # where the entries start in the cache file
        self._spans = spans  # key -> [start, end] of its JSON, from `base`
        self._decoded: dict = {}

    def __getitem__(self, key):
        if key not in self._decoded:
            start, end = self._spans[key]
            with open(self._path, "rb") as handle:
                handle.seek(self._base + start)
                encoded = handle.read(end - start)
            self._decoded[key] = frozen(json.loads(encoded, object_hook=_decode))
        return self._decoded[key]

    def __iter__(self):
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


def _store_table(table: str):
    def store(path: str, data) -> None:
        """A JSON header line (the file without the table, and where each entry's JSON
        lies after the header), then the entries' JSON, one after the other."""
        entries, spans, offset = [], {}, 0
        try:
            for key, entry in (data.get(table) or {}).items():
                encoded = json.dumps(entry, default=_encode).encode("utf-8")
                if json.loads(encoded, object_hook=_decode) != entry:
                    return  # JSON would change it: do not cache
                spans[key] = [offset, offset + len(encoded)]
                offset += len(encoded)
                entries.append(encoded)
            rest = {k: v for k, v in data.items() if k != table}
            header = json.dumps({"rest": rest, "spans": spans}, default=_encode).encode("utf-8")
            if json.loads(header, object_hook=_decode)["rest"] != rest:
                return
        except (TypeError, ValueError):
            return
        _write(path, header + b"\n" + b"".join(entries))
    return store


def _read_table(table: str):
    def read(path: str):
        with open(path, "rb") as handle:
            header = json.loads(handle.readline(), object_hook=_decode)
            base = handle.tell()
            size = os.fstat(handle.fileno()).st_size
        spans = header["spans"]
        if base + max((end for _, end in spans.values()), default=0) != size:
            raise ValueError(f"{path}: damaged")  # read the YAML instead
        return {**header["rest"], table: _Table(path, base, spans)}
    return read


def load_table(name: str, table: str) -> Mapping:
    """A data file like `load_data`, whose mapping `table` is read entry by entry from the cache."""
    return frozen(_read_yaml_through_cache(name, "table", _read_table(table), _store_table(table)))


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


def release_info(branch: str) -> AlpineRelease | None:
    return next((r for r in alpine_releases() if r.branch == branch), None)


def newest_supported(as_of: dt.date) -> AlpineRelease:
    """The newest branch already released on `as_of` (the table is in release order)."""
    released = [r for r in alpine_releases() if r.released <= as_of]
    return released[-1] if released else alpine_releases()[0]


def is_end_of_life(branch: str, as_of: dt.date) -> bool | None:
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
