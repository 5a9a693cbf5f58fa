"""Snapshot what the npm registry says about every package in musl_node.yaml.

The facts in src/alpineguard/knowledge/musl_node.yaml are judgments (from registry
metadata, file lists and the packages' docs) and stay hand-kept. This writes
tools/musl_node_registry.json: per package its latest version, install scripts, whether
it has a binding.gyp, and its musl / glibc platform packages, read through the user's npm
(`npm view`), and prints what changed since the last snapshot: the entries to review.
It also records what the registry's files say about each package's latest version on
musl (`registry_verdict`, worked out as tools/audit_npm.py does: platform packages' libc
and ELF links, node-gyp-build prebuilds as it picks them) and lists the entries whose
hand-kept verdict for that version says otherwise, or is unverified where the files decide.
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
from alpineguard.rules.deps_node import _entry_for  # noqa: E402
from audit_npm import CPUS, expected  # noqa: E402

RULE_OF_KIND = {"glibc-binary": "AG402", "builds": "AG403", "ok": "none"}

TARGET = ROOT / "tools/musl_node_registry.json"


def summary(name: str) -> dict:
    records = npm_view(name)
    record = records[-1] if records else {}
    scripts = record.get("scripts") or {}
    optional = sorted(record.get("optionalDependencies") or {})
    latest = record.get("version", "")
    try:
        verdict = list(expected(name, latest)) if latest else ["undetermined", "no version"]
    except (RuntimeError, ValueError, OSError) as error:
        verdict = ["undetermined", f"look-up failed: {error}"]
    return {"latest": latest,
            "install": {k: scripts[k] for k in ("preinstall", "install", "postinstall") if k in scripts},
            "gypfile": record.get("gypfile") is True,
            "musl_packages": [n for n in optional if re.search(r"musl", n)],
            "glibc_packages": [n for n in optional if re.search(r"-linux-[a-z0-9]+(-gnu)?$|glibc", n)],
            "registry_verdict": verdict}


def hand_kept(facts: dict, version: str) -> str:
    """The hand-kept entry's finding for `version` on Node 22 (x64 and arm64), as
    audit_npm ranks them; "unverified" where an entry that applies is unverified."""
    entries = [_entry_for(facts, version, cpu, 22) for cpu in CPUS]
    if any(e is not None and e.get("unverified") for e in entries):
        return "unverified"
    rules = {RULE_OF_KIND[e["kind"]] for e in entries if e is not None}
    return next((rule for rule in ("AG402", "AG403", "none") if rule in rules), "unknown")


def main() -> int:
    packages = load_data("musl_node.yaml")["packages"]
    names = sorted(packages)

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
    disagree = []
    for name in names:
        registry, why = found[name]["registry_verdict"]
        kept = hand_kept(packages[name], found[name]["latest"])
        if registry != "undetermined" and kept != registry:
            disagree.append(f"  ! {name} {found[name]['latest']}: musl_node.yaml says {kept}, the registry's files "
                            f"{registry} ({why})")
    print("entries the registry's files contradict or leave unverified:\n" + "\n".join(disagree) if disagree
          else "every entry the registry's files decide agrees with them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
