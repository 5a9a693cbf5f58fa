"""The shipped data files: YAML keeps the last of two equal keys without a word, so a fact
written twice is silently replaced (a verified lmdb entry was, by an older unverified one)."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

KNOWLEDGE = Path(__file__).resolve().parent.parent / "src" / "alpineguard" / "knowledge"


class _RefusingDuplicates(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"{key!r} appears twice", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep)


_RefusingDuplicates.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                                    _RefusingDuplicates.construct_mapping)


@pytest.mark.parametrize("path", sorted(KNOWLEDGE.glob("*.yaml")), ids=lambda p: p.name)
def test_no_key_is_written_twice(path):
    yaml.load(path.read_text(encoding="utf-8"), Loader=_RefusingDuplicates)


def test_a_key_written_twice_is_caught():
    with pytest.raises(yaml.constructor.ConstructorError, match="'lmdb' appears twice"):
        yaml.load("packages:\n  lmdb: {a: 1}\n  lmdb: {a: 2}\n", Loader=_RefusingDuplicates)
