"""The document writer on real notebook files: the user's bytes are kept, operations apply
once however often they are applied, and a trusted notebook stays trusted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from nbformat.sign import NotebookNotary
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output, new_raw_cell

from jupyter_codeact.server.document import ops, splice
from jupyter_codeact.server.document.cells import provenance, source_hash, source_text
from jupyter_codeact.server.document.file_writer import FileWriter
from jupyter_codeact.server.document.log import OpLog

pytestmark = pytest.mark.asyncio

CHAT = "c" * 32


def user_notebook() -> str:
    """A notebook as JupyterLab saves it (through nbformat): attachments, odd metadata,
    unicode, outputs of every kind, a raw cell."""
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "# Sales ✓\n![chart](attachment:chart.png)\n<b>bold</b>",
                attachments={"chart.png": {"image/png": "iVBORw0KGgoAAAANSUhEUg=="}},
                metadata={"tags": ["z", "a"], "odd": {"ü": [1, None, 2.5, True], "": {}}},
            ),
            new_code_cell(
                "import pandas as pd\ndf = pd.DataFrame({'a': [1, 2]})\ndf",
                execution_count=7,
                metadata={"collapsed": True, "scrolled": "auto", "jupyter": {"source_hidden": 1}},
                outputs=[
                    new_output("stream", name="stdout", text="loading…\nok\n"),
                    new_output(
                        "execute_result",
                        data={"text/plain": "   a\n0  1\n1  2", "text/html": "<table></table>"},
                        execution_count=7,
                    ),
                ],
            ),
            new_raw_cell("raw \t text", metadata={"format": "text/x-python"}),
            new_code_cell(
                "1 / 0",
                outputs=[
                    new_output(
                        "error",
                        ename="ZeroDivisionError",
                        evalue="division by zero",
                        traceback=["\x1b[31mTraceback"],
                    )
                ],
            ),
        ]
    )
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python", "version": "3.11.4"},
        "widgets": {"state": {}},
    }  # fmt: skip
    return nbformat.writes(nb) + "\n"


def agent_ops(after: str) -> list[dict[str, Any]]:
    mark = {"chat_id": CHAT, "turn": 1, "action_id": "a1", "request_id": "r1", "cell": "c1f2"}
    mark["code_hash"] = source_hash("total = 3\nprint(total)")
    batch = [
        ops.insert(ops.code_cell("agent-1", "total = 3\nprint(total)", mark), after=after),
        ops.set_outputs("agent-1", [{"output_type": "stream", "name": "stdout", "text": "3\n"}], 8),
        ops.set_provenance("agent-1", {**mark, "execution_count": 8}),
        ops.insert(
            ops.code_cell("agent-2", "plt.plot([1])", {**mark, "cell": "c9e8", "request_id": "r2"})
        ),
    ]
    for seq, op in enumerate(batch, 1):
        op["seq"] = seq
    return batch


def without_agent(text: str) -> str:
    """``text`` with the agent's cells and our notebook record taken out again."""
    data = json.loads(text)
    cells = ops.Cells(data["cells"])
    cells.items = [item for item in cells.items if provenance(item.cell) is None]
    return splice.rewrite(text, splice.layout(text), cells, None)


def apply(text: str, batch: list[dict[str, Any]]) -> str:
    data = json.loads(text)
    cells = ops.Cells(data["cells"])
    for op in batch:
        cells.apply(op, CHAT)
    ops.set_applied(data["metadata"], CHAT, max(op["seq"] for op in batch))
    return splice.rewrite(text, splice.layout(text), cells, data["metadata"]["codeact"])


@pytest.mark.parametrize("style", ["nbformat", "compact", "indent-4"])
async def test_agent_cells_added_and_removed_give_the_original_bytes(style: str) -> None:
    original = user_notebook()
    if style == "compact":  # written by another tool: one line
        original = json.dumps(json.loads(original), ensure_ascii=False)
    elif style == "indent-4":
        original = json.dumps(json.loads(original), indent=4) + "\n"
    user_cell = json.loads(original)["cells"][1]["id"]
    changed = apply(original, agent_ops(after=user_cell))
    nb = nbformat.reads(changed, as_version=4)
    nbformat.validate(nb)
    # Below the cell it names, then (with no cell named) below the chat's last cell.
    assert [cell.id for cell in nb.cells][1:4] == [user_cell, "agent-1", "agent-2"]
    assert nb.cells[2].outputs[0].text == "3\n" and nb.cells[2].execution_count == 8
    assert nb.metadata.codeact.applied == {CHAT: 4}
    # Every byte of the user's cells and metadata is where it was.
    for cell in json.loads(original)["cells"]:
        assert json.dumps(cell) in json.dumps(json.loads(changed)["cells"])
    assert without_agent(changed) == original
    if style == "nbformat":
        # Our cells are written the way nbformat (and so JupyterLab) writes them.
        assert changed == nbformat.writes(nb) + "\n"


