"""The rule registry: one source of truth for each rule's identity and documentation."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Optional

from ..config import Settings
from ..model import Dockerfile, Fix, Pos, Severity, Word


@dataclass(frozen=True)
class Hit:
    """What a rule function reports; the runner adds rule identity and path."""
    start: Pos
    end: Pos
    message: str
    fix: Optional[Fix] = None
    severity: Optional[Severity] = None  # for rules whose severity depends on the case

    @classmethod
    def at(cls, word: Word, message: str, fix: Optional[Fix] = None,
           severity: Optional[Severity] = None) -> "Hit":
        return cls(word.start, word.end, message, fix, severity)


Check = Callable[[Dockerfile, Settings], Iterable[Hit]]


@dataclass(frozen=True)
class Rule:
    """A rule's identity, documentation and check function: one source for every doc."""
    id: str
    name: str
    severity: Severity
    summary: str
    rationale: str
    bad: str = ""
    good: str = ""
    fix: str = ""
    check: Optional[Check] = None
    family: str = ""


REGISTRY: dict[str, Rule] = {}


def _add(rule: Rule):
    if rule.id in REGISTRY:
        raise ValueError(f"rule {rule.id} registered twice")
    REGISTRY[rule.id] = rule


def rule(id: str, name: str, severity: str, summary: str, *, rationale: str, bad: str = "",
         good: str = "", fix: str = "") -> Callable[[Check], Check]:
    """Register a rule function under its catalog entry."""
    def register(func: Check) -> Check:
        _add(Rule(id, name, Severity.parse(severity), summary, rationale.strip(), bad.strip("\n"),
                  good.strip("\n"), fix.strip(), func, func.__module__.rsplit(".", 1)[-1]))
        return func
    return register


def declare(id: str, name: str, severity: str, summary: str, *, rationale: str, bad: str = "",
            good: str = "", fix: str = ""):
    """Register a rule the engine reports itself (input problems), with no check function."""
    _add(Rule(id, name, Severity.parse(severity), summary, rationale.strip(), bad.strip("\n"),
              good.strip("\n"), fix.strip(), None, "input"))
