"""Applying fixes: the rules' edits to file text, pass after pass, in memory.

Edits are in the original file's coordinates: 1-based (line, column), end exclusive, the
lines as the parser numbers them (a BOM before line 1, a line's `\\r\\n` after its last
column). A newline in a replacement takes the line ending of the line it lands on, so a
CRLF file stays CRLF. Each fix applies whole or not at all. Fixes are taken in finding
order (path, line, column, rule); one whose edits overlap an edit already taken is
skipped for this pass, except that an identical edit is shared (two findings in one RUN
that both add `--no-cache` to the same word). `--fix` repeats passes until no fix is
left or applies, so skipped fixes get their turn on the re-parsed text. A file that
does not parse is not fixed, and a fix that would make it unparseable is refused.
"""
from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence

from .config import Settings
from .engine import FileResult, check_file, check_text, internal_error
from .files import Unreadable, decode, read_file
from .lintcontext import RunContext
from .model import Edit, Finding, Pos
from .parsing.dockerfile import parse_dockerfile
from .record import Record

MAX_PASSES = 10

# (start offset, end offset, replacement with the file's line endings)
_Span = tuple[int, int, str]


class EditError(ValueError):
    """An edit that does not fit the text (a rule bug): its fix is not applied."""


class _Layout:
    """Offsets of the text's lines, in the parser's numbering."""

    def __init__(self, text: str):
        self.text = text
        first = 1 if text.startswith("\ufeff") else 0
        self.starts = [first] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        self.default_newline = "\r\n" if "\r\n" in text else "\n"

    def _content_end(self, index: int) -> int:
        """Offset just after line `index`'s last character (before its `\\r\\n`)."""
        if index + 1 < len(self.starts):
            end = self.starts[index + 1] - 1
        else:
            end = len(self.text)
        if end > self.starts[index] and self.text[end - 1] == "\r":
            end -= 1
        return end

    def offset(self, pos: Pos) -> int:
        line, col = pos
        if line < 1 or col < 1 or line > len(self.starts):
            raise EditError(f"position {line}:{col} is outside the file")
        start = self.starts[line - 1]
        if start == len(self.text) and col == 1:
            return start  # just past the last line
        offset = start + col - 1
        if offset > self._content_end(line - 1):
            raise EditError(f"position {line}:{col} is past the end of its line")
        return offset

    def newline_at(self, line: int) -> str:
        if line < len(self.starts):
            end = self.starts[line] - 1
            return "\r\n" if end > 0 and self.text[end - 1] == "\r" else "\n"
        return self.default_newline

    def span(self, edit: Edit) -> _Span:
        start, end = self.offset(edit.start), self.offset(edit.end)
        if end < start:
            raise EditError(f"edit ends ({edit.end}) before it starts ({edit.start})")
        replacement = edit.replacement.replace("\r\n", "\n")
        newline = self.newline_at(edit.start[0])
        if newline != "\n":
            replacement = replacement.replace("\n", newline)
        return start, end, replacement


def _overlap(a: _Span, b: _Span) -> bool:
    if a == b:
        return False  # the same edit from two fixes is applied once
    if a[0] == a[1] == b[0] == b[1]:
        return True  # two different insertions at one point: no order is right
    return a[0] < b[1] and b[0] < a[1]


