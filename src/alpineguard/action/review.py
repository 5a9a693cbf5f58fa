"""The pull-request review through PyGithub's requester: read the PR, its files, earlier
comments and reviews, post one review, tidy comments whose finding is gone, lift the
Action's own request for changes once it is resolved.

Lists are read as the JSON GitHub sends (PyGithub's objects fetch each comment again when
a field such as `in_reply_to_id` is absent). PyGithub's own retry is off: `_retrying`
replaces it, following GitHub's documented rate-limit rules, backing off on 5xx and lost
connections, and asking whether a lost POST landed before repeating it. Imported only by
the Action: the plain lint path never loads PyGithub."""
from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests
from github import Auth, Github, GithubException

from ..runner import fails
from ..model import Severity
from .diff import ChangedFile
from .comments import FINDING_MARKER, REVIEW_MARKER, Entry, marker, review_body

ATTEMPTS = 4  # for server errors and lost connections
WRITE_GAP_SECONDS = 1.0
BACKOFF_SECONDS = 1.0
SECONDARY_LIMIT_SECONDS = 60.0  # GitHub: without other advice, wait at least one minute
MAX_TOTAL_WAIT_SECONDS = 300.0  # rate-limit waits of one run, together; then the annotations suffice
# No documented cap, but very large reviews time out on GitHub's side and flood notifications.
MAX_INLINE_COMMENTS = 50
JOB_TOKEN_LOGIN = "github-actions[bot]"
_MARKER_ANYWHERE = re.compile(r"<!-- alpineguard:finding id=([0-9a-f]{16}(?:\.\d+)?)( gone)? -->")
_NEXT_PAGE = re.compile(r'<([^>]+)>;\s*rel="next"')


class ApiError(Exception):
    """GitHub did not do what was asked, after the retries; one line for the log."""


class NoWriteAccess(ApiError):
    """The token may read but not write (a pull request from a fork, or no `pull-requests: write`)."""


class Rejected(ApiError):
    """422: GitHub refused the request as invalid, usually a comment line outside the diff."""


class Gone(ApiError):
    """404: the object is not there (another run or a person already removed it)."""


class RateLimited(ApiError):
    """GitHub's rate limit asks for more waiting than the run allows."""


