"""Compose files: which Dockerfile each service builds, with which context, args and target.

Files are found as `docker compose` finds them in a folder (the first of compose.yaml,
compose.yml, docker-compose.yml, docker-compose.yaml, then the first override file), or
named. Each file is interpolated on its own, then the files are merged in order; paths are
relative to the folder of the first file, the project folder, whose `.env` file gives
variables below the environment's.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from .interpolation import DotenvError, InterpolationError, Variables, interpolate, read_dotenv
from .model import (REMOTE_CONTEXT, Build, DefinitionProblem, DefinitionProject, InlineDockerfile, named_contexts,
                    read_definition)

COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml")
OVERRIDE_FILES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml",
                  "docker-compose.override.yaml")
_BUILD_KEYS = ("context", "dockerfile", "dockerfile_inline", "args", "target", "platforms", "additional_contexts")


def compose_files_in(folder: str, names: Iterable[str]) -> list[str]:
    """The compose files `docker compose` reads in a folder whose file names are `names`."""
    present = set(names)
    chosen = next((name for name in COMPOSE_FILES if name in present), None)
    if chosen is None:
        return []
    override = next((name for name in OVERRIDE_FILES if name in present), None)
    return [os.path.join(folder, name) for name in (chosen, override) if name]


class _Node(dict):
    """A YAML mapping that remembers where it and each of its keys start (1-based)."""
    __slots__ = ("start", "positions")

    def __init__(self, start: tuple[int, int]):
        super().__init__()
        self.start = start
        self.positions: dict[str, tuple[int, int]] = {}


class _Scalar(str):
    """A YAML scalar as written (Compose reads `3.10` as the text 3.10, not a number), with
    its position (`start`) and, for a literal block (`|`), the column its lines are
    indented to (`literal_indent`)."""


def _load_yaml(text: str, shown: str) -> tuple[Any, list[DefinitionProblem]]:
    import yaml
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        return None, [DefinitionProblem(shown, line, column, f"not valid YAML: {problem}")]
    if node is None:
        return None, []
    lines = text.split("\n")
    return _convert(node, {}, lines), []


def _convert(node, seen: dict, lines: list[str]) -> Any:
    """Plain Python values from a YAML node: mappings as _Node, scalars as _Scalar or None
    (null). Each node is converted once, so aliases cannot multiply the work."""
    import yaml
    if id(node) in seen:
        return seen[id(node)]
    start = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result = _Node(start)
        seen[id(node)] = result
        merged: list[_Node] = []
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                merged.extend(m for m in (_convert(s, seen, lines) for s in sources) if isinstance(m, _Node))
                continue
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else repr(key_node.value)
            result[key] = _convert(value_node, seen, lines)
            result.positions[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        for source in merged:  # `<<: *base`: the explicit keys win
            for key, value in source.items():
                if key not in result:
                    result[key] = value
                    result.positions[key] = source.positions[key]
        return result
    if isinstance(node, yaml.SequenceNode):
        result = []
        seen[id(node)] = result
        result.extend(_convert(item, seen, lines) for item in node.value)
        return result
    if node.tag == "tag:yaml.org,2002:null" and node.style is None:
        seen[id(node)] = None
        return None
    scalar = _Scalar(node.value)
    scalar.start = start
    scalar.literal_indent = _literal_indent(node, lines) if node.style == "|" else None
    seen[id(node)] = scalar
    return scalar


def _literal_indent(node, lines: list[str]) -> int | None:
    """The indentation of a literal block's content lines, read from the file."""
    for line in lines[node.start_mark.line + 1:node.end_mark.line + 1]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return None


class _Value:
    """One build setting of one file, interpolated, with the file and position it came from."""
    __slots__ = ("value", "source", "start", "raw")

    def __init__(self, value: Any, source: str, start: tuple[int, int], raw: Any = None):
        self.value = value  # str, _UNKNOWN, or a list or dict of those
        self.source = source
        self.start = start
        self.raw = raw  # as written, before interpolation


class _Unknown:
    """Marks a value whose variables are not set here."""


