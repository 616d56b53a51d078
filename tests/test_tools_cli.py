"""MCP servers as Python in a headless run: `jupyter codeact run` with real MCP servers
(stdio and streamable HTTP, built with the mcp SDK) started by the run, a real kernel and
the scripted LLM."""

from __future__ import annotations

import json
from pathlib import Path

from jupyter_codeact.testing import ScriptedLLM

from .conftest import run_cli
from .mcp import HEADER_SECRET, SECRET, broken_server, http_server, stdio_server

COMPOSE = """\
<execute>
price = pricing.lookup_price(sku="A1")
units = pricing.in_stock("A1")
print(f"{price['sku']}: {price['unit_price'] * units:.2f} {price['currency']} in stock")
print(shop.list_skus(), shop.lookup_price("C3")["unit_price"])
</execute>"""


def test_one_action_composes_two_tools_and_secrets_stay_in_the_host(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    (tmp_path / "AGENTS.md").write_text("Give prices in euros, with two decimals.\n")
    with http_server() as shop:
        config = tmp_path / "config"
        config.mkdir()
        servers = {"pricing": stdio_server(), "shop": shop, "broken": broken_server()}
        (config / "jupyter_codeact_config.json").write_text(
            json.dumps({"CodeAct": {"mcp_servers": servers}})
        )
        llm_server.push(
            COMPOSE,
            '<execute>pricing.lookup_price("Z9")</execute>',
            "<execute>\nprint(pricing.whoami())\nprint(shop.whoami())\nimport os\n"
            "print(os.environ.get('PRICING_TOKEN'))\ninput('Your name? ')\n</execute>",
            "<solution>300.00 EUR</solution>",
        )
        out = tmp_path / "run.ipynb"
        done = run_cli(
            "run", "What is the A1 stock worth?", "--output", str(out), "--trust-project",
            server=llm_server, cwd=tmp_path, JUPYTER_CONFIG_DIR=str(config),
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    requests = llm_server.requests
    assert len(requests) == 4
    system = requests[0].messages[0]["content"]
    # Typed signatures from the input schemas, first lines of the descriptions.
    assert (
        "- pricing.lookup_price(sku: str, quantity: int = 1) -> dict: Look up the unit price "
        "of a product by its SKU." in system
    )
    assert "- shop.list_skus() -> list[str]: Every SKU of the catalogue." in system
    assert "Unavailable now (their servers are down): broken." in system
    assert "Give prices in euros, with two decimals." in system  # AGENTS.md of the folder
    # One action called two tools and combined their results.
    observation = requests[1].messages[-1]["content"]
    assert "A1: 300.00 EUR in stock" in observation
    assert "['A1', 'B2', 'C3'] 10.0" in observation  # over streamable HTTP, with its header
    # A tool's error is an exception the model reads.
    error = requests[2].messages[-1]["content"]
    assert "ToolError: pricing.lookup_price: " in error and "unknown SKU 'Z9'" in error
    # The servers' secrets: not in the kernel, redacted from what a tool echoed.
    echoed = requests[3].messages[-1]["content"]
    assert echoed.count("token [redacted]") == 2 and "\nNone" in echoed
    # The code's own input() (the stdin channel is open for the tools) reads end-of-file.
    assert "EOFError" in echoed and "nobody can answer here" in echoed
    # The failed server is reported once, in plain words; the others kept working.
    assert done.stderr.count("'broken'") == 1
    assert "could not start" in done.stderr and "pricing config missing" in done.stderr
    everything = [json.dumps(r.body) for r in requests] + [out.read_text(), done.stdout]
    everything.append(done.stderr)
    for text in everything:
        assert SECRET not in text and HEADER_SECRET not in text


def test_the_eval_gives_the_code_mode_the_configured_tools_on_request(
    llm_server: ScriptedLLM, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    settings = {"CodeAct": {"mcp_servers": {"pricing": stdio_server()}}}
    (config / "jupyter_codeact_config.json").write_text(json.dumps(settings))
    llm_server.push("<execute>\nprint(pricing.list_skus())\n</execute>", "<solution>0</solution>")
    done = run_cli(
        "eval", "--with-tools", "--mode", "code", "--tasks", "dna/gc-s1", "--no-transcripts",
        "--output", str(tmp_path / "results"),
        server=llm_server, cwd=tmp_path, JUPYTER_CONFIG_DIR=str(config),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    first, second = llm_server.requests
    assert "- pricing.in_stock(sku: str) -> int" in first.messages[0]["content"]
    assert "get_sequence" in first.messages[0]["content"]  # the suite's own tools too
    assert "['A1', 'B2', 'C3']" in second.messages[-1]["content"]  # called from the eval kernel
    assert SECRET not in json.dumps([r.body for r in llm_server.requests])
