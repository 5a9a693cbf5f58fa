"""The small model every rule reads: a Dockerfile as stages, instructions and shell
commands, each piece carrying its exact position in the original file; and the
findings and fixes rules produce."""
from __future__ import annotations

import enum
import re

from .record import Record

# A position is (line, column), both 1-based, in the original file.
Pos = tuple[int, int]


class Severity(enum.IntEnum):
    STYLE = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        return cls[text.strip().upper()]


class Edit(Record, frozen=True):
    """Replace the text from start (inclusive) to end (exclusive) with replacement."""
    __slots__ = ("start", "end", "replacement")

    def __init__(self, start: Pos, end: Pos, replacement: str) -> None:
        self.start = start
        self.end = end
        self.replacement = replacement


class Fix(Record, frozen=True):
    """A set of edits that removes a finding; unsafe ones need --unsafe-fixes."""
    __slots__ = ("description", "edits", "safe")

    def __init__(self, description: str, edits: tuple[Edit, ...], safe: bool = True) -> None:
        self.description = description
        self.edits = edits
        self.safe = safe


class Finding(Record):
    """One problem at one place in one file, as reporters print it."""
    __slots__ = ("rule", "name", "severity", "path", "start", "end", "message", "fix")

    def __init__(self, rule: str, name: str, severity: Severity, path: str, start: Pos, end: Pos, message: str,
                 fix: Fix | None = None) -> None:
        self.rule = rule
        self.name = name
        self.severity = severity
        self.path = path
        self.start = start
        self.end = end
        self.message = message
        self.fix = fix

    @property
    def sort_key(self):
        return (self.path, self.start[0], self.start[1], self.rule, self.message)


class SourceText:
    """A string whose every character remembers where it stands in the file.

    `origins[i]` is the (line, column) of `text[i]`; `end` is the position just after
    the last character, so an empty tail still has a place to point at.
    """
    __slots__ = ("text", "origins", "end")

    def __init__(self, text: str, origins: list[Pos], end: Pos):
        self.text = text
        self.origins = origins
        self.end = end

    def pos(self, index: int) -> Pos:
        return self.origins[index] if index < len(self.origins) else self.end

    def end_pos(self, index: int) -> Pos:
        """Position just after the character before `index` (exclusive end of a span)."""
        if index <= 0:
            return self.pos(0)
        if index > len(self.origins):
            return self.end  # past the end (an unterminated quote): never beyond the text
        line, col = self.origins[index - 1]
        return (line, col + 1)

    def slice(self, start: int, stop: int) -> "SourceText":
        return SourceText(self.text[start:stop], self.origins[start:stop], self.end_pos(stop))

    def __len__(self) -> int:
        return len(self.text)


class Word(Record):
    """One shell word after quote removal and variable expansion.

    `start`/`end` span the word as written; `raw` is the text as written;
    `origins` maps each character of `value` back to the file (for `sh -c` bodies).
    `quoted` tells whether any part was quoted; `expanded` whether a variable was
    substituted into it.
    """
    __slots__ = ("value", "raw", "start", "end", "origins", "quoted", "expanded")
    _hidden = ("origins",)

    def __init__(self, value: str, raw: str, start: Pos, end: Pos, origins: list[Pos] | None = None,
                 quoted: bool = False, expanded: bool = False) -> None:
        self.value = value
        self.raw = raw
        self.start = start
        self.end = end
        self.origins = [] if origins is None else origins
        self.quoted = quoted
        self.expanded = expanded

    def source(self) -> SourceText:
        return SourceText(self.value, self.origins, self.end)


class Redirect(Record):
    """A shell redirection, with the here-document body for `<<`."""
    __slots__ = ("op", "target", "start", "body")

    def __init__(self, op: str, target: Word | None, start: Pos, body: SourceText | None = None) -> None:
        self.op = op
        self.target = target
        self.start = start
        self.body = body  # here-document text for `<<`