class ComposeProject(DefinitionProject):
    """The compose files of one project, read into the builds their services define."""

    def __init__(self, files: list[str], environment: Mapping[str, str], profiles: tuple[str, ...] = (),
                 shown: dict[str, str] | None = None, texts: Mapping[str, str | None] | None = None):
        super().__init__(files, environment, shown, texts)
        self.profiles = profiles  # empty: every service, whatever its profiles

    def builds(self) -> list[Build]:
        variables = self._variables()
        services: dict[str, dict[str, _Value]] = {}
        service_lines: dict[str, tuple[str, int]] = {}
        active: dict[str, bool] = {}
        for path in self.files:
            document = self._read(path)
            if document is None:
                continue
            shown = self._show(path)
            for name, (settings, line, is_active) in self._services(document, shown, variables).items():
                active[name] = is_active
                if settings is None:
                    continue
                merged = services.setdefault(name, {})
                for key, value in settings.items():
                    if key in ("args", "additional_contexts") and key in merged and isinstance(value.value, dict) \
                            and isinstance(merged[key].value, dict):
                        value = _Value({**merged[key].value, **value.value}, value.source, value.start)
                    merged[key] = value
                service_lines[name] = (shown, line)
        builds = []
        for name, settings in services.items():
            if not active[name]:
                continue
            build = self._build(name, settings, *service_lines[name])
            if build is not None:
                builds.append(build)
        return builds

    def _variables(self) -> Variables:
        path = os.path.join(self.folder, ".env")
        if not (self.texts is not None and path in self.texts) and not os.path.isfile(path):
            return self.environment
        shown = self._show(path)
        text = read_definition(path, shown, self.problems, self.texts)
        if text is None:
            return self.environment
        try:
            dotenv = read_dotenv(text, self.environment)
        except DotenvError as error:
            self.problems.append(DefinitionProblem(shown, error.line, 1, f"not a valid .env file: {error}"))
            return self.environment
        return {**dotenv, **self.environment}

    def _read(self, path: str) -> Any:
        shown = self._show(path)
        text = read_definition(path, shown, self.problems, self.texts)
        if text is None:
            return None
        document, problems = _load_yaml(text, shown)
        self.problems.extend(problems)
        if document is not None and not isinstance(document, _Node):
            self.problems.append(DefinitionProblem(shown, 1, 1, "a compose file is a mapping (services: ...)"))
            return None
        return document

    def _services(self, document: _Node, shown: str, variables: Variables) -> dict:
        """name -> (build settings or None, line of `build` or of the service, active)."""
        services = document.get("services")
        if services is None:
            return {}
        if not isinstance(services, _Node):
            line, column = document.positions["services"]
            self.problems.append(DefinitionProblem(shown, line, column, "`services` must be a mapping of services"))
            return {}
        result = {}
        for name, service in services.items():
            if not isinstance(service, _Node):
                if service is not None:
                    line, column = services.positions[name]
                    self.problems.append(DefinitionProblem(shown, line, column,
                                                           f"service `{name}` must be a mapping"))
                continue
            active = self._active(service)
            build = self._extended_build(services, name, service)
            if build is None:
                result[name] = (None, service.start[0], active)
                continue
            line = build[1][0]
            result[name] = (self._build_settings(build[0], build[1], shown, variables, name), line, active)
        return result

    def _active(self, service: _Node) -> bool:
        profiles = service.get("profiles")
        if not self.profiles or not isinstance(profiles, list) or not profiles:
            return True
        return any(profile in self.profiles for profile in profiles)

    @staticmethod
    def _extended_build(services: _Node, name: str, service: _Node) -> tuple[Any, tuple[int, int]] | None:
        """The service's `build` and its position, from `extends` within the file if it has none."""
        seen = {name}
        while "build" not in service:
            extends = service.get("extends")
            base = extends if isinstance(extends, str) else extends.get("service") if isinstance(
                extends, _Node) and "file" not in extends else None
            if not isinstance(base, str) or base in seen or not isinstance(services.get(base), _Node):
                return None
            seen.add(base)
            service = services[base]
        return service["build"], service.positions["build"]

    def _build_settings(self, build: Any, start: tuple[int, int], shown: str, variables: Variables,
                        service: str) -> dict[str, _Value] | None:
        if isinstance(build, str):
            build_node = _Node(start)
            build_node["context"] = build
            build_node.positions["context"] = start
            build = build_node
        if not isinstance(build, _Node):
            self.problems.append(DefinitionProblem(shown, *start,
                                                   f"service `{service}`: `build` must be a path or a mapping"))
            return None
        settings = {}
        for key in _BUILD_KEYS:
            if key in build:
                position = build.positions[key]
                value = self._interpolated(build[key], shown, position, variables, key == "args")
                settings[key] = _Value(value, shown, position, build[key])
        return settings

    def _interpolated(self, value: Any, shown: str, start: tuple[int, int], variables: Variables,
                      args: bool = False) -> Any:
        if isinstance(value, list) and args:
            return self._args_list(value, shown, start, variables)
        if isinstance(value, list):
            return [self._interpolated(item, shown, getattr(item, "start", start), variables) for item in value]
        if isinstance(value, _Node):
            return {key: (self._from_environment(key, variables) if args and item is None
                          else self._interpolated(item, shown, value.positions[key], variables))
                    for key, item in value.items()}
        if value is None:
            return None
        try:
            result = interpolate(str(value), variables)
        except InterpolationError as error:
            self.problems.append(DefinitionProblem(shown, *start, str(error)))
            return _UNKNOWN
        return _UNKNOWN if result is None else result

    def _args_list(self, items: list, shown: str, start: tuple[int, int], variables: Variables) -> dict:
        """`args` as a list: `NAME=value` items, or `NAME` alone for the environment's value."""
        result = {}
        for item in items:
            if not isinstance(item, str):
                continue
            name, sep, value = item.partition("=")
            result[name] = (self._interpolated(value, shown, getattr(item, "start", start), variables) if sep
                            else self._from_environment(name, variables))
        return result

    @staticmethod
    def _from_environment(name: str, variables: Variables) -> Any:
        """`args: [NAME]` or `NAME:` with no value: Compose takes the value from the environment."""
        value = variables.get(name)
        return _UNKNOWN if value is None else value

    def _build(self, name: str, settings: dict[str, _Value], shown: str, line: int) -> Build | None:
        def text(key: str) -> Any:
            value = settings.get(key)
            return None if value is None else value.value

        context = text("context")
        if context is None:
            context = "."
        if context is _UNKNOWN or not isinstance(context, str) or REMOTE_CONTEXT.match(context):
            return None  # a build from elsewhere, or from a folder not known here
        context_dir = os.path.normpath(os.path.join(self.folder, os.path.expanduser(context)))
        inline = None
        dockerfile_path = None
        if "dockerfile_inline" in settings:
            inline = self._inline(settings["dockerfile_inline"])
            if inline is None:
                return None
        else:
            dockerfile = text("dockerfile") or "Dockerfile"
            if dockerfile is _UNKNOWN or not isinstance(dockerfile, str):
                return None
            dockerfile_path = os.path.normpath(os.path.join(context_dir, dockerfile))
        args = text("args")
        target = text("target")
        platforms = text("platforms")
        return Build("service", name, shown, line, dockerfile_path, inline, context_dir,
                     args=_args(args), target=target if isinstance(target, str) else None,
                     platforms=tuple(p for p in platforms if isinstance(p, str)) if isinstance(platforms, list)
                     else (),
                     named_contexts=_named_contexts(text("additional_contexts")))

    @staticmethod
    def _inline(value: _Value) -> InlineDockerfile | None:
        """The inline Dockerfile; a literal block (`|`) maps its lines back to the file's."""
        text = value.value
        if not isinstance(text, str):
            return None
        line, column = getattr(value.raw, "start", value.start)
        indent = getattr(value.raw, "literal_indent", None)
        if indent is None:
            return InlineDockerfile(text, line, column - 1)
        changed = frozenset(number for number, (after, before) in
                            enumerate(zip(text.split("\n"), str(value.raw).split("\n")), 1) if after != before)
        return InlineDockerfile(text, line + 1, indent, literal=True, changed_lines=changed)


_UNKNOWN = _Unknown()


def _args(args: Any) -> tuple[tuple[str, str | None], ...]:
    if not isinstance(args, dict):
        return ()
    return tuple(sorted((str(name), value if isinstance(value, str) else None) for name, value in args.items()))


def _named_contexts(contexts: Any) -> tuple[tuple[str, str | None], ...]:
    """`additional_contexts` as a mapping or a `name=value` list."""
    if isinstance(contexts, list):
        contexts = dict(item.partition("=")[::2] for item in contexts if isinstance(item, str))
    return named_contexts(contexts)
