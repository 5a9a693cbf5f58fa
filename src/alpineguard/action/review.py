"""The pull-request review through PyGithub: read the PR's files and earlier comments,
post one review, tidy comments whose finding is gone. Every call retries on 5xx and rate
limits; a retried POST first looks whether the review already exists, so a run never
creates two. Imported only by the Action: the plain lint path never loads PyGithub."""
from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Optional

import requests
from github import Auth, Github, GithubException

from ..engine import fails
from ..model import Severity
from .comments import FINDING_MARKER, REVIEW_MARKER, Entry, marker, review_body

ATTEMPTS = 4
BACKOFF_SECONDS = 1.0
MAX_WAIT_SECONDS = 300.0  # a rate limit that resets later than this ends the run instead
# No documented cap, but very large reviews time out on GitHub's side and flood notifications.
MAX_INLINE_COMMENTS = 50
_MARKER_ANYWHERE = re.compile(r"<!-- alpineguard:finding id=([0-9a-f]{16}(?:\.\d+)?)( gone)? -->")


class ApiError(Exception):
    """GitHub did not do what was asked, after the retries; one line for the log."""


class NoWriteAccess(ApiError):
    """The token may read but not write (a pull request from a fork, or no `pull-requests: write`)."""


class Rejected(ApiError):
    """422: GitHub refused the review as invalid, usually a comment line outside the diff."""


@dataclass
class ChangedFile:
    path: str
    status: str
    patch: Optional[str]  # None for binary files and diffs too large for the API
    previous_path: Optional[str] = None


@dataclass
class ExistingComment:
    id: int
    finding_id: Optional[str]
    gone: bool
    in_reply_to: Optional[int]
    body: str
    handle: Any  # the PyGithub comment, to edit or delete it