class Command(Record):
    """A simple command: `FOO=1 apk add --no-cache curl`.

    `connector` is the operator that joined it to the previous command in its list
    (`&&`, `||`, `;`, `|`, `&`, newline) or None for the first one. `depth` counts
    `sh -c` nestings; `interpreter` is the shell that reads it; `script` the shell
    source it was read from (shared by the commands of one script).
    """
    __slots__ = ("argv", "assignments", "redirects", "connector", "depth", "interpreter", "heredoc_fed", "script",
                 "effective", "apk", "index")
    _unequal = ("script", "effective", "apk", "index")
    _hidden = ("script", "effective", "apk", "index")

    def __init__(self, argv: list[Word], assignments: list[Word] | None = None,
                 redirects: list[Redirect] | None = None, connector: str | None = None, depth: int = 0,
                 interpreter: str = "sh", heredoc_fed: bool = False, script: SourceText | None = None) -> None:
        self.argv = argv
        self.assignments = [] if assignments is None else assignments
        self.redirects = [] if redirects is None else redirects
        self.connector = connector
        self.depth = depth
        self.interpreter = interpreter
        self.heredoc_fed = heredoc_fed
        self.script = script
        self.effective = self._unwrapped()  # argv without wrappers (every rule asks)
        self.apk = None  # the apk call it makes (parsing.apk.ApkCall), set by the parser
        self.index: int | None = None  # its place in its instruction's `commands`, set by the parser

    @property
    def name(self) -> str:
        """Base name of the program run, after wrappers like `sudo`, `env`, `exec`."""
        args = self.effective
        return args[0].value.rsplit("/", 1)[-1] if args else ""

    def effective_argv(self) -> list[Word]:
        """The argv without wrappers (`sudo`, `env X=1`, `exec`, ...)."""
        return self.effective

    def _unwrapped(self) -> list[Word]:
        args = self.argv
        while args:
            head = args[0].value.rsplit("/", 1)[-1]
            if head == "command" and len(args) > 1 and args[1].value in ("-v", "-V"):
                return []  # `command -v apk` asks whether apk exists; it runs nothing
            if head in ("sudo", "exec", "nohup", "time", "command", "doas"):
                args = args[1:]
                while args and args[0].value.startswith("-"):
                    args = args[1:]
            elif head in ("su-exec", "gosu", "s6-setuidgid"):  # `gosu USER cmd...`: the user is no program
                args = args[2:]
            elif head == "env":
                args = args[1:]
                while args and ("=" in args[0].value or args[0].value.startswith("-")):
                    args = args[1:]
            else:
                break
        return args

    @property
    def start(self) -> Pos:
        first = (self.assignments or self.argv)
        return first[0].start if first else (0, 0)

    @property
    def end(self) -> Pos:
        return self.argv[-1].end if self.argv else self.start


class Flag(Record):
    """An instruction flag such as `--mount=type=cache,target=/var/cache/apk`."""
    __slots__ = ("name", "value", "start", "end")

    def __init__(self, name: str, value: str, start: Pos, end: Pos) -> None:
        self.name = name
        self.value = value
        self.start = start
        self.end = end


class Heredoc(Record):
    """A BuildKit heredoc of a RUN, COPY or ADD instruction."""
    __slots__ = ("delimiter", "strip_tabs", "quoted", "body", "marker_start", "start_line", "end_line")

    def __init__(self, delimiter: str, strip_tabs: bool, quoted: bool, body: SourceText, marker_start: Pos,
                 start_line: int, end_line: int) -> None:
        self.delimiter = delimiter
        self.strip_tabs = strip_tabs
        self.quoted = quoted
        self.body = body
        self.marker_start = marker_start
        self.start_line = start_line  # first body line
        self.end_line = end_line  # terminator line


