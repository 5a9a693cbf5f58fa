"""The build context: which of its files COPY/ADD bring into a stage, and where they land.

Dependency rules read requirement, package and lock files only when the Dockerfile copies
them into the stage before the install command; `changed` asks the reverse question for
the pre-commit hook (a dependency file changed: which Dockerfiles copy it in?). Both go
through `ImageFiles`, built from the COPY/ADD instructions of a stage and its ancestors:
sources are matched in the context folder (globs, folders, `.`), `.dockerignore` and
`--exclude` patterns drop files, destinations resolve against WORKDIR, and
`COPY --from=` (another stage or image) is never read from the context.
"""
from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterator

from .model import Instruction, SourceText, Stage
from .parsing.shell import split_words
from .record import Record

_GLOB_CHARS = frozenset("*?[")
_SKIPPED_WALK_DIRS = frozenset({".git", ".hg", ".svn"})


# ---------------------------------------------------------------- .dockerignore

def _pattern_regex(pattern: str) -> re.Pattern:
    """Docker's pattern syntax: `*` and `?` within a path element, `**` across elements."""
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**", i):
            i += 2
            if pattern.startswith("/", i):
                i += 1
                out.append("(?:.*/)?")
            else:
                out.append(".*")
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("^") else body) + "]")
                i = end
        elif char == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out) + r"\Z")


def _clean(path: str) -> str:
    cleaned = posixpath.normpath("/" + path.replace("\\", "/")).lstrip("/")
    return "" if cleaned == "." else cleaned


class IgnoreRules:
    """`.dockerignore` patterns: the last pattern that matches a path (or a folder above it) wins."""

    def __init__(self, lines: list[str]):
        self.rules: list[tuple[bool, re.Pattern]] = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negated = line.startswith("!")
            pattern = _clean(line[1:].strip() if negated else line)
            if pattern:
                self.rules.append((negated, _pattern_regex(pattern)))

    @classmethod
    def for_dockerfile(cls, dockerfile_path: str | None, context_dir: str) -> "IgnoreRules":
        """`<Dockerfile>.dockerignore` next to the Dockerfile wins over the context's `.dockerignore`."""
        candidates = [os.path.join(context_dir, ".dockerignore")]
        if dockerfile_path:
            candidates.insert(0, dockerfile_path + ".dockerignore")
        for candidate in candidates:
            try:
                with open(candidate, encoding="utf-8", errors="replace") as handle:
                    return cls(handle.read().splitlines())
            except OSError:
                continue
        return cls([])

    def excluded(self, rel_path: str) -> bool:
        if not self.rules or not rel_path:
            return False
        parts = rel_path.split("/")
        prefixes = ["/".join(parts[:n]) for n in range(1, len(parts) + 1)]
        verdict = False
        for negated, regex in self.rules:
            if any(regex.match(prefix) for prefix in prefixes):
                verdict = not negated
        return verdict


# ---------------------------------------------------------------- what lands where

class CopiedFile(Record, frozen=True):
    """A file in the image that came from the build context (or from a COPY heredoc)."""
    __slots__ = ("image_path", "rel_path", "abs_path", "instruction", "inline")

    def __init__(self, image_path: str, rel_path: str | None, abs_path: str | None, instruction: Instruction,
                 inline: SourceText | None = None) -> None:
        self.image_path = image_path
        self.rel_path = rel_path  # relative to the context; None for heredoc content
        self.abs_path = abs_path
        self.instruction = instruction
        self.inline = inline  # `COPY <<EOF /app/requirements.txt` body

    @property
    def display(self) -> str:
        return self.rel_path if self.rel_path is not None else f"{self.image_path} (heredoc)"

    def read(self, limit: int = 4 * 1024 * 1024) -> str | None:
        if self.inline is not None:
            return self.inline.text
        try:
            if os.path.getsize(self.abs_path) > limit:
                return None
            with open(self.abs_path, encoding="utf-8", errors="replace") as handle:
                return handle.read()
        except OSError:
            return None


class _Source(Record):
    """One COPY/ADD source: a context path or pattern, or inline heredoc content."""
    __slots__ = ("rel", "inline")

    def __init__(self, rel: str, inline: SourceText | None = None) -> None:
        self.rel = rel  # pattern or path relative to the context, cleaned
        self.inline = inline


