"""``%codeact`` in terminal IPython (no widgets): the plain-text view, ``input()`` approval,
and what a user sees when nothing is configured. A real ``ipython`` process each time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from jupyter_codeact.magic.approval import PROMPT
from jupyter_codeact.magic.magics import KERNEL_NO_MODEL_MESSAGE
from jupyter_codeact.testing import ScriptedLLM

from .conftest import MODEL, clean_env


def ipython(
    lines: list[str], tmp_path: Path, server: ScriptedLLM | None = None
) -> subprocess.CompletedProcess[str]:
    """Type ``lines`` into terminal IPython; the finished process."""
    env = clean_env(IPYTHONDIR=str(tmp_path / "ipython"))
    if server is not None:
        env.update(OPENAI_BASE_URL=server.url, OPENAI_API_KEY="test-key", CODEACT_MODEL=MODEL)
    return subprocess.run(
        [sys.executable, "-m", "IPython", "--simple-prompt", "--no-banner"],
        input="\n".join([*lines, "exit", ""]),
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=tmp_path,
    )


def test_the_text_view_streams_the_run_and_shows_the_answer(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    llm_server.push(
        "Computing.\n<execute>\nvalue = 6 * 7\nprint('value is', value)\n</execute>",
        "<solution>It is 42</solution>",
    )
    done = ipython(
        ["%load_ext jupyter_codeact", "%codeact What is 6 * 7?", "print('after:', value, _)"],
        tmp_path,
        llm_server,
    )
    out = done.stdout
    assert done.returncode == 0, done.stderr
    order = [
        "Computing.\n<execute>",  # the model's words as they stream
        "── running action (turn 1) ──",
        "value is 42",  # the action's own output, printed as it runs
        "── ok ──",
        "Answer: It is 42",
        "[answered: 2 turns,",
        "after: 42 It is 42",  # the agent's variable, and the answer as the value
    ]
    positions = [out.find(text) for text in order]
    assert -1 not in positions, out
    assert positions == sorted(positions), out
    assert "Traceback" not in out + done.stderr


def test_approve_asks_before_each_action(llm_server: ScriptedLLM, tmp_path: Path) -> None:
    llm_server.push(
        "<execute>\nchosen = 1\nprint('first ran')\n</execute>",
        "<execute>\nchosen = 2\n</execute>",
        "<solution>done</solution>",
    )
    done = ipython(
        ["%load_ext jupyter_codeact", "%codeact --approve Pick", "y", "n", "print('is', chosen)"],
        tmp_path,
        llm_server,
    )
    out = done.stdout
    assert out.count(PROMPT) == 2, out
    assert "first ran" in out and "── skipped ──" in out and "is 1\n" in out
    assert "The user chose not to run this code" in llm_server.requests[2].last_user_text


def test_nothing_configured_says_what_to_set_in_one_line(tmp_path: Path) -> None:
    done = ipython(
        ["%load_ext jupyter_codeact", "%codeact", "%codeact --frobnicate now", "%codeact hello"],
        tmp_path,
    )
    shown = done.stdout + done.stderr
    assert "UsageError: Give the agent a request" in shown
    assert (
        "UsageError: Unknown option --frobnicate; the options are --action-style, --approve,"
        in shown
    )
    # Kernels do not get the server's key: the message says so, and how to give one.
    assert f"CodeAct: {KERNEL_NO_MODEL_MESSAGE}\n" in done.stderr
    for way in ("ipython_config.py", "%config CodeAct.api_key", "share_key_with_kernels"):
        assert way in KERNEL_NO_MODEL_MESSAGE
    assert "Traceback" not in shown


def test_a_bug_during_a_run_is_said_before_its_traceback(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    llm_server.push("<solution>after the bug</solution>")
    done = ipython(
        [
            "%load_ext jupyter_codeact",
            "import jupyter_codeact.core.llm as llm_module",
            "real_stream = llm_module.OpenAIChat.stream",
            'exec(\'async def broken(self, messages):\\n    raise RuntimeError("simulated")\\n'
            "    yield')",
            "llm_module.OpenAIChat.stream = broken",
            "%codeact First",
            "llm_module.OpenAIChat.stream = real_stream",
            "%codeact Second",
        ],
        tmp_path,
        llm_server,
    )
    shown = done.stdout + done.stderr
    failure = "Error: CodeAct broke off on an internal error (RuntimeError: simulated)"
    assert failure in done.stderr, shown
    assert "RuntimeError" in done.stdout and "broken" in done.stdout  # a bug: its traceback
    assert "Answer: after the bug" in done.stdout  # the session goes on
