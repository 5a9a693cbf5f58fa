"""Rule docs come from the registry: checked-in pages, --explain, --list-rules, SARIF help."""
from __future__ import annotations

import shutil
import subprocess
import sys

from conftest import REPO, run_cli

from alpineguard import docs
from alpineguard.rules import REGISTRY, all_rules


def run_module_docs(cwd, *args):
    return subprocess.run([sys.executable, "-m", "alpineguard.docs", *args], cwd=cwd, capture_output=True,
                          timeout=60)


def test_checked_in_rule_docs_are_current():
    stale = docs.stale_files(str(REPO / docs.DOCS_DIR))
    assert stale == [], f"stale rule docs {stale}: run `python -m alpineguard.docs` and commit docs/rules/"


def test_check_mode_catches_edited_missing_and_orphaned_pages(tmp_path):
    folder = tmp_path / "rules"
    assert docs.main([str(folder), "--check"]) == 1  # nothing generated yet
    assert docs.main([str(folder)]) == 0
    assert docs.main([str(folder), "--check"]) == 0
    (folder / "AG101.md").write_text("hand-edited\n", encoding="utf-8")
    (folder / "AG102.md").unlink()
    (folder / "AG998.md").write_text("a rule that is gone\n", encoding="utf-8")
    assert docs.stale_files(str(folder)) == ["AG101.md", "AG102.md", "AG998.md"]
    docs.main([str(folder)])
    assert docs.stale_files(str(folder)) == [] and not (folder / "AG998.md").exists()


def test_generator_runs_as_a_module_from_the_repository(tmp_path):
    shutil.copytree(REPO / docs.DOCS_DIR, tmp_path / docs.DOCS_DIR)
    result = run_module_docs(tmp_path, "--check")
    assert result.returncode == 0, result.stderr
    (tmp_path / docs.DOCS_DIR / "AG201.md").write_text("old\n", encoding="utf-8")
    result = run_module_docs(tmp_path, "--check")
    assert result.returncode == 1 and b"AG201.md" in result.stderr


def test_every_rule_page_carries_the_registry_text():
    for rule in all_rules():
        page = docs.rule_page(rule)
        assert page.startswith(f"# {rule.id} {rule.name}\n")
        for part in (rule.summary, rule.rationale, rule.bad, rule.good, rule.fix, rule.severity.label):
            assert part in page
        assert docs.help_uri(rule).endswith(f"/docs/rules/{rule.id}.md")
    assert "hadolint ignore=DL3019" in docs.rule_page(REGISTRY["AG101"])


def test_explain_and_list_rules_read_the_registry():
    rule = REGISTRY["AG104"]
    explained = run_cli("--explain", "ag104", cwd=REPO)
    assert explained.returncode == 0
    text = explained.stdout.decode()
    assert text.startswith(f"AG104 {rule.name} (warning)") and rule.rationale in text and rule.fix in text
    assert "Does not check `ONBUILD` triggers" in text
    assert "Also checks `ONBUILD` triggers" in run_cli("--explain", "AG101", cwd=REPO).stdout.decode()
    listed = run_cli("--list-rules", cwd=REPO).stdout.decode().splitlines()
    assert [line.split()[0] for line in listed] == sorted(REGISTRY)
    assert run_cli("--explain", "AG999", cwd=REPO).returncode == 2


def test_readme_rule_table_lists_every_rule_as_registered():
    rows = [line.split("|")[1:4] for line in (REPO / "README.md").read_text(encoding="utf-8").splitlines()
            if line.startswith("| AG")]
    table = [(rule_id.strip(), name.strip(), severity.strip()) for rule_id, name, severity in rows]
    registered = [(r.id, r.name, r.severity.label) for r in all_rules()]
    # AG401's severity depends on the case (warning, or error without a compiler).
    assert [(i, n, "warning" if s == "warning / error" else s) for i, n, s in table] == registered
