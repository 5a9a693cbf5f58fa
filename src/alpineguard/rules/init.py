"""AG3xx: PID 1, init and entrypoint of the final image."""
from __future__ import annotations

import fnmatch
import json
import posixpath
from collections.abc import Iterator, Mapping
from functools import lru_cache

from ..config import Settings
from ..context import workdir_after
from ..deps.common import workdir_at
from ..images import image_matches
from ..knowledge import branch_key, load_data
from ..lintcontext import FileContext
from ..model import Command, Dockerfile, Edit, Fix, ImageKind, Instruction, SourceText, Stage, Word
from ..parsing.apk import installed_packages
from ..parsing.shell import ShellReadings, command_from_words, parse_shell, split_words
from ..record import Record
from .registry import Hit, rule
from ..patterns import LazyPattern

_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_INSTALLABLE = ("tini", "dumb-init", "catatonit")  # inits that come as one binary
# Unquoted plain text, or a quoted part in which the shell would expand nothing.
_PLAIN_WORD = LazyPattern(r"""(?:[\w./:=@%+,-]+|'[^']*'|"[^"$`\\!]*")+""")
_SHELL_BUILTINS = frozenset({"exec", "cd", "set", "export", "unset", ".", "source", "eval", "trap",
                             "ulimit", "umask", "read", "wait", "shift", "alias", "local", "readonly"})
# Builtins that, run last, mean the program ran before them under the shell (`app; echo done`).
_NON_PROGRAMS = frozenset({"echo", "printf", "true", "false", ":", "exit", "return", "test", "["})
_QUOTED_ITEM = LazyPattern(r"'[^'\\]*'|\"[^\"\\]*\"")
_QUOTED_LIST = LazyPattern(rf"\[\s*(?:{_QUOTED_ITEM.pattern})(?:\s*,\s*(?:{_QUOTED_ITEM.pattern}))*\s*\]")
_SCRIPT_SUFFIXES = (".sh", ".bash", ".py", ".js", ".rb", ".pl", ".php")
_HELP_ARGUMENTS = frozenset({"--help", "-h", "-help", "help", "--version", "-V", "version"})
_LOOPS = frozenset({"while", "until", "for"})


@lru_cache(maxsize=1)
def _init_data() -> dict:
    return load_data("init.yaml")


def init_family(path: str) -> str | None:
    """Which init a program path names (`/tini-static-amd64` -> tini), None for no init."""
    name = path.rsplit("/", 1)[-1]
    if path == "/init" or name == "s6-svscan":
        return "s6-overlay"
    for family in _INSTALLABLE:
        if name == family or (name.startswith(family) and name[len(family)] in "-_."):
            return family
    return None


class _Process(Record):
    """What the image starts: the ENTRYPOINT and CMD in force at the end of a stage."""
    __slots__ = ("entrypoint", "cmd")

    def __init__(self, entrypoint: Instruction | None, cmd: Instruction | None) -> None:
        self.entrypoint = entrypoint  # the last ENTRYPOINT of the lineage, also `ENTRYPOINT []`
        self.cmd = cmd  # None when a later ENTRYPOINT reset an inherited CMD

    def programs(self) -> list[Word]:
        return [word for word in (program(self.entrypoint), program(self.cmd)) if word is not None]

    @property
    def pid1(self) -> Word | None:
        return program(self.entrypoint) or program(self.cmd)


def process(stage: Stage) -> _Process:
    entrypoint = cmd = None
    for current in reversed(stage.lineage()):
        cmd_in_stage = False
        for ins in current.instructions:
            if ins.keyword == "CMD":
                cmd, cmd_in_stage = ins, True
            elif ins.keyword == "ENTRYPOINT":
                entrypoint = ins
                if not cmd_in_stage:
                    cmd = None  # Docker: ENTRYPOINT resets a CMD the stage inherited
    return _Process(entrypoint, cmd)


def program(ins: Instruction | None) -> Word | None:
    """The word naming the program an ENTRYPOINT or CMD starts (after env/exec wrappers)."""
    if ins is None:
        return None
    if ins.exec_form is not None:
        argv = Command(argv=list(ins.exec_form)).effective_argv()
    else:
        argv = ins.commands[0].effective_argv() if ins.commands else []
    return argv[0] if argv else None


