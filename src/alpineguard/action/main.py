"""`python -m alpineguard.action`: lint, then report as a review, annotations, job summary,
SARIF and step outputs, and exit by the fail level (0 clean, 1 findings, 2 error)."""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Optional, TextIO

from .. import __version__
from ..config import ConfigError, Settings, build_settings, load_config
from ..changed import changed_builds, copies_any, is_definition_file
from ..discovery import discover, is_dockerfile_name
from ..engine import FileResult, check_builds, check_file, definition_problems, fails
from ..model import Finding, Severity
from ..report import FORMATS, Report, render
from ..report.github_format import PER_STEP_CAP, command, within_caps
from ..runner import build_definitions
from .comments import SEVERITY_ICONS, Entry, finding_ids, message_markdown, place
from .diff import Patch, parse_patch
from .event import ActionError, Context, Inputs, raw_input, read_context, read_inputs
from .workspace import HeadReader, expand_paths, in_scope, inside, is_dependency_file

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
MAX_SUMMARY_ROWS = 500  # the job summary holds at most 1 MiB per step


class Console:
    """Standard output with the token blotted out of every line, whatever produced it."""

    def __init__(self, stream: TextIO, secret: str):
        self.stream, self.secret = stream, secret

    def write(self, line: str) -> None:
        if self.secret:
            line = line.replace(self.secret, "***")
        self.stream.write(line + "\n")
        self.stream.flush()

    def error(self, text: str) -> None:
        self.write(f"::error title=alpineguard::{text}")

    def notice(self, text: str) -> None:
        self.write(f"::notice title=alpineguard::{text}")


@dataclass
class Linted:
    results: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    review_notes: list[str] = field(default_factory=list)
    failed: bool = False  # an API or setup problem: exit status 2


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    return [line.removesuffix("\r") for line in text.split("\n")]


def _lint_bytes(path: str, data: bytes, settings: Settings, linted: Linted, definitions=None) -> FileResult:
    builds = definitions.builds_for(path) if definitions is not None else []
    if builds:  # as the compose services and bake targets build it
        result = check_builds(path, settings.for_path(path), builds, display_path=path, data=data)
    else:
        result = check_file(path, settings.for_path(path), display_path=path, data=data)
    linted.results.append(result)
    linted.lines[path] = _lines(data)
    return result


def lint_workspace(ctx: Context, scopes: list[str], settings: Settings, console: Console) -> Linted:
    linted = Linted()
    definitions = build_definitions(scopes, settings)
    for path in discover(scopes, settings.exclude):
        if not inside(ctx.workspace, path):
            console.write(f"::warning title=alpineguard::{path} points outside the workspace; not checked")
            continue
        builds = definitions.builds_for(path) if definitions is not None else []
        result = check_builds(path, settings.for_path(path), builds) if builds else check_file(
            path, settings.for_path(path))
        linted.results.append(result)
        linted.findings += result.findings
    return linted


def _keep(f: Finding, mode: str, patch: Optional[Patch], changed: bool, for_dependencies: bool) -> bool:
    if mode == "nofilter" or (mode == "file" and changed) or (for_dependencies and f.rule.startswith("AG4")):
        return True
    if not changed:
        return False
    if patch is None:
        return True  # GitHub gives no patch for this file: every line may be new
    return f.start[0] in (patch.added if mode == "added" else patch.hunk_of)


def _matches(patch: Patch, lines: list[str]) -> bool:
    return all(n <= len(lines) and lines[n - 1] == text for n, text in patch.text.items())


