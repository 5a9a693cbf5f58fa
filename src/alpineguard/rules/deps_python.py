"""AG401: Python packages without a musllinux wheel for the image's Python and architecture."""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Optional

from ..config import Settings
from ..deps.common import StageFiles, musl_runs, target_archs
from ..deps.python import PipCall, PyRequirement, PythonDeps
from ..deps.versions import specifier_set, version_greater
from ..deps.wheels import ARCH_PLATFORM
from ..knowledge import newest_supported
from ..knowledge.musl import (ProjectFacts, alpine_pythons, embedded_project, official_python_default,
                              online_project, python_build_facts)
from ..model import Dockerfile, Instruction, Severity, Stage
from ..parsing.apk import installed_packages
from ..record import Record
from .registry import Hit, rule

_COMPILERS = frozenset({"build-base", "gcc", "g++", "clang"})
_LIBC_HEADERS = frozenset({"build-base", "musl-dev", "libc-dev"})
_RUST = frozenset({"cargo", "rust"})
_PYTHON_TAG = re.compile(r"^(?:python)?(\d+)\.(\d+)")
_PYTHON_IN_TAG = re.compile(r"python(\d+)\.(\d+)")


class StagePython(Record, frozen=True):
    """The Python a stage runs: version, and whether it is Alpine's python3."""
    __slots__ = ("version", "system", "how")

    def __init__(self, version: str, system: bool, how: str) -> None:
        self.version = version  # "3.12"
        self.system = system  # Alpine's own python3 (py3-* packages fit it)
        self.how = how  # for messages: "python:3.12-alpine", "Alpine 3.20's python3"


def stage_python(stage: Stage, ins: Instruction, settings: Settings) -> StagePython:
    """CPython minor version a pip command in this stage runs with."""
    root = stage.root
    image, tag = root.image, root.image.tag.lower()
    if image.name == "python" or _PYTHON_IN_TAG.search(tag):
        match = _PYTHON_TAG.match(tag) or _PYTHON_IN_TAG.search(tag)
        version = f"{match.group(1)}.{match.group(2)}" if match else official_python_default()
        return StagePython(version, False, f"{image.name}:{image.tag or 'latest'}")
    branch = stage.alpine_release or newest_supported(settings.as_of).branch
    row = alpine_pythons().get(branch)
    version = str(row["python"]) if row else official_python_default()
    return StagePython(version, True, f"Alpine {branch}'s python3")


class Gap(Record):
    """A requirement that has no musllinux wheel on some architectures."""
    __slots__ = ("requirement", "version", "missing", "no_sdist", "upgrade", "facts")

    def __init__(self, requirement: PyRequirement, version: str, missing: list[str], no_sdist: bool,
                 upgrade: Optional[str], facts: ProjectFacts) -> None:
        self.requirement = requirement
        self.version = version
        self.missing = missing  # architectures without a fitting wheel
        self.no_sdist = no_sdist
        self.upgrade = upgrade  # first release from which every later one has wheels for all targets
        self.facts = facts


def _specifier(requirement: PyRequirement, constraints: dict[str, str]):
    return specifier_set(",".join(filter(None, (requirement.specifier, constraints.get(requirement.name, "")))))