async def test_operations_apply_once_however_often_they_come() -> None:
    original = user_notebook()
    batch = agent_ops(after=json.loads(original)["cells"][0]["id"])
    once = apply(original, batch)
    # Again, to the notebook that holds them: nothing changes.
    data = json.loads(once)
    cells = ops.Cells(data["cells"])
    assert not any(cells.apply(op, CHAT) for op in batch)
    assert apply(once, batch) == once
    # Live operations of a run already settled are harmless too.
    stream = {"op": "stream", "cell_id": "agent-1", "index": 0, "name": "stdout", "offset": 0,
              "text": "3\n", "seq": 2}  # fmt: skip
    assert not ops.Cells(json.loads(once)["cells"]).apply(stream, CHAT)
    # Operations for a cell the user deleted do not bring it back.
    data = json.loads(once)
    data["cells"] = [cell for cell in data["cells"] if cell["id"] != "agent-1"]
    deleted = ops.Cells(data["cells"])
    assert not deleted.apply(batch[1], CHAT) and not deleted.apply(batch[2], CHAT)


async def test_a_stream_appends_at_its_offset_and_never_twice() -> None:
    cells = ops.Cells([ops.code_cell("x", "print()", {"chat_id": CHAT, "request_id": "r"})])

    def stream(offset: int, text: str) -> dict[str, Any]:
        return {"op": "stream", "cell_id": "x", "index": 0, "name": "stdout", "offset": offset,
                "text": text, "seq": offset}  # fmt: skip

    assert cells.apply(stream(0, "ab"), CHAT)
    assert cells.apply(stream(2, "cd"), CHAT)
    assert not cells.apply(stream(2, "cd"), CHAT)  # again: already there
    assert not cells.apply(stream(9, "zz"), CHAT)  # a gap: waits for the run's outputs
    assert cells.cells[0]["outputs"] == [
        {"output_type": "stream", "name": "stdout", "text": "abcd"}
    ]


async def test_narration_goes_above_and_a_rewritten_one_stays_the_users() -> None:
    mark = {"chat_id": CHAT, "request_id": "r", "cell": "c1"}
    cells = ops.Cells([ops.code_cell("code", "x = 1", mark)])
    explain = {**mark, "role": "narration", "code_hash": source_hash("First.")}
    assert cells.apply(ops.narrate("code", ops.markdown_cell("n1", "First.", explain)), CHAT)
    assert [cell["id"] for cell in cells.cells] == ["n1", "code"]
    second = {**explain, "code_hash": source_hash("Then.")}
    assert cells.apply(ops.narrate("code", ops.markdown_cell("n2", "Then.", second)), CHAT)
    assert [cell["source"] for cell in cells.cells] == ["Then.", "x = 1"]  # rewritten in place
    cells.cells[0]["source"] = "My own words."
    third = {**explain, "code_hash": source_hash("Again.")}
    assert not cells.apply(ops.narrate("code", ops.markdown_cell("n3", "Again.", third)), CHAT)
    assert cells.cells[0]["source"] == "My own words."


