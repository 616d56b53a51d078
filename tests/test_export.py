"""``jupyter codeact export``: eval folders and headless transcripts written by the real
commands (real kernels, the scripted server over real HTTP), read back line by line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.eval.oracle import Oracle
from jupyter_codeact.eval.suite import load_suite
from jupyter_codeact.testing import RecordedRequest, Reply, ScriptedLLM

from .conftest import run_cli
from .exporting import export, lines

TASKS = ("dna/gc-s1", "web_browser/return-days", "finance/usd-to-jpy", "decoding/caesar-m1")
FAILING = ("web_browser/return-days", "decoding/caesar-m1")
"""The model answers these wrong, in every mode: half the runs fail."""


class HalfRight:
    """The oracle, except that it answers the FAILING tasks wrong."""

    def __init__(self) -> None:
        suite = load_suite()
        self.right, self.wrong = Oracle(suite), Oracle(suite, wrong=True)
        self.failing = {t.statement for t in suite.tasks if t.full_id in FAILING}

    def __call__(self, request: RecordedRequest) -> Reply | str:
        oracle = self.wrong if request.messages[1]["content"] in self.failing else self.right
        return oracle(request)


class EvalRun:
    def __init__(self, folder: Path, requests: list[RecordedRequest], model: HalfRight) -> None:
        self.folder = folder
        self.requests = requests
        self.model = model
        self.results = json.loads((folder / "results.json").read_text())


@pytest.fixture(scope="module")
def eval_run(tmp_path_factory: pytest.TempPathFactory) -> EvalRun:
    folder = tmp_path_factory.mktemp("eval") / "results"
    model = HalfRight()
    with ScriptedLLM(model) as server:
        done = run_cli("eval", "--tasks", ",".join(TASKS), "--output", str(folder), server=server)
        assert done.returncode == 0, done.stderr
    return EvalRun(folder, list(server.requests), model)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The in-process command reads no user config and no real key; the default chat store
    is empty."""
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "CODEACT_MODEL"):
        monkeypatch.delenv(name, raising=False)


def conversation_seen(requests: list[RecordedRequest], messages: list[dict[str, Any]]) -> Any:
    """The last request of the conversation that starts like ``messages``."""
    same = [r for r in requests if r.messages[:2] == messages[:2]]
    return max(same, key=lambda request: len(request.messages))