class Instruction(Record):
    """One Dockerfile instruction with its continuations joined and positions kept.

    `ONBUILD RUN ...` is an ONBUILD whose `trigger` is the RUN it registers, positioned
    inside the ONBUILD; the trigger's `onbuild` leads back to it.
    """
    __slots__ = ("keyword", "start", "end", "args", "flags", "heredocs", "exec_form", "commands", "shell", "env",
                 "stage", "end_line", "trigger", "onbuild")
    _unequal = ("onbuild",)
    _hidden = ("stage", "onbuild")

    def __init__(self, keyword: str, start: Pos, end: Pos, args: SourceText, flags: list[Flag] | None = None,
                 heredocs: list[Heredoc] | None = None, exec_form: list[Word] | None = None,
                 commands: list[Command] | None = None, shell: list[str] | None = None,
                 env: dict[str, str] | None = None, stage: Stage | None = None, end_line: int = 0,
                 trigger: Instruction | None = None, onbuild: Instruction | None = None) -> None:
        self.keyword = keyword  # upper case: RUN, FROM, ...
        self.start = start  # the keyword
        self.end = end  # after the last character (last terminator line for heredocs)
        self.args = args  # everything after the keyword and flags, continuations joined
        self.flags = [] if flags is None else flags
        self.heredocs = [] if heredocs is None else heredocs
        self.exec_form = exec_form  # JSON array form of RUN/CMD/ENTRYPOINT/SHELL
        self.commands = [] if commands is None else commands  # RUN only
        self.shell = ["/bin/sh", "-c"] if shell is None else shell  # SHELL in force
        self.env = {} if env is None else env  # ARG/ENV known before it
        self.stage = stage
        self.end_line = end_line
        self.trigger = trigger  # ONBUILD only: the instruction it registers for child images
        self.onbuild = onbuild  # a trigger only: the ONBUILD that holds it

    @property
    def shell_name(self) -> str:
        """The program of the SHELL in force (`sh`, `bash`), which reads a shell-form RUN."""
        return self.shell[0].rsplit("/", 1)[-1] if self.shell else "sh"

    @property
    def line(self) -> int:
        return self.start[0]

    def command_index(self, command: Command) -> int | None:
        """Where this very `command` object stands in `commands` (None: not there).

        From the index the parser gave it: `commands.index` compares field by field, which
        makes a RUN of thousands of commands quadratic.
        """
        index = command.index
        return index if index is not None and index < len(self.commands) and self.commands[index] is command \
            else None

    def flag(self, name: str) -> Flag | None:
        for flag in self.flags:
            if flag.name == name:
                return flag
        return None

    def flag_values(self, name: str) -> list[str]:
        return [flag.value for flag in self.flags if flag.name == name]


class ImageKind(enum.Enum):
    ALPINE = "alpine"  # musl + apk
    APK_GLIBC = "apk-glibc"  # Wolfi / Chainguard: apk on glibc
    NON_APK = "non-apk"  # Debian, Ubuntu, RHEL family, distroless
    SCRATCH = "scratch"
    UNKNOWN = "unknown"

    @property
    def uses_apk(self) -> bool:
        return self in (ImageKind.ALPINE, ImageKind.APK_GLIBC)


# A value nobody filled in yet: a variable without a value (`${TAG}`) or a template
# placeholder (`%%TAG%%`, `%TAG%`, `{{ .Tag }}`, `{% tag %}`, `@TAG@`, `<your-repo>`, `<%= v %>`,
# `__TAG__`). None of `$ { } < > %` can be part of an image reference, so one of them alone (a
# placeholder cut by a space) is enough. Such a part of a reference is unknown: nothing is claimed from it.
_UNRENDERED_CHARACTERS = frozenset("${}<>%")
_PATTERNS: list = []  # compiled on first need: most references have none of this


def _patterns():
    if not _PATTERNS:
        _PATTERNS.append(re.compile(r"@[A-Za-z_][\w-]*@|__[A-Z][A-Z0-9_]*__"))
        # The whole of each such value, to cut it out and keep what is known around it.
        _PATTERNS.append(re.compile(r"\$\{[^}]*\}?|\$\w*|%%?[\w-]*%?%?|\{\{.*?(?:\}\}|$)|\{%.*?(?:%\}|$)"
                                    r"|<[^>]*>?|@[A-Za-z_][\w-]*@|__[A-Z][A-Z0-9_]*__|[{}<>%]"))
    return _PATTERNS


def is_unrendered(text: str) -> bool:
    """Whether `text` still holds a variable or a template placeholder."""
    if not _UNRENDERED_CHARACTERS.isdisjoint(text):
        return True
    return ("@" in text or "__" in text) and _patterns()[0].search(text) is not None


def without_unrendered(text: str) -> str:
    """`text` with its variables and placeholders cut out: what is known of it (`%%V%%-alpine` -> ` -alpine`)."""
    return _patterns()[1].sub(" ", text)


class ImageRef(Record):
    """A parsed image reference as written in FROM, after build-arg substitution."""
    __slots__ = ("text", "registry", "path", "tag", "digest", "resolved")

    def __init__(self, text: str, registry: str = "", path: str = "", tag: str = "", digest: str = "",
                 resolved: bool | None = None) -> None:
        self.text = text
        self.registry = registry
        self.path = path  # repository path without registry, e.g. library/python -> python
        self.tag = tag
        self.digest = digest
        # False when part of it is a variable without a value or a template placeholder, or
        # it stops short (`alpine:` before a placeholder the shell-like splitting cut off).
        self.resolved = (not is_unrendered(text) and not text.endswith((":", "@", "/"))) if resolved is None \
            else resolved

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def name_known(self) -> bool:
        """Whether the registry and path, without tag or digest, are fully known."""
        if self.resolved:
            return True
        name = self.text.split("@", 1)[0]
        return not is_unrendered(name[: len(name) - len(self.tag) - 1] if self.tag else name)

    @property
    def tag_known(self) -> bool:
        return self.resolved or not (is_unrendered(self.tag) or self.text.endswith(":"))


