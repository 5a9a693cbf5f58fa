"""`python -m alpineguard.action` end to end: a real git workspace, a realistic event
payload, and the local GitHub stand-in (tests/github_fake.py) that checks every request."""
from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import pytest

from github_fake import FakeGitHub, Fault

BASE = {
    "services/api/Dockerfile": "FROM alpine:3.22\nRUN apk add --no-cache git\n",
    "services/web/Dockerfile": "FROM python:3.12-alpine3.22\nRUN apk add --no-cache tini\n",
    "services/web/requirements.txt": "flask==3.0.0\n",
    "README.md": "service\n",
}
HEAD = {
    # AG101 twice: a two-line fix (drop `apk update && \`) and a one-line one (add --no-cache)
    "services/api/Dockerfile": "FROM alpine:3.22\nRUN apk update && \\\n    apk add curl\nRUN apk add --no-cache git\n",
    # AG201 on a changed line: no fix
    "services/web/Dockerfile": "FROM python:3.12-alpine\nRUN apk add --no-cache tini\n",
    # a new file: AG101 with a fix, AG104 without
    "tools/Dockerfile": "FROM alpine:3.22\nRUN apk add build-base\n",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def commit(repo: Path, files: dict, message: str) -> str:
    for path, text in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.org", "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def github_patch(repo: Path, base: str, head: str, *paths: str) -> Optional[str]:
    """The `patch` field GitHub lists: the file's unified diff from its first hunk on; none
    for a file moved or copied unchanged."""
    diff = git(repo, "diff", "-M", "--unified=3", base, head, "--", *paths)
    return diff[diff.index("@@"):].rstrip("\n") if "@@" in diff else None


def changed_files(repo: Path, base: str, head: str) -> list[tuple[str, Optional[str], str, Optional[str]]]:
    """(path, patch, status, previous path) of each file GitHub lists as changed from base to head."""
    listing = []
    for name in git(repo, "diff", "-M", "--name-status", base, head).splitlines():
        status, *paths = name.split("\t")
        listing.append((paths[-1], github_patch(repo, base, head, *paths),
                        {"A": "added", "M": "modified", "D": "removed", "R": "renamed"}[status[0]],
                        paths[0] if len(paths) == 2 else None))
    return listing


class PullRequestRepository:
    """The workspace every Action test starts from, made once and copied for each: BASE
    committed on main, HEAD committed on it, and what GitHub lists as changed."""

    def __init__(self, folder: Path):
        self.repo = folder / "workspace"
        self.repo.mkdir()
        git(self.repo, "init", "-q", "-b", "main")
        self.base = commit(self.repo, BASE, "base")
        self.head = commit(self.repo, HEAD, "change")
        self.listing = changed_files(self.repo, self.base, self.head)


class Run:
    def __init__(self, tmp_path: Path, fake: FakeGitHub, start: PullRequestRepository):
        self.tmp, self.fake = tmp_path, fake
        self.repo = tmp_path / "workspace"
        shutil.copytree(start.repo, self.repo, symlinks=True)
        self.base, self.head = start.base, start.head
        self.fake.base_sha, self.fake.head_sha = start.base, start.head
        self.fake.files = []
        for path, patch, status, previous in start.listing:
            self.fake.add_file(path, patch, status, previous=previous)
        self.inputs: dict[str, str] = {"online": "false"}  # hermetic: the registries are not under test here
        self.event_name = "pull_request"
        self.head_repo = "octo-org/service"
        self.payload: dict = {}  # the push or merge_group event's own fields
        self.workspace = self.repo  # what the checkout step left; a shallow clone in checkout tests
        self.env: dict[str, str] = {}  # more of the runner's environment (pip's and npm's configuration)
        # The Action runs in this process, its clock and the fake's pretending: the waits GitHub
        # asks for (a second between writes, backoffs) pass without wall time. `entry_point`:
        # run `python -m alpineguard.action` as a workflow does, on the wall clock.
        self.clock = FakeClock()
        self.fake.clock = self.clock.time
        self.entry_point = False

    def push_head(self, files: dict, message: str = "change") -> str:
        self.head = commit(self.repo, files, message)
        self.fake.head_sha = self.head
        self.fake.files = []
        for path, patch, status, previous in changed_files(self.repo, self.base, self.head):
            self.fake.add_file(path, patch, status, previous=previous)
        return self.head

    def shallow_checkout(self, commit_id: str, depth: Optional[int] = 1) -> Path:
        """A depth-1 clone of one commit, as actions/checkout leaves it, from an `origin` that also
        serves the pull request's head as refs/pull/N/head (as GitHub does, also for forks)."""
        origin = self.tmp / "origin.git"
        if not origin.exists():
            subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
        git(self.repo, "push", "-q", "--force", str(origin), "+refs/heads/*:refs/heads/*",
            f"+{self.head}:refs/pull/{self.fake.number}/head", f"+{commit_id}:refs/heads/checked-out")
        checkout = self.tmp / "checkout"
        subprocess.run(["rm", "-rf", str(checkout)], check=True)
        subprocess.run(["git", "init", "-q", str(checkout)], check=True)
        git(checkout, "remote", "add", "origin", origin.as_uri())
        if depth:
            git(checkout, "fetch", "-q", f"--depth={depth}", "origin", commit_id)
        else:  # a full clone: every branch with its history
            git(checkout, "fetch", "-q", "origin", "+refs/heads/*:refs/remotes/origin/*", commit_id)
        git(checkout, "checkout", "-q", "--detach", "FETCH_HEAD")
        self.workspace = checkout
        return checkout

    def event(self) -> Path:
        owner, name = "octo-org", "service"
        repo = {"id": 1296269, "name": name, "full_name": f"{owner}/{name}", "private": False,
                "owner": {"login": owner, "id": 9919, "type": "Organization"},
                "html_url": f"https://github.example/{owner}/{name}", "default_branch": "main"}
        head_repo = dict(repo, full_name=self.head_repo, owner={"login": self.head_repo.split("/")[0]})
        if self.event_name in ("push", "merge_group"):
            payload = dict(self.payload, repository=repo, sender={"login": "dev", "id": 1, "type": "User"})
            path = self.tmp / "event.json"
            path.write_text(json.dumps(payload))
            return path
        payload = {"action": "synchronize", "number": self.fake.number,
                   "pull_request": {"number": self.fake.number, "state": "open", "title": "Add tools image",
                                    "user": {"login": "dev", "id": 1, "type": "User"},
                                    "head": {"label": "dev:feature", "ref": "feature", "sha": self.head,
                                             "repo": head_repo},
                                    "base": {"label": f"{owner}:main", "ref": "main", "sha": self.base,
                                             "repo": repo},
                                    "merge_commit_sha": "c" * 40},
                   "repository": repo, "sender": {"login": "dev", "id": 1, "type": "User"}}
        path = self.tmp / "event.json"
        path.write_text(json.dumps(payload))
        return path

    def __call__(self, **inputs: str) -> subprocess.CompletedProcess:
        out, summary = self.tmp / "output.txt", self.tmp / "summary.md"
        for f in (out, summary):
            f.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
        env.update({"GITHUB_EVENT_NAME": self.event_name, "GITHUB_EVENT_PATH": str(self.event()),
                    "GITHUB_REPOSITORY": "octo-org/service", "GITHUB_API_URL": self.fake.url,
                    "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_OUTPUT": str(out),
                    "GITHUB_STEP_SUMMARY": str(summary), "INPUT_GITHUB-TOKEN": self.fake.token,
                    "GITHUB_SHA": self.head})
        env.update({f"INPUT_{k.upper().replace('_', '-')}": v for k, v in {**self.inputs, **inputs}.items()})
        env.update(self.env)
        if self.entry_point:
            done = subprocess.run([sys.executable, "-m", "alpineguard.action"], cwd=self.tmp, env=env,
                                  capture_output=True, text=True, timeout=120)
        else:
            done = self._in_process(env)
        done.outputs = dict(line.split("=", 1) for line in out.read_text().splitlines())
        done.summary = summary.read_text()
        for text in (done.stdout, done.stderr, done.summary, out.read_text()):
            assert self.fake.token not in text, "the token was printed"
        assert "Traceback" not in done.stderr, done.stderr
        assert not self.fake.problems, self.fake.problems
        return done


    def _in_process(self, env: dict) -> subprocess.CompletedProcess:
        """The entry point's `main` on `env` as the process environment, from the folder a
        workflow step would start in, its standard output and error captured."""
        from alpineguard.action.main import main
        stdout, stderr = io.StringIO(), io.StringIO()
        saved_env, cwd = dict(os.environ), os.getcwd()
        os.environ.clear()
        os.environ.update(env)
        try:
            os.chdir(self.tmp)
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                status = main(self.clock)
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            os.chdir(cwd)
        return subprocess.CompletedProcess(["alpineguard.action"], status, stdout.getvalue(), stderr.getvalue())


class FakeClock:
    """Time that passes only when the Action sleeps, shared with the fake server."""

    def __init__(self):
        self.now = 1_800_000_000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def fake():
    server = FakeGitHub()
    yield server
    server.close()


@pytest.fixture(scope="session")
def pull_request_repository(tmp_path_factory) -> PullRequestRepository:
    return PullRequestRepository(tmp_path_factory.mktemp("pull-request"))


@pytest.fixture
def run(tmp_path, fake, pull_request_repository):
    return Run(tmp_path, fake, pull_request_repository)


def markers(fake: FakeGitHub) -> list[str]:
    return [c["body"].split("\n", 1)[0] for c in fake.comments]


def test_one_review_on_the_head_commit_with_inline_comments_and_suggestions(run, fake):
    run.entry_point = True
    done = run()
    assert done.returncode == 0, done.stdout  # warnings only; the fail level is error
    assert len(fake.reviews) == 1
    review = fake.reviews[0]
    assert review["commit_id"] == run.head and review["state"] == "COMMENTED"
    placed = sorted((c["path"], c.get("start_line", 0), c["line"]) for c in fake.comments)
    # one comment per line range: api's two AG101s share lines 2-3 and one suggestion, tools' AG101
    # and AG104 share line 2
    assert placed == [("services/api/Dockerfile", 2, 3),
                      ("services/web/Dockerfile", 0, 1),
                      ("tools/Dockerfile", 0, 2)]
    body = {c["path"]: c["body"] for c in fake.comments}
    assert body["services/api/Dockerfile"].count("```suggestion") == 1
    assert "```suggestion\nRUN apk add --no-cache curl\n```" in body["services/api/Dockerfile"]
    assert "suggestion" not in body["services/web/Dockerfile"] and "AG201" in body["services/web/Dockerfile"]
    assert "AG104" in body["tools/Dockerfile"] and "```suggestion\nRUN apk add --no-cache build-base\n```" \
        in body["tools/Dockerfile"]
    assert all(m.startswith("<!-- alpineguard:finding id=") for m in markers(fake))
    assert done.outputs == {"findings": "5", "errors": "0", "sarif-file": "", "online-fallbacks": "0"}
    assert "| Severity | Rule | Location | Message |" in done.summary
    assert f"Checked the pull request's head commit {run.head[:12]}, as checked out." in done.summary
    assert done.stdout.count("::warning file=") == 5
    # what one run on a pull request changing 3 Dockerfiles asks GitHub
    assert fake.calls() == ["GET /pulls/7", "GET /pulls/7/files", "GET /pulls/7/files", "GET /pulls/7",
                            "POST /graphql", "GET /pulls/7/comments", "GET /pulls/7/reviews", "POST /pulls/7/reviews"]


def test_two_runs_leave_exactly_one_comment_per_finding(run, fake):
    assert run().returncode == 0
    first = sorted(markers(fake))
    done = run()
    assert done.returncode == 0
    assert sorted(markers(fake)) == first and len(set(first)) == 3
    assert len(fake.reviews) == 1
    assert "nothing new to post" in done.summary


def test_fail_level_sets_the_exit_status(run, fake):
    assert run(**{"fail-level": "warning"}).returncode == 1
    assert run(**{"fail-level": "never"}).returncode == 0


def test_request_changes_when_a_new_finding_fails(run, fake):
    run(**{"fail-level": "warning", "request-changes": "true"})
    assert fake.reviews[0]["state"] == "CHANGES_REQUESTED"


def test_gone_findings_lose_their_comments_unless_someone_replied(run, fake):
    run()
    web = next(c for c in fake.comments if c["path"] == "services/web/Dockerfile")
    reply = fake.add_comment("services/web/Dockerfile", 1, "we pin this elsewhere", in_reply_to=web["id"], login="dev")
    fixed = dict(HEAD)
    fixed["services/web/Dockerfile"] = "FROM python:3.12-alpine3.22\nRUN apk add --no-cache tini\n"
    fixed["tools/Dockerfile"] = "FROM alpine:3.22\nRUN apk add --no-cache build-base\n"
    run.push_head(fixed, "fix")
    done = run()
    assert done.returncode == 0
    paths = sorted(c["path"] for c in fake.comments if c["id"] != reply["id"])
    # api's stays; the web one stays with a note (it has a reply); tools' line changed, so its
    # comment goes and AG104, still there, is posted again on the new line text
    assert paths == ["services/api/Dockerfile", "services/web/Dockerfile", "tools/Dockerfile"]
    kept = next(c for c in fake.comments if c["id"] == web["id"])
    assert kept["body"].startswith("<!-- alpineguard:finding id=") and " gone -->" in kept["body"]
    assert "No longer reported" in kept["body"]
    assert len(fake.reviews) == 2 and "found 1 new finding (1 of 1 line range commented inline)" in fake.reviews[1]["body"]


def test_a_lost_review_post_is_not_posted_twice(run, fake):
    fake.faults.append(Fault("POST", "/reviews", 502, lands=True))
    done = run()
    assert done.returncode == 0, done.stdout
    assert len(fake.reviews) == 1 and len(fake.comments) == 3
    assert "retrying" in done.stdout


def test_a_failed_review_post_is_retried_once_it_did_not_land(run, fake):
    fake.faults.append(Fault("POST", "/reviews", 503, lands=False))
    assert run().returncode == 0
    assert len(fake.reviews) == 1 and len(fake.comments) == 3


def test_persistent_server_errors_fail_the_step_clearly(run, fake):
    fake.faults.append(Fault("POST", "/reviews", 500, times=10))
    done = run()
    assert done.returncode == 2
    assert "::error title=alpineguard::the review could not be posted" in done.stdout
    assert fake.reviews == []
    assert done.stdout.count("::warning file=") == 5  # the findings are still annotated


def test_a_comment_off_the_diff_moves_into_the_body(run, fake):
    # GitHub's diff changed between listing the files and posting: tools/Dockerfile's line 2 left it
    real = next(f for f in fake.files if f["filename"] == "tools/Dockerfile")
    fake.served_patches = {"tools/Dockerfile": real["patch"]}
    real["patch"] = "@@ -0,0 +1 @@\n+FROM alpine:3.22"
    done = run()
    assert done.returncode == 0, done.stdout
    assert len(fake.reviews) == 1
    assert sorted(c["path"] for c in fake.comments) == ["services/api/Dockerfile", "services/web/Dockerfile"]
    body = fake.reviews[0]["body"]
    assert body.count("`tools/Dockerfile` line 2") == 1 and "and 1 more on these lines" in body
    assert "no longer part of the diff" in body
    assert "POST /pulls/7/reviews" in fake.calls()


def test_read_only_token_falls_back_to_annotations_and_summary(run, fake):
    fake.read_only = True
    done = run(**{"fail-level": "error"})
    assert done.returncode == 0, done.stdout
    assert fake.reviews == [] and "cannot write to the pull request" in done.summary
    assert done.stdout.count("::warning file=") == 5
    assert run(**{"fail-level": "warning"}).returncode == 1  # findings still fail; the token does not


def test_fork_pull_request_posts_nothing(run, fake):
    run.head_repo = "someone/service"
    done = run()
    assert done.returncode == 0
    assert [c for c in fake.calls() if not c.startswith("GET")] == []
    assert "from a fork" in done.summary


def test_review_false_only_reads(run, fake):
    done = run(review="false")
    assert done.returncode == 0 and fake.reviews == []
    assert fake.calls() == ["GET /pulls/7", "GET /pulls/7/files", "GET /pulls/7/files"]


def test_large_pull_request_pages_and_files_without_patch(run, fake):
    fake.page_size = 1
    for f in fake.files:
        if f["filename"] == "tools/Dockerfile":
            del f["patch"]  # GitHub omits it for diffs too large to show
    for n in range(4):
        fake.add_file(f"docs/page{n}.md", "@@ -0,0 +1 @@\n+text", "added")
    done = run()
    assert done.returncode == 0, done.stdout
    assert fake.calls().count("GET /pulls/7/files") == len(fake.files)
    assert sorted(c["path"] for c in fake.comments) == ["services/api/Dockerfile", "services/web/Dockerfile"]
    body = fake.reviews[0]["body"]
    # the added file's diff, computed with git, shows both findings as new; GitHub shows no diff to comment on
    assert body.count("`tools/Dockerfile`") == 1 and "GitHub shows no diff for this file" in body


def test_merge_commit_checkout_reads_the_head_commit(run, fake):
    # actions/checkout's default for pull requests: a merge commit whose lines may differ
    git(run.repo, "checkout", "-q", run.base)
    commit(run.repo, {"services/api/Dockerfile": "# base moved on\n" + BASE["services/api/Dockerfile"]}, "base moved")
    git(run.repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.org", "merge", "-q", "--no-edit",
        "-X", "theirs", run.head)
    assert git(run.repo, "rev-parse", "HEAD").strip() != run.head
    done = run()
    assert done.returncode == 0, done.stdout
    assert sorted((c["path"], c.get("start_line"), c["line"]) for c in fake.comments
                  if c["path"] == "services/api/Dockerfile") == [("services/api/Dockerfile", 2, 3)]


def test_dockerfile_copying_a_changed_requirements_file_is_checked(run, fake):
    files = dict(HEAD, **{"services/web/Dockerfile": "FROM python:3.12-alpine3.22\nCOPY requirements.txt .\n"
                                                      "RUN apk add curl\n"})
    run.push_head(files)
    run.base = run.head
    run.push_head({"services/web/requirements.txt": "flask==3.1.0\n"}, "bump flask")
    assert [f["filename"] for f in fake.files] == ["services/web/requirements.txt"]
    done = run()
    assert done.returncode == 0, done.stdout
    # the Dockerfile is linted; its AG101 is on an unchanged line, so the `added` filter drops it
    assert done.outputs["findings"] == "0" and "1 file(s)" in done.summary


def test_push_event_annotates_without_calling_github(run, fake):
    run.event_name = "push"
    done = run(path="services")
    assert done.returncode == 0
    assert fake.requests == []
    assert done.stdout.count("::warning file=services/") == 3


def test_inputs_in_underscore_form(run, fake):
    done = run(**{"FAIL_LEVEL": "warning"})
    assert done.returncode == 1


def test_bad_input_is_one_clear_line(run, fake):
    run.entry_point = True
    done = run(**{"filter-mode": "everything"})
    assert done.returncode == 2
    assert "::error title=alpineguard::input `filter-mode` takes one of" in done.stdout


def test_path_outside_the_workspace_is_refused(run, fake):
    done = run(path="../")
    assert done.returncode == 2 and "outside the workspace" in done.stdout


def test_sarif_file_is_written_or_refused_clearly(run, fake):
    from alpineguard.report import FORMATS
    done = run(**{"sarif-file": "alpineguard.sarif"})
    if "sarif" in FORMATS:
        assert done.returncode == 0, done.stdout
        document = json.loads((run.repo / "alpineguard.sarif").read_text())
        assert len(document["runs"][0]["results"]) == 5
        assert done.outputs["sarif-file"] == "alpineguard.sarif"
    else:
        assert done.returncode == 2
        assert "::error title=alpineguard::input `sarif-file`: this alpineguard version has no SARIF output yet" \
            in done.stdout


def test_failed_registry_look_ups_are_in_the_summary_outputs_and_sarif(run, fake, tmp_path):
    """Online (the default) with pip and npm configured for an index and a registry that
    refuse connections: the run completes on embedded data and says which packages fell back."""
    from test_online_report import unreachable_registries
    run.push_head(dict(HEAD, **{"services/web/Dockerfile": "FROM python:3.12-alpine3.22\n"
                                                           "RUN pip install psycopg2==2.9.9\n",
                                "tools/Dockerfile": "FROM node:22-alpine3.22\nRUN npm install left-pad@1.3.0\n"}))
    run.env = unreachable_registries(tmp_path)
    run.inputs = {}  # online by default
    done = run(**{"sarif-file": "alpineguard.sarif", "fail-level": "never"})
    assert done.returncode == 0, done.stdout
    assert done.outputs["online-fallbacks"] == "2", done.outputs
    summary = done.summary.split("Registry look-ups that did not answer: the dependencies named here were checked "
                                 "with the embedded data, which may not know their newest releases.\n", 1)[1]
    # Markdown escapes taken out: backslashes, and the word joiner that keeps `@` from mentioning anyone
    plain = summary.replace("\\", "").replace("\u2060", "")
    listed = [line for line in plain.splitlines() if line.startswith("- registry look-up failed for ")]
    assert len(listed) == 2, done.summary
    assert any("Python package psycopg2 (" in line for line in listed), listed
    assert any("npm package left-pad@1.3.0 (" in line for line in listed), listed
    assert done.stdout.count("::notice title=alpineguard::registry look-up failed for") == 2
    psycopg2 = [c["body"] for c in fake.comments if c["path"] == "services/web/Dockerfile"]
    assert psycopg2 and "registry look\\-up failed" in psycopg2[0]
    document = json.loads((run.repo / "alpineguard.sarif").read_text())
    notes = [n["message"]["text"] for n in document["runs"][0]["invocations"][0]["toolExecutionNotifications"]]
    assert sorted(n.split(" (")[0] for n in notes) == ["registry look-up failed for Python package psycopg2",
                                                       "registry look-up failed for npm package left-pad@1.3.0"]


def test_config_file_in_the_workspace_applies(run, fake):
    (run.repo / "lint.yaml").write_text("ignore: [AG201]\n")
    done = run(config="lint.yaml")
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "4"
    assert "AG201" not in " ".join(c["body"] for c in fake.comments)
    assert run(config="/etc/passwd").returncode == 2


def test_a_changed_compose_file_reviews_what_its_builds_change_in_the_dockerfile(run, fake):
    files = dict(HEAD, **{"services/web/Dockerfile": "ARG ALPINE=3.22\nFROM python:3.12-alpine${ALPINE}\n"
                                                      "RUN apk add curl\n",
                          "compose.yaml": "services:\n  web:\n    build: services/web\n"})
    run.push_head(files)
    run.base = run.head
    run.push_head({"compose.yaml": "services:\n  web:\n    build:\n      context: services/web\n"
                                   "      args: {ALPINE: \"3.16\"}\n"}, "older Alpine for web")
    assert [f["filename"] for f in fake.files] == ["compose.yaml"]
    done = run()
    # The Dockerfile's own AG101 is on an unchanged line and does not depend on the build: left out.
    assert done.outputs["findings"] == "1", done.stdout
    annotation, = [line for line in done.stdout.splitlines() if line.startswith("::warning file=")]
    assert annotation.startswith("::warning file=services/web/Dockerfile,line=2,")
    assert "Alpine 3.16" in annotation and annotation.endswith("(service `web` in compose.yaml:3)")
    # Line 2 is not in the diff: the review body carries it, naming the compose line.
    body = fake.reviews[0]["body"]
    assert "at `services/web/Dockerfile` line 2" in body and "compose\\.yaml:3" in body and fake.comments == []


def test_a_changed_compose_file_that_cannot_be_read_is_reported_on_its_line(run, fake):
    run.base = run.head
    run.push_head({"compose.yaml": "services:\n  web:\n    build: services/web\n   oops: [\n"}, "broken")
    done = run()
    assert done.outputs["findings"] == "1", done.stdout
    assert any(line.startswith("::error file=compose.yaml,line=4,") and "AG004" in line
               for line in done.stdout.splitlines()), done.stdout