def test_every_eval_task_is_a_trajectory_of_what_the_model_was_sent(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "all.jsonl"
    said = export(capsys, out, str(eval_run.folder))
    exported = lines(out)
    rows = {(t["mode"], t["task_id"]): t for t in eval_run.results["tasks"]}
    assert len(rows) == 16 and len(exported) == 16  # 4 tasks in 4 modes
    assert said.strip().endswith("Exported 16 trajectories to " + str(out) + "; none skipped.")
    assert len({line["metadata"]["id"] for line in exported}) == 16
    for line in exported:
        meta, messages = line["metadata"], line["messages"]
        row = rows[(meta["mode"], meta["task_id"])]
        assert meta["kind"] == "eval" and meta["model"] == "scripted-model"
        assert meta["success"] is row["solved"] and meta["turns"] == row["turns"]
        assert meta["run_tokens"] == row["total_tokens"] and meta["rebuilt"] is False
        assert meta["action_style"] == {"code": "tags"}.get(meta["mode"], meta["mode"])
        assert 0 < meta["tokens"] < meta["run_tokens"]
        assert [m["role"] for m in messages[:2]] == ["system", "user"]
        # Exactly the last request of that run, and the model's answer to it.
        last = conversation_seen(eval_run.requests, messages)
        assert messages[:-1] == last.messages
        assert messages[-1] == {"role": "assistant", "content": eval_run.model(last)}
        if meta["mode"] == "tools":  # native calls pass through as the model sent them
            assert any(m.get("tool_calls") for m in messages)
            assert any(m["role"] == "tool" and m.get("tool_call_id") for m in messages)
            # With the functions it was offered, as a trainer needs them.
            assert line["tools"] == last.body["tools"] and line["parallel_tool_calls"] is False
        else:
            assert "tools" not in line
    assert sum(row["solved"] for row in rows.values()) == 8


def test_solved_only_keeps_exactly_the_solved_tasks(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "solved.jsonl"
    said = export(capsys, out, str(eval_run.folder), "--solved-only")
    solved = {(t["mode"], t["task_id"]) for t in eval_run.results["tasks"] if t["solved"]}
    kept = {(line["metadata"]["mode"], line["metadata"]["task_id"]) for line in lines(out)}
    assert kept == solved and len(kept) == 8
    assert {task for _, task in kept} == set(TASKS) - set(FAILING)
    assert "Exported 8 trajectories" in said and "skipped 8: 8 not solved (--solved-only)" in said
    # Filters combine, and each is counted where it stopped a trajectory.
    said = export(capsys, out, str(eval_run.folder), "--solved-only", "--mode", "json")
    assert {line["metadata"]["mode"] for line in lines(out)} == {"json"} and len(lines(out)) == 2
    assert "skipped 14: 12 not in mode json (--mode), 2 not solved (--solved-only)" in said
    said = export(capsys, out, str(eval_run.folder), "--min-turns", "3")
    assert all(line["metadata"]["turns"] >= 3 for line in lines(out))
    skipped = sum(1 for t in eval_run.results["tasks"] if t["turns"] < 3)
    assert f"{skipped} under 3 turns (--min-turns)" in said and skipped
    said = export(capsys, out, str(eval_run.folder), "--max-tokens", "500")
    assert all(line["metadata"]["tokens"] <= 500 for line in lines(out)) and lines(out)
    assert "over 500 tokens (--max-tokens)" in said


def test_transcripts_keep_the_steps_and_those_that_kept_messages_apart_still_export(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A transcript keeps the conversation once, as steps with their messages; one written
    when it kept the messages in a list of their own (with steps counting them, or none)
    exports the same conversation."""
    older = tmp_path / "older"
    shutil.copytree(eval_run.folder, older)
    for index, notebook in enumerate(sorted((older / "transcripts").glob("*/*.ipynb"))):
        data = json.loads(notebook.read_text())
        codeact = data["metadata"]["codeact"]
        assert "messages" not in codeact  # the steps hold them
        codeact["messages"] = [m for step in codeact["steps"] for m in step["messages"]]
        if index % 2:
            del codeact["steps"]  # before steps were recorded
        else:
            codeact["steps"] = [{**s, "messages": len(s["messages"])} for s in codeact["steps"]]
        notebook.write_text(json.dumps(data))
    export(capsys, tmp_path / "new.jsonl", str(eval_run.folder))
    said = export(capsys, tmp_path / "older.jsonl", str(older))
    assert "none skipped" in said
    new, old = lines(tmp_path / "new.jsonl"), lines(tmp_path / "older.jsonl")
    assert len(new) == 16 and [line["messages"] for line in old] == [
        line["messages"] for line in new
    ]
    assert all(line["metadata"]["rebuilt"] is False for line in old)


def test_older_transcripts_are_rebuilt_from_their_cells_as_the_model_saw_them(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Transcripts written before they kept the messages: the conversation comes back from
    the cells, the eval's prompt and the loop's own observation formatting."""
    old = tmp_path / "old"
    shutil.copytree(eval_run.folder, old)
    for notebook in (old / "transcripts").glob("*/*.ipynb"):
        data = json.loads(notebook.read_text())
        del data["metadata"]["codeact"]["steps"]
        notebook.write_text(json.dumps(data))
    export(capsys, tmp_path / "new.jsonl", str(eval_run.folder))
    said = export(capsys, tmp_path / "old.jsonl", str(old))
    recorded, rebuilt = lines(tmp_path / "new.jsonl"), lines(tmp_path / "old.jsonl")
    # Native calls were never in the cells' text: those runs cannot be rebuilt, and say so.
    assert len(rebuilt) == 12 and "4 files could not be read" in said
    assert said.count("predates recorded messages, which mode 'tools' needs") == 4
    recorded = [line for line in recorded if line["metadata"]["mode"] != "tools"]
    for new, old_line in zip(recorded, rebuilt, strict=True):
        assert old_line["messages"] == new["messages"]  # the oracle writes canonical replies
        assert old_line["metadata"]["rebuilt"] is True


def test_sharegpt_lines_alternate_and_hold_the_same_replies(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    export(capsys, tmp_path / "openai.jsonl", str(eval_run.folder))
    export(capsys, tmp_path / "sharegpt.jsonl", str(eval_run.folder), "--format", "sharegpt")
    for openai, share in zip(
        lines(tmp_path / "openai.jsonl"), lines(tmp_path / "sharegpt.jsonl"), strict=True
    ):
        turns = share["conversations"]
        assert share["id"] == share["metadata"]["id"] == openai["metadata"]["id"]
        assert all(set(turn) == {"from", "value"} for turn in turns)
        assert all(isinstance(turn["value"], str) for turn in turns)
        assert turns[0] == {"from": "system", "value": openai["messages"][0]["content"]}
        speakers = [turn["from"] for turn in turns[1:]]
        if openai["metadata"]["mode"] == "tools":  # each call and its result, then the answer
            calls = (len(speakers) - 2) // 2
            assert speakers == ["human", *["function_call", "observation"] * calls, "gpt"]
            functions = [tool["function"] for tool in openai["tools"]]
            assert json.loads(share["tools"]) == functions and functions
            continue
        assert "tools" not in share
        assert speakers == ["human", "gpt"] * (len(speakers) // 2)
        gpt = [turn["value"] for turn in turns if turn["from"] == "gpt"]
        assert gpt == [m["content"] for m in openai["messages"] if m["role"] == "assistant"]


def test_the_output_is_the_same_whatever_the_order_or_repetition_of_sources(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    transcript = eval_run.folder / "transcripts" / "code" / "dna--gc-s1.ipynb"
    export(capsys, tmp_path / "a.jsonl", str(eval_run.folder))
    said = export(capsys, tmp_path / "b.jsonl", str(transcript), str(eval_run.folder))
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
    assert "skipped 1: 1 named twice" in said
    # One of the folder's transcripts on its own keeps the folder's verdict.
    export(capsys, tmp_path / "one.jsonl", str(transcript))
    (line,) = lines(tmp_path / "one.jsonl")
    assert line["metadata"]["task_id"] == "dna/gc-s1" and line["metadata"]["success"] is True


REASONING = "Six sevens: I will let the kernel multiply."
PLANTED = "ghp_" + "A1b2" * 9
"""A token the run was not told to redact: only the export's patterns catch it."""


def test_a_headless_transcript_exports_as_the_model_saw_it_with_the_secret_redacted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    task = f"Multiply 6 by 7. My token is {PLANTED}."
    notebook = tmp_path / "run.ipynb"
    with ScriptedLLM() as server:
        server.push(
            Reply(
                reasoning=REASONING,
                content="Computing it.\n<execute>\nx = 6 * 7\nprint(x)\n</execute>",
            ),
            "It is 42.\n<solution>42</solution>",
        )
        done = run_cli("run", task, "--output", str(notebook), server=server)
        assert done.returncode == 0, done.stderr
        requests = list(server.requests)
    assert PLANTED in notebook.read_text() and REASONING in notebook.read_text()  # shown
    out = tmp_path / "run.jsonl"
    export(capsys, out, str(notebook), "--redact", r"ghp_[A-Za-z0-9]{36}")
    (line,) = lines(out)
    meta = line["metadata"]
    assert (meta["kind"], meta["success"], meta["reason"], meta["turns"]) == (
        "run",
        True,
        "answered",
        2,
    )
    assert meta["source"] == str(notebook) and meta["run_tokens"] > 0
    expected = [
        *requests[-1].messages,
        {"role": "assistant", "content": "It is 42.\n<solution>42</solution>"},
    ]
    assert json.dumps(line["messages"]).replace("[redacted]", PLANTED) == json.dumps(expected)
    assert line["messages"][1]["content"] == "Multiply 6 by 7. My token is [redacted]."
    assert line["messages"][3]["content"] == "Observation:\n42"
    assert PLANTED not in out.read_text() and REASONING not in out.read_text()
    redacted = line["messages"]
    # The same pattern from the configuration, in the other format.
    config = tmp_path / "config"
    config.mkdir()
    (config / "jupyter_codeact_config.py").write_text(
        'c.CodeAct.redact_patterns = [r"ghp_[A-Za-z0-9]{36}"]\n'
    )
    export(capsys, out, str(notebook), "--format", "sharegpt")
    (line,) = lines(out)
    assert PLANTED not in out.read_text() and "[redacted]" in line["conversations"][1]["value"]
    assert set(line) == {"id", "conversations", "metadata"}
    # Written before transcripts kept the messages: rebuilt from the cells, reasoning (shown
    # in a cell of its own) left out, the same conversation.
    data = json.loads(notebook.read_text())
    del data["metadata"]["codeact"]["steps"]
    older = tmp_path / "older.ipynb"
    older.write_text(json.dumps(data))
    export(capsys, out, str(older), "--redact", r"ghp_[A-Za-z0-9]{36}")
    (rebuilt,) = lines(out)
    assert rebuilt["metadata"]["rebuilt"] is True and REASONING not in out.read_text()
    assert rebuilt["messages"][0]["role"] == "system"
    assert rebuilt["messages"][1:] == redacted[1:]
    export(capsys, out, str(notebook), "--no-metadata")
    assert list(lines(out)[0]) == ["messages"]
    assert [turn["from"] for turn in line["conversations"]] == [
        "system",
        "human",
        "gpt",
        "human",
        "gpt",
    ]


def test_sources_that_are_none_of_the_kinds_are_refused_plainly(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "out.jsonl"
    (tmp_path / "folder").mkdir()
    (tmp_path / "plain.ipynb").write_text(
        json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []})
    )
    (tmp_path / "broken.ipynb").write_text('{"cells": [')
    cases = {
        "missing": "no such file or folder",
        "folder": "neither an eval output folder (it has no results.json) nor a chat store",
        "plain.ipynb": "is not a CodeAct transcript: export takes notebooks written by",
        "broken.ipynb": "cannot be read: not valid JSON",
    }
    for name, message in cases.items():
        assert message in export(capsys, out, str(tmp_path / name), status=2)
    assert "Name what to export" in export(capsys, out, status=2)
    assert "is not a chat id" in export(capsys, out, "--chat", "../etc", status=2)
    assert not out.exists()  # nothing half-written
    # A transcript holding something odd where an output should be is named and skipped.
    odd = {
        "cell_type": "code",
        "metadata": {"codeact": {"turn": 1}},
        "source": "1",
        "outputs": [{"output_type": "display_data", "data": 5}],
    }
    meta = {"codeact": {"task": "t"}}
    (tmp_path / "odd.ipynb").write_text(json.dumps({"metadata": meta, "cells": [odd]}))
    said = export(capsys, out, str(tmp_path / "odd.ipynb"))
    assert f"Skipped {tmp_path / 'odd.ipynb'}: unexpected content (TypeError" in said
    assert "Exported 0 trajectories" in said and out.read_text() == ""


def test_an_eval_folder_is_read_only_inside_itself(
    eval_run: EvalRun, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Rows whose mode is a path, links to files outside, and a suite named by the results
    (loading one runs its tools.py) are not followed; each is said."""
    folder = tmp_path / "results"
    shutil.copytree(eval_run.folder, folder)
    results = json.loads((folder / "results.json").read_text())
    row = results["tasks"][0]
    transcript = next((folder / "transcripts" / row["mode"]).glob("*.ipynb"))
    # A file outside the folder, planted where the rows below would lead.
    planted = json.loads(transcript.read_text())
    planted["metadata"]["codeact"]["steps"][1]["messages"][0]["content"] = "PLANTED-OUTSIDE"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / transcript.name).write_text(json.dumps(planted))
    results["tasks"].append({**row, "mode": "../../outside"})
    results["tasks"].append({**row, "mode": str(outside)})
    # A transcript replaced by a link to it.
    linked = next((folder / "transcripts" / "json").glob("*.ipynb"))
    linked.unlink()
    linked.symlink_to(outside / transcript.name)
    # An older transcript (no recorded messages) in a folder naming a suite of its own.
    evil = tmp_path / "suite" / "shop"
    evil.mkdir(parents=True)
    ran = tmp_path / "suite-ran"
    (evil / "tools.py").write_text(f"open({str(ran)!r}, 'w').write('ran')\ndef f(): pass\n")
    (evil / "tasks.json").write_text("[]")
    results["suite"] = str(tmp_path / "suite")
    (folder / "results.json").write_text(json.dumps(results))
    older = next((folder / "transcripts" / "text").glob("*.ipynb"))
    data = json.loads(older.read_text())
    del data["metadata"]["codeact"]["steps"]
    older.write_text(json.dumps(data))

    out = tmp_path / "out.jsonl"
    said = export(capsys, out, str(folder))
    assert "PLANTED-OUTSIDE" not in out.read_text() and not ran.exists()
    assert "2 rows of results.json have a mode that is a path ('../../outside', " in said
    assert f"its transcript (a link) leads outside {folder / 'transcripts'}" in said
    assert f"its suite {tmp_path / 'suite'} is outside the folder" in said
    assert f"export again with --suite {tmp_path / 'suite'}" in said
    # results.json itself as a link out is refused whole.
    (folder / "results.json").rename(outside / "results.json")
    (folder / "results.json").symlink_to(outside / "results.json")
    said = export(capsys, out, str(folder))
    assert "results.json leads outside" in said and out.read_text() == ""
