"""``%%codeact`` in real notebooks: nbclient, a real kernel, the scripted LLM server.

One kernel serves the whole module (each test starts its own conversation with ``--new``).
It loads the extension and its model name from ``ipython_config.py``, and gets the
endpoint and key from its environment, as a user's kernel would.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_codeact.cli.main import main
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.magic.approval import NO_STDIN_MESSAGE, PROMPT, no_stdin_message
from jupyter_codeact.testing import Reply, ScriptedLLM

from .conftest import clean_env
from .notebook_kernel import NotebookKernel, text_of, widget_models

CONFIGURED_MODEL = "configured-model"
OTHER_MODEL = "other-model"


@pytest.fixture(scope="module")
def magic_llm() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(models=(CONFIGURED_MODEL, OTHER_MODEL)) as server:
        yield server


@pytest.fixture(scope="module")
def notebooks(
    magic_llm: ScriptedLLM, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NotebookKernel]:
    ipython_dir = tmp_path_factory.mktemp("ipython")
    profile = ipython_dir / "profile_default"
    profile.mkdir()
    (profile / "ipython_config.py").write_text(
        'c.InteractiveShellApp.extensions = ["jupyter_codeact"]\n'
        f'c.CodeAct.model = "{CONFIGURED_MODEL}"\n'
    )
    env = clean_env(
        OPENAI_BASE_URL=magic_llm.url, OPENAI_API_KEY="test-key", IPYTHONDIR=str(ipython_dir)
    )
    kernel = NotebookKernel(env).start()
    yield kernel
    kernel.shutdown()


def script(server: ScriptedLLM, *replies: Reply | str) -> int:
    """Give the server its replies; the number of requests it had before."""
    server.set_script(list(replies))
    return len(server.requests)


def html_values(nb: nbformat.NotebookNode) -> list[str]:
    return [state["value"] for state in widget_models(nb, "HTMLModel")]


def step_titles(nb: nbformat.NotebookNode) -> list[str]:
    return [title for state in widget_models(nb, "AccordionModel") for title in state["titles"]]


def test_a_follow_up_continues_the_conversation_with_the_variables(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(
        magic_llm,
        "I'll double them.\n<execute>\nrevenue = [p * 2 for p in prices]\n"
        "print(len(revenue))\n</execute>",
        "<solution>revenue holds 3 values</solution>",
        "<execute>\ntotal = sum(revenue)\ntotal\n</execute>",
        "<solution>The total is 24</solution>",
    )
    nb = notebooks.run(
        [
            "prices = [3, 4, 5]",
            "%%codeact --new\nDouble the prices into revenue",
            "%%codeact\nNow total the revenue",
            "answer = _\nprint(total, revenue, repr(answer))",
        ]
    )
    # Variables go both ways, and the answer is the cell's value.
    assert text_of(nb.cells[3]) == "24 [6, 8, 10] 'The total is 24'\n"
    requests = magic_llm.requests[base:]
    assert len(requests) == 4
    assert {r.body["model"] for r in requests} == {CONFIGURED_MODEL}  # from ipython_config.py
    first = requests[0].last_user_text
    assert "<context>" in first and "- prices: list of int (len 3)" in first
    assert first.endswith("Double the prices into revenue")
    # The follow-up is the same conversation, and its context shows the agent's variable.
    follow_up = requests[2]
    assert any("Double the prices" in str(m["content"]) for m in follow_up.messages)
    replies = [m["content"] for m in follow_up.messages if m["role"] == "assistant"]
    assert "<solution>revenue holds 3 values</solution>" in replies
    assert "- revenue: list of int (len 3)" in follow_up.last_user_text
    assert follow_up.last_user_text.endswith("Now total the revenue")
    value = nb.cells[2].outputs[-1]
    assert value["output_type"] == "execute_result"
    assert value["data"]["text/markdown"] == "The total is 24"


def test_the_agent_debugs_its_own_error(magic_llm: ScriptedLLM, notebooks: NotebookKernel) -> None:
    base = script(
        magic_llm,
        "<execute>\nimport json\nparsed = json.loads(\"{'a': 1}\")\n</execute>",
        "Single quotes are not JSON.\n<execute>\nimport ast\n"
        "parsed = ast.literal_eval(\"{'a': 1}\")\nprint(parsed)\n</execute>",
        "<solution>{'a': 1}</solution>",
    )
    nb = notebooks.run(["%%codeact --new\nParse {'a': 1}", "print(parsed['a'])"])
    seen = magic_llm.requests[base + 1].last_user_text
    assert "JSONDecodeError" in seen and "json.loads" in seen  # the traceback, with the line
    assert "\x1b[" not in seen
    assert "{'a': 1}" in magic_llm.requests[base + 2].last_user_text
    assert step_titles(nb) == ["Step 1 · error", "Step 2 · ok"]
    assert text_of(nb.cells[1]) == "1\n"


def markdown_values(nb: nbformat.NotebookNode) -> list[str]:
    """The markdown shown by the run's Output widgets (prose, code, answer)."""
    return [
        output["data"]["text/markdown"]
        for state in widget_models(nb, "OutputModel")
        for output in state["outputs"]
        if "text/markdown" in output.get("data", {})
    ]


