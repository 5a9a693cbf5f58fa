"""The state of one run and of one file's check, handed to the rules explicitly.

`RunContext`: what one run shares across its files, in one process: the `--online`
registry client and its answers, and results worked out once from immutable knowledge.
Worker processes each have their own. `FileContext`: what the rules of one file share:
the settings the file is checked with, facts derived once for every rule that asks, its
scripts read as shell (by the parser, for the rules), and the notes and fallbacks
(dependencies whose registry look-up failed, checked with the embedded data) that travel
with the file's result. Knowledge objects and the model are never written to: what a rule
works out and wants to keep goes here.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable

from .config import Settings
from .parsing.shell import ShellReadings

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:  # only for the annotations: online is imported when --online asks
    from typing import TypeVar
    from .online import Fallback, Registry

    Subject = TypeVar("Subject")
    Fact = TypeVar("Fact")


class RunContext:
    """Caches and clients of one run in one process."""
    __slots__ = ("_registry", "_remembered")

    def __init__(self, registry: Registry | None = None) -> None:
        self._registry = registry
        self._remembered: dict[tuple, object] = {}

    def registry(self) -> "Registry":
        """The `--online` client of this run, made on first use (its module costs start-up time)."""
        if self._registry is None:
            from .online import Registry
            self._registry = Registry()
        return self._registry

    def remembered(self, compute: Callable[..., Fact], *key: Hashable) -> Fact:
        """`compute(*key)`, worked out once per run: for answers that every file asks again
        (the releases a requirement allows, say). `compute` must be a pure function of `key`."""
        entry = (compute, *key)
        try:
            return self._remembered[entry]  # type: ignore[return-value]
        except KeyError:
            value = self._remembered[entry] = compute(*key)
            return value


class FileContext:
    """The settings, derived facts, shell readings, notes and fallbacks of one file's check."""
    __slots__ = ("settings", "run", "notes", "fallbacks", "shell", "_derived")

    def __init__(self, settings: Settings, run: RunContext | None = None) -> None:
        self.settings = settings
        self.run = RunContext() if run is None else run
        self.notes: list[str] = []
        self.fallbacks: list[Fallback] = []  # dependencies whose registry look-up failed
        self.shell = ShellReadings()  # the file's scripts as the parser read them, and as rules read them again
        self._derived: dict[tuple, tuple[object, object]] = {}

    def derived(self, derive: Callable[..., Fact], subject: Subject, *more: object) -> Fact:
        """`derive(subject, *more)`, worked out once for all rules of this file. `subject` and
        `more` (parts of the model) are matched by identity and kept alive with the answer."""
        key = (derive, id(subject), *map(id, more))
        found = self._derived.get(key)
        if found is None:
            found = self._derived[key] = ((subject, more), derive(subject, *more))
        return found[1]  # type: ignore[return-value]

    def note(self, text: str) -> None:
        """Something the user should know about this check that is not a finding."""
        if text not in self.notes:
            self.notes.append(text)

    def fell_back(self, fallbacks: list[Fallback]) -> None:
        """Dependencies checked with the embedded data because their registry look-up failed."""
        self.fallbacks += [f for f in fallbacks if f not in self.fallbacks]
