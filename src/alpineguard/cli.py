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

from . import __version__
from .config import EXIT_CLEAN, EXIT_ERROR, FAIL_LEVELS, ConfigError, fail_level, is_repository_name

DEBUG_VARIABLE = "ALPINEGUARD_DEBUG"  # for the hooks and the Action, where options are fixed


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


def _help_formatter(width: int):
    # argparse makes a formatter for each option it adds; with no width given, each one
    # imports shutil and asks the terminal again, a noticeable share of start-up time.
    def formatter(prog: str) -> argparse.HelpFormatter:
        return argparse.HelpFormatter(prog, width=width)
    return formatter


def build_parser() -> argparse.ArgumentParser:
    from .report import FORMATS
    parser = _Parser(prog="alpineguard", description="Find Alpine and musl pitfalls in Dockerfiles.",
                     formatter_class=_help_formatter(_help_width()))
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
    parser.add_argument("--debug", action="store_true",
                        help=f"print the traceback of an internal error (also: {DEBUG_VARIABLE}=1)")
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
    layer: dict = {}
    if args.select:
        layer["select"] = _ids(args.select)
    if args.ignore:
        layer["ignore"] = _ids(args.ignore)
    if args.fail_level is not None:
        layer["fail_level"] = fail_level(args.fail_level)
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
    if args.debug or _debug_from_environment():
        layer["debug"] = True
    if args.jobs is not None and args.jobs < 0:
        raise UsageError(f"--jobs takes a number of workers (0: one per CPU), got {args.jobs}")
    return layer


def settings_from(args: argparse.Namespace):
    from .runner import load_settings
    return load_settings(command_line_layer(args), args.config)


def _explain(rule_id: str) -> str:
    from .docs import FIX_AVAILABILITY, triggers_note
    from .rules import REGISTRY
    rule = REGISTRY.get(rule_id.upper())
    if rule is None:
        raise UsageError(f"no rule {rule_id!r} (see --list-rules)")
    parts = [f"{rule.id} {rule.name} ({rule.severity.label})", "", rule.summary, "", rule.rationale]
    if rule.bad:
        parts += ["", "Bad:", *("    " + line for line in rule.bad.splitlines())]
    if rule.good:
        parts += ["", "Good:", *("    " + line for line in rule.good.splitlines())]
    if rule.fix or rule.fixes != "none":
        parts += ["", "Fix: " + " ".join(filter(None, (FIX_AVAILABILITY[rule.fixes], rule.fix)))]
    if rule.check is not None:
        parts += ["", triggers_note(rule)]
    return "\n".join(parts) + "\n"


def _list_rules() -> str:
    from .rules import all_rules
    return "".join(f"{r.id}  {r.severity.label:<7}  {r.name:<26}  {r.summary}\n" for r in all_rules())


def run(argv: list[str] | None = None) -> int:
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
    from .progress import ProgressBar, wanted
    from .runner import lint

    fixing = "unsafe" if args.unsafe_fixes else "safe" if args.fix or args.diff else None
    progress = ProgressBar(sys.stderr) if not args.quiet and wanted(sys.stderr, os.environ) else None
    try:
        result = lint(paths, settings, fix=fixing, jobs=args.jobs, progress=progress,
                      definitions_near=definitions_changed)
    finally:
        if progress is not None:
            progress.close()
    if args.diff:
        return _present_diff(result, args, settings)
    if args.fix:
        return _present_fixes(result, args, settings)
    report = _report(result.findings, result, args, sys.stdout)
    _diagnostics(result, notes_in_report=args.format == "text" and not args.output)
    if not args.quiet:
        from .report.text_format import summary
        sys.stderr.write(summary(report) + "\n")
    return result.exit_status(settings.fail_level)


def _report(findings, result, args: argparse.Namespace, stream):
    """The report in the chosen format, to --output if given, else to `stream`."""
    from .report import Report, render
    report = Report(__version__, findings, result.errors, len(result.files), _color(args) and stream is sys.stdout,
                    result.notes, _fell_back(result))
    out_stream = open(args.output, "w", encoding="utf-8") if args.output else stream
    try:
        render(args.format, report, out_stream)
    finally:
        if args.output:
            out_stream.close()
    return report


