"""npm / yarn / pnpm installs: arguments, package.json and lock files (transitive)."""
from __future__ import annotations

import json
import posixpath
import re

from ..model import Command, Instruction, Stage, Word
from .common import Located, StageFiles, cwd_at, env_at
from .programs import NODE_INSTALL_VERBS, NODE_RUNNERS
from ..record import Record
from ..patterns import LazyPattern

_LOCKS = {"npm": ("npm-shrinkwrap.json", "package-lock.json"), "yarn": ("yarn.lock",), "pnpm": ("pnpm-lock.yaml",)}
_VALUE_OPTIONS = frozenset({"--omit", "--include", "--prefix", "-C", "--dir", "--registry", "--cache", "--tag",
                            "--workspace", "-w", "--filter", "--loglevel", "--modules-folder", "--cwd"})


class NodePackage(Record):
    """An npm package at the version an install resolves to."""
    __slots__ = ("name", "version", "at", "has_install_script")

    def __init__(self, name: str, version: str | None, at: Located, has_install_script: bool = False) -> None:
        self.name = name
        self.version = version  # exact from a lock, a lower bound from a range, None: newest
        self.at = at
        self.has_install_script = has_install_script  # as the lock file says (npm v2+ lock, pnpm requiresBuild)


class NodeInstall(Record):
    """What one npm/yarn/pnpm command installs, and from which files."""
    __slots__ = ("command", "tool", "verb", "packages", "global_install")

    def __init__(self, command: Command, tool: str, verb: Word, packages: list[NodePackage] | None = None,
                 global_install: bool = False) -> None:
        self.command = command
        self.tool = tool
        self.verb = verb
        self.packages = [] if packages is None else packages
        self.global_install = global_install


class BrowserInstall(Record):
    """`npx playwright install`: downloads glibc browser builds."""
    __slots__ = ("command", "word", "package")

    def __init__(self, command: Command, word: Word, package: str) -> None:
        self.command = command
        self.word = word
        self.package = package


_EXACT_SEMVER = LazyPattern(r"^=?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)(?:\+[0-9A-Za-z.-]+)?$")


def _version_of(spec: str) -> str | None:
    """An exact version as it is (`6.0.0-beta.17` stays whole), a range's lower bound
    (`^5.1.0` -> 5.1.0); None for `latest`, `*`, tags and URLs."""
    exact = _EXACT_SEMVER.match((spec or "").strip())
    if exact:
        return exact.group(1)
    match = re.search(r"(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?", spec or "")
    if not match or "://" in spec or spec.startswith(("file:", "git", "link:", "workspace:")):
        return None
    parts = [p if p and p.isdigit() else "0" for p in match.groups()]
    return ".".join(parts)


def version_key(version: str) -> tuple[int, ...]:
    """Orders semver versions; a pre-release (`6.0.0-beta.17`) comes before its release."""
    release, dash, _ = version.partition("-")
    numbers = [int(p) for p in re.findall(r"\d+", release)[:3]]
    return tuple(numbers + [0] * (3 - len(numbers))) + ((0,) if dash else (1,))


def _split_spec(text: str) -> tuple[str, str]:
    """`@scope/name@^1` -> (`@scope/name`, `^1`)."""
    at = text.find("@", 1)
    return (text, "") if at < 0 else (text[:at], text[at + 1:])


