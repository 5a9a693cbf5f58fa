"""AG5xx: BusyBox shell and userland."""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache

from ..images import image_matches
from ..knowledge import load_data
from ..lintcontext import FileContext
from ..model import Command, Dockerfile, Edit, Fix, ImageKind, ImageRef, Instruction, SourceText, Stage, Word
from ..parsing.apk import installed_packages
from ..parsing.dockerfile import shebang_interpreter
from ..parsing.shell import ShellReadings, Token, closing_bracket
from .registry import Hit, rule
from ..patterns import LazyPattern

BUSYBOX_SHELLS = frozenset({"sh", "ash"})
_REMEDY = "; write it for POSIX sh, or install bash and use it (apk add bash, SHELL [\"/bin/bash\", \"-c\"])"
# What BusyBox ash does with each construct; proven against a real ash in the tests.
_EFFECTS = {
    "array": "arrays do not exist in BusyBox ash (syntax error)",
    "builtin": "not a BusyBox ash builtin (`not found`)",
    "arithmetic": "BusyBox ash reads `((...))` as nested subshells, so the arithmetic never runs",
    "brace": "BusyBox ash does no brace expansion: the word stays as written",
    "herestring": "BusyBox ash has no here-strings (syntax error)",
    "pipe-stderr": "BusyBox ash has no `|&` (syntax error); use `2>&1 |`",
    "indirect": "BusyBox ash has no indirect expansion (bad substitution)",
    "case": "BusyBox ash has no case-modifying expansion (bad substitution); use tr",
    "select": "BusyBox ash has no `select` (syntax error)",
    "printf-v": "BusyBox printf has no -v: it prints `-v` and assigns nothing; use var=$(printf ...)",
}
_BASH_BUILTINS = frozenset({"declare", "typeset", "shopt", "mapfile", "readarray"})
_ARRAY_ASSIGNMENT = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*\+?=")
_ELEMENT_ASSIGNMENT = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*\[[^\]]*\]\+?=")
_ARRAY_PARAMETER = LazyPattern(r"#?[A-Za-z_][A-Za-z0-9_]*\[")
_INDIRECT_PARAMETER = LazyPattern(r"![A-Za-z_]")
_CASE_PARAMETER = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*(\^\^|\^|,,|,)")
_SEQUENCE = LazyPattern(r"(-?\d+\.\.-?\d+|[A-Za-z]\.\.[A-Za-z])(\.\.-?\d+)?")
_COMMAND_START_WORDS = frozenset({"then", "else", "elif", "do", "if", "while", "until", "!", "{", "}", "time"})


@lru_cache(maxsize=1)
def _userland() -> dict:
    return load_data("userland.yaml")


def _checked_stages(df: Dockerfile, known_base: bool) -> Iterator[Stage]:
    """Alpine stages; with `known_base`, only those whose base image is known to hold nothing
    but BusyBox (see `busybox_only_base`): what another base ships cannot be known."""
    for stage in df.stages:
        if stage.kind is ImageKind.ALPINE and not (known_base and not busybox_only_base(stage.root.image)):
            yield stage


_DOCKER_HUB = ("", "docker.io", "index.docker.io", "registry-1.docker.io")


def busybox_only_base(image: ImageRef) -> bool:
    """`alpine` itself, or an official Docker Hub image's Alpine variant (`python:3.12-alpine`):
    their userland is BusyBox plus what `knowledge/userland.yaml` says they add. A third-party
    base (`webdevops/php:8-alpine`) may have installed anything."""
    if any(mark in image.path for mark in "${}%@<>"):
        return False  # a template or unexpanded variable: unknown
    if image.name == "alpine":
        return True
    return image.registry in _DOCKER_HUB and "/" not in image.path and "alpine" in image.tag.lower()


# --- AG501 ---------------------------------------------------------------------------

