"""AG401: Python packages without a musllinux wheel for the image's Python and architecture."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..config import Settings
from ..deps.common import StageFiles, musl_runs, target_archs
from ..deps.python import PipCall, PyRequirement, PythonDeps
from ..deps.versions import entirely_above, entirely_below, specifier_set, version_greater
from ..deps.wheels import ARCH_PLATFORM, PYTHONS
from ..knowledge import branch_key, newest_supported
from ..knowledge.musl import (ProjectFacts, alpine_pythons, embedded_project, official_python_default,
                              online_project, python_build_facts)
from ..lintcontext import FileContext, RunContext
from ..model import Dockerfile, Instruction, Severity, Stage
from ..parsing.apk import installed_packages
from ..record import Record
from .registry import Hit, rule
from ..patterns import LazyPattern

_COMPILERS = frozenset({"build-base", "gcc", "g++", "clang"})
_LIBC_HEADERS = frozenset({"build-base", "musl-dev", "libc-dev"})
_RUST = frozenset({"cargo", "rust"})
_PYTHON_TAG = LazyPattern(r"^(?:python)?(\d+)\.(\d+)")
_PYTHON_IN_TAG = LazyPattern(r"python(\d+)\.(\d+)")
_PYTHON2_IMAGE = LazyPattern(r"(python-?|py)2(\D|$)")


class StagePython(Record, frozen=True):
    """The Python a stage runs, as far as the Dockerfile tells."""
    __slots__ = ("version", "system", "how", "known_base")

    def __init__(self, version: str | None, system: bool, how: str, known_base: bool) -> None:
        self.version = version  # "3.12"; "2.7" for Python 2; None: not known
        self.system = system  # Alpine's own python3 (py3-* packages fit it)
        self.how = how  # for messages: "python:3.12-alpine", "Alpine 3.20's python3"
        self.known_base = known_base  # the base's contents are known (alpine, official images)

    @property
    def label(self) -> str:
        """Names the interpreter only as precisely as it is known."""
        if self.version is None:
            return "the image's Python"
        return "Python 2" if self.version.startswith("2") else f"CPython {self.version}"


def _official(image) -> bool:
    """An image of the official library (`alpine`, `python`, `library/node`): contents known."""
    return image.registry in ("", "docker.io", "index.docker.io") and (
        "/" not in image.path or image.path.startswith("library/"))


def _python2_stage(image, command_name: str, installed: frozenset[str], branch: str | None) -> bool:
    """pip2 / python2, a base named for Python 2, or Python 2 packages (python2, py2-*;
    `python` and `py-pip` before Alpine 3.12)."""
    if command_name in ("pip2", "python2") or command_name.startswith(("pip2.", "python2.")):
        return True
    if command_name.startswith(("pip3", "python3")):
        return False
    if _PYTHON2_IMAGE.search(f"{image.path}:{image.tag}".lower()):
        return True
    if "python3" in installed or any(p.startswith("py3-") for p in installed):
        return False
    old_names = branch is not None and branch_key(branch) < (3, 12)
    return "python2" in installed or any(p.startswith("py2-") for p in installed) or (
        old_names and bool({"python", "py-pip"} & installed))


def stage_python(stage: Stage, ins: Instruction, settings: Settings, command_name: str = "pip",
                 installed: frozenset[str] = frozenset()) -> StagePython:
    """The Python a pip command in this stage runs with: from the image tag, Python 2
    packages, or the python3 package of the stage's Alpine release."""
    image = stage.root.image
    tag = image.tag.lower()
    official = _official(image)
    named = f"{image.path}:{image.tag or 'latest'}"
    # an official image's floating tag (alpine, node:22-alpine) follows the newest Alpine
    branch = stage.alpine_release or (newest_supported(settings.as_of).branch if official else None)
    if image.name == "python" or _PYTHON_IN_TAG.search(tag):
        match = _PYTHON_TAG.match(tag) or _PYTHON_IN_TAG.search(tag)
        if match:
            version = f"{match.group(1)}.{match.group(2)}"
        elif re.match(r"^2(\D|$)", tag):
            version = "2.7"
        elif official and (not tag or tag.startswith(("alpine", "3-", "3.")) or tag == "3"):
            version = official_python_default()
        else:
            version = None
        return StagePython(version, False, named, official)
    if _python2_stage(image, command_name, installed, branch):
        return StagePython("2.7", False, "Python 2", official)
    row = alpine_pythons().get(branch) if branch else None
    if row is None:
        return StagePython(None, True, named, official)
    return StagePython(str(row["python"]), True, f"Alpine {branch}'s python3", official)


