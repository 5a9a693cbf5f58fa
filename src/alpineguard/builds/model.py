"""What a build definition says about one build of one Dockerfile, and what went wrong reading it."""
from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ..record import Record

MAX_DEFINITION_SIZE = 4 * 1024 * 1024
# A build context that is no local folder: a URL or a git remote.
REMOTE_CONTEXT = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/)")

# The value of an argument whose variable is not set here (see interpolation.py).
Args = tuple[tuple[str, str | None], ...]


class InlineDockerfile(Record, frozen=True):
    """Dockerfile text written inside a definition file, and where its lines stand there.

    In a YAML literal block (`literal`), line n of `text` is line `first_line + n - 1` of
    the file, `indent` columns further right; on a line that interpolation changed
    (`changed_lines`) only the line is known, not the column. Any other value maps every
    position to its start, (first_line, indent + 1).
    """
    __slots__ = ("text", "first_line", "indent", "literal", "changed_lines")

    def __init__(self, text: str, first_line: int, indent: int, literal: bool = False,
                 changed_lines: frozenset[int] = frozenset()) -> None:
        self.text = text
        self.first_line = first_line
        self.indent = indent
        self.literal = literal
        self.changed_lines = changed_lines

    def position(self, pos: tuple[int, int]) -> tuple[int, int]:
        """The definition file's position of `pos` in the inline text."""
        line, column = pos
        if not self.literal:
            return (self.first_line, self.indent + 1)
        if line in self.changed_lines:
            return (self.first_line + line - 1, self.indent + 1)
        return (self.first_line + line - 1, column + self.indent)


class Build(Record, frozen=True):
    """One build: a compose service's `build` or a bake target.

    `dockerfile` is an absolute path (None for an inline Dockerfile), `context` an absolute
    folder. An arg whose value is None is passed by the definition with a value unknown
    here. `named_contexts` maps a name that `FROM`/`COPY --from` may use to the image a
    `docker-image://` context names, or to None for any other kind of context.
    """
    __slots__ = ("kind", "name", "source", "line", "dockerfile", "inline", "context", "args", "target",
                 "platforms", "named_contexts")
    _unequal = ("kind", "name", "source", "line")

    def __init__(self, kind: str, name: str, source: str, line: int, dockerfile: str | None,
                 inline: InlineDockerfile | None, context: str, args: Args = (), target: str | None = None,
                 platforms: tuple[str, ...] = (), named_contexts: Args = ()) -> None:
        self.kind = kind  # "service" or "bake target"
        self.name = name
        self.source = source  # the definition file, as shown
        self.line = line
        self.dockerfile = dockerfile
        self.inline = inline
        self.context = context
        self.args = args
        self.target = target
        self.platforms = platforms
        self.named_contexts = named_contexts

    @property
    def label(self) -> str:
        """`service `api` in compose.yaml:12`: how a finding names the build it depends on."""
        return f"{self.kind} `{self.name}` in {self.source}:{self.line}"


class DefinitionProblem(Record, frozen=True):
    """A definition file that cannot be read, or a part of one that cannot be used."""
    __slots__ = ("path", "line", "column", "message")

    def __init__(self, path: str, line: int, column: int, message: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message


def read_definition(path: str, shown: str, problems: list[DefinitionProblem],
                    texts: Mapping[str, str | None] | None = None) -> str | None:
    """A definition file's text, or None with a problem added; `texts` stands in for the
    files it names (None: the file is not there, as in an older commit)."""
    if texts is not None and path in texts:
        return texts[path]
    try:
        if os.path.getsize(path) > MAX_DEFINITION_SIZE:
            problems.append(DefinitionProblem(shown, 1, 1, "larger than 4 MiB; not read"))
            return None
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        problems.append(DefinitionProblem(shown, 1, 1, "not UTF-8 text"))
    except OSError as error:
        problems.append(DefinitionProblem(shown, 1, 1, f"cannot read: {error.strerror or error}"))
    return None


def named_contexts(contexts: Any) -> Args:
    """(name, image) for each named context: the image of a `docker-image://` context,
    None for any other (a folder, a URL, another service or target)."""
    if not isinstance(contexts, dict):
        return ()
    return tuple(sorted((str(name), value[len("docker-image://"):]
                         if isinstance(value, str) and value.startswith("docker-image://") else None)
                        for name, value in contexts.items()))


class DefinitionProject:
    """Definition files read together (a compose project, a folder's bake files)."""

    def __init__(self, files: list[str], environment: Mapping[str, str], shown: dict[str, str] | None = None,
                 texts: Mapping[str, str | None] | None = None):
        self.files = files
        self.folder = os.path.dirname(os.path.abspath(files[0]))  # relative paths start here
        self.environment = environment
        self.shown = shown or {}  # absolute path -> as shown
        self.texts = texts  # stands in for files (see read_definition)
        self.problems: list[DefinitionProblem] = []

    def _show(self, path: str) -> str:
        return self.shown.get(path, path)
