"""Run alpineguard over a rebuilt Dockerfile corpus and summarise its findings per rule.

The corpus itself never enters this repository (its files belong to their authors); it is
rebuilt locally from a manifest of public repositories pinned by commit. Every file is passed
by path, so names discovery would skip (`*.dockerfile`, archive members) are checked too. The
files of a folder named `OWNER__NAME` are checked with `--repository OWNER/NAME`, as the CLI
would read it from the git remote of a checkout.

    python tools/corpus_findings.py CORPUS_DIR --out findings.json      # run, save, count
    python tools/corpus_findings.py CORPUS_DIR --extra "--select AG3"   # extra CLI options
    python tools/corpus_findings.py --load findings.json --show AG101 --sample 20 --seed 1
    python tools/corpus_findings.py --load before.json --compare after.json --show AG101

--show prints each chosen finding with three lines of context before and after its line, for
reading and judging; --compare prints per-rule counts side by side and, with --show, the
findings of that rule that appear in only one of the two runs.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import subprocess
import sys
from collections import Counter

CHUNK = 400  # paths per process: keeps argv well under the kernel's limit


def repository_option(folder: str) -> list[str]:
    """`--repository OWNER/NAME` for a corpus folder named `OWNER__NAME`: what the CLI reads
    from a checkout's git remote, which the rebuilt corpus has not kept."""
    owner, sep, name = folder.partition("__")
    return ["--repository", f"{owner}/{name}"] if sep and owner and name else []


def run(corpus: str, extra: list[str]) -> dict:
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(corpus) for name in names)
    merged: dict = {"findings": [], "errors": [], "files": len(paths)}
    by_folder: dict[str, list[str]] = {}
    for path in paths:
        by_folder.setdefault(os.path.relpath(path, corpus).split(os.sep, 1)[0], []).append(path)
    for folder, folder_paths in by_folder.items():
        for start in range(0, len(folder_paths), CHUNK):
            _run_chunk(folder_paths[start:start + CHUNK], [*repository_option(folder), *extra], merged)
    return merged


def _run_chunk(chunk: list[str], options: list[str], merged: dict) -> None:
    done = subprocess.run([sys.executable, "-m", "alpineguard", "--format", "json",
                           "--fail-level", "never", *options, *chunk],
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        merged["errors"].append({"chunk": chunk[0], "status": done.returncode, "stderr": done.stderr[-2000:]})
        return
    report = json.loads(done.stdout)
    merged["findings"].extend(report["findings"])
    merged["errors"].extend(report["errors"])


def counts(report: dict) -> Counter:
    return Counter(finding["rule"] for finding in report["findings"])


def key(finding: dict) -> tuple:
    return (finding["path"], finding["line"], finding["column"], finding["rule"], finding["message"])


def show(findings: list[dict]) -> None:
    for finding in findings:
        try:
            with open(finding["path"], encoding="utf-8", errors="replace") as handle:
                lines = handle.read().splitlines()
        except OSError:
            lines = []
        line = finding["line"]
        print(f"== {finding['path']}:{line}:{finding['column']} {finding['rule']} {finding['severity']}")
        print(f"   {finding['message']}")
        for number in range(max(1, line - 3), min(len(lines), line + 3) + 1):
            marker = ">" if number == line else " "
            print(f"  {marker}{number:5} | {lines[number - 1]}")
        print()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", help="the rebuilt corpus folder")
    parser.add_argument("--out", help="save the merged JSON report here")
    parser.add_argument("--load", help="read a saved report instead of running")
    parser.add_argument("--compare", help="a second saved report to compare with")
    parser.add_argument("--show", metavar="RULE", help="print findings of this rule with context")
    parser.add_argument("--sample", type=int, help="with --show: at most this many, drawn at random")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--extra", default="", help='extra alpineguard options, e.g. --extra "--select AG1"')
    options = parser.parse_args()

    if options.load:
        with open(options.load, encoding="utf-8") as handle:
            report = json.load(handle)
    elif options.corpus:
        report = run(options.corpus, shlex.split(options.extra))
        if options.out:
            with open(options.out, "w", encoding="utf-8") as handle:
                json.dump(report, handle)
    else:
        parser.error("give a corpus folder or --load")

    if options.compare:
        with open(options.compare, encoding="utf-8") as handle:
            other = json.load(handle)
        before, after = counts(report), counts(other)
        for rule in sorted(before.keys() | after.keys()):
            print(f"{rule}\t{before[rule]}\t{after[rule]}\t{after[rule] - before[rule]:+d}")
        if options.show:
            old = {key(f) for f in report["findings"] if f["rule"] == options.show}
            new = {key(f) for f in other["findings"] if f["rule"] == options.show}
            print(f"\n--- only in {options.load}")
            show([f for f in report["findings"] if f["rule"] == options.show and key(f) not in new])
            print(f"\n+++ only in {options.compare}")
            show([f for f in other["findings"] if f["rule"] == options.show and key(f) not in old])
        return 0

    if options.show:
        chosen = [f for f in report["findings"] if f["rule"] == options.show]
        if options.sample and len(chosen) > options.sample:
            chosen = random.Random(options.seed).sample(chosen, options.sample)
        show(chosen)
        return 0

    total = counts(report)
    files = len({f["path"] for f in report["findings"]})
    print(f"{sum(total.values())} findings in {files} of {report.get('files', '?')} files; "
          f"{len(report['errors'])} internal errors")
    for rule, number in sorted(total.items()):
        print(f"{rule}\t{number}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