class _Copy(Record):
    """A COPY/ADD instruction read into its sources and destination."""
    __slots__ = ("instruction", "sources", "dest", "dest_is_dir", "excludes", "parents")

    def __init__(self, instruction: Instruction, sources: list[_Source], dest: str, dest_is_dir: bool,
                 excludes: list[re.Pattern], parents: bool) -> None:
        self.instruction = instruction
        self.sources = sources
        self.dest = dest  # absolute in-image path
        self.dest_is_dir = dest_is_dir
        self.excludes = excludes
        self.parents = parents


def _join_image(base: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(base, path)) if path else base


def workdir_after(ins: Instruction, current: str) -> str:
    """The working directory once a WORKDIR instruction has run."""
    words = split_words(ins.args, ins.env)
    return _join_image(current, words[0].value) if words else current


class ImageFiles:
    """Context files copied into one stage (and its ancestors) before an instruction."""

    def __init__(self, stage: Stage, context_dir: str | None, before: Instruction | None = None,
                 dockerfile_path: str | None = None):
        self.context_dir = os.path.abspath(context_dir) if context_dir else None
        self.ignore = (IgnoreRules.for_dockerfile(dockerfile_path, self.context_dir) if self.context_dir
                       else IgnoreRules([]))
        self.copies: list[_Copy] = []
        self.known_dirs: set[str] = {"/"}
        self.workdir = "/"
        for current in reversed(stage.lineage()):
            if current is not stage and current.parent is None:
                self.workdir = "/"
            for ins in current.instructions:
                if ins is before:
                    return
                self._apply(ins)

    def _apply(self, ins: Instruction):
        if ins.keyword == "WORKDIR":
            self.workdir = workdir_after(ins, self.workdir)
            self.known_dirs.add(self.workdir)
        elif ins.keyword in ("COPY", "ADD") and not ins.flag("from"):
            copy = self._parse_copy(ins)
            if copy is not None:
                self.copies.append(copy)
                if copy.dest_is_dir:
                    self.known_dirs.add(copy.dest)

    def _parse_copy(self, ins: Instruction) -> _Copy | None:
        values = [w.value for w in ins.exec_form] if ins.exec_form else [w.value for w in split_words(ins.args, ins.env)]
        # The shell-word reader drops `<<EOF` markers: heredoc bodies are sources of their own.
        sources = [_Source("", inline=doc.body) for doc in ins.heredocs]
        if not values or len(values) + len(sources) < 2:
            return None
        *raw_sources, raw_dest = values
        for raw in raw_sources:
            if raw.startswith("<<"):
                continue
            if ins.keyword == "ADD" and (re.match(r"^[a-z][a-z0-9+.-]*://", raw) or raw.startswith("git@")):
                continue  # a download, not a context file
            sources.append(_Source(_clean(raw)))
        if not sources:
            return None
        dest = _join_image(self.workdir, raw_dest)
        dest_is_dir = (raw_dest.endswith("/") or raw_dest in (".", "./") or dest in self.known_dirs
                       or len(sources) > 1 or any(_is_dir_source(s, self.context_dir) for s in sources))
        excludes = [_pattern_regex(_clean(value)) for value in ins.flag_values("exclude")]
        parents = ins.flag("parents") is not None and ins.flag("parents").value.lower() not in ("false", "0")
        return _Copy(ins, sources, dest, dest_is_dir, excludes, parents)

    # -- forward: which file is at an in-image path?

    def lookup(self, image_path: str) -> CopiedFile | None:
        """The context file that the latest COPY put at `image_path`, if any."""
        image_path = posixpath.normpath(image_path)
        for copy in reversed(self.copies):
            found = self._lookup_in(copy, image_path)
            if found is not None:
                return found
        return None

    def _lookup_in(self, copy: _Copy, image_path: str) -> CopiedFile | None:
        for source in reversed(copy.sources):
            if source.inline is not None:
                if copy.dest == image_path and not copy.dest_is_dir:
                    return CopiedFile(image_path, None, None, copy.instruction, source.inline)
                continue
            if not copy.dest_is_dir:
                if image_path == copy.dest:
                    rel = self._existing_file(source.rel)
                    if rel is not None and self._allowed(copy, rel):
                        return self._copied(copy, image_path, rel)
                continue
            prefix = copy.dest.rstrip("/") + "/"
            if not image_path.startswith(prefix):
                continue
            rest = image_path[len(prefix):]
            for rel in self._candidates(source.rel, rest, copy.parents):
                if self._allowed(copy, rel) and self._is_file(rel):
                    return self._copied(copy, image_path, rel)
        return None

    def _candidates(self, pattern: str, rest: str, parents: bool) -> Iterator[str]:
        """Context paths that `pattern` would copy to `<dest>/<rest>`."""
        if parents:
            if _matches_or_under(pattern, rest):
                yield rest
            return
        first, _, tail = rest.partition("/")
        for match in self._expand(pattern):
            full = self._abs(match)
            if full is None:
                continue
            if os.path.isdir(full):
                yield _clean(posixpath.join(match, rest))
            elif not tail and posixpath.basename(match) == first:
                yield match

    def _expand(self, pattern: str) -> list[str]:
        """Context paths that a COPY source names (globs matched per path element)."""
        if not _GLOB_CHARS.intersection(pattern):
            return [pattern]
        if self.context_dir is None:
            return []
        matches = [""]
        for part in pattern.split("/"):
            next_matches = []
            for base in matches:
                if _GLOB_CHARS.intersection(part):
                    regex = _pattern_regex(part)
                    try:
                        names = sorted(os.listdir(self._abs(base) or self.context_dir))
                    except OSError:
                        continue
                    next_matches += [posixpath.join(base, n) if base else n for n in names if regex.match(n)]
                else:
                    next_matches.append(posixpath.join(base, part) if base else part)
            matches = next_matches
        return matches

    def _abs(self, rel: str) -> str | None:
        if self.context_dir is None:
            return None
        return os.path.join(self.context_dir, *rel.split("/")) if rel else self.context_dir

    def _is_file(self, rel: str) -> bool:
        full = self._abs(rel)
        return full is not None and os.path.isfile(full)

    def _existing_file(self, pattern: str) -> str | None:
        return next((m for m in self._expand(pattern) if self._is_file(m)), None)

    def _allowed(self, copy: _Copy, rel: str) -> bool:
        if self.ignore.excluded(rel):
            return False
        return not any(regex.match(rel) or regex.match(posixpath.basename(rel)) for regex in copy.excludes)

    def _copied(self, copy: _Copy, image_path: str, rel: str) -> CopiedFile:
        return CopiedFile(image_path, rel, self._abs(rel), copy.instruction)

    # -- reverse: every context file copied in

    def context_files(self, candidates: set[str] | None = None) -> set[str]:
        """Relative paths of context files the stage copies in; with `candidates`, only those."""
        found: set[str] = set()
        for copy in self.copies:
            for source in copy.sources:
                if source.inline is not None:
                    continue
                for match in self._expand(source.rel):
                    found.update(rel for rel in self._files_under(match, candidates) if self._allowed(copy, rel))
        return found

    def _files_under(self, rel: str, candidates: set[str] | None) -> Iterator[str]:
        full = self._abs(rel)
        if full is None:
            return
        if candidates is not None:
            prefix = rel + "/" if rel else ""
            for candidate in candidates:
                if (candidate == rel or candidate.startswith(prefix)) and self._is_file(candidate):
                    yield candidate
            return
        if os.path.isfile(full):
            yield rel
            return
        for folder, dirs, files in os.walk(full):
            base = os.path.relpath(folder, self.context_dir).replace(os.sep, "/")
            base = "" if base == "." else base
            dirs[:] = [d for d in dirs if d not in _SKIPPED_WALK_DIRS
                       and not self.ignore.excluded(posixpath.join(base, d) if base else d)]
            for name in files:
                yield posixpath.join(base, name) if base else name


def _is_dir_source(source: _Source, context_dir: str | None) -> bool:
    if source.inline is not None or context_dir is None:
        return False
    if _GLOB_CHARS.intersection(source.rel):
        return True  # several files or folders: the destination is a folder
    return os.path.isdir(os.path.join(context_dir, *source.rel.split("/")) if source.rel else context_dir)


def _matches_or_under(pattern: str, path: str) -> bool:
    if not pattern:
        return True
    regex = _pattern_regex(pattern)
    parts = path.split("/")
    return any(regex.match("/".join(parts[:n])) for n in range(1, len(parts) + 1))

