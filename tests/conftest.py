"""Shared test helpers: lint Dockerfile text with the real core and look at findings."""
from __future__ import annotations

import datetime as dt
import os
import sys
import textwrap
from pathlib import Path

from alpineguard.config import Settings
from alpineguard.engine import check_text
from alpineguard.fix import apply_edits

REPO = Path(__file__).resolve().parent.parent
# Shared material stands next to the repository (or next to the folder of git worktrees).
SHARED = Path(os.environ.get("ALPINEGUARD_SHARED") or next(
    (folder / "shared" for folder in (REPO.parent, REPO.parent.parent) if (folder / "shared").is_dir()),
    REPO.parent / "shared"))
AS_OF = dt.date(2026, 11, 26)


def lint(text: str, select: str | None = None, path: str = "Dockerfile", dedent: bool = True, **options):
    """Findings for `text` (dedented), optionally only the rules whose ID starts with `select`."""
    settings = Settings(**{"as_of": AS_OF, **options})
    if select:
        settings.select = tuple(select.split(","))
    source = textwrap.dedent(text).lstrip("\n") if dedent else text
    result = check_text(source, path, settings)
    assert not result.errors, result.errors
    return result.findings


def apply_fix(text: str, fix) -> str:
    """The text, dedented as `lint` reads it, with the fix applied by the real --fix code."""
    return apply_edits(textwrap.dedent(text).lstrip("\n"), fix.edits)


def where(findings, rule: str | None = None):
    """(rule, line, column) of each finding, optionally of one rule only."""
    return [(f.rule, f.start[0], f.start[1]) for f in findings if rule is None or f.rule == rule]


def corpus_generator():
    """`benchmarks/generate.py`, the deterministic generator of realistic Dockerfiles."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("generate", REPO / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_module(*args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None):
    """Run `python -m alpineguard` as a real subprocess."""
    import subprocess
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "alpineguard", *args], cwd=cwd, input=stdin,
                          capture_output=True, env=full_env, timeout=120)