def test_the_live_view_and_the_saved_notebook_both_present_the_run(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(
        magic_llm,
        "The column is `price`; the rows add up to **60** <img src=x onerror=alert(1)>.\n"
        "<execute>\nfrom IPython.display import HTML, display\n"
        "display(HTML('<b>bold</b>'))\nimport sys\nprint('to stderr', file=sys.stderr)\n"
        "6 * 7\n</execute>",
        "<solution>The answer is **42** [link](javascript:alert(1))</solution>",
    )
    nb = notebooks.run(["%%codeact --new\nShow it"])
    view, value = nb.cells[0].outputs
    # What the notebook keeps: the run as static markdown (no widget to be missing when it
    # is reopened without a kernel or widget state), and as text.
    assert "application/vnd.jupyter.widget-view+json" not in view["data"]
    static = view["data"]["text/markdown"]
    assert static.startswith("**CodeAct:** Show it\n\nThe column is `price`; the rows add up")
    assert "**60** &lt;img src=x" in static  # markdown, with the model's HTML as text
    assert "<details><summary>Step 1 · ok</summary>\n\n```python\nfrom IPython" in static
    assert "```\nto stderr\n```" in static and "```\nOut" not in static
    assert "**Answer:** The answer is **42** [link]\\(javascript:" in static
    assert re.search(r"\*Answered · 2 turns · [\d,]+ tokens\*$", static)
    fallback = view["data"]["text/plain"]
    assert fallback.startswith("CodeAct: Show it\nStep 1 (ok):\n")
    assert "Answer: The answer is **42**" in fallback
    assert fallback.endswith("[answered · 2 turns · " + fallback.rsplit("· ", 1)[-1])
    # The answer as the cell's value: markdown, made safe.
    assert value["data"]["text/markdown"] == ("The answer is **42** [link]\\(javascript:alert(1))")
    # The live widgets: prose and answer as safe markdown, code as a python block.
    shown = markdown_values(nb)
    assert "The column is `price`; the rows add up to **60** &lt;img src=x onerror=alert(1)>." in (
        shown
    )
    assert any(v.startswith("```python\nfrom IPython.display import HTML") for v in shown)
    assert "The answer is **42** [link]\\(javascript:alert(1))" in shown
    assert any(">Answered · 2 turns · " in v for v in html_values(nb))
    # The step's outputs were shown in its Output widget, and captured for the model.
    (step,) = [
        s
        for s in widget_models(nb, "OutputModel")
        if s["outputs"] and not any("text/markdown" in o.get("data", {}) for o in s["outputs"])
    ]
    kinds = [(o["output_type"], o.get("name")) for o in step["outputs"]]
    assert kinds == [("display_data", None), ("stream", "stderr"), ("execute_result", None)]
    assert step["outputs"][0]["data"]["text/html"] == "<b>bold</b>"
    observation = magic_llm.requests[base + 1].last_user_text
    assert observation.startswith("Observation:\nbold\n")  # the HTML's text, not its repr
    assert "[stderr]\nto stderr" in observation
    assert f"Out[{step['outputs'][2]['execution_count']}]: 42" in observation


def test_approve_refuses_in_a_kernel_without_stdin(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, "<execute>\nnot_approved = 1\n</execute>", "<solution>1</solution>")
    nb = notebooks.run(
        ["%%codeact --new --approve\nSet a variable", "print('not_approved' in globals())"]
    )
    assert text_of(nb.cells[0]) == NO_STDIN_MESSAGE + "\n"
    assert nb.cells[0].outputs[0]["name"] == "stderr"
    assert len(magic_llm.requests) == base  # the model was not even asked
    assert text_of(nb.cells[1]) == "False\n"
    assert NO_STDIN_MESSAGE.endswith(".") and ". " not in NO_STDIN_MESSAGE  # one sentence


def test_approval_from_the_configuration_is_named_when_it_cannot_ask(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, "<execute>\nnot_approved = 1\n</execute>", "<solution>1</solution>")
    try:
        nb = notebooks.run(
            [
                '%config CodeAct.approval_mode = "ask"',
                "%%codeact --new\nSet a variable",
                "%%codeact --approve\nSet a variable",
            ]
        )
    finally:
        notebooks.run(["get_ipython().config.CodeAct.pop('approval_mode', None)"])
    only_setting = text_of(nb.cells[1])
    assert only_setting == no_stdin_message(option=False, setting=True) + "\n"
    assert only_setting.startswith('c.CodeAct.approval_mode = "ask" makes CodeAct ask you')
    assert "--approve" not in only_setting  # the user did not write it
    assert '%config CodeAct.approval_mode = "auto"' in only_setting
    both = text_of(nb.cells[2])
    assert both.startswith('c.CodeAct.approval_mode = "ask" (and --approve) makes CodeAct')
    assert "drop --approve" in both
    for message in (only_setting, both):
        assert message.endswith(".\n") and ". " not in message  # one sentence
    assert len(magic_llm.requests) == base


def test_a_bad_configuration_value_is_one_line_not_a_traceback(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, "<solution>never asked</solution>")
    try:
        nb = notebooks.run(['%config CodeAct.max_turns = "many"', "%%codeact --new\nAnything"])
    finally:
        notebooks.run(["get_ipython().config.CodeAct.pop('max_turns', None)"])
    (output,) = nb.cells[1].outputs  # no error output: the notebook ran on
    assert output["name"] == "stderr"
    assert output["text"] == (
        "CodeAct: invalid configuration: The 'max_turns' trait of a CodeAct instance expected "
        "an int, not the str 'many'; correct it in ipython_config.py (or with %config "
        "CodeAct.<name> = <value>) and run the cell again.\n"
    )
    assert len(magic_llm.requests) == base


def test_a_bug_during_a_run_finishes_the_view_and_the_conversation_goes_on(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, "<solution>after the bug</solution>")
    nb = notebooks.run(
        [
            # A bug on the agent's side of the run (in the model client).
            "import jupyter_codeact.core.llm as llm_module\n"
            "real_stream = llm_module.OpenAIChat.stream\n"
            "async def broken_stream(self, messages):\n"
            "    raise RuntimeError('simulated bug')\n"
            "    yield\n"
            "llm_module.OpenAIChat.stream = broken_stream",
            "try:\n"
            "    get_ipython().run_cell_magic('codeact', '--new', 'First request')\n"
            "except RuntimeError as error:\n"
            "    print('raised:', error)\n"
            "finally:\n"
            "    llm_module.OpenAIChat.stream = real_stream",
            "%%codeact\nSecond request",
        ]
    )
    view, printed = nb.cells[1].outputs
    assert printed["text"] == "raised: simulated bug\n"  # a bug: its exception goes on up
    failure = (
        "CodeAct broke off on an internal error (RuntimeError: simulated bug); this is a bug "
        "in CodeAct, and the traceback below is what to report."
    )
    assert view["data"]["text/plain"] == f"CodeAct: First request\nError: {failure}\n[failed]"
    values = html_values(nb)
    assert any(failure in v and "border-left" in v for v in values)
    assert any(">Failed</div>" in v for v in values)  # the footer
    assert f"**Error:** {failure}" in view["data"]["text/markdown"]
    # The same agent takes the follow-up, with the failed request in its conversation.
    (request,) = magic_llm.requests[base:]
    assert any("First request" in str(m["content"]) for m in request.messages)
    assert request.last_user_text.endswith("Second request")
    assert nb.cells[2].outputs[-1]["data"]["text/plain"] == "after the bug"


def test_a_failing_view_stops_the_run_and_leaves_no_agent_running(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    script(
        magic_llm,
        "<execute>\nbefore_the_display_bug = 1\n</execute>",
        # Whether the stopped run's next request reached the server is a matter of timing:
        # the follow-up gets the same reply either way.
        "<solution>settled</solution>",
        "<solution>settled</solution>",
    )
    nb = notebooks.run(
        [
            "from jupyter_codeact.magic.display import WidgetView\n"
            "real_finish_step = WidgetView._finish_step\n"
            "def broken_finish_step(self, observation):\n"
            "    raise ValueError('display bug')\n"
            "WidgetView._finish_step = broken_finish_step\n"
            "session = get_ipython().magics_manager.registry['CodeActMagics'].session\n"
            "try:\n"
            "    get_ipython().run_cell_magic('codeact', '--new', 'Set a value')\n"
            "except ValueError as error:\n"
            "    print('raised:', error, '| agent running:', session.agent.running)\n"
            "finally:\n"
            "    WidgetView._finish_step = real_finish_step",
            "print(before_the_display_bug)",
            "%%codeact\nAgain",
        ]
    )
    view, printed = nb.cells[0].outputs
    assert printed["text"] == "raised: display bug | agent running: False\n"
    fallback = view["data"]["text/plain"]
    assert "Step 1 (ok):" in fallback
    assert "Error: CodeAct broke off on an internal error (ValueError: display bug)" in fallback
    # The run was served to its end (recorded, no longer shown): it says how it ended.
    assert re.search(r"\n\[(stopped|answered) · \d turns · [\d,]+ tokens[^\n]*\]$", fallback)
    assert re.search(r">(Stopped|Answered) · \d turns", "".join(html_values(nb)))  # footer
    assert step_titles(nb)[0] == "Step 1 · ok"  # from the record, past the broken view
    assert text_of(nb.cells[1]) == "1\n"
    assert nb.cells[2].outputs[-1]["data"]["text/plain"] == "settled"


def test_a_stop_as_an_action_starts_leaves_nothing_armed(notebooks: NotebookKernel) -> None:
    # The front end's Stop landing in the executor after it became interruptible and
    # before the user's code started (here: as the timeout's timer starts).
    nb = notebooks.run(
        [
            "from jupyter_codeact.executors.main_thread import MainThreadQueue\n"
            "from jupyter_codeact.executors.shell import ShellExecutor\n"
            "class StopAsTheTimerStarts:\n"
            "    cancelled = False\n"
            "    def start(self):\n"
            "        raise KeyboardInterrupt\n"
            "    def cancel(self):\n"
            "        self.cancelled = True\n"
            "timer = StopAsTheTimerStarts()\n"
            "executor = ShellExecutor(get_ipython(), MainThreadQueue())\n"
            "executor._timer = lambda timeout: timer\n"
            "result = executor.run_now('never_ran = 1', timeout=5)\n"
            "print(result.status, executor.interruptible, timer.cancelled, 'never_ran' in dir())"
        ]
    )
    # Not left interruptible (a later Stop would raise into our own code), and the timer
    # is cancelled (else it would interrupt whatever runs when it fires).
    assert text_of(nb.cells[0]) == "interrupted False True False\n"


def test_approve_asks_through_the_front_end_before_each_action(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(
        magic_llm,
        "<execute>\npicked = 1\n</execute>",
        "<execute>\npicked = 2\n</execute>",
        "<solution>picked</solution>",
    )
    reply, messages, prompts = notebooks.execute_answering(
        "%%codeact --new --approve\nPick a number", ["y", "n"]
    )
    assert reply["content"]["status"] == "ok"
    assert prompts == [PROMPT, PROMPT]
    assert "The user chose not to run this code" in magic_llm.requests[base + 2].last_user_text
    titles = [
        title
        for msg in messages
        if msg["msg_type"] == "comm_msg"
        for title in msg["content"]["data"].get("state", {}).get("titles", [])
    ]
    assert titles.count("Step 1 · waiting for your approval") == 1
    assert titles[-2:] == ["Step 2 · waiting for your approval", "Step 2 · skipped"]
    nb = notebooks.run(["print(picked)"])
    assert text_of(nb.cells[0]) == "1\n"


def test_insert_puts_the_cells_into_the_next_cell_as_the_cell_rule_keeps_them(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    first = (
        r"Observation:\n\(the cell ran and printed nothing\)\n\(This ran in cell (c[0-9a-f]+)\.\)"
    )
    base = script(
        magic_llm,
        "<execute>\nsquares = [n * n for n in range(4)]\n</execute>",
        "<execute>\nundefined_thing\n</execute>",
        "<execute>\nprint(squares)\n</execute>",  # the fix: in place of the failed step
        Reply(  # a revision of the first step, named by its id
            content='<execute replace="{first}">\nsquares = [n * n for n in range(5)]\n</execute>',
            quote={"first": first},
        ),
        "<solution>done</solution>",
    )
    payloads: dict[int, list[dict[str, Any]]] = {}

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        payloads[cell_index] = execute_reply["content"]["payload"]

    nb = notebooks.run(
        ["%%codeact --new --insert\nMake squares", "print(squares)"],
        on_cell_executed=on_cell_executed,
    )
    assert payloads[0] == [
        {
            "source": "set_next_input",
            "text": "# CodeAct: Make squares\n"
            "squares = [n * n for n in range(5)]\n\nprint(squares)",
            "replace": False,
        }
    ]
    assert payloads[1] == []
    assert any("The code that ran is in a new cell below." in v for v in html_values(nb))
    assert text_of(nb.cells[1]) == "[0, 1, 4, 9, 16]\n"  # the code ran too
    # The model was told each time where its code went.
    told = magic_llm.requests[base + 2].last_user_text
    assert "Your next action replaces the code of cell" in told
    assert "(This replaced the code of cell" in magic_llm.requests[base + 4].last_user_text


def test_insert_keeps_what_a_failed_step_defined_before_its_error(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    """The magic's shell reports the failing line as the kernel does: a check after a
    failure goes below the step cut to what ran; a step that cannot be cut is guarded."""
    sales = "sales = {'revenue': [120, 80]}"
    loop = "seen = []\nfor key in ['revenue', 'Revenue']:\n    seen.append(sum(sales[key]))"
    script(
        magic_llm,
        f"<execute>\n{sales}\nprint(sum(sales['Revenue']))\n</execute>",
        "No 'Revenue' key. Let me look at the keys:\n<execute>\nprint(list(sales))\n</execute>",
        f"<execute>\n{loop}\n</execute>",
        "Which keys worked?\n<execute>\nprint(key, seen)\n</execute>",
        "<solution>200</solution>",
    )
    payloads: dict[int, list[dict[str, Any]]] = {}

    def on_cell_executed(cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        payloads[cell_index] = execute_reply["content"]["payload"]

    notebooks.run(["%%codeact --new --insert\nTotal revenue"], on_cell_executed=on_cell_executed)
    inserted = payloads[0][0]["text"]
    guarded = "\n".join("    " + line for line in loop.split("\n"))
    assert inserted == (
        f"# CodeAct: Total revenue\n{sales}\n\nprint(list(sales))\n\n"
        "try:  # CodeAct: this step failed (KeyError); it stays for what it defines before its "
        f"error\n{guarded}\nexcept Exception:\n    pass\n\nprint(key, seen)"
    )
    # Run as a notebook would run it on a fresh kernel: no error.
    rerun = notebooks_fresh_run(inserted)
    assert rerun == "['revenue']\nRevenue [200]\n"


def notebooks_fresh_run(code: str) -> str:
    """Run ``code`` in a new kernel of its own; its printed output (fails on an error)."""

    async def go() -> str:
        async with KernelExecutor() as fresh:
            result = await fresh.execute(code, timeout=60)
        assert result.status == "ok", result.outputs
        return "".join(o.get("text", "") for o in result.outputs)

    return asyncio.run(go())


def test_stop_during_a_long_action_ends_the_run_with_a_note(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        base = script(
            magic_llm,
            "<execute>\nimport socket, time\nbefore_stop = 'kept'\n"
            f"socket.create_connection(('127.0.0.1', {port})).close()\n"
            "while True:\n    time.sleep(0.05)\n</execute>",
            "<solution>the model is not asked again</solution>",
        )
        running = notebooks.submit(["%%codeact --new\nLoop forever", "print(before_stop)"])
        listener.settimeout(60)
        connection, _ = listener.accept()  # the action is running
        connection.close()
        notebooks.interrupt()
        nb = running.result(timeout=60)
    assert len(magic_llm.requests) == base + 1
    assert [o["output_type"] for o in nb.cells[0].outputs] == ["display_data"]  # no answer
    fallback = nb.cells[0].outputs[0]["data"]["text/plain"]
    assert "Step 1 (interrupted)" in fallback
    assert "Stopped by the user while an action was running." in fallback
    assert step_titles(nb) == ["Step 1 · interrupted"]
    assert text_of(nb.cells[1]) == "kept\n"  # the kernel goes on, with its state


def test_stop_while_the_model_replies_ends_the_run(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, Reply(hang=True))
    running = notebooks.submit(["%%codeact --new\nThink forever", "print('after')"])
    magic_llm.wait_for_requests(base + 1, timeout=60)
    notebooks.interrupt()
    nb = running.result(timeout=60)
    fallback = nb.cells[0].outputs[0]["data"]["text/plain"]
    assert "Stopped by the user while the model was replying." in fallback
    assert text_of(nb.cells[1]) == "after\n"


def test_an_action_past_its_timeout_is_interrupted_and_the_model_told(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(
        magic_llm,
        # One blocking call: only a signal to the main thread wakes it before the test's
        # own timeout.
        "<execute>\nimport time\nprint('sleeping', flush=True)\ntime.sleep(600)\n</execute>",
        "<solution>it timed out</solution>",
    )
    nb = notebooks.run(["%%codeact --new --timeout 0.5\nSleep"])
    seen = magic_llm.requests[base + 1].last_user_text
    assert "sleeping" in seen and "did not finish within 0.5 seconds" in seen
    assert step_titles(nb) == ["Step 1 · timeout"]
    assert nb.cells[0].outputs[-1]["data"]["text/plain"] == "it timed out"


def test_options_override_the_configuration_for_one_request(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    base = script(magic_llm, "<execute>\nprint('turn one')\n</execute>")
    nb = notebooks.run([f"%codeact --new --model {OTHER_MODEL} --max-turns 1 Do one step"])
    (request,) = magic_llm.requests[base:]
    assert request.body["model"] == OTHER_MODEL
    assert request.last_user_text.endswith("Do one step")
    fallback = nb.cells[0].outputs[0]["data"]["text/plain"]
    assert "[stopped at the turn limit · 1 turns" in fallback


def test_history_returns_the_conversation(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel, tmp_path: Path
) -> None:
    script(magic_llm, "<execute>\nhist_value = 5\n</execute>", "<solution>5</solution>")
    path = tmp_path / "history.ipynb"
    nb = notebooks.run(
        [
            "%%codeact --new\nSet hist_value",
            "%codeact --history",
            f"h = _\nprint(type(h).__name__, len(h), repr(h.answer))\nh.write({str(path)!r})",
        ]
    )
    assert text_of(nb.cells[2]) == "History 1 '5'\n"
    shown = nb.cells[1].outputs[0]["data"]["text/markdown"]
    assert shown.startswith("**Request:** Set hist_value\n\n```python\nhist_value = 5\n```")
    saved = nbformat.read(path, as_version=4)
    nbformat.validate(saved)
    assert [cell.source for cell in saved.cells] == [
        "**Task:** Set hist_value",
        "hist_value = 5",
        "**Answer:** 5",
    ]


def test_a_history_file_exports_as_one_conversation(
    magic_llm: ScriptedLLM,
    notebooks: NotebookKernel,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = script(
        magic_llm, "<execute>\nhist_a = 2\n</execute>", "<solution>2</solution>", "It is 4."
    )
    path = tmp_path / "history.ipynb"
    notebooks.run(
        [
            "%%codeact --new\nSet hist_a",
            "%%codeact\nDouble it",
            "%codeact --history",
            f"_.write({str(path)!r})",
        ]
    )
    last = magic_llm.requests[-1]
    assert len(magic_llm.requests) - base == 3
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    out = tmp_path / "history.jsonl"
    assert main(["export", str(path), "--output", str(out)]) == 0
    (line,) = [json.loads(text) for text in out.read_text().splitlines()]
    # Both requests, as the model was sent them (with the namespace context), and its answer.
    assert line["messages"] == [*last.messages, {"role": "assistant", "content": "It is 4."}]
    assert line["messages"][1]["content"].endswith("Set hist_a")
    meta = line["metadata"]
    assert (meta["kind"], meta["model"], meta["success"], meta["turns"]) == (
        "history",
        CONFIGURED_MODEL,
        True,
        3,
    )
    assert "Exported 1 trajectory" in capsys.readouterr().err


def test_reasoning_is_shown_folded_and_never_runs(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    script(
        magic_llm,
        Reply(
            reasoning="Set it? <execute>leaked = True</execute> No, just print.",
            content="<execute>\nprint('checked')\n</execute>",
        ),
        "<solution>checked</solution>",
    )
    nb = notebooks.run(["%%codeact --new\nCheck", "print('leaked' in globals())"])
    assert text_of(nb.cells[1]) == "False\n"
    thoughts = [
        state
        for state in widget_models(nb, "AccordionModel")
        if state["titles"][0].startswith("Thought for ")
    ]
    assert len(thoughts) == 1 and thoughts[0]["selected_index"] is None  # folded
    assert any("Set it? &lt;execute&gt;leaked = True" in v for v in html_values(nb))


def test_tools_style_runs_native_calls_in_the_users_kernel(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    code = "tool_value = 6 * 7\nprint(tool_value)"
    native = {"name": "execute_python", "arguments": {"code": code}}
    base = script(
        magic_llm,
        Reply(content="Setting it.", tool_calls=[native], chunk_size=5),
        "tool_value is 42.",
    )
    nb = notebooks.run(
        ["%%codeact --new --action-style tools\nSet tool_value", "print(tool_value)"]
    )
    assert text_of(nb.cells[1]) == "42\n"  # it ran in the user's namespace
    first, second = magic_llm.requests[base:]
    assert [t["function"]["name"] for t in first.body["tools"]] == ["execute_python"]
    call_id = second.messages[-2]["tool_calls"][0]["id"]
    result = second.messages[-1]
    assert result["role"] == "tool" and result["tool_call_id"] == call_id
    assert re.fullmatch(r"Observation:\n42\n\(This ran in cell c[0-9a-f]+\.\)", result["content"])
    assert step_titles(nb) == ["Step 1 · ok"]
    assert nb.cells[0].outputs[-1]["data"]["text/markdown"] == "tool_value is 42."
    assert any(code in v for v in markdown_values(nb))  # the step shows the code


def test_the_view_says_when_older_steps_were_condensed(
    magic_llm: ScriptedLLM, notebooks: NotebookKernel
) -> None:
    steps = [f"<execute>\nprint('step {i} ' + 'y' * 700)\n</execute>" for i in range(5)]
    script(magic_llm, *steps, "<solution>done</solution>")
    nb = notebooks.run(
        [
            "%config CodeAct.context_window = 1200",
            "%%codeact --new --action-style tags\nPrint the steps",
            "%config CodeAct.context_window = 0",
        ]
    )
    notes = [v for v in html_values(nb) if "Older steps were condensed for the model" in v]
    assert notes and "earlier step" in notes[0]
    assert step_titles(nb) == [f"Step {i} · ok" for i in range(1, 6)]


def test_the_server_side_never_imports_ipython() -> None:
    code = (
        "import sys, jupyter_codeact, jupyter_codeact.config, jupyter_codeact.namespace\n"
        "print('IPython' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