class NodeDeps:
    def __init__(self, files: StageFiles):
        self.files = files

    def install(self, stage: Stage, ins: Instruction, command: Command) -> NodeInstall | None:
        argv = command.effective_argv()
        tool = command.name
        if tool not in NODE_INSTALL_VERBS:
            return None
        words = argv[1:]
        global_install = False
        if tool == "yarn" and words and words[0].value == "global":
            global_install, words = True, words[1:]
        if tool == "yarn" and not words:
            verb = argv[0]
        elif not words or words[0].value not in NODE_INSTALL_VERBS[tool]:
            return None
        else:
            verb, words = words[0], words[1:]
        install = NodeInstall(command, tool, verb, global_install=global_install)
        options, specs, index = [], [], 0
        cwd = cwd_at(stage, ins, command)
        while index < len(words):
            value = words[index].value
            if value.startswith("-"):
                options.append(value)
                if value in ("-g", "--global"):
                    install.global_install = True
                if value in ("--prefix", "-C", "--dir", "--cwd") and index + 1 < len(words):
                    cwd = posixpath.join(cwd, words[index + 1].value)
                if value in _VALUE_OPTIONS and index + 1 < len(words):
                    options.append(words[index + 1].value)
                    index += 1
            elif "$" not in value:
                specs.append(words[index])
            index += 1
        for word in specs:
            name, spec = _split_spec(word.value)
            if re.match(r"^(@[\w.-]+/)?[\w.-]+$", name) and not name.startswith("."):
                install.packages.append(NodePackage(name, _version_of(spec) if spec else None, Located(word)))
        if not specs and not install.global_install:
            env = env_at(ins, command)
            omit_dev = (any(o in ("--production", "--prod", "-P") or o.startswith("--omit=dev") for o in options)
                        or "--omit" in options and "dev" in options
                        or env.get("NODE_ENV") == "production" and verb.value != "add")
            self._project(install, stage, ins, cwd, omit_dev)
        return install

    def _project(self, install: NodeInstall, stage, ins, cwd: str, omit_dev: bool):
        for lock_name in _LOCKS[install.tool] + tuple(n for t, names in _LOCKS.items() if t != install.tool
                                                      for n in names):
            copied = self.files.lookup(stage, ins, posixpath.join(cwd, lock_name))
            if copied is None:
                continue
            text = copied.read() or ""
            try:
                entries = _read_lock(lock_name, text, omit_dev)
            except (ValueError, AttributeError, TypeError):  # a damaged lock file (YAML errors included)
                continue
            lines = text.splitlines()
            for name, version, scripts in entries:
                install.packages.append(NodePackage(name, version, Located(install.verb, copied.display,
                                                                           _lock_line(lines, name)), scripts))
            return
        manifest = self.files.lookup(stage, ins, posixpath.join(cwd, "package.json"))
        if manifest is None:
            return
        try:
            data = json.loads(manifest.read() or "")
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        lines = (manifest.read() or "").splitlines()
        sections = ["dependencies", "optionalDependencies"] + ([] if omit_dev else ["devDependencies"])
        for section in sections:
            for name, spec in (data.get(section) or {}).items():
                if isinstance(spec, str):
                    line = next((n for n, text in enumerate(lines, 1) if f'"{name}"' in text), None)
                    install.packages.append(NodePackage(name, _version_of(spec),
                                                        Located(install.verb, manifest.display, line)))

    @staticmethod
    def browser_install(command: Command) -> BrowserInstall | None:
        argv = command.effective_argv()
        values = [w.value for w in argv]
        if command.name in NODE_RUNNERS or values[:2] in (["pnpm", "exec"], ["yarn", "dlx"]):
            offset = 1 if command.name in NODE_RUNNERS else 2
            while offset < len(values) and values[offset].startswith("-"):
                offset += 1
            argv, values = argv[offset:], values[offset:]
        elif values[:2] in (["yarn", "playwright"], ["pnpm", "playwright"]):
            argv, values = argv[1:], values[1:]
        if len(values) >= 2 and values[0].split("@", 1)[0] == "playwright" and values[1] == "install":
            if "--help" in values or "install-deps" in values:
                return None
            return BrowserInstall(command, argv[1], "playwright")
        return None


def _read_lock(name: str, text: str, omit_dev: bool) -> list[tuple[str, str | None, bool]]:
    if name.endswith(".json"):
        return _npm_lock(json.loads(text), omit_dev)
    if name == "yarn.lock":
        return _yarn_lock(text)
    import yaml  # here, not at the top: YAML costs start-up time on every run, pnpm locks are rare
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(f"{name}: not valid YAML") from error
    return _pnpm_lock(document or {}, omit_dev)


def _npm_lock(data: dict, omit_dev: bool) -> list[tuple[str, str | None, bool]]:
    entries = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, info in packages.items():
            if not key or not isinstance(info, dict) or "node_modules/" not in key or info.get("link"):
                continue
            if omit_dev and info.get("dev"):
                continue
            entries.append((key.rsplit("node_modules/", 1)[-1], info.get("version"), bool(info.get("hasInstallScript"))))
        return entries

    def walk(dependencies: dict):
        for dep_name, info in (dependencies or {}).items():
            if isinstance(info, dict) and not (omit_dev and info.get("dev")):
                entries.append((dep_name, info.get("version"), False))
                walk(info.get("dependencies"))
    walk(data.get("dependencies"))
    return entries


_YARN_HEADER = LazyPattern(r'^"?((?:@[^@/"\s]+/)?[^@"\s,]+)@')


def _yarn_lock(text: str) -> list[tuple[str, str | None, bool]]:
    """yarn v1 (`version "1.2.3"`) and berry (`version: 1.2.3`) lock files."""
    entries, current = [], None
    for line in text.splitlines():
        if line and not line.startswith((" ", "#")) and line.rstrip().endswith(":"):
            match = _YARN_HEADER.match(line)
            current = match.group(1) if match and not line.startswith("__metadata") else None
        elif current and re.match(r"^\s+version:?\s", line):
            version = line.split(None, 1)[1].strip().strip('"')
            entries.append((current, version, False))
            current = None
    return entries


def _pnpm_lock(data: dict, omit_dev: bool) -> list[tuple[str, str | None, bool]]:
    entries = []
    for key, info in (data.get("packages") or {}).items():
        info = info if isinstance(info, dict) else {}
        if omit_dev and info.get("dev") is True:
            continue
        key = re.sub(r"\(.*$", "", str(key)).lstrip("/")
        at = key.find("@", 1)
        if at > 0:
            name, version = key[:at], key[at + 1:]
        else:  # lockfile v5: /name/1.2.3
            name, _, version = key.rpartition("/")
        if name:
            entries.append((name, version or None, bool(info.get("requiresBuild"))))
    return entries


def _lock_line(lines: list[str], name: str) -> int | None:
    """The line of the package's own entry (`"node_modules/x": {`, `x@^1:`, `/x@1.2.3:`)."""
    pattern = re.compile(r'(^|["/\s])' + re.escape(name) + r'(@|":|/\d)')
    return next((number for number, line in enumerate(lines, 1) if pattern.search(line)), None)
