"""Python packages a RUN installs: pip / uv pip arguments, requirement and constraint
files (nested), `pip install .` (pyproject.toml), poetry.lock, Pipfile.lock, uv.lock."""
from __future__ import annotations

import json
import posixpath
import re

from ..model import Command, Instruction, Stage, Word
from .common import Located, StageFiles, cwd_at, env_at, truthy
from .programs import PIP_BIN, PYTHON_BIN, PYTHON_INSTALLERS
from ..record import Record
from .versions import parse_requirement
from ..patterns import LazyPattern

_PIP_VALUE_OPTIONS = frozenset({
    "-r", "--requirement", "-c", "--constraint", "-e", "--editable", "-t", "--target", "--platform",
    "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src", "--upgrade-strategy",
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--progress-bar", "--log", "--proxy",
    "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert", "--client-cert", "--cache-dir",
    "--global-option", "--config-settings", "-C", "--report", "--only-binary", "--no-binary", "--python",
    "-p", "--root-user-action", "--keyring-provider", "--use-feature", "--use-deprecated", "--group",
    "-w", "--wheel-dir", "--index-strategy", "--resolution", "--prerelease", "--extra", "--build-constraint",
    "--override", "--python-platform", "--link-mode", "--exclude-newer",
})
# Matched against lowered text: compiling a case-insensitive pattern costs several times as much.
_URL = LazyPattern(r"^[a-z][a-z0-9+.-]*://|^git\+|^[a-z]+\+https?:")
_MAX_INCLUDE_DEPTH = 10


class PyRequirement(Record):
    """One requirement and where it was declared (Dockerfile word or file line)."""
    __slots__ = ("name", "specifier", "marker", "at", "text")

    def __init__(self, name: str, specifier: str, marker: object, at: Located, text: str) -> None:
        self.name = name
        self.specifier = specifier  # PEP 440 specifier text, "" when unpinned
        self.marker = marker  # packaging Marker or None
        self.at = at
        self.text = text  # as written, for messages


class PipCall(Record):
    """One command that installs Python packages."""
    __slots__ = ("command", "tool", "verb", "requirements", "constraints", "local_wheels", "prefer_binary",
                 "only_binary", "builds_wheels", "problems")

    def __init__(self, command: Command, tool: str, verb: Word, requirements: list[PyRequirement] | None = None,
                 constraints: dict[str, str] | None = None, local_wheels: bool = False,
                 prefer_binary: bool = False, only_binary: bool = False, builds_wheels: bool = False,
                 problems: list[str] | None = None) -> None:
        self.command = command
        self.tool = tool  # pip, uv, poetry, pipenv
        self.verb = verb  # install / wheel / sync word
        self.requirements = [] if requirements is None else requirements
        self.constraints = {} if constraints is None else constraints  # name -> specifier
        self.local_wheels = local_wheels  # --no-index / --find-links <dir>: wheels come from the image
        self.prefer_binary = prefer_binary
        self.only_binary = only_binary
        self.builds_wheels = builds_wheels  # `pip wheel`: the stage means to compile
        self.problems = [] if problems is None else problems


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _python_argv(command: Command) -> tuple[str, list[Word]] | None:
    """(tool, argv after the tool name) for pip, python -m pip, uv, poetry, pipenv."""
    argv = command.effective_argv()
    if not argv:
        return None
    name = command.name
    if PYTHON_BIN.match(name):
        rest = argv[1:]
        while rest and rest[0].value.startswith("-") and rest[0].value != "-m":
            rest = rest[1:]
        if len(rest) >= 2 and rest[0].value == "-m" and rest[1].value == "pip":
            return "pip", rest[2:]
        if len(rest) >= 2 and rest[0].value == "-m" and rest[1].value in PYTHON_INSTALLERS:
            return rest[1].value, rest[2:]
        return None
    if PIP_BIN.match(name):
        return "pip", argv[1:]
    if name in PYTHON_INSTALLERS:
        return name, argv[1:]
    return None