def _final_alpine(df: Dockerfile) -> Stage | None:
    stage = df.final_stage
    return stage if stage is not None and stage.kind is ImageKind.ALPINE else None


def _base_runs_init(stage: Stage, settings: Settings) -> bool:
    image = stage.root.image
    patterns = tuple(_init_data()["images"]) + tuple(settings.init_images)
    return image.resolved and image_matches(image, patterns)


class _Placed(Record):
    """A file put into the image (by apk, COPY/ADD or RUN), with where it came from."""
    __slots__ = ("path", "content", "origin")
    _hidden = ("origin",)

    def __init__(self, path: str, content: SourceText | None = None,
                 origin: Instruction | None = None) -> None:
        self.path = path
        self.content = content  # known for `COPY <<EOF /path`
        self.origin = origin  # the COPY, ADD or RUN that put it there


def _copy_operands(ins: Instruction) -> list[str]:
    text = ins.args.text.strip()
    if text.startswith("["):
        try:
            values = json.loads(text)
            if isinstance(values, list) and all(isinstance(v, str) for v in values):
                return values
        except ValueError:
            pass
    return [word.value for word in split_words(ins.args, ins.env)]


def placed_files(stage: Stage) -> list[_Placed]:
    """Paths the lineage puts files at: COPY/ADD destinations and absolute paths a RUN names.

    Taking every absolute path a RUN mentions (`wget -O /tini`, `ln -s /sbin/tini /tini`)
    as placed is deliberately lenient: the rules that use this report errors.
    """
    placed: list[_Placed] = []
    workdir = "/"
    for current in reversed(stage.lineage()):
        for ins in current.instructions:
            if ins.keyword == "WORKDIR":
                workdir = workdir_after(ins, workdir)
            elif ins.keyword in ("COPY", "ADD"):
                operands = _copy_operands(ins)
                sources = [(posixpath.basename(s.split("?", 1)[0].rstrip("/")), None) for s in operands[:-1]]
                sources += [(doc.delimiter, doc.body) for doc in ins.heredocs]
                if not operands or not sources:
                    continue
                dest = operands[-1]
                into_dir = dest.endswith(("/", "/.")) or dest in (".", "..") or len(sources) > 1
                dest = posixpath.normpath(posixpath.join(workdir, dest))
                for name, body in sources:
                    if not into_dir:
                        placed.append(_Placed(dest, body, ins))
                    # also for a file-like destination: `COPY tini /usr/local/bin` copies into the directory
                    placed.append(_Placed(posixpath.join(dest, name), body, ins))
            elif ins.keyword == "RUN":
                for command in ins.commands:
                    for word in command.argv:
                        value = word.value.split("=", 1)[-1] if word.value.startswith("-") else word.value
                        if value.startswith("/"):
                            placed.append(_Placed(posixpath.normpath(value), origin=ins))
    return placed


def _path_dirs(stage: Stage) -> list[str]:
    return stage.env.get("PATH", _DEFAULT_PATH).split(":")


def _finds(stage: Stage, name: str, path: str) -> bool:
    """Would running `name` (a bare name or a path) start the file at `path`?"""
    if name.startswith("/"):
        return posixpath.normpath(name) == path
    return posixpath.basename(path) == name and posixpath.dirname(path) in _path_dirs(stage)


class _InitCall(Record):
    """An init named in ENTRYPOINT/CMD and the word that names it."""
    __slots__ = ("word", "family", "providers", "found")

    def __init__(self, word: Word, family: str, providers: list[str], found: bool) -> None:
        self.word = word
        self.family = family
        self.providers = providers  # paths where the lineage installs or places this init
        self.found = found  # the word reaches one of them