async def test_a_kept_cell_is_cut_or_tagged_once_and_its_replacement_untags_it() -> None:
    original = user_notebook()
    failed = "sales = {'a': 1}\nprint(sales['A'])"
    mark = {"chat_id": CHAT, "request_id": "r", "cell": "c1", "code_hash": source_hash(failed)}
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'A'", "traceback": []}
    shown = {"output_type": "stream", "name": "stdout", "text": "loaded\n"}
    cell = {**ops.code_cell("kept", failed, mark), "outputs": [shown, error]}
    insert = {**ops.insert(cell, at_end=True), "seq": 1}
    trim = {**ops.keep("kept", "sales = {'a': 1}"), "seq": 2}
    once = apply(original, [insert, trim])
    (kept,) = [c for c in json.loads(once)["cells"] if c["id"] == "kept"]
    # Cut to what ran, its error gone (its other output stays), its hash that of the cut.
    assert source_text(kept["source"]) == "sales = {'a': 1}"
    assert ops.joined_outputs(kept["outputs"]) == [shown]
    assert kept["metadata"]["codeact"] == {
        **mark, "code_hash": source_hash("sales = {'a': 1}"), "kept": "trimmed"
    }  # fmt: skip
    assert apply(once, [insert, trim]) == once  # again: nothing changes
    assert without_agent(once) == original

    whole = {**ops.keep("kept", ""), "seq": 2}
    tagged = apply(original, [insert, whole])
    (kept,) = [c for c in json.loads(tagged)["cells"] if c["id"] == "kept"]
    assert source_text(kept["source"]) == failed
    assert ops.joined_outputs(kept["outputs"]) == [shown, error]
    assert kept["metadata"]["tags"] == ["raises-exception"]
    assert kept["metadata"]["codeact"]["kept"] == "failed"
    assert apply(tagged, [insert, whole]) == tagged
    # A full replacement takes the tag off (before its provenance drops ``kept``).
    fixed = "sales = {'A': 1}\nprint(sales['A'])"
    replace = [
        {**ops.unmark("kept"), "seq": 3},
        {**ops.set_source("kept", fixed), "seq": 4},
        {**ops.set_provenance("kept", {**mark, "code_hash": source_hash(fixed)}), "seq": 5},
    ]
    untagged = apply(tagged, replace)
    (kept,) = [c for c in json.loads(untagged)["cells"] if c["id"] == "kept"]
    assert "tags" not in kept["metadata"] and "kept" not in kept["metadata"]["codeact"]
    assert apply(untagged, replace) == untagged
    # A tag the user put on a cell that was not kept whole stays.
    data = json.loads(untagged)
    mine = ops.Cells(data["cells"])
    mine.cells[-1]["metadata"]["tags"] = ["raises-exception"]
    assert not mine.apply({**ops.unmark("kept"), "seq": 6}, CHAT)


@pytest.fixture
def contents(tmp_path: Path) -> Any:
    manager = AsyncLargeFileManager(root_dir=str(tmp_path))
    manager.notary = NotebookNotary(db_file=":memory:", secret=b"s" * 32)
    return manager


async def test_the_file_writer_writes_atomically_through_the_contents_manager(
    contents: Any, tmp_path: Path
) -> None:
    original = user_notebook()
    (tmp_path / "nb.ipynb").write_text(original, encoding="utf-8")
    contents.notary.sign(nbformat.reads(original, as_version=4))  # the user trusted it
    writer = FileWriter(contents, keep_trust=lambda: True)
    log = OpLog()
    user_cell = json.loads(original)["cells"][1]["id"]
    for op in agent_ops(after=user_cell):
        op.pop("seq")
        log.add([op])
    write = await writer.write("nb.ipynb", {CHAT: log})
    assert write is not None and write.before != write.after
    text = (tmp_path / "nb.ipynb").read_text(encoding="utf-8")
    assert without_agent(text) == original
    assert write.applied == {CHAT: 4}
    # Still trusted: the agent's outputs come from the user's own kernel.
    assert contents.notary.check_signature(nbformat.reads(text, as_version=4))
    # Nothing more to write: the file is left alone.
    assert await writer.write("nb.ipynb", {CHAT: log}) is None
    # What it holds of the chat's cells, and of a cell the user has since edited.
    facts = await writer.facts("nb.ipynb", CHAT, {"ref": "c1f2", "cell_id": "", "user": False})
    assert facts == {"found": 1, "cell_ids": ["agent-1"], "change": None, "source": None}
    edited = text.replace('"total = 3\\n"', '"total = 4\\n"')
    (tmp_path / "nb.ipynb").write_text(edited, encoding="utf-8")
    facts = await writer.facts("nb.ipynb", CHAT, {"ref": "c1f2", "cell_id": "", "user": False})
    assert facts["change"] == "edited"


async def test_untrusted_agent_outputs_leave_the_signature_alone(
    contents: Any, tmp_path: Path
) -> None:
    original = user_notebook()
    (tmp_path / "nb.ipynb").write_text(original, encoding="utf-8")
    contents.notary.sign(nbformat.reads(original, as_version=4))
    log = OpLog()
    log.add([ops.insert(ops.code_cell("a", "print(1)", {"chat_id": CHAT, "request_id": "r"}))])
    await FileWriter(contents, keep_trust=lambda: False).write("nb.ipynb", {CHAT: log})
    text = await asyncio.to_thread((tmp_path / "nb.ipynb").read_text, encoding="utf-8")
    assert not contents.notary.check_signature(nbformat.reads(text, as_version=4))
