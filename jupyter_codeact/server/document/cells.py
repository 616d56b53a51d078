"""What the agent's provenance in a cell says, the same way as ``src/notebook/provenance.ts``.

An agent cell carries ``metadata.codeact``: ``chat_id``, ``turn``, ``action_id``,
``request_id``, ``cell`` (the model's id of the cell, e.g. ``c3a1``), ``code_hash`` (of the
source the agent wrote: another hash means the user edited it), ``execution_count`` (what
its run left: another count means the user ran it) and, for markdown cells, ``role``
(``narration`` or ``answer``). Notebooks written before the server ran the agent's cells
carry the same fields, so they are read the same way.
"""

from __future__ import annotations

from typing import Any, Literal

CELL_METADATA_KEY = "codeact"
"""The key of the provenance in a cell's metadata, and of our record in the notebook's."""

Change = Literal["edited", "ran"]


def source_text(source: Any) -> str:
    """A cell's source as one string (nbformat files keep it as a list of lines)."""
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return source if isinstance(source, str) else ""


def source_hash(source: str) -> str:
    """FNV-1a (32 bits) over the UTF-16 code units of ``source``, as the page computes it
    (``sourceHash``): enough to tell that the user changed what the agent wrote."""
    value = 0x811C9DC5
    data = source.encode("utf-16-le", "surrogatepass")
    for index in range(0, len(data), 2):
        value ^= data[index] | (data[index + 1] << 8)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return f"{value:08x}"


def provenance(cell: dict[str, Any]) -> dict[str, Any] | None:
    """The agent's provenance of ``cell``, if the agent wrote it."""
    value = (cell.get("metadata") or {}).get(CELL_METADATA_KEY)
    if isinstance(value, dict) and isinstance(value.get("request_id"), str):
        return value
    return None


def user_change(mark: dict[str, Any], source: str, execution_count: Any) -> Change | None:
    """What the user did to an agent cell since the agent last wrote or ran it."""
    code_hash = mark.get("code_hash")
    if code_hash and source_hash(source) != code_hash:
        return "edited"
    left = mark.get("execution_count", ...)
    # Cleared outputs (no count) are not a run.
    if left is not ... and execution_count is not None and execution_count != left:
        return "ran"
    return None


def is_chat_code_cell(cell: dict[str, Any], chat_id: str, ref: str) -> bool:
    """Whether ``cell`` is the code cell ``ref`` of chat ``chat_id`` (not an explanation)."""
    mark = provenance(cell)
    return (
        cell.get("cell_type") == "code"
        and mark is not None
        and mark.get("chat_id") == chat_id
        and mark.get("cell") == ref
        and not mark.get("role")
    )


def why_not_replaceable(found: int, change: Change | None, ref: str) -> str | None:
    """Why agent cell ``ref`` cannot have its code replaced (``found`` cells carry it, the
    only one changed as ``change`` says), or None when it can."""
    if found == 0:
        return f"Cell {ref} is no longer in the notebook (the user deleted it)."
    if found > 1:
        return (
            f"Cell {ref} is in the notebook more than once (the user copied it), so it is "
            "theirs now."
        )
    if change is not None:
        return f"The user {change} cell {ref} since you wrote it, so it is theirs now."
    return None


def joined_outputs(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``outputs`` with their multi-line strings joined, as nbformat reads them back (a
    file keeps them as lists of lines): for comparing outputs however they were stored."""
    joined = []
    for output in outputs:
        output = dict(output)
        if isinstance(output.get("text"), list):
            output["text"] = source_text(output["text"])
        data = output.get("data")
        if isinstance(data, dict):
            output["data"] = {
                mime: source_text(value)
                if isinstance(value, list) and mime != "application/json"
                else value
                for mime, value in data.items()
            }
        joined.append(output)
    return joined