def _fell_back(result) -> list[str]:
    """The dependencies whose registry look-up failed, as the report names them."""
    return [fallback.package for fallback in result.fallbacks]


def _diagnostics(result, notes_in_report: bool = False) -> None:
    """Internal errors and notes on standard error (notes only where the report on the
    terminal does not already show them)."""
    for error in result.errors:
        sys.stderr.write(f"alpineguard: {error}\n")
    for note in () if notes_in_report else result.notes:
        sys.stderr.write(f"alpineguard: note: {note}\n")


def _present_diff(result, args: argparse.Namespace, settings) -> int:
    """`--diff`: the fixes as a unified diff, nothing written; the status of a plain check."""
    from .fix import unified_diff
    stream = open(args.output, "w", encoding="utf-8") if args.output else sys.stdout
    try:
        stream.write("".join(unified_diff(o) for o in result.fixes.values() if o.changed))
    finally:
        if args.output:
            stream.close()
    if not args.quiet:
        sys.stderr.write(_fix_summary(result, diff=True) + "\n")
    _diagnostics(result)
    return result.exit_status(settings.fail_level)


def _present_fixes(result, args: argparse.Namespace, settings) -> int:
    """`--fix`: write the fixed files, report what remains; with `-`, the fixed text goes to
    standard output and the report to standard error."""
    stdin_text = None
    for path, outcome in result.fixes.items():
        if path == "-":
            stdin_text = outcome.text
        elif outcome.changed:
            try:
                _write(path, outcome.text)
            except OSError as error:
                next(r for r in result.files if r.path == path).errors.append(
                    f"{path}: cannot write the fixes: {error.strerror or error}")
                outcome.text = outcome.original
    _report(result.remaining, result, args, sys.stderr if stdin_text is not None else sys.stdout)
    if stdin_text is not None:
        sys.stdout.write(stdin_text)
    if not args.quiet:
        for outcome in result.fixes.values():
            if outcome.changed:
                sys.stderr.write(f"{outcome.path}: fixed {len(outcome.fixed)} ({_fixed_rules(outcome.fixed)})\n")
        sys.stderr.write(_fix_summary(result, diff=False) + "\n")
    _diagnostics(result, notes_in_report=args.format == "text" and not args.output)
    return result.exit_status(settings.fail_level, after_fixes=True)


def _write(path: str, text: str) -> None:
    # Same file, same mode and owner: write in place, bytes as they were apart from the edits.
    with open(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def _fixed_rules(fixed) -> str:
    counts: dict[str, int] = {}
    for finding in fixed:
        counts[finding.rule] = counts.get(finding.rule, 0) + 1
    return ", ".join(f"{rule}" + (f" x{n}" if n > 1 else "") for rule, n in sorted(counts.items()))


def _fix_summary(result, diff: bool) -> str:
    from .report import Report
    from .report.text_format import summary
    changed = [o for o in result.fixes.values() if o.changed]
    fixed = sum(len(o.fixed) for o in changed)
    verb, after = ("would fix", "remaining after the fixes") if diff else ("fixed", "remaining")
    remaining = Report(__version__, result.remaining, result.errors, len(result.files), fell_back=_fell_back(result))
    return (f"{verb} {fixed} finding{'s' if fixed != 1 else ''} in {len(changed)} "
            f"file{'s' if len(changed) != 1 else ''}; {after}: {summary(remaining)}")


def _debug_from_environment() -> bool:
    return os.environ.get(DEBUG_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def _color(args: argparse.Namespace) -> bool:
    """Colour only for text on a terminal, and never with NO_COLOR set."""
    return args.format == "text" and not args.output and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def main(argv: list[str] | None = None) -> int:
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
    except Exception as error:  # never a traceback for the user, unless asked for one
        sys.stderr.write(f"alpineguard: internal error: {type(error).__name__}: {error}\n")
        if "--debug" in (sys.argv[1:] if argv is None else argv) or _debug_from_environment():
            import traceback
            traceback.print_exception(error, file=sys.stderr)
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
