"""`alpineguard [OPTIONS] [PATH ...]`: the command-line door to the checker core.

The imports inside functions are for start-up time: `--version`, `--help` and usage
errors load no checker, and a plain check loads neither `--fix`, `--changed` nor
`--online` machinery.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import sys
from typing import Optional

from . import __version__
from .config import ConfigError, is_repository_name

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_LEVELS = ("error", "warning", "info", "style", "never")


class UsageError(Exception):
    """Bad options or configuration: one line on standard error, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _help_width() -> int:
    """The terminal's width as shutil would find it, without importing shutil."""
    columns = os.environ.get("COLUMNS", "")
    if not columns.isdigit():
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns
        except (AttributeError, ValueError, OSError):
            columns = 80
    return max(int(columns) - 2, 20)


def _help_formatter(prog: str) -> argparse.HelpFormatter:
    # argparse makes a formatter for each option it adds; with no width given, each one
    # imports shutil and asks the terminal again, a noticeable share of start-up time.
    return argparse.HelpFormatter(prog, width=_help_width())


def build_parser() -> argparse.ArgumentParser:
    from .report import FORMATS
    parser = _Parser(prog="alpineguard", description="Find Alpine and musl pitfalls in Dockerfiles.",
                     formatter_class=_help_formatter)
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="Dockerfiles or folders to search (default: .); - reads standard input")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE")
    parser.add_argument("--config", metavar="FILE",
                        help="config file (default: .alpineguard.yaml upwards, or [tool.alpineguard] in pyproject.toml)")
    parser.add_argument("--select", metavar="IDS", help="comma-separated rule IDs or prefixes (AG1)")
    parser.add_argument("--ignore", metavar="IDS", help="comma-separated rule IDs or prefixes to skip")
    parser.add_argument("--fail-level", choices=FAIL_LEVELS, default=None,
                        help="lowest severity that makes the exit status 1 (default: warning)")
    parser.add_argument("--context", metavar="DIR", help="build context (default: the Dockerfile's folder)")
    parser.add_argument("--build-arg", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--target", metavar="STAGE", help="the stage that is built (default: the last)")
    parser.add_argument("--platform", metavar="LIST", help="target platforms (default linux/amd64,linux/arm64)")
    parser.add_argument("--compose", action="append", default=[], metavar="FILE",
                        help="compose file with the builds of the Dockerfiles (repeatable; default: found as "
                             "docker compose finds them)")
    parser.add_argument("--bake", action="append", default=[], metavar="FILE",
                        help="bake file with the builds of the Dockerfiles (repeatable; default: docker-bake.* found)")
    parser.add_argument("--no-build-definitions", dest="build_definitions", action="store_false",
                        help="check each Dockerfile on its own, without reading compose or bake files")
    online = parser.add_mutually_exclusive_group()
    online.add_argument("--online", action="store_true", default=None)
    online.add_argument("--offline", dest="online", action="store_false")
    parser.add_argument("--as-of", metavar="YYYY-MM-DD", help="date for end-of-support checks (default: today)")
    parser.add_argument("--repository", metavar="OWNER/NAME",
                        help="the repository the files belong to (default: their checkout's git remote)")
    parser.add_argument("--no-inline-ignores", dest="inline_ignores", action="store_false",
                        help="report findings that inline pragmas would hide")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes in place")
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, also the unsafe fixes")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a unified diff; change nothing")
    parser.add_argument("--list-rules", action="store_true", help="print the rule catalog")
    parser.add_argument("--explain", metavar="ID", help="explain one rule")
    parser.add_argument("--changed", action="store_true",
                        help="PATHs are changed files (as pre-commit passes them): check the Dockerfiles among them "
                             "and those under the current folder that copy in one of the others")
    parser.add_argument("--jobs", type=int, metavar="N", help="parallel workers (default: CPUs; 0: the same)")
    parser.add_argument("--max-file-size", metavar="SIZE",
                        help="skip larger files with AG002; bytes, or with K or M (default: 2M)")
    parser.add_argument("--version", action="version", version=f"alpineguard {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    return parser


def _ids(text: str) -> tuple[str, ...]:
    from .config import unknown_rule_id
    from .rules import REGISTRY
    ids = tuple(part.strip().upper() for part in text.split(",") if part.strip())
    unknown = unknown_rule_id(ids, REGISTRY)
    if unknown:
        raise UsageError(f"no rule matches {unknown!r} (see --list-rules)")
    return ids


def _size(text: str) -> int:
    """`2097152`, `512K`, `2M` (binary units) -> bytes."""
    units = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}
    number, unit = text.strip().upper().rstrip("B"), ""
    if number and number[-1] in units:
        number, unit = number[:-1], number[-1]
    if not number.isdigit() or int(number) <= 0:
        raise UsageError(f"--max-file-size takes a size such as 2097152, 512K or 2M, got {text!r}")
    return int(number) * units[unit]


