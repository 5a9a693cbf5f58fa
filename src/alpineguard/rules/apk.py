"""AG1xx: apk usage and image size."""
from __future__ import annotations

import re
from collections.abc import Iterator

from ..lintcontext import FileContext
from ..model import Command, Dockerfile, Edit, Fix, Instruction, Stage, Word
from ..parsing.apk import ApkCall, apk_calls, is_build_only, package_name
from .edits import command_removal, continuation, editable, remove_word, remove_words
from .registry import Hit, rule
from ..patterns import LazyPattern

_APK_CACHE = "/var/cache/apk"
_CACHE_REMOVAL_ARGS = frozenset({"/var/cache/apk", "/var/cache/apk/", "/var/cache/apk/*", "/var/cache/*",
                                 "/var/cache", "/var/cache/", "/var/cache/apk/*.tar.gz"})
_APK_CACHE_PATHS = frozenset({"/var/cache/apk", "/var/cache/apk/", "/var/cache/apk/*", "/var/cache/apk/*.tar.gz"})
_INDEX_FETCHING = ("add", "update", "upgrade")


def apk_runs(df: Dockerfile, final_only: bool = False) -> Iterator[tuple[Stage, Instruction, list[ApkCall]]]:
    """Each RUN of an apk-using stage with its apk calls (final lineage only if asked)."""
    for stage in df.stages:
        if not stage.uses_apk or (final_only and not stage.feeds_final):
            continue
        for ins in stage.instructions:
            if ins.keyword == "RUN" and ins.commands:
                calls = apk_calls(ins.commands)
                if calls:
                    yield stage, ins, calls


def _cache_mounted(ins: Instruction) -> bool:
    for value in ins.flag_values("mount"):
        options = dict(part.partition("=")[::2] for part in value.split(","))
        target = (options.get("target") or options.get("dst") or options.get("destination") or "").rstrip("/")
        if options.get("type") in ("cache", "tmpfs") and target in (_APK_CACHE, "/var/cache"):
            return True
    return False


def _removes_cache(command: Command) -> bool:
    argv = command.effective_argv()
    if not argv:
        return False
    if command.name == "rm":
        return any(w.value in _CACHE_REMOVAL_ARGS for w in argv[1:])
    return command.name == "apk" and [w.value for w in argv[1:3]] in (["cache", "clean"], ["cache", "purge"])


def _leaves_index(ctx: FileContext, ins: Instruction, call: ApkCall) -> bool:
    """Whether this apk call leaves a downloaded package index in the RUN's layer: not
    with `--no-cache` or `--no-network` (nothing is fetched), nor when the RUN removes
    the cache after it or mounts a cache or tmpfs over it."""
    return not (call.has("no-cache") or call.has("no-network") or _cache_mounted(ins)
                or _sequel(ctx, ins).removes_cache_after(call.command))


def _later(ins: Instruction, command: Command) -> list[Command]:
    return ins.commands[ins.command_index(command) + 1:]


class _Sequel:
    """What follows each command of one RUN, from a single backward pass.

    Rules ask "is the cache removed later?", "is this package deleted later?" for every
    apk call; answering from suffix facts keeps a RUN of thousands of commands linear.
    """

    def __init__(self, ins: Instruction):
        self.ins = ins
        count = len(ins.commands)
        self.removes_cache_from = [False] * (count + 1)  # [i]: a command at i or later does
        self.installs_from = [False] * (count + 1)
        self.last_deleted: dict[str, int] = {}  # package -> index of its last apk del
        for index in range(count - 1, -1, -1):
            command = ins.commands[index]
            call = command.apk
            self.removes_cache_from[index] = self.removes_cache_from[index + 1] or _removes_cache(command)
            self.installs_from[index] = self.installs_from[index + 1] or (
                call is not None and call.subcommand in ("add", "upgrade"))
            if call is not None and call.subcommand == "del":
                for word in call.packages:
                    self.last_deleted.setdefault(package_name(word), index)

    def _after(self, command: Command) -> int:
        return self.ins.command_index(command) + 1

    def removes_cache_after(self, command: Command) -> bool:
        return self.removes_cache_from[self._after(command)]

    def installs_after(self, command: Command) -> bool:
        return self.installs_from[self._after(command)]

    def deleted_after(self, command: Command, name: str) -> bool:
        return self.last_deleted.get(name, -1) >= self._after(command)


def _sequel(ctx: FileContext, ins: Instruction) -> _Sequel:
    """The RUN's sequel, worked out once for every apk rule that asks."""
    return ctx.derived(_Sequel, ins)


