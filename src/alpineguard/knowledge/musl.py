"""musl facts about dependencies: embedded data files, or registry answers in the same shape."""
from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType
from collections.abc import Mapping
from collections.abc import Iterable

from . import load_data, load_table
from ..deps.versions import specifier_set
from ..deps.wheels import Release, normalize, releases_from_files


def encode_ranges(order: list[str], members: set[str]) -> str:
    """`1.0..1.4,2.0`: the members of `order` as runs of consecutive entries."""
    runs, start, previous = [], None, None
    for version in order + [None]:
        if version is not None and version in members:
            start = start or version
            previous = version
            continue
        if start is not None:
            runs.append(start if start == previous else f"{start}..{previous}")
            start = None
    return ",".join(runs)


def decode_ranges(order: list[str], text: str) -> set[str]:
    position = {v: i for i, v in enumerate(order)}
    members: set[str] = set()
    for run in filter(None, (text or "").split(",")):
        first, _, last = run.partition("..")
        if first in position:
            members.update(order[position[first]:position[last or first] + 1])
    return members


class ProjectFacts:
    """What is known about one Python project's files, whatever the source. Immutable once
    made, as it serves every file of a run: nothing a rule works out is kept here (see
    lintcontext.RunContext), and equal facts are the same object."""
    __slots__ = ("name", "versions", "sdists", "wheels", "requires_python", "source", "releases", "yanked",
                 "older_fit")

    def __init__(self, name: str, versions: list[str], sdists: set[str], wheels: dict[tuple[str, str], set[str]],
                 requires_python: dict[str, str], source: str,
                 releases: dict[str, Release] | None = None, yanked: frozenset[str] = frozenset(),
                 older_fit: dict[tuple[str, str], str] | None = None) -> None:
        set_field = object.__setattr__
        set_field(self, "name", name)
        set_field(self, "versions", tuple(versions))  # oldest first
        set_field(self, "sdists", frozenset(sdists))
        # (python, arch) -> versions with a fitting wheel
        set_field(self, "wheels", MappingProxyType({key: frozenset(v) for key, v in wheels.items()}))
        set_field(self, "requires_python", MappingProxyType(dict(requires_python)))  # version -> specifier
        set_field(self, "source", source)
        # online answers: exact for any arch
        set_field(self, "releases", MappingProxyType(dict(releases or {})))
        set_field(self, "yanked", frozenset(yanked))  # pip installs these only for an exact pin
        # (python, arch) -> the newest release older than `versions` with a fitting wheel ("none": no
        # older release has one); absent: not known
        set_field(self, "older_fit", MappingProxyType(dict(older_fit or {})))

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError(f"ProjectFacts are shared by every file of a run and cannot change ({name})")

    def __repr__(self) -> str:
        return f"ProjectFacts({self.name!r}, {len(self.versions)} releases, source={self.source!r})"

    @property
    def complete(self) -> bool:
        """The facts list every release (a registry answer), not a window of the newest."""
        return bool(self.releases)

    def fits(self, version: str, python: str, arch: str) -> bool | None:
        if self.releases:
            release = self.releases.get(version)
            return None if release is None else release.fits(python, arch)
        members = self.wheels.get((python, arch))
        return None if members is None else version in members

    def supports_python(self, version: str, python: str) -> bool:
        spec = self.requires_python.get(version)
        return True if not spec else _allows_python(spec, python)


@lru_cache(maxsize=1024)  # a pure function of two strings; a few dozen specifiers recur everywhere
def _allows_python(spec: str, python: str) -> bool:
    specifiers = specifier_set(spec)
    return True if specifiers is None else specifiers.contains(python + ".50", prereleases=True)


@lru_cache(maxsize=1)
def _wheel_data() -> Mapping:
    """The generated wheel facts; `packages` is keyed by normalized project name."""
    return load_table("musl_python_wheels.yaml", "packages")


@lru_cache(maxsize=1)
def python_build_facts() -> dict[str, dict]:
    """Hand-kept build facts per project (apk build deps, Rust, Alpine package)."""
    packages = load_data("musl_python.yaml")["packages"]
    return MappingProxyType({normalize(name): entry for name, entry in packages.items()})


@lru_cache(maxsize=512)
def embedded_project(name: str) -> ProjectFacts | None:
    entry = _wheel_data()["packages"].get(normalize(name))
    if entry is None:
        return None
    order = entry["releases"].split()
    wheels = {}
    for python, per_arch in (entry.get("wheels") or {}).items():
        for arch, ranges in per_arch.items():
            wheels[(str(python), arch)] = decode_ranges(order, ranges)
    requires = {}
    for spec, ranges in (entry.get("requires_python") or {}).items():
        for version in decode_ranges(order, ranges):
            requires[version] = spec
    return ProjectFacts(normalize(name), order, decode_ranges(order, entry.get("sdist", "")), wheels, requires,
                        f"embedded data of {_wheel_data()['generated']}",
                        yanked=frozenset(decode_ranges(order, entry.get("yanked", ""))),
                        older_fit={(str(python), arch): str(version)
                                   for python, per_arch in (entry.get("older_fit") or {}).items()
                                   for arch, version in per_arch.items()})


def online_project(name: str, files: Iterable) -> ProjectFacts:
    """Facts from a registry's file list ((file name, requires-python) pairs)."""
    from packaging.version import InvalidVersion, Version
    releases = {}
    for version, release in releases_from_files(name, [tuple(f) for f in files]).items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        releases[str(parsed)] = release
    order = sorted(releases, key=Version)
    return ProjectFacts(normalize(name), order, {v for v in order if releases[v].sdist}, {},
                        {v: r.requires_python for v, r in releases.items() if r.requires_python},
                        "package index", releases, frozenset(v for v in order if releases[v].yanked))


@lru_cache(maxsize=1)
def alpine_pythons() -> dict[str, dict]:
    """Alpine branch -> {"python": "3.12", "unverified": bool} for its python3 package."""
    return MappingProxyType({str(row["branch"]): row for row in load_data("alpine_python.yaml")["releases"]})


@lru_cache(maxsize=1)
def official_python_default() -> str:
    """The CPython minor of `python:alpine` / `python:3-alpine` on the data's date."""
    return str(load_data("alpine_python.yaml")["python_image_latest"])


@lru_cache(maxsize=1)
def node_facts() -> dict[str, dict]:
    """npm package -> facts kept by hand (musl_node.yaml)."""
    return load_data("musl_node.yaml")["packages"]


@lru_cache(maxsize=1)
def scanned_node_facts() -> Mapping:
    """npm package -> facts read from the registry's files by tools/scan_npm_native.py, for
    the releases the hand-kept facts say nothing of; read entry by entry."""
    return load_table("musl_node_scanned.yaml", "packages")["packages"]


@lru_cache(maxsize=1)
def go_facts() -> dict:
    return load_data("musl_go.yaml")


@lru_cache(maxsize=1)
def download_facts() -> dict:
    return load_data("glibc_downloads.yaml")
