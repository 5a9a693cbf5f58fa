"""Shared test helpers: lint Dockerfile text with the real core and look at findings."""
from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from alpineguard.config import Settings
from alpineguard.engine import check_text
from alpineguard.fix import apply_edits

REPO = Path(__file__).resolve().parent.parent
# Upstream schemas the tests validate output against (sources in tests/data/README.md).
DATA = REPO / "tests" / "data"


class OutsideRepository(PermissionError):
    """A test read a file beside the repository: a fresh clone would not have it."""


def _folder(path: str) -> str:
    return os.path.join(os.path.realpath(path), "")


def _readable_folders() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the Python installation, temporary files and caches; the system and home folders)."""
    import site
    import tempfile
    own = (tempfile.gettempdir(), sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
           *site.getsitepackages(), site.getusersitepackages(),
           os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
           os.environ.get("ALPINEGUARD_CACHE_DIR"))
    system = (os.path.expanduser("~"), "/usr", "/etc", "/dev", "/proc", "/sys", "/lib", "/lib64", "/bin", "/sbin",
              "/opt", "/var", "/run", "/nix")
    return tuple(_folder(f) for f in own if f), tuple(_folder(f) for f in system)


_CHECKOUT = _folder(str(REPO))
_SIBLINGS = _folder(str(REPO.parent))  # not read: the folder whose reads are refused
_OWN, _SYSTEM = _readable_folders()
# Beside a checkout in / or directly in the temporary folder, siblings cannot be told apart.
_SIBLINGS_KNOWN = _SIBLINGS not in ("/", _OWN[0])


def outside_repository(path: str) -> bool:
    """Whether reading `path` depends on more than the checkout, the Python installation,
    temporary files, caches and the system: above all, on a folder beside the checkout."""
    full = _folder(path)
    if full.startswith(_CHECKOUT):
        return False
    if _SIBLINGS_KNOWN and full.startswith(_SIBLINGS):
        # A fresh clone has nothing beside it, except caches kept there (the repository in ~).
        return not any(full.startswith(f) and f.startswith(_SIBLINGS) for f in _OWN)
    return not full.startswith(_OWN + _SYSTEM)


def _refuse_reads_outside(event: str, args: tuple) -> None:
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        path = os.fsdecode(args[0])
        if outside_repository(path):
            raise OutsideRepository(f"a test read {path}, outside the repository: copy what it needs into "
                                    "tests/data/ (see tests/data/README.md)")


sys.addaudithook(_refuse_reads_outside)  # for the whole test session, in this process

AS_OF = dt.date(2026, 11, 26)
# What pip and its HTTP stack say when the package index cannot be reached (tests marked
# `registry` skip on these, and fail on anything else).
NETWORK_TROUBLE = ("NewConnectionError", "Failed to establish a new connection", "Temporary failure in name resolution",
                   "Name or service not known", "Network is unreachable", "ConnectTimeout", "Read timed out",
                   "No route to host", "ProxyError")


def lint(text: str, select: str | None = None, path: str = "Dockerfile", dedent: bool = True, **options):
    """Findings for `text` (dedented), optionally only the rules whose ID starts with `select`."""
    if select:
        options["select"] = tuple(select.split(","))
    settings = Settings(**{"as_of": AS_OF, **options})
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
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "alpineguard", *args], cwd=cwd, input=stdin,
                          capture_output=True, env=full_env, timeout=120)


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None, env: dict | None = None):
    """`alpineguard ARGS` as `run_module` runs it, but by `cli.main` in this process, for the
    tests of what the command line does rather than of how the program starts: from `cwd`,
    with `env` added to the environment and `stdin` as standard input; the answer is the
    same `CompletedProcess` (bytes), its status what the program would exit with."""
    from alpineguard.cli import main
    streams = [io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", write_through=True)
               for data in (stdin or b"", b"", b"")]
    saved = (sys.stdin, sys.stdout, sys.stderr, dict(os.environ), os.getcwd())
    sys.stdin, sys.stdout, sys.stderr = streams
    os.environ.update(env or {})
    try:
        os.chdir(cwd)
        try:
            status = main(list(args))
        except SystemExit as leaving:  # argparse leaves this way
            status = leaving.code if isinstance(leaving.code, int) else 2
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved[:3]
        os.environ.clear()
        os.environ.update(saved[3])
        os.chdir(saved[4])
    return subprocess.CompletedProcess(["alpineguard", *args], status, streams[1].buffer.getvalue(),
                                       streams[2].buffer.getvalue())


def debian_program(name: str, package: str) -> str:
    """Path of a program; installs its Debian package with apt-get when missing (the tests
    that use one are marked `apt`), and skips them, saying why, where that cannot be done."""
    path = shutil.which(name)
    if path is None:
        if shutil.which("apt-get") is None or os.geteuid() != 0:
            pytest.skip(f"needs {name}: install it (Debian: apt-get install {package}), or run as root with apt-get")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", package]):
            done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                                  timeout=900)
            if done.returncode != 0:
                pytest.skip(f"needs {name}, and `{' '.join(command)}` failed (no Debian mirror?): "
                            f"{done.stderr.strip().splitlines()[-1:]}")
        path = shutil.which(name)
    assert path, f"apt-get installed {package}, yet {name} is not on PATH"
    return path


@pytest.fixture(scope="session")
def busybox() -> str:
    """Path of a BusyBox binary (Debian's `busybox` package)."""
    return debian_program("busybox", "busybox")


@pytest.fixture(scope="session")
def curl() -> str:
    """Path of curl (Debian's `curl` package)."""
    return debian_program("curl", "curl")
