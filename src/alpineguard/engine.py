"""The checker core: read a file, parse it once, run the enabled rules, collect findings."""
from __future__ import annotations

import os
from collections.abc import Iterator

from .config import Settings
from .files import Unreadable, decode, read_file
from .images import ImageClassifier
from .lintcontext import FileContext, RunContext
from .model import Dockerfile, Finding, Pos
from .parsing.dockerfile import parse_dockerfile
from .pragmas import read_pragmas
from .record import Record
from .rules import RULE_IDS, Rule, rules_for
from .rules.registry import REGISTRY as LOADED_RULES  # the input rules (AG00x) are always loaded

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:  # the run imports build definitions only when a folder has one, online only with --online
    from .builds.model import Build, DefinitionProblem
    from .online import Fallback


class FileResult(Record):
    """The findings, internal errors, notes and registry fallbacks of one file."""
    __slots__ = ("path", "findings", "errors", "notes", "fallbacks")

    def __init__(self, path: str, findings: list[Finding] | None = None,
                 errors: list[str] | None = None, notes: list[str] | None = None,
                 fallbacks: list[Fallback] | None = None) -> None:
        self.path = path
        self.findings = [] if findings is None else findings
        self.errors = [] if errors is None else errors  # internal errors: a bug, not the user's input
        self.notes = [] if notes is None else notes  # what the user should know that is no finding
        self.fallbacks = [] if fallbacks is None else fallbacks  # dependencies whose look-up failed


def internal_error(where: str, error: BaseException, settings: Settings) -> str:
    """One line naming the error; with `--debug`, its traceback below it."""
    line = f"{where}: {type(error).__name__}: {error}"
    if not settings.debug:
        return line
    import traceback  # only to print a bug's traceback
    return line + "\n" + "".join(traceback.format_exception(error)).rstrip("\n")


def _input_finding(rule_id: str, path: str, start: Pos, end: Pos, message: str, settings: Settings) -> Finding:
    rule = LOADED_RULES[rule_id]
    return Finding(rule.id, rule.name, settings.severity.get(rule.id, rule.severity), path, start, end, message)


TRIGGER_NOTE = "ONBUILD trigger (fires in child images): "


def _views(df: Dockerfile, rule: Rule) -> Iterator[tuple[Dockerfile, str]]:
    """What `rule` checks: the image this file builds; for a rule that checks triggers,
    also the ONBUILD triggers as child images run them, with a note in front of messages."""
    yield df, ""
    if rule.triggers and df.onbuild is not None:
        yield df.onbuild, TRIGGER_NOTE


def check_text(text: str, path: str, settings: Settings, source_path: str | None = None,
               run: RunContext | None = None) -> FileResult:
    """Check Dockerfile text; `source_path` is the file it was read from, if any; `run`
    holds what the files of one run share (a fresh one when not given)."""
    ctx = FileContext(settings, run)
    result = FileResult(path, notes=ctx.notes, fallbacks=ctx.fallbacks)
    classifier = ctx.run.remembered(ImageClassifier, settings.alpine_images, settings.glibc_images)
    df = parse_dockerfile(text, path, settings.build_args, settings.target, classifier, settings.named_contexts,
                          ctx.shell)
    df.source_path = source_path
    df.context_dir = settings.context or (os.path.dirname(os.path.abspath(source_path)) if source_path else None)
    if settings.rule_enabled("AG001"):
        for problem in df.problems:
            result.findings.append(_input_finding("AG001", path, problem.start, problem.end, problem.message,
                                                  settings))
    for rule in rules_for(df):
        if rule.check is None or not settings.rule_enabled(rule.id):
            continue
        try:
            for view, note in _views(df, rule):
                for hit in rule.check(view, ctx):
                    severity = settings.severity.get(rule.id) or hit.severity or rule.severity
                    result.findings.append(Finding(rule.id, rule.name, severity, path, hit.start, hit.end,
                                                   note + hit.message, hit.fix))
        except Exception as error:  # a rule bug must not hide the other rules' findings
            result.errors.append(internal_error(f"{path}: internal error in {rule.id}", error, settings))
    _apply_pragmas(df, result, settings)
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def _apply_pragmas(df, result: FileResult, settings: Settings) -> None:
    """Inline pragmas act here, after the rules ran, so that rules stay pure."""
    pragmas = read_pragmas(df, RULE_IDS)
    if settings.inline_ignores:
        result.findings = [f for f in result.findings if not pragmas.hides(f)]
    if settings.rule_enabled("AG003"):
        for problem in pragmas.problems:
            finding = _input_finding("AG003", result.path, problem.start, problem.end, problem.message, settings)
            if not (settings.inline_ignores and pragmas.hides(finding)):
                result.findings.append(finding)


