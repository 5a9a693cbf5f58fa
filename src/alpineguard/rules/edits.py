"""Building fix edits that keep the file's layout.

Rules describe a fix as edits in the original file's coordinates. These helpers remove
words and shell commands the way a person would: a word alone on a continuation line
goes with its line, a command goes with its `&&`, and full-line comments inside a
continuation survive. A helper returns None where it cannot do that safely; the rule
then offers no fix.
"""
from __future__ import annotations


from ..model import Command, Dockerfile, Edit, Instruction, Pos, Word

# Connectors after which a command can be dropped without changing what runs when.
_DROPPABLE_AFTER = ("&&", ";", "\n")


def editable(df: Dockerfile, word: Word | None) -> bool:
    """A word whose value stands in the file exactly where the word says (no quotes, no
    $VAR, and no escapes in an enclosing `sh -c` string that shift its position)."""
    if word is None or word.expanded or word.raw != word.value or word.start[0] != word.end[0]:
        return False
    line, col = word.start
    return _line(df, line)[col - 1:word.end[1] - 1] == word.value


def continuation(df: Dockerfile, command: Command) -> str:
    """The character that continues a line where `command` is written: the Dockerfile's
    escape, or a backslash inside a heredoc script (the shell reads that, not Docker)."""
    return "\\" if command.heredoc_fed else df.escape


def _line(df: Dockerfile, line: int) -> str:
    return df.lines[line - 1] if 0 < line <= len(df.lines) else ""


def _is_comment(text: str) -> bool:
    return text.lstrip(" \t").startswith("#")


def _comment_between(df: Dockerfile, first: int, last: int) -> bool:
    return any(_is_comment(_line(df, n)) for n in range(first + 1, last))


def _whole_line(line: int) -> Edit:
    return Edit((line, 1), (line + 1, 1), "")


def _text_between(df: Dockerfile, start: Pos, end: Pos, escape: str) -> str:
    """The file text in [start, end) without continuations and full-line comments."""
    if start[0] == end[0]:
        return _line(df, start[0])[start[1] - 1:end[1] - 1]
    parts = [_line(df, start[0])[start[1] - 1:]]
    parts += [_line(df, n) for n in range(start[0] + 1, end[0]) if not _is_comment(_line(df, n))]
    parts.append(_line(df, end[0])[:end[1] - 1])
    joined = []
    for part in parts:
        stripped = part.rstrip(" \t")
        joined.append(stripped[:-1] if stripped.endswith(escape) else part)
    return " ".join(joined)


def remove_word(df: Dockerfile, word: Word, previous: Word, escape: str) -> Edit | None:
    """Delete `word`, an argument that follows `previous`, with the blanks that separate it."""
    line = word.start[0]
    text = _line(df, line)
    before, after = text[:word.start[1] - 1], text[word.end[1] - 1:].strip(" \t")
    if word.start[0] != word.end[0]:
        return None
    if not before.strip(" \t") and after == escape:
        return _whole_line(line)  # alone on a continuation line
    if previous.end[0] == line:
        return Edit(previous.end, word.end, "")
    if after and after != escape:  # first on its line, more follows: take the blanks after it
        return Edit(word.start, (line, len(text) - len(text[word.end[1] - 1:].lstrip(" \t")) + 1), "")
    if _comment_between(df, previous.end[0], line):
        return None
    return Edit(previous.end, word.end, "")


def _drop_span(df: Dockerfile, start: Pos, end: Pos, escape: str) -> list[Edit]:
    """Delete [start, end) across lines, keeping full-line comments in between."""
    first, last = start[0], end[0]
    if first == last or not _comment_between(df, first, last):
        return [Edit(start, end, "")]
    edits = []
    head = _line(df, first)
    if not head[:start[1] - 1].strip(" \t"):
        edits.append(_whole_line(first))
    elif head.rstrip(" \t").endswith(escape):
        edits.append(Edit(start, (first, len(head.rstrip(" \t"))), ""))
    else:
        edits.append(Edit(start, (first, len(head) + 1), ""))
    tail = _line(df, last)
    indent = len(tail) - len(tail.lstrip(" \t"))
    if end[1] - 1 > indent:
        edits.append(Edit((last, indent + 1), end, ""))
    return edits


def instruction_removal(ins: Instruction) -> Edit:
    """Delete a whole instruction, from its first line through its last (a trigger goes
    with its ONBUILD)."""
    whole = ins.onbuild or ins
    return Edit((whole.start[0], 1), (whole.end_line + 1, 1), "")


def command_removal(df: Dockerfile, ins: Instruction, command: Command) -> list[Edit] | None:
    """Delete one command of a RUN with the operator that joins it, where the rest keeps its
    meaning: `a && b && c` -> `a && c`; never out of `a || b`, a pipe or an `if` body."""
    commands = ins.commands
    index = ins.command_index(command)
    if index is None or command.redirects or not command.argv:
        return None
    if len(commands) == 1:
        if _comment_between(df, (ins.onbuild or ins).start[0] - 1, ins.end_line + 1):
            return None  # the instruction holds comments: removing it would lose them
        return [instruction_removal(ins)]
    escape = continuation(df, command)
    following = commands[index + 1] if index + 1 < len(commands) else None
    preceding = commands[index - 1] if index > 0 else None
    if following is not None and following.depth == command.depth \
            and following.connector in _DROPPABLE_AFTER and command.connector in (None, *_DROPPABLE_AFTER):
        glue = _text_between(df, command.end, following.start, escape).strip()
        if glue == following.connector.strip():
            return _drop_span(df, command.start, following.start, escape)
        return None
    if (following is None or following.depth < command.depth) and preceding is not None \
            and preceding.depth == command.depth and command.connector in _DROPPABLE_AFTER \
            and not preceding.redirects and preceding.argv:
        glue = _text_between(df, preceding.end, command.start, escape).strip()
        if glue == command.connector.strip() and not _comment_between(df, preceding.end[0], command.end[0]):
            return [Edit(preceding.end, command.end, "")]
    return None


def remove_words(df: Dockerfile, argv: list[Word], doomed: list[Word], escape: str) -> list[Edit] | None:
    """Delete several arguments of one command (never its first word); neighbouring
    deletions are merged so that the edits of one fix never overlap."""
    edits = []
    for index, word in enumerate(argv):
        if word in doomed:
            kept = [w for w in argv[:index] if w not in doomed]
            edit = remove_word(df, word, kept[-1], escape) if kept else None
            if edit is None:
                return None
            edits.append(edit)
    merged: list[Edit] = []
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if merged and edit.start <= merged[-1].end:
            merged[-1] = Edit(merged[-1].start, max(merged[-1].end, edit.end), "")
        else:
            merged.append(edit)
    return merged
