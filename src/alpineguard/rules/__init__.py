"""All rules, one module per family. Importing a family's module registers its rules.

A check imports only the families a file can need (`rules_for`): the apk rules read apk
calls, the dependency rules the installs of their ecosystem, so a file that runs none of
those programs never loads them, nor the knowledge behind them (start-up time). Asking
for `REGISTRY` or `all_rules()` imports every family: documentation, `--explain` and
checking rule IDs need them all.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from importlib import import_module

from ..deps.programs import GO, runs_node_installer, runs_python_installer
from ..model import Dockerfile
from . import input, registry  # noqa: F401, A004 - input: the rules the engine reports itself, always there
from .registry import Hit, Rule, rule

__all__ = ["REGISTRY", "RULE_IDS", "Hit", "Rule", "rule", "all_rules", "rules_for"]

DOWNLOADERS = frozenset({"curl", "wget", "aria2c"})  # the programs whose URLs AG405/AG406 read

# Family -> whether a file with these programs (command names) and instruction keywords
# can give its rules anything to read; None: every file. Each predicate names what the
# family's rules start from, so a family skipped here could not have found anything.
FAMILIES: dict[str, Callable[[frozenset[str], frozenset[str]], bool] | None] = {
    "input": None,
    "base_image": None,
    "init": None,
    "shell": None,
    "apk": lambda programs, _keywords: "apk" in programs,
    # downloads by URL; apk adds the glibc shims and the glibc packages built for Alpine
    "downloads": lambda programs, keywords: bool(programs & DOWNLOADERS) or "apk" in programs or "ADD" in keywords,
    "deps_python": lambda programs, _keywords: any(runs_python_installer(p) for p in programs),
    "deps_node": lambda programs, _keywords: any(runs_node_installer(p) for p in programs),
    "deps_go": lambda programs, _keywords: GO in programs,
}


def _load(family: str) -> None:
    import_module(f"{__name__}.{family}")  # by name, from FAMILIES: the same layer, imported on demand


def _load_all() -> dict[str, Rule]:
    for family in FAMILIES:
        _load(family)
    return registry.REGISTRY


def all_rules() -> list[Rule]:
    return sorted(_load_all().values(), key=lambda r: r.id)


def _programs_and_keywords(df: Dockerfile) -> tuple[frozenset[str], frozenset[str]]:
    programs: set[str] = set()
    keywords: set[str] = set()
    for view in (df, df.onbuild):
        for stage in view.stages if view is not None else ():
            for ins in stage.instructions:
                keywords.add(ins.keyword)
                programs.update(command.name for command in ins.commands)
    return frozenset(programs), frozenset(keywords)


def rules_for(df: Dockerfile) -> list[Rule]:
    """The rules of the families `df` can need (see FAMILIES), in ID order."""
    programs, keywords = _programs_and_keywords(df)
    needed = {family for family, needs in FAMILIES.items() if needs is None or needs(programs, keywords)}
    for family in needed:
        _load(family)
    return sorted((r for r in registry.REGISTRY.values() if r.family in needed), key=lambda r: r.id)


class _AllRuleIds(Collection):
    """Every rule's ID; the first question imports every family."""

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in _load_all()

    def __iter__(self) -> Iterator[str]:
        return iter(_load_all())

    def __len__(self) -> int:
        return len(_load_all())


RULE_IDS: Collection[str] = _AllRuleIds()


def __getattr__(name: str):
    if name == "REGISTRY":  # the complete registry, for whoever asks for it by name
        return _load_all()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