def _has_top_level_comma(inner: str) -> bool:
    i, depth, in_double = 0, 0, False
    while i < len(inner):
        ch = inner[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "'" and not in_double:
            close = inner.find("'", i + 1)
            i = len(inner) if close < 0 else close + 1
            continue
        if ch == '"':
            in_double = not in_double
        elif ch == "$" and inner.startswith(("${", "$("), i):
            i = closing_bracket(inner, i + 1, inner[i + 1], "}" if inner[i + 1] == "{" else ")")
            continue
        elif not in_double and ch == "{":
            depth += 1
        elif not in_double and ch == "}":
            depth -= 1
        elif not in_double and ch == "," and depth == 0:
            return True
        i += 1
    return False


def _word_constructs(raw: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of bash-only parts of one word as written; kind "script" marks a
    command substitution whose inside is shell code of its own."""
    if "$" not in raw and "{" not in raw and "`" not in raw:
        return  # every construct below starts with one of these: most words have none
    i, n, in_double = 0, len(raw), False
    while i < n:
        ch = raw[i]
        if ch == "\\":
            i += 2
        elif ch == "'" and not in_double:
            close = raw.find("'", i + 1)
            i = n if close < 0 else close + 1
        elif ch == '"':
            in_double = not in_double
            i += 1
        elif raw.startswith("$((", i):
            i = closing_bracket(raw, i + 1, "(", ")")
        elif raw.startswith("$(", i):
            end = closing_bracket(raw, i + 1, "(", ")")
            yield "script", i + 2, end - 1
            i = end
        elif ch == "`":
            close = raw.find("`", i + 1)
            end = n if close < 0 else close
            yield "script", i + 1, end
            i = end + 1
        elif raw.startswith("${", i):
            end = closing_bracket(raw, i + 1, "{", "}")
            inner = raw[i + 2:end - 1]
            if _ARRAY_PARAMETER.match(inner):
                yield "array", i, end
            elif _INDIRECT_PARAMETER.match(inner):
                yield "indirect", i, end
            elif _CASE_PARAMETER.fullmatch(inner):
                yield "case", i, end
            i = end
        elif ch == "{" and not in_double:
            end = closing_bracket(raw, i, "{", "}")
            inner = raw[i + 1:end - 1]
            if raw[end - 1:end] == "}" and (_SEQUENCE.fullmatch(inner) or _has_top_level_comma(inner)):
                yield "brace", i, end
                i = end
            else:
                i += 1
        else:
            i += 1


def _command_start(tokens: list[Token], index: int) -> bool:
    if index == 0:
        return True
    before = tokens[index - 1]
    if before.kind in ("op", "newline"):
        return True
    return before.kind == "word" and before.text in _COMMAND_START_WORDS  # as written: unquoted


def _adjacent(first: Token, second: Token | None) -> bool:
    return second is not None and second.index == first.index + len(first.text)


_MAX_SUBSTITUTION_DEPTH = 32


def bashisms(src: SourceText, env: Mapping[str, str], readings: ShellReadings,
             depth: int = 0) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) indexes into `src.text` of what BusyBox ash rejects or misreads.

    Nested `sh -c` scripts are not entered here (their commands carry scripts of their own);
    command substitutions are, down to _MAX_SUBSTITUTION_DEPTH levels (hostile input nests thousands).
    """
    tokens, commands = readings.read(src, env)
    self_globbing = None  # computed at the first brace: most scripts have none
    for index, token in enumerate(tokens):
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        start = token.index
        if token.kind == "op" and token.text == "|&":
            yield "pipe-stderr", start, start + 2
        elif token.kind == "op" and token.text == "(" and after is not None and after.text == "(" \
                and _adjacent(token, after) and (_command_start(tokens, index)
                                                 or tokens[index - 1].text == "for"):
            yield "arithmetic", start, start + 2
        elif token.kind == "redirect" and token.text.endswith("<<<"):
            yield "herestring", start, start + len(token.text)
        elif token.kind == "word":
            raw = token.text
            if _ARRAY_ASSIGNMENT.fullmatch(raw) and after is not None and after.text == "(" \
                    and _adjacent(token, after):
                yield "array", start, start + len(raw) + 1
            elif _ELEMENT_ASSIGNMENT.match(raw) and _command_start(tokens, index):
                yield "array", start, start + raw.index("=") + 1
            elif raw == "select" and _command_start(tokens, index):
                yield "select", start, start + len(raw)
            for kind, begin, end in _word_constructs(raw):
                if kind == "script":
                    if depth >= _MAX_SUBSTITUTION_DEPTH:
                        continue
                    inner = src.slice(start + begin, start + end)
                    yield from ((k, start + begin + b, start + begin + e)
                                for k, b, e in bashisms(inner, env, readings, depth + 1))
                else:
                    if kind == "brace":
                        self_globbing = _self_globbing_words(commands) if self_globbing is None else self_globbing
                        if token.start in self_globbing:
                            continue
                    yield kind, start + begin, start + end
    for command in commands:
        argv = command.effective_argv()
        if command.script is not src or not argv:
            continue
        if command.name in _BASH_BUILTINS:
            yield "builtin", *_span(src, argv[0])
        elif command.name == "printf" and len(argv) > 1 and argv[1].value.startswith("-v"):
            yield "printf-v", *_span(src, argv[1])


def _self_globbing_words(commands: list[Command]) -> set:
    """Start positions of words a program expands braces in itself: curl's URLs
    (`curl -O https://host/{a,b}.tar.gz` fetches both), unless -g/--globoff turns that off."""
    starts = set()
    for command in commands:
        argv = command.effective_argv()
        if command.name != "curl" or any(w.value in ("-g", "--globoff") for w in argv):
            continue
        for before, word in zip(argv, argv[1:]):
            if "://" in word.value or before.value == "--url":
                starts.add(word.start)
    return starts


def _span(src: SourceText, word: Word) -> tuple[int, int]:
    """Indexes in `src` of a word of a command read from `src` (by its first character)."""
    start = src.origins.index(word.start) if word.start in src.origins else 0
    return start, start + len(word.raw)


def _scripts(ins: Instruction) -> list[tuple[SourceText, str]]:
    """Each shell script a RUN runs (its text, nested `sh -c` bodies, heredocs) and its shell."""
    scripts: dict[int, tuple[SourceText, str]] = {}
    if ins.exec_form is None:  # the RUN text itself, even when it yields no command (`RUN ((`)
        scripts[id(ins.args)] = (ins.args, ins.shell_name)
    for command in ins.commands:
        if command.script is not None:
            scripts.setdefault(id(command.script), (command.script, command.interpreter))
    return list(scripts.values())


@rule("AG501", "bashism-in-busybox-sh", "error",
      "A RUN uses bash syntax that BusyBox ash (Alpine's /bin/sh) rejects or misreads.",
      triggers=True,
      rationale="""
Alpine's /bin/sh is BusyBox ash. It rejects arrays (`a=(1 2)`, `${a[1]}`, `a[1]=x`),
`declare`/`typeset`/`shopt`/`mapfile`/`readarray`, here-strings `<<<`, `|&`, `${!var}`,
case modification (`${v^^}`, `${v,,}`) and `select`; and it silently misreads `((...))`
(and `for ((...))`), brace expansion (`{a,b}`, `{1..3}` stay as written) and `printf -v`.
It does accept `[[ ]]`, `source`, `function f {`, `local`, `${v//a/b}`, `${v:1:2}` and
`set -o pipefail`, which are not reported. Braces that ash leaves in a URL for curl are
not reported either: curl expands `{a,b}` in its URLs itself (unless `-g`/`--globoff`).
The tests run every construct through a real BusyBox ash (and curl). A RUN whose shell is bash (an installed bash in SHELL, a `#!/bin/bash`
heredoc, `RUN <<EOF bash`, `bash -c '...'`) is not checked; `sh -c '...'` bodies, heredoc
scripts and command substitutions are. Here-document bodies that are data are not.""",
      bad="RUN for f in /etc/{passwd,group}; do cat $f; done",
      good="RUN for f in /etc/passwd /etc/group; do cat $f; done")
def bashism_in_busybox_sh(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for stage in _checked_stages(df, known_base=False):
        for ins in stage.instructions:
            if ins.keyword != "RUN":
                continue
            seen: set = set()
            for src, interpreter in _scripts(ins):
                if interpreter not in BUSYBOX_SHELLS:
                    continue
                for kind, start, end in bashisms(src, ins.env, ctx.shell):
                    position = src.pos(start)
                    if position in seen:
                        continue  # an `sh -c "..."` string is read by the outer and the inner shell
                    seen.add(position)
                    text = src.text[start:end]
                    yield Hit(position, src.end_pos(end), f"`{text}`: {_EFFECTS[kind]}{_REMEDY}")


# --- AG502 ---------------------------------------------------------------------------

def _has_shell(stage: Stage, shell: str, before: Instruction, before_command: Command | None = None) -> bool:
    known = _userland()["shells"][shell]
    if image_matches(stage.root.image, known["images"]):
        return True
    return bool(set(known["packages"]) & installed_packages(stage, before=before, before_command=before_command))


def _not_installed(shell: str, what: str) -> str:
    return f"{what} `{shell}`, but this Alpine stage never installs it (BusyBox has only ash): " \
           f"add `apk add --no-cache {shell}` before, or use /bin/sh"


@rule("AG502", "shell-not-installed", "error",
      "SHELL or a RUN uses bash or zsh in an Alpine stage that never installs it.",
      triggers=True,
      rationale="""
Alpine has no bash or zsh: only BusyBox ash as /bin/sh. `SHELL ["/bin/bash", "-c"]`
makes every later RUN fail, `bash -c` or a `#!/bin/bash` heredoc fails with `not found`.
An `apk add bash` earlier in the stage, in the same RUN before the call, or in a stage it
inherits from counts. Only stages built on a base known to lack the shell are checked:
`alpine` itself and the official images' Alpine variants (`python:3.12-alpine`), less
those known to install bash (`postgres`, `wordpress`, `ghost`, `maven`, `influxdb`,
`bash`: `knowledge/userland.yaml`). A third-party base (`webdevops/php:8-alpine`) may
ship bash, and gets no finding.""",
      bad='FROM alpine:3.20\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      good='FROM alpine:3.20\nRUN apk add --no-cache bash\nSHELL ["/bin/bash", "-o", "pipefail", "-c"]')
def shell_not_installed(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    shells = _userland()["shells"]
    for stage in _checked_stages(df, known_base=True):
        for ins in stage.instructions:
            if ins.keyword == "SHELL" and ins.exec_form:
                word = ins.exec_form[0]
                shell = word.value.rsplit("/", 1)[-1]
                if shell in shells and not _has_shell(stage, shell, ins):
                    yield Hit.at(word, _not_installed(shell, "SHELL uses"))
            elif ins.keyword == "RUN":
                for command in ins.commands:
                    argv = command.effective_argv()
                    if argv and command.name in shells and not _has_shell(stage, command.name, ins, command):
                        yield Hit.at(argv[0], _not_installed(command.name, "RUN calls"))
                if all(command.heredoc_fed for command in ins.commands):  # `RUN <<EOF`: the heredoc is the script
                    for doc in ins.heredocs:
                        shell = shebang_interpreter(doc.body)
                        if shell in shells and not _has_shell(stage, shell, ins):
                            line_end = doc.body.text.find("\n")
                            yield Hit(doc.body.pos(2), doc.body.end_pos(line_end if line_end > 0 else len(doc.body)),
                                      _not_installed(shell, "the heredoc script runs with"))


# --- AG503 ---------------------------------------------------------------------------

# useradd option -> (BusyBox adduser option, "" to drop it; whether it takes a value)
_USERADD_OPTIONS = {
    "-m": ("", False), "--create-home": ("", False), "-U": ("", False), "--user-group": ("", False),
    "-M": ("-H", False), "--no-create-home": ("-H", False), "-r": ("-S", False), "--system": ("-S", False),
    "-d": ("-h", True), "--home-dir": ("-h", True), "-s": ("-s", True), "--shell": ("-s", True),
    "-u": ("-u", True), "--uid": ("-u", True), "-g": ("-G", True), "--gid": ("-G", True),
    "-c": ("-g", True), "--comment": ("-g", True), "-k": ("-k", True), "--skel": ("-k", True),
}
_GROUPADD_OPTIONS = {
    "-g": ("-g", True), "--gid": ("-g", True), "-r": ("-S", False), "--system": ("-S", False),
}
_BUSYBOX_EQUIVALENT = {"useradd": ("adduser -D", _USERADD_OPTIONS), "groupadd": ("addgroup", _GROUPADD_OPTIONS)}


def _translated(argv: list[Word], options: dict) -> list[str] | None:
    """The arguments rewritten for BusyBox, or None when an option has no plain equivalent."""
    out: list[str] = []
    operands: list[str] = []
    index = 1
    while index < len(argv):
        word = argv[index]
        index += 1
        name, glued, value = word.raw.partition("=") if word.raw.startswith("--") else (word.raw, "", "")
        if not name.startswith("-"):
            operands.append(word.raw)
            continue
        if name not in options:
            return None  # -G supplementary groups, -p, -o, glued short values ...
        replacement, takes_value = options[name]
        if takes_value and not glued:
            if index >= len(argv):
                return None
            value = argv[index].raw
            index += 1
        elif glued and not takes_value:
            return None
        if replacement:
            out.extend([replacement, value] if takes_value else [replacement])
    if len(operands) != 1:
        return None
    return out + operands


def _verbatim(df: Dockerfile, word: Word) -> bool:
    """The word stands in the file exactly as its raw text (not rebuilt from `sh -c` escapes)."""
    (line, col), (end_line, end_col) = word.start, word.end
    return line == end_line and 0 < line <= len(df.lines) and df.lines[line - 1][col - 1:end_col - 1] == word.raw


def _busybox_fix(df: Dockerfile, command: Command, argv: list[Word]) -> Fix | None:
    program = command.name
    if program not in _BUSYBOX_EQUIVALENT or command.interpreter == "exec":
        return None
    if not all(_verbatim(df, word) for word in argv):
        return None
    start, end = argv[0].start, argv[-1].end
    if any(start <= redirect.start <= end for redirect in command.redirects):
        return None
    replacement, options = _BUSYBOX_EQUIVALENT[program]
    arguments = _translated(argv, options)
    if arguments is None:
        return None
    text = " ".join([replacement] + arguments)
    return Fix(f"use BusyBox `{text}`", (Edit(start, end, text),), safe=False)


@rule("AG503", "shadow-tools-missing", "error",
      "useradd / groupadd / usermod in an Alpine stage without the shadow package.",
      triggers=True,
      rationale="""
Alpine has BusyBox `adduser` and `addgroup`; `useradd`, `groupadd`, `usermod` (and
`userdel`, `groupdel`, `groupmod`) come only with the `shadow` package, so the RUN fails
with `not found`. An `apk add shadow` earlier in the stage, in the same RUN or in a stage
it inherits from counts. As for AG502, only stages on `alpine` or an official image's
Alpine variant are checked: a third-party base may ship shadow.""",
      bad="FROM alpine:3.20\nRUN useradd -m -u 1000 app",
      good="FROM alpine:3.20\nRUN adduser -D -u 1000 app",
      fix="Rewrite useradd/groupadd to BusyBox adduser -D / addgroup (defaults differ slightly).",
      fixes="unsafe")
def shadow_tools_missing(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    shadow = _userland()["shadow"]
    for stage in _checked_stages(df, known_base=True):
        for ins in stage.instructions:
            if ins.keyword != "RUN":
                continue
            for command in ins.commands:
                argv = command.effective_argv()
                if not argv or command.name not in shadow["programs"]:
                    continue
                if set(shadow["packages"]) & installed_packages(stage, before=ins, before_command=command):
                    continue
                busybox = {"useradd": " (BusyBox: adduser -D)", "groupadd": " (BusyBox: addgroup)"}
                yield Hit.at(argv[0], f"`{command.name}` does not exist on Alpine without the shadow package"
                             f"{busybox.get(command.name, '')}: use the BusyBox tool or apk add shadow",
                             _busybox_fix(df, command, argv))
