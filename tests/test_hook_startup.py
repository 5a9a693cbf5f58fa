"""Start-up is paid on every commit by the pre-commit hook: the lint path stays light."""
import subprocess
import sys


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

