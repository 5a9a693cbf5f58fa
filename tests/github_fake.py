"""A local stand-in for GitHub's REST API, for the pull-request review endpoints the Action uses.

It listens on 127.0.0.1 at a random port, validates every request body against the
operation's schema in tests/data/github-api/review-endpoints.json plus a strict check that no
unknown key is sent, answers with complete objects that pass the response schemas, pages
lists with `Link` headers, and checks that review comments sit on lines of the diff, as
GitHub does. Faults are queued per request to test retries and fallbacks.
"""
from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional
from urllib.parse import parse_qs, urlsplit

import jsonschema

from alpineguard.action.diff import parse_patch
from conftest import DATA

SPEC = json.loads((DATA / "github-api" / "review-endpoints.json").read_text())
OPERATIONS = SPEC["operations"]
# List reviews is not in the schema file; its items are the component the create call returns.
LIST_REVIEWS_SCHEMA = {"type": "array", "items": SPEC["component_schemas"]["pull-request-review"]}


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


class FakeGitHub:
    def __init__(self, owner="octo-org", repo="service", number=7, token="ghs_fakeTOKENvalue123456", page_size=2):
        self.owner, self.repo, self.number, self.token = owner, repo, number, token
        self.page_size = page_size  # small, so a few files already span pages
        self.files: list[dict] = []
        self.served_patches: Optional[dict] = None  # path -> patch listed instead of the real one, one listing
        self.reviews: list[dict] = []
        self.comments: list[dict] = []
        self.faults: list[Fault] = []
        self.read_only = False
        self.requests: list[tuple[str, str, Optional[dict]]] = []
        self.problems: list[str] = []  # schema or protocol violations: a test fails on any
        self.head_sha = "a" * 40
        self._next_id = 1000
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

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

    def _review(self, body: str, event: str, commit: str) -> dict:
        rid = self._id()
        review = {"id": rid, "node_id": f"PRR_{rid}", "user": self.user(), "body": body,
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

    def _create_review(self, body: dict) -> tuple[int, object]:
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
            made = self.add_comment(comment["path"], comment["line"], comment["body"], review_id=review["id"])
            if "start_line" in comment:
                made.update(start_line=comment["start_line"], original_start_line=comment["start_line"],
                            start_side=comment.get("start_side", "RIGHT"))
        return 200, review

    def _route(self, method: str, path: str, body) -> tuple[Optional[str], int, object]:
        """(operationId, status, response) for one request."""
        pulls = f"/repos/{self.owner}/{self.repo}/pulls"
        match = re.fullmatch(rf"{pulls}/comments/(\d+)", path)
        if match:
            comment = next((c for c in self.comments if c["id"] == int(match.group(1))), None)
            if comment is None:
                return None, 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            if method == "GET":
                return "pulls/get-review-comment", 200, comment
            if method == "PATCH":
                comment.update(body=body["body"], updated_at="2026-11-26T11:00:00Z")
                return "pulls/update-review-comment", 200, comment
            if method == "DELETE":
                self.comments.remove(comment)
                return "pulls/delete-review-comment", 204, None
        if path == f"{pulls}/{self.number}/files" and method == "GET":
            files = [dict(f) for f in self.files]
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
        entry = OPERATIONS.get(operation or "", {})
        schema = (entry.get("requestBody") or {}).get("schema")
        if schema is None:
            if body is not None:
                self.problems.append(f"{operation}: a body where none is expected")
            return
        try:
            jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)
        except jsonschema.ValidationError as error:
            self.problems.append(f"{operation}: request body: {error.message}")
        for key in unknown_keys(body, schema):
            self.problems.append(f"{operation}: unknown key {key}")
        for comment in (body or {}).get("comments", []) if isinstance(body, dict) else []:
            for side in ("side", "start_side"):
                if side in comment and comment[side] not in ("LEFT", "RIGHT"):
                    self.problems.append(f"{operation}: {side} {comment[side]!r}")

    def _check_response(self, operation: Optional[str], status: int, answer) -> None:
        if operation == "pulls/list-reviews":
            schema = LIST_REVIEWS_SCHEMA
        else:
            schema = OPERATIONS.get(operation or "", {}).get("responses", {}).get(str(status), {}).get("schema")
        if schema is not None and answer is not None:
            try:
                jsonschema.validate(answer, schema, cls=jsonschema.Draft202012Validator)
            except jsonschema.ValidationError as error:
                self.problems.append(f"{operation}: the fake's own {status} response: {error.message}")

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
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
                            fake._route(method, parts.path, body)
                        return self._send(fault.status, fault.body or {"message": "Server Error",
                                                                       "documentation_url": "https://docs.github.com/rest"},
                                          fault.headers)
                    if fake.read_only and method != "GET":
                        return self._send(403, {"message": "Resource not accessible by integration",
                                                "documentation_url": "https://docs.github.com/rest"})
                    operation, status, answer = fake._route(method, parts.path, body)
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
        return [f"{method} {path[len(f'/repos/{self.owner}/{self.repo}'):]}" for method, path, _ in self.requests]
