"""Settings of one run: what the config file and the command line ask for."""
from __future__ import annotations

import datetime as dt
import fnmatch
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType

from .model import Severity
from .record import Record

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:
    from typing import Any

DEFAULT_PLATFORMS = ("linux/amd64", "linux/arm64")
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024


def _read_only(mapping: Mapping | None) -> Mapping:
    """A read-only copy (a view the caller's dict cannot change behind the settings' back)."""
    if isinstance(mapping, MappingProxyType):
        return mapping
    return MappingProxyType(dict(mapping or {}))


class Settings(Record):
    """Everything one run (or one file, after per-path overrides) is checked with; read-only
    once made, its mappings too: a run's files, builds and worker processes share it.

    `fail_level` None: never fail. `exclude`: globs skipped when searching folders.
    `named_contexts`: from a build definition. `build_definitions`: read compose and bake
    files; `compose_files`: named ones (default: found as docker compose does);
    `compose_profiles` empty: every service. `repository`: owner/name the files belong to
    (None: their checkout's git remote). `debug`: internal errors carry their traceback."""
    __slots__ = ("select", "ignore", "severity", "fail_level", "build_args", "target", "platforms", "as_of",
                 "context", "online", "alpine_images", "glibc_images", "init_images", "require_init",
                 "max_file_size", "inline_ignores", "exclude", "named_contexts", "build_definitions", "compose_files",
                 "bake_files", "compose_profiles", "repository", "debug",
                 "path_settings")
    _unequal = ("path_settings",)
    _hidden = ("path_settings",)

    def __init__(self, select: tuple[str, ...] = (), ignore: tuple[str, ...] = (),
                 severity: dict[str, Severity] | None = None, fail_level: Severity | None = Severity.WARNING,
                 build_args: dict[str, str] | None = None, target: str | None = None,
                 platforms: tuple[str, ...] = DEFAULT_PLATFORMS, as_of: dt.date | None = None,
                 context: str | None = None, online: bool = False, alpine_images: tuple[str, ...] = (),
                 glibc_images: tuple[str, ...] = (), init_images: tuple[str, ...] = (), require_init: bool = True,
                 max_file_size: int = DEFAULT_MAX_FILE_SIZE, inline_ignores: bool = True,
                 exclude: tuple[str, ...] = (), named_contexts: dict[str, str | None] | None = None,
                 build_definitions: bool = True, compose_files: tuple[str, ...] = (), bake_files: tuple[str, ...] = (),
                 compose_profiles: tuple[str, ...] = (), repository: str | None = None, debug: bool = False,
                 path_settings: PathSettings | None = None) -> None:
        values = (select, ignore, _read_only(severity), fail_level, _read_only(build_args), target, platforms,
                  dt.date.today() if as_of is None else as_of, context, online, alpine_images, glibc_images,
                  init_images, require_init, max_file_size, inline_ignores, exclude, _read_only(named_contexts),
                  build_definitions, compose_files, bake_files, compose_profiles, repository, debug, path_settings)
        for name, value in zip(self.__slots__, values):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Settings are read-only once made (one run's files share them): "
                             f"use replaced({name}=...) for a changed copy")

    def __reduce__(self):
        """Pickled for worker processes as the arguments that make it again (in __slots__ order)."""
        return Settings, tuple(dict(v) if isinstance(v, MappingProxyType) else v
                                 for v in (getattr(self, name) for name in self.__slots__))

    def replaced(self, **changes) -> "Settings":
        """A copy with some attributes changed (the settings of one build of a file)."""
        unknown = set(changes) - set(self.__slots__)
        if unknown:
            raise TypeError(f"Settings have no {', '.join(sorted(unknown))}")
        return Settings(**{name: changes[name] if name in changes else getattr(self, name) for name in self.__slots__})

    def rule_enabled(self, rule_id: str) -> bool:
        if self.select and not any(rule_id.startswith(p) for p in self.select):
            return False
        return not any(rule_id.startswith(p) for p in self.ignore)

    def for_path(self, path: str) -> "Settings":
        """The settings for one file: the overrides whose glob matches it applied."""
        return self if self.path_settings is None else self.path_settings.settings_for(path)


# The config file: `.alpineguard.yaml`, or `[tool.alpineguard]` in `pyproject.toml`.

CONFIG_FILE = ".alpineguard.yaml"
PYPROJECT = "pyproject.toml"
# The one list of fail levels (the config file, the command line, the Action's input) and
# the exit statuses every door returns (see runner.exit_status).
FAIL_LEVELS = ("error", "warning", "info", "style", "never")
EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