def _flag_removal(df: Dockerfile, call: ApkCall, word: Word) -> Edit | None:
    """Drop `-U`/`--update-cache`/`--update`, or the `U` of combined short flags (`-Uq`)."""
    if not editable(df, word):
        return None
    if word.value.startswith("-") and not word.value.startswith("--") and len(word.value) > 2:
        return Edit(word.start, word.end, word.value.replace("U", ""))
    argv = call.command.argv
    return remove_word(df, word, argv[argv.index(word) - 1], continuation(df, call.command))


def _no_cache_edits(ctx: FileContext, df: Dockerfile, ins: Instruction, call: ApkCall) -> list[Edit] | None:
    """Edits that keep one apk call from leaving the index in the layer: an `apk update`
    that an install follows is dropped; anything else gets `--no-cache` and loses `-U`."""
    if call.has("no-cache"):
        return []
    if call.subcommand == "update":
        if not _sequel(ctx, ins).installs_after(call.command) \
                or not all(editable(df, w) for w in call.command.argv):
            return None
        return command_removal(df, ins, call.command)
    if not editable(df, call.subcommand_word):
        return None
    edits = [Edit(call.subcommand_word.end, call.subcommand_word.end, " --no-cache")]
    refresh = call.options.get("update-cache")
    if refresh is not None:
        removal = _flag_removal(df, call, refresh)
        if removal is None:
            return None
        edits.append(removal)
    return edits


def _cache_removal_edits(df: Dockerfile, ins: Instruction) -> list[Edit] | None:
    """Drop `rm -rf /var/cache/apk/*` from the RUN: the whole command, or its cache paths."""
    edits: list[Edit] = []
    for command in ins.commands:
        if command.name != "rm" or not _removes_cache(command):
            continue
        argv = command.effective_argv()
        if argv[0] is not command.argv[0]:
            return None  # `sudo rm ...`: leave it as written
        paths = [w for w in argv[1:] if not w.value.startswith("-")]
        apk_paths = [w for w in paths if w.value in _APK_CACHE_PATHS]
        if len(apk_paths) != len([w for w in paths if w.value in _CACHE_REMOVAL_ARGS]):
            return None  # it also clears other caches (`/var/cache/*`): that stays useful
        if len(apk_paths) == len(paths):
            removal = command_removal(df, ins, command) if all(editable(df, w) for w in argv) else None
        else:
            removal = remove_words(df, command.argv, apk_paths, continuation(df, command))
        if removal is None:
            return None
        edits.extend(removal)
    return edits


def no_cache_fix(ctx: FileContext, df: Dockerfile, ins: Instruction, call: ApkCall) -> Fix | None:
    """Add `--no-cache` to `call` (or drop the `apk update` it is). Once every apk call of
    the RUN fetches without a cache, a `rm -rf /var/cache/apk/*` in it is pointless and goes
    too; all calls of the RUN are then rewritten at once, so the fixes of several findings
    in one RUN are the same edits and apply together."""
    own = _no_cache_edits(ctx, df, ins, call)
    if not own:
        return None
    edits = list(own)
    if _sequel(ctx, ins).removes_cache_from[0]:  # the RUN removes the cache somewhere
        others = [_no_cache_edits(ctx, df, ins, other) for other in apk_calls(ins.commands)
                  if other is not call and other.subcommand in _INDEX_FETCHING]
        removal = _cache_removal_edits(df, ins)
        if removal and None not in others:
            edits = sorted({*edits, *removal, *(e for group in others for e in group)},
                           key=lambda e: (e.start, e.end))
    if call.subcommand == "update":
        description = "drop `apk update`: the install that follows fetches the index with --no-cache"
    else:
        description = "add --no-cache" + (" and drop the index refresh" if len(own) > 1 else "")
    if len(edits) > len(own):
        description += "; the RUN's other apk calls too, and the now-pointless cache removal"
    return Fix(description, tuple(edits))


@rule("AG101", "apk-cache-left", "warning",
      "apk add / update / upgrade leaves the package index in the layer.",
      triggers=True,
      rationale="""
Without `--no-cache`, apk stores the package index it downloads under `/var/cache/apk`
and that copy ships in the image layer (a few MB per repository). `--no-cache` fetches
the index to a temporary place and removes it. A later `rm -rf /var/cache/apk/*` or
`apk cache clean` in the same RUN, or a BuildKit cache/tmpfs mount on /var/cache/apk,
also keeps it out of the layer; `apk add --no-network` fetches no index at all. Only
the final stage and the stages it inherits from are checked: a builder stage's layers
never ship. A lone `apk update` in its own RUN is reported as AG102 instead. hadolint's
DL3019 is the same check.""",
      bad="RUN apk update && apk add curl",
      good="RUN apk add --no-cache curl",
      fix="Add `--no-cache` to the apk command; drop `apk update &&` and `-U`/`--update`. When "
          "the RUN also removes `/var/cache/apk`, every apk call in it gets `--no-cache` and the "
          "removal goes.",
      fixes="safe")
