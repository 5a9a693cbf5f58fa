"""The packaging-free fast path of deps/versions.py gives packaging's answers."""
import itertools
import random
import subprocess
import sys

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from alpineguard.deps import versions
from alpineguard.deps.versions import PlainSpecifierSet, parse_requirement, specifier_set, version_greater

RELEASES = ["0", "1", "1.0", "1.0.0", "1.0.1", "1.1", "1.2", "1.2.0", "1.2.3", "1.10", "2", "2.0", "2.0.0.0",
            "2.1", "01.2", "3.9", "3.10", "3.11.50", "3.12.50", "10.0.1", "1.26.4", "2024.1.1"]
ODD = ["1.0rc1", "1.0a1", "1.0.post1", "1.0.dev0", "1!1.0", "1.0+local", "v1.0", "1.0.0b2", "2.0-1"]
OPERATORS = ["==", "!=", ">=", "<=", ">", "<", "~=", "==="]


def _clauses():
    for op in OPERATORS:
        for version in RELEASES + ODD[:3] + ["1.*", "1.0.*", "3.*", "1"]:
            yield f"{op}{version}"
            yield f"{op} {version}"


CLAUSES = list(_clauses())


def _packaging_spec(text):
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return None


def _sets():
    rng = random.Random(8)
    yield from ["", ">=1.0,<2", ">=1.0, >=1.0.0", ">=1.0,>=1.0", "!=3.0.*,!=3.1.*,>=2.7", "~=1", "~=1.2.3",
                "==1.*,!=1.0.*", ">=1.0,", " >= 1.0 , < 2 "]
    yield from CLAUSES
    for _ in range(600):
        yield ",".join(rng.sample(CLAUSES, rng.randint(2, 3)))


@pytest.mark.parametrize("text", list(_sets()))
def test_specifier_sets_agree_with_packaging(text):
    ours, theirs = specifier_set(text), _packaging_spec(text)
    assert (ours is None) == (theirs is None)
    if theirs is None:
        return
    assert str(ours) == str(theirs)
    assert sorted((s.operator, s.version) for s in ours) == sorted((s.operator, s.version) for s in theirs)
    for version, prereleases in itertools.product(RELEASES + ODD, (None, True, False)):
        assert ours.contains(version, prereleases=prereleases) == theirs.contains(version, prereleases=prereleases), \
            (text, version, prereleases)


def test_plain_sets_take_the_fast_path_and_odd_ones_packaging():
    assert isinstance(specifier_set("!=3.0.*,>=2.7,~=3.1"), PlainSpecifierSet)
    assert isinstance(specifier_set(">=1.0,>=1.0.0"), SpecifierSet)  # packaging picks which equal one stays
    assert isinstance(specifier_set(">=1.0rc1"), SpecifierSet)
    assert specifier_set("~=1") is None
    assert specifier_set(">=1.0").contains("1.1rc1", prereleases=True)  # an odd version: packaging decides


def _requirements():
    rng = random.Random(9)
    names = ["numpy", "Django", "zope.interface", "ruamel_yaml", "a", "a-", "-a", "my--pkg", "x1"]
    extras = ["", "[s3]", "[s3,gcs]", "[ s3 , gcs ]", "[]", "[-x]", "[a", " [s3]"]
    specs = ["", "==1.2.3", ">=1.0,<2", " >= 1.0", "~=2.2", "==1.*", "===1.0", ">=1.0rc1", ">=1.0,", "==",
             "; python_version < '3.12'", " @ https://example.invalid/x.whl", "(>=1.0)", ">=1.0 ; os_name == 'nt'",
             "==1.0 junk", "!=1.5,>=1,<=3"]
    cases = [n + e + s for n in names for e in extras[:3] for s in specs]
    cases += [rng.choice(names) + rng.choice(extras) + rng.choice(specs) for _ in range(400)]
    return cases


@pytest.mark.parametrize("text", _requirements())
def test_requirements_agree_with_packaging(text):
    try:
        parsed = Requirement(text)
        expected = None if parsed.url else (parsed.name, str(parsed.specifier), str(parsed.marker))
    except InvalidRequirement:
        expected = None
    ours = parse_requirement(text)
    assert (ours if ours is None else (ours[0], ours[1], str(ours[2]))) == expected


def test_plain_requirements_and_versions_do_not_import_packaging():
    script = ("import sys\n"
              "from alpineguard.deps.versions import parse_requirement, specifier_set, version_greater\n"
              "assert parse_requirement('numpy[s3]>=1.0,<2') == ('numpy', '<2,>=1.0', None)\n"
              "assert specifier_set('!=3.0.*,>=2.7').contains('3.11.50', prereleases=True)\n"
              "assert version_greater('1.10', '1.9')\n"
              "print(sorted(m for m in sys.modules if m.startswith('packaging')))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


@pytest.mark.parametrize("first, second", list(itertools.product(RELEASES + ODD[:7], repeat=2)))
def test_version_order_agrees_with_packaging(first, second):
    assert version_greater(first, second) == (Version(first) > Version(second))
