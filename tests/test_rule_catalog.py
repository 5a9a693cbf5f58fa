"""The catalog tells the truth: each rule's examples and its declared fix, against the real core."""
from __future__ import annotations

import pytest
from conftest import AS_OF, REPO, corpus_generator, lint

from alpineguard.config import Settings
from alpineguard.docs import FIX_AVAILABILITY, rule_markdown
from alpineguard.rules import all_rules
from alpineguard.runner import lint as lint_run

# Not shown by a Dockerfile example: AG002 is about bytes that are no text, AG004 about
# compose and bake files (their tests: test_hostile_input.py, test_build_checking.py).
CHECKED = [r for r in all_rules() if r.id not in ("AG002", "AG004")]


def example(text: str) -> str:
    """An example as the docs show it; a fragment without FROM is read in `FROM alpine:3.24`."""
    has_from = any(line.upper().startswith("FROM ") for line in text.splitlines())
    return (text if has_from else "FROM alpine:3.24\n" + text) + "\n"


@pytest.mark.parametrize("rule", CHECKED, ids=lambda r: r.id)
def test_bad_example_triggers_the_rule_and_good_example_does_not(rule):
    assert rule.bad and rule.good
    bad = [f for f in lint(example(rule.bad), select=rule.id, dedent=False) if f.rule == rule.id]
    good = [f for f in lint(example(rule.good), select=rule.id, dedent=False) if f.rule == rule.id]
    assert bad, f"{rule.id}'s bad example finds nothing"
    assert good == [], [f.message for f in good]


@pytest.fixture(scope="module")
def fixes_found(tmp_path_factory) -> dict[str, set[bool]]:
    """Rule -> the safety of every fix its findings carry, over the bad examples, the bundled
    examples and 300 generated Dockerfiles, with unsafe fixes asked for."""
    folder = tmp_path_factory.mktemp("corpus")
    corpus_generator().generate(folder, count=300)
    found: dict[str, set[bool]] = {}
    findings = lint_run([str(folder), str(REPO / "examples")], Settings(as_of=AS_OF), jobs=1).findings
    for rule in CHECKED:
        findings += lint(example(rule.bad), select=rule.id, dedent=False)
    for finding in findings:
        if finding.fix is not None:
            found.setdefault(finding.rule, set()).add(finding.fix.safe)
    return found


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_declared_fix_is_the_fix_the_rule_returns(rule, fixes_found):
    safety = fixes_found.get(rule.id, set())
    if rule.fixes == "none":
        assert safety == set(), f"{rule.id} declares no fix but returns one"
    elif rule.fixes == "mixed":
        assert safety, f"{rule.id} declares a fix but returns none"
    else:
        assert safety == {rule.fixes == "safe"}, f"{rule.id} declares a {rule.fixes} fix, returns {safety}"
        bad = [f for f in lint(example(rule.bad), select=rule.id, dedent=False) if f.rule == rule.id]
        assert any(f.fix is not None for f in bad), f"{rule.id}'s bad example gets no fix"


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_docs_say_what_fix_the_rule_declares(rule):
    page = rule_markdown(rule)
    if rule.fixes == "none" and not rule.fix:
        assert "## Fix" not in page
    else:
        assert FIX_AVAILABILITY[rule.fixes] in page


def test_every_rule_module_is_a_family_the_engine_loads():
    from alpineguard.rules import FAMILIES
    modules = {p.stem for p in (REPO / "src" / "alpineguard" / "rules").glob("*.py")}
    assert modules - {"__init__", "registry", "edits"} == set(FAMILIES)


def test_loading_only_the_families_a_file_needs_loses_no_finding(tmp_path, monkeypatch):
    """The same findings as with every family run on every file, over the rules' examples,
    the bundled examples and 300 generated Dockerfiles."""
    from alpineguard import rules
    folder = tmp_path / "files"
    corpus_generator().generate(folder, count=300)
    for rule in CHECKED:
        for kind in ("bad", "good"):
            (folder / f"{rule.id}.{kind}.Dockerfile").write_text(example(getattr(rule, kind)))
    paths = [str(folder), str(REPO / "examples")]

    def findings():
        return sorted((f.path, f.start, f.rule, f.message) for f in lint_run(paths, Settings(as_of=AS_OF), jobs=1).findings)

    as_needed = findings()
    monkeypatch.setattr(rules, "FAMILIES", dict.fromkeys(rules.FAMILIES))  # every family on every file
    assert as_needed and findings() == as_needed
