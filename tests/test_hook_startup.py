"""Start-up is paid on every commit by the pre-commit hook: the lint path stays light."""
import gc
import subprocess
import sys

import pytest

from alpineguard.cli import main


# PyGithub and what it pulls in belong to the Action only; jsonschema and pre-commit to tests.
HEAVY = ("github", "requests", "urllib3", "jwt", "nacl", "cryptography", "jsonschema", "pre_commit")


def _imported_modules(*args: str, cwd) -> set[str]:
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "alpineguard", *args],
                            cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode in (0, 1), result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("import time:")]
    assert lines, "no -X importtime report"
    return {line.rsplit("|", 1)[1].strip() for line in lines}


def test_lint_path_imports_nothing_heavy(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.24\nRUN apk add curl\n")
    for args in (("--version",), ("--changed", "Dockerfile"), ("Dockerfile",)):
        modules = _imported_modules(*args, cwd=tmp_path)
        assert "alpineguard.cli" in modules
        heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
        assert not heavy, (args, heavy)


def test_main_leaves_garbage_collection_as_it_found_it(tmp_path, capsys):
    """main() pauses collection during start-up only; in-process callers get it back."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.24\n")
    assert gc.isenabled()
    assert main(["--list-rules"]) == 0
    assert main([str(tmp_path / "Dockerfile")]) == 0
    assert main(["--no-such-option"]) == 2
    with pytest.raises(SystemExit):
        main(["--version"])
    assert gc.isenabled()
    gc.disable()
    try:
        main([str(tmp_path / "Dockerfile")])
        assert not gc.isenabled()  # a caller that had it off keeps it off
    finally:
        gc.enable()
