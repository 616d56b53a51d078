"""The cell rule through the server's websocket: what the page is asked and what it answers."""

from __future__ import annotations

from typing import Any

from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM

from . import test_server as server
from .chat_client import ChatClient

# The server's fixtures: the same configuration as tests/test_server.py.
chats_dir = server.chats_dir
codeact_config = server.codeact_config
jp_server_config = server.jp_server_config
kernel = server.kernel
new_chat = server.new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]


async def test_a_fix_replaces_its_failed_cell_unless_the_page_cannot(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        "<execute>\nprint(totl)\n</execute>",
        "<execute>\nprint(1)\n</execute>",
        "<execute>\nprint(2)\n</execute>",
        "<solution>done</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("print")
    first = await client.next("execute")
    assert first["cell"] and first["replaces"] == "" and first["or_new"] is False
    fix = await client.next("execute")
    assert fix["replaces"] == first["cell"] and fix["or_new"] is True
    await client.until_state("done")
    actions = [e for e in client.entries() if e["role"] == "action"]
    assert actions[1]["cell"] == first["cell"] and actions[1]["replaced"] is True
    assert actions[2]["replaces"] == "" and actions[2]["cell"] != first["cell"]
    await client.close()

    # The page could not replace it (the user edited the failed cell): a new cell, told.
    llm_server.push("<execute>\nprint(totl)\n</execute>", "<execute>\nprint(3)\n</execute>")
    llm_server.push("<solution>done</solution>")

    async def answer(request: dict[str, Any]) -> dict[str, Any]:
        replacing = bool(request["replaces"])
        return {
            "type": "execute_result",
            "request_id": request["request_id"],
            "status": "ok" if replacing else "error",
            "outputs": [] if replacing else [{"output_type": "error", "ename": "NameError"}],
            "code": request["code"],
            "execution_count": 1,
            "cell_id": "nb-cell",
            "placement": "new" if replacing else "",
            "note": "The user changed cell X since it failed, so this went into a new cell."
            if replacing
            else "",
        }

    page = await ChatClient.connect(jp_ws_fetch, chat_id)
    page.on_execute = answer
    page.ask("again", replace_failed=True)
    await page.until_state("done")
    last = [e for e in page.entries() if e["role"] == "action"][-1]
    assert last["replaced"] is False and last["cell"] != last["replaces"]
    told = llm_server.requests[-1].messages[-1]["content"]
    assert "went into a new cell" in told and f"(This ran in cell {last['cell']}.)" in told
    await page.close()


async def test_the_panels_setting_turns_replacing_off(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>\nprint(totl)\n</execute>", "<execute>\nprint(1)\n</execute>")
    llm_server.push("<solution>done</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("print", replace_failed=False)
    await client.next("execute")
    second = await client.next("execute")
    assert second["replaces"] == ""
    await client.until_state("done")
    await client.close()


async def test_a_refused_action_sends_nothing_and_a_restarted_server_knows_the_cells(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    kernel: KernelExecutor,
) -> None:
    llm_server.push("<execute>\nx = 1\n</execute>", "<solution>set</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("set x")
    made = (await client.next("execute"))["cell"]
    await client.until_state("done")
    await client.close()

    # As after a restart: the chat is read back from its file.
    chats = jp_serverapp.web_app.settings["codeact_chats"]
    await chats._sessions.pop(chat_id).close()
    llm_server.push(
        '<execute replace="nope">\ny = 2\n</execute>',
        f'<execute replace="{made}">\nx = 2\n</execute>',
        "<solution>done</solution>",
    )
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("change it")
    revise = await client.next("execute")
    assert revise["replaces"] == made and revise["or_new"] is False
    await client.until_state("done")
    entries = client.entries()
    refused = next(e for e in entries if e["role"] == "observation" and e["status"] == "refused")
    assert "There is no cell nope" in refused["text"]
    refused_action = next(e for e in entries if e.get("action_id") == refused["action_id"])
    assert refused_action.get("request_id") is None and refused_action["cell_id"] is None
    assert len(client.executed) == 1  # only the revise went to the page
    await client.close()


async def test_a_fix_request_names_the_users_cell_to_the_model(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push('<execute replace="u1a2">\nprint(1)\n</execute>', "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("Fix the error in cell 1", user_cell="u1a2")
    execute = await client.next("execute")
    assert execute["replaces"] == "u1a2" and execute["or_new"] is False
    await client.until_state("done")
    # ``auto`` offers the tools first, so the request names the cell in the tool's terms;
    # the model's tags were still understood (it acts through tags from then on).
    assert '"replace": "u1a2"' in llm_server.requests[0].messages[-1]["content"]
    await client.close()


async def test_a_check_after_a_failure_keeps_the_cell_and_the_server_remembers_the_cut(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    kernel: KernelExecutor,
) -> None:
    sales = "sales = {'revenue': [120, 80]}"
    llm_server.push(
        f"<execute>\n{sales}\nprint(sum(sales['Revenue']))\n</execute>",
        "Let me look at the keys.\n<execute>\nprint(list(sales))\n</execute>",
        "<solution>200</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("total revenue?")
    first = await client.next("execute")
    check = await client.next("execute")
    # The page is told to keep the failed cell, cut to what ran, and to go below it.
    assert check["keeps"] == first["cell"] and check["trim_to"] == sales
    assert check["replaces"] == "" and check["or_new"] is False
    await client.until_state("done")
    step = [e for e in client.entries() if e["role"] == "action"][1]
    assert step["keeps"] == first["cell"] and step["note"].startswith(
        "Kept the cell that defines `sales`"
    )
    await client.close()

    # As after a restart: the chat's cells are read back, the cut one as it now is.
    chats = jp_serverapp.web_app.settings["codeact_chats"]
    await chats._sessions.pop(chat_id).close()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    kept = chats._sessions[chat_id].agent().cells.get(first["cell"])
    assert (kept.code, kept.status) == (sales, "ok")
    await client.close()