def apk_cache_left(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for _stage, ins, calls in apk_runs(df, final_only=True):
        for call in calls:
            if call.subcommand not in _INDEX_FETCHING or not _leaves_index(ctx, ins, call):
                continue
            if call.subcommand == "update":
                if not _sequel(ctx, ins).installs_after(call.command):
                    continue  # AG102 reports a lone update
                follower = next(c.subcommand for c in apk_calls(_later(ins, call.command))
                                if c.subcommand in ("add", "upgrade"))
                yield Hit.at(call.apk_word, "apk update stores the package index in the layer; "
                             f"let the apk {follower} that follows fetch it with --no-cache",
                             no_cache_fix(ctx, df, ins, call))
                continue
            what = " ".join(w.value for w in call.packages[:4]) + (" ..." if len(call.packages) > 4 else "")
            target = f"apk {call.subcommand} {what}".strip()
            yield Hit.at(call.apk_word, f"`{target}` leaves the package index in the layer; add --no-cache",
                         no_cache_fix(ctx, df, ins, call))


@rule("AG102", "apk-update-own-layer", "warning",
      "apk update in a RUN that installs nothing after it.",
      triggers=True,
      rationale="""
`RUN apk update` on its own caches the package index in a layer of its own. The build
cache keeps that layer while later `RUN apk add` layers change, so the index goes stale
and the image carries a copy of it. `apk add --no-cache` fetches a fresh index in the
RUN that needs it. An update that leaves nothing behind is not reported: with
`--no-cache`, or where the RUN removes the cache after it or mounts a cache over it
(the cleanup AG101 credits).""",
      bad="RUN apk update\nRUN apk add --no-cache curl",
      good="RUN apk add --no-cache curl",
      fix="Remove the lone `apk update` and add `--no-cache` to the `apk add` that follows it in the "
          "stage (only when the next apk command is that `apk add`: an `apk search` may need the index).",
      fixes="safe")
def apk_update_own_layer(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage, ins, calls in apk_runs(df):
        for call in calls:
            if call.subcommand == "update" and not _sequel(ctx, ins).installs_after(call.command) \
                    and _leaves_index(ctx, ins, call):
                yield Hit.at(call.apk_word, f"apk update at line {call.apk_word.start[0]} installs nothing "
                             "in its RUN: the index is cached in a layer of its own; "
                             "fold it into apk add --no-cache", _fold_update_fix(ctx, df, stage, ins, call))


def _fold_update_fix(ctx: FileContext, df: Dockerfile, stage: Stage, ins: Instruction,
                     call: ApkCall) -> Fix | None:
    """Drop a lone `apk update` when the next apk command of the stage is an `apk add`,
    which then fetches the index itself with `--no-cache`."""
    following = [(later, c) for later in stage.instructions[stage.instructions.index(ins):]
                 if later.keyword == "RUN" for c in apk_calls(_later(ins, call.command) if later is ins
                                                               else later.commands)]
    if not following or following[0][1].subcommand != "add" or not all(editable(df, w) for w in call.command.argv):
        return None
    target_ins, target = following[0]
    removal = command_removal(df, ins, call.command)
    no_cache = _no_cache_edits(ctx, df, target_ins, target)
    if removal is None or no_cache is None:
        return None
    return Fix(f"drop the lone `apk update`; the apk add at line {target.apk_word.start[0]} fetches the "
               "index with --no-cache", tuple(removal + no_cache))


@rule("AG103", "apk-upgrade", "info",
      "apk upgrade in a Dockerfile.",
      triggers=True,
      rationale="""
`apk upgrade` makes the image depend on the day it was built, not on the base image it
names, and adds a layer of changed files. Rebuild on a newer base image (a newer
`alpine:3.NN.x`) to pick up fixes instead.""",
      bad="RUN apk upgrade --no-cache",
      good="FROM alpine:3.24  # rebuild on the newest patch release instead")
def apk_upgrade(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for _stage, _ins, calls in apk_runs(df):
        for call in calls:
            if call.subcommand == "upgrade":
                yield Hit.at(call.apk_word, "apk upgrade makes the build depend on the day it runs; "
                             "rebuild on a newer base image instead")


@rule("AG104", "build-deps-left", "warning",
      "Build-only packages installed in the final image and not removed in the same RUN.",
      rationale="""
Compilers, headers and build tools (`build-base`, `gcc`, `musl-dev`, `*-dev`,
`linux-headers`, `make`, `cmake`, `cargo`, ...) are needed to build, not to run. Left in
the final stage they add tens of MB and attack surface. Install them as a virtual
package and delete it in the same RUN, or build in an earlier stage and copy the result.
Builder stages that the final stage does not inherit from are not checked.

Packages kept on purpose are not reported:
- a package a comment explains: on its own line right below a comment inside the RUN
  (`# jlink --strip-debug needs objcopy` above `binutils`), or named by a comment in or
  right above the RUN; the comment gives a reason to keep it (needs, used by, loads, at
  runtime) and none to build with it (build, compile, headers, install);
- everything in an image whose purpose is building (a toolchain or CI image): it
  extends a toolchain image (`golang`, `rust`, `gcc`, `maven`, `gradle`, `swift`,
  `haskell`, `buildpack-deps`, `dotnet/sdk`) without a program of its own to run (an
  application run on a toolchain image is checked), it installs a toolchain (ENV
  `RUSTUP_HOME`, `CARGO_HOME`, `GOLANG_VERSION`, `GRADLE_HOME`, `MAVEN_HOME`,
  `DOTNET_SDK_VERSION`, or `RUBY_DOWNLOAD_SHA256` of a Ruby built from source, which
  keeps `-dev` packages for gems with native extensions), its ENTRYPOINT or CMD runs a
  compiler or build tool (`gcc`, `cargo`, `go`, `gradle`, `mvn`, `esy`, ...; not
  `make`, a common task runner) or tests (`run_tests.sh`, also as the source of the
  script it runs, `pytest`, `make installcheck`), or its path
  says so (`.devcontainer/`, `ci/`, `toolchain/`, `builder/`, `Dockerfile.ci`,
  `Dockerfile.build`, `Dockerfile.dev`).

A package named twice in one RUN is reported once; one that a later RUN deletes is
AG105's finding (merge the RUNs).""",
      bad="RUN apk add --no-cache gcc musl-dev && pip install -r requirements.txt",
      good="""RUN apk add --no-cache --virtual .build-deps gcc musl-dev \\
 && pip install -r requirements.txt \\
 && apk del .build-deps""",
      fix="Move the packages into `--virtual .build-deps` and `apk del .build-deps` at the end of the RUN.")
def build_deps_left(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    if is_build_image(ctx, df):
        return
    for stage, ins, calls in apk_runs(df, final_only=True):
        reported: set[str] = set()
        for call in calls:
            if call.subcommand != "add" or call.virtual is not None:
                continue
            for word in call.packages:
                name = package_name(word)
                if (name in reported or not is_build_only(name) or _sequel(ctx, ins).deleted_after(call.command, name)
                        or name in ctx.derived(_deleted_later, ins, df, stage) or kept_on_purpose(ctx, df, ins, word)):
                    continue
                reported.add(name)
                # Deleting a -dev package also removes the library it pulled in, unless
                # something installed asked for that library by name.
                runtime = (" (install the library's runtime package on its own, or apk del takes it along)"
                           if name.endswith("-dev") and name not in ("musl-dev", "libc-dev") else "")
                yield Hit.at(word, f"build-only package `{name}` stays in the final image "
                             f"(stage {_stage_label(stage)}); install it in a virtual package and "
                             f"apk del it in the same RUN{runtime}, or build in a separate stage")


_TOOLCHAIN_IMAGES = frozenset({"golang", "rust", "gcc", "maven", "gradle", "swift", "haskell", "buildpack-deps"})
# ENV that installing a toolchain sets (RUBY_DOWNLOAD_SHA256: the Ruby image itself, which
# keeps -dev packages for gems that compile native extensions).
_TOOLCHAIN_ENV = frozenset({"RUSTUP_HOME", "CARGO_HOME", "GOLANG_VERSION", "GRADLE_HOME", "MAVEN_HOME",
                            "DOTNET_SDK_VERSION", "RUBY_DOWNLOAD_SHA256"})
# Programs that make an image a build environment when it runs them; not `make`, which
# images also use as a task runner (`CMD make server`).
_BUILD_PROGRAMS = frozenset({"gcc", "cc", "g++", "c++", "clang", "cargo", "rustc", "rustup", "go", "mvn", "gradle",
                             "ninja", "meson", "bazel", "bazelisk", "sbt", "lein", "cabal", "stack", "opam", "dune",
                             "esy", "zig"})
# An ENTRYPOINT/CMD that runs tests (or a script copied in under such a name) makes a CI
# image: it builds what it tests when it starts.
# These patterns read lowered text: compiling a case-insensitive pattern costs several times as much.
_TEST_RUNNER = LazyPattern(r"(?<![a-z])(?:tests?|run_?tests?|installcheck|pytest|tox|ctest)(?![a-z])")
_BUILD_PATH_PARTS = frozenset({".devcontainer", "devcontainer", "ci", ".ci", ".circleci", ".gitlab", "toolchain",
                               "toolchains", "builder", "builders", "buildenv", "build-env", "sdk"})
_BUILD_FILE_SUFFIXES = frozenset({"ci", "build", "builder", "dev", "devcontainer", "toolchain", "sdk"})


def is_build_image(ctx: FileContext, df: Dockerfile) -> bool:
    """Whether the image the file builds is itself for building (a toolchain or CI image),
    so that compilers and headers in it are its purpose, not leftovers (once per file)."""
    return ctx.derived(_is_build_image, df)


def _is_build_image(df: Dockerfile) -> bool:
    final = df.final_stage
    if final is None:
        return False
    if _TOOLCHAIN_ENV & final.env.keys():
        return True
    program = _final_program(final)
    if program in _BUILD_PROGRAMS or _runs_tests(final):
        return True
    root = final.root.image.path
    if program is None and (root.rsplit("/", 1)[-1] in _TOOLCHAIN_IMAGES
                            or root.endswith(("dotnet/sdk", "dotnet/core/sdk"))):
        return True  # a toolchain image extended, not an application run on one
    parts = df.path.replace("\\", "/").lower().split("/")
    name = parts[-1]
    suffixes = {piece for piece in (name.partition(".")[2], name.rpartition(".")[0]) if piece}
    return bool(_BUILD_PATH_PARTS & set(parts[:-1])) or (
        name.startswith(("dockerfile", "containerfile")) and bool(_BUILD_FILE_SUFFIXES & suffixes)) or (
        name.endswith((".dockerfile", ".containerfile")) and bool(_BUILD_FILE_SUFFIXES & suffixes))


def _runs_tests(final: Stage) -> bool:
    """Whether the image's ENTRYPOINT or CMD runs tests: its text says so, or the script it
    runs was copied in from a file that does (`COPY run_tests.sh /run.sh`)."""
    text = " ".join(_last(final, keyword).args.text for keyword in ("ENTRYPOINT", "CMD")
                    if _last(final, keyword) is not None)
    if not text:
        return False
    if _TEST_RUNNER.search(text.lower()):
        return True
    copies = [ins for stage in final.lineage() for ins in stage.instructions if ins.keyword in ("COPY", "ADD")]
    run_words = set(text.split())
    for ins in copies:
        words = ins.args.text.split()
        if len(words) < 2 or words[-1].endswith("/") or words[-1] in (".", "./"):
            continue  # a folder: not the script the image runs
        if words[-1] in run_words and any(_TEST_RUNNER.search(w.lower()) for w in words[:-1]):
            return True
    return False


def _last(final: Stage, keyword: str) -> Instruction | None:
    for stage in final.lineage():
        found = next((i for i in reversed(stage.instructions) if i.keyword == keyword), None)
        if found is not None:
            return found
    return None


def _final_program(final: Stage) -> str | None:
    """The program the image runs: the first word of its ENTRYPOINT, else of its CMD."""
    for keyword in ("ENTRYPOINT", "CMD"):
        last = _last(final, keyword)
        if last is None:
            continue
        words = last.exec_form if last.exec_form is not None else last.args.text.split()
        if not words:
            continue
        first = words[0] if isinstance(words[0], str) else words[0].value
        return first.rsplit("/", 1)[-1]
    return None


def kept_on_purpose(ctx: FileContext, df: Dockerfile, ins: Instruction, word: Word) -> bool:
    """A comment says why the package stays in the image: right above the line that holds
    this package alone inside the RUN, or naming the package in or right above the RUN;
    and it gives a reason to keep it (`needs`, `used by`, `at runtime`, `loads`), not
    one to build with it (`build`, `compile`, `headers`, `install`, `foo.h`)."""
    lines = df.lines
    line = word.start[0]
    if line > ins.start[0] and lines[line - 1].strip().rstrip("\\").strip() == word.raw:
        block = []
        above = line - 1
        while above > ins.start[0] and lines[above - 1].strip().startswith("#"):
            block.append(lines[above - 1].strip())
            above -= 1
        if block and _keep_reason(" ".join(block)):
            return True
    name = re.compile(rf"(?<![\w.-]){re.escape(package_name(word))}(?![\w-])")
    return any(name.search(comment) and _keep_reason(comment) for comment in ctx.derived(_comments, ins, df))


_KEEP_WORDS = LazyPattern(r"\b(?:needs?|needed|requires?|required|used by|loads?|dlopen|keep|kept|"
                         r"runtime|run time|at run)\b")  # on lowered text, as _TEST_RUNNER
_BUILD_WORDS = LazyPattern(r"\bbuild|\bcompil|\bheaders?\b|\binstall|\.h\b|\btemporar")


def _keep_reason(comment: str) -> bool:
    lowered = comment.lower()
    return bool(_KEEP_WORDS.search(lowered)) and not _BUILD_WORDS.search(lowered)


def _comments(ins: Instruction, df: Dockerfile) -> list[str]:
    """Comment lines inside the RUN and in the block right above it (FileContext.derived
    works them out once per RUN)."""
    lines = df.lines
    first = ins.start[0] - 1
    while first > 0 and lines[first - 1].strip().startswith("#"):
        first -= 1
    return [text.strip() for text in lines[first:ins.end_line] if text.strip().startswith("#")]


def _stage_label(stage: Stage) -> str:
    return f"`{stage.name}`" if stage.name else f"#{stage.index + 1} `{stage.image.text}`"


@rule("AG105", "apk-del-later-layer", "warning",
      "apk del of packages an earlier RUN added.",
      triggers=True,
      rationale="""
Each RUN is a layer. Deleting in a later layer hides the files but the earlier layer
still holds them, so the image does not get smaller. Install and delete in one RUN:
merge the two RUNs (with a virtual package for the build tools). Only the final stage
and the stages it inherits from are checked: a builder stage's layers never ship.""",
      bad="RUN apk add --no-cache gcc\nRUN make && apk del gcc",
      good="RUN apk add --no-cache --virtual .build-deps gcc && make && apk del .build-deps")
def apk_del_later_layer(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage in df.stages:
        if not stage.uses_apk or not stage.feeds_final:
            continue
        added_at: dict[str, int] = {}
        for current, ins in stage.runs_in_build_order():
            same_run: set[str] = set()
            for call in apk_calls(ins.commands):
                if call.subcommand == "add":
                    same_run.update(package_name(w) for w in call.packages)
                    if call.virtual is not None:
                        same_run.add(call.virtual.value)
                elif call.subcommand == "del" and current is stage:
                    by_run: dict[int, list[Word]] = {}  # one finding per earlier RUN, at its first package
                    for word in call.packages:
                        name = package_name(word)
                        if name in added_at and name not in same_run:
                            by_run.setdefault(added_at[name], []).append(word)
                    for line, words in by_run.items():
                        names = list(dict.fromkeys(package_name(w) for w in words))
                        if len(names) == 1:
                            what, it = f"`{names[0]}` removes a package added by the RUN at line {line}", "it"
                        else:
                            what, it = f"removes packages added by the RUN at line {line} ({_listing(names, 4)})", \
                                "them"
                        yield Hit.at(words[0], f"apk del {what}; that layer still holds {it}, so the image does not "
                                     f"shrink: merge the two RUNs so one installs and deletes {it}")
            for name in same_run:
                added_at.setdefault(name, ins.line)


@rule("AG106", "apk-del-repeats-list", "style",
      "apk del names again packages the same RUN added.",
      triggers=True,
      rationale="""
Repeating the package list in `apk del` drifts out of sync with `apk add` as the list
changes. A virtual package names the set once: `apk add --virtual .build-deps ...` then
`apk del .build-deps`.""",
      bad="RUN apk add --no-cache gcc musl-dev && make && apk del gcc musl-dev",
      good="RUN apk add --no-cache --virtual .build-deps gcc musl-dev && make && apk del .build-deps",
      fix="Rewrite to `apk add --virtual .build-deps ...` and `apk del .build-deps` (a free name), "
          "where one apk add installs only packages that the apk del removes: a virtual package "
          "would take packages meant to stay with it.",
      fixes="safe")
def apk_del_repeats_list(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for _stage, ins, calls in apk_runs(df):
        added: dict[str, int] = {}  # package -> line of the `apk` word that added it
        adds: list[ApkCall] = []
        for call in calls:
            if call.subcommand == "add" and call.virtual is None:
                adds.append(call)
                for word in call.packages:
                    added.setdefault(package_name(word), call.apk_word.start[0])
            elif call.subcommand == "del":
                repeated = list(dict.fromkeys(package_name(w) for w in call.packages if package_name(w) in added))
                if len(repeated) >= 2:
                    lines = sorted({added[name] for name in repeated})
                    where = (f"the apk add at line {lines[0]}" if len(lines) == 1 else
                             "the apk adds at lines " + ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}")
                    yield Hit.at(call.apk_word, f"apk del repeats {_listing(repeated, 4)} from {where}; "
                                 "install them as a virtual package (apk add --virtual .build-deps ...) "
                                 "and apk del .build-deps", _virtual_package_fix(df, adds, call))


def _virtual_name(df: Dockerfile) -> str:
    """`.build-deps`, or `.build-deps-N` when the file already defines that virtual package
    (a second `apk add --virtual` of the same name would replace the first one's list)."""
    taken = {call.virtual.value for stage in df.stages for _, cmd in stage.commands()
             for call in apk_calls([cmd]) if call.virtual is not None}
    name, n = ".build-deps", 1
    while name in taken:
        n += 1
        name = f".build-deps-{n}"
    return name


def _virtual_package_fix(df: Dockerfile, adds: list[ApkCall], delete: ApkCall) -> Fix | None:
    """Only where one `apk add` installs exactly packages that the `apk del` removes: a
    virtual package holding packages meant to stay would delete them too."""
    deleted = {package_name(w) for w in delete.packages}
    owners = [a for a in adds if any(package_name(w) in deleted for w in a.packages)]
    if len(owners) != 1:
        return None
    add = owners[0]
    if any(package_name(w) not in deleted for w in add.packages) \
            or not all(editable(df, w) for w in [*add.packages, *delete.command.argv]):
        return None
    name = _virtual_name(df)
    added = {package_name(w) for w in add.packages}
    repeated = [w for w in delete.packages if package_name(w) in added]
    escape = continuation(df, delete.command)
    for kept in (repeated[0], repeated[-1]):  # the word that becomes the name; the others go
        removal = remove_words(df, delete.command.argv, [w for w in repeated if w is not kept], escape)
        if removal is not None:
            edits = [Edit(add.packages[0].start, add.packages[0].start, f"--virtual {name} "),
                     Edit(kept.start, kept.end, name), *removal]
            return Fix(f"install as virtual package {name} and apk del {name}", tuple(edits))
    return None


@rule("AG107", "virtual-not-deleted", "warning",
      "A virtual package of build tools is never deleted, or apk del names an undefined virtual package.",
      rationale="""
`apk add --virtual .build-deps gcc ...` only helps if `apk del .build-deps` follows in
the same RUN; otherwise the build tools stay in the image. And `apk del .name` for a
virtual package nobody defined deletes nothing (usually a typo). Not reported: a virtual
package named for what stays (`.python-rundeps`, `.varnish-run-deps`, `.persistent-deps`,
`runtime-tools`), a set of mostly runtime packages whose name does not speak of building
(`.certbot-deps` holding one `binutils` among libraries), one that a later RUN deletes
(AG105 reports that, with the advice to merge the RUNs), and build tools in an image
whose purpose is building (see AG104). An undefined virtual package is reported only
on a plain `alpine` base: other images may define the ones a child deletes.""",
      bad="RUN apk add --no-cache --virtual .build-deps gcc musl-dev && make",
      good="RUN apk add --no-cache --virtual .build-deps gcc musl-dev && make && apk del .build-deps")
def virtual_not_deleted(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    build_image = is_build_image(ctx, df)
    for stage in df.stages:
        if not stage.uses_apk:
            continue
        defined: set[str] = set()
        # Only on plain alpine is every virtual package the file's own: other bases may
        # leave some to delete (`.python-rundeps`, a base image's `.build-deps`).
        bare_base = stage.root.image.name == "alpine"
        for current, ins in stage.runs_in_build_order():
            for call in apk_calls(ins.commands):
                virtual = call.virtual
                if call.subcommand == "add" and virtual is not None:
                    defined.add(virtual.value)
                    build_only = list(dict.fromkeys(package_name(w) for w in call.packages
                                                    if is_build_only(package_name(w))))
                    if (current is stage and stage.feeds_final and build_only and not build_image
                            and not kept_virtual(virtual.value, len(build_only), len(call.packages))
                            and not _sequel(ctx, ins).deleted_after(call.command, virtual.value)
                            and virtual.value not in ctx.derived(_deleted_later, ins, df, stage)):
                        yield Hit.at(virtual, f"virtual package `{virtual.value}` holds build tools "
                                     f"({_listing(build_only, 4)}) but is never deleted; "
                                     f"add `apk del {virtual.value}` at the end of this RUN")
                elif call.subcommand == "del" and current is stage and bare_base:
                    for word in call.packages:
                        if (word.value.startswith(".") and word.value not in defined
                                and not word.expanded and "$" not in word.value):
                            yield Hit.at(word, f"apk del `{word.value}`: no virtual package of that name "
                                         "is defined in this stage")


_KEPT_VIRTUAL_WORDS = frozenset({"run", "rundep", "rundeps", "runtime", "persistent", "keep"})


_BUILD_VIRTUAL = LazyPattern(r"build|dev|tmp|temp|compil|gyp|fetch|tool")  # on lowered text, as _TEST_RUNNER


def kept_virtual(name: str, build_only: int, packages: int) -> bool:
    """A virtual package kept on purpose: named for what stays (`.ruby-rundeps`,
    `.run-deps`, `.persistent-deps`, `runtime-tools`), whatever it holds; or a set of
    mostly runtime packages whose name does not speak of building (`.certbot-deps` with
    one `binutils` among its libraries)."""
    if _KEPT_VIRTUAL_WORDS & set(re.split(r"[-_.]+", name.lower())):
        return True
    return not _BUILD_VIRTUAL.search(name.lower()) and build_only * 2 < packages


def _deleted_later(ins: Instruction, df: Dockerfile, stage: Stage) -> set[str]:
    """The packages a later RUN of this stage or of a stage built on it deletes (AG105's
    finding then, with the right advice: merge the RUNs); FileContext.derived keeps them."""
    deleted: set[str] = set()
    for current in df.stages:
        if not current.feeds_final or stage not in current.lineage():
            continue  # a deletion in a stage that never ships frees nothing that ships
        runs = current.instructions
        if current is stage:
            runs = runs[runs.index(ins) + 1:]
        for run in runs:
            if run.keyword == "RUN":
                deleted.update(package_name(w) for call in apk_calls(run.commands)
                               if call.subcommand == "del" for w in call.packages)
    return deleted


def _listing(names: list[str], most: int) -> str:
    """`a, b, c` or `a, b, c, ...` when there are more than `most`."""
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def _edge_branch(value: str) -> str | None:
    """`edge/main`, `edge/community`, `edge/testing` (or `testing`) for a repository URL
    on Alpine's development branch, else None."""
    parts = value.rstrip("/").split("/")
    if "edge" in parts:
        return "/".join(parts[parts.index("edge"):][:2])
    return "testing" if parts[-1] == "testing" else None


@rule("AG108", "apk-edge-repository", "warning",
      "Packages pulled from edge or testing onto a stable release.",
      triggers=True,
      rationale="""
Packages from `edge` (or `testing`) are built against the next release's libraries.
Mixed into a stable branch they break on the next `apk upgrade` or base image update.
Use a release that ships the package, or build it yourself.""",
      bad="RUN apk add --no-cache --repository=https://dl-cdn.alpinelinux.org/alpine/edge/testing foo",
      good="RUN apk add --no-cache foo")
def apk_edge_repository(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage, _ins, calls in apk_runs(df):
        if stage.image.tag == "edge" and stage.image.name == "alpine":
            continue
        for call in calls:
            for word in call.values.get("repository", []):
                value = word.value[2:] if word.value.startswith("-X") else word.value
                branch = _edge_branch(value)
                if branch is not None:
                    yield Hit.at(word, f"repository `{value}` is Alpine's development branch ({branch}), "
                                 "mixed into a stable release")
            if call.subcommand == "add":
                for word in call.packages:
                    tag = word.value.partition("@")[2].split("=", 1)[0].split(">", 1)[0].split("<", 1)[0]
                    if tag and ("edge" in tag or "testing" in tag):
                        yield Hit.at(word, f"`{package_name(word)}` comes from the `@{tag}` repository: "
                                     "edge packages mixed into a stable release")


_ABUILD = LazyPattern(r"\babuild\b")


def _built_here(df: Dockerfile, call: ApkCall) -> bool:
    """Whether the call installs only local package files and the file builds packages
    with `abuild` (directly or through a make target or script that names it): its own
    packages, unsigned by design, not a download to verify."""
    local = call.packages and all(w.value.startswith(("/", "./")) and ".apk" in w.value for w in call.packages)
    return bool(local) and any(_ABUILD.search(ins.args.text) for ins in df.instructions if ins.keyword == "RUN")


@rule("AG109", "apk-allow-untrusted", "warning",
      "--allow-untrusted installs packages without signature checks.",
      triggers=True,
      rationale="""
`--allow-untrusted` accepts packages whose signature apk cannot verify, so a tampered
package or repository goes unnoticed. Add the repository's public key to
/etc/apk/keys instead. Package files that the Dockerfile builds itself with `abuild`
(in any stage, also through a script or make target that names it) are not reported:
nothing was downloaded.""",
      bad="RUN apk add --no-cache --allow-untrusted /tmp/foo.apk",
      good="COPY keys/ /etc/apk/keys/\nRUN apk add --no-cache /tmp/foo.apk")
def apk_allow_untrusted(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for _stage, _ins, calls in apk_runs(df):
        for call in calls:
            word = call.options.get("allow-untrusted")
            if word is not None and not _built_here(df, call):
                names = _listing([w.value for w in call.packages], 3) or "packages"
                yield Hit.at(word, f"--allow-untrusted installs {names} without signature checks")
