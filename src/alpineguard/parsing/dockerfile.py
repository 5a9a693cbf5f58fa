"""One parse of a Dockerfile into the model: stages, instructions, shell commands.

Instruction splitting is done here rather than by dockerfile-parse's `structure`,
because that splitter ends an instruction at a blank continuation line and turns each
BuildKit heredoc line into an instruction of its own; with heredocs, where an
instruction ends decides where the next one starts, so the two cannot be patched
together afterwards. dockerfile-parse still supplies the ENV key/value semantics
(legacy `ENV name value` form, quoted pairs).
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from itertools import repeat

from ..model import (Command, Dockerfile, Flag, Heredoc, ImageKind, ImageRef, Instruction,
                     ParseProblem, Pos, SourceText, Stage, Word)
from .shell import SHELLS, ShellReadings, command_from_words, expand_variables, parse_shell, split_words
from ..patterns import LazyPattern

KNOWN_INSTRUCTIONS = frozenset({
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
})
_HEREDOC_INSTRUCTIONS = frozenset({"RUN", "COPY", "ADD"})
_FLAG_INSTRUCTIONS = frozenset({"FROM", "RUN", "COPY", "ADD"})
_EXEC_FORM_INSTRUCTIONS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL"})
_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KNOWN_DIRECTIVES = frozenset({"syntax", "escape", "check"})
_NON_BLANK = re.compile(r"[^\t\v\f\r ]+")  # BuildKit splits keywords and FROM's words at these blanks

# Classifies a parsed image reference; returns the kind and the pinned Alpine release.
Classifier = Callable[[ImageRef], tuple[ImageKind, str | None]]


def _positions(line_no: int, first_col: int, count: int) -> list[Pos]:
    """(line, column) of `count` characters in a row on one line."""
    return list(zip(repeat(line_no, count), range(first_col, first_col + count)))


def _source(line_no: int, text: str, first_col: int) -> tuple[str, list[Pos]]:
    return text, _positions(line_no, first_col, len(text))


def _runs_as(keyword: str, args: SourceText) -> str:
    """The instruction that reads the arguments: the keyword, or the trigger of an ONBUILD."""
    upper = keyword.upper()
    if upper == "ONBUILD":
        words = args.text.split(None, 1)
        return words[0].upper() if words else ""
    return upper


_BLANK = " \t\v\f\r\n"
_HEREDOC_WORD = LazyPattern(r"(\d*)<<(-?)\s*([^<]*)\Z")


def _lexer_words(text: str) -> list[tuple[int, int]] | None:
    """Spans of the words BuildKit's Dockerfile lexer sees in `text` (quotes, escapes and
    `${...}` kept inside a word; `<<` swallows the blanks after it), or None where it
    fails (an unclosed quote), in which case BuildKit finds no heredoc at all."""
    spans: list[tuple[int, int]] = []
    start: int | None = None
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _BLANK:
            if start is not None:
                spans.append((start, i))
                start = None
            i += 1
            continue
        if start is None:
            start = i
        if ch == "\\":
            i += 2
        elif ch == "'":
            close = text.find("'", i + 1)
            if close < 0:
                return None
            i = close + 1
        elif ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            if i >= n:
                return None
            i += 1
        elif text.startswith("${", i):
            close = text.find("}", i)
            if close < 0:
                return None
            i = close + 1
        elif text.startswith("<<", i):
            i += 2
            while i < n and text[i] in " \t":
                i += 1
        else:
            i += 1
    if start is not None:
        spans.append((start, min(i, n)))
    return spans


def _unquoted(word: str) -> str:
    """A heredoc name as BuildKit reads it: quotes and escapes removed."""
    out, i, quote = [], 0, ""
    while i < len(word):
        ch = word[i]
        if ch == "\\" and quote != "'" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
            continue
        if ch in "'\"" and quote in ("", ch):
            quote = "" if quote else ch
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def heredoc_markers(text: str) -> list[tuple[int, int, bool, bool, str]]:
    """(start, end, strip_tabs, quoted, name) of each heredoc BuildKit opens in an
    instruction's arguments: a whole lexer word `[n]<<[-]NAME`, whatever NAME holds
    (`<<EOF;` is named `EOF;`, and `-u <<UID>>` opens one named `UID>>`)."""
    markers = []
    for start, end in _lexer_words(text) or ():
        match = _HEREDOC_WORD.match(text, start, end)
        if match is None or not match.group(3):
            continue
        rest = match.group(3)
        inner = _lexer_words(rest)
        if inner is None or len(inner) != 1:
            continue
        markers.append((start, end, match.group(2) == "-", "'" in rest or '"' in rest, _unquoted(rest)))
    return markers


class _Splitter:
    """Turns physical lines into instructions with joined, position-mapped arguments."""

    def __init__(self, lines: list[str], escape: str, first_line: int):
        self.lines = lines
        self.escape = escape
        self.index = first_line
        self.problems: list[ParseProblem] = []

    def _skippable(self, line: str) -> bool:
        stripped = line.strip()
        return not stripped or stripped.startswith("#")

    def instructions(self):
        lines, n = self.lines, len(self.lines)
        while self.index < n:
            line = lines[self.index]
            if self._skippable(line):
                self.index += 1
                continue
            instruction = self._instruction()
            if instruction is not None:
                yield instruction

    def _logical_line(self) -> SourceText:
        """The instruction's physical lines joined as BuildKit joins them, before it splits
        off the keyword: so `RUN\\` followed by a continuation is a RUN."""
        lines, n, escape = self.lines, len(self.lines), self.escape
        chars: list[str] = []
        origins: list[Pos] = []
        first = lines[self.index]
        offset = len(first) - len(first.lstrip())
        while True:
            content = lines[self.index][offset:]
            trimmed = content.rstrip(" \t")
            if trimmed.endswith(escape):
                text, positions = _source(self.index + 1, trimmed[:-1], offset + 1)
                chars.append(text)
                origins.extend(positions)
                self.index += 1
                while self.index < n and self._skippable(lines[self.index]):
                    self.index += 1
                offset = 0
                if self.index >= n:
                    break
                continue
            text, positions = _source(self.index + 1, content, offset + 1)
            chars.append(text)
            origins.extend(positions)
            break
        last_line = min(self.index, n - 1)
        self.index += 1
        return SourceText("".join(chars), origins, (last_line + 1, len(self.lines[last_line]) + 1))

    def _instruction(self) -> tuple[str, Pos, Pos, SourceText, int, list[Heredoc]] | None:
        line = self._logical_line()
        match = _NON_BLANK.match(line.text)
        if match is None:
            return None  # a lone escape character continued into nothing
        keyword = match.group(0)
        args = line.slice(len(keyword), len(line.text))
        heredocs: list[Heredoc] = []
        if _runs_as(keyword, args) in _HEREDOC_INSTRUCTIONS and "<<" in args.text and _exec_form(args) is None:
            heredocs = self._heredocs(args)
        end_line = heredocs[-1].end_line if heredocs else line.end[0]
        return keyword, line.pos(0), line.end_pos(len(keyword)), args, end_line, heredocs

    def _heredocs(self, args: SourceText) -> list[Heredoc]:
        lines, n = self.lines, len(self.lines)
        heredocs = []
        for marker_start, marker_end, strip_tabs, quoted, delimiter in heredoc_markers(args.text):
            body_start = self.index
            chars: list[str] = []
            origins: list[Pos] = []
            while self.index < n:
                line = lines[self.index]
                candidate = line.lstrip("\t") if strip_tabs else line
                if candidate == delimiter:
                    break
                offset = len(line) - len(candidate) if strip_tabs else 0
                chars.append(candidate + "\n")
                origins.extend(_positions(self.index + 1, offset + 1, len(candidate) + 1))
                self.index += 1
            if self.index >= n:
                self.problems.append(ParseProblem(
                    f"unterminated heredoc: no line `{delimiter}` closes the "
                    f"`{args.text[marker_start:marker_end]}` opened here",
                    args.pos(marker_start), args.end_pos(marker_end)))
                end_line = n
            else:
                end_line = self.index + 1
            body_end = (end_line, 1)
            heredocs.append(Heredoc(delimiter, strip_tabs, quoted, SourceText("".join(chars), origins, body_end),
                                    args.pos(marker_start), body_start + 1, end_line))
            if self.index >= n:
                break  # unterminated: later markers have no body left
            self.index += 1
        return heredocs


def _split_flags(args: SourceText) -> tuple[list[Flag], SourceText]:
    text, i, flags = args.text, 0, []
    while True:
        while i < len(text) and text[i] in " \t":
            i += 1
        if not text.startswith("--", i):
            break
        end = i
        while end < len(text) and text[end] not in " \t":
            end += 1
        name, _, value = text[i + 2:end].partition("=")
        flags.append(Flag(name, value, args.pos(i), args.end_pos(end)))
        i = end
    return flags, args.slice(i, len(text))


def _exec_form(args: SourceText) -> list[Word] | None:
    text = args.text.strip()
    if not text.startswith("["):
        return None
    try:
        values = json.loads(text)
    except ValueError:
        return None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return None
    words, i, full = [], 0, args.text
    for value in values:
        i = full.index('"', i)
        j = i + 1
        while full[j] != '"':
            j += 2 if full[j] == "\\" else 1
        raw = full[i:j + 1]
        origins = args.origins[i + 1:j] if "\\" not in raw else [args.pos(i + 1)] * len(value)
        words.append(Word(value, raw, args.pos(i), args.end_pos(j + 1), list(origins), quoted=True))
        i = j + 1
    return words


def _instruction(keyword: str, start: Pos, end: Pos, args: SourceText, heredocs: list[Heredoc],
                 end_line: int) -> Instruction:
    flags, rest = _split_flags(args) if keyword in _FLAG_INSTRUCTIONS else ([], args)
    ins = Instruction(keyword=keyword, start=start, end=end, args=rest, flags=flags, heredocs=heredocs,
                      end_line=end_line)
    if keyword in _EXEC_FORM_INSTRUCTIONS:
        ins.exec_form = _exec_form(rest)
    return ins


# Docker refuses these as triggers when it builds the image that holds them.
_FORBIDDEN_TRIGGERS = {
    "ONBUILD": "Docker does not allow chaining triggers",
    "FROM": "Docker does not allow FROM as an ONBUILD trigger",
    "MAINTAINER": "Docker does not allow MAINTAINER as an ONBUILD trigger",
}


def _trigger(onbuild: Instruction, problems: list[ParseProblem]) -> Instruction | None:
    """The instruction `ONBUILD <INSTRUCTION> ...` registers, positioned inside the ONBUILD;
    None, with a problem, where Docker refuses it."""
    args = onbuild.args
    match = re.match(r"\s*(\S+)", args.text)
    keyword = match.group(1)
    upper = keyword.upper()
    start, keyword_end = args.pos(match.start(1)), args.end_pos(match.end(1))
    if upper in _FORBIDDEN_TRIGGERS:
        problems.append(ParseProblem(f"`ONBUILD {upper}`: {_FORBIDDEN_TRIGGERS[upper]}; the build fails",
                                     start, keyword_end))
        return None
    if upper not in KNOWN_INSTRUCTIONS:
        problems.append(ParseProblem(f"unknown instruction `{keyword}` in ONBUILD: builds FROM this image fail",
                                     start, keyword_end))
        return None
    rest = args.slice(match.end(1), len(args.text))
    if not rest.text.strip():
        problems.append(ParseProblem(f"`ONBUILD {upper}` has no arguments", start, keyword_end))
        return None
    trigger = _instruction(upper, start, onbuild.end, rest, onbuild.heredocs, onbuild.end_line)
    trigger.onbuild = onbuild
    return trigger


_STAGE_NAME = LazyPattern(r"[a-z][a-z0-9-_.]*\Z")


def _from_words(args: SourceText, env: Mapping[str, str]) -> list[Word]:
    """FROM's words as BuildKit splits them: at blanks only, so `<REPO>/app` or a
    trailing `# note` is a word, not shell syntax; each word then loses its quotes and
    has its variables expanded."""
    words = []
    for match in _NON_BLANK.finditer(args.text):
        raw = match.group(0)
        unquoted = raw.replace('"', "").replace("'", "")
        value = expand_variables(unquoted, env)
        origins = args.origins[match.start():match.end()] if value == raw else []
        words.append(Word(value, raw, args.pos(match.start()), args.end_pos(match.end()), origins,
                          quoted=unquoted != raw, expanded=value != unquoted))
    return words


def parse_image_ref(text: str) -> ImageRef:
    ref = ImageRef(text=text)
    rest = text
    if "@" in rest:
        rest, ref.digest = rest.split("@", 1)
    head, _, tail = rest.rpartition("/")
    if ":" in tail:
        tail, ref.tag = tail.split(":", 1)
    path = f"{head}/{tail}" if head else tail
    first, _, remainder = path.partition("/")
    if remainder and ("." in first or ":" in first or first == "localhost"):
        ref.registry, path = first, remainder
    if path.startswith("library/") and ref.registry in ("", "docker.io", "index.docker.io", "registry-1.docker.io"):
        path = path[len("library/"):]
    ref.path = path.lower()
    return ref


def _unknown(ref: ImageRef) -> tuple[ImageKind, str | None]:
    return ImageKind.UNKNOWN, None


_ENV_SPLITTER = []


def _env_splitter():
    """dockerfile-parse's ENV reader, `extract_key_values`.

    Its module needs only io, but importing it through the package runs the package's
    __init__, which imports the whole parser and logging: more time than checking a file.
    So the same file is loaded on its own where it can be, else imported as usual."""
    if not _ENV_SPLITTER:
        try:
            from importlib.machinery import PathFinder, SourceFileLoader  # importlib.util costs 3 ms
            from types import ModuleType
            package = PathFinder.find_spec("dockerfile_parse")
            name = "alpineguard._dockerfile_parse_util"
            module = ModuleType(name)
            SourceFileLoader(name, os.path.join(package.submodule_search_locations[0], "util.py")).exec_module(module)
            _ENV_SPLITTER.append(module.extract_key_values)
        except (ImportError, OSError, AttributeError, TypeError, IndexError):
            from dockerfile_parse.util import extract_key_values
            _ENV_SPLITTER.append(extract_key_values)
    return _ENV_SPLITTER[0]


class _StageBuilder:
    def __init__(self, build_args: Mapping[str, str | None], classify: Classifier, problems: list[ParseProblem],
                 named_contexts: Mapping[str, str | None], readings: ShellReadings | None):
        self.build_args = build_args
        self.readings = readings
        self.named_contexts = named_contexts
        self.classify = classify
        self.problems = problems
        self.global_args: dict[str, str] = {}
        self.stages: list[Stage] = []
        # id of a stage with ONBUILD triggers -> the stage built on it that runs them
        self.children: dict[int, Stage] = {}
        self.env: dict[str, str] = {}
        self.shell: list[str] = ["/bin/sh", "-c"]
        self.reported_no_stage = False

    def add(self, ins: Instruction):
        keyword = ins.keyword
        if keyword == "FROM":
            self._from(ins)
            return
        if not self.stages:
            if keyword == "ARG":
                self._arg(ins, into=self.global_args, global_scope=True)
            elif not self.reported_no_stage:  # BuildKit stops here: one finding, not one per line
                self.reported_no_stage = True
                self.problems.append(ParseProblem(f"`{keyword}` before the first FROM: only ARG may come "
                                                  "before it", ins.start, ins.start))
            return
        self._place(ins, self.stages[-1])

    def _place(self, ins: Instruction, stage: Stage):
        """Add `ins` to `stage` with the ARG/ENV and SHELL in force, and apply what it sets."""
        keyword = ins.keyword
        ins.stage = stage
        ins.env = dict(self.env)
        ins.shell = list(self.shell)
        stage.instructions.append(ins)
        if keyword == "ARG":
            self._arg(ins, into=self.env, global_scope=False)
        elif keyword == "ENV":
            extract_key_values = _env_splitter()
            try:
                # Raw values, expanded by us: a variable the base image sets (PATH) stays as
                # written instead of turning empty.
                for key, value in extract_key_values(False, {}, {}, ins.args.text.strip()):
                    self.env[key] = expand_variables(value, self.env)
            except (ValueError, IndexError) as error:
                self.problems.append(ParseProblem(f"ENV: {error}", ins.start, ins.end))
        elif keyword == "SHELL":
            if ins.exec_form:
                self.shell = [w.value for w in ins.exec_form]
            else:
                self.problems.append(ParseProblem("SHELL takes a JSON array, e.g. SHELL [\"/bin/ash\", \"-c\"]",
                                                  ins.start, ins.end))
        elif keyword == "RUN":
            ins.commands = _run_commands(ins, ins.env, self.readings)
        elif keyword in ("CMD", "ENTRYPOINT") and ins.exec_form is None:
            ins.commands = parse_shell(ins.args, ins.env, readings=self.readings)
        for index, command in enumerate(ins.commands):
            command.index = index

    def _arg(self, ins: Instruction, into: dict[str, str], global_scope: bool):
        for word in split_words(ins.args, into if not global_scope else self.global_args):
            name, has_default, default = word.value.partition("=")
            if not name:
                continue
            if name in self.build_args:
                value = self.build_args[name]
                # A value a build definition passes but that is unknown here stays unexpanded.
                into[name] = "${" + name + "}" if value is None else value
            elif has_default:
                into[name] = default
            elif not global_scope and name in self.global_args:
                into[name] = self.global_args[name]

    def _from(self, ins: Instruction):
        self.close()
        words = _from_words(ins.args, self.global_args)
        if not words:
            self.problems.append(ParseProblem("FROM names no image", ins.start, ins.end))
            return
        image_word = words[0]
        name = words[2].value.lower() if len(words) == 3 and words[1].value.lower() == "as" else None
        if name is None and len(words) != 1:
            extra = words[1]
            hint = " (a `#` after an instruction starts no comment)" if extra.value.startswith("#") else ""
            shown = " ".join(w.raw for w in words[1:4]) + (" ..." if len(words) > 4 else "")
            self.problems.append(ParseProblem(f"FROM takes an image and optionally `AS name`, not `{shown}`{hint}",
                                              extra.start, words[-1].end))
        elif name is not None and not _STAGE_NAME.match(name):
            self.problems.append(ParseProblem(f"invalid stage name `{words[2].value}`: it must start with a "
                                              "letter and hold only letters, digits, `-`, `_` and `.`",
                                              words[2].start, words[2].end))
        parent = next((s for s in self.stages if s.name and s.name == image_word.value.lower()), None)
        if parent is not None:  # a stage with triggers runs them first in a stage built on it
            parent = self.children.get(id(parent), parent)
        platform = ins.flag("platform")
        image = parse_image_ref(image_word.value)
        if parent is None and image_word.value.lower() in self.named_contexts:
            # A named build context replaces the image: another image, or something else entirely.
            replacement = self.named_contexts[image_word.value.lower()]
            image = parse_image_ref(replacement if replacement is not None else "${" + image_word.value + "}")
        stage = Stage(index=len(self.stages), name=name, from_instruction=ins, image_word=image_word,
                      image=image, parent=parent,
                      platform=platform.value if platform else None)
        if parent is not None:
            stage.kind, stage.alpine_release = parent.kind, parent.alpine_release
            self.env, self.shell = dict(parent.env), list(parent.shell)
        else:
            stage.kind, stage.alpine_release = self.classify(stage.image)
            self.env, self.shell = {}, ["/bin/sh", "-c"]
        ins.stage = stage
        ins.env = dict(self.env)
        self.stages.append(stage)

    def close(self):
        """Record the ENV and SHELL the current stage ends with, for stages built on it; then
        run its ONBUILD triggers in a child stage, as an image built FROM it would."""
        if not self.stages:
            return
        stage = self.stages[-1]
        self._finish(stage)
        triggers = [ins.trigger for ins in stage.instructions if ins.trigger is not None]
        if triggers:
            child = Stage(index=stage.index, name=None, from_instruction=stage.from_instruction,
                          image_word=stage.image_word, image=stage.image, parent=stage, kind=stage.kind,
                          kind_inferred=stage.kind_inferred, alpine_release=stage.alpine_release,
                          feeds_final=True)  # the triggers' layers ship in the child image
            for trigger in triggers:
                self._place(trigger, child)
            self._finish(child)
            self.children[id(stage)] = child

    def _finish(self, stage: Stage):
        stage.env, stage.shell = dict(self.env), list(self.shell)
        if stage.kind is ImageKind.UNKNOWN and any(cmd.name == "apk" for _, cmd in stage.commands()):
            stage.kind, stage.kind_inferred = ImageKind.ALPINE, True


def shebang_interpreter(body: SourceText) -> str | None:
    if not body.text.startswith("#!"):
        return None
    first = body.text.split("\n", 1)[0][2:].split()
    if not first:
        return None
    program = first[0].rsplit("/", 1)[-1]
    if program == "env" and len(first) > 1:
        program = first[1]
    return program


def _run_commands(ins: Instruction, env: Mapping[str, str], readings: ShellReadings | None) -> list[Command]:
    shell_name = ins.shell_name
    if ins.exec_form is not None:
        return command_from_words(ins.exec_form, env, readings) if ins.exec_form else []
    commands = parse_shell(ins.args, env, interpreter=shell_name, readings=readings)
    if not ins.heredocs:
        return commands
    bodies = {doc.delimiter: doc for doc in ins.heredocs}
    feeders = []
    for command in commands:
        for redirect in command.redirects:
            if redirect.op in ("<<", "<<-") and redirect.target is not None and redirect.target.value in bodies:
                redirect.body = bodies[redirect.target.value].body
                if command.name in SHELLS and not any(w.value.startswith("-") and "c" in w.value
                                                      for w in command.effective_argv()[1:]):
                    feeders.append((command.name, redirect.body))
    if not commands:
        # `RUN <<EOF`: the heredoc is the script, run by its shebang or the SHELL.
        feeders = [(shebang_interpreter(doc.body) or shell_name, doc.body) for doc in ins.heredocs]
    for interpreter, body in feeders:
        if interpreter in SHELLS:
            nested = parse_shell(body, env, interpreter=interpreter, readings=readings)
            for command in nested:
                command.heredoc_fed = True
            commands.extend(nested)
    return commands


def parse_dockerfile(text: str, path: str = "Dockerfile", build_args: Mapping[str, str | None] | None = None,
                     target: str | None = None, classify: Classifier = _unknown,
                     named_contexts: Mapping[str, str | None] | None = None,
                     readings: ShellReadings | None = None) -> Dockerfile:
    """The model of one Dockerfile. `build_args` fill its ARGs (None: passed, value unknown);
    `target` is the stage built; `named_contexts` maps a name FROM may use to the image that
    replaces it (None: a context that is no image); `readings` keeps what reading its
    scripts as shell found, for the rules."""
    if text.startswith("\ufeff"):
        text = text[1:]
    crlf = "\r\n" in text
    lines = [line[:-1] if line.endswith("\r") else line for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()

    directives: dict[str, str] = {}
    first = 0
    for line in lines:
        match = _DIRECTIVE.match(line)
        if not match or match.group(1).lower() not in _KNOWN_DIRECTIVES or match.group(1).lower() in directives:
            break
        directives[match.group(1).lower()] = match.group(2)
        first += 1
    escape = directives.get("escape", "\\")
    problems: list[ParseProblem] = []
    if escape not in ("\\", "`"):
        problems.append(ParseProblem(f"invalid escape directive `{escape}` (use \\ or `)", (1, 1), (1, 1)))
        escape = "\\"

    splitter = _Splitter(lines, escape, first)
    builder = _StageBuilder(build_args or {}, classify, problems,
                            {name.lower(): image for name, image in (named_contexts or {}).items()}, readings)
    instructions: list[Instruction] = []
    for keyword, start, keyword_end, args, end_line, heredocs in splitter.instructions():
        upper = keyword.upper()
        end = (end_line, len(lines[end_line - 1]) + 1) if end_line <= len(lines) else args.end
        if upper not in KNOWN_INSTRUCTIONS:
            problems.append(ParseProblem(f"unknown instruction `{keyword}`", start, keyword_end))
            continue
        if not args.text.strip() and upper not in _EXEC_FORM_INSTRUCTIONS - {"SHELL"}:  # BuildKit runs an empty RUN
            problems.append(ParseProblem(f"`{upper}` has no arguments", start, keyword_end))
            continue
        ins = _instruction(upper, start, end, args, heredocs, end_line)
        if upper == "ONBUILD":
            ins.trigger = _trigger(ins, problems)
        if upper in ("COPY", "ADD"):
            listed = ins.exec_form if ins.exec_form is not None else _exec_form(ins.args)
            if len(listed if listed is not None else _NON_BLANK.findall(ins.args.text)) < 2:
                problems.append(ParseProblem(f"{upper} needs a source and a destination; it names only "
                                             f"`{ins.args.text.strip()}`", start, end))
        instructions.append(ins)
        builder.add(ins)
    builder.close()
    if not instructions and not problems and not splitter.problems:
        problems.append(ParseProblem("no instructions: the file is empty or holds only comments", (1, 1), (1, 1)))
    problems.extend(splitter.problems)
    problems.sort(key=lambda p: p.start)

    stages = builder.stages
    if stages:
        chosen = stages[-1]
        if target:
            chosen = next((s for s in stages if s.name == target.lower()), chosen)
        chosen.is_final = True
        for stage in chosen.lineage():
            stage.feeds_final = True
    df = Dockerfile(path=path, text=text, lines=lines, instructions=instructions, stages=stages,
                    directives=directives, escape=escape, crlf=crlf, problems=problems,
                    global_args=dict(builder.global_args))
    if builder.children:
        children = list(builder.children.values())
        df.onbuild = Dockerfile(path=path, text=text, lines=lines,
                                instructions=[ins for child in children for ins in child.instructions],
                                stages=children, directives=directives, escape=escape, crlf=crlf)
    return df
