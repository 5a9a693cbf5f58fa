"""Regular expressions compiled when first used.

Most patterns of a rule module serve a case that a given file does not have, and
compiling one costs 0.05 to 0.5 ms: compiling them all at import was a tenth of the time
to check a file. The patterns that every check uses are compiled at import as usual.
"""
from __future__ import annotations

import re


class LazyPattern:
    """Stands for `re.compile(pattern, flags)`, compiled at the first use of any method."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags

    def __getattr__(self, name: str):
        # Only reached for what is not set yet: compile, and keep the compiled pattern's
        # methods as attributes, so that every later call goes straight to them.
        if name in ("pattern", "flags"):  # not initialised (a copy under construction)
            raise AttributeError(name)
        compiled = re.compile(self.pattern, self.flags)
        for method in ("match", "search", "fullmatch", "finditer", "findall", "sub", "subn", "split"):
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags!r})"