def _init_calls(df: Dockerfile, settings: Settings) -> Iterator[_InitCall]:
    """tini / dumb-init / catatonit started by the final image's ENTRYPOINT or CMD.

    Skipped when the base image brings an init of its own, or when the base is unknown
    (taken as Alpine only because the stage runs apk): what it ships cannot be known.
    """
    stage = _final_alpine(df)
    if stage is None or stage.root.kind_inferred or _base_runs_init(stage, settings):
        return
    installed = installed_packages(stage)
    packaged = [path for package, path in _init_data()["packages"].items() if package in installed]
    placed = [p.path for p in placed_files(stage)]
    for word in process(stage).programs():
        family = init_family(word.value)
        if family not in _INSTALLABLE:
            continue
        providers = [p for p in packaged + placed if init_family(p) == family]
        unclear = "/" in word.value and not word.value.startswith("/")  # ./tini: depends on WORKDIR
        found = unclear or any(_finds(stage, word.value, p) for p in providers)
        yield _InitCall(word, family, list(dict.fromkeys(providers)), found)


def _hands_over_to_init(stage: Stage, pid1: Word) -> bool:
    """An entrypoint script written in the Dockerfile (`COPY <<EOF /entrypoint.sh`) that runs an init."""
    for placed in placed_files(stage):
        if placed.content is not None and _finds(stage, pid1.value, placed.path):
            if any(init_family(c.effective_argv()[0].value) for c in parse_shell(placed.content, stage.env)
                   if c.effective_argv()):
                return True
    return False


@lru_cache(maxsize=1)
def _pid1_data() -> dict:
    return load_data("pid1.yaml")


class _Pid1(Record):
    """The program that ends up as PID 1: its argv, the wrapper script that execs it
    (`docker-entrypoint.sh`), and the shell (`/bin/sh -c`) that stays in front of it, if one does."""
    __slots__ = ("argv", "via", "under_shell")

    def __init__(self, argv: list[Word], via: str | None = None, under_shell: str | None = None) -> None:
        self.argv = argv  # never empty
        self.via = via
        self.under_shell = under_shell

    @property
    def word(self) -> Word:
        return self.argv[0]


def _started(ins: Instruction, stage: Stage, readings: ShellReadings,
             arguments: Instruction | None = None) -> _Pid1 | None:
    """The program an ENTRYPOINT (given the exec-form CMD `arguments`) or CMD ends up running.

    A `sh -c` script (shell form, or exec form naming a shell) counts as the command ash
    execs in its place (its last one), unless the shell stays (`_shell_stays`)."""
    if ins.exec_form is None:
        shell, script, commands = ins.shell_name, ins.args, _top_level(ins.commands)
        shown = " ".join(ins.shell)
    else:
        words = list(ins.exec_form) + list(arguments.exec_form if arguments is not None else [])
        outer, *nested = command_from_words(words, ins.env, readings) if words else [None]
        if not nested:
            argv = outer.effective_argv() if outer is not None else []
            return _Pid1(argv) if argv and argv[0].value else None
        shell, script, commands = nested[0].interpreter, nested[0].script, _top_level(nested)
        shown = f"{outer.argv[0].value} -c"
    if not commands:
        return None
    if _shell_stays(shell, script, ins.env, stage, readings) is not None:
        argv = commands[0].effective_argv()
        return _Pid1(argv, under_shell=shown) if argv else None
    argv = commands[-1].effective_argv()
    return _Pid1(argv) if argv and argv[0].value else None


def pid1_program(df: Dockerfile, stage: Stage, running: _Process, readings: ShellReadings) -> _Pid1 | None:
    """What runs as PID 1 in the end: through a shell that execs its command, and through
    an entrypoint script that hands over to its CMD (`exec "$@"`); None when that is the
    CMD a user of the image will give."""
    entrypoint, cmd = running.entrypoint, running.cmd
    if entrypoint is None or entrypoint.exec_form == []:  # `ENTRYPOINT []` resets
        return _started(cmd, stage, readings) if cmd is not None else None
    arguments = cmd if cmd is not None and cmd.exec_form is not None and entrypoint.exec_form is not None else None
    started = _started(entrypoint, stage, readings, arguments)
    if started is None or started.under_shell or entrypoint.exec_form is None:
        return started
    name = started.word.value.rsplit("/", 1)[-1]
    if name in _pid1_data()["exec_wrappers"] or _is_script(name):
        handed = _started(cmd, stage, readings) if cmd is not None else None
        if handed is None and name in _pid1_data()["exec_wrappers"]:
            return None  # a base image's entrypoint: it will exec the CMD its users give
        if handed is not None and (name in _pid1_data()["exec_wrappers"] or _handles_sigterm(df, stage, handed)):
            handed.via = started.word.value
            return handed
    return started