class Clock:
    """Wall time and sleeping; tests pass one that only pretends."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass
class ExistingComment:
    id: int
    finding_id: str | None
    gone: bool
    in_reply_to: int | None
    body: str
    author: str


@dataclass
class ExistingReview:
    id: int
    body: str
    state: str
    author: str


@dataclass
class PullState:
    head_sha: str
    base_sha: str
    changed_files: int


def _header(headers: dict | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def _message(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    return str(data.get("message") or error.message or "")


def rate_limit_wait(error: GithubException, now: float, attempt: int) -> float | None:
    """Seconds to wait when `error` is a rate limit, else None, as GitHub's REST documentation
    ("Rate limits for the REST API") says: `retry-after` first; else with no requests left,
    until `x-ratelimit-reset`; else for a secondary limit at least a minute, growing."""
    if error.status not in (403, 429):
        return None
    retry_after = _header(error.headers, "retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return SECONDARY_LIMIT_SECONDS
    reset = _header(error.headers, "x-ratelimit-reset")
    if _header(error.headers, "x-ratelimit-remaining") == "0" and reset is not None:
        try:
            return max(0.0, float(reset) - now) + 1.0
        except ValueError:
            return SECONDARY_LIMIT_SECONDS
    if error.status == 429 or "secondary rate limit" in _message(error).lower():
        return SECONDARY_LIMIT_SECONDS * 2 ** attempt
    return None


def _describe(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    message = _message(error) or "no message"
    details = data.get("errors")
    if isinstance(details, list) and details:
        message += ": " + "; ".join(str(d.get("message", d) if isinstance(d, dict) else d) for d in details[:3])
    return f"HTTP {error.status}: {message}"


class GitHubClient:
    def __init__(self, api_url: str, token: str, repository: str, number: int,
                 log: Callable[[str], None], clock: Clock | None = None):
        logging.getLogger("github").setLevel(logging.CRITICAL)  # our own messages say what failed
        github = Github(auth=Auth.Token(token), base_url=api_url, per_page=100, retry=None, timeout=30,
                        seconds_between_requests=0, seconds_between_writes=0, lazy=True)
        self._requester = github.requester
        self._repo = f"/repos/{repository}"
        self._pull = f"{self._repo}/pulls/{number}"
        self._log, self._clock = log, clock or Clock()
        self.waited = 0.0  # seconds spent waiting out rate limits
        self._last_write: float | None = None

    def _retrying(self, what: str, call: Callable[[], Any], write: bool = False,
                  landed: Callable[[], Any] | None = None) -> Any:
        """Run `call`; on a rate limit wait and repeat (within the run's total); on a 5xx or a lost
        connection back off and repeat, but for a POST ask `landed` first whether it took effect."""
        failures = limits = 0
        while True:
            if write:
                self._space_writes()
            try:
                return call()
            except GithubException as error:
                wait = rate_limit_wait(error, self._clock.time(), limits)
                if error.status == 404:
                    raise Gone(f"{what}: {_describe(error)}") from None
                if error.status == 422:
                    raise Rejected(f"{what}: {_describe(error)}") from None
                if wait is None and error.status == 403 and write:
                    raise NoWriteAccess(f"{what}: {_describe(error)}") from None
                ambiguous = wait is None and error.status >= 500
                if wait is None and not ambiguous:
                    raise ApiError(f"{what}: {_describe(error)}") from None
                reason = _describe(error)
            except requests.RequestException as error:
                wait, ambiguous, reason = None, True, f"{type(error).__name__}"
            if wait is not None:
                limits += 1
                if self.waited + wait > MAX_TOTAL_WAIT_SECONDS:
                    raise RateLimited(f"{what}: {reason}; GitHub asks to wait {wait:.0f} s more, after "
                                      f"{self.waited:.0f} s of waiting in this run") from None
                self.waited += wait
                delay = wait
            else:
                failures += 1
                if failures >= ATTEMPTS:
                    raise ApiError(f"{what}: {reason}, still after {ATTEMPTS} attempts")
                delay = BACKOFF_SECONDS * 2 ** (failures - 1)
            self._log(f"{what}: {reason}; retrying in {delay:.0f} s")
            self._clock.sleep(delay)
            if ambiguous and landed is not None:
                result = landed()
                if result is not None:
                    return result

    def _space_writes(self) -> None:
        """GitHub advises a second between writes (against secondary limits); reads need no gap."""
        now = self._clock.time()
        if self._last_write is not None and now - self._last_write < WRITE_GAP_SECONDS:
            self._clock.sleep(WRITE_GAP_SECONDS - (now - self._last_write))
            now = self._clock.time()
        self._last_write = now

    def _get(self, path: str, parameters: dict | None = None, headers: dict | None = None) -> Any:
        return self._requester.requestJsonAndCheck("GET", path, parameters=parameters, headers=headers)[1]

    def _list(self, path: str) -> list[dict]:
        """Every page of a list, as GitHub's JSON."""
        items: list[dict] = []
        url: str | None = path
        parameters: dict | None = {"per_page": 100}
        while url:
            headers, data = self._requester.requestJsonAndCheck("GET", url, parameters=parameters)
            items += data if isinstance(data, list) else []
            match = _NEXT_PAGE.search(_header(headers, "link") or "")
            url, parameters = (match.group(1), None) if match else (None, None)
        return items

    def identity(self) -> str:
        """The login the token acts as: a user for a personal token, `<app>[bot]` for an App's
        installation token (`github-actions[bot]` for the job's own). GraphQL's `viewer` answers
        for both; the REST `/user` refuses installation tokens."""
        def ask() -> str:
            _headers, data = self._requester.graphql_query("query { viewer { login } }", {})
            return str(data["data"]["viewer"]["login"])
        try:
            return self._retrying("find the token's identity", ask)
        except (ApiError, KeyError, TypeError) as error:
            self._log(f"cannot tell whom the token acts as ({error}); trusting markers from {JOB_TOKEN_LOGIN}")
            return JOB_TOKEN_LOGIN

    def pull_state(self) -> PullState:
        def fetch() -> PullState:
            data = self._get(self._pull)
            return PullState(str(data["head"]["sha"]), str(data["base"]["sha"]), int(data.get("changed_files") or 0))
        return self._retrying("read the pull request", fetch)

    def files(self) -> list[ChangedFile]:
        def fetch():
            return [ChangedFile(f["filename"], f.get("status", "modified"), f.get("patch"), f.get("previous_filename"),
                                int(f.get("additions") or 0), int(f.get("deletions") or 0))
                    for f in self._list(f"{self._pull}/files")]
        return self._retrying("list pull request files", fetch)

    def comments(self) -> list[ExistingComment]:
        def fetch():
            found = []
            for c in self._list(f"{self._pull}/comments"):
                body = c.get("body") or ""
                match = FINDING_MARKER.match(body)
                found.append(ExistingComment(int(c["id"]), match.group(1) if match else None,
                                             bool(match and match.group(2)), c.get("in_reply_to_id"), body,
                                             str((c.get("user") or {}).get("login") or "")))
            return found
        return self._retrying("list review comments", fetch)

    def reviews(self) -> list[ExistingReview]:
        def fetch():
            return [ExistingReview(int(r["id"]), r.get("body") or "", str(r.get("state") or ""),
                                   str((r.get("user") or {}).get("login") or ""))
                    for r in self._list(f"{self._pull}/reviews")]
        return self._retrying("list reviews", fetch)

    def content(self, path: str, ref: str) -> bytes | None:
        """A file at a commit through the contents API, or the blobs API when it is over the
        contents API's 1 MB (the `object` media type then gives an empty `content`, encoding
        `none`, where the default one may refuse); None when the commit has no such file."""
        def fetch() -> bytes | None:
            data = self._get(f"{self._repo}/contents/{quote(path)}", {"ref": ref},
                             {"Accept": "application/vnd.github.object+json"})
            if not isinstance(data, dict) or data.get("type") != "file":
                return None
            if data.get("encoding") == "base64" and (data.get("content") or not data.get("size")):
                return base64.b64decode(data.get("content") or "")
            blob = self._get(f"{self._repo}/git/blobs/{data['sha']}")
            return base64.b64decode(blob.get("content") or "")
        try:
            return self._retrying(f"read {path} at {ref[:12]}", fetch)
        except Gone:
            return None

    def create_review(self, payload: dict, run_marker: str) -> int:
        def post():
            _headers, data = self._requester.requestJsonAndCheck("POST", f"{self._pull}/reviews", input=payload)
            return data["id"]

        def landed():
            try:
                return 0 if any(run_marker in r.body for r in self.reviews()) else None
            except ApiError:
                return None
        return self._retrying("create review", post, write=True, landed=landed)

    def delete_comment(self, comment: ExistingComment) -> bool:
        """False when the comment was already gone."""
        try:
            self._retrying("delete review comment", lambda: self._requester.requestJsonAndCheck(
                "DELETE", f"{self._repo}/pulls/comments/{comment.id}"), write=True)
        except Gone:
            return False
        return True

    def edit_comment(self, comment: ExistingComment, body: str) -> bool:
        """False when the comment was already gone."""
        try:
            self._retrying("update review comment", lambda: self._requester.requestJsonAndCheck(
                "PATCH", f"{self._repo}/pulls/comments/{comment.id}", input={"body": body}), write=True)
        except Gone:
            return False
        return True

    def dismiss_review(self, review: ExistingReview, message: str) -> None:
        self._retrying("dismiss review", lambda: self._requester.requestJsonAndCheck(
            "PUT", f"{self._pull}/reviews/{review.id}/dismissals", input={"message": message, "event": "DISMISS"}),
            write=True)


@dataclass
class Outcome:
    reviewed: bool = False
    inline: int = 0
    in_body: int = 0
    already_posted: int = 0
    deleted: int = 0
    noted: int = 0
    dismissed: int = 0
    notes: list[str] = field(default_factory=list)


def publish(client: GitHubClient, entries: list[Entry], head_sha: str, run_marker: str, request_changes: bool,
            fail_level: Severity | None, relocate: Callable[[list[Entry]], int],
            log: Callable[[str], None]) -> Outcome:
    """One review with the findings not posted before; stale comments deleted or noted; the
    Action's own request for changes dismissed once nothing at the fail level is left.

    Only comments and reviews by the token's own identity count: anyone can paste a marker.
    `relocate` re-reads the diff after a 422 and moves the comments that left it into the body."""
    outcome = Outcome()
    me = client.identity()
    existing = client.comments()
    ours = [c for c in existing if c.finding_id is not None and c.author == me]
    reviews = [r for r in client.reviews() if r.author == me and REVIEW_MARKER in r.body]
    posted = {c.finding_id for c in ours if not c.gone}
    posted |= {m.group(1) for r in reviews for m in _MARKER_ANYWHERE.finditer(r.body)}
    new = [e for e in entries if e.id not in posted]
    outcome.already_posted = len(entries) - len(new)
    for extra in [e for e in new if e.inline][MAX_INLINE_COMMENTS:]:
        extra.to_body(f"over the limit of {MAX_INLINE_COMMENTS} inline comments per review")

    blocking_now = request_changes and fails([f for e in entries for f in e.findings], fail_level)
    if new:
        blocking = request_changes and fails([f for e in new for f in e.findings], fail_level)
        event = "REQUEST_CHANGES" if blocking else "COMMENT"

        def payload() -> dict:
            inline = [e for e in new if e.inline]
            return {"commit_id": head_sha, "event": event,
                    "body": review_body(run_marker, new, len(inline), len(new)),
                    "comments": [e.review_comment() for e in inline]}
        try:
            client.create_review(payload(), run_marker)
        except Rejected as error:
            moved = relocate(new)
            if not moved:
                for entry in new:
                    if entry.inline:
                        entry.to_body("GitHub did not accept it on the diff")
                moved = len([e for e in new if not e.inline])
            log(f"{error}; {moved} comment(s) moved into the review body")
            client.create_review(payload(), run_marker)
        outcome.reviewed = True
        outcome.inline = len([e for e in new if e.inline])
        outcome.in_body = len(new) - outcome.inline

    if request_changes and not blocking_now:
        for review in reviews:
            if review.state == "CHANGES_REQUESTED":
                try:
                    client.dismiss_review(review, f"alpineguard: nothing at the fail level is left as of {head_sha[:12]}.")
                    outcome.dismissed += 1
                except (Gone, Rejected, NoWriteAccess) as error:
                    outcome.notes.append(f"The earlier request for changes could not be dismissed ({error}).")

    current = {e.id for e in entries}
    replied_to = {c.in_reply_to for c in existing if c.in_reply_to}
    for comment in ours:
        if comment.gone or comment.finding_id in current:
            continue
        if comment.id in replied_to:
            rest = comment.body.split("\n", 1)[1] if "\n" in comment.body else ""
            if client.edit_comment(comment, f"{marker(comment.finding_id, gone=True)}\n"
                                            f"**No longer reported** by alpineguard as of {head_sha[:12]}; "
                                            f"left in place for the replies below.\n{rest}"):
                outcome.noted += 1
        elif client.delete_comment(comment):
            outcome.deleted += 1
    return outcome
