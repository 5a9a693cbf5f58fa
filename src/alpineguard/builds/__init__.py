"""Build definitions: the compose and bake files that say how each Dockerfile is built.

Discovery finds the definition files of a run (those in the folders a run searches and
in the folders above each path given, as `docker compose` looks upwards); the config or
the command line may name them instead. `load_definitions` reads them into builds, keyed
by the Dockerfile each one uses. The run imports this package only when a definition
file exists, so the plain lint path never loads YAML or HCL.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping


from .model import Build, DefinitionProblem


class Definitions:
    """The builds of a run, by Dockerfile (absolute path), its inline Dockerfiles, and the
    problems met reading the definition files."""

    def __init__(self) -> None:
        self.by_dockerfile: dict[str, list[Build]] = {}
        self.inline: list[Build] = []
        self.problems: list[DefinitionProblem] = []

    def add(self, build: Build) -> None:
        if build.inline is not None:
            self.inline.append(build)
        else:
            self.by_dockerfile.setdefault(build.dockerfile, []).append(build)

    def builds(self) -> list[Build]:
        return [build for builds in self.by_dockerfile.values() for build in builds] + self.inline

    def builds_for(self, path: str) -> list[Build]:
        return self.by_dockerfile.get(os.path.abspath(path), [])


def load_definitions(folders: Mapping[str, list[str]], environment: Mapping[str, str],
                     compose_files: Iterable[str] = (), bake_files: Iterable[str] = (),
                     profiles: tuple[str, ...] = (),
                     texts: Mapping[str, str | None] | None = None) -> Definitions:
    """The builds that the definition files in `folders` (folder -> names of definition
    files in it) define, or those of the files named explicitly for either kind. Paths
    are shown relative to the current folder where that is shorter; `texts` stands in for
    some files (see model.read_definition)."""
    from .bake import BakeProject, bake_files_in  # the HCL parser itself loads only for a bake file
    from .compose import ComposeProject, compose_files_in
    base = os.path.abspath(os.curdir)

    def shown(path: str) -> str:
        relative = os.path.relpath(path, base)
        return relative if len(relative) < len(path) else path

    compose_files, bake_files = [os.path.abspath(p) for p in compose_files], [os.path.abspath(p) for p in bake_files]
    compose_projects = [compose_files] if compose_files else []
    bake_projects = [bake_files] if bake_files else []
    for folder, names in folders.items():
        if not compose_files:
            found = compose_files_in(folder, names)
            if found:
                compose_projects.append(found)
        if not bake_files:
            found = bake_files_in(folder, names)
            if found:
                bake_projects.append(found)
    definitions = Definitions()
    projects = [ComposeProject(files, environment, profiles, {p: shown(p) for p in files + [
        os.path.join(os.path.dirname(files[0]), ".env")]}, texts) for files in compose_projects]
    projects += [BakeProject(files, environment, {p: shown(p) for p in files}, texts) for files in bake_projects]
    for project in projects:
        first = shown(project.files[0])
        try:
            builds = project.builds()
        except RecursionError:
            builds, project.problems = [], [DefinitionProblem(first, 1, 1, "nesting too deep to read")]
        except Exception as error:  # a bug here must not stop the Dockerfiles from being checked
            builds, project.problems = [], [DefinitionProblem(
                first, 1, 1, f"internal error reading it: {type(error).__name__}: {error}")]
        for build in builds:
            definitions.add(build)
        definitions.problems += project.problems
    return definitions
