"""Stable identities for findings, so that code scanning and GitLab track them across runs."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from ..model import Finding

# Messages may cite another line ("added by the RUN at line 6"); editing above it must not
# turn the finding into a new one.
_LINE_REFERENCE = re.compile(r"\b(lines?) \d+")


def fingerprints(findings: Sequence[Finding]) -> list[str]:
    """One hex digest per finding from its rule, path and message (not its line: moving an
    instruction keeps its findings); identical findings are told apart by their order."""
    seen: dict[tuple[str, str, str], int] = {}
    result = []
    for f in findings:
        key = (f.rule, f.path.replace("\\", "/"), _LINE_REFERENCE.sub(r"\1 N", f.message))
        occurrence = seen.get(key, 0)
        seen[key] = occurrence + 1
        result.append(hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8")).hexdigest())
    return result
