"""Apply a finding's fix to text, for tests that check what a fix produces."""
from __future__ import annotations

import textwrap


def apply_fix(text: str, fix) -> str:
    """The text with the fix's edits applied (positions are 1-based line/column)."""
    lines = textwrap.dedent(text).lstrip("\n").split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    source = "\n".join(lines)

    def offset(pos):
        return offsets[pos[0] - 1] + pos[1] - 1

    for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):
        source = source[:offset(edit.start)] + edit.replacement + source[offset(edit.end):]
    return source
