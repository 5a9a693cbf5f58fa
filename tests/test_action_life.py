"""The Action through a pull request's real life, against the local GitHub fake and real git
repositories: checkouts that are not the head commit, files GitHub lists without a patch,
stale and overlapping runs, lifted requests for changes, rate limits, markers pasted by
others, pushes and merge groups, GitHub's size and annotation limits, and the inputs."""
from __future__ import annotations

import io
import re
import subprocess

from alpineguard.action.main import Console
from github_fake import Fault
from test_action_e2e import BASE, HEAD, commit, git, markers
from test_action_e2e import fake, pull_request_repository, run  # noqa: F401 (fixtures)

LEGACY = "FROM alpine:3.22\nRUN apk add --no-cache git\nRUN apk add curl\n"  # AG101 on line 3, untouched
CHANGED = "FROM alpine:3.22\nRUN apk add --no-cache git jq\nRUN apk add curl\n"


def legacy_pull_request(run) -> None:
    """A base with a legacy AG101 in services/api/Dockerfile; the pull request changes another line."""
    run.base = commit(run.repo, {"services/api/Dockerfile": LEGACY}, "legacy base")
    run.fake.base_sha = run.base
    run.push_head({"services/api/Dockerfile": CHANGED}, "touch line 2")


# ---- 1. the head commit's content, whatever the checkout ----

def test_pull_request_target_on_the_base_checkout_lints_the_head_commit(run, fake):
    run.event_name = "pull_request_target"
    run.shallow_checkout(run.base)  # what actions/checkout does for pull_request_target
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "5"  # tools/Dockerfile, new in the pull request, is checked too
    assert "tools/Dockerfile" in {c["path"] for c in fake.comments}
    assert "read with git" in done.summary


def test_a_full_clone_stays_full_when_the_head_is_fetched(run, fake):
    run.event_name = "pull_request_target"
    git(run.repo, "reset", "-q", "--hard", run.base)  # the head commit: only in origin's refs/pull/7/head
    checkout = run.shallow_checkout(run.base, depth=None)
    assert subprocess.run(["git", "-C", str(checkout), "cat-file", "-e", run.head]).returncode != 0
    done = run()
    assert done.returncode == 0 and done.outputs["findings"] == "5", done.stdout
    assert git(checkout, "rev-parse", "--is-shallow-repository").strip() == "false"


def test_depth_one_merge_checkout_reports_no_legacy_finding(run, fake):
    legacy_pull_request(run)
    git(run.repo, "checkout", "-q", "-b", "moved", run.base)
    fake.base_sha = commit(run.repo, {"services/api/Dockerfile": "# base moved on\n" + LEGACY}, "base moved")
    git(run.repo, "-c", "user.name=Dev", "-c", "user.email=dev@example.org", "merge", "-q", "--no-edit", run.head)
    run.shallow_checkout(git(run.repo, "rev-parse", "HEAD").strip())
    done = run(**{"fail-level": "warning"})
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "0" and fake.reviews == []


def test_without_git_the_head_files_come_from_the_contents_api(run, fake):
    run.event_name = "pull_request_target"
    checkout = run.shallow_checkout(run.base)
    git(checkout, "remote", "set-url", "origin", str(run.tmp / "nowhere.git"))
    for path in HEAD:
        fake.contents[(run.head, path)] = HEAD[path].encode()
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "5" and "contents API" in done.summary
    assert sum(c.startswith("GET /contents/") for c in fake.calls()) == 3


def test_a_head_file_over_a_megabyte_comes_from_the_blobs_api(run, fake):
    big = "# " + "x" * (1024 * 1024) + "\nFROM alpine:3.22\nRUN apk add build-base\n"
    run.event_name = "pull_request_target"
    run.push_head(dict(HEAD, **{"tools/Dockerfile": big}), "big")
    checkout = run.shallow_checkout(run.base)
    git(checkout, "remote", "set-url", "origin", str(run.tmp / "nowhere.git"))
    for path, text in dict(HEAD, **{"tools/Dockerfile": big}).items():
        fake.contents[(run.head, path)] = text.encode()
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "5" and any(c.startswith("GET /git/blobs/") for c in fake.calls())