def _split_option(words: list[Word], index: int) -> tuple[str, Word | None, int]:
    """(option name, value word, next index) for `-r f`, `-rf`, `--requirement=f`."""
    word = words[index]
    value = word.value
    if value.startswith("--") and "=" in value:
        name, _, inline = value.partition("=")
        return name, _sub_word(word, len(name) + 1), index + 1
    if re.match(r"^-[rcefitwpC].+", value) and not value.startswith("--"):
        return value[:2], _sub_word(word, 2), index + 1
    if value in _PIP_VALUE_OPTIONS and index + 1 < len(words):
        return value, words[index + 1], index + 2
    return value, None, index + 1


def _sub_word(word: Word, offset: int) -> Word:
    origins = word.origins[offset:] if len(word.origins) == len(word.value) else []
    start = origins[0] if origins else word.start
    return Word(word.value[offset:], word.raw, start, word.end, list(origins), word.quoted, word.expanded)


class PythonDeps:
    """Reads the Python installs of one Dockerfile, with the files its stages copy in."""

    def __init__(self, files: StageFiles):
        self.files = files

    def calls(self, stage: Stage, ins: Instruction, command: Command) -> PipCall | None:
        found = _python_argv(command)
        if found is None:
            return None
        tool, argv = found
        if not argv:
            return None
        if tool == "uv":
            if argv[0].value == "pip" and len(argv) > 1 and argv[1].value in ("install", "sync"):
                return self._pip(stage, ins, command, "uv", argv[1], argv[2:])
            if argv[0].value == "sync":
                return self._lock(stage, ins, command, "uv", argv[0], argv[1:], "uv.lock")
            return None
        if tool == "pip" and argv[0].value in ("install", "wheel"):
            return self._pip(stage, ins, command, "pip", argv[0], argv[1:])
        if tool == "poetry" and argv[0].value in ("install", "sync"):
            return self._lock(stage, ins, command, "poetry", argv[0], argv[1:], "poetry.lock")
        if tool == "pipenv" and argv[0].value in ("install", "sync"):
            return self._lock(stage, ins, command, "pipenv", argv[0], argv[1:], "Pipfile.lock")
        return None

    # -- pip install / uv pip install

    def _pip(self, stage, ins, command, tool, verb: Word, words: list[Word]) -> PipCall:
        call = PipCall(command, tool, verb, builds_wheels=verb.value == "wheel")
        if tool == "pip" and any(w.value in ("--version", "-V") for w in words):
            return call  # pip prints its version and installs nothing
        env = env_at(ins, command)
        cwd = cwd_at(stage, ins, command)
        call.local_wheels = truthy(env.get("PIP_NO_INDEX")) or _local_links(env.get("PIP_FIND_LINKS", ""))
        if "PIP_PREFER_BINARY" in env and truthy(env["PIP_PREFER_BINARY"]):
            call.prefer_binary = True
        index = 0
        while index < len(words):
            word = words[index]
            if word.value == "--":
                index += 1
                continue
            if word.value.startswith("-"):
                name, value, index = _split_option(words, index)
                self._option(call, stage, ins, cwd, name, value)
                continue
            index += 1
            self._argument(call, stage, ins, cwd, word, word.value)
        return call

    def _option(self, call: PipCall, stage, ins, cwd, name: str, value: Word | None):
        if name == "--no-index":
            call.local_wheels = True
        elif name in ("-f", "--find-links") and value is not None and _local_links(value.value):
            call.local_wheels = True
        elif name == "--prefer-binary":
            call.prefer_binary = True
        elif name == "--only-binary" and value is not None and value.value in (":all:", "all"):
            call.only_binary = True
        elif name in ("-r", "--requirement") and value is not None:
            self._requirements_file(call, stage, ins, posixpath.join(cwd, value.value), value, constraints=False)
        elif name in ("-c", "--constraint") and value is not None:
            self._requirements_file(call, stage, ins, posixpath.join(cwd, value.value), value, constraints=True)
        elif name in ("-e", "--editable") and value is not None:
            self._argument(call, stage, ins, cwd, value, value.value)

    def _argument(self, call: PipCall, stage, ins, cwd, word: Word, text: str):
        if "$" in text or _is_url(text) or " @ " in text:
            return
        path, extras = _path_and_extras(text)
        if path is not None:
            if not path.endswith((".whl", ".tar.gz", ".zip")):
                self._project(call, stage, ins, posixpath.join(cwd, path), extras, word)
            return
        requirement = _parse_requirement(text, Located(word))
        if requirement is not None:
            call.requirements.append(requirement)

    def _project(self, call: PipCall, stage, ins, folder: str, extras: list[str], word: Word):
        """`pip install .` / `-e .[dev]`: the pyproject's [project] dependencies."""
        copied = self.files.lookup(stage, ins, posixpath.join(folder, "pyproject.toml"))
        if copied is None:
            return
        data = _toml(copied.read() or "", call, copied.display)
        project = data.get("project") if isinstance(data, dict) else None
        if not isinstance(project, dict):
            return
        lines = (copied.read() or "").splitlines()
        declared = list(project.get("dependencies") or [])
        optional = project.get("optional-dependencies") or {}
        for extra in extras:
            declared += list(optional.get(extra) or [])
        for text in declared:
            if not isinstance(text, str):
                continue
            line = _line_of(lines, text)
            requirement = _parse_requirement(text, Located(word, copied.display, line))
            if requirement is not None:
                call.requirements.append(requirement)

    def _requirements_file(self, call: PipCall, stage, ins, image_path: str, word: Word, constraints: bool,
                           depth: int = 0, seen: set[str] | None = None):
        seen = seen if seen is not None else set()
        image_path = posixpath.normpath(image_path)
        if image_path in seen or depth > _MAX_INCLUDE_DEPTH:
            return
        seen.add(image_path)
        copied = self.files.lookup(stage, ins, image_path)
        if copied is None:
            return
        text = copied.read()
        if text is None:
            return
        folder = posixpath.dirname(image_path)
        for line_no, line in _logical_lines(text):
            if line.startswith("-"):
                parts = line.split(None, 1)
                option, _, inline = parts[0].partition("=")
                argument = inline or (parts[1].strip() if len(parts) > 1 else "")
                if option in ("-r", "--requirement", "-c", "--constraint") or re.match(r"^-[rc]\S", parts[0]):
                    if re.match(r"^-[rc]\S", parts[0]) and not inline:
                        option, argument = parts[0][:2], parts[0][2:]
                    nested_is_constraint = constraints or option in ("-c", "--constraint")
                    self._requirements_file(call, stage, ins, posixpath.join(folder, argument), word,
                                            nested_is_constraint, depth + 1, seen)
                elif option in ("-e", "--editable"):
                    path, extras = _path_and_extras(argument)
                    if path is not None:
                        self._project(call, stage, ins, posixpath.join(folder, path), extras, word)
                elif option == "--no-index" or (option in ("-f", "--find-links") and _local_links(argument)):
                    call.local_wheels = True
                elif option == "--prefer-binary":
                    call.prefer_binary = True
                continue
            text_only = re.split(r"\s--?[a-z]", line, maxsplit=1)[0].strip()  # drop --hash=... options
            if not text_only or _is_url(text_only) or " @ " in text_only or "$" in text_only:
                continue
            if _path_and_extras(text_only)[0] is not None:
                continue
            requirement = _parse_requirement(text_only, Located(word, copied.display, line_no))
            if requirement is None:
                continue
            if constraints:
                call.constraints[requirement.name] = requirement.specifier
            else:
                call.requirements.append(requirement)

    # -- lock files

    def _lock(self, stage, ins, command, tool, verb: Word, words: list[Word], lock_name: str) -> PipCall:
        call = PipCall(command, tool, verb)
        values = [w.value for w in words]
        cwd = cwd_at(stage, ins, command)
        for index, value in enumerate(values):
            if value in ("--directory", "--project", "-C") and index + 1 < len(values):
                cwd = posixpath.join(cwd, values[index + 1])
        copied = self.files.lookup(stage, ins, posixpath.join(cwd, lock_name))
        if copied is None:
            return call
        text = copied.read() or ""
        if tool == "pipenv":
            entries = _pipfile_lock(text, include_dev="--dev" in values or "-d" in values, call=call)
        else:
            no_dev = any(v in ("--no-dev", "--only=main", "--without=dev", "--only-group=main") for v in values) or \
                any(values[i:i + 2] in (["--only", "main"], ["--without", "dev"]) for i in range(len(values)))
            entries = _toml_lock(text, call, copied.display, skip_dev=no_dev)
        lines = text.splitlines()
        for name, version in entries:
            line = _line_of(lines, f'"{name}"')
            call.requirements.append(PyRequirement(_normalize(name), f"=={version}", None,
                                                   Located(verb, copied.display, line), f"{name}=={version}"))
        return call