class Stage(Record):
    """A build stage: its base image, what it inherits and its instructions."""
    __slots__ = ("index", "name", "from_instruction", "image_word", "image", "parent", "kind", "kind_inferred",
                 "alpine_release", "instructions", "platform", "is_final", "feeds_final", "env", "shell")

    def __init__(self, index: int, name: str | None, from_instruction: Instruction, image_word: Word | None,
                 image: ImageRef, parent: Stage | None = None, kind: ImageKind = ImageKind.UNKNOWN,
                 kind_inferred: bool = False, alpine_release: str | None = None,
                 instructions: list[Instruction] | None = None, platform: str | None = None,
                 is_final: bool = False, feeds_final: bool = False, env: dict[str, str] | None = None,
                 shell: list[str] | None = None) -> None:
        self.index = index
        self.name = name
        self.from_instruction = from_instruction
        self.image_word = image_word  # the image token in FROM
        self.image = image
        self.parent = parent  # FROM <earlier stage>, or the stage that runs its ONBUILD triggers
        self.kind = kind
        self.kind_inferred = kind_inferred  # unknown base, taken as Alpine because the stage runs apk
        self.alpine_release = alpine_release  # "3.20" when the tag pins one
        self.instructions = [] if instructions is None else instructions
        self.platform = platform
        self.is_final = is_final
        self.feeds_final = feeds_final  # the final stage or one it inherits from
        self.env = {} if env is None else env  # ARG/ENV known at the stage's end
        self.shell = ["/bin/sh", "-c"] if shell is None else shell  # SHELL at the stage's end

    def lineage(self) -> list["Stage"]:
        """This stage and the stages it inherits from, nearest first."""
        chain, stage = [], self
        while stage is not None and stage not in chain:
            chain.append(stage)
            stage = stage.parent
        return chain

    @property
    def root(self) -> "Stage":
        return self.lineage()[-1]

    @property
    def is_musl(self) -> bool:
        return self.kind is ImageKind.ALPINE

    @property
    def uses_apk(self) -> bool:
        return self.kind.uses_apk

    def runs_in_build_order(self) -> list[tuple["Stage", Instruction]]:
        """The RUN instructions of the inherited stages, then this stage's, as built."""
        return [(stage, ins) for stage in reversed(self.lineage())
                for ins in stage.instructions if ins.keyword == "RUN"]

    def commands(self) -> list[tuple[Instruction, Command]]:
        """Every shell command of this stage's RUN instructions, in order."""
        return [(ins, cmd) for ins in self.instructions if ins.keyword == "RUN" for cmd in ins.commands]


class ParseProblem(Record):
    """Why part of the file is not a valid Dockerfile (reported as AG001)."""
    __slots__ = ("message", "start", "end")

    def __init__(self, message: str, start: Pos, end: Pos) -> None:
        self.message = message
        self.start = start
        self.end = end


class Dockerfile(Record):
    """The whole parsed file: instructions, stages, directives and problems."""
    __slots__ = ("path", "text", "lines", "instructions", "stages", "directives", "escape", "crlf", "problems",
                 "global_args", "context_dir", "source_path", "onbuild")

    def __init__(self, path: str, text: str, lines: list[str], instructions: list[Instruction], stages: list[Stage],
                 directives: dict[str, str], escape: str = "\\", crlf: bool = False,
                 problems: list[ParseProblem] | None = None, global_args: dict[str, str] | None = None,
                 context_dir: str | None = None, source_path: str | None = None) -> None:
        self.path = path
        self.text = text
        self.lines = lines
        self.instructions = instructions
        self.stages = stages
        self.directives = directives
        self.escape = escape
        self.crlf = crlf
        self.problems = [] if problems is None else problems
        self.global_args = {} if global_args is None else global_args
        self.context_dir = context_dir  # build context the dependency rules read copied files from
        self.source_path = source_path  # the file on disk, when it is one (for `<name>.dockerignore`)
        # The ONBUILD triggers as child images run them: for each stage that has triggers, a
        # stage built on it holding them (None without triggers). Its build context is the
        # child's, unknown here, so it has no `context_dir`.
        self.onbuild: Dockerfile | None = None

    @property
    def final_stage(self) -> Stage | None:
        for stage in self.stages:
            if stage.is_final:
                return stage
        return None
