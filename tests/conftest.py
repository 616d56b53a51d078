"""Shared fixtures: the scripted LLM server and real kernels."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from jupyter_codeact.core import endpoint
from jupyter_codeact.core.llm import LLMSettings, OpenAIChat
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM

MODEL = "scripted-model"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first: with the tests in several processes (`pytest -n`), none of them
    is left to run alone at the end while the other processes wait."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(autouse=True)
def _forget_endpoints() -> Iterator[None]:
    """What one test's server refused must not carry over to the next one on its port."""
    endpoint.forget_all()
    yield
    endpoint.forget_all()


@pytest.fixture(autouse=True)
def _own_data_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test keeps its decisions (trusted project files) to itself, never the user's."""
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path_factory.mktemp("data")))


@pytest.fixture
def llm_server() -> Iterator[ScriptedLLM]:
    with ScriptedLLM(models=(MODEL,)) as server:
        yield server


@pytest_asyncio.fixture
async def llm(llm_server: ScriptedLLM) -> AsyncIterator[OpenAIChat]:
    client = OpenAIChat(
        LLMSettings(model=MODEL, api_key="test-key", base_url=llm_server.url, max_retries=2)
    )
    yield client
    await client.close()


@pytest_asyncio.fixture
async def kernel() -> AsyncIterator[KernelExecutor]:
    async with KernelExecutor() as executor:
        yield executor


_CONFIG_DIR = tempfile.mkdtemp(prefix="codeact-test-config-")
atexit.register(shutil.rmtree, _CONFIG_DIR, ignore_errors=True)


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a subprocess: no real key, endpoint or user config leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEACT_"))}
    env.update({"JUPYTER_CONFIG_DIR": _CONFIG_DIR, "JUPYTER_PLATFORM_DIRS": "1"})
    env.update(extra)
    return env


def run_cli(
    *args: str,
    server: ScriptedLLM | None = None,
    timeout: float = 120,
    cwd: Path | None = None,
    **env: str,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m jupyter_codeact`` as a user would; returns the finished process."""
    if server is not None:
        env.setdefault("OPENAI_BASE_URL", server.url)
        env.setdefault("OPENAI_API_KEY", "test-key")
        env.setdefault("CODEACT_MODEL", MODEL)
    return subprocess.run(
        [sys.executable, "-m", "jupyter_codeact", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(**env),
        cwd=cwd or Path(__file__).parent,
    )


def json_events(stdout: str) -> list[dict[str, Any]]:
    import json

    return [json.loads(line) for line in stdout.splitlines() if line.strip()]
