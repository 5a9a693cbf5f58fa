"""`python -m alpineguard.action`: lint the commit under review, then report as a review,
annotations, job summary, SARIF and step outputs, and exit by the fail level (0 clean,
1 findings, 2 error).

Pull requests (`pull_request`, `pull_request_target`) are linted as their head commit is,
whatever the checkout, and reviewed. Pushes and merge groups are linted as their head is,
with findings filtered to what changed since `before` or the merge group's base. Any other
event checks every Dockerfile in scope."""
from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from .. import __version__
from ..changed import changed_builds, copies_any, is_definition_file
from ..config import EXIT_ERROR, ConfigError, Settings, fail_level
from ..discovery import is_dockerfile_name
from ..engine import FileResult, check_text, definition_problems
from ..files import Unreadable, decode
from ..model import Finding, Severity
from ..report import FORMATS, Report, render
from ..report.github_format import LEVELS, command, escape_data, escape_property
from ..runner import build_definitions, exit_status, fails, lint, load_settings
from .comments import SEVERITY_ICONS, make_entries, message_markdown, place
from .diff import ChangedFile, Patch, parse_patch
from .event import ActionError, Context, Inputs, raw_input, read_context, read_inputs
from .workspace import Git, Head, expand_paths, in_scope, inside, is_dependency_file, open_head

MAX_SUMMARY_ROWS = 500  # the job summary holds at most 1 MiB per step
# GitHub shows at most 10 annotations of each level per step and 50 per job ("Problem Matchers",
# actions/toolkit); the rest are dropped without a word, so the Action counts its own.
PER_LEVEL_CAP, PER_JOB_CAP = 10, 50


class Console:
    """Standard output with the token blotted out of every line, whatever produced it; the
    Action's own annotations escaped and counted against GitHub's caps."""

    def __init__(self, stream: TextIO, secret: str):
        self.stream, self.secret = stream, secret
        self.shown: dict[str, int] = {}
        self.not_shown: dict[str, int] = {}

    def write(self, line: str) -> None:
        if self.secret:
            line = line.replace(self.secret, "***")
        self.stream.write(line + "\n")
        self.stream.flush()

    def _room(self, level: str) -> bool:
        if self.shown.get(level, 0) >= PER_LEVEL_CAP or sum(self.shown.values()) >= PER_JOB_CAP:
            self.not_shown[level] = self.not_shown.get(level, 0) + 1
            return False
        self.shown[level] = self.shown.get(level, 0) + 1
        return True

    def annotate(self, level: str, text: str) -> None:
        if self._room(level):
            self.write(f"::{level} title={escape_property('alpineguard')}::{escape_data(text)}")
        else:
            self.write(f"alpineguard {level}: {text}")

    def error(self, text: str) -> None:
        self.annotate("error", text)

    def warning(self, text: str) -> None:
        self.annotate("warning", text)

    def notice(self, text: str) -> None:
        self.annotate("notice", text)

    def finding(self, f: Finding) -> None:
        if self._room(LEVELS[f.severity]):
            self.write(command(f))