def command_line_layer(args: argparse.Namespace) -> dict:
    """The settings the command line names explicitly: they win over the config file."""
    from .model import Severity
    layer: dict = {}
    if args.select:
        layer["select"] = _ids(args.select)
    if args.ignore:
        layer["ignore"] = _ids(args.ignore)
    if args.fail_level is not None:
        layer["fail_level"] = None if args.fail_level == "never" else Severity.parse(args.fail_level)
    build_args = {}
    for item in args.build_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--build-arg takes KEY=VALUE, got {item!r}")
        build_args[key] = value
    if build_args:
        layer["build_args"] = build_args
    if args.target:
        layer["target"] = args.target
    if args.platform:
        layer["platforms"] = tuple(p.strip() for p in args.platform.split(",") if p.strip())
    if args.as_of:
        try:
            layer["as_of"] = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise UsageError(f"--as-of takes a date as YYYY-MM-DD, got {args.as_of!r}") from None
    if args.context:
        layer["context"] = args.context
    if args.repository is not None:
        if not is_repository_name(args.repository):
            raise UsageError(f"--repository takes OWNER/NAME, got {args.repository!r}")
        layer["repository"] = args.repository
    if args.online is not None:
        layer["online"] = args.online
    if not args.inline_ignores:
        layer["inline_ignores"] = False
    if args.compose:
        layer["compose_files"] = tuple(args.compose)
    if args.bake:
        layer["bake_files"] = tuple(args.bake)
    if not args.build_definitions:
        layer["build_definitions"] = False
    if args.max_file_size is not None:
        layer["max_file_size"] = _size(args.max_file_size)
    if args.jobs is not None and args.jobs < 0:
        raise UsageError(f"--jobs takes a number of workers (0: one per CPU), got {args.jobs}")
    return layer


def settings_from(args: argparse.Namespace):
    from .config import build_settings, load_config
    from .rules import REGISTRY
    return build_settings(command_line_layer(args), load_config(args.config, known_rules=REGISTRY))


def _explain(rule_id: str) -> str:
    from .docs import triggers_note
    from .rules import REGISTRY
    rule = REGISTRY.get(rule_id.upper())
    if rule is None:
        raise UsageError(f"no rule {rule_id!r} (see --list-rules)")
    parts = [f"{rule.id} {rule.name} ({rule.severity.label})", "", rule.summary, "", rule.rationale]
    if rule.bad:
        parts += ["", "Bad:", *("    " + line for line in rule.bad.splitlines())]
    if rule.good:
        parts += ["", "Good:", *("    " + line for line in rule.good.splitlines())]
    if rule.fix:
        parts += ["", f"Fix: {rule.fix}"]
    if rule.check is not None:
        parts += ["", triggers_note(rule)]
    return "\n".join(parts) + "\n"


def _list_rules() -> str:
    from .rules import all_rules
    return "".join(f"{r.id}  {r.severity.label:<7}  {r.name:<26}  {r.summary}\n" for r in all_rules())