def _prints_help(running: _Process) -> bool:
    """A command-line tool image: an exec-form ENTRYPOINT whose default CMD asks for help."""
    entrypoint, cmd = running.entrypoint, running.cmd
    return bool(entrypoint is not None and entrypoint.exec_form and cmd is not None and cmd.exec_form
                and all(word.value in _HELP_ARGUMENTS for word in cmd.exec_form))


def _is_script(name: str) -> bool:
    """An entrypoint script by its name, which by convention ends in `exec "$@"`."""
    return name.endswith(".sh") or "entrypoint" in name


def _handles_sigterm(df: Dockerfile, stage: Stage, pid1: _Pid1) -> bool:
    """A program known to handle SIGTERM as PID 1 (pid1.yaml), by name or by how it was built."""
    name = pid1.word.value.rsplit("/", 1)[-1]
    known = _pid1_data()["handles_sigterm"]
    if any(name in names for kind, names in known.items() if kind != "patterns"):
        return True
    argument = _pid1_data()["handles_sigterm_with_argument"].get(name)
    if argument is not None and any(argument in later.value for later in pid1.argv[1:]):
        return True
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in known["patterns"]):
        return True
    return _built_as(df, stage, pid1.word) is not None


def _built_as(df: Dockerfile, stage: Stage, word: Word) -> str | None:
    """"go" / "dotnet" when the program is a file copied from a stage that builds such programs
    (the file itself, or a file inside a folder copied from there)."""
    if word.value.endswith(_SCRIPT_SUFFIXES):
        return None  # a script copied along with the build output is still a script
    candidates = _program_paths(stage, word.value)
    by_path = "/" in word.value  # a folder copied in may hold it; a bare name must be the copied file
    for placed in placed_files(stage):
        origin = placed.origin
        if origin is None or origin.keyword != "COPY" or origin.flag("from") is None:
            continue
        if not any(path == placed.path or (by_path and (path.startswith(placed.path.rstrip("/") + "/")
                                                        or posixpath.dirname(path) == posixpath.dirname(placed.path)))
                   for path in candidates):
            continue  # by path, also a file of a folder copied in (`COPY --from=build /app .`)
        source = _stage_named(df, origin.flag("from").value)
        kind = _builder_kind(source) if source is not None else None
        if kind is not None:
            return kind
    return _built_here(stage, word)


def _built_here(stage: Stage, word: Word) -> str | None:
    """"go" / "dotnet" when a RUN of the stage builds the program itself (`go build -o NAME`)."""
    name = word.value.rsplit("/", 1)[-1]
    for _ins, command in (pair for current in stage.lineage() for pair in current.commands()):
        kind = _build_kind(command)
        if kind is None:
            continue
        argv = [w.value for w in command.effective_argv()]
        outputs = [argv[i + 1] for i, value in enumerate(argv[:-1]) if value == "-o"]
        outputs += [value[3:] for value in argv if value.startswith("-o=")]
        if any(output.rstrip("/").rsplit("/", 1)[-1] == name for output in outputs):
            return kind
    return None


def _build_kind(command: Command) -> str | None:
    """The kind of program (pid1.yaml `builders`) a command compiles, if any."""
    values = [word.value.rsplit("/", 1)[-1] for word in command.effective_argv()]
    pairs = {f"{first} {second}" for first, second in zip(values, values[1:])}  # also `godep go build`
    for kind, builder in _pid1_data()["builders"].items():
        if pairs.intersection(builder["builds"]):
            return kind
    return None


def _program_paths(stage: Stage, name: str) -> list[str]:
    """Where running `name` may start a file: itself, from the final WORKDIR, or along PATH."""
    if name.startswith("/"):
        return [posixpath.normpath(name)]
    if "/" in name:
        return [posixpath.normpath(posixpath.join(workdir_at(stage, None), name))]
    return [posixpath.join(folder, name) for folder in _path_dirs(stage)]


