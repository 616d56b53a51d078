"""The kernel executor on real kernels: outputs, limits, and kernels that misbehave."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from jupyter_codeact.core.executor import ExecutorError
from jupyter_codeact.executors.kernel import KernelExecutor, KernelRun, LocalKernel

pytestmark = pytest.mark.asyncio


async def test_state_persists_and_outputs_are_nbformat(kernel: KernelExecutor) -> None:
    first = await kernel.execute("import math\nx = 21\nprint('hi')", timeout=30)
    assert first.status == "ok"
    assert first.outputs == [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    second = await kernel.execute("x * 2", timeout=30)
    assert second.outputs[0]["output_type"] == "execute_result"
    assert second.outputs[0]["data"]["text/plain"] == "42"
    assert second.execution_count == first.execution_count + 1  # type: ignore[operator]


async def test_errors_are_results_with_tracebacks(kernel: KernelExecutor) -> None:
    result = await kernel.execute("undefined_name", timeout=30)
    assert result.status == "error"
    assert result.outputs[-1]["ename"] == "NameError"
    assert any("undefined_name" in line for line in result.outputs[-1]["traceback"])


async def test_a_cell_that_never_ends_is_interrupted_at_the_timeout(
    kernel: KernelExecutor,
) -> None:
    result = await kernel.execute(
        "import time\nprint('started', flush=True)\nwhile True: time.sleep(0.05)", timeout=1
    )
    assert result.status == "timeout"
    assert result.outputs[0]["text"] == "started\n"
    assert result.outputs[-1]["ename"] == "KeyboardInterrupt"
    after = await kernel.execute("print('still here')", timeout=30)
    assert after.status == "ok"  # the kernel kept its state and works


async def test_a_kernel_that_ignores_interrupts_is_restarted() -> None:
    async with KernelExecutor(interrupt_grace=1.0) as kernel:
        await kernel.execute("marker = 1", timeout=30)
        code = (
            "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "while True: time.sleep(0.05)"
        )
        result = await kernel.execute(code, timeout=1)
        assert result.status == "timeout"
        assert "did not respond to the interrupt" in result.note
        assert "restarted" in result.note
        gone = await kernel.execute("marker", timeout=30)
        assert gone.status == "error" and gone.outputs[-1]["ename"] == "NameError"


async def test_a_kernel_that_dies_is_restarted_and_the_loss_is_reported(
    kernel: KernelExecutor,
) -> None:
    await kernel.execute("data = [1, 2, 3]", timeout=30)
    result = await kernel.execute("print('bye', flush=True)\nimport os\nos._exit(1)", timeout=30)
    assert result.status == "died"
    assert "restarted" in result.note
    after = await kernel.execute("'data' in dir()", timeout=30)
    assert after.status == "ok"
    assert after.outputs[0]["data"]["text/plain"] == "False"


async def test_input_is_an_error_not_a_hang(kernel: KernelExecutor) -> None:
    result = await kernel.execute("name = input('Your name? ')", timeout=30)
    assert result.status == "error"
    assert result.outputs[-1]["ename"] == "StdinNotImplementedError"


async def test_megabytes_of_output_are_bounded() -> None:
    async with KernelExecutor(max_stream_chars=200_000) as kernel:
        result = await kernel.execute(
            "for i in range(150_000):\n    print(f'row {i:07d}')", timeout=60
        )
    assert result.status == "ok"
    text = result.outputs[0]["text"]
    assert len(text) < 210_000
    assert text.startswith("row 0000000\n")
    assert text.endswith("row 0149999\n")
    assert "characters of output dropped" in text


async def test_display_updates_and_rich_outputs(kernel: KernelExecutor) -> None:
    code = (
        "from IPython.display import display, HTML\n"
        "h = display('step 1', display_id=True)\n"
        "h.update('step 2')\n"
        "display(HTML('<b>bold</b>'))"
    )
    result = await kernel.execute(code, timeout=30)
    assert result.outputs[0]["data"]["text/plain"] == "'step 2'"
    assert result.outputs[1]["data"]["text/html"] == "<b>bold</b>"


async def test_interrupt_from_the_host_keeps_what_ran() -> None:
    started = asyncio.Event()

    def on_output(msg_type: str, content: dict[str, Any]) -> None:
        if msg_type == "stream" and "go" in content.get("text", ""):
            started.set()

    async with KernelExecutor(on_message=on_output) as kernel:
        task = asyncio.ensure_future(
            kernel.execute("import time\nprint('go', flush=True)\ntime.sleep(60)", timeout=None)
        )
        await asyncio.wait_for(started.wait(), timeout=30)
        await kernel.interrupt()
        outcome = await asyncio.wait_for(task, timeout=30)
    assert outcome.status == "interrupted"
    assert outcome.outputs[0]["text"] == "go\n"


async def test_unknown_kernel_name_is_a_clear_error() -> None:
    executor = KernelExecutor(LocalKernel(kernel_name="no-such-kernel"))
    with pytest.raises(ExecutorError, match=r"no-such-kernel.*kernelspec list"):
        await executor.start()


# Makes the kernel's next execute request end the way a SIGINT landing in ipykernel's own
# code (not the user's) ends it: swallowed, idle, no error output, no reply.
SWALLOW_NEXT_REQUEST = """
kernel = get_ipython().kernel
handler = kernel.shell_handlers["execute_request"]
async def swallowed(*args):
    kernel.shell_handlers["execute_request"] = handler
    raise KeyboardInterrupt