def run_pull_request(ctx: Context, inputs: Inputs, scopes: list[str], settings: Settings,
                     console: Console) -> Linted:
    from .review import ApiError, GitHubClient, NoWriteAccess, publish  # PyGithub: the Action path only

    pull = ctx.pull
    client = GitHubClient(ctx.api_url, inputs.token, ctx.repository, pull.number, console.write)
    linted = Linted()
    try:
        files = {f.path: f for f in client.files() if f.status != "removed"}
    except ApiError as error:
        console.error(f"cannot list the pull request's files: {error}")
        linted.failed = True
        return linted
    reader = HeadReader(ctx.workspace, pull.head_sha, settings.max_file_size)
    if not reader.exact:
        console.write("::warning title=alpineguard::the checkout is not the pull request's head commit "
                      f"{pull.head_sha[:12]}; findings whose lines differ from it go into the review body")

    targets = [p for p in files if is_dockerfile_name(os.path.basename(p)) and in_scope(p, scopes)]
    if inputs.filter_mode == "nofilter":
        targets += [p for p in discover(scopes, settings.exclude) if p not in targets]
    dependency_changes = [p for p in files if is_dependency_file(p)]
    for_dependencies = set()
    if dependency_changes:
        for path in discover(scopes, settings.exclude):
            if path not in targets and copies_any(path, dependency_changes):
                targets.append(path)
                for_dependencies.add(path)

    # A changed compose or bake file: the Dockerfiles its builds use, for the findings that name those builds.
    definition_changes = [p for p in files if in_scope(p, scopes) and settings.build_definitions
                          and is_definition_file(p, settings.compose_files + settings.bake_files)]
    for_builds: dict[str, list[str]] = {}
    for build in changed_builds(definition_changes, settings.compose_files, settings.bake_files,
                                settings.compose_profiles, committed=lambda path: None):
        if build.dockerfile and os.path.isfile(build.dockerfile) and inside(ctx.workspace, build.dockerfile):
            path = os.path.relpath(build.dockerfile)
            for_builds.setdefault(path, []).append(build.label)
            if path not in targets:
                targets.append(path)
    definitions = build_definitions(scopes, settings, definition_changes)
    if definitions is not None:  # AG004 on a changed compose or bake file that cannot be read
        for result in definition_problems([p for p in definitions.problems if p.path in definition_changes], settings):
            data = reader.read(result.path)
            if data is not None:
                linted.results.append(result)
                linted.lines[result.path] = _lines(data)
                linted.findings += result.findings

    patches: dict[str, Optional[Patch]] = {}
    for path in targets:
        data = reader.read(path)
        if data is None:
            continue
        result = _lint_bytes(path, data, settings, linted, definitions)
        changed = files.get(path)
        patch = parse_patch(changed.patch) if changed is not None and changed.patch is not None else None
        if patch is not None and not reader.exact and not _matches(patch, linted.lines[path]):
            patch = None
        patches[path] = patch
        linted.findings += [f for f in result.findings
                            if _keep(f, inputs.filter_mode, patch, changed is not None, path in for_dependencies)
                            or any(label in f.message for label in for_builds.get(path, ()))]

    if not inputs.review:
        return linted
    if pull.from_fork and ctx.event_name == "pull_request":
        linted.review_notes.append("No review: a pull request from a fork gets a read-only token; "
                                   "the findings are in the annotations and this summary.")
        console.notice(linted.review_notes[-1])
        return linted

    entries = [Entry(i, f) for i, f in zip(finding_ids(linted.findings, linted.lines), linted.findings)]
    for entry in entries:
        place(entry, linted.lines[entry.finding.path], patches.get(entry.finding.path), inputs.suggestions)

    def relocate(new: list[Entry]) -> int:
        fresh = {f.path: f for f in client.files()}
        moved = 0
        for entry in new:
            changed = fresh.get(entry.finding.path)
            patch = parse_patch(changed.patch) if changed is not None and changed.patch is not None else None
            if not entry.inline or (patch is not None and patch.same_hunk(entry.start_line or entry.line, entry.line)):
                continue
            entry.to_body("its line is no longer part of the diff")
            moved += 1
        return moved

    fail_level = settings.fail_level
    try:
        outcome = publish(client, entries, pull.head_sha, uuid.uuid4().hex, inputs.request_changes, fail_level,
                          relocate, console.write)
    except NoWriteAccess as error:
        linted.review_notes.append("No review: the token cannot write to the pull request (a fork, or no "
                                   "`pull-requests: write` permission); the findings are in the annotations "
                                   "and this summary.")
        console.notice(f"{linted.review_notes[-1]} ({error})")
        return linted
    except ApiError as error:
        console.error(f"the review could not be posted: {error}")
        linted.review_notes.append(f"The review could not be posted: {message_markdown(str(error))}")
        linted.failed = True
        return linted
    note = (f"Review: {outcome.inline} new inline comment(s), {outcome.in_body} in the review body, "
            f"{outcome.already_posted} posted before; {outcome.deleted} stale comment(s) deleted, "
            f"{outcome.noted} kept with a note.")
    linted.review_notes.append(note if outcome.reviewed or outcome.deleted or outcome.noted
                               else f"Review: nothing new to post ({outcome.already_posted} posted before).")
    console.write(linted.review_notes[-1])
    return linted


