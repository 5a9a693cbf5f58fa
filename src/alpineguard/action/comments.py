"""The review's text: hidden markers, escaped Markdown, suggested changes, the review body.

Pure functions over findings, patches and file lines, so placement is tested without a
server. User-controlled text (messages quote Dockerfile words, paths) is escaped: no
Markdown, no HTML, no @-mentions or #-references come through from a pull request.
"""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..model import Finding
from .diff import Patch

FINDING_MARKER = re.compile(r"^<!-- alpineguard:finding id=([0-9a-f]{16}(?:\.\d+)?)( gone)? -->")
REVIEW_MARKER = "<!-- alpineguard:review"
# GitHub refuses a comment or review body longer than 65,536 characters.
MAX_BODY = 65536
BODY_BUDGET = MAX_BODY - 1000  # room for the review's closing line
COMMENT_BUDGET = MAX_BODY - 1000  # room for the note a stale comment gets when it is kept
MAX_MESSAGE = 2000  # characters of one finding's message shown in a comment
MAX_FIX_PASSES = 5
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


def _fence(lines: list[str]) -> str:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    return "`" * max(3, longest + 1)


def size(text: str) -> int:
    """A body's length as GitHub may count it: UTF-8 bytes, never fewer than its characters."""
    return len(text.encode("utf-8"))


def shortened(message: str, limit: int = MAX_MESSAGE) -> str:
    return message if len(message) <= limit else message[:limit] + " … (message shortened)"


def heading(f: Finding) -> str:
    severity = f.severity.label
    return f"{SEVERITY_ICONS[severity]} **{severity}** `{f.rule}` {f.name}: {message_markdown(shortened(f.message))}"


def _span(f: Finding) -> tuple[int, int]:
    """The lines a finding and its fix touch."""
    edits = f.fix.edits if f.fix is not None and f.fix.safe else ()
    first = min([f.start[0]] + [e.start[0] for e in edits])
    last = max([f.start[0], f.end[0]] + [e.end[0] for e in edits])
    return first, last


def group_findings(findings: list[Finding]) -> list[list[Finding]]:
    """Findings of one file whose lines (with their fixes') overlap, together: GitHub applies one
    suggestion per line, so they share one comment and one suggestion."""
    groups: list[list[Finding]] = []
    reach: tuple[str, int] | None = None
    for f in sorted(findings, key=lambda f: (f.path, _span(f), f.sort_key)):
        first, last = _span(f)
        if groups and reach is not None and reach[0] == f.path and first <= reach[1]:
            groups[-1].append(f)
            reach = (f.path, max(reach[1], last))
        else:
            groups.append([f])
            reach = (f.path, last)
    return groups


def group_id(ids: list[str]) -> str:
    """One finding keeps its own id; several share one made from theirs."""
    if len(ids) == 1:
        return ids[0]
    return hashlib.sha256("\0".join(sorted(ids)).encode()).hexdigest()[:16]


def combined_fix(findings: list[Finding], text: str, recheck: Callable[[str], list[Finding]]
                 ) -> tuple[int, int, list[str]] | None:
    """(first line, last line, replacement lines): the safe fixes of `findings` applied together,
    pass after pass as `--fix` does, but only inside their lines and for their rules. None when
    the result still has one of those findings there, or the fixes do not apply."""
    from ..fix import EditError, apply_edits, choose_fixes
    fixable = [f for f in findings if f.fix is not None and f.fix.safe and f.fix.edits]
    if not fixable:
        return None
    rules = {f.rule for f in fixable}
    first = min(_span(f)[0] for f in findings)
    last = max(_span(f)[1] for f in findings)
    original_lines = text.count("\n") + 1
    pending, current = fixable, text
    for _ in range(MAX_FIX_PASSES):
        chosen = choose_fixes(current, pending)[0]
        if not chosen:
            return None
        try:
            current = apply_edits(current, [e for f in chosen for e in f.fix.edits])
        except EditError:
            return None
        end = last + current.count("\n") + 1 - original_lines  # `last` in the fixed text: the rest is as it was
        left = [f for f in recheck(current) if f.rule in rules and first <= f.start[0] <= end]
        if not left:
            lines = [line.removesuffix("\r") for line in current.split("\n")]
            return first, last, lines[first - 1:end]
        pending = [f for f in left if f.fix is not None and f.fix.safe and f.fix.edits
                   and first <= _span(f)[0] and _span(f)[1] <= end]
    return None


