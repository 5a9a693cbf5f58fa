"""PEP 440 specifiers and PEP 508 requirements, exact for the common case without packaging.

Importing packaging's requirement, marker and specifier modules costs more than checking
a Dockerfile. Most requirements are `name`, `name==1.2.3` or `name[extra]>=1.0,<2`, and
most versions plain release numbers: those are read and compared here. Anything else
(markers, URLs, `===`, pre-, post- and dev-releases, epochs, local versions) goes to
packaging, so the answers are packaging's. tests/test_versions.py compares both on many cases.
"""
from __future__ import annotations

from functools import lru_cache

_OPERATORS = ("~=", "==", "!=", "<=", ">=", "<", ">")  # two-character ones first
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


@lru_cache(maxsize=4096)  # the same few hundred release strings come up in every file
def release(version: str) -> tuple[int, ...] | None:
    """The numbers of a plain release version (`1.26.4`), or None for any other form."""
    parts = version.split(".")
    if not all(part.isdigit() and part.isascii() for part in parts):
        return None
    return tuple(map(int, parts))


def _strip(numbers: tuple[int, ...]) -> tuple[int, ...]:
    """Trailing zeros do not count in PEP 440 comparisons: 1.0 == 1.0.0."""
    end = len(numbers)
    while end > 1 and numbers[end - 1] == 0:
        end -= 1
    return numbers[:end]


def _clause(text: str) -> tuple[str, str, tuple[int, ...], bool] | None:
    """(operator, version as written, its numbers, wildcard) of a plain clause, or None."""
    text = text.strip()
    operator = next((op for op in _OPERATORS if text.startswith(op)), None)
    if operator is None or text.startswith("==="):
        return None
    version = text[len(operator):].strip()
    wildcard = version.endswith(".*") and operator in ("==", "!=")
    numbers = release(version[:-2] if wildcard else version)
    if numbers is None or (operator == "~=" and len(numbers) < 2):
        return None
    return operator, version, numbers, wildcard


def _prefix_match(candidate: tuple[int, ...], prefix: tuple[int, ...]) -> bool:
    padded = candidate + (0,) * (len(prefix) - len(candidate))
    return padded[:len(prefix)] == prefix


def _matches(clause: tuple[str, str, tuple[int, ...], bool], candidate: tuple[int, ...]) -> bool:
    operator, _, numbers, wildcard = clause
    if wildcard:
        return _prefix_match(candidate, numbers) == (operator == "==")
    mine, theirs = _strip(candidate), _strip(numbers)
    if operator == "==":
        return mine == theirs
    if operator == "!=":
        return mine != theirs
    if operator == ">=":
        return mine >= theirs
    if operator == "<=":
        return mine <= theirs
    if operator == ">":
        return mine > theirs
    if operator == "<":
        return mine < theirs
    return mine >= theirs and _prefix_match(candidate, numbers[:-1])  # ~=


class PlainSpecifier:
    """One clause, with the `operator` and `version` attributes packaging's Specifier has."""
    __slots__ = ("operator", "version")

    def __init__(self, operator: str, version: str):
        self.operator = operator
        self.version = version


class PlainSpecifierSet:
    """A specifier set of plain clauses; `contains` asks packaging about other versions."""
    __slots__ = ("_clauses", "_text", "_packaging")

    def __init__(self, clauses: list, text: str):
        self._clauses = clauses
        self._text = text
        self._packaging = None

    def __iter__(self):
        return iter([PlainSpecifier(c[0], c[1]) for c in self._clauses])

    def __str__(self) -> str:
        return ",".join(f"{c[0]}{c[1]}" for c in self._clauses)

    def contains(self, version: str, prereleases: bool | None = None) -> bool:
        candidate = release(version)
        if candidate is None:  # a pre-release, post-release, ...: packaging decides
            if self._packaging is None:
                from packaging.specifiers import SpecifierSet
                self._packaging = SpecifierSet(self._text)
            return self._packaging.contains(version, prereleases=prereleases)
        return all(_matches(clause, candidate) for clause in self._clauses)


