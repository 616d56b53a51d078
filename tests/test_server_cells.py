"""The cell rule through the server's websocket: where the code goes in the page's copy of
the notebook, and what the server asks the page before it replaces a cell."""

from __future__ import annotations

from typing import Any

from jupyter_codeact.server.document.cells import source_hash
from jupyter_codeact.testing import ScriptedLLM

from . import test_server as server
from .chat_client import ChatClient, PageNotebook, text_of

# The server's fixtures: the same configuration as tests/test_server.py.
chats_dir = server.chats_dir
codeact_config = server.codeact_config
jp_server_config = server.jp_server_config
new_chat = server.new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]


async def test_a_fix_replaces_its_failed_cell_unless_the_user_changed_it(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        "<execute>\nprint(totl)\n</execute>",
        "<execute>\nprint(1)\n</execute>",
        "<execute>\nprint(2)\n</execute>",
        "<solution>done</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("print")
    await client.until_state("done")
    actions = [e for e in client.entries() if e["role"] == "action"]
    first = actions[0]["cell"]
    assert actions[1]["replaces"] == first and actions[1]["cell"] == first
    assert actions[1]["replaced"] is True
    assert actions[2]["replaces"] == "" and actions[2]["cell"] != first
    # The fix took the failed cell's place: the notebook holds the working code only.
    assert [c["source"] for c in page.agent_cells()] == ["print(1)", "print(2)"]
    assert page.agent_cells()[0]["metadata"]["codeact"]["cell"] == first
    # Before replacing, the server asked the page what its copy holds of that cell.
    assert [(q["ref"], q["user"]) for q in client.questions] == [(first, False)]
    await client.close()

    # The user edited the failed cell meanwhile: the fix goes into a new cell, and the
    # model is told.
    llm_server.push("<execute>\nprint(totl)\n</execute>", "<execute>\nprint(3)\n</execute>")
    llm_server.push("<solution>done</solution>")
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.answer_questions = False
    client.ask("again", replace_failed=True)
    question = await client.next("inspect")
    page.find(question["cell_id"])["source"] = "print(total)  # mine now"
    client.answer(question)
    await client.until_state("done")
    last = [e for e in client.entries() if e["role"] == "action"][-1]
    assert last["replaced"] is False and last["cell"] != last["replaces"]
    assert page.sources()[-2:] == ["print(total)  # mine now", "print(3)"]
    told = llm_server.requests[-1].messages[-1]["content"]
    assert "edited cell" in told and "went into a new cell" in told
    assert f"(This ran in cell {last['cell']}.)" in told
    await client.close()


async def test_the_panels_setting_turns_replacing_off(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>\nprint(totl)\n</execute>", "<execute>\nprint(1)\n</execute>")
    llm_server.push("<solution>done</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("print", replace_failed=False)
    await client.until_state("done")
    assert [c["source"] for c in page.agent_cells()] == ["print(totl)", "print(1)"]
    assert client.questions == []
    await client.close()


async def test_new_cells_go_below_the_chats_last_else_the_selected_cell(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>\nprint(1)\n</execute>", "<execute>\nprint(2)\n</execute>")
    llm_server.push("<solution>done</solution>", "<execute>\nprint(3)\n</execute>")
    llm_server.push("<solution>done</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    top = page.add_user_cell("a = 1")
    page.add_user_cell("b = 2")
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("print", selected_cell=top)
    await client.until_state("done")
    assert page.sources() == ["a = 1", "print(1)", "print(2)", "b = 2"]
    # The setting "at the end" wins.
    client.ask("more", position="end")
    await client.until_state("done")
    assert page.sources()[-1] == "print(3)"
    await client.close()


async def test_a_refused_action_runs_nothing_and_a_restarted_server_knows_the_cells(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>\nx = 1\n</execute>", "<solution>set</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("set x")
    await client.until_state("done")
    made = next(e for e in client.entries() if e["role"] == "action")["cell"]
    await client.close()

    # As after a restart: the chat is read back from its file.
    chats = jp_serverapp.web_app.settings["codeact_chats"]
    await chats._sessions.pop(chat_id).close()
    llm_server.push(
        '<execute replace="nope">\ny = 2\n</execute>',
        f'<execute replace="{made}">\nx = 2\nprint(x)\n</execute>',
        "<solution>done</solution>",
    )
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("change it")
    await client.until_state("done")
    entries = client.entries()
    refused = next(e for e in entries if e["role"] == "observation" and e["status"] == "refused")
    assert "There is no cell nope" in refused["text"]
    refused_action = next(e for e in entries if e.get("action_id") == refused["action_id"])
    assert refused_action.get("request_id") is None and refused_action["cell_id"] is None
    (cell,) = page.agent_cells()  # revised in place
    assert cell["source"] == "x = 2\nprint(x)" and text_of(cell) == "2\n"
    await client.close()


async def test_a_fix_request_names_the_users_cell_to_the_model(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push('<execute replace="u1a2">\nprint(1)\n</execute>', "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    mine = page.add_user_cell("print(1 / 0)")
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("Fix the error in cell 1", user_cell="u1a2", user_cell_id=mine)
    change = await client.next_approval()
    assert change["kind"] == "change" and change["before"] == "print(1 / 0)"
    client.decide(change, False)  # Reject
    await client.until_state("done")
    # ``auto`` offers the tools first, so the request names the cell in the tool's terms;
    # the model's tags were still understood (it acts through tags from then on).
    assert '"replace": "u1a2"' in llm_server.requests[0].messages[-1]["content"]
    assert "rejected your change" in llm_server.requests[1].messages[-1]["content"]
    assert page.sources() == ["print(1 / 0)"]
    await client.close()


async def test_a_check_after_a_failure_keeps_the_cell_and_the_server_remembers_the_cut(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, llm_server: ScriptedLLM
) -> None:
    sales = "sales = {'revenue': [120, 80]}"
    llm_server.push(
        f"<execute>\n{sales}\nprint(sum(sales['Revenue']))\n</execute>",
        "Let me look at the keys.\n<execute>\nprint(list(sales))\n</execute>",
        "<solution>200</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    mine = page.add_user_cell("print('mine')")
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("total revenue?")
    await client.until_state("done")
    first, check = [e for e in client.entries() if e["role"] == "action"]
    assert check["keeps"] == first["cell"] and check["trim_to"] == sales
    assert check["replaces"] == "" and check["note"].startswith(
        "Kept the cell that defines `sales`"
    )
    # The page's copy: the failed cell cut to what ran, its error gone, its hash that of
    # the cut; the check right below it.
    kept, below = page.agent_cells()
    assert page.sources() == ["print('mine')", sales, "print(list(sales))"]
    assert page.cells.cells[0]["id"] == mine
    assert [o["output_type"] for o in kept["outputs"]] == []
    mark = kept["metadata"]["codeact"]
    assert mark["kept"] == "trimmed" and mark["code_hash"] == source_hash(sales)
    assert mark["cell"] == first["cell"] and "tags" not in kept["metadata"]
    assert text_of(below) == "['revenue']\n"
    await client.close()

    # As after a restart: the chat's cells are read back, the cut one as it now is.
    chats = jp_serverapp.web_app.settings["codeact_chats"]
    await chats._sessions.pop(chat_id).close()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    known = chats._sessions[chat_id].run.agent(None).cells.get(first["cell"])
    assert (known.code, known.status) == (sales, "ok")
    await client.close()


async def test_a_failed_cell_kept_whole_is_tagged_and_its_full_fix_untags_it(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    rows = "rows = [{'revenue': 1}, {'Revenue': 2}]\ntotal = 0\nfor row in rows:"
    fixed = f"{rows}\n    total += row.get('revenue', row.get('Revenue'))"
    llm_server.push(
        f"<execute>\n{rows}\n    total += row['revenue']\n</execute>",
        "Which row failed?\n<execute>\nprint(row, total)\n</execute>",
        "<solution>Row 2 uses another key.</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("add up the rows")
    await client.until_state("done")
    first, check = [e for e in client.entries() if e["role"] == "action"]
    assert check["keeps"] == first["cell"] and check["trim_to"] == ""
    kept, below = page.agent_cells()
    assert kept["metadata"]["tags"] == ["raises-exception"]
    assert kept["metadata"]["codeact"]["kept"] == "failed"
    assert [o["output_type"] for o in kept["outputs"]] == ["error"]  # whole, error and all
    assert text_of(below) == "{'Revenue': 2} 1\n"

    # A complete fix, named by the cell's id, replaces it and takes the mark off.
    llm_server.push(
        f'<execute replace="{first["cell"]}">\n{fixed}\n</execute>',
        "<solution>Fixed.</solution>",
    )
    client.ask("fix the loop")
    await client.until_state("done")
    kept = page.agent_cells()[0]
    assert kept["source"] == fixed and "tags" not in kept["metadata"]
    assert "kept" not in kept["metadata"]["codeact"]
    await client.close()


async def test_a_kept_cell_the_user_changed_is_left_as_it_is(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    sales = "sales = {'revenue': [120, 80]}"
    llm_server.push(
        f"<execute>\n{sales}\nprint(sum(sales['Revenue']))\n</execute>",
        "<execute>\nprint(list(sales))\n</execute>",
        "<solution>200</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.answer_questions = False
    client.ask("total revenue?")
    question = await client.next("inspect")  # about the failed cell, before keeping it
    mine = f"{sales}  # mine now"
    page.find(question["cell_id"])["source"] = mine
    client.answer(question)
    await client.until_state("done")
    assert page.sources() == [mine, "print(list(sales))"]
    assert "tags" not in page.agent_cells()[0]["metadata"]
    told = llm_server.requests[-1].messages[-1]["content"]
    assert "edited cell" in told and "It was left as it is." in told
    await client.close()