def test_no_way_to_the_head_content_is_an_internal_error(run, fake):
    run.event_name = "pull_request_target"
    checkout = run.shallow_checkout(run.base)
    git(checkout, "remote", "set-url", "origin", str(run.tmp / "nowhere.git"))
    done = run()  # and the contents API knows no such commit
    assert done.returncode == 2
    assert re.search(r"::error title=alpineguard::cannot read services/api/Dockerfile at the head commit "
                     r"[0-9a-f]{12}: neither git .* nor GitHub's API", done.stdout)
    assert fake.reviews == []


# ---- 2. files listed without a patch honour filter-mode ----

def test_a_pure_rename_adds_no_finding(run, fake):
    run.base = commit(run.repo, {"legacy/Dockerfile": "FROM python:3.12-alpine\n"}, "legacy")
    fake.base_sha = run.base
    (run.repo / "old").mkdir()
    (run.repo / "legacy" / "Dockerfile").rename(run.repo / "old" / "Dockerfile")
    run.push_head({}, "rename")
    assert [(f["status"], "patch" in f) for f in fake.files] == [("renamed", False)]
    done = run(**{"fail-level": "warning"})
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "0"
    assert run(**{"filter-mode": "file"}).outputs["findings"] == "1"  # the file is part of the change


def test_a_mode_change_adds_no_finding(run, fake):
    legacy_pull_request(run)
    fake.files = []
    fake.add_file("services/api/Dockerfile", None, "changed")  # chmod only: GitHub lists no patch
    done = run(**{"fail-level": "warning"})
    assert done.returncode == 0, done.stdout and done.outputs["findings"] == "0"


def test_a_diff_too_large_for_github_is_computed_with_git(run, fake):
    legacy_pull_request(run)
    run.push_head({"services/api/Dockerfile": "FROM alpine:3.22\nRUN apk add wget\nRUN apk add curl\n"}, "wget")
    entry = next(f for f in fake.files if f["filename"] == "services/api/Dockerfile")
    del entry["patch"]  # GitHub leaves it out for diffs too large to show
    run.shallow_checkout(run.head)
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "1"  # line 2's AG101; line 3's is legacy
    assert "`apk add wget`" in fake.reviews[0]["body"] and "GitHub shows no diff for this file" in fake.reviews[0]["body"]


def test_more_files_than_github_lists_come_from_git(run, fake):
    fake.max_listed_files = 2  # GitHub stops at 3,000; the fake at 2 here
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "5"  # tools/Dockerfile, the third file, is checked
    assert "GitHub lists 2 of the 3 changed files; the full list came from git" in done.summary


# ---- 3. stale and overlapping runs ----

def test_a_run_for_an_old_head_posts_and_deletes_nothing(run, fake):
    assert run().returncode == 0
    before = [dict(c) for c in fake.comments]
    run.push_head(dict(HEAD, **{"tools/Dockerfile": "FROM alpine:3.22\n"}), "newer")  # the PR moved on
    newer = fake.head_sha
    fake.head_sha = newer
    old_head = git(run.repo, "rev-parse", "HEAD~1").strip()
    run.head, fake.requests = old_head, []
    done = run()  # a re-run of the workflow for the older commit
    assert done.returncode == 0, done.stdout
    assert [c for c in fake.calls() if not c.startswith("GET")] == []
    assert fake.comments == before and "moved on to" in done.summary


