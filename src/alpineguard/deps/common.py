"""What the dependency rules share: the stages they look at, working folders, target
architectures, environment variables in force, and the files a stage has copied in."""
from __future__ import annotations

import posixpath
from collections.abc import Iterator

from ..config import Settings
from ..context import CopiedFile, ImageFiles, workdir_after
from ..model import Command, Dockerfile, Instruction, Stage, Word
from ..record import Record
from .wheels import PLATFORM_ARCH


def musl_runs(df: Dockerfile) -> Iterator[tuple[Stage, Instruction, Command]]:
    """Every shell command of a RUN in an Alpine (musl) stage; never Wolfi/Chainguard (glibc)."""
    for stage in df.stages:
        if stage.is_musl:
            for ins, command in stage.commands():
                yield stage, ins, command


def target_archs(stage: Stage, settings: Settings) -> list[str]:
    """Architectures (`uname -m` names) the stage is built for: FROM --platform, else the run's."""
    platforms = settings.platforms
    for current in stage.lineage():
        platform = current.platform
        if platform and "$" not in platform:
            platforms = tuple(p.strip() for p in platform.split(","))
            break
    archs = []
    for platform in platforms:
        arch = PLATFORM_ARCH.get(platform.lower(), platform.rsplit("/", 1)[-1])
        if arch not in archs:
            archs.append(arch)
    return archs


def workdir_at(stage: Stage, before: Instruction | None) -> str:
    """The working folder in force at `before` (WORKDIR of the stage and its ancestors);
    with None, at the end of the stage."""
    workdir = "/"
    for current in reversed(stage.lineage()):
        for ins in current.instructions:
            if ins is before:
                return workdir
            if ins.keyword == "WORKDIR":
                workdir = workdir_after(ins, workdir)
    return workdir


def cwd_at(stage: Stage, ins: Instruction, command: Command) -> str:
    """Working folder of `command`: WORKDIR plus `cd` earlier in the same RUN."""
    cwd = workdir_at(stage, ins)
    for earlier in ins.commands:
        if earlier is command:
            break
        args = earlier.effective_argv()
        if earlier.depth == 0 and earlier.name == "cd" and len(args) > 1 and not args[1].value.startswith("-"):
            cwd = posixpath.normpath(posixpath.join(cwd, args[1].value))
    return cwd


def env_at(ins: Instruction, command: Command) -> dict[str, str]:
    """Variables the command sees: ARG/ENV, `export X=1` earlier in the RUN, `X=1 cmd` prefixes."""
    env = dict(ins.env)
    for earlier in ins.commands:
        if earlier is command:
            break
        if earlier.name == "export":
            for word in earlier.effective_argv()[1:]:
                key, sep, value = word.value.partition("=")
                if sep:
                    env[key] = value
        elif not earlier.argv:
            for word in earlier.assignments:  # `X=1;` sets a shell variable; count it too
                key, _, value = word.value.partition("=")
                env[key] = value
    for word in command.assignments:
        key, _, value = word.value.partition("=")
        env[key] = value
    return env


def truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in ("", "0", "false", "no", "off")


class StageFiles:
    """Memoised `ImageFiles` per (stage, instruction) for one Dockerfile."""

    def __init__(self, df: Dockerfile):
        self.df = df
        self._cache: dict[tuple[int, int], ImageFiles] = {}

    def at(self, stage: Stage, ins: Instruction) -> ImageFiles:
        key = (id(stage), id(ins))
        if key not in self._cache:
            self._cache[key] = ImageFiles(stage, self.df.context_dir, before=ins, dockerfile_path=self.df.source_path)
        return self._cache[key]

    def lookup(self, stage: Stage, ins: Instruction, image_path: str) -> CopiedFile | None:
        return self.at(stage, ins).lookup(image_path)


class Located(Record, frozen=True):
    """Where a dependency was declared: a Dockerfile word, or a line of a copied file."""
    __slots__ = ("word", "file", "line")

    def __init__(self, word: Word, file: str | None = None, line: int | None = None) -> None:
        self.word = word  # the Dockerfile word findings point at
        self.file = file  # context-relative path of the declaring file
        self.line = line

    def describe(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