def _is_url(text: str) -> bool:
    return _URL.match(text.lower()) is not None


def _local_links(value: str) -> bool:
    """--find-links pointing into the image (wheels built in another stage), not a URL."""
    return any(part and not _is_url(part) for part in value.split())


def _path_and_extras(text: str) -> tuple[str | None, list[str]]:
    """`.[dev,test]` -> (".", ["dev", "test"]); a requirement string -> (None, [])."""
    base = text.split("[", 1)[0]
    if not (base.startswith((".", "/", "~")) or "/" in base or base.endswith((".whl", ".tar.gz", ".zip"))):
        return None, []
    extras = ",".join(re.findall(r"\[([^\]]*)\]", text))
    return base, [e.strip() for e in extras.split(",") if e.strip()]


def _parse_requirement(text: str, at: Located) -> PyRequirement | None:
    parsed = parse_requirement(text.strip())
    if parsed is None:
        return None
    name, specifier, marker = parsed
    return PyRequirement(_normalize(name), specifier, marker, at, text.strip())


def _logical_lines(text: str):
    """(first line number, text) of a requirements file: comments dropped, `\\` joined."""
    buffer, start = "", None
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if start is None:
            start = number
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            yield start, buffer.strip()
        buffer, start = "", None
    if buffer.strip():
        yield start, buffer.strip()


