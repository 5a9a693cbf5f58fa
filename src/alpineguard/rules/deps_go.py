"""AG404: Go builds that need cgo in an Alpine stage without gcc and musl-dev."""
from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from ..deps.common import StageFiles, cwd_at, env_at, musl_runs
from ..deps.programs import GO
from ..knowledge.musl import go_facts
from ..lintcontext import FileContext
from ..model import Command, Dockerfile, Instruction, Stage, Word
from ..parsing.apk import installed_packages
from .registry import Hit, rule

_GO_VERBS = frozenset({"build", "test", "install", "run", "vet"})
_CGO_FLAGS = frozenset({"-race", "-msan", "-asan"})
_PROVIDERS = {"gcc": ("gcc", "build-base", "clang"), "musl-dev": ("musl-dev", "build-base", "libc-dev")}


def _go_mod(files: StageFiles, stage: Stage, ins: Instruction, cwd: str):
    folder = cwd
    while True:
        found = files.lookup(stage, ins, posixpath.join(folder, "go.mod"))
        if found is not None or folder == "/":
            return found
        folder = posixpath.dirname(folder)


def _cgo_module(text: str) -> tuple[dict, int] | None:
    """The first required module that needs cgo, with its line in go.mod."""
    modules = go_facts()["cgo_modules"]
    for number, line in enumerate(text.splitlines(), 1):
        stripped = re.sub(r"^\s*require\s+", "", line.split("//", 1)[0]).strip().strip("()").strip()
        for fact in modules:
            if not fact.get("unverified") and (stripped == fact["module"] or stripped.startswith(fact["module"] + " ")
                                               or stripped.startswith(fact["module"] + "/")):
                return fact, number
    return None


def _reason(files: StageFiles, stage: Stage, ins: Instruction, command: Command) -> tuple[Word, str] | None:
    argv = command.effective_argv()
    if len(argv) < 2 or argv[1].value not in _GO_VERBS:
        return None
    for word in argv[2:]:
        if word.value in _CGO_FLAGS:
            return word, f"`go {argv[1].value} {word.value}` needs cgo"
    env = env_at(ins, command)
    cgo = env.get("CGO_ENABLED")
    if cgo == "1":
        return argv[1], f"`go {argv[1].value}` with CGO_ENABLED=1 needs cgo"
    if cgo == "0":
        return None
    go_mod = _go_mod(files, stage, ins, cwd_at(stage, ins, command))
    if go_mod is None:
        return None
    found = _cgo_module(go_mod.read() or "")
    if found is None:
        return None
    fact, line = found
    tags = f" (and `-tags {fact['build_flags'].split()[-1]}`)" if fact.get("build_flags") else ""
    return argv[1], (f"`go {argv[1].value}` builds {fact['module']} ({go_mod.display}:{line}), which needs cgo"
                     f"{tags} (without a C compiler Go turns cgo off and the program fails at run time)")


@rule("AG404", "go-cgo-no-toolchain", "error",
      "A Go build needs cgo in an Alpine stage without gcc and musl-dev.",
      triggers=True,
      rationale="""
`golang:*-alpine` has no C compiler. `go build -race` (also `-msan`, `-asan`) and
`CGO_ENABLED=1` fail without gcc and musl-dev. A module that only works with cgo (the
SQLite driver github.com/mattn/go-sqlite3, confluent-kafka-go) in the go.mod the build
copies in is worse: Go quietly turns cgo off when no compiler is found, the build
succeeds and the program fails at run time. A plain `go build` of pure-Go code is fine
and never reported; nor is an explicit CGO_ENABLED=0. The tools count when installed
earlier in the same RUN or in the stage or its ancestors.""",
      bad="FROM golang:1.23-alpine\nRUN go test -race ./...",
      good="FROM golang:1.23-alpine\nRUN apk add --no-cache gcc musl-dev && go test -race ./...",
      fix="`apk add --no-cache gcc musl-dev` before the build (in a builder stage).")
def go_cgo_no_toolchain(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    files = StageFiles(df)
    for stage, ins, command in musl_runs(df):
        if command.name != GO:
            continue
        reason = _reason(files, stage, ins, command)
        if reason is None:
            continue
        installed = installed_packages(stage, before=ins, before_command=command)
        missing = [tool for tool, providers in _PROVIDERS.items() if not installed.intersection(providers)]
        if missing:
            word, why = reason
            yield Hit.at(word, f"{why}, but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not "
                               f"installed: `apk add --no-cache gcc musl-dev` first")