class Gap(Record):
    """A requirement that has no musllinux wheel on some architectures."""
    __slots__ = ("requirement", "version", "missing", "no_sdist", "upgrade", "facts", "older")

    def __init__(self, requirement: PyRequirement, version: str, missing: list[str], no_sdist: bool,
                 upgrade: str | None, facts: ProjectFacts, older: str = "") -> None:
        self.requirement = requirement
        self.version = version  # the release, or the specifier when it selects releases older than the data
        self.missing = missing  # architectures without a fitting wheel
        self.no_sdist = no_sdist
        self.upgrade = upgrade  # first release from which every later one has wheels for all targets
        self.facts = facts
        self.older = older  # why a release older than the embedded data has no wheel, else ""


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


def _exact(spec) -> str | None:
    """The version an `==` / `===` clause pins (not a wildcard), as written."""
    return next((s.version for s in spec if s.operator in ("==", "===") and "*" not in s.version), None)


def _candidates(facts: ProjectFacts, spec_text: str, python: str, exact: bool) -> list[str]:
    """The releases a specifier allows that support the image's Python, oldest first: pip
    takes a yanked release only for an exact pin, and pre-releases only when pinned."""
    spec = specifier_set(spec_text)
    return [v for v in facts.versions if (exact or v not in facts.yanked)
            and spec.contains(v, prereleases=exact) and facts.supports_python(v, python)]


def find_gap(requirement: PyRequirement, call: PipCall, facts: ProjectFacts, python: str,
             archs: list[str], run: RunContext | None = None) -> Gap | None:
    """The architectures whose wheel pip misses for `requirement`; `run` keeps what other
    files of the run ask again (a fresh one when not given)."""
    run = run or RunContext()
    spec = _specifier(requirement, call.constraints)
    if spec is None:
        return None
    # The same requirements recur in every file of a run: work the candidates out once.
    candidates = run.remembered(_candidates, facts, str(spec), python, _exact(spec) is not None)
    if not candidates:
        return None if facts.complete else _older_gap(requirement, spec, facts, python, archs)
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


def _gap_on_every_python(requirement: PyRequirement, call: PipCall, facts: ProjectFacts,
                         archs: list[str], run: RunContext) -> Gap | None:
    """For a stage whose Python is not known: a gap only if every CPython the data covers has it."""
    gaps = [find_gap(requirement, call, facts, python, archs, run) for python in PYTHONS]
    if not all(gaps) or len({(tuple(g.missing), g.no_sdist) for g in gaps}) != 1:
        return None
    return gaps[-1]


def _older_gap(requirement: PyRequirement, spec, facts: ProjectFacts, python: str,
               archs: list[str]) -> Gap | None:
    """A requirement that selects releases older than the embedded window. The data keeps,
    per Python and architecture, the newest run of older releases with a fitting wheel:
    releases after it have none, and (wheels appear at some release and stay) neither do
    releases before it."""
    if not facts.versions:
        return None
    clauses = [(s.operator, s.version) for s in spec]
    oldest = facts.versions[0]
    if not any(entirely_below(op, version, oldest) for op, version in clauses):
        return None
    missing, reasons = [], []
    for arch in archs:
        run = facts.older_fit.get((python, arch))
        if run is None or not _marker_applies(requirement, python, arch):
            continue
        first, _, last = run.partition("..")
        if run == "none":
            reasons.append(f"no release before {oldest} has one")
        elif any(entirely_above(op, version, last) for op, version in clauses):
            reasons.append(f"the last older release with one is {last}")
        elif any(entirely_below(op, version, first) for op, version in clauses):
            reasons.append(f"its musllinux wheels for CPython {python} start at {first}")
        else:
            continue
        missing.append(arch)
    if not missing:
        return None
    return Gap(requirement, _exact(spec) or str(spec), missing, not facts.sdists,
               _upgrade(facts, None, python, archs), facts, older="; ".join(dict.fromkeys(reasons)))


def _upgrade(facts: ProjectFacts, current: str | None, python: str, archs: list[str]) -> str | None:
    """The first release after `current` (None: any) with wheels for every target, if the newest has them too."""
    usable = [v for v in facts.versions if facts.supports_python(v, python)]

    def complete(version: str) -> bool:
        return all(facts.fits(version, python, arch) for arch in archs)

    if not usable or not complete(usable[-1]):
        return None
    return next((v for v in usable if (current is None or version_greater(v, current)) and complete(v)), None)


def _arch_text(missing: list[str], archs: list[str]) -> str:
    if len(missing) == len(archs) and len(archs) > 1:
        return f"any target architecture ({', '.join(missing)})"
    return " and ".join(f"{a} ({ARCH_PLATFORM.get(a, a)})" for a in missing)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _message(gap: Gap, python: StagePython, archs: list[str], toolchain_missing: list[str],
             build: dict, fell_back: bool) -> tuple[str, Severity]:
    req = gap.requirement
    name = req.name
    where = f" ({req.at.describe()})" if req.at.describe() else ""
    older = ", older than the embedded data," if gap.older else ""
    interpreter = python.label if python.version else f"any CPython from {PYTHONS[0]} to {PYTHONS[-1]}"
    head = f"{name} {gap.version}{where}{older} has no musllinux wheel for {interpreter} on " \
           f"{_arch_text(gap.missing, archs)}" + (f"; {gap.older}" if gap.older else "")
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
        verb = "is" if len(toolchain_missing) == 1 else "are"
        if toolchain_missing and build.get("optional_c"):
            detail = (f"so pip builds it from source; without {_and(toolchain_missing)} it installs its pure-Python "
                      "fallback, without the C speed-ups")
            severity = Severity.INFO
        elif toolchain_missing and not python.known_base:
            detail = (f"so pip compiles it from source: it needs {_and(toolchain_missing)}, which this Dockerfile "
                      f"does not install (the base {python.how} may have them)")
            severity = Severity.WARNING
        elif toolchain_missing:
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
        text += f" [{gap.facts.source}{'; registry look-up failed' if fell_back else ''}]"
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


