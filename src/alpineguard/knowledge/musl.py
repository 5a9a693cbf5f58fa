"""musl facts about dependencies: embedded data files, or registry answers in the same shape."""
from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Optional

from . import load_data
from ..deps.versions import specifier_set
from ..deps.wheels import Release, normalize, releases_from_files
from ..record import Record


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


class ProjectFacts(Record):
    """What is known about one Python project's files, whatever the source."""
    __slots__ = ("name", "versions", "sdists", "wheels", "requires_python", "source", "releases", "yanked",
                 "older_fit", "memo")
    _unequal = ("memo",)
    _hidden = ("memo",)

    def __init__(self, name: str, versions: list[str], sdists: set[str], wheels: dict[tuple[str, str], set[str]],
                 requires_python: dict[str, str], source: str,
                 releases: Optional[dict[str, Release]] = None, yanked: frozenset[str] = frozenset(),
                 older_fit: Optional[dict[tuple[str, str], str]] = None) -> None:
        self.name = name
        self.versions = versions  # oldest first
        self.sdists = sdists
        self.wheels = wheels  # (python, arch) -> versions with a fitting wheel
        self.requires_python = requires_python  # version -> specifier
        self.source = source
        self.releases = {} if releases is None else releases  # online answers: exact for any arch
        self.yanked = yanked  # pip installs these only for an exact pin
        # (python, arch) -> the newest release older than `versions` with a fitting wheel ("none": no
        # older release has one); absent: not known
        self.older_fit = {} if older_fit is None else older_fit
        # Answers worked out from the facts, kept: the same requirements recur in every file.
        self.memo: dict = {}

    @property
    def complete(self) -> bool:
        """The facts list every release (a registry answer), not a window of the newest."""
        return bool(self.releases)

    def fits(self, version: str, python: str, arch: str) -> Optional[bool]:
        if self.releases:
            release = self.releases.get(version)
            return None if release is None else release.fits(python, arch)
        members = self.wheels.get((python, arch))
        return None if members is None else version in members

    def supports_python(self, version: str, python: str) -> bool:
        spec = self.requires_python.get(version)
        if not spec:
            return True
        key = ("requires-python", spec, python)
        if key not in self.memo:
            specifiers = specifier_set(spec)
            self.memo[key] = True if specifiers is None else specifiers.contains(python + ".50", prereleases=True)
        return self.memo[key]


def _embedded_projects() -> dict:
    return load_data("musl_python_wheels.yaml")


@lru_cache(maxsize=1)
def _wheel_data() -> dict:
    data = _embedded_projects()
    return {normalize(name): entry for name, entry in (data.get("packages") or {}).items()} | {
        "__meta__": {"generated": str(data.get("generated", "")), "pythons": data.get("pythons", [])}}


@lru_cache(maxsize=1)
def python_build_facts() -> dict[str, dict]:
    """Hand-kept build facts per project (apk build deps, Rust, Alpine package)."""
    return {normalize(name): entry for name, entry in load_data("musl_python.yaml")["packages"].items()}


@lru_cache(maxsize=512)
def embedded_project(name: str) -> Optional[ProjectFacts]:
    entry = _wheel_data().get(normalize(name))
    if entry is None:
        return None
    meta = _wheel_data()["__meta__"]
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
                        f"embedded data of {meta['generated']}",
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
    return {str(row["branch"]): row for row in load_data("alpine_python.yaml")["releases"]}


@lru_cache(maxsize=1)
def official_python_default() -> str:
    """The CPython minor of `python:alpine` / `python:3-alpine` on the data's date."""
    return str(load_data("alpine_python.yaml")["python_image_latest"])


@lru_cache(maxsize=1)
def node_facts() -> dict[str, dict]:
    return load_data("musl_node.yaml")["packages"]


@lru_cache(maxsize=1)
def go_facts() -> dict:
    return load_data("musl_go.yaml")


@lru_cache(maxsize=1)
def download_facts() -> dict:
    return load_data("glibc_downloads.yaml")
