"""The review's text: hidden markers, escaped Markdown, suggested changes, the review body.

Pure functions over findings, patches and file lines, so placement is tested without a
server. User-controlled text (messages quote Dockerfile words, paths) is escaped: no
Markdown, no HTML, no @-mentions or #-references come through from a pull request.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Optional

from ..model import Finding
from .diff import Patch

FINDING_MARKER = re.compile(r"^<!-- alpineguard:finding id=([0-9a-f]{16}(?:\.\d+)?)( gone)? -->")
REVIEW_MARKER = "<!-- alpineguard:review"
# GitHub refuses a comment or review body longer than 65,536 characters.
MAX_BODY = 65536
_BODY_BUDGET = MAX_BODY - 2000  # room for the header and the closing line
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")
_REFERENCE = re.compile(r"([@#])(?=\w)")
_WORD_JOINER = "\u2060"
SEVERITY_ICONS = {"error": ":x:", "warning": ":warning:", "info": ":information_source:", "style": ":art:"}


def escape(text: str) -> str:
    """Text shown as written: Markdown punctuation escaped, HTML disarmed, mentions broken."""
    text = " ".join(text.splitlines())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _REFERENCE.sub(lambda m: m.group(1) + _WORD_JOINER, text)


def _code_span(text: str, in_table: bool) -> str:
    if not text.strip():
        return escape(f"`{text}`")
    text = " ".join(text.splitlines())
    return "`" + (text.replace("|", "\\|") if in_table else text) + "`"


def message_markdown(message: str, in_table: bool = False) -> str:
    """A rule message whose `quoted` parts become code spans and the rest escaped text.

    A code span cannot be broken out of: the split removes every backtick from its content.
    """
    parts = message.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: show everything as plain text
        return escape(message)
    return "".join(_code_span(p, in_table) if i % 2 else escape(p) for i, p in enumerate(parts))


def finding_ids(findings: list[Finding], lines_of: dict[str, list[str]]) -> list[str]:
    """A stable id per finding: its rule, message and the text of its line, so it survives
    lines moving up or down; a counter tells identical twins apart."""
    seen: dict[str, int] = {}
    ids = []
    for f in findings:
        lines = lines_of.get(f.path, [])
        text = lines[f.start[0] - 1].strip() if 0 < f.start[0] <= len(lines) else ""
        digest = hashlib.sha256("\0".join((f.path, f.rule, f.message, text)).encode()).hexdigest()[:16]
        count = seen.get(digest, 0)
        seen[digest] = count + 1
        ids.append(digest if count == 0 else f"{digest}.{count}")
    return ids


def marker(finding_id: str, gone: bool = False) -> str:
    return f"<!-- alpineguard:finding id={finding_id}{' gone' if gone else ''} -->"


def suggestion(f: Finding, lines: list[str], patch: Patch) -> Optional[tuple[int, int, list[str]]]:
    """(first line, last line, replacement lines) for a safe fix that a suggested change can show:
    every line it touches, and the finding's own line, in one hunk of the diff."""
    if f.fix is None or not f.fix.safe or not f.fix.edits:
        return None
    first = min([f.start[0]] + [e.start[0] for e in f.fix.edits])
    last = min(max([f.start[0]] + [e.end[0] for e in f.fix.edits]), len(lines))
    if first < 1 or not patch.same_hunk(first, last):
        return None
    block = "\n".join(lines[first - 1:last])
    starts = [sum(len(lines[n - 1]) + 1 for n in range(first, line)) for line in range(first, last + 2)]

    def offset(pos) -> int:
        line, col = pos
        return min(starts[line - first] + col - 1, len(block)) if line <= last else len(block)

    for edit in sorted(f.fix.edits, key=lambda e: e.start, reverse=True):
        block = block[:offset(edit.start)] + edit.replacement + block[offset(edit.end):]
    return first, last, block.split("\n")


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def heading(f: Finding) -> str:
    severity = f.severity.label
    return f"{SEVERITY_ICONS[severity]} **{severity}** `{f.rule}` {f.name}: {message_markdown(f.message)}"


@dataclass
class Entry:
    """One finding ready for the review: inline at `line` (and `start_line`), or for the body."""
    id: str
    finding: Finding
    line: Optional[int] = None
    start_line: Optional[int] = None
    suggested: Optional[list[str]] = None
    note: str = ""

    @property
    def inline(self) -> bool:
        return self.line is not None

    def to_body(self, note: str) -> None:
        self.line = self.start_line = self.suggested = None
        self.note = note

    def comment_body(self) -> str:
        parts = [marker(self.id), heading(self.finding)]
        fix = self.finding.fix
        if self.suggested is not None:
            fence = _fence(self.suggested)
            parts.append(f"Suggested fix ({escape(fix.description)}):\n\n{fence}suggestion\n"
                         + "\n".join(self.suggested) + f"\n{fence}")
        elif fix is not None and fix.safe:
            parts.append(f"Fix: {escape(fix.description)} (`alpineguard --fix`).")
        parts.append(f"<sub>alpineguard · `alpineguard --explain {self.finding.rule}`</sub>")
        body = "\n\n".join(parts)
        if len(body) > MAX_BODY and self.suggested is not None:
            self.suggested = None
            return self.comment_body()
        return body

    def review_comment(self) -> dict:
        comment = {"path": self.finding.path, "line": self.line, "side": "RIGHT", "body": self.comment_body()}
        if self.start_line is not None:
            comment.update(start_line=self.start_line, start_side="RIGHT")
        return comment

    def body_line(self) -> str:
        f = self.finding
        note = f" ({escape(self.note)})" if self.note else ""
        return f"- {marker(self.id)} {heading(f)} at {message_markdown('`' + f.path + '`')} line {f.start[0]}{note}"


def place(entry: Entry, lines: list[str], patch: Optional[Patch], suggestions: bool) -> None:
    """Put the entry on the diff where GitHub accepts a comment, with a suggested change if one fits."""
    f = entry.finding
    if patch is None:
        entry.to_body("the file's diff is not available")
        return
    fixed = suggestion(f, lines, patch) if suggestions else None
    if fixed is not None:
        first, last, replacement = fixed
    else:
        first, last, replacement = f.start[0], max(f.start[0], f.end[0]), None
        if not patch.same_hunk(first, last):
            last = first
    if not patch.commentable(first):
        entry.to_body("not on a line of the diff")
        return
    entry.line, entry.start_line = last, (first if last > first else None)
    entry.suggested = replacement


def review_body(run_marker: str, entries: list[Entry], inline: int, total: int) -> str:
    header = [f"{REVIEW_MARKER} {run_marker} -->",
              f"**alpineguard** found {total} new finding{'s' if total != 1 else ''} "
              f"({inline} commented inline)."]
    body_entries = [e for e in entries if not e.inline]
    lines: list[str] = []
    if body_entries:
        lines.append("\nFindings that cannot be shown on the diff:\n")
        size = sum(len(h) for h in header)
        for shown, entry in enumerate(body_entries):
            line = entry.body_line()
            size += len(line) + 1
            if size > _BODY_BUDGET:
                lines.append(f"\n… and {len(body_entries) - shown} more: see the workflow run's job summary.")
                break
            lines.append(line)
    return "\n".join(header + lines)
