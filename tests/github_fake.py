"""A local stand-in for GitHub's REST API, for the endpoints the Action uses.

It listens on 127.0.0.1 at a random port, validates every request body against the
operation's schema in tests/data/github-api/action-endpoints.json (extracted from GitHub's
published OpenAPI description by tools/github_api_schemas.py) plus a strict check that no
unknown key is sent, answers with complete objects that pass the response schemas, pages
lists with `Link` headers, and behaves as GitHub documents: review comments must sit on
lines of the diff, bodies stop at 65,536 characters, the files list stops at 3,000 files,
files may come without a patch, and rate limits answer with GitHub's headers, computed
from the fake's clock. Faults are queued per request to test retries and fallbacks.
"""
from __future__ import annotations

import functools
import json
import re
import threading
import time
import base64
import hashlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, unquote, urlsplit

import jsonschema
import jsonschema.exceptions

from alpineguard.action.diff import parse_patch
from conftest import DATA

SPEC = json.loads((DATA / "github-api" / "action-endpoints.json").read_text())
OPERATIONS = SPEC["operations"]
MAX_BODY = 65536  # "Body is too long (maximum is 65536 characters)"
MAX_LISTED_FILES = 3000  # "Responses include a maximum of 3000 files"
VIEWER_QUERY = "query { viewer { login } }"