def run(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.list_rules:
        sys.stdout.write(_list_rules())
        return EXIT_CLEAN
    if args.explain:
        sys.stdout.write(_explain(args.explain))
        return EXIT_CLEAN
    settings = settings_from(args)
    if args.unsafe_fixes and not (args.fix or args.diff):
        raise UsageError("--unsafe-fixes needs --fix or --diff")

    definitions_changed: list[str] = []
    if args.changed:
        from .changed import dockerfiles_for_changes, dockerfiles_for_definition_changes, is_definition_file
        paths = dockerfiles_for_changes(args.paths, settings.context, settings.exclude)
        if settings.build_definitions:
            named = settings.compose_files + settings.bake_files
            definitions_changed = [p for p in args.paths if is_definition_file(p, named)]
            given = {os.path.abspath(p) for p in paths}
            paths += [p for p in dockerfiles_for_definition_changes(definitions_changed, settings.compose_files,
                                                                    settings.bake_files, settings.compose_profiles)
                      if os.path.abspath(p) not in given]
    else:
        paths = args.paths or ["."]
    gc.freeze()  # start-up is over (see main): what it loaded stays out of later collections
    gc.enable()
    if args.fix or args.diff:
        from . import fix
        findings, errors = fix.run(paths, settings, unsafe=args.unsafe_fixes, diff=args.diff,
                                   fmt=args.format, output=args.output, quiet=args.quiet, color=_color(args))
        for error in errors:
            sys.stderr.write(f"alpineguard: {error}\n")
        return _exit_status(findings, errors, settings)
    from .report import Report, render
    from .report.text_format import summary
    from .runner import check_paths

    from .progress import ProgressBar, wanted
    progress = ProgressBar(sys.stderr) if not args.quiet and wanted(sys.stderr, os.environ) else None
    try:
        results = check_paths(paths, settings, jobs=args.jobs, progress=progress, definitions_near=definitions_changed)
    finally:
        if progress is not None:
            progress.close()
    findings = sorted((f for r in results for f in r.findings), key=lambda f: f.sort_key)
    errors = [e for r in results for e in r.errors]
    files = len(results)

    out_stream = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    report = Report(__version__, findings, errors, files, _color(args))
    try:
        render(args.format, report, out_stream)
    finally:
        if args.output:
            out_stream.close()
    for error in errors:
        sys.stderr.write(f"alpineguard: {error}\n")
    if settings.online:
        from .online import notes
        for note in notes():
            sys.stderr.write(f"alpineguard: note: {note}\n")
    if not args.quiet:
        sys.stderr.write(summary(report) + "\n")
    return _exit_status(findings, errors, settings)


def _color(args: argparse.Namespace) -> bool:
    """Colour only for text on a terminal, and never with NO_COLOR set."""
    return args.format == "text" and not args.output and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _exit_status(findings, errors: list[str], settings) -> int:
    from .engine import fails
    if errors:
        return EXIT_ERROR
    return EXIT_FINDINGS if fails(findings, settings.fail_level) else EXIT_CLEAN


def main(argv: Optional[list[str]] = None) -> int:
    # Start-up creates many long-lived objects (modules, classes, rule tables); collecting
    # garbage among them while they load costs about a tenth of a one-file run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return run(argv)
    except (UsageError, ConfigError) as error:
        sys.stderr.write(f"alpineguard: error: {error}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_ERROR
    except OSError as error:
        sys.stderr.write(f"alpineguard: error: {error.filename or ''}: {error.strerror or error}\n")
        return EXIT_ERROR
    except Exception as error:  # never a traceback for the user
        sys.stderr.write(f"alpineguard: internal error: {type(error).__name__}: {error}\n")
        return EXIT_ERROR
    finally:
        (gc.enable if collecting else gc.disable)()


def entry() -> None:
    """The console script and `python -m alpineguard`: run, flush, and leave at once.

    Tearing the interpreter down (freeing every module and object) costs about an eighth
    of a one-file run, and nothing needs it: the report is written and flushed here, an
    --output file is closed by `run`, and a worker pool is shut down before `run` returns.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        code = code or EXIT_ERROR
    os._exit(code)
