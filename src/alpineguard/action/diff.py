"""A pull-request file's unified patch read as the lines a review comment can sit on.

GitHub accepts a comment on the new side (`side: RIGHT`) of any line inside a hunk:
added lines and the context lines around them. A comment spanning several lines must
stay inside one hunk.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@dataclass
class ChangedFile:
    """A file a change touches, as GitHub's files list or `git diff --name-status` gives it."""
    path: str
    status: str  # added, modified, removed, renamed, copied, changed
    patch: str | None = None  # GitHub gives none for binary files, huge diffs, renames and mode changes
    previous_path: str | None = None
    additions: int = 0
    deletions: int = 0


@dataclass
class Patch:
    added: set[int] = field(default_factory=set)
    hunk_of: dict[int, int] = field(default_factory=dict)  # new-side line -> hunk index
    text: dict[int, str] = field(default_factory=dict)  # new-side line -> its text in the patch

    def commentable(self, line: int) -> bool:
        return line in self.hunk_of

    def same_hunk(self, first: int, last: int) -> bool:
        """Every line from first to last sits in one hunk (a multi-line comment may span them)."""
        hunk = self.hunk_of.get(first)
        return hunk is not None and all(self.hunk_of.get(n) == hunk for n in range(first, last + 1))


def parse_patch(patch: str) -> Patch:
    result = Patch()
    hunk, line = -1, 0
    for raw in patch.split("\n"):
        match = _HUNK.match(raw)
        if match:
            hunk += 1
            line = int(match.group(1))
            continue
        if hunk < 0 or not raw or raw.startswith("\\"):
            continue  # a header, the end, or "\ No newline at end of file"
        kind, text = raw[0], raw[1:].rstrip("\r")
        if kind not in "+ ":
            continue  # a removed line has no place on the new side
        if kind == "+":
            result.added.add(line)
        result.hunk_of[line] = hunk
        result.text[line] = text
        line += 1
    return result
