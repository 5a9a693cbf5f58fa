"""Helpers for the dependency-rule tests: a real build context in a temporary folder."""
from __future__ import annotations

import textwrap
from pathlib import Path

from alpineguard.config import Settings
from alpineguard.engine import FileResult, check_file
from alpineguard.lintcontext import RunContext

from conftest import AS_OF


def build_context(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def check_context(root: Path, dockerfile: str, files: dict[str, str] | None = None, select: str = "AG4",
                  name: str = "Dockerfile", run: RunContext | None = None, **options) -> FileResult:
    """The result for a Dockerfile written into `root` with its context files, via the real engine."""
    build_context(root, dict(files or {}, **{name: dockerfile}))
    settings = Settings(as_of=AS_OF, select=tuple(select.split(",")), **options)
    result = check_file(str(root / name), settings, run=run)
    assert not result.errors, result.errors
    return result


def lint_context(root: Path, dockerfile: str, files: dict[str, str] | None = None, select: str = "AG4",
                 name: str = "Dockerfile", run: RunContext | None = None, **options):
    """Findings for a Dockerfile written into `root` with its context files, via the real engine."""
    return check_context(root, dockerfile, files, select, name, run, **options).findings


def at(findings, rule=None):
    return [(f.rule, f.start[0], f.start[1], f.severity.label) for f in findings if rule is None or f.rule == rule]
