"""Hostile input: huge, binary, mis-encoded, special and unreadable files, and folders
that loop or hold very many files. None may crash, hang, or stop the other files from
being checked; the command line runs for real, with a timeout, next to a good file."""
from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import time

import pytest

from alpineguard.config import Settings
from alpineguard.engine import check_file, check_text

from conftest import AS_OF as _AS_OF
from conftest import where

AS_OF = _AS_OF.isoformat()

# A file with one known finding, checked next to every hostile one.
GOOD = "FROM alpine:3.23\nRUN apk add curl\n"
GOOD_FINDING = ("AG101", 2, 5)


def _run(*args: str, cwd, stdin: bytes | None = None, timeout: float = 60):
    """`alpineguard --format json ARGS`: status, parsed report, standard error, wall time."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "alpineguard", "--format", "json", "--as-of", AS_OF, *args],
                               cwd=cwd,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = process.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert b"Traceback" not in err, err.decode()
    return process.returncode, json.loads(out), err.decode(), time.monotonic() - started


def _findings(document, path_end: str):
    return [(f["rule"], f["line"], f["column"]) for f in document["findings"] if f["path"].endswith(path_end)]


def _folder_with(tmp_path, name: str):
    """A scanned folder holding the good Dockerfile and a hostile `name` beside it."""
    folder = tmp_path / "scan"
    (folder / "good").mkdir(parents=True)
    (folder / "good" / "Dockerfile").write_text(GOOD)
    (folder / "bad").mkdir()
    return folder, folder / "bad" / name


def _assert_good_checked(document):
    assert _findings(document, os.path.join("good", "Dockerfile")) == [GOOD_FINDING]


def test_50_megabyte_file_is_refused_quickly_without_reading_it(tmp_path):
    folder, big = _folder_with(tmp_path, "Dockerfile")
    with open(big, "wb") as handle:
        handle.write(b"FROM alpine:3.23\nRUN " + b"x" * (50 * 1024 * 1024) + b"\n")
    status, document, _, seconds = _run("scan", cwd=tmp_path)
    assert _findings(document, os.path.join("bad", "Dockerfile")) == [("AG002", 1, 1)]
    assert "limit" in document["findings"][0]["message"]
    _assert_good_checked(document)
    assert status == 1 and seconds < 20


def _peak_memory_kib(tmp_path, stdin_path, *args: str) -> int:
    """Peak resident memory of `alpineguard ARGS < stdin_path`, measured by a small parent.

    Linux carries a process's peak over into what it execs, so a child of this (large)
    test process would report the test process's size; a fresh parent sees the true peak.
    """
    measure = ("import resource, subprocess, sys\n"
               "with open(sys.argv[1], 'rb') as stdin:\n"
               "    subprocess.run(sys.argv[2:], stdin=stdin, stdout=subprocess.DEVNULL, check=False)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n")
    out = subprocess.run([sys.executable, "-c", measure, str(stdin_path), sys.executable, "-m", "alpineguard",
                          *args], cwd=tmp_path, capture_output=True, check=True, timeout=60).stdout
    return int(out)


def test_50_megabyte_stream_on_stdin_is_refused_in_bounded_memory(tmp_path):
    huge = tmp_path / "huge"
    huge.write_bytes(b"FROM alpine:3.23\n" + b"#" * (50 * 1024 * 1024))
    small = tmp_path / "small"
    small.write_text(GOOD)
    report = tmp_path / "report.json"
    peak = _peak_memory_kib(tmp_path, huge, "--format", "json", "--output", str(report), "-")
    assert [f["rule"] for f in json.loads(report.read_text())["findings"]] == ["AG002"]
    baseline = _peak_memory_kib(tmp_path, small, "-")
    # Only the limit plus one byte is ever read: a few MB over a plain run, not 50.
    assert peak < baseline + 10 * 1024, f"peak {peak} KiB against {baseline} KiB for a small file"


def test_size_limit_is_an_option(tmp_path):
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    bad.write_text("FROM alpine:3.23\n" + "RUN true\n" * 200)
    status, document, _, _ = _run("--max-file-size", "1K", "scan", cwd=tmp_path)
    assert _findings(document, os.path.join("bad", "Dockerfile")) == [("AG002", 1, 1)]
    assert "1024-byte limit" in document["findings"][0]["message"]
    _, document, _, _ = _run("--max-file-size", "4K", "scan", cwd=tmp_path)
    assert _findings(document, os.path.join("bad", "Dockerfile")) == []


@pytest.mark.parametrize("size", ["0", "-1", "1X", "K", ""])
def test_size_limit_rejects_nonsense(tmp_path, size):
    process = subprocess.run([sys.executable, "-m", "alpineguard", "--max-file-size", size, "."], cwd=tmp_path,
                             capture_output=True, timeout=60)
    assert process.returncode == 2 and b"--max-file-size" in process.stderr and b"Traceback" not in process.stderr


def test_10000_line_run_heredoc_is_checked_in_linear_time(tmp_path):
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    lines = [f"apk add --no-cache pkg{i} && apk del pkg{i} && echo {i} | tee -a /log\n" for i in range(10_000)]
    lines[0] = lines[0].replace("--no-cache ", "")
    lines[-1] = lines[-1].replace("--no-cache ", "")
    bad.write_text(f"FROM alpine:3.23\nRUN <<EOF\n{''.join(lines)}EOF\n")
    status, document, _, seconds = _run("scan", cwd=tmp_path)
    assert _findings(document, os.path.join("bad", "Dockerfile")) == [("AG101", 3, 1), ("AG101", 10_002, 1)]
    _assert_good_checked(document)


def _cpu_seconds(text: str) -> float:
    """CPU time of the best of three checks: less disturbed by a busy machine than wall time.
    Without garbage collection, whose passes grow with everything else the process holds."""
    settings = Settings(as_of=_AS_OF)
    times = []
    for _ in range(3):
        gc.collect()
        gc.disable()
        try:
            started = time.process_time()
            check_text(text, "Dockerfile", settings)
            times.append(time.process_time() - started)
        finally:
            gc.enable()
    return min(times)


@pytest.mark.parametrize("line", ["apk add gcc{i}", "apk add --no-cache pkg{i} && apk del pkg{i} && echo {i} | tee -a /log"],
                         ids=["apk-add", "add-del-echo"])
def test_rules_stay_linear_in_the_commands_of_one_run(line):
    """Four times the commands may take about four times as long, never sixteen: a
    quadratic lookup put back (say `commands.index`) fails here at once."""
    def dockerfile(count: int) -> str:
        return "FROM alpine:3.23\nRUN " + " && \\\n    ".join(line.format(i=i) for i in range(count)) + "\n"
    small, large = _cpu_seconds(dockerfile(500)), _cpu_seconds(dockerfile(2_000))
    assert large / small < 8, f"500 commands: {small:.3f} s, 2,000: {large:.3f} s"


def test_5000_continuation_lines_keep_positions(tmp_path):
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    packages = "".join(f"    gcc{i} \\\n" for i in range(5_000))
    bad.write_text(f"FROM alpine:3.23\nRUN apk add --no-cache \\\n{packages}    musl-dev\n")
    status, document, _, seconds = _run("--select", "AG104", "scan", cwd=tmp_path)
    assert _findings(document, os.path.join("bad", "Dockerfile")) == [("AG104", 5_003, 5)]
    assert seconds < 20


@pytest.mark.parametrize("content, rule_line, words", [
    (b"FROM alpine:3.23\nRUN echo \x00\x01\x02\n", 2, "NUL byte"),
    (b"FROM alpine:3.23\nRUN echo caf\xe9\n", 2, "not UTF-8"),
    ("FROM alpine:3.23\nRUN apk add curl\n".encode("utf-16"), 1, "UTF-16"),
    ("FROM alpine:3.23\nRUN apk add curl\n".encode("utf-16-be"), 1, "NUL byte"),
])
def test_undecodable_files_are_refused_with_the_line(tmp_path, content, rule_line, words):
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    bad.write_bytes(content)
    status, document, _, _ = _run("scan", cwd=tmp_path)
    found = [f for f in document["findings"] if f["path"].endswith(os.path.join("bad", "Dockerfile"))]
    assert [(f["rule"], f["line"]) for f in found] == [("AG002", rule_line)]
    assert words in found[0]["message"]
    _assert_good_checked(document)
    assert status == 1


def test_fifo_is_not_opened(tmp_path):
    folder, fifo = _folder_with(tmp_path, "Dockerfile")
    os.mkfifo(fifo)  # nobody writes to it: opening it would block for ever
    status, document, _, _ = _run("scan", cwd=tmp_path, timeout=30)
    found = [f for f in document["findings"] if f["path"].endswith(os.path.join("bad", "Dockerfile"))]
    assert [f["rule"] for f in found] == ["AG002"] and "FIFO" in found[0]["message"]
    _assert_good_checked(document)
    # Named on the command line, too.
    _, document, _, _ = _run(str(fifo), cwd=tmp_path, timeout=30)
    assert [f["rule"] for f in document["findings"]] == ["AG002"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file; see the read-error test")
def test_file_without_read_permission(tmp_path):
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    bad.write_text(GOOD)
    bad.chmod(0)
    status, document, _, _ = _run("scan", cwd=tmp_path)
    found = [f for f in document["findings"] if f["path"].endswith(os.path.join("bad", "Dockerfile"))]
    assert [f["rule"] for f in found] == ["AG002"] and "Permission denied" in found[0]["message"]
    _assert_good_checked(document)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux /proc")
def test_file_that_opens_but_cannot_be_read(tmp_path):
    # Permissions do not stop root, so the honest unreadable file for a root test run is one
    # whose read fails: /proc/self/mem is a regular file that answers read() at offset 0 with EIO.
    folder, bad = _folder_with(tmp_path, "Dockerfile")
    bad.symlink_to("/proc/self/mem")
    status, document, _, _ = _run("scan", cwd=tmp_path)
    found = [f for f in document["findings"] if f["path"].endswith(os.path.join("bad", "Dockerfile"))]
    assert [f["rule"] for f in found] == ["AG002"] and "cannot read" in found[0]["message"]
    _assert_good_checked(document)
    assert status == 1


def test_symlink_loops_in_a_scanned_folder(tmp_path):
    folder, loop = _folder_with(tmp_path, "Dockerfile")
    loop.symlink_to(loop)  # Dockerfile -> itself
    (folder / "bad" / "up").symlink_to("..", target_is_directory=True)  # a folder loop: not followed
    (folder / "bad" / "Containerfile").symlink_to("missing")  # dangling
    status, document, _, seconds = _run("scan", cwd=tmp_path, timeout=30)
    found = {f["path"]: f for f in document["findings"] if os.path.join("scan", "bad") in f["path"]}
    assert sorted(found) == [os.path.join("scan", "bad", "Containerfile"), os.path.join("scan", "bad", "Dockerfile")]
    assert "symbolic links" in found[os.path.join("scan", "bad", "Dockerfile")]["message"]
    assert "No such file" in found[os.path.join("scan", "bad", "Containerfile")]["message"]
    _assert_good_checked(document)
    assert seconds < 20


def test_folder_of_20000_files(tmp_path):
    # 20,000 files, 500 of them Dockerfiles (each with one finding), the rest other sources.
    folder = tmp_path / "repo"
    for group in range(100):
        sub = folder / f"svc{group:03d}"
        sub.mkdir(parents=True)
        for index in range(195):
            (sub / f"module{index}.py").write_bytes(b"")
        for index in range(5):
            (sub / f"app{index}.Dockerfile").write_text(GOOD)
    status, document, err, seconds = _run("--jobs", "2", "repo", cwd=tmp_path, timeout=120)
    assert len(document["findings"]) == 500
    assert {(f["rule"], f["line"], f["column"]) for f in document["findings"]} == {GOOD_FINDING}
    assert "in 500 files" in err
    assert seconds < 60


def test_bad_files_never_stop_the_others_in_parallel(tmp_path):
    # Hostile files among many good ones, checked by worker processes: same report as serially.
    folder = tmp_path / "mixed"
    folder.mkdir()
    for index in range(40):
        (folder / f"s{index:02d}.Dockerfile").write_text(GOOD)
    (folder / "nul.Dockerfile").write_bytes(b"FROM alpine\n\x00")
    (folder / "loop.Dockerfile").symlink_to(folder / "loop.Dockerfile")
    os.mkfifo(folder / "fifo.Dockerfile")
    serial = _run("--jobs", "1", "mixed", cwd=tmp_path, timeout=60)
    parallel = _run("--jobs", "2", "mixed", cwd=tmp_path, timeout=60)
    assert serial[1] == parallel[1]
    assert len(parallel[1]["findings"]) == 43


def test_deeply_nested_shell_is_reported_not_raised():
    nested = 'sh -c "' + "$(" * 3000 + "x" + ")" * 3000 + '"'
    text = f"FROM alpine:3.23\nRUN {nested}\nRUN " + "(" * 5000 + "apk add curl" + ")" * 5000 + "\n"
    settings = Settings()
    result = check_file("Dockerfile", settings, data=text.encode())
    assert not result.errors
    assert ("AG101", 3, 5005) in where(result.findings)