# A layer holds the Settings attributes one source sets (the file, an override, the command
# line); later layers win, except that mappings (severity, build_args) merge key by key.
Layer = dict
_MERGED = ("severity", "build_args")


def fail_level(name: str) -> Severity | None:
    """The lowest severity that fails a run, for one of FAIL_LEVELS (`never`: None)."""
    name = name.strip().lower()
    return None if name == "never" else Severity.parse(name)


class ConfigError(Exception):
    """A config that cannot be used; the message names the file and the key, on one line."""


def unknown_rule_id(ids: Iterable[str], known: Collection[str], exact: bool = False) -> str | None:
    """The first of `ids` that names none of the `known` rule IDs (as a prefix unless `exact`)."""
    for rule_id in ids:
        if (rule_id not in known) if exact else not any(name.startswith(rule_id) for name in known):
            return rule_id
    return None


def is_repository_name(text: str) -> bool:
    """`owner/name`: two non-empty parts without spaces."""
    owner, slash, name = text.partition("/")
    return bool(slash and owner and name and "/" not in name and not any(c.isspace() for c in text))


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _Reader:
    """Checks and converts the values of one source; errors name `source` and the key.
    Rule IDs are checked against `known_rules` (the registry's, handed in by the door that
    loads the config for a run); None leaves them unchecked."""

    def __init__(self, source: str, known_rules: Collection[str] | None = None):
        self.source = source
        self.known_rules = known_rules

    def fail(self, key: str, expected: str, value: Any) -> ConfigError:
        return ConfigError(f"{self.source}: `{key}` must be {expected}, got {_kind(value)}")

    def strings(self, key: str, value: Any, comma_separated: bool = False) -> tuple[str, ...]:
        if comma_separated and isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self.fail(key, "a list of strings", value)
        return tuple(item.strip() for item in value if item.strip())

    def rule_ids(self, key: str, value: Any) -> tuple[str, ...]:
        ids = tuple(item.upper() for item in self.strings(key, value, comma_separated=True))
        unknown = None if self.known_rules is None else unknown_rule_id(ids, self.known_rules)
        if unknown:
            raise ConfigError(f"{self.source}: `{key}`: no rule matches {unknown!r} (see --list-rules)")
        return ids

    def boolean(self, key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key, "true or false", value)
        return value

    def severities(self, key: str, value: Any) -> dict[str, Severity]:
        if not isinstance(value, dict):
            raise self.fail(key, "a mapping of rule ID to severity", value)
        result = {}
        labels = [s.label for s in reversed(Severity)]
        for rule_id, label in value.items():
            rule_id = str(rule_id).upper()
            if self.known_rules is not None and unknown_rule_id([rule_id], self.known_rules, exact=True):
                raise ConfigError(f"{self.source}: `{key}`: no rule {rule_id!r} (see --list-rules)")
            if not isinstance(label, str) or label.strip().lower() not in labels:
                raise self.fail(f"{key}.{rule_id}", f"one of {', '.join(labels)}", label)
            result[rule_id] = Severity.parse(label)
        return result

    def fail_level(self, key: str, value: Any) -> Severity | None:
        if not isinstance(value, str) or value.strip().lower() not in FAIL_LEVELS:
            raise self.fail(key, f"one of {', '.join(FAIL_LEVELS)}", value)
        return fail_level(value)

    def build_args(self, key: str, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self.fail(key, "a mapping of ARG name to value", value)
        result = {}
        for name, arg in value.items():
            if isinstance(arg, bool) or not isinstance(arg, (str, int, float)):
                raise self.fail(f"{key}.{name}", "a string or a number", arg)
            result[str(name)] = str(arg)
        return result

    def date(self, key: str, value: Any) -> dt.date:
        # YAML and TOML both read an unquoted 2026-01-31 as a date already.
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        raise self.fail(key, "a date as YYYY-MM-DD", value)

    def repository(self, key: str, value: Any) -> str:
        if not isinstance(value, str) or not is_repository_name(value.strip()):
            raise self.fail(key, "a repository as OWNER/NAME", value)
        return value.strip()

    def positive_int(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise self.fail(key, "a positive whole number", value)
        return value


# file key -> (Settings attribute, converter); the keys an override may set are marked.
_KEYS: dict[str, tuple[str, Callable[[_Reader, str, Any], Any], bool]] = {
    "select": ("select", _Reader.rule_ids, True),
    "ignore": ("ignore", _Reader.rule_ids, True),
    "severity": ("severity", _Reader.severities, True),
    "fail-level": ("fail_level", _Reader.fail_level, False),
    "alpine-images": ("alpine_images", _Reader.strings, True),
    "glibc-images": ("glibc_images", _Reader.strings, True),
    "init-images": ("init_images", _Reader.strings, True),
    "require-init": ("require_init", _Reader.boolean, True),
    "build-args": ("build_args", _Reader.build_args, True),
    "platforms": ("platforms", lambda r, k, v: r.strings(k, v, comma_separated=True), True),
    "online": ("online", _Reader.boolean, False),
    "as-of": ("as_of", _Reader.date, False),
    "max-file-size": ("max_file_size", _Reader.positive_int, True),
    "exclude": ("exclude", _Reader.strings, False),
    "build-definitions": ("build_definitions", _Reader.boolean, False),
    "compose-files": ("compose_files", _Reader.strings, False),
    "bake-files": ("bake_files", _Reader.strings, False),
    "compose-profiles": ("compose_profiles", lambda r, k, v: r.strings(k, v, comma_separated=True), False),
    "repository": ("repository", _Reader.repository, False),
}
_OVERRIDE_KEYS = tuple(key for key, (_, _, per_path) in _KEYS.items() if per_path)


def _unknown_key(reader: _Reader, key: Any, known: Iterable[str], where: str = "") -> ConfigError:
    import difflib
    hint = difflib.get_close_matches(str(key), list(known), n=1)
    suggestion = f"; did you mean `{hint[0]}`?" if hint else f" (known: {', '.join(known)})"
    return ConfigError(f"{reader.source}: unknown key `{where}{key}`{suggestion}")


def _layer(reader: _Reader, table: dict, allowed: Iterable[str], where: str = "") -> Layer:
    allowed = tuple(allowed)
    layer: Layer = {}
    for key, value in table.items():
        if key not in allowed:
            raise _unknown_key(reader, key, allowed, where)
        attribute, convert, _ = _KEYS[key]
        layer[attribute] = convert(reader, where + key, value)
    return layer


class ConfigFile(Record):
    """A parsed config: its top-level layer and its per-path overrides, in file order."""
    __slots__ = ("path", "root", "layer", "overrides")

    def __init__(self, path: str, root: str, layer: Layer, overrides: list[tuple[str, Layer]]) -> None:
        self.path = path  # as shown in messages
        self.root = root  # absolute folder the globs are relative to
        self.layer = layer
        self.overrides = overrides


def parse_config(table: Any, source: str, root: str, known_rules: Collection[str] | None = None) -> ConfigFile:
    reader = _Reader(source, known_rules)
    if table is None:
        table = {}
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: the config must be a mapping of keys to values, got {_kind(table)}")
    table = dict(table)
    raw_overrides = table.pop("overrides", {})
    layer = _layer(reader, table, [*_KEYS, "overrides"])
    if not isinstance(raw_overrides, dict):
        raise reader.fail("overrides", "a mapping of path glob to settings", raw_overrides)
    overrides = []
    for glob, settings in raw_overrides.items():
        where = f"overrides.{glob}."
        if not isinstance(settings, dict):
            raise reader.fail(where[:-1], f"a mapping of settings ({', '.join(_OVERRIDE_KEYS)})", settings)
        overrides.append((str(glob), _layer(reader, settings, _OVERRIDE_KEYS, where)))
    return ConfigFile(source, root, layer, overrides)


def _read_text(path: str, source: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except UnicodeDecodeError:
        raise ConfigError(f"{source}: not UTF-8 text") from None
    except OSError as error:
        raise ConfigError(f"{source}: cannot read: {error.strerror or error}") from None


def _load_yaml(path: str, source: str) -> Any:
    import yaml
    try:
        return yaml.safe_load(_read_text(path, source))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML: {problem}{at}") from None


def _toml_module():
    try:
        import tomllib
    except ImportError:  # Python 3.10: the tomli backport, if installed
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            return None
    return tomllib


def _pyproject_table(path: str, source: str, required: bool) -> Any | None:
    """`[tool.alpineguard]` of a pyproject.toml, or None when it has none (and none is required)."""
    text = _read_text(path, source)
    if "alpineguard" not in text and not required:
        return None  # cheap: most pyproject.toml files never mention us, skip parsing them
    tomllib = _toml_module()
    if tomllib is None:
        raise ConfigError(f"{source}: reading [tool.alpineguard] needs Python 3.11+ or the tomli package; "
                          f"or move the settings to {CONFIG_FILE}")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    tool = document.get("tool")
    table = tool.get("alpineguard") if isinstance(tool, dict) else None
    if table is None and required:
        raise ConfigError(f"{source}: no [tool.alpineguard] table")
    return table


def _shown(path: str, cwd: str) -> str:
    relative = os.path.relpath(path, cwd)
    return relative if len(relative) < len(path) else path


def load_config(explicit: str | None = None, cwd: str | None = None,
                known_rules: Collection[str] | None = None) -> ConfigFile | None:
    """The config named by --config, else the nearest one upwards from `cwd` (stopping at the
    repository root); None when there is none. Rule IDs must be among `known_rules`."""
    cwd = os.path.abspath(cwd or os.getcwd())
    if explicit is not None:
        path = os.path.abspath(os.path.join(cwd, explicit))
        root = os.path.dirname(path)
        if not os.path.isfile(path):
            raise ConfigError(f"{explicit}: config file not found")
        if path.endswith(".toml"):
            return parse_config(_pyproject_table(path, explicit, True), f"{explicit} [tool.alpineguard]", root,
                                known_rules)
        return parse_config(_load_yaml(path, explicit), explicit, root, known_rules)
    folder = cwd
    while True:
        candidate = os.path.join(folder, CONFIG_FILE)
        if os.path.isfile(candidate):
            shown = _shown(candidate, cwd)
            return parse_config(_load_yaml(candidate, shown), shown, folder, known_rules)
        candidate = os.path.join(folder, PYPROJECT)
        if os.path.isfile(candidate):
            shown = _shown(candidate, cwd)
            table = _pyproject_table(candidate, shown, False)
            if table is not None:
                return parse_config(table, f"{shown} [tool.alpineguard]", folder, known_rules)
        parent = os.path.dirname(folder)
        if parent == folder or os.path.exists(os.path.join(folder, ".git")):
            return None
        folder = parent


def _merged(fields: dict, layer: Layer) -> dict:
    """`fields` (Settings arguments) with `layer` applied on top."""
    merged = dict(fields)
    for attribute, value in layer.items():
        merged[attribute] = {**merged.get(attribute, {}), **value} if attribute in _MERGED else value
    return merged


def _relative_posix(path: str, root: str) -> str:
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def glob_matches(relative: str, glob: str) -> bool:
    """gitignore-like: a glob without `/` (but a trailing one) matches any path component;
    one with `/` matches from the config's folder; matching a folder covers what is in it."""
    parts = relative.split("/")
    pattern = glob.strip("/")
    if "/" not in glob.rstrip("/"):
        return any(fnmatch.fnmatchcase(part, pattern) for part in parts)
    return any(fnmatch.fnmatchcase("/".join(parts[:n]), pattern) for n in range(1, len(parts) + 1))


class PathSettings(Record):
    """Per-path overrides: settings for a file are built from the layers whose glob matches."""
    __slots__ = ("config", "command_line", "base", "_built")

    def __init__(self, config: ConfigFile, command_line: Layer, base: Settings,
                 _built: dict[tuple[int, ...], Settings] | None = None) -> None:
        self.config = config
        self.command_line = command_line
        self.base = base
        self._built = {} if _built is None else _built

    def settings_for(self, path: str) -> Settings:
        if path == "-":
            return self.base
        relative = _relative_posix(path, self.config.root)
        matching = tuple(i for i, (glob, _) in enumerate(self.config.overrides) if glob_matches(relative, glob))
        if not matching:
            return self.base
        if matching not in self._built:
            fields: dict = {}
            for layer in (self.config.layer, *(self.config.overrides[i][1] for i in matching), self.command_line):
                fields = _merged(fields, layer)
            self._built[matching] = Settings(**fields)
        return self._built[matching]


def _discovery_excludes(globs: Iterable[str], root: str) -> tuple[str, ...]:
    """Exclude globs as discovery matches them: a name glob as is, a path glob anchored at
    the config's folder (discovery matches it against the absolute path)."""
    result = []
    for glob in globs:
        pattern = glob.rstrip("/")
        result.append(os.path.join(root, pattern.lstrip("/")) if "/" in pattern else pattern)
    return tuple(result)


def build_settings(command_line: Layer, config: ConfigFile | None) -> Settings:
    """Defaults, then the config file, then the command line (which wins)."""
    fields: dict = {}
    if config is not None:
        fields = _merged(fields, config.layer)
        # Definition files the config names are relative to its folder.
        for attribute in ("compose_files", "bake_files"):
            fields[attribute] = tuple(os.path.join(config.root, p) for p in fields.get(attribute, ()))
    fields = _merged(fields, command_line)
    if config is not None:
        fields["exclude"] = _discovery_excludes(fields.get("exclude", ()), config.root)
    settings = Settings(**fields)
    if config is not None and config.overrides:
        settings = settings.replaced(path_settings=PathSettings(config, command_line, settings))
    return settings