def _header(headers: Optional[dict], name: str) -> Optional[str]:
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def rate_limit_wait(error: GithubException, now: float) -> Optional[float]:
    """Seconds to wait when `error` is a rate limit (primary or secondary), else None."""
    if error.status not in (403, 429):
        return None
    retry_after = _header(error.headers, "retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            return BACKOFF_SECONDS
    reset = _header(error.headers, "x-ratelimit-reset")
    if _header(error.headers, "x-ratelimit-remaining") == "0" and reset is not None:
        try:
            return max(0.0, float(reset) - now) + 1.0
        except ValueError:
            return BACKOFF_SECONDS
    return BACKOFF_SECONDS if error.status == 429 else None


def _describe(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    message = str(data.get("message") or error.message or "no message")
    details = data.get("errors")
    if isinstance(details, list) and details:
        message += ": " + "; ".join(str(d.get("message", d) if isinstance(d, dict) else d) for d in details[:3])
    return f"HTTP {error.status}: {message}"


class GitHubClient:
    def __init__(self, api_url: str, token: str, repository: str, number: int,
                 log: Callable[[str], None], sleep: Callable[[float], None] = time.sleep):
        logging.getLogger("github").setLevel(logging.CRITICAL)  # our own messages say what failed
        # Writes keep GitHub's advised second between them; reads need no gap.
        self._github = Github(auth=Auth.Token(token), base_url=api_url, per_page=100, retry=None, timeout=30,
                              seconds_between_requests=0, seconds_between_writes=1.0, lazy=True)
        self._pull = self._github.get_repo(repository).get_pull(number)
        self._log, self._sleep = log, sleep

    def _retrying(self, what: str, call: Callable[[], Any], write: bool = False,
                  landed: Optional[Callable[[], Any]] = None) -> Any:
        """Run `call`; on a rate limit wait and repeat; on a 5xx or a lost connection back off and
        repeat, but for a POST ask `landed` first whether the lost request took effect."""
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            try:
                return call()
            except GithubException as error:
                wait = rate_limit_wait(error, time.time())
                if wait is None and error.status == 403 and write:
                    raise NoWriteAccess(f"{what}: {_describe(error)}") from None
                if error.status == 422:
                    raise Rejected(f"{what}: {_describe(error)}") from None
                ambiguous = wait is None and error.status >= 500
                if wait is None and not ambiguous:
                    raise ApiError(f"{what}: {_describe(error)}") from None
                if wait is not None and wait > MAX_WAIT_SECONDS:
                    raise ApiError(f"{what}: rate limited for {wait:.0f} s more; not waiting") from None
                reason = _describe(error)
            except requests.RequestException as error:
                wait, ambiguous, reason = None, True, f"{type(error).__name__}"
            if last:
                raise ApiError(f"{what}: {reason}, still after {ATTEMPTS} attempts")
            delay = wait if wait is not None else BACKOFF_SECONDS * 2 ** attempt
            self._log(f"{what}: {reason}; retrying in {delay:.0f} s")
            self._sleep(delay)
            if ambiguous and landed is not None:
                result = landed()
                if result is not None:
                    return result
        raise AssertionError("unreachable")

    def files(self) -> list[ChangedFile]:
        def fetch():
            return [ChangedFile(f.filename, f.status, f.patch, f.previous_filename) for f in self._pull.get_files()]
        return self._retrying("list pull request files", fetch)

    def comments(self) -> list[ExistingComment]:
        def fetch():
            found = []
            for c in self._pull.get_review_comments():
                match = FINDING_MARKER.match(c.body or "")
                found.append(ExistingComment(c.id, match.group(1) if match else None,
                                             bool(match and match.group(2)), c.in_reply_to_id, c.body or "", c))
            return found
        return self._retrying("list review comments", fetch)

    def _reviews(self) -> list[str]:
        return [r.body or "" for r in self._pull.get_reviews() if REVIEW_MARKER in (r.body or "")]

    def reviewed_ids(self) -> set[str]:
        """Ids of findings listed in the bodies of earlier alpineguard reviews."""
        bodies = self._retrying("list reviews", self._reviews)
        return {m.group(1) for body in bodies for m in _MARKER_ANYWHERE.finditer(body)}

    def create_review(self, payload: dict, run_marker: str) -> int:
        def post():
            _headers, data = self._github.requester.requestJsonAndCheck(
                "POST", f"{self._pull.url}/reviews", input=payload)
            return data["id"]

        def landed():
            try:
                return 0 if any(run_marker in body for body in self._reviews()) else None
            except (GithubException, requests.RequestException):
                return None
        return self._retrying("create review", post, write=True, landed=landed)

    def delete_comment(self, comment: ExistingComment) -> None:
        self._retrying("delete review comment", comment.handle.delete, write=True)

    def edit_comment(self, comment: ExistingComment, body: str) -> None:
        self._retrying("update review comment", lambda: comment.handle.edit(body), write=True)


@dataclass
class Outcome:
    reviewed: bool = False
    inline: int = 0
    in_body: int = 0
    already_posted: int = 0
    deleted: int = 0
    noted: int = 0


def publish(client: GitHubClient, entries: list[Entry], head_sha: str, run_marker: str, request_changes: bool,
            fail_level: Optional[Severity], relocate: Callable[[list[Entry]], int],
            log: Callable[[str], None]) -> Outcome:
    """One review with the findings not posted before; stale comments deleted or noted.

    `relocate` re-reads the diff after a 422 and moves the comments that left it into the body."""
    outcome = Outcome()
    existing = client.comments()
    ours = [c for c in existing if c.finding_id is not None]
    posted = {c.finding_id for c in ours if not c.gone} | client.reviewed_ids()
    new = [e for e in entries if e.id not in posted]
    outcome.already_posted = len(entries) - len(new)
    for extra in [e for e in new if e.inline][MAX_INLINE_COMMENTS:]:
        extra.to_body(f"over the limit of {MAX_INLINE_COMMENTS} inline comments per review")

    if new:
        blocking = request_changes and fails([e.finding for e in new], fail_level)
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

    current = {e.id for e in entries}
    replied_to = {c.in_reply_to for c in existing if c.in_reply_to}
    for comment in ours:
        if comment.gone or comment.finding_id in current:
            continue
        if comment.id in replied_to:
            rest = comment.body.split("\n", 1)[1] if "\n" in comment.body else ""
            client.edit_comment(comment, f"{marker(comment.finding_id, gone=True)}\n"
                                         f"**No longer reported** by alpineguard as of {head_sha[:12]}; "
                                         f"left in place for the replies below.\n{rest}")
            outcome.noted += 1
        else:
            client.delete_comment(comment)
            outcome.deleted += 1
    return outcome
