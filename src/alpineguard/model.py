"""The small model every rule reads: a Dockerfile as stages, instructions and shell
commands, each piece carrying its exact position in the original file; and the
findings and fixes rules produce."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Optional

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


@dataclass(frozen=True)
class Edit:
    """Replace the text from start (inclusive) to end (exclusive) with replacement."""
    start: Pos
    end: Pos
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A set of edits that removes a finding; unsafe ones need --unsafe-fixes."""
    description: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass
class Finding:
    """One problem at one place in one file, as reporters print it."""
    rule: str
    name: str
    severity: Severity
    path: str
    start: Pos
    end: Pos
    message: str
    fix: Optional[Fix] = None

    @property
    def sort_key(self):
        return (self.path, self.start[0], self.start[1], self.rule, self.message)


class SourceText:
    """A string whose every character remembers where it stands in the file.

    `origins[i]` is the (line, column) of `text[i]`; `end` is the position just after
    the last character, so an empty tail still has a place to point at. `shell_parse`
    keeps (env, tokens, commands) of its last reading as shell (parsing/shell.py), so
    rules that look at shell syntax do not lex the same script again.
    """
    __slots__ = ("text", "origins", "end", "shell_parse")

    def __init__(self, text: str, origins: list[Pos], end: Pos):
        self.text = text
        self.origins = origins
        self.end = end
        self.shell_parse = None

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


@dataclass
class Word:
    """One shell word after quote removal and variable expansion.

    `start`/`end` span the word as written; `raw` is the text as written;
    `origins` maps each character of `value` back to the file (for `sh -c` bodies).
    `quoted` tells whether any part was quoted; `expanded` whether a variable was
    substituted into it.
    """
    value: str
    raw: str
    start: Pos
    end: Pos
    origins: list[Pos] = field(default_factory=list, repr=False)
    quoted: bool = False
    expanded: bool = False

    def source(self) -> SourceText:
        return SourceText(self.value, self.origins, self.end)


@dataclass
class Redirect:
    """A shell redirection, with the here-document body for `<<`."""
    op: str
    target: Optional[Word]
    start: Pos
    body: Optional[SourceText] = None  # here-document text for `<<`


@dataclass
class Command:
    """A simple command: `FOO=1 apk add --no-cache curl`.

    `connector` is the operator that joined it to the previous command in its list
    (`&&`, `||`, `;`, `|`, `&`, newline) or None for the first one. `depth` counts
    `sh -c` nestings; `interpreter` is the shell that reads it; `script` the shell
    source it was read from (shared by the commands of one script).
    """
    argv: list[Word]
    assignments: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    connector: Optional[str] = None
    depth: int = 0
    interpreter: str = "sh"
    heredoc_fed: bool = False
    script: Optional[SourceText] = field(default=None, repr=False, compare=False)
    # Facts derived from the command once and shared by all rules (e.g. its apk call).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def name(self) -> str:
        """Base name of the program run, after wrappers like `sudo`, `env`, `exec`."""
        args = self.effective_argv()
        return args[0].value.rsplit("/", 1)[-1] if args else ""

    def effective_argv(self) -> list[Word]:
        args = self.argv
        while args:
            head = args[0].value.rsplit("/", 1)[-1]
            if head == "command" and len(args) > 1 and args[1].value in ("-v", "-V"):
                return []  # `command -v apk` asks whether apk exists; it runs nothing
            if head in ("sudo", "exec", "nohup", "time", "command", "doas", "su-exec"):
                args = args[1:]
                while args and args[0].value.startswith("-"):
                    args = args[1:]
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


@dataclass
class Flag:
    """An instruction flag such as `--mount=type=cache,target=/var/cache/apk`."""
    name: str
    value: str
    start: Pos
    end: Pos


@dataclass
class Heredoc:
    """A BuildKit heredoc of a RUN, COPY or ADD instruction."""
    delimiter: str
    strip_tabs: bool
    quoted: bool
    body: SourceText
    marker_start: Pos
    start_line: int  # first body line
    end_line: int  # terminator line


@dataclass
class Instruction:
    """One Dockerfile instruction with its continuations joined and positions kept."""
    keyword: str  # upper case: RUN, FROM, ...
    start: Pos  # the keyword
    end: Pos  # after the last character (last terminator line for heredocs)
    args: SourceText  # everything after the keyword and flags, continuations joined
    flags: list[Flag] = field(default_factory=list)
    heredocs: list[Heredoc] = field(default_factory=list)
    exec_form: Optional[list[Word]] = None  # JSON array form of RUN/CMD/ENTRYPOINT/SHELL
    commands: list[Command] = field(default_factory=list)  # RUN only
    shell: list[str] = field(default_factory=lambda: ["/bin/sh", "-c"])  # SHELL in force
    env: dict[str, str] = field(default_factory=dict)  # ARG/ENV known before it
    stage: Optional["Stage"] = field(default=None, repr=False)
    end_line: int = 0
    # Facts derived once and shared by all rules (e.g. what follows each command).
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def line(self) -> int:
        return self.start[0]

    def command_index(self, command: Command) -> Optional[int]:
        """Where this very `command` object stands in `commands` (None: not there).

        By identity and from a table built once: `commands.index` compares field by field,
        which makes a RUN of thousands of commands quadratic.
        """
        positions = self.derived.get("positions")
        if positions is None or len(positions) != len(self.commands):
            positions = self.derived["positions"] = {id(c): i for i, c in enumerate(self.commands)}
        return positions.get(id(command))

    def flag(self, name: str) -> Optional[Flag]:
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


@dataclass
class ImageRef:
    """A parsed image reference as written in FROM, after build-arg substitution."""
    text: str
    registry: str = ""
    path: str = ""  # repository path without registry, e.g. library/python -> python
    tag: str = ""
    digest: str = ""
    resolved: bool = True  # False when a variable stayed unexpanded

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class Stage:
    """A build stage: its base image, what it inherits and its instructions."""
    index: int
    name: Optional[str]
    from_instruction: Instruction
    image_word: Optional[Word]  # the image token in FROM
    image: ImageRef
    parent: Optional["Stage"] = None  # FROM <earlier stage>
    kind: ImageKind = ImageKind.UNKNOWN
    kind_inferred: bool = False  # unknown base, taken as Alpine because the stage runs apk
    alpine_release: Optional[str] = None  # "3.20" when the tag pins one
    instructions: list[Instruction] = field(default_factory=list)
    platform: Optional[str] = None
    is_final: bool = False
    feeds_final: bool = False  # the final stage or one it inherits from
    env: dict[str, str] = field(default_factory=dict)  # ARG/ENV known at the stage's end
    shell: list[str] = field(default_factory=lambda: ["/bin/sh", "-c"])  # SHELL at the stage's end

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


@dataclass
class ParseProblem:
    """Why part of the file is not a valid Dockerfile (reported as AG001)."""
    message: str
    start: Pos
    end: Pos


@dataclass
class Dockerfile:
    """The whole parsed file: instructions, stages, directives and problems."""
    path: str
    text: str
    lines: list[str]
    instructions: list[Instruction]
    stages: list[Stage]
    directives: dict[str, str]
    escape: str = "\\"
    crlf: bool = False
    problems: list[ParseProblem] = field(default_factory=list)
    global_args: dict[str, str] = field(default_factory=dict)
    context_dir: Optional[str] = None  # build context the dependency rules read copied files from
    source_path: Optional[str] = None  # the file on disk, when it is one (for `<name>.dockerignore`)

    @property
    def final_stage(self) -> Optional[Stage]:
        for stage in self.stages:
            if stage.is_final:
                return stage
        return None
