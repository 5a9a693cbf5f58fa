"""Reading `apk` command lines, and what a stage has installed at a given point."""
from __future__ import annotations


from ..model import Command, Instruction, Stage, Word
from ..record import Record

# Options that take a value, in long and short spelling.
_VALUE_OPTIONS = {
    "--repository": "repository", "-X": "repository", "--root": "root", "-p": "root",
    "--arch": "arch", "--keys-dir": "keys-dir", "--repositories-file": "repositories-file",
    "--cache-dir": "cache-dir", "--cache-max-age": "cache-max-age", "--timeout": "timeout",
    "--wait": "wait", "--virtual": "virtual", "-t": "virtual", "--from": "from",
}
_FLAG_ALIASES = {
    "-U": "update-cache", "--update-cache": "update-cache", "--update": "update-cache",
    "--no-cache": "no-cache", "--allow-untrusted": "allow-untrusted", "-u": "upgrade",
    "--upgrade": "upgrade", "-q": "quiet", "-v": "verbose", "-i": "interactive",
    "-f": "force", "-l": "latest", "--latest": "latest",
}

def _unambiguous_prefixes(names: list[str]) -> dict[str, str]:
    """apk reads long options with getopt_long: any unambiguous prefix stands for the
    option (`--virt .dep` is `--virtual .dep`)."""
    prefixes: dict[str, list[str]] = {}
    for name in names:
        for end in range(len("--") + 3, len(name)):
            prefixes.setdefault(name[:end], []).append(name)
    return {prefix: found[0] for prefix, found in prefixes.items() if len(found) == 1 and prefix not in names}


_LONG_PREFIXES = _unambiguous_prefixes([name for name in {*_VALUE_OPTIONS, *_FLAG_ALIASES, "--no-network",
                                                          "--no-scripts", "--purge", "--progress", "--quiet",
                                                          "--verbose", "--interactive", "--force", "--print-arch",
                                                          "--simulate", "--clean-protected", "--available",
                                                          "--self-upgrade", "--no-self-upgrade", "--usermode",
                                                          "--initdb", "--recursive", "--no-chown",
                                                          "--allow-untrusted"}
                                        if name.startswith("--")])

SUBCOMMANDS = frozenset({
    "add", "del", "delete", "update", "upgrade", "fix", "cache", "info", "search", "list", "dot",
    "policy", "stats", "index", "fetch", "manifest", "verify", "audit", "version", "mkpkg",
    "query", "extract", "convndx", "convdb", "adbdump", "adbsign", "adbgen", "mkndx",
})


class ApkCall(Record):
    """One apk command line read into subcommand, options and packages."""
    __slots__ = ("command", "apk_word", "subcommand", "subcommand_word", "options", "values", "packages")

    def __init__(self, command: Command, apk_word: Word, subcommand: str = "",
                 subcommand_word: Word | None = None, options: dict[str, Word] | None = None,
                 values: dict[str, list[Word]] | None = None, packages: list[Word] | None = None) -> None:
        self.command = command
        self.apk_word = apk_word
        self.subcommand = subcommand
        self.subcommand_word = subcommand_word
        self.options = {} if options is None else options  # name -> the option's word
        self.values = {} if values is None else values  # name -> value words
        self.packages = [] if packages is None else packages

    def has(self, name: str) -> bool:
        return name in self.options

    @property
    def virtual(self) -> Word | None:
        words = self.values.get("virtual")
        return words[0] if words else None


def package_name(word: Word) -> str:
    """`py3-foo@edge=1.2-r0` -> `py3-foo`."""
    name = word.value
    for separator in ("@", "=", ">", "<", "~"):
        name = name.split(separator, 1)[0]
    return name


def read_apk(command: Command) -> ApkCall | None:
    """The apk call `command` makes, or None. The parser reads it once per command into
    `Command.apk`, where every apk rule finds it."""
    argv = command.effective_argv()
    if not argv or argv[0].value.rsplit("/", 1)[-1] != "apk":
        return None
    call = ApkCall(command=command, apk_word=argv[0])
    index = 1
    while index < len(argv):
        word = argv[index]
        value = word.value
        index += 1
        name, has_inline, inline = value.partition("=") if value.startswith("--") else (value, False, "")
        if name in _LONG_PREFIXES:
            name = _LONG_PREFIXES[name]
            value = name if not has_inline else f"{name}={inline}"
        if name in _VALUE_OPTIONS:
            key = _VALUE_OPTIONS[name]
            call.options[key] = word
            if has_inline:
                call.values.setdefault(key, []).append(Word(inline, word.raw, word.start, word.end,
                                                            word.origins[len(name) + 1:]))
            elif index < len(argv):
                call.values.setdefault(key, []).append(argv[index])
                index += 1
            continue
        if value.startswith("-X") and len(value) > 2:
            call.options["repository"] = word
            call.values.setdefault("repository", []).append(word)
            continue
        if value.startswith("-") and len(value) > 1:
            if value in _FLAG_ALIASES:
                call.options[_FLAG_ALIASES[value]] = word
            elif value.startswith("--"):
                call.options[value[2:]] = word
            else:  # combined short flags: -Uq
                for letter in value[1:]:
                    call.options[_FLAG_ALIASES.get("-" + letter, letter)] = word
            continue
        if not call.subcommand:
            call.subcommand = "del" if value == "delete" else value
            call.subcommand_word = word
            continue
        call.packages.append(word)
    return call


def apk_calls(commands: list[Command]) -> list[ApkCall]:
    return [call for call in (c.apk for c in commands) if call is not None]


BUILD_ONLY = frozenset({
    "build-base", "gcc", "g++", "clang", "llvm", "musl-dev", "libc-dev", "linux-headers", "make",
    "cmake", "autoconf", "automake", "libtool", "pkgconf", "pkgconfig", "cargo", "rust", "gfortran",
    "bison", "flex", "ninja", "ninja-build", "meson", "samurai", "binutils", "fortify-headers",
    "patch", "abuild", "go", "yasm", "nasm",
})


def is_build_only(name: str) -> bool:
    """Compilers, build tools and headers that a runtime image does not need."""
    return name in BUILD_ONLY or name.endswith("-dev") or name.startswith("clang")


def installed_packages(stage: Stage, before: Instruction | None = None,
                       before_command: Command | None = None) -> set[str]:
    """Package names that apk added, and did not delete, in the stage's lineage.

    Counts the instructions before `before`; with `before_command`, also the commands
    of `before` that precede that command (earlier in the same RUN).
    """
    state = _Installed()
    for current in reversed(stage.lineage()):
        for ins in current.instructions:
            if ins is before and before_command is None:
                return state.names
            for command in ins.commands if ins.keyword == "RUN" else ():
                if command is before_command:
                    return state.names
                state.apply(command.apk)
    return state.names


class _Installed:
    def __init__(self):
        self.names: set[str] = set()
        self.virtuals: dict[str, set[str]] = {}

    def apply(self, call: ApkCall | None):
        if call is None:
            return
        if call.subcommand == "add":
            added = {package_name(w) for w in call.packages}
            self.names.update(added)
            if call.virtual is not None:
                self.names.add(call.virtual.value)
                self.virtuals[call.virtual.value] = added
        elif call.subcommand == "del":
            for word in call.packages:
                name = package_name(word)
                self.names.discard(name)
                self.names.difference_update(self.virtuals.pop(name, ()))