@dataclass
class Linted:
    results: list[FileResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    lines: dict[str, list[str]] = field(default_factory=dict)
    texts: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # for the job summary
    lint_notes: list[str] = field(default_factory=list)  # the run's (failed registry look-ups): also as notices
    fell_back: list[str] = field(default_factory=list)  # dependencies checked with the embedded data instead
    failed: bool = False  # an API or setup problem: exit status 2
    settings: Settings | None = None


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8", "replace").removeprefix("\ufeff")
    return [line.removesuffix("\r") for line in text.split("\n")]


def _text(data: bytes, settings: Settings) -> str | None:
    try:
        return decode(data, settings.max_file_size)
    except Unreadable:
        return None


def lint_everything(head: Head, scopes: list[str], settings: Settings, console: Console, why: str) -> Linted:
    linted = Linted(notes=[why])
    console.notice(why)
    paths = []
    for path in head.dockerfiles(scopes, settings.exclude):
        if not inside(head.root, path):
            console.warning(f"{path} points outside the workspace; not checked")
            continue
        paths.append(path)
    run = lint(paths, settings, definitions=build_definitions(scopes, settings))
    linted.results, linted.findings = run.files, run.findings
    linted.lint_notes, linted.fell_back = run.notes, [f.package for f in run.fallbacks]
    return linted


def _keep(f: Finding, mode: str, patch: Patch | None, changed: bool, for_dependencies: bool) -> bool:
    if mode == "nofilter" or (mode == "file" and changed) or (for_dependencies and f.rule.startswith("AG4")):
        return True
    if not changed:
        return False
    if patch is None:
        return True  # no diff to be had: every line may be new (the summary says so)
    return f.start[0] in (patch.added if mode == "added" else patch.hunk_of)


def lint_changes(head: Head, scopes: list[str], settings: Settings, inputs: Inputs, files: dict[str, ChangedFile],
                 patch_of: Callable[[str], Patch | None]) -> tuple[Linted, dict[str, Patch | None]]:
    """Lint the changed Dockerfiles (every one for `nofilter`) and those copying a changed
    dependency file; keep the findings `filter-mode` asks for."""
    linted = Linted()
    targets = [p for p in files if is_dockerfile_name(os.path.basename(p)) and in_scope(p, scopes)]
    if inputs.filter_mode == "nofilter":
        targets += [p for p in head.dockerfiles(scopes, settings.exclude) if p not in targets]
    dependency_changes = [p for p in files if is_dependency_file(p)]
    for_dependencies = set()
    if dependency_changes:
        for path in head.dockerfiles(scopes, settings.exclude):
            if path not in targets and copies_any(path, dependency_changes):
                targets.append(path)
                for_dependencies.add(path)
    # A changed compose or bake file: the Dockerfiles its builds use, for the findings that name those builds.
    definition_changes = [p for p in files if in_scope(p, scopes) and settings.build_definitions
                          and is_definition_file(p, settings.compose_files + settings.bake_files)]
    for_builds: dict[str, list[str]] = {}
    for build in changed_builds(definition_changes, settings.compose_files, settings.bake_files,
                                settings.compose_profiles, committed=lambda path: None):
        if build.dockerfile and os.path.isfile(build.dockerfile) and inside(head.root, build.dockerfile):
            path = os.path.relpath(build.dockerfile)
            for_builds.setdefault(path, []).append(build.label)
            if path not in targets:
                targets.append(path)
    definitions = build_definitions(scopes, settings, definition_changes)
    if definitions is not None:  # AG004 on a changed compose or bake file that cannot be read
        for result in definition_problems([p for p in definitions.problems if p.path in definition_changes], settings):
            data = head.read(result.path, settings.max_file_size)
            if data is not None:
                linted.results.append(result)
                linted.lines[result.path] = _lines(data)
                linted.findings += result.findings

    contents = {path: data for path in targets if (data := head.read(path, settings.max_file_size)) is not None}
    run = lint(list(contents), settings, contents=contents, definitions=definitions)
    linted.lint_notes, linted.fell_back = run.notes, [f.package for f in run.fallbacks]
    patches: dict[str, Patch | None] = {}
    for result in run.files:
        path = result.path
        if path not in contents:
            continue  # a build definition's own result: its AG004 is above, for changed ones only
        linted.results.append(result)
        linted.lines[path] = _lines(contents[path])
        linted.texts[path] = _text(contents[path], settings)
        changed = path in files
        patch = patch_of(path) if changed else None
        patches[path] = patch
        linted.findings += [f for f in result.findings
                            if _keep(f, inputs.filter_mode, patch, changed, path in for_dependencies)
                            or any(label in f.message for label in for_builds.get(path, ()))]
    unfiltered = sorted(p for p in targets if p in files and patches.get(p) is None and p in linted.lines)
    if unfiltered and inputs.filter_mode in ("added", "diff_context"):
        linted.notes.append(f"No diff could be had for {', '.join(message_markdown(f'`{p}`') for p in unfiltered)}: "
                            "every finding there is reported.")
    return linted, patches


class PullRequestRun:
    """One pull request: its head commit's content, its diff, and the review."""

    def __init__(self, ctx: Context, inputs: Inputs, console: Console, clock):
        from .review import GitHubClient  # PyGithub: the Action path only
        self.ctx, self.inputs, self.console, self.pull = ctx, inputs, console, ctx.pull
        self.client = GitHubClient(ctx.api_url, inputs.token, ctx.repository, self.pull.number, console.write, clock)
        self.git = Git(ctx.workspace, console.write)
        self._merge_base: str | None = ""
        self.state = None
        self.listing: list[ChangedFile] = []

    def open_head(self) -> Head:
        """The head commit's files: the checkout, or git (fetching the commit, or the pull
        request's head ref, which the job's token may read also for forks), or GitHub's API."""
        from .review import ApiError
        try:
            self.state = self.client.pull_state()
            self.listing = self.client.files()
        except ApiError as error:
            raise ActionError(f"cannot read the pull request: {error}") from None
        head = open_head(self.ctx.workspace, self.pull.head_sha, self.git, (f"refs/pull/{self.pull.number}/head",))
        if head is not None:
            return head
        listed = {f.path: f.status for f in self.listing}
        listed.update({f.previous_path: "removed" for f in self.listing if f.previous_path})
        self.console.write("git cannot give the head commit (" + "; ".join(self.git.fetch_errors or ["no git"])
                           + "): reading its changed files through GitHub's API")
        return Head(self.ctx.workspace, "read through GitHub's contents API (git could not fetch the commit)",
                    read_through=self._read_through, listed=listed)

    def _read_through(self, path: str) -> bytes | None:
        """A file at the head through the API; one the pull request lists must be there."""
        from .review import ApiError
        try:
            data = self.client.content(path, self.pull.head_sha)
            if data is not None or path not in {f.path for f in self.listing}:
                return data
            reason = "HTTP 404: not found"
        except ApiError as error:
            reason = str(error)
        raise ActionError(f"cannot read {path} at the head commit {self.pull.head_sha[:12]}: neither git "
                          f"({'; '.join(self.git.fetch_errors) or 'no git'}) nor GitHub's API ({reason}) "
                          "gives it, and other content is never linted in its place")

    def merge_base(self) -> str | None:
        if self._merge_base == "":
            self._merge_base = self.git.merge_base(self.state.base_sha, self.pull.head_sha) \
                if self.git.ensure(self.pull.head_sha) else None
        return self._merge_base

    def changed_files(self, notes: list[str]) -> dict[str, ChangedFile]:
        listing = self.listing
        if len(listing) < self.state.changed_files:
            base = self.merge_base()
            from_git = self.git.changes(base, self.pull.head_sha) if base else None
            if from_git is not None:
                listing = from_git
                notes.append(f"GitHub lists {len(self.listing)} of the {self.state.changed_files} changed files; "
                             "the full list came from git.")
            else:
                notes.append(f"GitHub lists only {len(self.listing)} of the {self.state.changed_files} changed files "
                             "and git could not give the rest: files beyond them were not checked.")
        return {f.path: f for f in listing if f.status != "removed"}

    def patch_of(self, files: dict[str, ChangedFile], from_api: set[str]) -> Callable[[str], Patch | None]:
        def patch(path: str) -> Patch | None:
            changed = files[path]
            if changed.patch is not None:
                from_api.add(path)
                return parse_patch(changed.patch)
            if path in {f.path for f in self.listing} and changed.additions == changed.deletions == 0 \
                    and changed.status in ("renamed", "changed", "copied"):
                return Patch()  # moved or its mode changed: no line is new
            base = self.merge_base()
            text = self.git.patch(base, self.pull.head_sha, path, changed.previous_path) if base else None
            return parse_patch(text) if text is not None else None
        return patch

    def lint(self, head: Head, scopes: list[str], settings: Settings) -> Linted:
        notes: list[str] = []
        files = self.changed_files(notes)
        from_api: set[str] = set()
        linted, patches = lint_changes(head, scopes, settings, self.inputs, files, self.patch_of(files, from_api))
        linted.notes[:0] = notes + [f"Checked the pull request's head commit {self.pull.head_sha[:12]}, {head.how}."]
        if self.inputs.review:
            self.review(linted, settings, {p: patches[p] for p in patches if p in from_api})
        return linted

    def review(self, linted: Linted, settings: Settings, patches: dict[str, Patch | None]) -> None:
        from .review import ApiError, NoWriteAccess, RateLimited, publish
        ctx, pull, console, client = self.ctx, self.pull, self.console, self.client
        if pull.from_fork and ctx.event_name == "pull_request":
            linted.notes.append("No review: a pull request from a fork gets a read-only token; "
                                "the findings are in the annotations and this summary.")
            console.notice(linted.notes[-1])
            return

        def recheck(path: str) -> Callable[[str], list[Finding]]:
            return lambda text: check_text(text, path, settings.for_path(path), source_path=path).findings

        entries = make_entries(linted.findings, linted.lines)
        for entry in entries:
            path = entry.finding.path
            place(entry, linted.texts.get(path), patches.get(path), self.inputs.suggestions, recheck(path),
                  "GitHub shows no diff for this file")

        def relocate(new) -> int:
            fresh = {f.path: f for f in client.files()}
            moved = 0
            for entry in new:
                changed = fresh.get(entry.finding.path)
                patch = parse_patch(changed.patch) if changed is not None and changed.patch is not None else None
                if not entry.inline or (patch is not None and patch.same_hunk(entry.start_line or entry.line,
                                                                              entry.line)):
                    continue
                entry.to_body("its line is no longer part of the diff")
                moved += 1
            return moved

        try:
            now = client.pull_state().head_sha
            if now != pull.head_sha:
                linted.notes.append(f"No review: the pull request moved on to {now[:12]} since {pull.head_sha[:12]}; "
                                    "this run posts and deletes nothing (the newer commit's run reviews it).")
                console.notice(linted.notes[-1])
                return
            outcome = publish(client, entries, pull.head_sha, uuid.uuid4().hex, self.inputs.request_changes,
                              settings.fail_level, relocate, console.write)
        except NoWriteAccess as error:
            linted.notes.append("No review: the token cannot write to the pull request (a fork, or no "
                                "`pull-requests: write` permission); the findings are in the annotations "
                                "and this summary.")
            console.notice(f"{linted.notes[-1]} ({error})")
            return
        except RateLimited as error:
            linted.notes.append(f"No review: GitHub's rate limit would keep this run waiting too long "
                                f"({message_markdown(str(error))}); the findings are in the annotations and this summary.")
            console.notice(linted.notes[-1])
            return
        except ApiError as error:
            console.error(f"the review could not be posted: {error}")
            linted.notes.append(f"The review could not be posted: {message_markdown(str(error))}")
            linted.failed = True
            return
        note = (f"Review: {outcome.inline} new inline comment(s), {outcome.in_body} in the review body, "
                f"{outcome.already_posted} posted before; {outcome.deleted} stale comment(s) deleted, "
                f"{outcome.noted} kept with a note")
        note += f"; {outcome.dismissed} earlier request(s) for changes dismissed." if outcome.dismissed else "."
        linted.notes.append(note if outcome.reviewed or outcome.deleted or outcome.noted or outcome.dismissed
                            else f"Review: nothing new to post ({outcome.already_posted} posted before).")
        linted.notes += outcome.notes
        console.write(linted.notes[-1])


def run_diffed(ctx: Context, inputs: Inputs, head: Head, git: Git, scopes: list[str], settings: Settings,
               console: Console) -> Linted:
    """A push (against `before`) or a merge group (against its base): annotations for what changed."""
    push = ctx.push
    what = "merge group's base" if ctx.event_name == "merge_group" else "commit before the push"
    if push.base is None:
        return lint_everything(head, scopes, settings, console, "This push creates the branch: there is no earlier "
                               "commit to compare with, so every Dockerfile in scope was checked.")
    changes = git.changes(push.base, push.head) if git.ensure(push.base) else None
    if changes is None:
        return lint_everything(head, scopes, settings, console, f"The {what} ({push.base[:12]}) could not be "
                               "fetched, so every Dockerfile in scope was checked.")
    files = {f.path: f for f in changes if f.status != "removed"}

    def patch_of(path: str) -> Patch | None:
        text = git.patch(push.base, push.head, path, files[path].previous_path)
        return parse_patch(text) if text is not None else None
    linted, _patches = lint_changes(head, scopes, settings, inputs, files, patch_of)
    linted.notes.insert(0, f"Checked {push.head[:12]} against the {what} {push.base[:12]} "
                           f"(filter-mode `{inputs.filter_mode}`), {head.how}.")
    return linted


def summary_markdown(linted: Linted, inputs: Inputs, failing: bool, console: Console) -> str:
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
    hidden = sum(console.not_shown.values())
    if hidden:
        levels = ", ".join(f"{n} {level}" for level, n in sorted(console.not_shown.items()))
        lines.append(f"\n{hidden} annotation(s) not shown ({levels}): GitHub shows {PER_LEVEL_CAP} of each level "
                     f"per step and {PER_JOB_CAP} per job; every finding is in the table above.")
    errors = [e for r in linted.results for e in r.errors]
    if errors:
        lines += ["", "Internal errors:", *(f"- {message_markdown(e)}" for e in errors)]
    if linted.lint_notes:
        lines += ["", "Registry look-ups that did not answer: the dependencies named here were checked with the "
                      "embedded data, which may not know their newest releases.",
                  *(f"- {message_markdown(note)}" for note in linted.lint_notes)]
    lines += ["", *linted.notes]
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
    report = Report(__version__, linted.findings, [e for r in linted.results for e in r.errors], len(linted.results),
                    notes=linted.lint_notes, fell_back=linted.fell_back)
    with open(os.path.join(ctx.workspace, inputs.sarif_file), "w", encoding="utf-8") as handle:
        render("sarif", report, handle)


def _settings(root: str, inputs: Inputs) -> Settings:
    """The config file, then the inputs (they win, as the command line does)."""
    if inputs.config and (os.path.isabs(inputs.config) or not inside(root, inputs.config)):
        raise ActionError("input `config` must be a path inside the workspace")
    layer: dict = {"fail_level": fail_level(inputs.fail_level)}
    layer["online"] = inputs.online  # on by default in the Action: runners have network, and online is exact
    if inputs.cache_dir:
        if os.path.isabs(inputs.cache_dir) or not inside(root, inputs.cache_dir):
            raise ActionError("input `cache-dir` must be a path inside the workspace")
        os.environ["ALPINEGUARD_CACHE_DIR"] = os.path.join(root, inputs.cache_dir)
    if inputs.select:
        layer["select"] = inputs.select
    if inputs.ignore:
        layer["ignore"] = inputs.ignore
    if inputs.build_args:
        layer["build_args"] = inputs.build_args
    if inputs.target:
        layer["target"] = inputs.target
    try:
        return load_settings(layer, inputs.config or None, cwd=root)
    except ConfigError as error:
        raise ActionError(str(error)) from None


def _lint(ctx: Context, inputs: Inputs, console: Console, clock) -> Linted:
    git = Git(ctx.workspace, console.write)
    pull_run = None
    if ctx.pull is not None:
        if not inputs.token:
            raise ActionError("input `github-token` is empty; the review needs it")
        pull_run = PullRequestRun(ctx, inputs, console, clock)
        head = pull_run.open_head()
    elif ctx.push is not None:
        head = open_head(ctx.workspace, ctx.push.head, git)
        if head is None:
            raise ActionError(f"cannot read the commit {ctx.push.head[:12]}: it is not checked out and git cannot "
                              f"fetch it ({'; '.join(git.fetch_errors) or 'no git'})")
    else:
        head = Head(ctx.workspace, "as checked out")
    try:
        os.chdir(head.root)
        scopes = expand_paths(head.root, inputs.paths)
        settings = _settings(head.root, inputs)
        if pull_run is not None:
            linted = pull_run.lint(head, scopes, settings)
        elif ctx.push is not None:
            linted = run_diffed(ctx, inputs, head, git, scopes, settings, console)
        else:
            linted = lint_everything(head, scopes, settings, console,
                                     f"A {ctx.event_name or 'local'} run has no diff to compare with: every "
                                     "Dockerfile in scope was checked.")
        linted.findings.sort(key=lambda f: f.sort_key)
        linted.settings = settings
        return linted
    finally:
        os.chdir(ctx.workspace)
        head.close()


def run(env: Mapping[str, str], console: Console, clock=None) -> int:
    try:
        inputs = read_inputs(env)
        ctx = read_context(env)
        os.chdir(ctx.workspace)
        linted = _lint(ctx, inputs, console, clock)
        errors = [e for r in linted.results for e in r.errors]
        for error in errors:
            console.error(error)
        for note in linted.lint_notes:
            console.notice(note)
        if inputs.annotations:
            for f in sorted(linted.findings, key=lambda f: (-f.severity, f.sort_key)):
                console.finding(f)
        failing = fails(linted.findings, linted.settings.fail_level)
        _append(ctx.summary_path, summary_markdown(linted, inputs, failing, console))
        if inputs.sarif_file:
            _write_sarif(ctx, inputs, linted)
        _append(ctx.output_path, f"findings={len(linted.findings)}\nerrors={len(errors)}\n"
                                 f"sarif-file={inputs.sarif_file}\nonline-fallbacks={len(linted.fell_back)}\n")
    except ActionError as error:
        console.error(str(error))
        return EXIT_ERROR
    console.write(f"alpineguard: {len(linted.findings)} finding(s) in {len(linted.results)} file(s)")
    return EXIT_ERROR if linted.failed else exit_status(linted.findings, errors, linted.settings.fail_level)


def main(clock=None) -> int:
    """The Action's entry point, on the process's environment and standard output; `clock`
    (wall time by default) is one that only pretends in tests, as for `run`."""
    console = Console(sys.stdout, raw_input(os.environ, "github-token"))
    try:
        return run(os.environ, console, clock)
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # never a traceback, and never the token
        console.error(f"internal error: {type(error).__name__}: {error}")
        return EXIT_ERROR
