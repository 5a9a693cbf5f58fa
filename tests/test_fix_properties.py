"""Properties of --fix over every Dockerfile the repository holds: the examples, Dockerfile
files under tests/, the rules' own bad/good examples, and every Dockerfile text written
in a test module (so other rules' test cases join in as they land)."""
from __future__ import annotations

import ast
import textwrap
from collections import Counter

import pytest

from alpineguard.config import Settings
from alpineguard.discovery import is_dockerfile_name
from alpineguard.engine import check_text
from alpineguard.fix import fix_text, usable
from alpineguard.parsing.dockerfile import parse_dockerfile
from alpineguard.rules import all_rules
from conftest import AS_OF, REPO


def _looks_like_dockerfile(text: str) -> bool:
    return any(line.lstrip().upper().startswith("FROM ") for line in text.splitlines())


def _from_test_modules():
    for module in sorted((REPO / "tests").rglob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _looks_like_dockerfile(node.value):
                text = textwrap.dedent(node.value).lstrip("\n")
                yield f"{module.name}:{node.lineno}", text if text.endswith("\n") else text + "\n"


def _corpus():
    cases = {}
    for folder in ("examples", "tests"):
        for path in sorted((REPO / folder).rglob("*")):
            if path.is_file() and is_dockerfile_name(path.name):
                cases[str(path.relative_to(REPO))] = path.read_text(encoding="utf-8")
    for rule in all_rules():
        for kind in ("bad", "good"):
            text = getattr(rule, kind)
            if text:
                prefix = "" if _looks_like_dockerfile(text) else "FROM alpine:3.20\n"
                cases[f"{rule.id}.{kind}"] = prefix + text + "\n"
    for name, text in _from_test_modules():
        cases.setdefault(name, text)
    return cases


CORPUS = _corpus()
SETTINGS = Settings(as_of=AS_OF)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _comment_lines(text: str) -> Counter:
    return Counter(line.strip() for line in text.splitlines() if line.strip().startswith("#"))


def test_the_corpus_is_not_trivial():
    fixed = {name: fix_text(text, name, SETTINGS, True).fixed for name, text in CORPUS.items()}
    fixable = [name for name in CORPUS if fixed[name]]
    assert len(CORPUS) >= 30 and len(fixable) >= 15, (len(CORPUS), fixable)
    fixed_rules = {f.rule for found in fixed.values() for f in found}
    assert {"AG101", "AG102", "AG106", "AG201"} <= fixed_rules


@pytest.mark.parametrize("name", sorted(CORPUS))
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fix_properties(name, unsafe):
    original = CORPUS[name]
    outcome = fix_text(original, name, SETTINGS, unsafe)
    fixed_text = outcome.text
    if parse_dockerfile(original).problems:
        assert fixed_text == original  # an unparseable file is left alone
        return
    # Still parses.
    assert not parse_dockerfile(fixed_text).problems, fixed_text
    # The fixed findings are gone and did not come back as others of their rule; a fix may
    # reveal a new finding (an exec-form ENTRYPOINT makes a shell-form CMD count), but
    # nothing fixable is left.
    found = Counter(f.rule for f in check_text(original, name, SETTINGS).findings)
    assert found == Counter(f.rule for f in outcome.found)
    remaining = Counter(f.rule for f in outcome.result.findings)
    fixed_as_found = Counter(f.rule for f in outcome.fixed if any(f is g for g in outcome.found))
    for rule, count in fixed_as_found.items():
        assert remaining[rule] <= found[rule] - count, (rule, fixed_text)
    assert not [f for f in outcome.result.findings if usable(f, unsafe)], fixed_text
    # Idempotent: a second --fix changes nothing.
    again = fix_text(fixed_text, name, SETTINGS, unsafe)
    assert again.text == fixed_text and not again.fixed
    # Layout: comment lines survive; a CRLF file gets the same fixes with CRLF endings.
    assert not (_comment_lines(original) - _comment_lines(fixed_text)), fixed_text
    assert fix_text(_crlf(original), name, SETTINGS, unsafe).text == _crlf(fixed_text)
