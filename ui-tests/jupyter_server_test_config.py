"""JupyterLab for the browser tests: no token, a temporary root, the scripted LLM.

Never use this configuration in production: it removes the server's protections.
"""

import atexit
import os
import shutil
import subprocess
import sys
from pathlib import Path
from tempfile import mkdtemp

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined]  # noqa: F821 (defined by traitlets)

configure_jupyter_server(c)

# Two servers read this file: the one most tests use, with real-time collaboration off, and,
# with CODEACT_RTC=1, the one of tests/collaboration.spec.ts, with it on (the environment
# has jupyter-collaboration installed, which turns it on for every server there).
RTC = os.environ.get("CODEACT_RTC") == "1"
_STATE = mkdtemp(prefix="codeact-ui-state-")
atexit.register(shutil.rmtree, _STATE, ignore_errors=True)
c.YDocExtension.disable_rtc = not RTC
# The rooms' update store and the file ids in a temporary folder, not the working one.
c.SQLiteYStore.db_path = os.path.join(_STATE, "ystore.db")
c.BaseFileIdManager.db_path = os.path.join(_STATE, "file_id_manager.db")
if RTC:
    # A room is freed a second after its last page leaves (60 s by default): the test
    # that closes every page mid-run sees that the run keeps it.
    c.YDocExtension.document_cleanup_delay = 1.0

c.ServerApp.allow_root = True
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port = int(
    os.environ["CODEACT_RTC_PORT"] if RTC else os.environ.get("CODEACT_LAB_PORT", "8931")
)
c.ServerApp.root_dir = mkdtemp(prefix="codeact-ui-root-")
atexit.register(shutil.rmtree, c.ServerApp.root_dir, ignore_errors=True)
# The trust test writes a project's .jupyter/mcp.json through the contents API.
c.ContentsManager.allow_hidden = True
# Trust decisions (<data dir>/codeact/trust.json) stay with this server, not the user's.
if "CODEACT_UI_DATA_DIR" not in os.environ:  # once, however often this file is read
    os.environ["CODEACT_UI_DATA_DIR"] = mkdtemp(prefix="codeact-ui-data-")
    atexit.register(shutil.rmtree, os.environ["CODEACT_UI_DATA_DIR"], ignore_errors=True)
os.environ["JUPYTER_DATA_DIR"] = os.environ["CODEACT_UI_DATA_DIR"]
c.IdentityProvider.token = ""

c.CodeAct.base_url = f"http://127.0.0.1:{os.environ.get('CODEACT_LLM_PORT', '8932')}/v1"
c.CodeAct.model = "scripted-model"
c.CodeAct.api_key = "dummy-key"
# Errors are the tests' subject, not retries: fail fast.
c.CodeAct.max_retries = 0
c.CodeActExtension.chats_dir = mkdtemp(prefix="codeact-ui-chats-")
atexit.register(shutil.rmtree, c.CodeActExtension.chats_dir, ignore_errors=True)
# The execution benchmark runs more actions than the default limit.
c.CodeAct.max_turns = 40
# A page gone this long no longer holds its notebook: the server writes the file
# (tests/server-run.spec.ts closes tabs and cuts connections past it).
c.CodeActExtension.page_grace = 2.0

# A real MCP server (built with the mcp SDK) whose tools the agent calls from its cells; its
# key must never reach the browser, the notebook or the model (tests/tools.spec.ts).
_MCP_SERVER = Path(__file__).resolve().parent.parent / "tests" / "mcp" / "pricing_server.py"
c.CodeAct.mcp_servers = {
    "pricing": {
        "command": sys.executable,
        "args": [str(_MCP_SERVER)],
        "env": {"PRICING_TOKEN": "tok-ui-7f6e5d4c3b2a1908"},
    }
}
# The same server over streamable HTTP, requiring its header (a process for this JupyterLab).
_HEADER_SECRET = "hdr-ui-0a9b8c7d6e5f4031"
if "CODEACT_UI_SHOP_URL" not in os.environ:  # once, however often this file is read
    _shop = subprocess.Popen(
        [sys.executable, str(_MCP_SERVER), "http"],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), "PRICING_TOKEN": _HEADER_SECRET},
    )
    atexit.register(_shop.terminate)
    assert _shop.stdout is not None
    _port = int(_shop.stdout.readline())  # printed once it listens
    os.environ["CODEACT_UI_SHOP_URL"] = f"http://127.0.0.1:{_port}/mcp"
c.CodeAct.mcp_servers["shop"] = {
    "url": os.environ["CODEACT_UI_SHOP_URL"],
    "headers": {"Authorization": f"Bearer {_HEADER_SECRET}"},
}

# Two chats written before the server starts, for the browser benchmark of a long chat
# reopened (tests/benchmark.spec.ts): the same steps, 10 and 300 of them, each with its
# notebook. Written every time this file is read, into the folders it chose.
from jupyter_codeact.testing.long_chat import write_long_chat  # noqa: E402

for _steps in (10, 300):
    _name = f"bench-chat-{_steps}.ipynb"
    Path(c.ServerApp.root_dir, _name).write_text(
        '{"cells": [{"cell_type": "code", "source": "", "metadata": {}, "outputs": [], '
        '"execution_count": null}], "metadata": {"kernelspec": {"name": "python3", '
        '"display_name": "Python 3", "language": "python"}}, "nbformat": 4, '
        '"nbformat_minor": 5}'
    )
    write_long_chat(
        Path(c.CodeActExtension.chats_dir), c.ServerApp.root_dir, _name, _steps, f"{_steps} steps"
    )