def _marker_applies(requirement: PyRequirement, python: str, arch: str) -> bool:
    if requirement.marker is None:
        return True
    environment = {"python_version": python, "python_full_version": python + ".0", "platform_machine": arch,
                   "sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
                   "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
    try:
        return bool(requirement.marker.evaluate(environment))
    except Exception:  # noqa: BLE001 - an odd marker: assume it applies
        return True


def find_gap(requirement: PyRequirement, call: PipCall, facts: ProjectFacts, python: str,
             archs: list[str]) -> Optional[Gap]:
    spec = _specifier(requirement, call.constraints)
    if spec is None:
        return None
    pinned = [s.version for s in spec if s.operator in ("==", "===") and "*" not in s.version]
    if pinned and not any(facts.knows(v) for v in pinned):
        return None  # a release the data does not know (newer than it, or a typo)
    key = ("candidates", str(spec), python, bool(pinned))
    if key not in facts.memo:
        facts.memo[key] = [v for v in facts.versions if spec.contains(v, prereleases=bool(pinned))
                           and facts.supports_python(v, python)]
    candidates = facts.memo[key]
    if not candidates:
        return None
    missing, chosen = [], None
    for arch in archs:
        if not _marker_applies(requirement, python, arch):
            continue
        pick = candidates[-1]
        if call.prefer_binary or call.only_binary:
            pick = next((v for v in reversed(candidates) if facts.fits(v, python, arch)), pick)
        verdict = facts.fits(pick, python, arch)
        if verdict is False:
            missing.append(arch)
            chosen = chosen or pick
    if not missing:
        return None
    return Gap(requirement, chosen, missing, chosen not in facts.sdists, _upgrade(facts, chosen, python, archs),
               facts)


def _upgrade(facts: ProjectFacts, current: str, python: str, archs: list[str]) -> Optional[str]:
    """The first release after `current` with wheels for every target, if the newest has them too."""
    usable = [v for v in facts.versions if facts.supports_python(v, python)]

    def complete(version: str) -> bool:
        return all(facts.fits(version, python, arch) for arch in archs)

    if not usable or not complete(usable[-1]):
        return None
    return next((v for v in usable if version_greater(v, current) and complete(v)), None)


def _arch_text(missing: list[str], archs: list[str]) -> str:
    if len(missing) == len(archs) and len(archs) > 1:
        return f"any target architecture ({', '.join(missing)})"
    return " and ".join(f"{a} ({ARCH_PLATFORM.get(a, a)})" for a in missing)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _message(gap: Gap, python: StagePython, archs: list[str], toolchain_missing: list[str],
             build: dict) -> tuple[str, Severity]:
    req = gap.requirement
    name = req.name
    where = f" ({req.at.describe()})" if req.at.describe() else ""
    head = f"{name} {gap.version}{where} has no musllinux wheel for CPython {python.version} on " \
           f"{_arch_text(gap.missing, archs)}"
    remedies = []
    if gap.upgrade:
        remedies.append(f"upgrade to {name} {gap.upgrade} or later (musllinux wheels for {_and(archs)})")
    if python.system and build.get("apk"):
        remedies.append(f"use Alpine's package (apk add {build['apk']})")
    if build.get("alternative"):
        remedies.append(f"use {build['alternative']}")
    if gap.no_sdist:
        detail = "and no source distribution: pip cannot install it on musl"
        severity = Severity.ERROR
    else:
        deps = ["build-base", *build.get("build_deps", [])]
        if build.get("rust"):
            deps.append("cargo")
        if python.system:
            deps.append("python3-dev")
        if toolchain_missing:
            verb = "is" if len(toolchain_missing) == 1 else "are"
            detail = f"so pip compiles it from source, but {_and(toolchain_missing)} {verb} not installed at this point"
            severity = Severity.ERROR
        else:
            detail = "so pip compiles it from source (slow; keep the build deps out of the final image)"
            severity = Severity.WARNING
        remedies.append(f"build it with `apk add --no-cache --virtual .build-deps {' '.join(dict.fromkeys(deps))}`"
                        " and `apk del .build-deps` in the same RUN")
    if build.get("note"):
        detail += f" ({build['note']})"
    text = f"{head}, {detail}"
    if remedies:
        text += ": " + "; or ".join(remedies)
    if gap.facts.source != "package index":
        text += f" [{gap.facts.source}]"
    return text, severity


def _toolchain_missing(installed: set[str], python: StagePython, build: dict) -> list[str]:
    missing = []
    if not installed & _COMPILERS and not any(p.startswith("clang") for p in installed):
        missing.append("gcc")
    if not installed & _LIBC_HEADERS:
        missing.append("musl-dev")
    if python.system and "python3-dev" not in installed:
        missing.append("python3-dev")
    if build.get("rust") and not installed & _RUST:
        missing.append("cargo (Rust)")
    return missing


def _facts_for(names: set[str], settings: Settings) -> dict[str, ProjectFacts]:
    facts: dict[str, ProjectFacts] = {}
    if settings.online and names:
        from ..online import shared_registry
        answers = shared_registry().prefetch(python_projects=names)
        for name in names:
            if name in answers.python:
                facts[name] = online_project(name, answers.python[name])
    for name in names - facts.keys():
        embedded = embedded_project(name)
        if embedded is not None:
            if settings.online:
                embedded.source += "; registry look-up failed"
            facts[name] = embedded
    return facts


@rule("AG401", "pip-no-musl-wheel", "warning",
      "A Python package has no musllinux wheel for the image's Python and architecture.",
      triggers=True,
      rationale="""
On Alpine pip can only use musllinux wheels (or pure-Python ones); for anything else it
downloads the source distribution and compiles it: slow, and it fails without a C
compiler and headers (and Rust for maturin / setuptools-rust projects). A package with
no musl wheel and no sdist (torch, tensorflow) cannot be installed with pip at all.

Sources read: `pip` / `pip3` / `python -m pip` / `uv pip` install and wheel arguments,
`-r` / `-c` files with their nested includes, `pip install .` / `-e .` (pyproject.toml
`[project.dependencies]` and extras), `poetry install` (poetry.lock), `pipenv install`
(Pipfile.lock), `uv sync` (uv.lock). A file counts when the Dockerfile copies it into
the stage from the build context (`--context`, default the Dockerfile's folder,
`.dockerignore` honoured) before the command. Paths, URLs and local wheels are not
looked up; `--no-index` or `--find-links <folder>` means wheels built in another
stage, which is not a finding. Plain `pip install` arguments count only as the
packages they name (their own dependencies are known only from lock files).

The finding points at the Dockerfile word that brings the package in (the argument,
the `-r` file name, the `.`, or the `install`/`sync` word for lock files); the message
names the file and line that declares it. Findings stay in the Dockerfile so that
inline pragmas, fixes and diff filtering work the same as for every other rule.

Python version: `python:3.12-alpine` is CPython 3.12; `alpine` with `apk add python3`
uses that Alpine release's python3. Architectures: `FROM --platform`, else
`--platform` (default linux/amd64 and linux/arm64); an architecture only one of them
lacks is named. Error when no compiler and headers (gcc, musl-dev; python3-dev for
Alpine's python3; cargo for Rust builds) are installed at that point, earlier in the
same RUN or in the stage or its ancestors; warning otherwise. `pip wheel` in a stage
that has the compiler is the deliberate way to build wheels: only errors there.
Offline the embedded data answers for the packages it holds (about 100 with native
code); `--online` asks the configured index about every package.""",
      bad="FROM python:3.12-alpine\nRUN pip install psycopg2==2.9.9",
      good="FROM python:3.12-alpine\nRUN pip install psycopg2-binary==2.9.9",
      fix="Upgrade to a release with musllinux wheels, use Alpine's py3-* package with Alpine's python3, or "
          "install the build deps in a virtual package and delete it in the same RUN.")
def pip_no_musl_wheel(df: Dockerfile, settings: Settings) -> Iterator[Hit]:
    files = StageFiles(df)
    reader = PythonDeps(files)
    found: list[tuple[Stage, Instruction, PipCall]] = []
    for stage, ins, command in musl_runs(df):
        call = reader.calls(stage, ins, command)
        if call is not None and call.requirements and not call.local_wheels:
            found.append((stage, ins, call))
    if not found:
        return
    names = {r.name for _, _, call in found for r in call.requirements}
    facts = _facts_for(names, settings)
    build_facts = python_build_facts()
    for stage, ins, call in found:
        python = stage_python(stage, ins, settings)
        archs = target_archs(stage, settings)
        installed = installed_packages(stage, before=ins, before_command=call.command)
        seen: set[str] = set()
        for requirement in call.requirements:
            project = facts.get(requirement.name)
            if project is None or requirement.name in seen:
                continue
            gap = find_gap(requirement, call, project, python.version, archs)
            if gap is None:
                continue
            seen.add(requirement.name)
            build = build_facts.get(requirement.name, {})
            missing_tools = _toolchain_missing(installed, python, build)
            message, severity = _message(gap, python, archs, missing_tools, build)
            if severity is Severity.WARNING and call.builds_wheels:
                continue
            yield Hit.at(requirement.at.word, message, severity=severity)