def summary_markdown(linted: Linted, inputs: Inputs, failing: bool, dropped: int) -> str:
    findings = linted.findings
    counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
    parts = [f"{counts[s]} {s.label}" for s in reversed(Severity) if counts[s]]
    verdict = "**failed**" if failing else "passed"
    lines = ["## alpineguard", "",
             f"{len(findings)} finding(s){' (' + ', '.join(parts) + ')' if parts else ''} in "
             f"{len(linted.results)} file(s); fail level `{inputs.fail_level}`: {verdict}.", ""]
    if findings:
        lines += ["| Severity | Rule | Location | Message |", "|---|---|---|---|"]
        for f in findings[:MAX_SUMMARY_ROWS]:
            location = message_markdown(f"`{f.path}`", in_table=True)
            lines.append(f"| {SEVERITY_ICONS[f.severity.label]} {f.severity.label} | `{f.rule}` {f.name} | "
                         f"{location}:{f.start[0]}:{f.start[1]} | {message_markdown(f.message, in_table=True)} |")
        if len(findings) > MAX_SUMMARY_ROWS:
            lines.append(f"\n{len(findings) - MAX_SUMMARY_ROWS} more finding(s) not listed here.")
    if dropped:
        lines.append(f"\n{dropped} finding(s) are not shown as annotations: GitHub shows {PER_STEP_CAP} of each "
                     "level per step.")
    errors = [e for r in linted.results for e in r.errors]
    if errors:
        lines += ["", "Internal errors:", *(f"- {message_markdown(e)}" for e in errors)]
    lines += ["", *linted.review_notes]
    return "\n".join(lines) + "\n"


def _append(path: str, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def _write_sarif(ctx: Context, inputs: Inputs, linted: Linted) -> None:
    if "sarif" not in FORMATS:
        raise ActionError("input `sarif-file`: this alpineguard version has no SARIF output yet")
    if os.path.isabs(inputs.sarif_file) or not inside(ctx.workspace, inputs.sarif_file):
        raise ActionError("input `sarif-file` must be a path inside the workspace")
    report = Report(__version__, linted.findings, [e for r in linted.results for e in r.errors], len(linted.results))
    with open(inputs.sarif_file, "w", encoding="utf-8") as handle:
        render("sarif", report, handle)


def _settings(ctx: Context, inputs: Inputs) -> Settings:
    """The config file, then the inputs (they win, as the command line does)."""
    if inputs.config and (os.path.isabs(inputs.config) or not inside(ctx.workspace, inputs.config)):
        raise ActionError("input `config` must be a path inside the workspace")
    layer: dict = {"fail_level": None if inputs.fail_level == "never" else Severity.parse(inputs.fail_level)}
    if inputs.online:
        layer["online"] = True
    try:
        return build_settings(layer, load_config(inputs.config or None, cwd=ctx.workspace))
    except ConfigError as error:
        raise ActionError(str(error)) from None


def run(env: Mapping[str, str], console: Console) -> int:
    try:
        inputs = read_inputs(env)
        ctx = read_context(env)
        os.chdir(ctx.workspace)
        scopes = expand_paths(ctx.workspace, inputs.paths)
        settings = _settings(ctx, inputs)
        if ctx.pull is not None:
            if not inputs.token:
                raise ActionError("input `github-token` is empty; the review needs it")
            linted = run_pull_request(ctx, inputs, scopes, settings, console)
        else:
            linted = lint_workspace(ctx, scopes, settings, console)
        linted.findings.sort(key=lambda f: f.sort_key)
        dropped = 0
        if inputs.annotations:
            shown, dropped = within_caps(sorted(linted.findings, key=lambda f: -f.severity))
            for f in sorted(shown, key=lambda f: f.sort_key):
                console.write(command(f))
        errors = [e for r in linted.results for e in r.errors]
        for error in errors:
            console.error(error)
        failing = fails(linted.findings, settings.fail_level)
        _append(ctx.summary_path, summary_markdown(linted, inputs, failing, dropped))
        if inputs.sarif_file:
            _write_sarif(ctx, inputs, linted)
        _append(ctx.output_path, f"findings={len(linted.findings)}\nerrors={len(errors)}\n"
                                 f"sarif-file={inputs.sarif_file}\n")
    except ActionError as error:
        console.error(str(error))
        return EXIT_ERROR
    console.write(f"alpineguard: {len(linted.findings)} finding(s) in {len(linted.results)} file(s)")
    if errors or linted.failed:
        return EXIT_ERROR
    return EXIT_FINDINGS if failing else EXIT_CLEAN


def main() -> int:
    console = Console(sys.stdout, raw_input(os.environ, "github-token"))
    try:
        return run(os.environ, console)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback, and never the token
        console.error(f"internal error: {type(error).__name__}: {error}")
        return EXIT_ERROR