@dataclass
class Entry:
    """Findings on one line range, ready for the review: inline at `line` (and `start_line`),
    or for the body."""
    id: str
    findings: list[Finding]
    line: int | None = None
    start_line: int | None = None
    suggested: list[str] | None = None
    note: str = ""
    suggestion_note: str = ""

    @property
    def finding(self) -> Finding:
        return self.findings[0]

    @property
    def inline(self) -> bool:
        return self.line is not None

    def to_body(self, note: str) -> None:
        self.line = self.start_line = self.suggested = None
        self.note = note

    def _fix_text(self) -> str:
        fixes = [f.fix for f in self.findings if f.fix is not None and f.fix.safe]
        return "; ".join(dict.fromkeys(escape(shortened(fix.description, 200)) for fix in fixes))

    def comment_body(self) -> str:
        """Within GitHub's limit: a suggestion too long is dropped, then findings beyond the room
        are counted instead of shown, each saying so."""
        rules = dict.fromkeys(f.rule for f in self.findings)
        head = marker(self.id)
        tail = "<sub>alpineguard · " + " · ".join(f"`alpineguard --explain {r}`" for r in rules) + "</sub>"
        headings = [heading(f) for f in self.findings]
        fix_note = ""
        if self.suggested is not None:
            fence = _fence(self.suggested)
            fix_note = (f"Suggested fix ({self._fix_text()}):\n\n{fence}suggestion\n"
                        + "\n".join(self.suggested) + f"\n{fence}")
            if size("\n\n".join([head, *headings, fix_note, tail])) > COMMENT_BUDGET:
                self.suggested = None
                self.suggestion_note = "the suggested change is too long for a review comment"
        if self.suggested is None and self._fix_text():
            reason = f" ({escape(self.suggestion_note)})" if self.suggestion_note else ""
            fix_note = f"Fix: {self._fix_text()} (`alpineguard --fix`){reason}."
        room = COMMENT_BUDGET - size("\n\n".join([head, fix_note, tail])) - 200
        shown: list[str] = []
        for text in headings:
            if size(text) + 2 > room:
                shown.append(f"… and {len(headings) - len(shown)} more finding(s) on these lines, not shown: "
                             "the comment would exceed GitHub's size limit (see the job summary).")
                break
            shown.append(text)
            room -= size(text) + 2
        return "\n\n".join(p for p in [head, *shown, fix_note, tail] if p)

    def review_comment(self) -> dict:
        comment = {"path": self.finding.path, "line": self.line, "side": "RIGHT", "body": self.comment_body()}
        if self.start_line is not None:
            comment.update(start_line=self.start_line, start_side="RIGHT")
        return comment

    def body_line(self) -> str:
        f = self.finding
        note = f" ({escape(self.note)})" if self.note else ""
        more = f" and {len(self.findings) - 1} more on these lines" if len(self.findings) > 1 else ""
        return (f"- {marker(self.id)} {heading(f)}{more} at {message_markdown('`' + shortened(f.path, 300) + '`')} "
                f"line {f.start[0]}{note}")


def make_entries(findings: list[Finding], lines_of: dict[str, list[str]]) -> list[Entry]:
    ids = dict(zip(map(id, findings), finding_ids(findings, lines_of)))
    return [Entry(group_id([ids[id(f)] for f in group]), group) for group in group_findings(findings)]


def place(entry: Entry, text: str | None, patch: Patch | None, suggestions: bool,
          recheck: Callable[[str], list[Finding]], no_diff_note: str = "the file's diff is not available") -> None:
    """Put the entry on the diff where GitHub accepts a comment, with one suggested change for all
    its findings if their fixes combine and leave those lines clean."""
    if patch is None or text is None:
        entry.to_body(no_diff_note)
        return
    fixed = combined_fix(entry.findings, text, recheck) if suggestions else None
    if fixed is not None and not patch.same_hunk(fixed[0], fixed[1]):
        fixed = None
    if fixed is not None:
        first, last, replacement = fixed
    else:
        first = min(f.start[0] for f in entry.findings)
        last = max(max(f.start[0], f.end[0]) for f in entry.findings)
        if not patch.same_hunk(first, last):
            last = first
        replacement = None
    if not patch.commentable(first):
        entry.to_body("not on a line of the diff")
        return
    entry.line, entry.start_line = last, (first if last > first else None)
    entry.suggested = replacement


def review_body(run_marker: str, entries: list[Entry], inline: int, total: int) -> str:
    findings = sum(len(e.findings) for e in entries)
    header = [f"{REVIEW_MARKER} {run_marker} -->",
              f"**alpineguard** found {findings} new finding{'s' if findings != 1 else ''} "
              f"({inline} of {total} line range{'s' if total != 1 else ''} commented inline)."]
    body_entries = [e for e in entries if not e.inline]
    lines: list[str] = []
    if body_entries:
        lines.append("\nFindings that cannot be shown on the diff:\n")
        used = size("\n".join(header + lines))
        for shown, entry in enumerate(body_entries):
            line = entry.body_line()
            used += size(line) + 1
            if used > BODY_BUDGET:
                lines.append(f"\n… and {len(body_entries) - shown} more, not shown: the review would exceed "
                             "GitHub's size limit (see the workflow run's job summary).")
                break
            lines.append(line)
    return "\n".join(header + lines)