def _splice(text: str, spans: Iterable[_Span]) -> str:
    # From the end backwards, so offsets stay valid; at one start the longer edit first,
    # so an insertion lands before the text that a deletion there removed.
    for start, end, replacement in sorted(set(spans), key=lambda s: (s[0], s[1]), reverse=True):
        text = text[:start] + replacement + text[end:]
    return text


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply edits (original coordinates) to `text`; overlapping edits are an EditError."""
    layout = _Layout(text)
    spans = [layout.span(e) for e in edits]
    for i, a in enumerate(spans):
        if any(_overlap(a, b) for b in spans[i + 1:]):
            raise EditError("edits overlap")
    return _splice(text, spans)


def usable(finding: Finding, unsafe: bool) -> bool:
    return finding.fix is not None and bool(finding.fix.edits) and (finding.fix.safe or unsafe)


def choose_fixes(text: str, findings: Sequence[Finding], unsafe: bool = False
                 ) -> tuple[list[Finding], list[Finding]]:
    """The findings whose fixes apply together to `text`, and those skipped (conflicts)."""
    layout = _Layout(text)
    taken: list[_Span] = []
    chosen, skipped = [], []
    for finding in sorted((f for f in findings if usable(f, unsafe)), key=lambda f: f.sort_key):
        try:
            spans = [layout.span(e) for e in finding.fix.edits]
        except EditError:
            skipped.append(finding)
            continue
        own_overlap = any(_overlap(a, b) for i, a in enumerate(spans) for b in spans[i + 1:])
        if own_overlap or any(_overlap(a, b) for a in spans for b in taken):
            skipped.append(finding)
            continue
        taken.extend(spans)
        chosen.append(finding)
    return chosen, skipped


def _apply_fixes(text: str, findings: Iterable[Finding]) -> str:
    layout = _Layout(text)
    return _splice(text, [layout.span(e) for f in findings for e in f.fix.edits])


def _problems(text: str) -> int:
    return len(parse_dockerfile(text).problems)


class FixOutcome(Record):
    """A file's text after fixing, and which findings the fixes removed."""
    __slots__ = ("path", "original", "text", "found", "fixed", "result")

    def __init__(self, path: str, original: str, text: str, found: list[Finding] | None = None,
                 fixed: list[Finding] | None = None, result: FileResult | None = None) -> None:
        self.path = path
        self.original = original
        self.text = text
        self.found = [] if found is None else found  # in the original text
        self.fixed = [] if fixed is None else fixed  # as found, in the pass that fixed them
        self.result = result  # the findings that remain in `text`

    @property
    def changed(self) -> bool:
        return self.text != self.original


def fix_text(text: str, path: str, settings: Settings, unsafe: bool = False,
             run: RunContext | None = None) -> FixOutcome:
    """Apply every usable fix to `text`, pass after pass, re-checking in between.

    A file that does not parse is left alone: where the parser lost its way, positions
    may point at the wrong text.
    """
    run = run or RunContext()
    result = check_text(text, path, settings, run=run)
    outcome = FixOutcome(path, text, text, found=list(result.findings))
    refused: set[tuple[str, str]] = set()  # fixes that would break the file
    for _ in range(MAX_PASSES):
        if _problems(text):
            break
        candidates = [f for f in result.findings if usable(f, unsafe) and (f.rule, f.message) not in refused]
        chosen = choose_fixes(text, candidates, unsafe)[0]
        if not chosen:
            break
        new_text = _apply_fixes(text, chosen)
        if _problems(new_text):
            kept = []
            for finding in chosen:
                if _problems(_apply_fixes(text, [*kept, finding])):
                    refused.add((finding.rule, finding.message))
                else:
                    kept.append(finding)
            chosen, new_text = kept, _apply_fixes(text, kept)
        if new_text == text:
            if chosen:
                break  # fixes that change nothing: stop rather than loop
            continue
        outcome.fixed.extend(chosen)
        text = new_text
        result = check_text(text, path, settings, run=run)
    outcome.text = text
    outcome.result = result
    return outcome


def fix_file(path: str, settings: Settings, unsafe: bool = False, data: bytes | None = None,
             run: RunContext | None = None) -> tuple[FixOutcome | None, FileResult]:
    """Fix one file in memory; an unreadable file gets its plain check result and no outcome."""
    try:
        text = decode(data, settings.max_file_size) if data is not None else read_file(path, settings.max_file_size)
    except Unreadable:
        return None, check_file(path, settings, data=data, run=run)
    try:
        outcome = fix_text(text, path, settings, unsafe, run)
    except RecursionError:
        return None, check_file(path, settings, data=data, run=run)
    except Exception as error:  # never a traceback: report and go on with the other files
        return None, FileResult(path, errors=[internal_error(f"{path}: internal error while fixing", error,
                                                             settings)])
    return outcome, outcome.result


def unified_diff(outcome: FixOutcome) -> str:
    lines = difflib.unified_diff(outcome.original.splitlines(keepends=True), outcome.text.splitlines(keepends=True),
                                 fromfile=outcome.path, tofile=outcome.path)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)
