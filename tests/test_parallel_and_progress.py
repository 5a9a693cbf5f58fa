"""--jobs gives the serial report; the progress bar shows only to a person at a terminal."""
from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

from alpineguard.config import Settings
from alpineguard.progress import ProgressBar, wanted
from alpineguard.runner import PARALLEL_THRESHOLD, lint

from conftest import AS_OF, corpus_generator


def test_generated_corpus_is_deterministic(tmp_path):
    generate = corpus_generator().generate
    first = [p.read_bytes() for p in generate(tmp_path / "a", count=30)]
    second = [p.read_bytes() for p in generate(tmp_path / "b", count=30)]
    assert first == second and len(set(first)) == 30


def test_parallel_results_equal_serial_results(tmp_path):
    corpus_generator().generate(tmp_path / "corpus", count=3 * PARALLEL_THRESHOLD)
    settings = Settings(as_of=AS_OF)
    serial = lint([str(tmp_path / "corpus")], settings, jobs=1).files
    seen = []
    parallel = lint([str(tmp_path / "corpus")], settings, jobs=2,
                    progress=lambda done, total: seen.append((done, total))).files
    assert [r.path for r in serial] == [r.path for r in parallel]
    assert [r.findings for r in serial] == [r.findings for r in parallel]
    assert sum(len(r.findings) for r in parallel) > 3 * PARALLEL_THRESHOLD
    assert seen[-1] == (len(serial), len(serial)) and len(seen) == len(serial)


def test_cli_output_identical_for_any_jobs(tmp_path):
    corpus_generator().generate(tmp_path / "corpus", count=2 * PARALLEL_THRESHOLD)
    outputs = set()
    for jobs in ("1", "2", "3", "0"):
        for fmt in ("text", "json"):
            run = subprocess.run([sys.executable, "-m", "alpineguard", "--as-of", AS_OF.isoformat(), "--jobs", jobs,
                                  "--format", fmt, "corpus"], cwd=tmp_path, capture_output=True, timeout=120)
            assert run.returncode == 1 and b"Traceback" not in run.stderr
            outputs.add((fmt, run.stdout, run.stderr))
    assert len(outputs) == 2  # one text and one JSON report, whatever the number of workers


def test_progress_bar_waits_then_draws_and_erases():
    now = [0.0]
    stream = io.StringIO()
    bar = ProgressBar(stream, delay=0.5, clock=lambda: now[0])
    bar(1, 40)
    assert stream.getvalue() == ""  # the first moment: nothing
    now[0] = 0.6
    bar(10, 40)
    assert stream.getvalue().endswith("alpineguard: [#######-----------------------] 10/40 files")
    now[0] = 0.65
    bar(11, 40)  # too soon to redraw
    assert "11/40" not in stream.getvalue()
    bar(40, 40)  # the last one is always drawn
    assert "40/40" in stream.getvalue()
    bar.close()
    assert stream.getvalue().endswith("\r\033[K")


def test_progress_bar_that_never_drew_erases_nothing():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    bar(1, 2)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_only_on_a_terminal_outside_ci():
    leader, follower = pty.openpty()
    try:
        with os.fdopen(follower, "w", closefd=False) as terminal:
            assert wanted(terminal, {})
            assert wanted(terminal, {"CI": "false"})
            assert not wanted(terminal, {"CI": "true"})
            assert not wanted(terminal, {"CI": "1"})
            assert not wanted(terminal, {"TERM": "dumb"})
        assert not wanted(io.StringIO(), {})
    finally:
        os.close(leader)
        os.close(follower)


def _stderr_of_long_run(tmp_path, on_terminal: bool, env: dict) -> bytes:
    """Standard error of a run that lasts well over the bar's delay, on a pty or a pipe."""
    corpus = tmp_path / "corpus"
    if not corpus.exists():
        corpus_generator().generate(corpus, count=250)
    command = [sys.executable, "-m", "alpineguard", "--jobs", "1", "--format", "json", "corpus"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM")}
    full_env.update(env)
    if not on_terminal:
        return subprocess.run(command, cwd=tmp_path, env=full_env, capture_output=True, timeout=120).stderr
    leader, follower = pty.openpty()
    with subprocess.Popen(command, cwd=tmp_path, env=full_env, stdout=subprocess.DEVNULL, stderr=follower):
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the pty's other side is closed: the run is over
                break
            if not chunk:
                break
            chunks.append(chunk)
    os.close(leader)
    return b"".join(chunks)


def test_progress_bar_on_a_terminal_not_in_ci_nor_in_a_pipe(tmp_path):
    on_terminal = _stderr_of_long_run(tmp_path, True, {})
    assert b"alpineguard: [" in on_terminal and b"/250 files" in on_terminal
    assert on_terminal.rstrip().endswith(b"in 250 files")  # erased before the summary
    in_ci = _stderr_of_long_run(tmp_path, True, {"CI": "true"})
    in_pipe = _stderr_of_long_run(tmp_path, False, {})
    for quiet in (in_ci, in_pipe):
        assert b"alpineguard: [" not in quiet and b"\r" not in quiet.replace(b"\r\n", b"\n")
        assert quiet.strip().count(b"\n") == 0  # the summary line only


def test_jobs_must_not_be_negative(tmp_path):
    run = subprocess.run([sys.executable, "-m", "alpineguard", "--jobs", "-2", "."], cwd=tmp_path,
                         capture_output=True, timeout=60)
    assert run.returncode == 2 and b"--jobs" in run.stderr
