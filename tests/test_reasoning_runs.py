"""Real models' replies end to end through ``jupyter codeact run``: reasoning streamed and
shown but never run or sent back, and endpoints that refuse the default parameters.

A real process, a real kernel, the real openai client against the scripted server.
"""

from __future__ import annotations

import html
from pathlib import Path

import mistune
import nbformat

from jupyter_codeact.core.events import Thinking
from jupyter_codeact.testing import Reply, ScriptedLLM
from jupyter_codeact.transcript import thinking_markdown

from .conftest import MODEL, json_events, run_cli


def of(kind: str, events: list[dict]) -> list[dict]:
    return [event for event in events if event["type"] == kind]


def sent_text(server: ScriptedLLM, index: int) -> str:
    return "\n".join(str(m["content"]) for m in server.requests[index].messages)


def test_reasoning_streams_is_shown_and_never_runs(llm_server: ScriptedLLM, tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    llm_server.push(
        Reply(
            reasoning=f"Should I <execute>open({str(marker)!r}, 'w').write('x')</execute>? "
            "No: only check.",
            content=f"<execute>\nimport os\nprint(os.path.exists({str(marker)!r}))\n</execute>",
        ),
        Reply(reasoning="It printed False.", content="<solution>no file</solution>"),
    )
    out = tmp_path / "run.ipynb"
    done = run_cli("run", "Is there a file?", "--json", "-o", str(out), server=llm_server)
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    assert not marker.exists()
    assert [o["text"] for o in of("observation", events)] == ["Observation:\nFalse"]
    thoughts = of("thinking", events)
    assert [t["text"] for t in thoughts] == [
        f"Should I <execute>open({str(marker)!r}, 'w').write('x')</execute>? No: only check.",
        "It printed False.",
    ]
    assert all(t["seconds"] >= 0 for t in thoughts)
    assert "".join(e["text"] for e in of("thinking_delta", events)).startswith("Should I")
    # The thinking comes before the reply it belongs to.
    kinds = [e["type"] for e in events if e["type"] in ("thinking", "text_delta")]
    assert kinds.index("thinking") < kinds.index("text_delta")
    # The model never reads its reasoning back.
    assert "Should I" not in sent_text(llm_server, 1)
    # The transcript keeps it, folded.
    nb = nbformat.read(out, as_version=4)
    folded = [c.source for c in nb.cells if c.metadata.get("codeact", {}).get("thinking")]
    assert len(folded) == 2 and folded[0].startswith("<details>\n<summary>Thought for")
    assert "&lt;execute&gt;" in folded[0]  # model text, escaped


def test_a_think_block_with_code_in_the_content(llm_server: ScriptedLLM, tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    reply = (
        f"<think>\nMaybe <execute>open({str(marker)!r}, 'w').write('x')</execute> first.\n"
        "</think>\n<execute>\nprint(6 * 7)\n</execute>"
    )
    # The default stop sequence </execute> ends the first reply inside its reasoning: the
    # model is asked again without stop sequences, and answers the same way. (Stop sequences
    # belong to the tags style: native tool calls send none.)
    llm_server.push(reply, reply, "<think>\n\n</think>\n\n<solution>42</solution>")
    done = run_cli("run", "6*7", "--action-style", "tags", "--json", server=llm_server)
    assert done.returncode == 0, done.stderr
    events = json_events(done.stdout)
    assert not marker.exists()
    assert [e["code"] for e in of("action", events)] == ["print(6 * 7)"]
    assert [o["text"] for o in of("observation", events)] == ["Observation:\n42"]
    assert len(of("retry", events)) == 1
    assert "Maybe" in of("thinking", events)[-1]["text"]
    assert ["stop" in r.body for r in llm_server.requests] == [True, False, False]
    assert "<think>" not in sent_text(llm_server, 2) and "Maybe" not in sent_text(llm_server, 2)
    assert of("final", events)[0]["answer"] == "42"
    # No text of the reply was reasoning shown as prose.
    assert "<think>" not in "".join(e["text"] for e in of("text_delta", events))


def test_an_endpoint_refusing_temperature_and_stop_just_works() -> None:
    # OpenAI's reasoning models: HTTP 400 for temperature 0 and for stop, the defaults.
    with ScriptedLLM(models=(MODEL,), rejects=("temperature", "stop")) as server:
        server.push(
            Reply(reasoning="Multiply.", content="<execute>\nprint(6 * 7)\n</execute>"),
            "<solution>42</solution>",
        )
        done = run_cli("run", "6*7", "--action-style", "tags", server=server)
    assert done.returncode == 0, done.stderr
    assert "Answer: 42" in done.stdout
    assert "[thinking]\nMultiply.\n[thought for " in done.stdout
    bodies = [request.body for request in server.requests]
    assert [("temperature" in b, "stop" in b) for b in bodies] == [
        (True, True),
        (False, True),
        (False, False),
        (False, False),
    ]


def test_reasoning_in_a_transcript_makes_no_link_or_image() -> None:
    text = "See [the docs](javascript:alert(1)) and ![x](http://tracker.example/p.png) <b>bold</b>"
    rendered = mistune.html(thinking_markdown(Thinking(turn=1, text=text, seconds=1.0)))
    assert "<a " not in rendered and "<img" not in rendered and "<b>" not in rendered
    assert "[the docs](javascript:alert(1))" in html.unescape(rendered)  # still readable
