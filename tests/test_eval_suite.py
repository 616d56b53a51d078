"""Task suites: the built-in one checks out; a user's own folder loads, or says what is wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.eval.checker import check, format_answer
from jupyter_codeact.eval.modes import MODES
from jupyter_codeact.eval.oracle import parse_printed
from jupyter_codeact.eval.reference import compute_answer, reference_results, validate
from jupyter_codeact.eval.suite import SuiteError, load_suite


def test_the_built_in_suite_checks_out() -> None:
    suite = load_suite()
    assert len(suite.tasks) >= 40
    assert len(suite.domains) >= 5
    for domain in suite.domains.values():
        assert sum(task.domain == domain.name for task in suite.tasks) >= 8, domain.name
        assert domain.description and all(tool.doc for tool in domain.tools), domain.name
    assert validate(suite) == []  # every reference solution gives the expected answer


def test_every_reference_result_survives_being_printed() -> None:
    # JSON and text actions show a tool's result as print() does; the scripted oracle reads
    # it back from the observation. This holds for every task of the suite.
    suite = load_suite()
    for task in suite.tasks:
        results = reference_results(suite, task)
        printed = [parse_printed(f"Observation:\n{result}") for result in results]
        answer = format_answer(compute_answer(task, printed))
        assert check(task.checker, answer, task.answer, task.tolerance), task.full_id


def test_the_prompt_describes_the_same_tools_in_every_mode() -> None:
    domain = load_suite().domains["dna"]
    prompts = {name: mode.system_prompt(domain, max_turns=7) for name, mode in MODES.items()}
    for name, prompt in prompts.items():
        assert "- find_motif(sequence: str, motif: str) -> list[int]" in prompt
        assert "at most 7 replies" in prompt and "<solution>" in prompt
        assert [m.name for m in MODES.values() if m.marker in prompt] == [name]
    assert "<execute>" in prompts["code"] and "<execute>" not in prompts["json"]


def test_select_by_pattern() -> None:
    suite = load_suite()
    dna = [task.full_id for task in suite.select("dna")]
    assert dna and all(task_id.startswith("dna/") for task_id in dna)
    assert [t.full_id for t in suite.select("dna/gc-s1, finance/nova-*")] == [
        "dna/gc-s1",
        "finance/nova-gain",
        "finance/nova-peak-day",
    ]
    assert len(suite.select(None)) == len(suite.tasks)
    with pytest.raises(SuiteError, match="No task matches 'chess'"):
        suite.select("chess")


TOOLS = '''"""A counter."""

_count = 0


def bump(by: int = 1) -> int:
    """Add to the counter; return its value."""
    global _count
    _count += by
    return _count


def fail(reason, code=2):
    raise RuntimeError(reason)


def _helper():
    pass
'''


def write_suite(root: Path, tasks: Any, tools: str = TOOLS, name: str = "counter") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "tools.py").write_text(tools)
    (folder / "tasks.json").write_text(tasks if isinstance(tasks, str) else json.dumps(tasks))
    return root


def test_a_user_suite_from_a_folder(tmp_path: Path) -> None:
    tasks = [
        {"id": "twice", "statement": "Bump twice.", "answer": 2, "calls": [["bump"], ["bump"]]},
        {
            "id": "by-five",
            "statement": "Bump by five; say it in words.",
            "answer": "five",
            "calls": [["bump", {"by": 5}]],
            "compute": "['zero', 'one', 'two', 'three', 'four', 'five'][r[0]]",
        },
    ]
    suite = load_suite(write_suite(tmp_path, tasks))
    domain = suite.domains["counter"]
    assert [(t.name, t.signature) for t in domain.tools] == [
        ("bump", "(by: int = 1) -> int"),
        ("fail", "(reason, code=2)"),
    ]
    assert domain.description == "A counter."
    assert [(t.full_id, t.checker) for t in suite.tasks] == [
        ("counter/twice", "number"),
        ("counter/by-five", "string"),
    ]
    # Each task gets a fresh instance of stateful tools.
    assert validate(suite) == []


@pytest.mark.parametrize(
    ("tasks", "tools", "message"),
    [
        ("[{", TOOLS, "is not valid JSON"),
        ('{"id": 1}', TOOLS, "must hold a JSON list"),
        ([{"id": "a", "statement": "s", "answer": 1}], TOOLS, "has no 'calls'"),
        (
            [{"id": "a", "statement": "s", "answer": 1, "calls": [["jump"]]}],
            TOOLS,
            "'jump' is not a tool of counter",
        ),
        (
            [{"id": "a", "statement": "s", "answer": 1, "calls": [["bump", "x"]]}],
            TOOLS,
            "each call is [tool, [args...]]",
        ),
        (
            [{"id": "a", "statement": "s", "answer": 1, "checker": "fuzzy", "calls": []}],
            TOOLS,
            "checker 'fuzzy' is not one of number, string, list, set",
        ),
        (
            [{"id": "a", "statement": "s", "answer": 1, "compute": "r[", "calls": []}],
            TOOLS,
            "compute is not a Python expression",
        ),
        (
            [{"id": "a", "statement": "s", "answer": 1, "calls": [], "hint": "x"}],
            TOOLS,
            "unknown fields ['hint']",
        ),
        (
            [
                {"id": "a", "statement": "s", "answer": 1, "calls": []},
                {"id": "a", "statement": "t", "answer": 1, "calls": []},
            ],
            TOOLS,
            "the id 'a' is used twice",
        ),
        ([], "import nonexistent_module_xyz", "tools.py failed to load"),
        ([], "X = 1", "defines no public function"),
    ],
)
def test_a_broken_suite_says_which_file_and_what_to_fix(
    tmp_path: Path, tasks: Any, tools: str, message: str
) -> None:
    with pytest.raises(SuiteError) as raised:
        load_suite(write_suite(tmp_path, tasks, tools))
    assert message in str(raised.value)
    assert "counter" in str(raised.value)


def test_a_folder_without_domains(tmp_path: Path) -> None:
    with pytest.raises(SuiteError, match="No domain found"):
        load_suite(tmp_path)
    with pytest.raises(SuiteError, match="does not exist"):
        load_suite(tmp_path / "missing")


def test_validate_reports_wrong_answers_and_failing_references(tmp_path: Path) -> None:
    tasks = [
        {"id": "wrong", "statement": "One bump.", "answer": 2, "calls": [["bump"]]},
        {"id": "raises", "statement": "Fail.", "answer": "x", "calls": [["fail", ["boom"]]]},
    ]
    problems = validate(load_suite(write_suite(tmp_path, tasks)))
    assert problems == [
        "counter/wrong: the reference solution gives '1', not the expected 2.",
        "counter/raises: the reference solution fails with RuntimeError('boom').",
    ]
