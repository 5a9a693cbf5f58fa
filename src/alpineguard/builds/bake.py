"""Bake files: which Dockerfile each `docker buildx bake` target builds, and how.

A folder's bake files are docker-bake.json, docker-bake.hcl, docker-bake.override.json and
docker-bake.override.hcl, merged in that order as bake merges them (a later file's
attributes win, target by target). HCL is read with python-hcl2, imported only here.

Values: string literals, templates whose `${...}` name a variable, and variable
references are evaluated; a variable takes its value from the environment, else its
default. Anything else (functions, conditions, `for` expressions, a variable with no
default and not in the environment) is unknown: never guessed.

Builds are the targets no other target inherits from, and every target a group names:
a target that exists only to be inherited (`args`, `docker-metadata-action`) is not a
build of its own.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .model import (REMOTE_CONTEXT, Build, DefinitionProblem, DefinitionProject, InlineDockerfile, named_contexts,
                    read_definition)

BAKE_FILES = ("docker-bake.json", "docker-bake.hcl", "docker-bake.override.json", "docker-bake.override.hcl")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*$")


def bake_files_in(folder: str, names: Iterable[str]) -> list[str]:
    present = set(names)
    return [os.path.join(folder, name) for name in BAKE_FILES if name in present]


class _Unknown:
    """A value that cannot be known without running bake where the image is built."""

    def __repr__(self):
        return "UNKNOWN"


UNKNOWN = _Unknown()


class _Blocks:
    """The variables, targets and groups of the files read so far, with where each target
    was last defined."""

    def __init__(self):
        self.variables: dict[str, Any] = {}
        self.targets: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, Any] = {}  # name -> its `targets`, unevaluated
        self.where: dict[str, tuple[str, int]] = {}


class BakeProject(DefinitionProject):
    """The bake files of one folder, read into the builds their targets define."""

    def builds(self) -> list[Build]:
        blocks = _Blocks()
        for path in self.files:
            self._read(path, blocks)
        evaluator = _Evaluator(blocks.variables, self.environment)
        inherited = {base for target in blocks.targets.values() for base in _strings(target.get("inherits"), evaluator)}
        chosen = [name for name in blocks.targets if name not in inherited]
        for group in blocks.groups:
            for name in self._group_targets(group, blocks, evaluator, set()):
                if name not in chosen:
                    chosen.append(name)
        builds = []
        for name in chosen:
            settings = self._resolved(name, blocks, evaluator, set())
            if settings is not None:
                build = self._build(name, settings, evaluator, *blocks.where[name])
                if build is not None:
                    builds.append(build)
        return builds

    def _group_targets(self, group: str, blocks: _Blocks, evaluator: "_Evaluator", seen: set) -> list[str]:
        if group in seen:
            return []
        seen.add(group)
        names = []
        for name in _strings(blocks.groups[group], evaluator):
            names += self._group_targets(name, blocks, evaluator, seen) if name in blocks.groups else \
                [name] if name in blocks.targets else []
        return names

    def _read(self, path: str, blocks: _Blocks) -> None:
        shown = self._show(path)
        text = read_definition(path, shown, self.problems, self.texts)
        if text is None:
            return
        document = self._parse_json(text, shown) if path.endswith(".json") else self._parse_hcl(text, shown)
        if document is None:
            return
        for name, variable in document["variable"]:
            if isinstance(variable, dict) and "default" in variable:
                blocks.variables[name] = variable["default"]
            else:
                blocks.variables.setdefault(name, UNKNOWN)
        for name, group in document["group"]:
            blocks.groups[name] = group.get("targets") if isinstance(group, dict) else None
        for name, target in document["target"]:
            if not isinstance(target, dict):
                continue
            merged = blocks.targets.setdefault(name, {})
            for key, value in target.items():
                if key in ("args", "contexts") and isinstance(value, dict) and isinstance(merged.get(key), dict):
                    value = {**merged[key], **value}
                merged[key] = value
            blocks.where[name] = (shown, _line_of(text, name, path.endswith(".json")))

    def _parse_hcl(self, text: str, shown: str) -> dict | None:
        try:
            import hcl2
            from hcl2.utils import SerializationOptions
            raw = hcl2.loads(text, serialization_options=SerializationOptions(with_comments=False,
                                                                              explicit_blocks=False))
        except Exception as error:  # the parser raises its own (lark) errors; each names the place
            line, column = getattr(error, "line", 1), getattr(error, "column", 1)
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            self.problems.append(DefinitionProblem(shown, line if isinstance(line, int) and line > 0 else 1,
                                                   column if isinstance(column, int) and column > 0 else 1,
                                                   f"not valid HCL: {message}"))
            return None
        document: dict[str, list] = {"variable": [], "group": [], "target": []}
        for kind in document:
            for block in raw.get(kind, []):
                for label, body in block.items():
                    document[kind].append((_literal(label), body))
        return document

    def _parse_json(self, text: str, shown: str) -> dict | None:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as error:
            self.problems.append(DefinitionProblem(shown, error.lineno, error.colno, f"not valid JSON: {error.msg}"))
            return None
        if not isinstance(raw, dict):
            self.problems.append(DefinitionProblem(shown, 1, 1, "a bake file is a JSON object (target: ...)"))
            return None
        document = {}
        for kind in ("variable", "group", "target"):
            blocks = raw.get(kind, {})
            # JSON strings are templates, like HCL string literals: quote them as HCL does.
            document[kind] = [(name, _json_as_hcl(body)) for name, body in blocks.items()] \
                if isinstance(blocks, dict) else []
        return document

    def _resolved(self, name: str, blocks: _Blocks, evaluator: "_Evaluator", seen: set) -> dict | None:
        """The target's attributes with those of the targets it inherits from underneath."""
        if name in seen or name not in blocks.targets:
            return None
        seen = seen | {name}
        target = blocks.targets[name]
        result: dict[str, Any] = {}
        for base in _strings(target.get("inherits"), evaluator):
            inherited = self._resolved(base, blocks, evaluator, seen)
            for key, value in (inherited or {}).items():
                if key in ("args", "contexts") and isinstance(value, dict) and isinstance(result.get(key), dict):
                    value = {**result[key], **value}
                result[key] = value
        for key, value in target.items():
            if key == "inherits":
                continue
            if key in ("args", "contexts") and isinstance(value, dict) and isinstance(result.get(key), dict):
                value = {**result[key], **value}
            result[key] = value
        return result

    def _build(self, name: str, settings: dict, evaluator: "_Evaluator", shown: str, line: int) -> Build | None:
        if "matrix" in settings:
            return None  # one target, many builds: their names and args come from the matrix
        context = evaluator.value(settings["context"]) if "context" in settings else "."
        if not isinstance(context, str) or REMOTE_CONTEXT.match(context):
            return None
        context_dir = os.path.normpath(os.path.join(self.folder, context))
        inline = dockerfile_path = None
        if "dockerfile-inline" in settings:
            text = evaluator.value(settings["dockerfile-inline"])
            if not isinstance(text, str):
                return None
            inline = InlineDockerfile(text, line, 0)
        else:
            dockerfile = evaluator.value(settings["dockerfile"]) if "dockerfile" in settings else "Dockerfile"
            if not isinstance(dockerfile, str):
                return None
            dockerfile_path = os.path.normpath(os.path.join(context_dir, dockerfile))
        args = evaluator.value(settings.get("args", {}))
        target = evaluator.value(settings["target"]) if "target" in settings else None
        platforms = evaluator.value(settings.get("platforms", []))
        contexts = evaluator.value(settings.get("contexts", {}))
        return Build("bake target", name, shown, line, dockerfile_path, inline, context_dir,
                     args=tuple(sorted((str(k), v if isinstance(v, str) else None) for k, v in args.items()))
                     if isinstance(args, dict) else (),
                     target=target if isinstance(target, str) else None,
                     platforms=tuple(p for p in platforms if isinstance(p, str)) if isinstance(platforms, list)
                     else (),
                     named_contexts=named_contexts(contexts))