def specifier_set(text: str):
    """packaging's SpecifierSet(text), or an equivalent PlainSpecifierSet for plain
    clauses; None for text packaging finds invalid."""
    pieces = [piece.strip() for piece in text.split(",") if piece.strip()]
    clauses = [_clause(piece) for piece in pieces]
    if all(clauses):
        # packaging sorts the clauses by their text and drops equal ones (1.0 equals 1.0.0)
        unique = {f"{c[0]}{c[1]}": c for c in clauses}
        canonical = {(c[0], _strip(c[2]), c[3]) for c in unique.values()}
        if len(canonical) == len(unique):
            return PlainSpecifierSet([unique[key] for key in sorted(unique)], text)
    from packaging.specifiers import InvalidSpecifier, SpecifierSet
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _split_requirement(text: str) -> tuple[str, str] | None:
    """(name, specifier text) of `name`, `name[extras]` and `name<clauses>`, or None."""
    end = 0
    while end < len(text) and text[end] in _NAME_CHARS:
        end += 1
    name, rest = text[:end], text[end:].lstrip()
    if not name or not name[0].isalnum() or not name[-1].isalnum():
        return None
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0:
            return None
        extras = [extra.strip() for extra in rest[1:close].split(",")]
        if not all(extra and extra[0].isalnum() and extra[-1].isalnum() and set(extra) <= _NAME_CHARS
                   for extra in extras):
            return None
        rest = rest[close + 1:].lstrip()
    if rest and not rest.startswith(_OPERATORS):
        return None
    return name, rest


def parse_requirement(text: str) -> tuple[str, str, object] | None:
    """(name as written, specifier text as packaging prints it, marker or None) of a
    requirement string; None for an invalid one or one given by URL."""
    split = _split_requirement(text)
    if split is not None:
        name, spec = split
        pieces = [piece for piece in spec.split(",")] if spec else []
        if all(_clause(piece) for piece in pieces):
            specifiers = specifier_set(spec)
            if isinstance(specifiers, PlainSpecifierSet):
                return name, str(specifiers), None
    from packaging.requirements import InvalidRequirement, Requirement
    try:
        parsed = Requirement(text)
    except InvalidRequirement:
        return None
    if parsed.url:
        return None
    return parsed.name, str(parsed.specifier), parsed.marker


def version_greater(first: str, second: str) -> bool:
    """Version(first) > Version(second)."""
    mine, theirs = release(first), release(second)
    if mine is not None and theirs is not None:
        return _strip(mine) > _strip(theirs)
    from packaging.version import Version
    return Version(first) > Version(second)


def _release_of(version: str) -> tuple[int, ...]:
    numbers = release(version)
    if numbers is not None:
        return numbers
    from packaging.version import Version
    return Version(version).release


def entirely_below(operator: str, version: str, limit: str) -> bool:
    """Every version the clause `<operator><version>` admits is older than `limit`
    (`==1.24.*` and `~=1.24.0` below 1.25.0; `<1.20` below 1.20; `==1.2` below 1.3)."""
    if operator == "~=" or (operator == "==" and version.endswith(".*")):
        prefix = version[:-2] if operator == "==" else version.rsplit(".", 1)[0]
        if not version_greater(limit, prefix):
            return False
        head = _release_of(prefix)
        mine = _release_of(limit)
        return (mine + (0,) * len(head))[:len(head)] != head
    if operator in ("==", "===", "<="):
        return version_greater(limit, version)
    if operator == "<":
        return not version_greater(version, limit)
    return False


def entirely_above(operator: str, version: str, limit: str) -> bool:
    """Every version the clause `<operator><version>` admits is newer than `limit`."""
    if operator == "~=" or (operator == "==" and version.endswith(".*")):
        prefix = version[:-2] if operator == "==" else version.rsplit(".", 1)[0]
        return version_greater(prefix, limit)
    if operator in ("==", "===", ">="):
        return version_greater(version, limit)
    if operator == ">":
        return not version_greater(limit, version)
    return False
