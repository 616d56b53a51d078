"""A chat of many steps written straight into a chat store, for the browser benchmark.

Each step is what a real run leaves: the model's prose (markdown, with money), its action
and the action's outputs; every ten steps the user asks again and gets an answer (with a
table). The server lists it like any chat of the notebook once it starts.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from ..server.protocol import ChatEntry
from ..server.store import ChatStore

STEPS_PER_REQUEST = 10


def _entries(steps: int, start: float) -> list[ChatEntry]:
    entries: list[ChatEntry] = []
    clock = [start]

    def add(role: str, **fields: Any) -> None:
        clock[0] += 0.5
        entry = {"id": uuid.uuid4().hex, "role": role, "time": clock[0], **fields}
        entries.append(entry)  # type: ignore[arg-type]

    for step in range(steps):
        turn = step + 1
        if step % STEPS_PER_REQUEST == 0:
            add("user", text=f"Request {step // STEPS_PER_REQUEST + 1}: revenue by region?")
        prose = f"Step {turn}: summing **region {turn % 7}** (about ${turn * 130:,})."
        code = (
            f"totals_{turn} = df.groupby('region')['revenue'].sum()\n"
            f"print(totals_{turn}.sort_values(ascending=False).head(3))"
        )
        add("assistant", turn=turn, text=f"{prose}\n<execute>\n{code}\n</execute>", prose=prose)
        action_id = uuid.uuid4().hex[:8]
        cell = f"c{turn:04x}"
        add(
            "action",
            turn=turn,
            code=code,
            action_id=action_id,
            request_id=uuid.uuid4().hex,
            phase="finished",
            cell_id=f"cell-{turn}",
            cell=cell,
        )
        output = f"region\nNorth    {18100 + turn}\nSouth    {13900 + turn}\nName: revenue\n"
        add(
            "observation",
            turn=turn,
            action_id=action_id,
            status="ok",
            text=f"Observation:\n{output}",
            code=code,
            outputs=[{"output_type": "stream", "name": "stdout", "text": output}],
            execution_count=turn,
            duration_ms=40.0,
            cell_id=f"cell-{turn}",
        )
        if step % STEPS_PER_REQUEST == STEPS_PER_REQUEST - 1 or step == steps - 1:
            add(
                "final",
                turn=turn,
                text=(
                    f"North leads with **${18100 + turn:,}**, South has ${13900 + turn:,}.\n\n"
                    "| Region | Revenue |\n|---|---|\n"
                    f"| North | ${18100 + turn:,} |\n| South | ${13900 + turn:,} |"
                ),
            )
    return entries


def write_long_chat(
    chats_dir: Path, server_root: str | Path, notebook: str, steps: int, title: str
) -> str:
    """Write a chat of ``steps`` steps for ``notebook`` (below ``server_root``); its id."""
    store = ChatStore(chats_dir, server_root=server_root)
    record = store.create(notebook, title)
    record.entries = _entries(steps, time.time() - steps)
    record.turn = steps
    store.save(record)
    return record.info["id"]