def _line_of(lines: list[str], needle: str) -> int | None:
    """First line holding `needle` (a dependency's own line in its file)."""
    name = needle.strip('"')
    pattern = re.compile(r"(^|[\s\"'\[,])" + re.escape(name) + r"($|[\s\"'<>=!~;\[,@])", re.I)
    for number, line in enumerate(lines, 1):
        if pattern.search(line):
            return number
    return None


def _toml(text: str, call: PipCall, display: str):
    try:
        import tomllib  # Python 3.11+
    except ModuleNotFoundError:  # pragma: no cover - Python 3.10 uses the tomli backport
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except (ValueError, TypeError) as error:
        call.problems.append(f"{display}: not valid TOML ({error})")
        return {}


def _toml_lock(text: str, call: PipCall, display: str, skip_dev: bool) -> list[tuple[str, str]]:
    """(name, version) of poetry.lock / uv.lock packages, minus the project itself."""
    data = _toml(text, call, display)
    entries = []
    for package in data.get("package", []) if isinstance(data, dict) else []:
        if not isinstance(package, dict) or "name" not in package or "version" not in package:
            continue
        source = package.get("source")
        if isinstance(source, dict) and ("editable" in source or "virtual" in source):
            continue  # the project being built, not a dependency
        groups = package.get("groups")
        if skip_dev and (package.get("category") == "dev" or (isinstance(groups, list) and "main" not in groups)):
            continue
        entries.append((str(package["name"]), str(package["version"])))
    return entries


def _pipfile_lock(text: str, include_dev: bool, call: PipCall) -> list[tuple[str, str]]:
    try:
        data = json.loads(text)
    except ValueError as error:
        call.problems.append(f"Pipfile.lock: not valid JSON ({error})")
        return []
    entries = []
    for section in ("default", "develop") if include_dev else ("default",):
        for name, info in (data.get(section) or {}).items():
            version = info.get("version", "") if isinstance(info, dict) else ""
            if version.startswith("=="):
                entries.append((name, version[2:]))
    return entries
