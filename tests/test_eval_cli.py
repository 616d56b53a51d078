"""``jupyter codeact eval`` end to end: a real process, real kernels, real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from jupyter_codeact.cli.main import main
from jupyter_codeact.eval.oracle import Oracle
from jupyter_codeact.eval.suite import load_suite
from jupyter_codeact.testing import Reply, ScriptedLLM

from .conftest import run_cli


def test_all_modes_with_results_table_progress_and_transcripts(tmp_path: Path) -> None:
    out = tmp_path / "results"
    with ScriptedLLM(Oracle(load_suite())) as server:
        done = run_cli(
            "eval",
            "--mode",
            "all",
            "--tasks",
            "dna/gc-s1,web_browser/return-days",
            "--concurrency",
            "2",
            "--output",
            str(out),
            server=server,
        )
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert results["model"] == "scripted-model" and results["max_turns"] == 10
    assert results["domains"] == ["dna", "web_browser"] and results["stopped_early"] is None
    for mode in ("code", "json", "text", "tools"):
        figures = results["modes"][mode]
        assert (figures["n_tasks"], figures["success_rate"]) == (2, 1.0)
        assert figures["total_tokens"] > 0 and figures["wall_time_s"] > 0
        assert set(figures["domains"]) == {"dna", "web_browser"}
    assert results["modes"]["code"]["avg_turns"] == 2.0
    assert results["modes"]["json"]["avg_turns"] == 2.5  # 2 calls + 1, and 1 call + 1
    assert [(t["mode"], t["task_id"], t["solved"]) for t in results["tasks"]] == [
        (mode, task, True)
        for mode in ("code", "json", "text", "tools")
        for task in ("dna/gc-s1", "web_browser/return-days")
    ]
    table = (out / "results.md").read_text()
    assert "| code | 100.0% | 2/2 | 2.00 |" in table
    assert "| tools | 100.0% | 2/2 | 2.50 |" in table
    assert "| domain | code | json | text | tools |" in table
    assert "| dna | 100.0% (2.00) | 100.0% (3.00) | 100.0% (3.00) | 100.0% (3.00) |" in table
    assert table in done.stdout
    # Not a terminal: one progress line a task, on stderr.
    progress = [line for line in done.stderr.splitlines() if line.startswith("[")]
    assert len(progress) == 8 and progress[-1].startswith("[8/8] tools ")
    notebook = nbformat.read(out / "transcripts" / "json" / "dna--gc-s1.ipynb", as_version=4)
    nbformat.validate(notebook)
    assert [c.source for c in notebook.cells if c.cell_type == "code"] == [
        "print(get_sequence('S1'))",
        "print(gc_content('TTTCCTCATGCAATTCAAAACCATGTCCGTAATGTAGGCGAAATAGTA'))",
    ]
    # Native calls run as the same code, named arguments.
    notebook = nbformat.read(out / "transcripts" / "tools" / "dna--gc-s1.ipynb", as_version=4)
    assert [c.source for c in notebook.cells if c.cell_type == "code"] == [
        "print(get_sequence(sample_id='S1'))",
        "print(gc_content(sequence='TTTCCTCATGCAATTCAAAACCATGTCCGTAATGTAGGCGAAATAGTA'))",
    ]


# The commands below start no kernel and call no model: run in-process, they skip the
# seconds a new interpreter spends importing.


def test_list_and_validate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--list", "--tasks", "decoding"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 11 and lines[0].startswith("decoding/caesar-m1\tMessage M1")
    assert main(["eval", "--validate"]) == 0
    assert "56 of 56 tasks check out" in capsys.readouterr().err


def test_a_user_suite_with_a_wrong_reference_fails_validation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "maths").mkdir()
    (tmp_path / "maths" / "tools.py").write_text("def double(x: int) -> int:\n    return 2 * x\n")
    task = {"id": "d", "statement": "Double 3.", "answer": 7, "calls": [["double", [3]]]}
    (tmp_path / "maths" / "tasks.json").write_text(json.dumps([task]))
    assert main(["eval", "--suite", str(tmp_path), "--validate"]) == 1
    assert capsys.readouterr().out == (
        "maths/d: the reference solution gives '6', not the expected 7.\n"
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--tasks", "chess/*"], "Error: No task matches 'chess/*': patterns match"),
        (["--suite", "/nonexistent"], "Error: The suite folder /nonexistent does not exist.\n"),
        (["--concurrency", "0"], "Error: --concurrency must be at least 1.\n"),
        (["--concurrency", "-2", "--list"], "Error: --concurrency must be at least 1.\n"),
        (["--max-turns", "0"], "Error: --max-turns must be at least 1.\n"),
        (["--max-turns", "-1", "--validate"], "Error: --max-turns must be at least 1.\n"),
    ],
)
def test_usage_errors_are_one_sentence(
    args: list[str],
    error: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An endpoint and a model are set: the error is the option's, not a missing model's.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    assert main(["eval", "--model", "m", "--output", str(tmp_path / "out"), *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(error) and captured.out == ""


def test_a_turn_limit_below_one_is_a_usage_error_in_a_real_process(tmp_path: Path) -> None:
    with ScriptedLLM(Oracle(load_suite())) as server:
        done = run_cli(
            "eval",
            "--tasks",
            "dna/gc-s1",
            "--max-turns",
            "0",
            "--output",
            str(tmp_path),
            server=server,
        )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "Error: --max-turns must be at least 1.\n"
    assert server.requests == [] and not (tmp_path / "results.json").exists()


def test_an_endpoint_that_refuses_the_key_exits_3_and_keeps_the_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    refusal = Reply(status=401, error_message="Incorrect API key provided.")
    with ScriptedLLM(lambda request: refusal) as server:
        endpoint = ["--base-url", server.url, "--api-key", "wrong", "--model", "scripted-model"]
        status = main(
            ["eval", "--tasks", "dna/gc-s1", "--output", str(tmp_path / "out"), *endpoint]
        )
    assert status == 3
    assert "API key" in capsys.readouterr().err.splitlines()[0]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert "API key" in results["stopped_early"]
