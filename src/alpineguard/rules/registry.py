"""The rule registry: one source of truth for each rule's identity and documentation."""
from __future__ import annotations

from collections.abc import Callable, Iterable

from ..lintcontext import FileContext
from ..model import Dockerfile, Fix, Pos, Severity, Word
from ..record import Record


class Hit(Record, frozen=True):
    """What a rule function reports; the runner adds rule identity and path."""
    __slots__ = ("start", "end", "message", "fix", "severity")

    def __init__(self, start: Pos, end: Pos, message: str, fix: Fix | None = None,
                 severity: Severity | None = None) -> None:
        self.start = start
        self.end = end
        self.message = message
        self.fix = fix
        self.severity = severity  # for rules whose severity depends on the case

    @classmethod
    def at(cls, word: Word, message: str, fix: Fix | None = None,
           severity: Severity | None = None) -> "Hit":
        return cls(word.start, word.end, message, fix, severity)


# A rule reads the parsed file and its check's context (settings, shared derived facts).
Check = Callable[[Dockerfile, FileContext], Iterable[Hit]]

# What `--fix` can do for a rule's findings: nothing (the `fix` text is advice for a
# person), apply its edits (where the text can be edited safely), apply them only with
# `--unsafe-fixes`, as they need a human look, or either, case by case ("mixed").
FIXES = ("none", "safe", "unsafe", "mixed")


class Rule(Record, frozen=True):
    """A rule's identity, documentation and check function: one source for every doc."""
    __slots__ = ("id", "name", "severity", "summary", "rationale", "bad", "good", "fix", "fixes", "check",
                 "family", "triggers")

    def __init__(self, id: str, name: str, severity: Severity, summary: str, rationale: str, bad: str = "",
                 good: str = "", fix: str = "", fixes: str = "none", check: Check | None = None,
                 family: str = "", triggers: bool = False) -> None:
        if fixes not in FIXES:
            raise ValueError(f"{id}: fixes must be one of {', '.join(FIXES)}, not {fixes!r}")
        self.id = id
        self.name = name
        self.severity = severity
        self.summary = summary
        self.rationale = rationale
        self.bad = bad
        self.good = good
        self.fix = fix  # the remedy, in words
        self.fixes = fixes  # what --fix does: none, safe, unsafe or mixed
        self.check = check
        self.family = family
        # Also checks ONBUILD triggers, in the child stages of `Dockerfile.onbuild`.
        self.triggers = triggers


REGISTRY: dict[str, Rule] = {}


def _add(rule: Rule):
    if rule.id in REGISTRY:
        raise ValueError(f"rule {rule.id} registered twice")
    REGISTRY[rule.id] = rule


def rule(id: str, name: str, severity: str, summary: str, *, rationale: str, bad: str = "",
         good: str = "", fix: str = "", fixes: str = "none", triggers: bool = False) -> Callable[[Check], Check]:
    """Register a rule function under its catalog entry; `triggers`: it also checks what
    ONBUILD triggers run in child images (RUN-level rules; not those about this image)."""
    def register(func: Check) -> Check:
        _add(Rule(id, name, Severity.parse(severity), summary, rationale.strip(), bad.strip("\n"),
                  good.strip("\n"), fix.strip(), fixes, func, func.__module__.rsplit(".", 1)[-1], triggers))
        return func
    return register


def declare(id: str, name: str, severity: str, summary: str, *, rationale: str, bad: str = "",
            good: str = "", fix: str = ""):
    """Register a rule the engine reports itself (input problems), with no check function."""
    _add(Rule(id, name, Severity.parse(severity), summary, rationale.strip(), bad.strip("\n"),
              good.strip("\n"), fix.strip(), "none", None, "input"))