def _line_of(text: str, name: str, is_json: bool) -> int:
    """The line that opens the target's block (or its JSON key)."""
    pattern = (rf'"{re.escape(name)}"\s*:' if is_json else rf'^\s*target\s+"?{re.escape(name)}"?\s*\{{')
    match = re.search(pattern, text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _literal(label: Any) -> Any:
    """A block label or string as python-hcl2 gives it (`"name"`), without the quotes."""
    if isinstance(label, str) and len(label) >= 2 and label.startswith('"') and label.endswith('"'):
        return label[1:-1]
    return label


def _json_as_hcl(value: Any) -> Any:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return [_json_as_hcl(item) for item in value]
    if isinstance(value, dict):
        return {key: _json_as_hcl(item) for key, item in value.items()}
    return value


def _strings(value: Any, evaluator: "_Evaluator") -> list[str]:
    value = evaluator.value(value) if value is not None else []
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\"}
_TEMPLATE = re.compile(r"\$\$\{|%%\{|\$\{\s*([^{}]*?)\s*\}|%\{|\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)
_HEREDOC = re.compile(r'^"<<(-?)([A-Za-z_][A-Za-z0-9_]*)\n(.*?)\n?\s*\2"$', re.DOTALL)


class _Evaluator:
    """Values of HCL expressions as python-hcl2 writes them: `"text"` for a string literal,
    a bare name for a variable, `${...}` for any other expression (unknown here)."""

    def __init__(self, defaults: dict[str, Any], environment: Mapping[str, str]):
        self.defaults = defaults
        self.environment = environment
        self.cache: dict[str, Any] = {}
        self.evaluating: set[str] = set()

    def variable(self, name: str) -> Any:
        if name not in self.defaults:
            return UNKNOWN  # bake's own (BAKE_LOCAL_PLATFORM ...) or a typo: nothing known here
        if name in self.environment:
            return self.environment[name]
        if name not in self.cache:
            if name in self.evaluating:
                return UNKNOWN
            self.evaluating.add(name)
            value = self.value(self.defaults[name])
            self.evaluating.discard(name)
            self.cache[name] = value if isinstance(value, str) or value is UNKNOWN else _string(value)
        return self.cache[name]

    def value(self, expression: Any) -> Any:
        if isinstance(expression, bool):
            return "true" if expression else "false"
        if isinstance(expression, (int, float)):
            return _string(expression)
        if isinstance(expression, list):
            return [self.value(item) for item in expression]
        if isinstance(expression, dict):
            return {_literal(key): self.value(item) for key, item in expression.items() if not key.startswith("__")}
        if not isinstance(expression, str):
            return UNKNOWN
        if expression.startswith('"') and expression.endswith('"') and len(expression) >= 2:
            heredoc = _HEREDOC.match(expression)
            if heredoc:
                body = heredoc.group(3)
                if heredoc.group(1):
                    body = _dedent(body)
                return self.template(body + "\n", escapes=False)
            return self.template(expression[1:-1], escapes=True)
        if _IDENTIFIER.match(expression):
            return self.variable(expression)
        return UNKNOWN

    def template(self, text: str, escapes: bool) -> Any:
        unknown = False

        def substitute(match: re.Match) -> str:
            nonlocal unknown
            whole = match.group(0)
            if whole == "$${":
                return "${"
            if whole == "%%{":
                return "%{"
            if whole == "%{":
                unknown = True  # a template directive (if, for)
                return whole
            if match.group(2) is not None:
                if not escapes:
                    return whole
                escape = match.group(2)
                if escape[0] in "uU" and len(escape) > 1:
                    return chr(int(escape[1:], 16))
                return _ESCAPES.get(escape, whole)
            name = match.group(1)
            value = self.variable(name) if _IDENTIFIER.match(name) else UNKNOWN
            if not isinstance(value, str):
                unknown = True
                return whole
            return value

        result = _TEMPLATE.sub(substitute, text)
        return UNKNOWN if unknown else result


def _string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _dedent(body: str) -> str:
    lines = body.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)
