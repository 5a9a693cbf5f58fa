"""What the runner hands the Action: `INPUT_*` values, the standard `GITHUB_*` variables
and the event payload. Only the environment is read, so the same code runs against
github.com, GitHub Enterprise Server or a local test server."""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..config import FAIL_LEVELS

FILTER_MODES = ("added", "diff_context", "file", "nofilter")
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
DIFFED_EVENTS = ("push", "merge_group")  # annotated, with findings filtered to what they change
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0", "")


class ActionError(Exception):
    """A problem with the Action's inputs or environment: one line, exit status 2."""


def raw_input(env: Mapping[str, str], name: str, default: str = "") -> str:
    """`INPUT_GITHUB-TOKEN` as the runner sets it, or `INPUT_GITHUB_TOKEN` as a shell can."""
    upper = name.upper()
    for key in (f"INPUT_{upper}", f"INPUT_{upper.replace('-', '_')}"):
        if key in env:
            return env[key].strip()
    return default


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = raw_input(env, name, "true" if default else "false").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ActionError(f"input `{name}` takes true or false, got {value!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = raw_input(env, name, default) or default
    normalized = value.lower().replace("-", "_") if name == "filter-mode" else value.lower()
    if normalized not in choices:
        raise ActionError(f"input `{name}` takes one of {', '.join(choices)}; got {value!r}")
    return normalized


@dataclass
class Inputs:
    token: str
    paths: list[str]
    config: str
    fail_level: str
    filter_mode: str
    review: bool
    request_changes: bool
    suggestions: bool
    online: bool
    cache_dir: str
    sarif_file: str
    annotations: bool
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    build_args: dict[str, str] = field(default_factory=dict)
    target: str = ""


def _rule_ids(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    from ..config import unknown_rule_id
    from ..rules import REGISTRY  # the registry loads every rule: only when the input names some
    ids = tuple(p.upper() for p in raw_input(env, name).replace(",", " ").split())
    unknown = unknown_rule_id(ids, REGISTRY) if ids else None
    if unknown:
        raise ActionError(f"input `{name}`: no rule matches {unknown!r}")
    return ids


def _build_args(env: Mapping[str, str]) -> dict[str, str]:
    """One KEY=VALUE a line: values may hold spaces and commas."""
    found = {}
    for line in raw_input(env, "build-args").splitlines():
        if not line.strip():
            continue
        key, sep, value = line.strip().partition("=")
        if not sep or not key:
            raise ActionError(f"input `build-args` takes one KEY=VALUE a line, got {line.strip()!r}")
        found[key] = value
    return found


def read_inputs(env: Mapping[str, str]) -> Inputs:
    # `path` takes one entry a line or a space/comma-separated list, as workflow authors write both.
    paths = [p for line in raw_input(env, "path", ".").splitlines() for p in line.replace(",", " ").split()]
    return Inputs(
        token=raw_input(env, "github-token"),
        paths=paths or ["."],
        config=raw_input(env, "config"),
        fail_level=_choice(env, "fail-level", "error", FAIL_LEVELS),
        filter_mode=_choice(env, "filter-mode", "added", FILTER_MODES),
        review=_flag(env, "review", True),
        request_changes=_flag(env, "request-changes", False),
        suggestions=_flag(env, "suggestions", True),
        online=_flag(env, "online", True),
        cache_dir=raw_input(env, "cache-dir", ".alpineguard-cache"),
        sarif_file=raw_input(env, "sarif-file"),
        annotations=_flag(env, "annotations", True),
        select=_rule_ids(env, "select"),
        ignore=_rule_ids(env, "ignore"),
        build_args=_build_args(env),
        target=raw_input(env, "target"),
    )


@dataclass
class PullRequest:
    number: int
    head_sha: str
    head_repo: str
    base_repo: str

    @property
    def from_fork(self) -> bool:
        return self.head_repo != self.base_repo


NO_COMMIT = "0" * 40


@dataclass
class Push:
    """What a push or a merge group's check compares: `base` (None when there is nothing to
    compare with, as for a push that creates a branch) against `head`."""
    base: str | None
    head: str


@dataclass
class Context:
    event_name: str
    repository: str
    api_url: str
    workspace: str
    output_path: str
    summary_path: str
    pull: PullRequest | None
    push: Push | None = None


def _pull_request(payload: dict) -> PullRequest:
    try:
        pr = payload["pull_request"]
        head, base = pr["head"], pr["base"]
        return PullRequest(int(pr["number"]), str(head["sha"]),
                           str((head.get("repo") or {}).get("full_name") or ""),
                           str((base.get("repo") or {}).get("full_name") or ""))
    except (KeyError, TypeError, ValueError) as error:
        raise ActionError(f"the pull_request event payload lacks {error}") from None


def read_context(env: Mapping[str, str]) -> Context:
    event_name = env.get("GITHUB_EVENT_NAME", "")
    workspace = env.get("GITHUB_WORKSPACE") or os.getcwd()
    if not os.path.isdir(workspace):
        raise ActionError(f"GITHUB_WORKSPACE {workspace!r} is not a folder")
    pull = push = None
    if event_name in PULL_REQUEST_EVENTS + DIFFED_EVENTS:
        event_path = env.get("GITHUB_EVENT_PATH", "")
        try:
            with open(event_path, encoding="utf-8") as handle:
                payload = json.load(handle)
        except (OSError, ValueError) as error:
            raise ActionError(f"cannot read the event payload {event_path!r}: {error}") from None
        payload = payload if isinstance(payload, dict) else {}
        if event_name in PULL_REQUEST_EVENTS:
            pull = _pull_request(payload)
        else:
            push = _push(event_name, payload, env.get("GITHUB_SHA", ""))
    return Context(event_name=event_name, repository=env.get("GITHUB_REPOSITORY", ""),
                   api_url=(env.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/"),
                   workspace=os.path.realpath(workspace), output_path=env.get("GITHUB_OUTPUT", ""),
                   summary_path=env.get("GITHUB_STEP_SUMMARY", ""), pull=pull, push=push)


def _push(event_name: str, payload: dict, github_sha: str) -> Push:
    """A push compares `before` with `after`; a merge group its base with its head commit."""
    try:
        if event_name == "merge_group":
            group = payload["merge_group"]
            return Push(str(group["base_sha"]), str(group["head_sha"]))
        before = str(payload.get("before") or NO_COMMIT)
        head = str(payload.get("after") or github_sha)
        if not head or head == NO_COMMIT:
            raise KeyError("after")
        return Push(None if before == NO_COMMIT or payload.get("created") else before, head)
    except (KeyError, TypeError) as error:
        raise ActionError(f"the {event_name} event payload lacks {error}") from None