kernel.shell_handlers["execute_request"] = swallowed
"""


async def test_a_request_the_kernel_drops_is_not_reported_as_ran(kernel: KernelExecutor) -> None:
    assert (await kernel.execute(SWALLOW_NEXT_REQUEST, timeout=30)).status == "ok"
    dropped = await kernel.execute("ran = True", timeout=30)
    assert dropped.status == "error"
    assert "without running the code" in dropped.note
    assert (await kernel.execute("'ran' in dir()", timeout=30)).outputs[0]["data"] == {
        "text/plain": "False"
    }


async def test_an_interrupt_swallowed_by_the_kernel_is_an_interruption(
    kernel: KernelExecutor,
) -> None:
    assert (await kernel.execute(SWALLOW_NEXT_REQUEST, timeout=30)).status == "ok"
    running = asyncio.ensure_future(kernel.execute("ran = True", timeout=30))
    await asyncio.sleep(0)  # let the request go out before the user's Stop
    await kernel.interrupt()
    # Never "ok" (it did not run) nor "error". The SIGINT can also land in the kernel's
    # own event loop, outside any handler, and end the process: that is "died" (and the
    # kernel restarted), which is what happened then.
    assert (await running).status in ("interrupted", "died")


async def test_a_request_aborted_behind_a_failing_one_says_so(kernel: KernelExecutor) -> None:
    # Someone else's request (an earlier, abandoned action) fails while ours waits behind it.
    kernel.backend.execute("import time\ntime.sleep(0.5)\n1 / 0")
    aborted = await kernel.execute("ran = True", timeout=30)
    assert aborted.status == "error"
    assert "aborted the request" in aborted.note
    assert (await kernel.execute("'ran' in dir()", timeout=30)).outputs[0]["data"] == {
        "text/plain": "False"
    }


class Answering:
    """A stdin host answering every ``input()`` with one value."""

    def __init__(self, value: str) -> None:
        self.value = value
        self.metadata: dict[str, Any] = {}

    def setup_expression(self) -> str | None:
        return None

    async def answer(self, prompt: str) -> str | None:
        return self.value


class Streamed:
    """An output listener keeping the text streamed to it."""

    def __init__(self) -> None:
        self.text = ""

    def counted(self, execution_count: int | None) -> None:
        pass

    def cleared(self) -> None:
        pass

    def added(self, index: int, output: dict[str, Any]) -> None:
        pass

    def appended(self, index: int, name: str, offset: int, text: str) -> None:
        self.text += text

    def replaced(self, index: int, output: dict[str, Any]) -> None:
        pass


async def test_a_calls_own_stdin_and_listener_serve_that_call_only() -> None:
    own = Streamed()
    async with KernelExecutor(stdin=Answering("own"), listener=own) as kernel:
        mine = Streamed()
        code = "print(input('?'))"
        given = await kernel.execute(
            code, timeout=30, run=KernelRun(stdin=Answering("given"), listener=mine)
        )
        assert given.outputs[-1]["text"].endswith("given\n")
        assert "given" in mine.text and own.text == ""
        # The next call, without one, is served by the executor's own again.
        plain = await kernel.execute(code, timeout=30)
        assert plain.outputs[-1]["text"].endswith("own\n")
        assert "own" in own.text and "own" not in mine.text
