"""ENV is read by dockerfile-parse's own splitter, loaded without its package's start-up cost."""
import subprocess
import sys

import pytest
from dockerfile_parse.util import extract_key_values

from alpineguard.parsing.dockerfile import _env_splitter

ENV_VALUES = ['A=1 B="two words" C=\'x y\'', "PATH=/opt/bin:$PATH", "LEGACY some value here", 'A=a\\ b', "K=",
              'X="unterminated', "NOEQUALS"]


@pytest.mark.parametrize("text", ENV_VALUES)
def test_same_answers_as_the_package_import(text):
    def answer(split):
        try:
            return split(False, {}, {}, text)
        except (ValueError, IndexError) as error:
            return type(error)
    assert answer(_env_splitter()) == answer(extract_key_values)


def test_checking_an_env_file_imports_neither_the_package_nor_logging(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM alpine:3.20\nENV PKGS=\"curl git\"\nRUN apk add --no-cache $PKGS\n")
    script = ("import sys\nfrom alpineguard.engine import check_file\nfrom alpineguard.config import Settings\n"
              f"result = check_file({str(dockerfile)!r}, Settings())\n"
              "print(sorted(m for m in sys.modules if m.startswith(('dockerfile_parse', 'logging'))))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