def _facts_for(names: set[str], ctx: FileContext) -> tuple[dict[str, ProjectFacts], set[str]]:
    """What is known about each project: the registry's answer with `--online`, else the
    embedded data; and the projects whose look-up failed (they fell back to the data)."""
    facts: dict[str, ProjectFacts] = {}
    if ctx.settings.online and names:
        registry = ctx.run.registry()
        ctx.fell_back(registry.look_up(python_projects=names))
        for name in names:
            if name in registry.answers.python:
                facts[name] = ctx.run.remembered(_online_facts, name, registry)
    fell_back = set()
    for name in names - facts.keys():
        embedded = embedded_project(name)
        if embedded is not None:
            facts[name] = embedded
            if ctx.settings.online:
                fell_back.add(name)
    return facts, fell_back


def _online_facts(name: str, registry) -> ProjectFacts:
    return online_project(name, registry.answers.python[name])


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

Python version: from the image tag (`python:3.12-alpine` is CPython 3.12, a third-party
`…/python:3.11-alpine` or `…:python3.11-…` too); on `alpine` or another official image,
the python3 package of its Alpine release (alpine:3.8 ships 3.6); Python 2 for `pip2`,
`python:2-alpine`, a base named for Python 2 or Python 2 packages (python2, py2-pip, and
`python` / `py-pip` before Alpine 3.12). The embedded data covers CPython 3.9 to 3.14:
for Python 2 and older Python 3 it says nothing offline. When the Python is not known (a
third-party base), a package counts only if no covered CPython has a wheel for it, and
the message names no version. Architectures: `FROM --platform`, else `--platform`
(default linux/amd64 and linux/arm64); an architecture only one of them lacks is named.

Severity: error when no compiler and headers (gcc, musl-dev; python3-dev for Alpine's
python3; cargo for Rust builds) are installed at that point, earlier in the same RUN or
in the stage or its ancestors, and the base's contents are known (alpine, official
images); a warning on a third-party base, which may have them; info for a package whose
C extension is optional (it installs its pure-Python fallback); warning when the tools
are there. `pip wheel` in a stage that has the compiler is the deliberate way to build
wheels: only errors there. Pins match as pip matches them (`==1.24` is 1.24.0,
`==1.24.*`, `~=`; a yanked release only for an exact pin; a pre-release pin is not its
final release).

Offline the embedded data answers for the packages it holds (about 430 with native
code, the newest 60 releases of each). A pin older than those releases still gets an
answer where the data decides it: when the oldest listed release has no musllinux wheel
for that Python and architecture, older ones have none either, and a release older than
the project's first wheel for that CPython has none at all. `--online` asks the
configured index about every package.""",
      bad="FROM python:3.12-alpine\nRUN pip install psycopg2==2.9.9",
      good="FROM python:3.12-alpine\nRUN pip install psycopg2-binary==2.9.9",
      fix="Upgrade to a release with musllinux wheels, use Alpine's py3-* package with Alpine's python3, or "
          "install the build deps in a virtual package and delete it in the same RUN.")
def pip_no_musl_wheel(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
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
    facts, fell_back = _facts_for(names, ctx)
    build_facts = python_build_facts()
    for stage, ins, call in found:
        archs = target_archs(stage, ctx.settings)
        installed = installed_packages(stage, before=ins, before_command=call.command)
        python = stage_python(stage, ins, ctx.settings, call.command.name, frozenset(installed))
        seen: set[str] = set()
        for requirement in call.requirements:
            project = facts.get(requirement.name)
            if project is None or requirement.name in seen:
                continue
            gap = find_gap(requirement, call, project, python.version, archs, ctx.run) if python.version else \
                _gap_on_every_python(requirement, call, project, archs, ctx.run)
            if gap is None:
                continue
            seen.add(requirement.name)
            build = build_facts.get(requirement.name, {})
            missing_tools = _toolchain_missing(installed, python, build)
            message, severity = _message(gap, python, archs, missing_tools, build, requirement.name in fell_back)
            if severity is Severity.WARNING and call.builds_wheels:
                continue
            yield Hit.at(requirement.at.word, message, severity=severity)