def _stage_named(df: Dockerfile, name: str) -> Stage | None:
    """The stage `COPY --from=NAME` names (by name or index); None for an image."""
    for stage in df.stages:
        if stage.name == name.lower() or name == str(stage.index):
            return stage
    return None


def _builder_kind(stage: Stage) -> str | None:
    for kind, builder in _pid1_data()["builders"].items():
        if stage.root.image.resolved and image_matches(stage.root.image, builder["images"]):
            return kind
    for _ins, command in (pair for current in stage.lineage() for pair in current.commands()):
        kind = _build_kind(command)
        if kind is not None:
            return kind
    return None


@rule("AG301", "no-init", "info",
      "The final image's process runs as PID 1 with no init, and is not known to handle that.",
      rationale="""
PID 1 gets no default signal actions from the kernel and must reap orphaned children.
Node.js, CPython, Ruby, PHP's CLI, shells and unknown programs install no SIGTERM
handler: `docker stop` waits its timeout and then kills, and zombies can pile up. An init
(tini, dumb-init, s6-overlay `/init`, catatonit) as ENTRYPOINT does both. Programs known
to handle SIGTERM themselves are not reported (`knowledge/pid1.yaml`):
- the JVM: `java`, `jshell`, and the official images' `mvn`, `gradle` and `neo4j` (console mode), which exec java;
- .NET: `dotnet`;
- the Erlang VM: `erl`, `iex`, `elixir`, `mix`, `rabbitmq-server`;
- Go programs: `traefik`, `caddy`, `frankenphp`, `consul`, `vault`, `nomad`, `etcd`,
  `minio`, `prometheus`, `alertmanager`, `telegraf`, `influxd`, `influxd-meta`,
  `chronograf`, `kapacitord`, `registry`, `coredns`, `nats-server`, `gitea`, `hugo`,
  `dockerd`, `containerd`, `fwatchdog`, `syncthing`, `filebrowser`, `rclone`, `mailhog`,
  `helm`, `kubectl`, `terraform`;
- servers whose master process handles SIGTERM and reaps its workers: `postgres`,
  `mysqld`, `mariadbd`, `mongod`, `mongos`, `redis-server`, `redis-sentinel`, `memcached`,
  `nginx`, `openresty`, `httpd-foreground`, `lighttpd`, `haproxy`, `php-fpm` (and
  `php-fpm[0-9]*`), `gunicorn`, `supervisord`, `runsvdir`, `squid`, and `httpd` when run
  with `-DFOREGROUND` (Apache; BusyBox httpd ignores SIGTERM);
- any program copied from a build stage based on `golang`, a .NET SDK, `elixir` or
  `erlang`, or running `go build`/`go install`/`go get`, `dotnet publish`, `mix release`,
  `rebar3 release` (or named as `go build -o` output in the final stage itself).

PID 1 is the program that finally runs: the last command of a `sh -c` script, which
BusyBox ash execs (see AG303), and the CMD given to an entrypoint script that hands over
to it with `exec "$@"`. Official images' scripts (`docker-entrypoint.sh`,
`docker-php-entrypoint`, `__cacert_entrypoint.sh`, `mvn-entrypoint.sh`,
`dockerd-entrypoint.sh`) always do, so `ENTRYPOINT ["docker-entrypoint.sh"]` with `CMD
["postgres"]` is silent and with `CMD ["node", "app.js"]` is reported for node; with no
CMD at all it is a base image whose users give one, and silent. Any other `*.sh` or
`*entrypoint*` script is taken to hand over by the same convention when its CMD is a
program above; otherwise the script is reported (one that ends in `exec "$@"` still
leaves the app as PID 1). Also silent: a command-line tool image whose default CMD only
asks for help (`--help`, `-h`, `help`, `--version`); no ENTRYPOINT or CMD in the
Dockerfile (the base image's own process runs, which the checker cannot see); a base
image known to run an init (`knowledge/init.yaml`, `init_images` in the settings) when
the Dockerfile sets no ENTRYPOINT; `require_init` off (platforms that inject one:
`docker run --init`, `init: true` in Compose).""",
      bad='FROM alpine:3.20\nCOPY app.js /srv/\nCMD ["node", "/srv/app.js"]',
      good='FROM alpine:3.20\nRUN apk add --no-cache tini\nCOPY app.js /srv/\n'
           'ENTRYPOINT ["/sbin/tini", "--"]\nCMD ["node", "/srv/app.js"]')
