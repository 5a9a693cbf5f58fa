"""The programs that install dependencies, by ecosystem. The dependency readers recognise
installs by them, and the engine loads a family of dependency rules only for a file that
runs one of them: one list serves both, so the two cannot drift apart."""
from __future__ import annotations

import re

# Read for every file (to pick the rule families it needs), so compiled at import.
PYTHON_BIN = re.compile(r"^python(\d(\.\d+)?)?$")  # python, python3, python3.12 (with -m pip, uv, ...)
PIP_BIN = re.compile(r"^pip(\d(\.\d+)?)?$")
PYTHON_INSTALLERS = frozenset({"uv", "poetry", "pipenv"})

# npm-style installers and the install verbs each accepts
NODE_INSTALL_VERBS = {"npm": {"install", "i", "ci", "add", "isntall", "in"}, "yarn": {"install", "add"},
                      "pnpm": {"install", "i", "add"}}
NODE_RUNNERS = frozenset({"npx", "pnpx", "bunx"})  # run a package's command, `playwright install` among them

GO = "go"


def runs_python_installer(program: str) -> bool:
    return program in PYTHON_INSTALLERS or bool(PYTHON_BIN.match(program) or PIP_BIN.match(program))


def runs_node_installer(program: str) -> bool:
    return program in NODE_INSTALL_VERBS or program in NODE_RUNNERS or program == "playwright"
