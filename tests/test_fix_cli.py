"""`--fix`, `--unsafe-fixes` and `--diff` through the real command line."""
import subprocess

from conftest import run_cli

BEFORE = "FROM python:3.12-alpine\r\nRUN apk update\r\nRUN apk add curl\r\nRUN apt-get install -y git\r\n"
AFTER_SAFE = "FROM python:3.12-alpine\r\nRUN apk add --no-cache curl\r\nRUN apt-get install -y git\r\n"


def write(tmp_path, text=BEFORE, name="Dockerfile"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_fix_writes_safe_fixes_and_reports_what_remains(tmp_path):
    path = write(tmp_path)
    done = run_cli("--fix", "Dockerfile", cwd=tmp_path)
    assert path.read_bytes().decode() == AFTER_SAFE
    out, err = done.stdout.decode(), done.stderr.decode()
    assert "Dockerfile: fixed 2 (AG101, AG102)" in err
    assert "fixed 2 findings in 1 file; remaining: 2 findings (1 error, 1 warning) in 1 file" in err
    assert "AG201" in out and "AG203" in out and "AG101" not in out and "AG102" not in out
    assert done.returncode == 1  # AG203 and AG201 remain
    again = run_cli("--fix", "Dockerfile", cwd=tmp_path)
    assert path.read_bytes().decode() == AFTER_SAFE
    assert "fixed 0 findings in 0 files" in again.stderr.decode()


def test_exit_status_reflects_what_remains(tmp_path):
    path = write(tmp_path, "FROM alpine:3.24\nRUN apk add curl\n")
    done = run_cli("--fix", ".", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert path.read_text() == "FROM alpine:3.24\nRUN apk add --no-cache curl\n"
    assert done.stdout == b""
    plain = run_cli("Dockerfile", cwd=tmp_path)
    assert plain.returncode == 0


def test_unsafe_fixes_also_apply_unsafe_ones(tmp_path):
    path = write(tmp_path)
    done = run_cli("--fix", "--unsafe-fixes", "--select", "AG1,AG2", "Dockerfile", cwd=tmp_path)
    text = path.read_bytes().decode()
    assert text.startswith("FROM python:3.12-alpine3.") and text.endswith(AFTER_SAFE.split("\r\n", 1)[1])
    assert "fixed 3 (AG101, AG102, AG201)" in done.stderr.decode()


def test_diff_prints_a_unified_diff_and_changes_nothing(tmp_path):
    path = write(tmp_path)
    done = run_cli("--diff", "Dockerfile", cwd=tmp_path)
    assert path.read_bytes().decode() == BEFORE
    diff = done.stdout.decode()
    assert diff.startswith("--- Dockerfile\n+++ Dockerfile\n@@ ")
    assert "-RUN apk update\r\n" in diff and "+RUN apk add --no-cache curl\r\n" in diff
    assert "FROM python:3.12-alpine3" not in diff  # unsafe: only with --unsafe-fixes
    assert "would fix 2 findings in 1 file" in done.stderr.decode()
    assert done.returncode == 1
    # the diff applies with patch and gives what --fix writes
    subprocess.run(["patch", "-p0", "--binary", "-s"], input=done.stdout, cwd=tmp_path, check=True)
    assert path.read_bytes().decode() == AFTER_SAFE


def test_diff_with_unsafe_fixes(tmp_path):
    write(tmp_path)
    done = run_cli("--diff", "--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert "+FROM python:3.12-alpine3." in done.stdout.decode()


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path):
    write(tmp_path)
    done = run_cli("--unsafe-fixes", "Dockerfile", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().startswith("alpineguard: error: --unsafe-fixes needs --fix or --diff")


def test_fix_from_standard_input_writes_the_fixed_file_to_standard_output(tmp_path):
    done = run_cli("--fix", "-q", "-", cwd=tmp_path, stdin=b"FROM alpine:3.24\nRUN apk add curl\nRUN apk upgrade\n")
    assert done.stdout == b"FROM alpine:3.24\nRUN apk add --no-cache curl\nRUN apk upgrade --no-cache\n"
    assert "AG103" in done.stderr.decode()


def test_unreadable_and_unparseable_files_are_reported_not_touched(tmp_path):
    binary = write(tmp_path, "FROM alpine\0\n", name="Dockerfile.bin")
    broken = write(tmp_path, "FROM alpine:3.24\nRUN <<EOF\napk add curl\n", name="Dockerfile.broken")
    done = run_cli("--fix", "--format", "json", ".", cwd=tmp_path)
    assert binary.read_bytes() == b"FROM alpine\0\n"
    assert broken.read_text() == "FROM alpine:3.24\nRUN <<EOF\napk add curl\n"
    out = done.stdout.decode()
    assert '"AG002"' in out and '"AG001"' in out
    assert done.returncode == 1 and "Traceback" not in done.stderr.decode()


def test_standard_input_without_fixes_is_echoed_unchanged(tmp_path):
    text = b"FROM alpine:3.24\r\nRUN apt-get install -y curl\r\n"
    done = run_cli("--fix", "-", cwd=tmp_path, stdin=text)
    assert done.stdout == text
    assert "AG203" in done.stderr.decode() and done.returncode == 1


def test_json_report_after_fix_lists_only_what_remains(tmp_path):
    import json
    write(tmp_path)
    done = run_cli("--fix", "--format", "json", "--output", "report.json", "Dockerfile", cwd=tmp_path)
    report = json.loads((tmp_path / "report.json").read_text())
    assert sorted(f["rule"] for f in report["findings"]) == ["AG201", "AG203"]
    assert done.stdout == b""
