"""Make a kernel ready for one task, and kernels to run tasks on.

Starting a kernel costs about a second of CPU, more than a whole task against a fast
endpoint, so by default each of the ``concurrency`` workers keeps one kernel and resets it
between tasks: the namespace and the input history are emptied (as ``%reset -f`` does), the
tools module is executed afresh (stateful tools start from scratch), and the task gets a
new empty working directory. Tasks running at the same time never share a kernel. What a
reset cannot undo (modules a model imported or patched) is left; ``fresh_kernels`` starts a
new kernel for every task when that matters more than time (the whole built-in suite takes
about five times as long).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from ..core.executor import ExecutorError
from ..core.observation import format_observation
from ..executors.kernel import KernelBackend, KernelExecutor, StdinHost
from .suite import Domain

SETUP_TIMEOUT = 60.0

# Like %reset -f, without the gc.collect() that makes it take 50-150 ms. Then the tools:
# this mirrors suite.load_tools_module, with the source in the code so remote kernels work.
_SETUP = """\
def _codeact_setup(name, source, filename, tools):
    import os, shutil, sys, tempfile, types
    shell = get_ipython()
    history = shell.history_manager
    history.reset(new_session=False)
    history.input_hist_parsed[:] = [""]  # In: the last task's cells
    history.input_hist_raw[:] = [""]
    keep = set(shell.user_ns_hidden) | {{"_codeact_setup"}}
    for key in [k for k in shell.user_ns if k not in keep and not k.startswith("__")]:
        del shell.user_ns[key]
    previous = os.getcwd()
    os.chdir(tempfile.mkdtemp(prefix="codeact-eval-"))
    if os.path.basename(previous).startswith("codeact-eval-"):
        shutil.rmtree(previous, ignore_errors=True)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(source, filename, "exec"), module.__dict__)
    return {{tool: getattr(module, tool) for tool in tools}}
globals().update(_codeact_setup({name!r}, {source!r}, {filename!r}, {tools!r}))
del _codeact_setup
"""

_CLEANUP = """\
import os as _os, shutil as _shutil
_here = _os.getcwd()
_os.chdir(_os.path.expanduser("~"))
if _os.path.basename(_here).startswith("codeact-eval-"):
    _shutil.rmtree(_here, ignore_errors=True)
"""


def setup_code(domain: Domain) -> str:
    return _SETUP.format(
        name=domain.module_name,
        source=domain.source,
        filename=str(domain.tools_path),
        tools=list(domain.tool_names),
    )


async def prepare(executor: KernelExecutor, domain: Domain) -> None:
    """Reset the kernel and define ``domain``'s tools in it; raise ExecutorError if that fails."""
    result = await executor.execute(setup_code(domain), timeout=SETUP_TIMEOUT)
    if result.status != "ok":
        details = format_observation(result, max_chars=2000).text
        raise ExecutorError(
            f"The tools of {domain.name} could not be set up in the kernel: {details}"
        )


class KernelPool:
    """``size`` kernels, each lent to one task at a time."""

    def __init__(
        self,
        size: int,
        make_backend: Callable[[], KernelBackend],
        *,
        fresh_kernels: bool = False,
        stdin: StdinHost | None = None,
    ) -> None:
        """``stdin`` answers the kernels' tool calls (``--with-tools``)."""
        self.size = size
        self.make_backend = make_backend
        self.fresh_kernels = fresh_kernels
        self.stdin = stdin
        self._idle: asyncio.Queue[KernelExecutor] = asyncio.Queue()
        self._all: list[KernelExecutor] = []

    async def start(self) -> None:
        """Start the kernels (all at once); nothing to do with ``fresh_kernels``.

        If one cannot start, the error is raised once every start has ended; the kernels
        that did start are left for :meth:`close`, which the caller must call either way.
        """
        if self.fresh_kernels:
            return
        executors = [self._new() for _ in range(self.size)]
        outcomes = await asyncio.gather(
            *(self._start(executor) for executor in executors), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        for executor in executors:
            self._idle.put_nowait(executor)

    def _new(self) -> KernelExecutor:
        return KernelExecutor(self.make_backend(), stdin=self.stdin)

    async def _start(self, executor: KernelExecutor) -> None:
        """Start ``executor`` and keep it for :meth:`close` (one that cannot start cleans up
        after itself and raises)."""
        await executor.start()
        self._all.append(executor)

    @contextlib.asynccontextmanager
    async def kernel(self, domain: Domain) -> AsyncIterator[KernelExecutor]:
        """A kernel ready for a task of ``domain``, for as long as the task runs."""
        if self.fresh_kernels:
            executor = self._new()
            await self._start(executor)
            try:
                await prepare(executor, domain)
                yield executor
            finally:
                try:
                    await _retire(executor)
                finally:
                    self._all.remove(executor)
            return
        executor = await self._idle.get()
        try:
            try:
                await prepare(executor, domain)
            except ExecutorError:
                # The last task left the kernel unusable (it died for good): replace it.
                executor = await self._replace(executor)
                await prepare(executor, domain)
            yield executor
        finally:
            self._idle.put_nowait(executor)

    async def _replace(self, executor: KernelExecutor) -> KernelExecutor:
        self._all.remove(executor)
        with contextlib.suppress(Exception):
            await _retire(executor)
        fresh = self._new()
        await self._start(fresh)
        return fresh

    async def close(self) -> None:
        executors, self._all = self._all, []
        # return_exceptions: every kernel is shut down even if one fails to, and an error
        # here does not hide the one that ended the run.
        await asyncio.gather(*(_retire(executor) for executor in executors), return_exceptions=True)


async def _retire(executor: KernelExecutor) -> None:
    """Remove the kernel's task folder (if it can still run code), then shut it down."""
    with contextlib.suppress(Exception):
        await executor.execute(_CLEANUP, timeout=10)
    await executor.shutdown()