def no_init(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    stage = _final_alpine(df)
    if not ctx.settings.require_init or stage is None:
        return
    running = process(stage)
    if running.entrypoint is None and (running.cmd is None or _base_runs_init(stage, ctx.settings)):
        return
    if running.pid1 is None or any(init_family(w.value) for w in running.programs()):
        return
    if _prints_help(running):
        return
    pid1 = pid1_program(df, stage, running, ctx.shell)
    if pid1 is None or init_family(pid1.word.value) or _hands_over_to_init(stage, pid1.word):
        return
    if any(ch.isspace() for ch in pid1.word.value):
        return  # `["app --flag"]` names no program: the container does not start at all
    if pid1.under_shell:
        subject = f"`{pid1.under_shell}` (it stays in front of `{pid1.word.value}`, see AG303)"
    elif _handles_sigterm(df, stage, pid1):
        return
    else:
        subject = f"`{pid1.word.value}`" + (f" (started by `{pid1.via}`)" if pid1.via else "")
    yield Hit.at(pid1.word, f"{subject} runs as PID 1 with no init: signals are not forwarded and zombies "
                 "are not reaped; start it under an init (apk add tini, ENTRYPOINT [\"/sbin/tini\", \"--\"]) "
                 "or run the container with --init")


@rule("AG302", "init-not-installed", "error",
      "ENTRYPOINT/CMD starts tini, dumb-init or catatonit, but the image never gets it.",
      rationale="""
Alpine images do not ship an init. If neither the stage nor a stage it inherits from
installs it (`apk add tini`), copies or downloads it in, the container fails to start
with `exec: "tini": executable file not found`. s6-overlay's `/init` comes from a tarball
extracted in a RUN and is not checked. Images known to bring an init are not checked.""",
      bad='FROM alpine:3.20\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["app"]',
      good='FROM alpine:3.20\nRUN apk add --no-cache tini\nENTRYPOINT ["/sbin/tini", "--"]\nCMD ["app"]')
def init_not_installed(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for call in _init_calls(df, ctx.settings):
        if not call.providers:
            yield Hit.at(call.word, f"`{call.word.value}` is started but the image never installs "
                         f"{call.family}: add `apk add --no-cache {call.family}` or COPY it in")


@rule("AG304", "init-wrong-path", "error",
      "The init's path is not where it is installed.",
      rationale="""
Alpine's `tini` package installs `/sbin/tini` (`tini-static`: `/sbin/tini-static`),
`dumb-init` installs `/usr/bin/dumb-init`, `catatonit` `/usr/bin/catatonit`. Paths from
other distributions' instructions (`/usr/bin/tini`, `/tini`) do not exist unless the
Dockerfile puts the binary there, and the container fails to start. A bare name is looked
up in the image's PATH.""",
      bad='FROM alpine:3.20\nRUN apk add --no-cache tini\nENTRYPOINT ["/usr/bin/tini", "--"]',
      good='FROM alpine:3.20\nRUN apk add --no-cache tini\nENTRYPOINT ["/sbin/tini", "--"]',
      fix="Use the path where the image has the init (the package's path, or where it is copied).",
      fixes="unsafe")
def init_wrong_path(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    for call in _init_calls(df, ctx.settings):
        if call.providers and not call.found:
            target = call.providers[0]
            yield Hit.at(call.word, f"`{call.word.value}` does not exist in the image: {call.family} is at "
                         f"`{target}`", _path_fix(call.word, target))


def _path_fix(word: Word, target: str) -> Fix | None:
    if word.raw == json.dumps(word.value):  # an exec-form string without escapes
        replacement = json.dumps(target)
    elif word.raw == word.value and not word.expanded:
        replacement = target
    else:
        return None
    return Fix(f"start the init as {target}", (Edit(word.start, word.end, replacement),), safe=False)


@rule("AG303", "shell-form-entrypoint", "warning",
      "ENTRYPOINT in shell form, or CMD in shell form whose shell stays PID 1.",
      rationale="""
The shell form runs `/bin/sh -c '...'`. Since BusyBox 1.28 (Alpine 3.8), ash execs the
last command of such a script in place of itself, also after `;`, `&&` or `||` (`cd /app &&
python app.py` leaves python as PID 1), so a shell-form CMD is then cosmetic and not
reported. The shell stays PID 1, and does not pass signals on, when the program is piped
(`app | tee log`), runs in the background (`app &`) or in a loop, is not the last command
(`app; echo done`, `app || exit 1`), or the script sets a `trap`; and always on Alpine
before 3.8 and under a SHELL other than ash: these are reported. A shell-form ENTRYPOINT
is reported in any case: it ignores CMD and `docker run` arguments. So is a CMD written
like exec form that is not JSON (`['app', '-v']`: it runs as a shell command line and
fails), and a shell-form CMD of options (`CMD --help`) under an exec-form ENTRYPOINT, which
receives `/bin/sh -c --help` instead of the options. A single command that starts with
`exec` is not reported. Where the command needs a shell (variables, `VAR=x cmd`, `&&`), the
advice is `exec` in front of the command inside the shell, not the exec form, which
expands nothing. Only the ENTRYPOINT and CMD in force in the final image are checked;
every claim about ash is tested against a real BusyBox (the tests run Debian's, 1.35);
that BusyBox before 1.28 keeps the shell is reported in alpinelinux/docker-alpine#130.""",
      bad="ENTRYPOINT node server.js",
      good='ENTRYPOINT ["node", "server.js"]',
      fix="Rewrite to exec form when the command is a plain word list (no variables, globs or operators); "
          "unsafe for an ENTRYPOINT while a CMD is in force, which exec form then passes as arguments.",
      fixes="mixed")
def shell_form_entrypoint(df: Dockerfile, ctx: FileContext) -> Iterator[Hit]:
    stage = _final_alpine(df)
    if stage is None:
        return
    running = process(stage)
    shown = running.entrypoint if running.entrypoint is not None and running.entrypoint.exec_form is None \
        else running.cmd
    if shown is None or shown.exec_form is not None or not shown.commands:
        return
    start, end = _text_span(shown.args)
    shell = " ".join(shown.shell)
    written = shown.args.text.strip()
    if written.startswith("["):
        yield Hit(start, end, f"{shown.keyword} looks like exec form but is not a JSON array (double quotes, "
                  f"commas): it runs as a `{shell}` command line, which fails; write it as JSON",
                  _json_fix(written, start, end))
        return
    if len(shown.commands) == 1 and shown.commands[0].argv and shown.commands[0].argv[0].value == "exec":
        return
    entrypoint = running.entrypoint
    if shown is running.cmd and entrypoint is not None and entrypoint.exec_form and written.startswith("-"):
        yield Hit(start, end, f"CMD in shell form reaches ENTRYPOINT `{entrypoint.exec_form[0].value}` as "
                  f"`{shell} '{written}'`, not as its arguments; use exec form",
                  _exec_form_fix(shown, start, end, safe=True))
        return
    stays = _shell_stays(shown.shell_name, shown.args, shown.env, stage, ctx.shell)
    if shown.keyword == "CMD" and stays is None:
        return  # ash execs the command: nothing stays between it and the signals
    if shown.keyword == "ENTRYPOINT":
        message = "ENTRYPOINT in shell form ignores CMD and `docker run` arguments"
        message += f", and `{shell}` stays PID 1 ({stays}) without forwarding signals" if stays else ""
    else:
        message = f"CMD in shell form keeps `{shell}` as PID 1 ({stays}), which does not forward signals"
    fix = None
    if stays in (_STAYS_OLD_BUSYBOX, _STAYS_OTHER_SHELL, None):  # the command itself could be PID 1
        needs_shell = _needs_shell(shown)
        if needs_shell is None:
            message += "; use exec form"
            fix = _exec_form_fix(shown, start, end, safe=shown.keyword == "CMD" or running.cmd is None)
        else:
            message += f"; it needs the shell for `{needs_shell}`: keep it and start the command with `exec`"
            if shown.keyword == "ENTRYPOINT":
                message += ' ending in `"$@"` to take arguments (ENTRYPOINT ["/bin/sh", "-c", "exec ... \\"$@\\"", "--"])'
    else:
        message += "; run the program on its own (exec form) or under an init (tini)"
    yield Hit(start, end, message, fix)


_STAYS_OLD_BUSYBOX = "on Alpine before 3.8 BusyBox ash does not exec the command"
_STAYS_OTHER_SHELL = "not BusyBox ash"


def _shell_stays(shell: str, script: SourceText, env: Mapping[str, str], stage: Stage,
                 readings: ShellReadings) -> str | None:
    """Why the shell running `script` (`sh -c`) stays PID 1 while its program runs (None: it execs it).

    Proven against a real BusyBox ash in the tests: ash (1.28+) execs the last simple command
    of `sh -c`, also after `;`, `&&` and `||`, unless it is piped, backgrounded, in a loop, or a
    trap is set; a builtin that runs last means the program ran before it, under the shell.
    """
    if shell not in ("sh", "ash"):
        return _STAYS_OTHER_SHELL
    release = stage.root.alpine_release
    if release is not None and branch_key(release) < (3, 8):
        return _STAYS_OLD_BUSYBOX
    tokens, commands = readings.read(script, env)
    top = _top_level(commands)
    if not top:
        return None
    if any(command.name == "trap" for command in top):
        return "the script sets a `trap`"
    if any(token.kind == "word" and token.text in _LOOPS and (index == 0 or tokens[index - 1].kind != "word")
           for index, token in enumerate(tokens)):
        return "a loop runs in the shell"
    last = top[-1]
    if [token.text for token in tokens if token.kind != "newline"][-1:] == ["&"]:
        return "the command runs in the background"
    if last.connector in ("|", "|&"):
        return "the command is piped"
    head = last.argv[0].value if last.argv else ""
    if head != "exec" and (head in _SHELL_BUILTINS or head in _NON_PROGRAMS):
        return f"`{head}` runs last"
    return None


def _top_level(commands: list[Command]) -> list[Command]:
    """The commands of a script itself, not of `sh -c` scripts nested in it."""
    return [command for command in commands if command.depth == commands[0].depth] if commands else []


def _needs_shell(ins: Instruction) -> str | None:
    """The first thing in a shell form that only a shell does (`&&`, `$VAR`, `VAR=x`), if any."""
    top = _top_level(ins.commands)
    if len(top) > 1:
        return top[1].connector
    command = top[0]
    if command.assignments:
        return command.assignments[0].raw
    for word in command.argv:
        if "$" in word.raw:
            return word.raw
    return None


def _text_span(args: SourceText):
    text = args.text
    first = len(text) - len(text.lstrip())
    last = len(text.rstrip())
    return args.pos(first), args.end_pos(last)


def _json_fix(written: str, start, end) -> Fix | None:
    """`['app', '--flag']` (quoted strings without escapes, separated by commas) as JSON."""
    if not _QUOTED_LIST.fullmatch(written):
        return None  # `["a" "b"]` (no commas) or escapes: no single meaning to restore
    values = [quoted[1:-1] for quoted in _QUOTED_ITEM.findall(written)]
    replacement = json.dumps(values, ensure_ascii=False)
    return Fix(f"write it as JSON {replacement}", (Edit(start, end, replacement),))


def _exec_form_fix(ins: Instruction, start, end, safe: bool) -> Fix | None:
    if len(ins.commands) != 1:
        return None
    command = ins.commands[0]
    argv = command.argv
    if command.assignments or command.redirects or not argv or argv[0].value in _SHELL_BUILTINS:
        return None
    if any(w.expanded or not _PLAIN_WORD.fullmatch(w.raw) for w in argv):
        return None
    if " ".join(ins.args.text.split()) != " ".join(w.raw for w in argv):
        return None  # operators, comments or odd spacing: not a plain word list
    replacement = json.dumps([w.value for w in argv], ensure_ascii=False)
    return Fix(f"use exec form {replacement}", (Edit(start, end, replacement),), safe=safe)