def check_file(path: str, settings: Settings, display_path: str | None = None,
               data: bytes | None = None, run: RunContext | None = None) -> FileResult:
    """Check one file (or `data` read elsewhere, e.g. standard input)."""
    shown = display_path or path
    try:
        text = decode(data, settings.max_file_size) if data is not None else read_file(path, settings.max_file_size)
    except Unreadable as problem:
        result = FileResult(shown)
        if settings.rule_enabled("AG002"):
            start = (problem.line, 1)
            result.findings.append(_input_finding("AG002", shown, start, start, str(problem), settings))
        return result
    try:
        return check_text(text, shown, settings, source_path=path if data is None else None, run=run)
    except RecursionError:
        result = FileResult(shown)
        if settings.rule_enabled("AG001"):
            result.findings.append(_input_finding("AG001", shown, (1, 1), (1, 1), "nesting too deep to read",
                                                  settings))
        return result
    except Exception as error:  # never a traceback: report and go on with the other files
        return FileResult(shown, errors=[internal_error(f"{shown}: internal error", error, settings)])


def settings_for_build(build: Build, settings: Settings) -> Settings:
    """The settings of one build: its args over the configured ones, its target, context,
    platforms and named contexts where it names them."""
    return settings.replaced(build_args={**settings.build_args, **dict(build.args)},
                             target=build.target or settings.target, context=build.context,
                             platforms=build.platforms or settings.platforms,
                             named_contexts=dict(build.named_contexts))


def check_builds(path: str, settings: Settings, builds: list[Build], display_path: str | None = None,
                 data: bytes | None = None, run: RunContext | None = None) -> FileResult:
    """Check a Dockerfile as each distinct build of it is made, and once alone.

    A finding every build has, and the file alone too, is reported as it is. A finding
    only some builds have (or all of them but not the file alone) depends on them: its
    message names those builds. What only the file alone has is left out, since no build
    makes the image that way.
    """
    shown = display_path or path
    plain = check_file(path, settings, shown, data, run)
    try:
        text = decode(data, settings.max_file_size) if data is not None else read_file(path, settings.max_file_size)
    except Unreadable:
        return plain
    distinct: dict[Build, list[str]] = {}
    for build in builds:
        distinct.setdefault(build, []).append(build.label)
    results = []
    for build, labels in distinct.items():
        try:
            results.append((labels, check_text(text, shown, settings_for_build(build, settings),
                                               source_path=path if data is None else None, run=run)))
        except Exception as error:  # as check_file: never a traceback, the other builds still count
            plain.errors.append(internal_error(f"{shown}: internal error with {labels[0]}", error, settings))
    return merge_build_results(plain, results)


def _identity(finding: Finding) -> tuple:
    return (finding.rule, finding.start, finding.end, finding.message)


def merge_build_results(plain: FileResult, results: list[tuple[list[str], FileResult]]) -> FileResult:
    """One result from the file's own check and its builds' (see check_builds)."""
    if not results:
        return plain
    alone = {_identity(f) for f in plain.findings}
    found: dict[tuple, tuple[Finding, list[str]]] = {}
    for labels, result in results:
        for finding in result.findings:
            key = _identity(finding)
            if key in found:
                found[key][1].extend(labels)
            else:
                found[key] = (finding, list(labels))
    every_build = sum(len(labels) for labels, _ in results)
    errors = plain.errors + [error for _, result in results for error in result.errors]
    notes = plain.notes + [note for _, result in results for note in result.notes]
    fallbacks = plain.fallbacks + [fallback for _, result in results for fallback in result.fallbacks]
    merged = FileResult(plain.path, errors=list(dict.fromkeys(errors)), notes=list(dict.fromkeys(notes)),
                        fallbacks=list(dict.fromkeys(fallbacks)))
    for key, (finding, labels) in found.items():
        if key in alone and len(labels) == every_build:
            merged.findings.append(finding)
        else:
            merged.findings.append(Finding(finding.rule, finding.name, finding.severity, finding.path, finding.start,
                                           finding.end, f"{finding.message} ({_names(labels)})", finding.fix))
    merged.findings.sort(key=lambda f: f.sort_key)
    return merged


def _names(labels: list[str]) -> str:
    """`service `api` in compose.yaml:7`, or the first three and how many more."""
    if len(labels) <= 3:
        return "; ".join(labels)
    return f"{'; '.join(labels[:3])}; and {len(labels) - 3} more build(s)"


def check_inline(build: Build, settings: Settings, run: RunContext | None = None) -> FileResult:
    """Check an inline Dockerfile, its findings placed in the definition file (with no fix:
    edits there would be edits of YAML or HCL, not of a Dockerfile)."""
    inline = build.inline
    try:
        result = check_text(inline.text, build.source, settings_for_build(build, settings), run=run)
    except Exception as error:
        return FileResult(build.source, errors=[internal_error(f"{build.label}: internal error", error, settings)])
    result.findings = [Finding(f.rule, f.name, f.severity, f.path, inline.position(f.start), inline.position(f.end),
                               f"{f.message} ({build.label})") for f in result.findings]
    result.findings.sort(key=lambda f: f.sort_key)
    return result


def definition_problems(problems: list[DefinitionProblem], settings: Settings) -> list[FileResult]:
    """AG004 findings on the compose or bake files that cannot be read or used."""
    results: dict[str, FileResult] = {}
    if settings.rule_enabled("AG004"):
        for problem in problems:
            start = (problem.line, problem.column)
            results.setdefault(problem.path, FileResult(problem.path)).findings.append(
                _input_finding("AG004", problem.path, start, start, problem.message, settings))
    return list(results.values())

