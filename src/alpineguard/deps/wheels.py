"""Which distribution files of a Python package install on musl without compiling.

A file list (names from a package index) is summarised per release: is there an sdist,
and for which CPython minor versions and architectures is there a wheel that pip on
Alpine accepts (a `musllinux_*_<arch>` wheel or a pure `none-any` one).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from ..record import Record

# Architectures as `uname -m` / wheel tags name them, from Docker platforms.
PLATFORM_ARCH = {
    "linux/amd64": "x86_64", "linux/x86_64": "x86_64", "linux/arm64": "aarch64", "linux/arm64/v8": "aarch64",
    "linux/aarch64": "aarch64", "linux/arm/v7": "armv7l", "linux/arm/v6": "armv6l", "linux/386": "i686",
    "linux/ppc64le": "ppc64le", "linux/s390x": "s390x", "linux/riscv64": "riscv64",
}
ARCH_PLATFORM = {"x86_64": "linux/amd64", "aarch64": "linux/arm64", "armv7l": "linux/arm/v7",
                 "i686": "linux/386", "ppc64le": "linux/ppc64le", "s390x": "linux/s390x", "riscv64": "linux/riscv64"}
KNOWN_ARCHS = ("x86_64", "aarch64")  # the architectures the embedded data covers
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")

_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz")


def normalize(name: str) -> str:
    """PEP 503 project name normalisation."""
    return re.sub(r"[-_.]+", "-", name).lower()


class Wheel(Record, frozen=True):
    """A wheel's Python, ABI and platform tags, as the data records them."""
    __slots__ = ("name", "version", "tags")

    def __init__(self, name: str, version: str, tags: frozenset[tuple[str, str, str]]) -> None:
        self.name = name
        self.version = version
        self.tags = tags  # (python, abi, platform)


def parse_wheel(filename: str) -> Wheel | None:
    if not filename.endswith(".whl"):
        return None
    parts = filename[:-4].split("-")
    if len(parts) not in (5, 6):
        return None
    name, version, pythons, abis, platforms = parts[0], parts[1], parts[-3], parts[-2], parts[-1]
    tags = frozenset((p, a, pl) for p in pythons.split(".") for a in abis.split(".") for pl in platforms.split("."))
    return Wheel(name, version, tags)


def sdist_version(filename: str, project: str) -> str | None:
    """`numpy-1.26.4.tar.gz` -> `1.26.4` (for the project `numpy`)."""
    for suffix in _SDIST_SUFFIXES:
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            name, sep, version = stem.rpartition("-")
            if sep and normalize(name) == normalize(project):
                return version
    return None


def _python_ok(python_tag: str, abi: str, python: str) -> bool:
    major, minor = (int(x) for x in python.split("."))
    match = re.fullmatch(r"(cp|py)(\d)(\d*)", python_tag)
    if not match:
        return False
    kind, tag_major, tag_minor = match.group(1), int(match.group(2)), match.group(3)
    if tag_major != major:
        return False
    if kind == "py":
        return abi == "none" and (not tag_minor or int(tag_minor) <= minor)
    if not tag_minor:
        return False
    if abi == "abi3":
        return int(tag_minor) <= minor
    return int(tag_minor) == minor and abi in (f"cp{major}{minor}", f"cp{major}{minor}m", "none")


def _platform_ok(platform: str, arch: str) -> bool:
    return platform == "any" or (platform.startswith("musllinux_") and platform.endswith("_" + arch))


def wheel_fits(wheel: Wheel, python: str, arch: str) -> bool:
    """pip on Alpine (CPython `python`, `arch`) installs this wheel as is."""
    return any(_python_ok(p, a, python) and _platform_ok(pl, arch) for p, a, pl in wheel.tags)


class Release(Record):
    """One release of a distribution: its wheels, whether it has a source archive, and
    whether it is yanked (every file withdrawn: pip takes it only for an exact pin)."""
    __slots__ = ("version", "sdist", "wheels", "requires_python", "yanked")

    def __init__(self, version: str, sdist: bool = False, wheels: list[Wheel] | None = None,
                 requires_python: str = "", yanked: bool = True) -> None:
        self.version = version
        self.sdist = sdist
        self.wheels = [] if wheels is None else wheels
        self.requires_python = requires_python
        self.yanked = yanked

    def fits(self, python: str, arch: str) -> bool:
        return any(wheel_fits(w, python, arch) for w in self.wheels)

    def pure(self) -> bool:
        return any(pl == "any" for w in self.wheels for _, _, pl in w.tags)


def releases_from_files(project: str, files: Iterable[tuple]) -> dict[str, Release]:
    """Group an index's (file name, requires-python[, yanked]) entries by release version."""
    releases: dict[str, Release] = {}
    for filename, requires_python, *rest in files:
        wheel = parse_wheel(filename)
        version = wheel.version if wheel is not None else sdist_version(filename, project)
        if version is None:
            continue
        release = releases.setdefault(version, Release(version))
        if wheel is not None:
            release.wheels.append(wheel)
        else:
            release.sdist = True
        if requires_python and not release.requires_python:
            release.requires_python = requires_python
        release.yanked = release.yanked and bool(rest and rest[0])
    return releases


def musl_relevant(project: str, filename: str) -> bool:
    """Sdists and wheels that could install on musl: all a musl question needs to keep."""
    wheel = parse_wheel(filename)
    if wheel is not None:
        return normalize(wheel.name) == normalize(project) and any(
            pl == "any" or pl.startswith("musllinux_") for _, _, pl in wheel.tags)
    return sdist_version(filename, project) is not None
