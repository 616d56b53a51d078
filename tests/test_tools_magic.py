"""The tools through the magic: MCP clients and the user's functions in the kernel itself,
a real MCP server (stdio, the mcp SDK), run by nbclient with the scripted LLM."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from jupyter_codeact.testing import ScriptedLLM

from .conftest import MODEL, clean_env
from .mcp import HEADER_SECRET, SECRET, broken_server, http_server, stdio_server
from .notebook_kernel import NotebookKernel, text_of

CATALOG = '''
def search_catalog(query: str, limit: int = 5) -> list:
    """Find products whose name contains the query.

    Matching ignores case."""
    names = ["Blue mug", "Red mug", "Teapot"]
    return [n for n in names if query.lower() in n.lower()][:limit]
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "project" / "sub").mkdir(parents=True)
    (tmp_path / "project" / ".git").mkdir()  # the rules stop at the repository's root
    (tmp_path / "AGENTS.md").write_text("Outside the repository: never seen.\n")
    (tmp_path / "project" / "AGENTS.md").write_text("Project rule: be brief.\n")
    (tmp_path / "project" / "sub" / "AGENTS.md").write_text("Sub rule: prices in EUR.\n")
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules" / "catalog_tools.py").write_text(CATALOG)
    return tmp_path


@pytest.fixture
def shop() -> Iterator[dict[str, Any]]:
    with http_server() as entry:
        yield entry


@pytest.fixture
def kernel(
    project: Path, llm_server: ScriptedLLM, shop: dict[str, Any]
) -> Iterator[NotebookKernel]:
    ipython_dir = project / "ipython"
    (ipython_dir / "profile_default").mkdir(parents=True)
    servers = {"pricing": stdio_server(), "shop": shop, "broken": broken_server()}
    (ipython_dir / "profile_default" / "ipython_config.py").write_text(
        'c.InteractiveShellApp.extensions = ["jupyter_codeact"]\n'
        f"c.CodeAct.model = {MODEL!r}\n"
        f"c.CodeAct.mcp_servers = {servers!r}\n"
        'c.CodeAct.tools = ["catalog_tools:search_catalog"]\n'
    )
    env = clean_env(
        OPENAI_BASE_URL=llm_server.url,
        OPENAI_API_KEY="test-key",
        IPYTHONDIR=str(ipython_dir),
        PYTHONPATH=str(project / "modules"),
    )
    started = NotebookKernel(env).start()
    yield started
    started.shutdown()


def test_the_magic_composes_mcp_tools_and_user_functions(
    kernel: NotebookKernel, llm_server: ScriptedLLM, project: Path
) -> None:
    llm_server.push(
        "<execute>\nmugs = search_catalog('mug')\nprice = pricing.lookup_price('A1')\n"
        "print(len(mugs), price['unit_price'] * pricing.in_stock('A1'))\n"
        "print(shop.list_skus())\n</execute>",
        "<execute>\npricing.lookup_price(sku='Z9')\n</execute>",
        "<execute>\nprint(pricing.whoami())\n</execute>",
        "<solution>300 EUR</solution>",
    )
    nb = kernel.run(
        [
            f"import os\nos.chdir({str(project / 'project' / 'sub')!r})",
            # The project's AGENTS.md files, trusted as they are (remembered).
            "%%codeact --new --trust-project\nWhat is the A1 stock worth?",
            "history = get_ipython().run_line_magic('codeact', '--history')\n"
            "print(history.rules)\nprint(repr(history))\nhistory.write('history.ipynb')",
            "print(pricing.in_stock('C3'))",  # the user's own cell may call them too
        ]
    )
    requests = llm_server.requests
    assert len(requests) == 4
    system = requests[0].messages[0]["content"]
    assert "- pricing.lookup_price(sku: str, quantity: int = 1) -> dict" in system
    assert "- search_catalog(query: str, limit: int = 5) -> list: Find products" in system
    assert system.index("Project rule") < system.index("Sub rule")
    assert "never seen" not in system
    assert "2 300.0" in requests[1].last_user_text  # one action, two tools and a function
    assert "['A1', 'B2', 'C3']" in requests[1].last_user_text  # over streamable HTTP
    assert "unknown SKU 'Z9'" in requests[2].last_user_text
    assert "ToolError" in requests[2].last_user_text
    assert "token [redacted]" in requests[3].last_user_text
    # The failed server is said once, in the run's view; the others work.
    shown = nb.cells[1].outputs[0]["data"]["text/plain"]  # the view's text form
    assert shown.count("Note: The MCP server 'broken'") == 1
    assert "['../AGENTS.md', 'AGENTS.md']" in text_of(nb.cells[2])
    assert "Rules: ../AGENTS.md, AGENTS.md" in text_of(nb.cells[2])
    assert text_of(nb.cells[3]) == "7\n"
    written = (project / "project" / "sub" / "history.ipynb").read_text()
    for text in [nbformat.writes(nb), written, *(json.dumps(r.body) for r in requests)]:
        assert SECRET not in text and HEADER_SECRET not in text