def test_a_comment_someone_else_deleted_first_is_no_error(run, fake):
    assert run().returncode == 0
    run.push_head(dict(HEAD, **{"services/web/Dockerfile": BASE["services/web/Dockerfile"]}), "fix web")
    web = next(c for c in fake.comments if c["path"] == "services/web/Dockerfile")
    fake.faults.append(Fault("DELETE", f"/comments/{web['id']}", 404, lands=True,
                             body={"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))
    done = run()
    assert done.returncode == 0, done.stdout
    assert web["id"] not in {c["id"] for c in fake.comments}


# ---- 4. a request for changes is lifted once resolved ----

def test_own_request_for_changes_is_dismissed_when_fixed(run, fake):
    assert run(**{"fail-level": "warning", "request-changes": "true"}).returncode == 1
    assert fake.reviews[0]["state"] == "CHANGES_REQUESTED"
    other = fake.add_review("Please also update the docs", "REQUEST_CHANGES", login="maintainer")
    run.push_head({"services/api/Dockerfile": BASE["services/api/Dockerfile"],
                   "services/web/Dockerfile": BASE["services/web/Dockerfile"],
                   "tools/Dockerfile": "FROM alpine:3.22\n"}, "fix all")
    fake.write_times = []
    done = run(**{"fail-level": "warning", "request-changes": "true"})
    assert done.returncode == 0, done.stdout
    assert fake.reviews[0]["state"] == "DISMISSED" and other["state"] == "CHANGES_REQUESTED"
    gaps = [later - earlier for earlier, later in zip(fake.write_times, fake.write_times[1:])]
    assert len(gaps) >= 2 and min(gaps) >= 1.0  # GitHub's advice: a second between writes
    assert "1 earlier request(s) for changes dismissed" in done.summary
    assert any(m == "PUT" for m, _path, _body in fake.requests)


# ---- 5. rate limits as GitHub documents them ----

def test_a_secondary_limit_is_waited_out_at_least_a_minute(run, fake):
    fake.faults.append(Fault("POST", "/reviews", 403, body={
        "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
        "documentation_url": "https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api"}))
    done = run()
    assert done.returncode == 0, done.stdout
    assert len(fake.reviews) == 1  # not taken for "the token cannot write"
    assert run.clock.sleeps[:1] == [60.0]


def test_primary_limit_waits_until_reset_and_retry_after_wins(run, fake):
    fake.faults.append(Fault("GET", "/files", 403, headers_at=lambda now: {
        "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(now) + 30)},
        body={"message": "API rate limit exceeded", "documentation_url": "https://docs.github.com/rest"}))
    fake.faults.append(Fault("POST", "/reviews", 429, headers={"retry-after": "7"},
                             body={"message": "You have exceeded a secondary rate limit",
                                   "documentation_url": "https://docs.github.com/rest"}))
    done = run()
    assert done.returncode == 0, done.stdout
    assert run.clock.sleeps == [31.0, 7.0] and len(fake.reviews) == 1


def test_too_long_a_wait_falls_back_to_annotations_and_says_why(run, fake):
    fake.faults.append(Fault("POST", "/reviews", 429, headers={"retry-after": "3600"}, times=5,
                             body={"message": "You have exceeded a secondary rate limit",
                                   "documentation_url": "https://docs.github.com/rest"}))
    done = run()
    assert done.returncode == 0, done.stdout
    assert fake.reviews == [] and run.clock.sleeps == []
    assert "rate limit" in done.summary and done.stdout.count("::warning file=") == 5


def test_replies_are_read_from_the_listing_not_one_request_per_comment(run, fake):
    assert run().returncode == 0
    web = next(c for c in fake.comments if c["path"] == "services/web/Dockerfile")
    fake.add_comment("services/web/Dockerfile", 1, "we pin this elsewhere", in_reply_to=web["id"], login="dev")
    run.push_head(dict(HEAD, **{"services/web/Dockerfile": BASE["services/web/Dockerfile"]}), "fix web")
    fake.requests = []
    done = run()
    assert done.returncode == 0, done.stdout
    assert not [c for c in fake.calls() if c.startswith("GET /pulls/comments/")]
    assert "No longer reported" in next(c for c in fake.comments if c["id"] == web["id"])["body"]


# ---- 6. only the Action's own markers count ----

def test_a_marker_pasted_by_someone_else_neither_hides_nor_gets_deleted(run, fake):
    assert run(review="false").returncode == 0
    run(review="true")
    copied = {c["path"]: c["body"] for c in fake.comments}
    fake.comments.clear()
    fake.reviews.clear()
    pasted = fake.add_comment("services/web/Dockerfile", 1, copied["services/web/Dockerfile"], login="dev")
    stale = fake.add_comment("tools/Dockerfile", 2, "<!-- alpineguard:finding id=0123456789abcdef -->\nold", login="dev")
    done = run()
    assert done.returncode == 0, done.stdout
    ours = [c for c in fake.comments if c["user"]["login"] == "github-actions[bot]"]
    assert sorted(c["path"] for c in ours) == ["services/api/Dockerfile", "services/web/Dockerfile", "tools/Dockerfile"]
    assert pasted in fake.comments and stale in fake.comments


def test_the_token_identity_decides_which_markers_are_own(run, fake):
    fake.identity = "alpineguard-app[bot]"  # an App's installation token
    body = "<!-- alpineguard:finding id=0123456789abcdef -->\nfrom another tool"
    foreign = fake.add_comment("tools/Dockerfile", 2, body, login="github-actions[bot]")
    done = run()
    assert done.returncode == 0, done.stdout
    assert foreign in fake.comments
    assert {c["user"]["login"] for c in fake.comments if c is not foreign} == {"alpineguard-app[bot]"}


# ---- 7. push and merge_group honour filter-mode ----

def test_push_reports_only_what_it_changed(run, fake):
    legacy_pull_request(run)
    run.push_head({"services/api/Dockerfile": "FROM alpine:3.22\nRUN apk add wget\nRUN apk add curl\n"}, "wget")
    run.event_name = "push"
    run.payload = {"ref": "refs/heads/main", "before": run.base, "after": run.head, "created": False}
    run.shallow_checkout(run.head)
    done = run()
    assert done.returncode == 0, done.stdout
    assert done.outputs["findings"] == "1" and "wget" in done.stdout and "curl" not in done.stdout
    assert fake.requests == []
    assert f"against the commit before the push {run.base[:12]}" in done.summary


def test_merge_group_compares_with_its_base(run, fake):
    legacy_pull_request(run)
    run.event_name = "merge_group"
    run.payload = {"action": "checks_requested",
                   "merge_group": {"head_sha": run.head, "head_ref": "refs/heads/gh-readonly-queue/main/pr-7",
                                   "base_sha": run.base, "base_ref": "refs/heads/main"}}
    run.shallow_checkout(run.head)
    done = run(**{"fail-level": "warning"})
    assert done.returncode == 0, done.stdout  # the legacy line does not fail the queue
    assert done.outputs["findings"] == "0" and "merge group's base" in done.summary


def test_a_push_creating_a_branch_and_workflow_dispatch_check_everything_and_say_so(run, fake):
    legacy_pull_request(run)
    run.event_name = "push"
    run.payload = {"ref": "refs/heads/topic", "before": "0" * 40, "after": run.head, "created": True}
    done = run()  # services/api's legacy AG101, services/web's AG201, tools' AG101 and AG104
    assert done.outputs["findings"] == "4" and "creates the branch" in done.summary
    run.event_name = "workflow_dispatch"
    done = run()
    assert done.outputs["findings"] == "4" and "workflow_dispatch run has no diff" in done.summary


# ---- 9. limits and escaping ----

def test_one_long_finding_stays_inline_within_the_size_limit(run, fake):
    name = "p" * 70000
    run.push_head(dict(HEAD, **{"tools/Dockerfile": f"FROM alpine:3.22\nRUN apk add {name}\n"}), "long")
    done = run()
    assert done.returncode == 0, done.stdout
    assert len(fake.reviews) == 1 and len(fake.comments) == 3  # every range still inline
    long = next(c for c in fake.comments if c["path"] == "tools/Dockerfile")
    assert len(long["body"]) <= 65536 and "message shortened" in long["body"]
    assert "too long for a review comment" in long["body"]


def test_workflow_commands_escape_the_actions_own_messages():
    stream = io.StringIO()
    Console(stream, "").error("a%b\r\nc: d, e")
    assert stream.getvalue() == "::error title=alpineguard::a%25b%0D%0Ac: d, e\n"


def test_annotations_beyond_githubs_caps_are_counted_with_the_actions_own(run, fake):
    run.event_name = "workflow_dispatch"
    run.push_head({f"images/n{n}/Dockerfile": 'FROM alpine:3.22\nCMD ["sh"]\n' for n in range(10)}, "ten images")
    done = run(path="images")
    assert done.outputs["findings"] == "10"
    notices = [line for line in done.stdout.splitlines() if line.startswith("::notice ")]
    assert len(notices) == 10  # the Action's own notice and nine of the ten AG301 infos
    assert "1 annotation(s) not shown (1 notice)" in done.summary


# ---- 11. inputs ----

def test_select_ignore_build_args_and_target_inputs(run, fake):
    assert run(select="AG2", review="false").outputs["findings"] == "1"
    assert run(ignore="AG101, AG104", review="false").outputs["findings"] == "1"
    run.push_head(dict(HEAD, **{"tools/Dockerfile": "ARG IMAGE=alpine:3.22\nFROM ${IMAGE} AS build\n"
                                                    "RUN apk add --no-cache gcc\nFROM alpine:3.22\n"
                                                    'RUN apk add --no-cache tini\nENTRYPOINT ["/sbin/tini", "--"]\n'}),
                  "stages")
    done = run(path="tools", review="false", **{"filter-mode": "file", "build-args": "IMAGE=alpine:latest",
                                                "target": "build"})
    assert sorted(re.findall(r"title=(AG\d+)", done.stdout)) == ["AG104", "AG201"]
    assert run(path="tools", review="false", select="AG9").returncode == 2
