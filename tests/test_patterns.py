"""LazyPattern: compiled at first use, and then the compiled pattern's own methods."""
from __future__ import annotations

import re

from alpineguard.patterns import LazyPattern


def test_compiles_at_first_use_and_answers_as_re_compile():
    lazy = LazyPattern(r"(?P<name>[a-z]+)-(\d+)", re.I)
    eager = re.compile(r"(?P<name>[a-z]+)-(\d+)", re.I)
    assert "match" not in vars(lazy)  # nothing compiled yet
    text = "Foo-1 bar-22 baz"
    assert lazy.search(text).group("name") == eager.search(text).group("name") == "Foo"
    assert vars(lazy)["search"] == eager.search  # later calls go straight to the compiled pattern
    assert lazy.findall(text) == eager.findall(text)
    assert lazy.sub("x", text) == eager.sub("x", text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert lazy.fullmatch("a-1") and not lazy.match("-1")
    assert lazy.groupindex == eager.groupindex and lazy.pattern == eager.pattern
