"""The CLI over several hundred varied Dockerfiles: realistic ones and damaged copies of
them. Every file is reported on, nothing raises, and the JSON report is complete."""
import json
import random

from conftest import AS_OF, corpus_generator, run_module

# Characters that stress the reader: quotes, continuations, heredoc and variable syntax.
_TRICKY = ["\\\n", "'", '"', "$", "${", "<<EOF\n", "\nEOF\n", "`", "&&", "|", ";", "(", ")", "\r\n", "#", "\t",
           "[", "]", "{", "}", "\n\n", "\\", "--", "=", "\x00", "\xff"]


def _damaged(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 12)):
        at = rng.randrange(len(chars) + 1)
        choice = rng.random()
        if choice < 0.5:
            chars[at:at] = list(rng.choice(_TRICKY))
        elif choice < 0.8 and chars:
            del chars[at:at + rng.randint(1, 20)]
        else:
            start = rng.randrange(len(chars) + 1)
            chars[at:at] = chars[start:start + rng.randint(1, 80)]
    return "".join(chars)


def test_cli_over_several_hundred_varied_dockerfiles(tmp_path):
    corpus = tmp_path / "corpus"
    originals = corpus_generator().generate(corpus / "generated", count=200, seed=2)
    rng = random.Random(7)
    damaged = corpus / "damaged"
    damaged.mkdir()
    for index, path in enumerate(originals):
        text = _damaged(path.read_text(), rng)
        (damaged / f"{index:03d}.Dockerfile").write_bytes(text.encode("utf-8", "surrogateescape"))
    run = run_module("--format", "json", "--as-of", AS_OF.isoformat(), "corpus", cwd=tmp_path)
    assert b"Traceback" not in run.stderr and run.returncode == 1, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["errors"] == []
    assert b"400 files" in run.stderr
    checked = {f["path"] for f in report["findings"]}
    assert len(checked) > 350  # nearly every file, generated or damaged, has something to say
    assert {f["rule"] for f in report["findings"]} >= {"AG001", "AG101", "AG104", "AG201"}
