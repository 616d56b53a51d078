"""One real kernel, shared by several tests, that runs notebooks through nbclient.

The kernel and nbclient live on an event loop of their own (a thread), so a test can
interrupt the kernel while a notebook is running, and the kernel outlives each test's
event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import tempfile
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.output_widget import OutputWidget
from nbformat.v4 import new_code_cell, new_notebook

T = TypeVar("T")

CellHook = Callable[..., Any]


class _OutputWidget(OutputWidget):  # type: ignore[misc]
    """nbclient's stand-in for a front end's Output widget, minus the echo of its outputs
    back to the kernel.

    That echo writes to the shell socket while nbclient awaits the execute reply on it; with
    zmq's asyncio sockets the reply is then sometimes noticed only when the wait times out
    (tens of seconds later). The kernel never needs the echo: nothing here reads it.
    """

    def sync_state(self) -> None:
        pass


class NotebookKernel:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._ipc = tempfile.TemporaryDirectory(prefix="codeact-magic-kernel-")
        self.km = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(self._ipc.name) / "kernel")
        )
        self.kc: Any = None

    def start(self) -> NotebookKernel:
        self._thread.start()
        self._call(self._start())
        return self

    async def _start(self) -> None:
        await self.km.start_kernel(env=self.env)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=60)
        self.kc.allow_stdin = False  # as nbclient and nbconvert run notebooks

    def submit(
        self, sources: list[str], *, on_cell_executed: CellHook | None = None
    ) -> concurrent.futures.Future[nbformat.NotebookNode]:
        """Run a notebook made of ``sources`` (code cells); the future gets it back run."""
        nb = new_notebook(cells=[new_code_cell(source) for source in sources])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        client = NotebookClient(nb, km=self.km, timeout=90, store_widget_state=True)
        client.kc = self.kc
        client.widget_registry["@jupyter-widgets/output"]["OutputModel"] = _OutputWidget
        if on_cell_executed is not None:
            client.on_cell_executed = on_cell_executed
        return asyncio.run_coroutine_threadsafe(client.async_execute(), self.loop)

    def run(self, sources: list[str], **kwargs: Any) -> nbformat.NotebookNode:
        return self.submit(sources, **kwargs).result(timeout=110)

    def execute_answering(
        self, code: str, answers: list[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
        """Run ``code`` as JupyterLab does (stdin allowed), typing ``answers`` at its
        ``input()`` prompts: the reply, the IOPub messages and the prompts."""
        return self._call(self._execute_answering(code, list(answers)))

    async def _execute_answering(
        self, code: str, answers: list[str]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], list[str]]:
        kc = self.kc
        msg_id = kc.execute(code, allow_stdin=True)
        messages: list[dict[str, Any]] = []
        prompts: list[str] = []

        async def answer() -> None:
            while True:
                request = await kc.get_stdin_msg()
                prompts.append(request["content"]["prompt"])
                kc.input(answers.pop(0))

        answering = asyncio.ensure_future(answer())
        try:
            while True:
                msg = await kc.get_iopub_msg(timeout=60)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                messages.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            reply: dict[str, Any] = await kc.get_shell_msg(timeout=60)
        finally:
            answering.cancel()
        return reply, messages, prompts

    def interrupt(self) -> None:
        """What the front end's Stop button does."""
        self._call(self.km.interrupt_kernel())

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            self._call(self.km.shutdown_kernel(now=True))
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            self._ipc.cleanup()

    def _call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=60)


def text_of(cell: nbformat.NotebookNode) -> str:
    """Everything a cell printed or showed as text (streams, text/plain of the rest)."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


def widget_models(nb: nbformat.NotebookNode, name: str) -> list[dict[str, Any]]:
    """The saved state of every widget of the model ``name`` (e.g. "HTMLModel")."""
    saved = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    return [m["state"] for m in saved.get("state", {}).values() if m["model_name"] == name]
