"""Inline pragmas: comments that hide findings, read from the raw lines after the rules ran.

`# alpineguard: ignore=AG101,AG104` hides those rules on the instruction that follows
(other comment lines may stand between, a blank line may not); `# alpineguard:
ignore-file=AG301` hides a rule in the whole file. Free text after the list is a reason. hadolint's own `# hadolint ignore=...`
and `# hadolint global ignore=...` are honoured for the hadolint rules that mean exactly
what one alpineguard rule means (HADOLINT_EQUIVALENTS); other hadolint codes are
hadolint's business and pass silently.
"""
from __future__ import annotations

import re
from collections.abc import Collection

from .model import Dockerfile, Finding, Pos
from .record import Record
from .patterns import LazyPattern

# hadolint code -> the alpineguard rule that checks the same thing, no more and no less.
# Not mapped, on purpose: DL3018 (pin apk package versions: no alpineguard rule),
# DL3006/DL3007 (untagged / `latest`: AG201 also flags `alpine:3` and `-alpine` tags,
# so it is wider), shellcheck SC codes (AG501 covers only what BusyBox ash rejects).
HADOLINT_EQUIVALENTS = {
    "DL3017": "AG103",  # `apk upgrade` (retired in later hadolint releases; old files still carry it)
    "DL3019": "AG101",  # apk without --no-cache
    "DL3025": "AG303",  # shell form of CMD / ENTRYPOINT
}

_ALPINEGUARD = LazyPattern(r"#\s*alpineguard\s*:\s*(?P<body>.*?)\s*$", re.IGNORECASE)
_ALPINEGUARD_VERB = LazyPattern(r"(?P<verb>ignore-file|ignore)\s*=\s*(?P<ids>.*)$", re.IGNORECASE)
_HADOLINT = LazyPattern(r"#\s*hadolint\s+(?P<scope>global\s+)?ignore\s*=\s*(?P<ids>.*?)\s*$", re.IGNORECASE)


class Problem(Record):
    """A pragma that does not do what its author meant; reported as AG003."""
    __slots__ = ("start", "end", "message")

    def __init__(self, start: Pos, end: Pos, message: str) -> None:
        self.start = start
        self.end = end
        self.message = message


class Pragmas(Record):
    """The inline ignore comments of one file, by instruction and for the whole file."""
    __slots__ = ("file_wide", "spans", "problems")

    def __init__(self, file_wide: set[str] | None = None,
                 spans: list[tuple[int, int, frozenset[str]]] | None = None,
                 problems: list[Problem] | None = None) -> None:
        self.file_wide = set() if file_wide is None else file_wide
        # (first line, last line, rule IDs) of each instruction a pragma stands above
        self.spans = [] if spans is None else spans
        self.problems = [] if problems is None else problems

    def hides(self, finding: Finding) -> bool:
        if finding.rule in self.file_wide:
            return True
        line = finding.start[0]
        return any(first <= line <= last and finding.rule in rules for first, last, rules in self.spans)


_ID_LIST = LazyPattern(r"[^\s,]+(?:\s*,\s*[^\s,]+)*")


def _ids(text: str) -> list[tuple[str, int]]:
    """The comma-separated IDs at the start of `text` with their offsets; what follows
    after a blank is a free-text reason (`ignore=AG104 headers needed at runtime`)."""
    listed = _ID_LIST.match(text)
    if not listed:
        return []
    return [(m.group().upper(), m.start()) for m in re.finditer(r"[^\s,]+", listed.group())]


class _Reader:
    def __init__(self, df: Dockerfile, known_rules: Collection[str]):
        self.lines = df.lines
        self.known_rules = known_rules
        self.heredoc_lines = {n for ins in df.instructions for doc in ins.heredocs
                              for n in range(doc.start_line, doc.end_line + 1)}
        self.inside = {n for ins in df.instructions for n in range(ins.start[0] + 1, ins.end_line + 1)}
        self.instruction_end = {ins.start[0]: ins.end_line for ins in df.instructions}
        self.pragmas = Pragmas()

    def is_comment(self, n: int) -> bool:
        return n not in self.heredoc_lines and self.lines[n - 1].lstrip().startswith("#")

    def target(self, n: int) -> tuple[tuple[int, int] | None, str]:
        """First and last line of the instruction a pragma on line `n` stands above, or
        None and where the pragma stands instead."""
        if n in self.inside:
            return None, "inside an instruction"  # no instruction starts below a continuation comment
        below = n + 1
        while below <= len(self.lines) and self.is_comment(below):
            below += 1
        if below > len(self.lines):
            return None, "at the end of the file"
        if not self.lines[below - 1].strip():
            return None, f"above a blank line (line {below})"
        return (below, self.instruction_end.get(below, below)), ""

    def problem(self, line: int, start: int, end: int, message: str) -> None:
        self.pragmas.problems.append(Problem((line, start), (line, end), message))

    def read(self) -> Pragmas:
        for n, text in enumerate(self.lines, start=1):
            if not self.is_comment(n):
                continue
            indent = len(text) - len(text.lstrip())
            ours = _ALPINEGUARD.match(text, indent)
            if ours:
                self.alpineguard(n, text, ours)
                continue
            theirs = _HADOLINT.match(text, indent)
            if theirs:
                self.hadolint(n, theirs)
        return self.pragmas

    def alpineguard(self, n: int, text: str, match: re.Match) -> None:
        body = match.group("body")
        verb = _ALPINEGUARD_VERB.match(body)
        if not verb:
            self.problem(n, match.start("body") + 1, len(text) + 1,
                         f"unknown pragma `{body}`; use `ignore=AG101` or `ignore-file=AG101`")
            return
        ids_column = match.start("body") + verb.start("ids") + 1
        named = _ids(verb.group("ids"))
        if not named:
            self.problem(n, match.start() + 1, len(text) + 1, "pragma names no rule; it hides nothing")
            return
        rules = set()
        for rule_id, offset in named:
            if rule_id in self.known_rules:
                rules.add(rule_id)
            else:
                column = ids_column + offset
                self.problem(n, column, column + len(rule_id), f"pragma names `{rule_id}`, which is no alpineguard rule")
        if verb.group("verb").lower() == "ignore-file":
            self.pragmas.file_wide |= rules
            return
        span, where = self.target(n)
        if span is None:
            self.problem(n, match.start() + 1, len(text) + 1,
                         f"`ignore=` pragma {where} hides nothing; put it directly above the instruction "
                         "(or use ignore-file=)")
        elif rules:
            self.pragmas.spans.append((span[0], span[1], frozenset(rules)))

    def hadolint(self, n: int, match: re.Match) -> None:
        rules = frozenset(HADOLINT_EQUIVALENTS[code] for code, _ in _ids(match.group("ids"))
                          if HADOLINT_EQUIVALENTS.get(code) in self.known_rules)
        if not rules:
            return
        if match.group("scope"):
            self.pragmas.file_wide |= rules
            return
        span, _ = self.target(n)  # misplaced: hadolint ignores it too, so do we, silently
        if span is not None:
            self.pragmas.spans.append((span[0], span[1], rules))


def read_pragmas(df: Dockerfile, known_rules: Collection[str]) -> Pragmas:
    return _Reader(df, known_rules).read()
