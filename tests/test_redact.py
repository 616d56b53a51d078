"""The redactor, and the agent applying it to what the model reads and the hosts show."""

from __future__ import annotations

import json

import pytest

from jupyter_codeact.config import CodeAct
from jupyter_codeact.core import Agent, AgentOptions, FinalAnswer, Observation, TextDelta
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.redact import REDACTED, Redactor, StreamRedactor
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM
from jupyter_codeact.transcript import Transcript

KEY = "sk-proj-4f9aQ2x7LmZ0"
# Code that prints the key without writing it: as an agent would after reading a variable.
PRINT_KEY = f"print({KEY[:7]!r} + {KEY[7:]!r})"


def test_secrets_and_patterns_become_redacted() -> None:
    redactor = Redactor(secrets=[KEY, None, ""], patterns=[r"ghp_[A-Za-z0-9]{6,}"])
    text = f"key={KEY} again {KEY}; token ghp_abcdef123 and ghp_x"
    assert redactor.redact(text) == (f"key={REDACTED} again {REDACTED}; token {REDACTED} and ghp_x")
    # Later parts (an MCP server's headers, say) add their own.
    redactor.add_secret("another-secret-value")
    assert redactor.redact("x another-secret-value y") == f"x {REDACTED} y"
    assert set(redactor.secrets) == {KEY, "another-secret-value"}


def test_short_placeholder_keys_are_left_alone() -> None:
    # Local servers take any key; "ollama" or "none" must not vanish from every text.
    redactor = Redactor(secrets=["ollama", "none"])
    assert not redactor
    assert redactor.redact("ollama says none") == "ollama says none"


def test_a_secret_inside_a_longer_one_is_replaced_whole() -> None:
    redactor = Redactor(secrets=["abcdefgh", "abcdefgh-and-more"])
    assert redactor.redact("abcdefgh-and-more") == REDACTED


def test_values_are_redacted_deeply_and_images_only_for_exact_secrets() -> None:
    redactor = Redactor(secrets=[KEY], patterns=[r"[A-Z]{8}"])
    output = {
        "output_type": "display_data",
        "data": {
            "text/plain": [f"line {KEY}\n", "ABCDEFGH"],
            "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB",  # base64 with capitals
            "application/json": {KEY: [1, {"deep": KEY}]},
        },
        "metadata": {},
    }
    clean = redactor.redact_value(output)
    assert clean["data"]["text/plain"] == [f"line {REDACTED}\n", REDACTED]
    assert clean["data"]["image/png"] == output["data"]["image/png"]
    assert clean["data"]["application/json"] == {REDACTED: [1, {"deep": REDACTED}]}
    assert KEY in json.dumps(output)  # the original is untouched
    url = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"
    assert redactor.redact_value({"image_url": {"url": url}}) == {"image_url": {"url": url}}


@pytest.mark.parametrize("piece", [1, 3, 7, 50])
def test_a_secret_split_across_streamed_pieces_is_caught(piece: int) -> None:
    text = f"the key is {KEY}, and {KEY}{KEY} twice; done"
    stream = StreamRedactor(Redactor(secrets=[KEY]))
    shown = [stream.feed(text[i : i + piece]) for i in range(0, len(text), piece)]
    shown.append(stream.flush())
    assert "".join(shown) == text.replace(KEY, REDACTED)
    assert all(KEY[:4] not in part for part in shown if part)  # nothing of it leaks early


def test_an_invalid_pattern_says_which() -> None:
    with pytest.raises(ValueError, match=r"'\(unclosed' is not a valid regular expression"):
        Redactor(patterns=["(unclosed"])
    settings = CodeAct()
    with pytest.raises(Exception, match=r"c.CodeAct.redact_patterns: .*'\[a-'"):
        settings.redact_patterns = ["[a-"]


def test_the_settings_redactor_follows_the_key_and_patterns() -> None:
    settings = CodeAct(api_key=KEY, redact_patterns=[r"tok_\w+"])
    redactor = settings.redactor()
    assert redactor.redact(f"{KEY} tok_abc") == f"{REDACTED} {REDACTED}"
    assert settings.redactor() is redactor  # one instance: secrets added to it apply everywhere
    assert settings.agent_options().redactor is redactor
    settings.api_key = "sk-second-key-123456"
    assert redactor.redact("sk-second-key-123456") == REDACTED  # a key set later (--api-key)
    settings.redact_patterns = []
    assert redactor.redact("tok_abc") == "tok_abc"


@pytest.mark.asyncio
async def test_the_model_and_the_events_never_see_the_key(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        f"Reading it.\n<execute>\n{PRINT_KEY}\nraise ValueError({KEY[:7]!r} + {KEY[7:]!r})\n"
        "</execute>",
        f"<solution>the key was {KEY}</solution>",
    )
    options = AgentOptions(redactor=Redactor(secrets=[KEY]))
    agent = Agent(llm, kernel, options, history=[{"role": "system", "content": f"old {KEY}"}])
    events = [event async for event in agent.run(f"my key is {KEY}", context=f"ctx {KEY}")]
    observation = next(e for e in events if isinstance(e, Observation))
    assert observation.status == "error"
    assert f"{REDACTED}\n" in observation.text and "ValueError: [redacted]" in observation.text
    assert KEY not in json.dumps(observation.outputs)
    final = next(e for e in events if isinstance(e, FinalAnswer))
    assert final.answer == f"the key was {REDACTED}"
    # The reply as streamed: each piece is redacted before a host shows it.
    assert KEY not in "".join(e.text for e in events if isinstance(e, TextDelta))
    for request in llm_server.requests:
        assert KEY not in json.dumps(request.messages)
    assert KEY not in json.dumps(agent.messages)
    # The transcript written from those events holds no key either.
    transcript = Transcript(f"task with {KEY}", redactor=options.redactor)
    for event in events:
        transcript.add(event)
    assert KEY not in json.dumps(transcript.nb)
    assert REDACTED in json.dumps(transcript.nb)


def test_a_stream_holds_back_only_what_could_begin_a_secret() -> None:
    # Ordinary text is shown as it arrives: nothing waits for the next piece.
    stream = StreamRedactor(Redactor(secrets=[KEY, "tok-ui-7f6e5d4c3b2a1908"]))
    assert stream.feed("w001 ") == "w001 "
    assert stream.feed("w002 ") == "w002 "
    # A tail that could be a secret's start waits; the next piece settles it.
    assert stream.feed("see s") == "see "
    assert stream.feed("k-pr") == ""
    assert stream.feed("ose") == "sk-prose"
    assert stream.feed(" and t") == " and "
    assert stream.feed("ok-ui-7f6e5d4c3b2a1908!") == f"{REDACTED}!"
    assert stream.flush() == ""
    # A secret that begins inside another secret's prefix is still found.
    stream = StreamRedactor(Redactor(secrets=["abcabd-secret"]))
    assert stream.feed("xabcab") == "x"
    assert stream.feed("cabd-secret y") == f"abc{REDACTED} y"
