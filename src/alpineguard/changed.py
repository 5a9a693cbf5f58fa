"""Which Dockerfiles a set of changed files calls for (`--changed`, the pre-commit hooks).

pre-commit passes the files of a commit. A Dockerfile among them is checked itself. Any
other file (a requirement, package or lock file the user opted in to) is never parsed as
a Dockerfile: the Dockerfiles under the current folder that copy it in from their build
context are checked instead, since their dependency findings may have changed with it.
A changed compose or bake file brings in the Dockerfiles its changed builds use.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from .config import DEFAULT_MAX_FILE_SIZE
from .context import ImageFiles
from .discovery import COMPOSE_NAMES, DEFINITION_NAMES, definition_names_in, discover, is_dockerfile_name
from .files import Unreadable, read_file
from .parsing.dockerfile import parse_dockerfile

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, which costs start-up time
if TYPE_CHECKING:  # build definitions load only when a definition file changed
    from .builds.model import Build


def dockerfiles_for_changes(changed: Iterable[str], context: str | None = None,
                            excludes: Iterable[str] = ()) -> list[str]:
    """The changed Dockerfiles in the order given, then those that copy in another changed file.

    `context` is the build context of every Dockerfile (default: each one's own folder);
    `excludes` are the configuration's globs for folder search.
    """
    changed = list(dict.fromkeys(changed))
    result = [path for path in changed if is_dockerfile_name(os.path.basename(path))]
    others = [path for path in changed if not is_dockerfile_name(os.path.basename(path))]
    if not others:
        return result
    given = {os.path.abspath(path) for path in result}
    for candidate in discover(["."], excludes):
        if os.path.abspath(candidate) not in given and copies_any(candidate, others, context):
            result.append(candidate)
    return result


def copies_any(dockerfile: str, files: list[str], context: str | None = None) -> bool:
    """Whether the Dockerfile's build (context: `context`, default its folder) copies in any of `files`."""
    context_dir = os.path.abspath(context or os.path.dirname(dockerfile) or ".")
    absolute = (os.path.abspath(path) for path in files)
    inside = {os.path.relpath(path, context_dir).replace(os.sep, "/") for path in absolute
              if path.startswith(context_dir.rstrip(os.sep) + os.sep)}
    if not inside:
        return False
    try:
        return bool(copied_context_files(dockerfile, context_dir, candidates=inside))
    except Unreadable:
        return False  # not changed itself, and unreadable: nothing to learn from it


def is_definition_file(path: str, named: Iterable[str] = ()) -> bool:
    """A compose or bake file (found by name, or one of `named`), or a compose project's `.env`."""
    name = os.path.basename(path)
    if name in DEFINITION_NAMES or os.path.abspath(path) in {os.path.abspath(p) for p in named}:
        return True
    return name == ".env" and any(n in COMPOSE_NAMES for n in definition_names_in(os.path.dirname(path) or "."))


def changed_builds(changed: Iterable[str], compose_files: Iterable[str] = (), bake_files: Iterable[str] = (),
                   profiles: tuple[str, ...] = (),
                   committed: Callable[[str], str | None] | None = None) -> list[Build]:
    """The builds that these changed compose or bake files (or `.env` files) define
    differently from `committed` (a path's earlier text, None for a new file; default:
    the last commit's, `git show HEAD:...`)."""
    from .builds import load_definitions  # YAML and HCL only when a definition file changed
    changed = [os.path.abspath(path) for path in changed]
    if not changed:
        return []
    folders = {os.path.dirname(path): definition_names_in(os.path.dirname(path)) for path in changed}
    earlier = {path: (committed or _committed_text)(path) for path in changed}
    options = dict(compose_files=tuple(compose_files), bake_files=tuple(bake_files), profiles=profiles)
    before = load_definitions(folders, os.environ, texts=earlier, **options)
    known = {(build.name, build) for build in before.builds()}
    return [build for build in load_definitions(folders, os.environ, **options).builds()
            if (build.name, build) not in known]


def dockerfiles_for_definition_changes(changed: Iterable[str], compose_files: Iterable[str] = (),
                                       bake_files: Iterable[str] = (), profiles: tuple[str, ...] = ()) -> list[str]:
    """The Dockerfiles that the builds changed in these compose or bake files (or `.env`
    files) use: each build as the working tree defines it, compared with the build as the
    last commit defined it. A file git does not know counts as new."""
    result = []
    for build in changed_builds(changed, compose_files, bake_files, profiles):
        if build.dockerfile and os.path.isfile(build.dockerfile):
            shown = os.path.relpath(build.dockerfile)
            path = shown if not shown.startswith(os.pardir) else build.dockerfile
            if path not in result:
                result.append(path)
    return result


def _committed_text(path: str) -> str | None:
    """The file as the last commit holds it; None when it is new or git cannot tell."""
    import subprocess
    try:
        done = subprocess.run(["git", "-C", os.path.dirname(path), "show", f"HEAD:./{os.path.basename(path)}"],
                              capture_output=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace")
def copied_context_files(dockerfile_path: str, context_dir: str | None = None,
                         candidates: set[str] | None = None) -> set[str]:
    """Context files (relative paths) that any stage of the Dockerfile copies in.

    Pass the changed files as `candidates` (paths relative to the context) to test only
    those, without walking the whole context.
    """
    context_dir = context_dir or os.path.dirname(os.path.abspath(dockerfile_path))
    df = parse_dockerfile(read_file(dockerfile_path, DEFAULT_MAX_FILE_SIZE), dockerfile_path)
    found: set[str] = set()
    for stage in df.stages:
        found |= ImageFiles(stage, context_dir, dockerfile_path=dockerfile_path).context_files(candidates)
    return found
