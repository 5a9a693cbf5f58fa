"""tools/scan_npm_native.py, the generator of musl_node_scanned.yaml: how it walks a run of
releases and writes ranges. Its registry reading is tools/audit_npm.py's, measured in
docs/accuracy.md; here the judge is a known history."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from scan_npm_native import range_entries, run_answers  # noqa: E402


def _judge_from(history: dict[str, str], asked: list[str]):
    def judge(version: str) -> str:
        asked.append(version)
        return history[version]
    return judge


def test_a_change_inside_a_line_is_found_by_bisection_not_by_reading_every_release():
    run = [f"1.{minor}.0" for minor in range(64)]
    history = {v: "builds" if int(v.split(".")[1]) < 23 else "ok" for v in run}
    asked: list[str] = []
    assert run_answers(run, _judge_from(history, asked)) == [("1.0.0", "builds"), ("1.23.0", "ok")]
    assert len(set(asked)) <= 9  # two ends and six halvings


def test_changes_at_line_boundaries_and_a_return_to_an_earlier_answer_are_all_kept():
    history = {"0.1.0": "a", "0.1.1": "a", "0.2.0": "b", "0.2.5": "b", "1.0.0": "c", "1.1.0": "c", "2.0.0": "a"}
    assert run_answers(list(history), _judge_from(history, [])) == [
        ("0.1.0", "a"), ("0.2.0", "b"), ("1.0.0", "c"), ("2.0.0", "a")]


def test_two_changes_between_neighbouring_probes_are_both_found():
    run = [f"3.0.{patch}" for patch in range(20)]
    history = {v: "a" if int(v.rsplit(".", 1)[1]) < 5 else "b" if int(v.rsplit(".", 1)[1]) < 12 else "c" for v in run}
    assert run_answers(run, _judge_from(history, [])) == [("3.0.0", "a"), ("3.0.5", "b"), ("3.0.12", "c")]


def test_a_steady_run_is_read_at_its_ends_and_the_newest_release_of_each_line_only():
    run = ["1.0.0", "1.0.1", "1.2.0", "2.0.0", "2.1.0", "2.1.1"]
    asked: list[str] = []
    assert run_answers(run, _judge_from(dict.fromkeys(run, "ok"), asked)) == [("1.0.0", "ok")]
    assert sorted(set(asked)) == ["1.0.0", "1.2.0", "2.1.1"]


@pytest.mark.parametrize("changes, entries", [
    ([("0.1.0", (("AG403", False), ("AG403", False)))], [{"kind": "builds"}]),
    ([("0.1.0", (("none", False), ("none", False))), ("0.2.1", (("undetermined", False), ("undetermined", False))),
      ("1.0.0", (("none", True), ("AG403", False)))],
     [{"kind": "ok", "since": "1.0.0", "archs": ["x64"], "nodes": [22]},
      {"kind": "builds", "since": "1.0.0", "archs": ["arm64"]},
      {"kind": "ok", "until": "0.2.1"}]),
    ([("0.1.0", (("undetermined", False), ("undetermined", False))), ("2.0.0", (("AG402", False), ("AG402", False)))],
     [{"kind": "glibc-binary", "since": "2.0.0"}]),
], ids=["one-answer", "gap-and-split-by-arch", "undetermined-before"])
def test_ranges_are_written_newest_first_with_gaps_for_undetermined_releases(changes, entries):
    assert range_entries(changes, "0.1.0") == entries


def test_a_run_of_many_lines_is_probed_at_a_bounded_number_of_releases():
    run = [f"{day}.0.0" for day in range(20150101, 20150101 + 600)]  # a major a day
    asked: list[str] = []
    history = {v: "ok" if v < "20150400" else "AG402" for v in run}
    assert run_answers(run, _judge_from(history, asked)) == [("20150101.0.0", "ok"), ("20150400.0.0", "AG402")]
    assert len(set(asked)) <= 14 + 10  # 12 lines and the ends, then bisection
