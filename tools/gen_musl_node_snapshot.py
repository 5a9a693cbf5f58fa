"""Snapshot what the npm registry says about every package in musl_node.yaml.

The facts in src/alpineguard/knowledge/musl_node.yaml are judgments (from registry
metadata, file lists and the packages' docs) and stay hand-kept. This writes
tools/musl_node_registry.json: per package its latest version, install scripts, whether
it has a binding.gyp, and its musl / glibc platform packages, read through the user's npm
(`npm view`), and prints what changed since the last snapshot: the entries to review.
Run: .venv/bin/python tools/gen_musl_node_snapshot.py  (or `make knowledge`)
"""
from __future__ import annotations

import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from alpineguard.knowledge import load_data  # noqa: E402
from alpineguard.online import LookupError_, npm_view  # noqa: E402

TARGET = ROOT / "tools/musl_node_registry.json"


def summary(name: str) -> dict:
    records = npm_view(name)
    record = records[-1] if records else {}
    scripts = record.get("scripts") or {}
    optional = sorted(record.get("optionalDependencies") or {})
    return {"latest": record.get("version", ""),
            "install": {k: scripts[k] for k in ("preinstall", "install", "postinstall") if k in scripts},
            "gypfile": record.get("gypfile") is True,
            "musl_packages": [n for n in optional if re.search(r"musl", n)],
            "glibc_packages": [n for n in optional if re.search(r"-linux-[a-z0-9]+(-gnu)?$|glibc", n)]}


def main() -> int:
    names = sorted(load_data("musl_node.yaml")["packages"])

    def look_up(name: str):
        try:
            return summary(name)
        except LookupError_ as error:
            print(f"{name}: look-up failed ({error})", file=sys.stderr)
            return None

    with ThreadPoolExecutor(6) as pool:
        found = dict(zip(names, pool.map(look_up, names)))
    if any(v is None for v in found.values()):
        print("not written: some look-ups failed", file=sys.stderr)
        return 1
    before = json.loads(TARGET.read_text()) if TARGET.exists() else {}
    TARGET.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n")
    changed = [f"  ~ {n}: " + ", ".join(k for k in found[n] if before.get(n, {}).get(k) != found[n][k])
               for n in names if n in before and before[n] != found[n]]
    added = [f"  + {n}" for n in names if n not in before]
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(names)} packages")
    print("to review in musl_node.yaml:\n" + "\n".join(added + changed) if added or changed else "no changes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
