"""BuildKit's own verdict on a Dockerfile, as a test oracle.

The `dockerfile` package (a test dependency only) wraps BuildKit's Go parser: it rejects
what that parser rejects (unterminated heredoc, no instructions, a bad escape directive)
and splits each instruction's arguments exactly as BuildKit does. The instruction-level
checks BuildKit applies next (`instructions.Parse`) are applied here to those arguments:
unknown instructions, anything but ARG before the first FROM, FROM with other than one or
three words, COPY/ADD with fewer than two, instructions other than RUN, CMD and
ENTRYPOINT without arguments.
"""
from __future__ import annotations

from typing import Optional

import dockerfile

KNOWN = frozenset({"from", "run", "cmd", "label", "maintainer", "expose", "env", "add", "copy", "entrypoint",
                   "volume", "user", "workdir", "arg", "onbuild", "stopsignal", "healthcheck", "shell"})


def verdict(text: str) -> tuple[Optional[int], list]:
    """(line of the first error BuildKit reports, or None; the instructions it read)."""
    try:
        commands = dockerfile.parse_string(text)
    except dockerfile.GoParseError as error:
        return _error_line(str(error), text), []
    seen_from = False
    for command in commands:
        name = command.cmd.lower()
        values = command.value
        if name not in KNOWN:
            return command.start_line, commands
        if name == "from":
            seen_from = True
            if not (len(values) == 1 or (len(values) == 3 and values[1].lower() == "as")):
                return command.start_line, commands
        elif not seen_from and name != "arg":
            return command.start_line, commands
        elif name in ("copy", "add") and len(values) < 2:
            return command.start_line, commands
        elif not values and name not in ("run", "cmd", "entrypoint"):
            return command.start_line, commands
    return None, commands


def _error_line(message: str, text: str) -> int:
    # The wrapper's error names no line; the parser errors it can raise all sit at a known place.
    return 1 if "no instructions" in message or "escape" in message else -1
