"""``jupyter codeact run`` end to end: a real process, a real kernel, real HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from jupyter_codeact.testing import Reply, ScriptedLLM

from .conftest import json_events, run_cli


def events_of(kind: str, events: list[dict]) -> list[dict]:
    return [event for event in events if event["type"] == kind]


def test_solved_in_one_turn_with_a_notebook_transcript(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    llm_server.push(
        "I will compute it.\n<execute>\nanswer = sum(range(10))\nprint(answer)\n</execute>"
        "\nObservation: 46 (imagined by the model)",
        "The sum is 45.\n<solution>45</solution>",
    )
    out = tmp_path / "run.ipynb"
    done = run_cli("run", "Sum 0..9", "--json", "--output", str(out), server=llm_server)
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    assert events[-1]["type"] == "done" and events[-1]["reason"] == "answered"
    assert events_of("final", events) == [{"type": "final", "turn": 2, "answer": "45"}]
    assert "".join(e["text"] for e in events_of("text_delta", events)).startswith("I will compute")
    nb = nbformat.read(out, as_version=4)
    nbformat.validate(nb)
    kinds = [(cell.cell_type, cell.source) for cell in nb.cells]
    assert kinds[0] == ("markdown", "**Task:** Sum 0..9")
    assert kinds[1] == ("markdown", "I will compute it.")  # not the imagined observation
    assert kinds[2] == ("code", "answer = sum(range(10))\nprint(answer)")
    assert nb.cells[2].outputs[0]["text"] == "45\n"
    assert nb.cells[2].metadata["codeact"]["status"] == "ok"
    assert kinds[-1] == ("markdown", "**Answer:** 45")
    assert nb.metadata["kernelspec"]["name"] == "python3"


def test_self_debug_after_an_error(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        "<execute>import json\nprint(json.loads(\"{'a': 1}\"))</execute>",
        "Single quotes are not JSON.\n"
        "<execute>import ast\nprint(ast.literal_eval(\"{'a': 1}\"))</execute>",
        "<solution>{'a': 1}</solution>",
    )
    done = run_cli("run", "parse it", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    observations = events_of("observation", json_events(done.stdout))
    assert [o["status"] for o in observations] == ["error", "ok"]
    # The model saw the traceback, without terminal colour codes.
    seen = llm_server.requests[1].messages[-1]["content"]
    assert "JSONDecodeError" in seen and "\x1b[" not in seen


def test_max_turns_exits_1(llm_server: ScriptedLLM) -> None:
    llm_server.push(*["<execute>print('thinking')</execute>"] * 2)
    done = run_cli("run", "never ends", "--json", "--max-turns", "2", server=llm_server)
    assert done.returncode == 1
    assert json_events(done.stdout)[-1]["reason"] == "max_turns"


def test_a_cell_that_never_ends_is_interrupted(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        "<execute>import time\nwhile True:\n    time.sleep(0.1)</execute>",
        "<solution>it loops</solution>",
    )
    done = run_cli("run", "loop", "--json", "--timeout", "1", server=llm_server)
    assert done.returncode == 0, done.stderr
    observation = events_of("observation", json_events(done.stdout))[0]
    assert observation["status"] == "timeout"
    assert "did not finish within 1 seconds" in llm_server.requests[1].messages[-1]["content"]


def test_megabytes_of_output_reach_the_model_bounded(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        "<execute>print('x' * 5_000_000)\nprint('the end')</execute>", "<solution>done</solution>"
    )
    done = run_cli("run", "print a lot", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    seen = llm_server.requests[1].messages[-1]["content"]
    assert len(seen) < 9000
    assert seen.rstrip().endswith("the end")
    assert "characters cut" in seen


def test_a_kernel_that_dies(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        "<execute>state = 1\nimport os\nos._exit(1)</execute>",
        "<execute>print('state' in dir())</execute>",
        "<solution>restarted</solution>",
    )
    done = run_cli("run", "crash", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    observations = events_of("observation", json_events(done.stdout))
    assert observations[0]["status"] == "died"
    assert "every variable" in llm_server.requests[1].messages[-1]["content"]
    assert observations[1]["outputs"][0]["text"] == "False\n"


def test_input_gets_an_error_observation(llm_server: ScriptedLLM) -> None:
    llm_server.push("<execute>name = input('name? ')</execute>", "<solution>no input</solution>")
    done = run_cli("run", "ask me", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    assert "StdinNotImplementedError" in llm_server.requests[1].messages[-1]["content"]


def test_a_rate_limit_that_clears(llm_server: ScriptedLLM) -> None:
    llm_server.push(Reply(status=429, headers={"retry-after-ms": "50"}), "<solution>ok</solution>")
    done = run_cli("run", "hi", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    assert len(llm_server.requests) == 2


def test_a_rejected_key_exits_3_with_one_sentence(llm_server: ScriptedLLM) -> None:
    llm_server.required_key = "the-right-key"
    done = run_cli("run", "hi", server=llm_server, OPENAI_API_KEY="wrong")
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        f"Error: The LLM endpoint at {llm_server.url} rejected the API key (HTTP 401): set a "
        "valid key in OPENAI_API_KEY or c.CodeAct.api_key, then restart."
    ]


def test_a_stream_cut_mid_way_is_retried(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        Reply(content="<execute>print('half", chunk_size=5, cut_after=2),
        "<execute>print('whole')</execute>",
        "<solution>whole</solution>",
    )
    done = run_cli("run", "hi", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    assert [e["attempt"] for e in events_of("retry", events)] == [1]
    assert events_of("observation", events)[0]["outputs"][0]["text"] == "whole\n"


def test_an_endpoint_that_keeps_failing_exits_3(llm_server: ScriptedLLM) -> None:
    llm_server.push(*[Reply(content="abcdefgh", chunk_size=2, cut_after=1)] * 3)
    done = run_cli("run", "hi", "--json", server=llm_server)
    assert done.returncode == 3
    assert events_of("error", json_events(done.stdout))[0]["kind"] == "server"


def test_no_model_configured_exits_2_and_says_what_to_set() -> None:
    done = run_cli("run", "hi")
    assert done.returncode == 2
    assert "OPENAI_API_KEY" in done.stderr and "OPENAI_BASE_URL" in done.stderr


def test_usage_errors_exit_2() -> None:
    assert run_cli("run").returncode == 2
    assert run_cli("run", "x", "--max-turns", "many").returncode == 2
    assert run_cli().returncode == 2


def test_options_override_the_environment(llm_server: ScriptedLLM) -> None:
    llm_server.push("<solution>ok</solution>")
    done = run_cli(
        "run",
        "hi",
        "--model",
        "scripted-model",
        "--base-url",
        llm_server.url,
        "--api-key",
        "from-flag",
        OPENAI_BASE_URL="http://127.0.0.1:9/v1",
        CODEACT_MODEL="other",
    )
    assert done.returncode == 0, done.stderr
    assert llm_server.requests[0].headers["authorization"] == "Bearer from-flag"


def test_the_live_view_is_readable(llm_server: ScriptedLLM) -> None:
    llm_server.push("Checking.\n<execute>print(6 * 7)</execute>", "<solution>42</solution>")
    done = run_cli("run", "6*7", server=llm_server)
    assert done.returncode == 0, done.stderr
    assert "── ok ──\n42\n" in done.stdout
    assert "Answer: 42" in done.stdout
    assert "\x1b[" not in done.stdout  # not a terminal: no colour codes


def test_tools_style_headless_streams_the_code_and_records_the_style(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    code = "total = sum(range(10))\nprint(total)"
    llm_server.push(
        Reply(
            content="Summing.",
            tool_calls=[{"name": "execute_python", "arguments": {"code": code}}],
            chunk_size=4,
        ),
        "The sum is 45.",
    )
    out = tmp_path / "run.ipynb"
    done = run_cli(
        "run", "Sum 0..9", "--action-style", "tools", "--json", "-o", str(out), server=llm_server
    )
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    assert "".join(e["text"] for e in events_of("action_delta", events)) == code
    assert [e["text"] for e in events_of("observation", events)] == ["Observation:\n45"]
    assert events_of("final", events)[0]["answer"] == "The sum is 45."
    assert llm_server.requests[1].messages[-1]["role"] == "tool"
    nb = nbformat.read(out, as_version=4)
    assert nb.metadata["codeact"]["action_style"] == "tools"
    # The functions offered are kept with the messages, for an export to train on.
    assert nb.metadata["codeact"]["tools"] == llm_server.requests[0].body["tools"]
    assert [c.source for c in nb.cells if c.cell_type == "code"] == [code]
    # The live view shows the code as it is written, then runs it.
    llm_server.push(Reply(tool_calls=[{"name": "execute_python", "arguments": {"code": "6*7"}}]))
    llm_server.push("42")
    live = run_cli("run", "6*7", "--action-style", "tools", server=llm_server)
    assert (
        "── writing code (turn 1) ──\n6*7\n\n── running it ──\n── ok ──\nOut[1]: 42" in live.stdout
    )


def test_config_file_is_read(llm_server: ScriptedLLM, tmp_path: Path) -> None:
    (tmp_path / "jupyter_codeact_config.json").write_text(
        json.dumps({"CodeAct": {"max_turns": 1, "model": "scripted-model"}})
    )
    llm_server.push("<execute>1</execute>", "<solution>never reached</solution>")
    done = run_cli("run", "hi", "--json", server=llm_server, JUPYTER_CONFIG_DIR=str(tmp_path))
    assert done.returncode == 1
    assert json_events(done.stdout)[-1]["reason"] == "max_turns"


def test_a_broken_config_file_is_a_usage_error_naming_the_file(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    (tmp_path / "jupyter_codeact_config.py").write_text("c.CodeAct.max_turns = (\n")
    done = run_cli("run", "hi", server=llm_server, JUPYTER_CONFIG_DIR=str(tmp_path))
    assert done.returncode == 2
    assert "jupyter_codeact_config.py" in done.stderr and "Traceback" not in done.stderr
    assert not llm_server.requests


def test_python_dash_m_and_jupyter_subcommand_are_the_same_program() -> None:
    import subprocess
    import sys

    # `jupyter codeact` finds the `jupyter-codeact` script installed next to this Python.
    jupyter = Path(sys.executable).parent / "jupyter"
    listed = subprocess.run([str(jupyter), "codeact", "--help"], capture_output=True, text=True)
    assert listed.returncode == 0
    assert "run" in listed.stdout