@functools.lru_cache(maxsize=None)
def _validator(operation: str, part: str) -> Optional[jsonschema.Draft202012Validator]:
    """The validator of an operation's request body (`part` "request") or of its response
    with that status; None where the spec has no schema. Each schema is checked against the
    meta-schema once, not at every request: that alone costs 0.2 s for a pull request's."""
    entry = OPERATIONS.get(operation, {})
    if part == "request":
        schema = (entry.get("requestBody") or {}).get("schema")
    else:
        schema = entry.get("responses", {}).get(part, {}).get("schema")
    if schema is None:
        return None
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def schema_error(validator: jsonschema.Draft202012Validator, instance) -> Optional[str]:
    """The message `jsonschema.validate` would raise, else None."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    return None if error is None else error.message


def minimal(schema: dict, where: str = ""):
    """The smallest instance of `schema` with every required field, for the big objects
    (a pull request holds two repositories) whose few fields of interest the fake sets."""
    if "anyOf" in schema or "oneOf" in schema:
        return minimal((schema.get("anyOf") or schema.get("oneOf"))[0], where)
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            merged.update(minimal(part, where))
        return merged
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), None)
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        return {key: minimal(schema["properties"].get(key, {}), f"{where}.{key}")
                for key in schema.get("required", []) if key in schema.get("properties", {})}
    if kind == "array":
        return []
    if kind == "string":
        return {"date-time": "2026-11-26T10:00:00Z", "uri": "https://github.example/x",
                "email": "dev@example.org"}.get(schema.get("format"), "x")
    return {"integer": 1, "number": 1, "boolean": False}.get(kind)


def unknown_keys(instance, schema, where="body") -> list[str]:
    """Keys the schema does not declare (its objects never say additionalProperties: false)."""
    found = []
    if isinstance(instance, dict) and isinstance(schema.get("properties"), dict):
        for key, value in instance.items():
            if key not in schema["properties"]:
                found.append(f"{where}.{key}")
            else:
                found += unknown_keys(value, schema["properties"][key], f"{where}.{key}")
    elif isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(instance):
            found += unknown_keys(item, schema["items"], f"{where}[{i}]")
    return found


@dataclass
class Fault:
    """Answer the next request matching `method` and `path_end` with `status` (after doing it if `lands`)."""
    method: str
    path_end: str
    status: int
    headers: dict = field(default_factory=dict)
    body: Optional[dict] = None
    lands: bool = False
    times: int = 1
    headers_at: Optional[object] = None  # now -> headers, for `x-ratelimit-reset` on the fake's clock


class FakeGitHub:
    def __init__(self, owner="octo-org", repo="service", number=7, token="ghs_fakeTOKENvalue123456", page_size=2,
                 poll_interval=0.01):
        self.owner, self.repo, self.number, self.token = owner, repo, number, token
        self.page_size = page_size  # small, so a few files already span pages
        self.files: list[dict] = []
        self.served_patches: Optional[dict] = None  # path -> patch listed instead of the real one, one listing
        self.reviews: list[dict] = []
        self.comments: list[dict] = []
        self.faults: list[Fault] = []
        self.read_only = False
        self.requests: list[tuple[str, str, Optional[dict]]] = []
        self.write_times: list[float] = []  # the fake's clock at each write (GraphQL queries only read)
        self.problems: list[str] = []  # schema or protocol violations: a test fails on any
        self.head_sha = "a" * 40
        self.base_sha = "b" * 40
        self.max_listed_files = MAX_LISTED_FILES
        self.changed_files: Optional[int] = None  # what `pulls/get` says; default: the files set here
        self.identity = "github-actions[bot]"  # whom the token acts as (GraphQL `viewer`)
        self.contents: dict[tuple[str, str], bytes] = {}  # (commit, path) -> bytes, for contents/blobs
        self.clock = time.time  # the fake's "now", for rate-limit reset times
        self._next_id = 1000
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        # A short poll: shutdown waits for it, at every test's teardown.
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": poll_interval},
                         daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    # ---- objects as GitHub returns them ----
    def _id(self) -> int:
        self._next_id += 1
        return self._next_id

    def user(self, login="github-actions[bot]", kind="Bot") -> dict:
        base = f"{self.url}/users/{login}"
        return {"login": login, "id": 41898282, "node_id": "MDM6Qm90NDE4OTgyODI=",
                "avatar_url": "https://avatars.example/u/41898282", "gravatar_id": "", "url": base,
                "html_url": f"https://github.example/{login}", "followers_url": f"{base}/followers",
                "following_url": f"{base}/following{{/other_user}}", "gists_url": f"{base}/gists{{/gist_id}}",
                "starred_url": f"{base}/starred{{/owner}}{{/repo}}", "subscriptions_url": f"{base}/subscriptions",
                "organizations_url": f"{base}/orgs", "repos_url": f"{base}/repos", "events_url": f"{base}/events{{/privacy}}",
                "received_events_url": f"{base}/received_events", "type": kind, "site_admin": False}

    @property
    def repo_url(self) -> str:
        return f"{self.url}/repos/{self.owner}/{self.repo}"

    def add_file(self, path: str, patch: Optional[str], status="modified", previous: Optional[str] = None):
        additions = sum(1 for line in (patch or "").split("\n") if line.startswith("+"))
        deletions = sum(1 for line in (patch or "").split("\n") if line.startswith("-"))
        entry = {"sha": "b" * 40, "filename": path, "status": status, "additions": additions,
                 "deletions": deletions, "changes": additions + deletions,
                 "blob_url": f"https://github.example/{self.owner}/{self.repo}/blob/{self.head_sha}/{path}",
                 "raw_url": f"https://github.example/{self.owner}/{self.repo}/raw/{self.head_sha}/{path}",
                 "contents_url": f"{self.repo_url}/contents/{path}?ref={self.head_sha}"}
        if patch is not None:
            entry["patch"] = patch
        if previous:
            entry["previous_filename"] = previous
        self.files.append(entry)

    def add_comment(self, path: str, line: int, body: str, in_reply_to: Optional[int] = None,
                    login="github-actions[bot]", review_id: Optional[int] = None) -> dict:
        cid = self._id()
        url = f"{self.repo_url}/pulls/comments/{cid}"
        comment = {"url": url, "pull_request_review_id": review_id or self._id(), "id": cid,
                   "node_id": f"PRRC_{cid}", "diff_hunk": "@@ -1,1 +1,1 @@", "path": path, "position": 1,
                   "original_position": 1, "commit_id": self.head_sha, "original_commit_id": self.head_sha,
                   "user": self.user(login, "Bot" if login.endswith("[bot]") else "User"), "body": body,
                   "created_at": "2026-11-26T10:00:00Z", "updated_at": "2026-11-26T10:00:00Z",
                   "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/{self.number}#discussion_r{cid}",
                   "pull_request_url": f"{self.repo_url}/pulls/{self.number}", "author_association": "CONTRIBUTOR",
                   "_links": {"self": {"href": url}, "html": {"href": f"https://github.example/c/{cid}"},
                              "pull_request": {"href": f"{self.repo_url}/pulls/{self.number}"}},
                   "line": line, "original_line": line, "side": "RIGHT", "subject_type": "line"}
        if in_reply_to is not None:
            comment["in_reply_to_id"] = in_reply_to
        self.comments.append(comment)
        return comment

    def add_review(self, body: str, event: str = "COMMENT", login: Optional[str] = None) -> dict:
        review = self._review(body, event, self.head_sha)
        if login is not None:
            review["user"] = self.user(login, "Bot" if login.endswith("[bot]") else "User")
        return review

    def _review(self, body: str, event: str, commit: str) -> dict:
        rid = self._id()
        review = {"id": rid, "node_id": f"PRR_{rid}", "user": self.user(self.identity), "body": body,
                  "state": {"COMMENT": "COMMENTED", "REQUEST_CHANGES": "CHANGES_REQUESTED"}.get(event, "PENDING"),
                  "html_url": f"https://github.example/{self.owner}/{self.repo}/pull/{self.number}#pullrequestreview-{rid}",
                  "pull_request_url": f"{self.repo_url}/pulls/{self.number}",
                  "_links": {"html": {"href": f"https://github.example/r/{rid}"},
                             "pull_request": {"href": f"{self.repo_url}/pulls/{self.number}"}},
                  "submitted_at": "2026-11-26T10:00:00Z", "commit_id": commit, "author_association": "CONTRIBUTOR"}
        self.reviews.append(review)
        return review

    # ---- request handling ----
    def _patches(self) -> dict:
        return {f["filename"]: f.get("patch") for f in self.files}

    @staticmethod
    def _too_long(*bodies: str) -> Optional[tuple[int, dict]]:
        if any(len(b) > MAX_BODY for b in bodies):
            return 422, {"message": "Validation Failed", "errors": [f"Body is too long (maximum is {MAX_BODY} characters)"],
                         "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"}
        return None

    def _create_review(self, body: dict) -> tuple[int, object]:
        refused = self._too_long(body.get("body", ""), *(c.get("body", "") for c in body.get("comments", [])))
        if refused:
            return refused
        patches = self._patches()
        for comment in body.get("comments", []):
            patch = patches.get(comment["path"])
            diff = parse_patch(patch) if patch else None
            first = comment.get("start_line", comment.get("line"))
            if diff is None or not diff.same_hunk(first, comment.get("line", 0)):
                return 422, {"message": "Unprocessable Entity", "errors": ["Line could not be resolved"],
                             "documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request"}
        review = self._review(body.get("body", ""), body.get("event", ""), body.get("commit_id", self.head_sha))
        for comment in body.get("comments", []):
            made = self.add_comment(comment["path"], comment["line"], comment["body"], review_id=review["id"],
                                    login=self.identity)
            if "start_line" in comment:
                made.update(start_line=comment["start_line"], original_start_line=comment["start_line"],
                            start_side=comment.get("start_side", "RIGHT"))
        return 200, review

    @staticmethod
    def _blob_sha(data: bytes) -> str:
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    def _content(self, path: str, ref: str, accept: str) -> tuple[str, int, object]:
        data = self.contents.get((ref, path))
        if data is None:
            return "repos/get-content", 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
        sha = self._blob_sha(data)
        large = len(data) > 1024 * 1024  # between 1 and 100 MB only the raw and object media types answer
        if large and "object" not in accept:
            return "repos/get-content", 403, {"message": "This API returns blobs up to 1 MB in size. The requested "
                                              "blob is too large to fetch via the API", "errors": [{"code": "too_large"}],
                                              "documentation_url": "https://docs.github.com/rest/repos/contents"}
        links = {"self": f"{self.repo_url}/contents/{path}", "git": f"{self.repo_url}/git/blobs/{sha}",
                 "html": f"https://github.example/{self.owner}/{self.repo}/blob/{ref}/{path}"}
        return "repos/get-content", 200, {
            "type": "file", "encoding": "none" if large else "base64", "size": len(data), "name": path.rsplit("/", 1)[-1],
            "path": path, "content": "" if large else base64.b64encode(data).decode(), "sha": sha,
            "url": links["self"], "git_url": links["git"], "html_url": links["html"], "download_url": None,
            "_links": links}

    def pull_request(self) -> dict:
        pull = minimal(OPERATIONS["pulls/get"]["responses"]["200"]["schema"])
        pull.update(number=self.number, state="open", changed_files=self.changed_files if self.changed_files
                    is not None else len(self.files), url=f"{self.repo_url}/pulls/{self.number}")
        pull["head"].update(sha=self.head_sha, ref="feature")
        pull["base"].update(sha=self.base_sha, ref="main")
        return pull

    def _route(self, method: str, path: str, body, query: Optional[dict] = None,
               accept: str = "") -> tuple[Optional[str], int, object]:
        """(operationId, status, response) for one request."""
        query = query or {}
        pulls = f"/repos/{self.owner}/{self.repo}/pulls"
        match = re.fullmatch(rf"{pulls}/comments/(\d+)", path)
        if match:
            comment = next((c for c in self.comments if c["id"] == int(match.group(1))), None)
            if comment is None:
                return None, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            if method == "GET":
                return "pulls/get-review-comment", 200, comment
            if method == "PATCH":
                refused = self._too_long(body["body"])
                if refused:
                    return ("pulls/update-review-comment",) + refused
                comment.update(body=body["body"], updated_at="2026-11-26T11:00:00Z")
                return "pulls/update-review-comment", 200, comment
            if method == "DELETE":
                self.comments.remove(comment)
                return "pulls/delete-review-comment", 204, None
        if path == "/graphql" and method == "POST":
            if body != {"query": VIEWER_QUERY, "variables": {}}:
                self.problems.append(f"graphql: unexpected query {body!r}")
            return "graphql", 200, {"data": {"viewer": {"login": self.identity}}}
        if path == f"{pulls}/{self.number}" and method == "GET":
            return "pulls/get", 200, self.pull_request()
        match = re.fullmatch(rf"/repos/{self.owner}/{self.repo}/contents/(.+)", path)
        if match and method == "GET":
            return self._content(unquote(match.group(1)), query.get("ref", [""])[0], accept)
        match = re.fullmatch(rf"/repos/{self.owner}/{self.repo}/git/blobs/([0-9a-f]+)", path)
        if match and method == "GET":
            data = next((d for d in self.contents.values() if self._blob_sha(d) == match.group(1)), None)
            if data is None:
                return "git/get-blob", 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            return "git/get-blob", 200, {"sha": match.group(1), "node_id": "B_1", "size": len(data),
                                         "url": f"{self.repo_url}/git/blobs/{match.group(1)}",
                                         "content": base64.b64encode(data).decode(), "encoding": "base64"}
        match = re.fullmatch(rf"{pulls}/{self.number}/reviews/(\d+)/dismissals", path)
        if match and method == "PUT":
            review = next((r for r in self.reviews if r["id"] == int(match.group(1))), None)
            if review is None:
                return "pulls/dismiss-review", 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            if review["state"] != "CHANGES_REQUESTED":
                return "pulls/dismiss-review", 422, {"message": "Can not dismiss a commented pull request review",
                                                     "documentation_url": "https://docs.github.com/rest"}
            review["state"] = "DISMISSED"
            review["dismissal_message"] = body.get("message")
            return "pulls/dismiss-review", 200, review
        if path == f"{pulls}/{self.number}/files" and method == "GET":
            files = [dict(f) for f in self.files[:self.max_listed_files]]
            if self.served_patches is not None:
                for f in files:
                    if f["filename"] in self.served_patches:
                        f["patch"] = self.served_patches[f["filename"]]
            return "pulls/list-files", 200, files
        if path == f"{pulls}/{self.number}/comments" and method == "GET":
            return "pulls/list-review-comments", 200, list(self.comments)
        if path == f"{pulls}/{self.number}/reviews":
            if method == "GET":
                return "pulls/list-reviews", 200, list(self.reviews)
            if method == "POST":
                status, answer = self._create_review(body)
                return "pulls/create-review", status, answer
        return None, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}

    def _check_request(self, operation: Optional[str], body) -> None:
        if operation == "graphql":
            return  # the one query the Action sends is checked where it is answered
        if operation is not None and operation not in OPERATIONS:
            self.problems.append(f"{operation}: no schema for this operation")
        entry = OPERATIONS.get(operation or "", {})
        schema = (entry.get("requestBody") or {}).get("schema")
        if schema is None:
            if body is not None:
                self.problems.append(f"{operation}: a body where none is expected")
            return
        message = schema_error(_validator(operation, "request"), body)
        if message is not None:
            self.problems.append(f"{operation}: request body: {message}")
        for key in unknown_keys(body, schema):
            self.problems.append(f"{operation}: unknown key {key}")
        for comment in (body or {}).get("comments", []) if isinstance(body, dict) else []:
            for side in ("side", "start_side"):
                if side in comment and comment[side] not in ("LEFT", "RIGHT"):
                    self.problems.append(f"{operation}: {side} {comment[side]!r}")

    def _check_response(self, operation: Optional[str], status: int, answer) -> None:
        validator = _validator(operation, str(status)) if operation is not None else None
        if validator is not None and answer is not None:
            message = schema_error(validator, answer)
            if message is not None:
                self.problems.append(f"{operation}: the fake's own {status} response: {message}")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in two writes: with Nagle's algorithm the body waits for
            # the client's delayed ACK, about 40 ms a request.
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def _send(self, status: int, answer, headers: Optional[dict] = None):
                data = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _serve(self, method: str):
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                    fake.problems.append(f"{method} {parts.path}: body is not JSON")
                with fake._lock:
                    fake.requests.append((method, parts.path, body))
                    if method != "GET" and not parts.path.endswith("/graphql"):
                        fake.write_times.append(fake.clock())
                    auth = self.headers.get("Authorization", "")
                    if auth not in (f"token {fake.token}", f"Bearer {fake.token}"):
                        return self._send(401, {"message": "Bad credentials",
                                                "documentation_url": "https://docs.github.com/rest"})
                    fault = next((f for f in fake.faults if f.method == method and parts.path.endswith(f.path_end)),
                                 None)
                    if fault is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            fake.faults.remove(fault)
                        if fault.lands:
                            fake._route(method, parts.path, body, parse_qs(parts.query))
                        headers = dict(fault.headers, **(fault.headers_at(fake.clock()) if fault.headers_at else {}))
                        return self._send(fault.status, fault.body or {"message": "Server Error",
                                                                       "documentation_url": "https://docs.github.com/rest"},
                                          headers)
                    if fake.read_only and method != "GET" and parts.path != "/graphql":
                        return self._send(403, {"message": "Resource not accessible by integration",
                                                "documentation_url": "https://docs.github.com/rest"})
                    operation, status, answer = fake._route(method, parts.path, body, parse_qs(parts.query),
                                                            self.headers.get("Accept", ""))
                    fake._check_request(operation, body)
                    fake._check_response(operation, status, answer)
                    headers = {}
                    if isinstance(answer, list):
                        answer, headers = fake._page(answer, parts)
                        if operation == "pulls/list-files" and 'rel="next"' not in headers.get("Link", ""):
                            fake.served_patches = None  # the listing is complete: the next one is current
                    self._send(status, answer, headers)

            def do_GET(self):
                self._serve("GET")

            def do_POST(self):
                self._serve("POST")

            def do_PATCH(self):
                self._serve("PATCH")

            def do_DELETE(self):
                self._serve("DELETE")

            def do_PUT(self):
                self._serve("PUT")

        return Handler

    def _page(self, items: list, parts) -> tuple[list, dict]:
        query = parse_qs(parts.query)
        per_page = min(int(query.get("per_page", ["30"])[0]), self.page_size)
        page = int(query.get("page", ["1"])[0])
        last = max(1, -(-len(items) // per_page))
        links = []
        base = f"{self.url}{parts.path}?per_page={per_page}&page="
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}1>; rel="first"', f'<{base}{page - 1}>; rel="prev"']
        return items[(page - 1) * per_page:page * per_page], ({"Link": ", ".join(links)} if links else {})

    def calls(self) -> list[str]:
        prefix = f"/repos/{self.owner}/{self.repo}"
        return [f"{method} {path.removeprefix(prefix)}" for method, path, _ in self.requests]
