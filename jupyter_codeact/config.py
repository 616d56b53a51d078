"""The ``CodeAct`` configuration shared by every host.

The same section works in ``jupyter_server_config.py`` (sidebar), ``ipython_config.py``
(magic) and ``jupyter_codeact_config.py`` (command line), for example::

    c.CodeAct.model = "gpt-4o"
    c.CodeAct.base_url = "http://localhost:11434/v1"   # Ollama
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from traitlets import (
    Bool,
    Dict,
    Enum,
    Float,
    Int,
    List,
    TraitError,
    Unicode,
    default,
    observe,
    validate,
)

from .core.actions import STOP_SEQUENCES
from .core.agent import AgentOptions
from .core.llm import LLMSettings, OpenAIChat, model_sees_images
from .core.redact import Redactor, public_url, url_secrets
from .kernel_env import SECRET_VARIABLES, ordinary_values, tool_secrets, without_secrets
from .removed_settings import RemovedSettings

# Local servers (Ollama, llama.cpp, vLLM) accept any key, but the openai client wants one.
PLACEHOLDER_KEY = "not-needed"

NO_MODEL_MESSAGE = (
    "No model is configured: set OPENAI_API_KEY (or c.CodeAct.api_key) to use OpenAI, or "
    "OPENAI_BASE_URL (or c.CodeAct.base_url) to use an OpenAI-compatible server such as vLLM, "
    "Ollama or llama.cpp, then restart."
)


SERVER_NO_MODEL_MESSAGE = (
    "No model is set up for JupyterLab. Set OPENAI_API_KEY (for OpenAI), or OPENAI_BASE_URL "
    "and CODEACT_MODEL (for vLLM, Ollama, llama.cpp or LM Studio), in the environment that "
    "starts the Jupyter server; or c.CodeAct.api_key, c.CodeAct.base_url and c.CodeAct.model "
    "in jupyter_server_config.py. Then restart the Jupyter server."
)
"""What the panel says when the server has no model: the settings, and where they go."""


SHARED = (
    "The panel has this setting too. The rule: the panel's choice wins for its user's "
    "requests, else this value applies; a safer value here (ask, untrusted outputs on) is a "
    "floor the panel cannot lower."
)
"""The one rule of the settings both the server and the panel hold (:mod:`.server.resolve`)."""


class ConfigError(ValueError):
    """The configuration cannot work; the message says what to set."""


class NoModelError(ConfigError):
    """Neither a key nor a base URL is set: no endpoint can be reached."""


class CodeAct(RemovedSettings):
    """Settings of the CodeAct agent: which model, and how far it may go (the settings that
    were removed warn: :mod:`.removed_settings`)."""

    model = Unicode(
        help="Name of the chat model to use, as the endpoint knows it (for example gpt-4o, "
        "llama3.1:8b for Ollama, or the served model name of vLLM). Defaults to "
        "$CODEACT_MODEL, else gpt-4o-mini.",
    ).tag(config=True)

    @default("model")
    def _default_model(self) -> str:
        return os.environ.get("CODEACT_MODEL") or "gpt-4o-mini"

    base_url = Unicode(
        None,
        allow_none=True,
        help="Base URL of an OpenAI-compatible endpoint, ending in /v1 (for example "
        "http://localhost:11434/v1 for Ollama). Defaults to $OPENAI_BASE_URL; unset means "
        "api.openai.com.",
    ).tag(config=True)

    @default("base_url")
    def _default_base_url(self) -> str | None:
        return os.environ.get("OPENAI_BASE_URL") or None

    api_key = Unicode(
        None,
        allow_none=True,
        help="API key for the endpoint. Defaults to $OPENAI_API_KEY. It stays with the host: "
        "never sent to the browser, and kept out of the kernels the agent's code runs in "
        "(see share_key_with_kernels); its text is redacted from what the agent reads.",
    ).tag(config=True)

    @default("api_key")
    def _default_api_key(self) -> str | None:
        return os.environ.get("OPENAI_API_KEY") or None

    temperature = Float(
        0.0,
        allow_none=True,
        help="Sampling temperature; None leaves it to the endpoint (some reasoning models "
        "accept no other value).",
    ).tag(config=True)

    max_turns = Int(
        15, help="Model replies allowed for one request before the run stops unanswered."
    ).tag(config=True)

    cell_timeout = Float(
        300.0,
        help="Seconds one code action may run before it is interrupted; 0 means no limit.",
    ).tag(config=True)

    max_observation_chars = Int(
        8000,
        help="Characters of one action's output shown to the model; longer output keeps its "
        "head and tail with a note of how much was cut.",
    ).tag(config=True)

    token_budget = Int(
        300_000,
        help="Tokens (prompt + completion) one request may use before the run stops; "
        "0 means no limit.",
    ).tag(config=True)

    approval_mode = Enum(
        ["auto", "ask"],
        default_value="auto",
        help="auto: run each action as soon as the model writes it. ask: show it and wait "
        "for the user to run, edit or skip it. " + SHARED,
    ).tag(config=True)

    images = Enum(
        ["auto", "always", "never"],
        default_value="auto",
        help="Send images from cell outputs (plots) to the model. auto: when the model's "
        "name suggests it can see images.",
    ).tag(config=True)

    max_retries = Int(
        3,
        help="Retries of a request that was rate limited (HTTP 429) or failed on the server "
        "(HTTP 5xx), with exponential backoff honouring Retry-After.",
    ).tag(config=True)

    request_timeout = Float(
        120.0, help="Seconds to wait for the endpoint to answer one request."
    ).tag(config=True)

    reasoning_effort = Unicode(
        None,
        allow_none=True,
        help="How hard a reasoning model thinks (for example minimal, low, medium or high), "
        "sent as reasoning_effort; None sends nothing. An endpoint that refuses it is asked "
        "again without it.",
    ).tag(config=True)

    extra_body = Dict(
        help="Extra JSON fields sent with every request (endpoint-specific options)."
    ).tag(config=True)

    action_style = Enum(
        ["auto", "tags", "tools"],
        default_value="auto",
        help="How the model acts. tags: it writes code in <execute> blocks. tools: native "
        "tool calls, one function whose argument is the code (still code actions). auto: "
        "tools where the endpoint takes them for the model (learned once), else tags: "
        "Ollama and llama.cpp refuse tools for some models, and some models write their "
        "calls as text. " + SHARED,
    ).tag(config=True)

    context_window = Int(
        0,
        help="The model's context window in tokens; 0: what the endpoint reports in "
        "/v1/models (vLLM, llama.cpp, LM Studio, OpenRouter...), else 32768. Ollama reports "
        "none and cuts longer prompts silently: set it to the model's num_ctx there. Past "
        "condense_at of the window, older steps are condensed for the model (the chat keeps "
        "them).",
    ).tag(config=True)

    condense_at = Float(
        0.75,
        help="Share of the context window past which older steps (their outputs first, "
        "then their code) are condensed into summary lines for the model; the system "
        "prompt, your requests and the recent steps are always sent in full.",
    ).tag(config=True)

    @validate("condense_at")
    def _check_condense_at(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if not 0.1 <= value <= 0.95:
            raise TraitError("c.CodeAct.condense_at must be between 0.1 and 0.95.")
        return value

    mcp_servers = Dict(
        help="MCP servers whose tools the agent calls as Python functions in its kernel, in "
        'the common mcpServers shape: {"pricing": {"command": "python", "args": ["srv.py"], '
        '"env": {"TOKEN": "${PRICING_TOKEN}"}}} for a server started over stdio, {"search": '
        '{"url": "https://.../mcp", "headers": {...}}} for streamable HTTP. The host runs the '
        "clients: env and headers never reach the kernel or the model. Needs jupyter_codeact[mcp]."
    ).tag(config=True)

    mcp_config_file = Unicode(
        "",
        help='A JSON file of MCP servers ({"mcpServers": {...}}), read besides mcp_servers. '
        "Empty: ~/.jupyter/mcp.json and the project's .jupyter/mcp.json, where they exist "
        "(the project's only once you trust it: see trusted_project_files).",
    ).tag(config=True)

    mcp_startup_timeout = Float(
        30.0, help="Seconds an MCP server may take to start and list its tools."
    ).tag(config=True)

    tools = List(
        Unicode(),
        help='Your own Python functions as tools, e.g. ["mypackage.tools:search_catalog"]: '
        "imported in the agent's kernel (install the package there) and listed to the model "
        "with their signature and the first line of their docstring.",
    ).tag(config=True)

    instructions = Unicode(
        "",
        help="Rules for the agent, added to its system prompt before the project's AGENTS.md "
        "files (from the notebook's folder up to the server's root; for the command line and "
        "the magic, from the working directory up; each used once you trust it).",
    ).tag(config=True)

    trusted_project_files = Dict(
        key_trait=Unicode(),
        value_trait=Unicode(),
        help="Project files you trust as they are, by path and SHA-256: "
        '{"/work/repo/.jupyter/mcp.json": "<sha256>"}. A project\'s .jupyter/mcp.json (its '
        "MCP servers run commands and call URLs) and its AGENTS.md files are used only once "
        "you trust that exact content: Trust in the panel, --trust-project on the command "
        "line and in the magic (both remembered in <jupyter data dir>/codeact/trust.json), "
        "or here. A file that changes asks again. The message naming an untrusted file "
        "gives its entry.",
    ).tag(config=True)

    project_variables = List(
        Unicode(),
        help="Environment variables a project's .jupyter/mcp.json (once trusted) may name as "
        '${NAME}, e.g. ["GITHUB_TOKEN"]. A project\'s file reads no other variable of '
        "yours: a ${NAME} not listed here leaves its server out, with a message. Like every "
        "variable an MCP server names, these are kept out of the kernels.",
    ).tag(config=True)

    _redactor: Redactor | None = None

    share_key_with_kernels = Bool(
        False,
        help="Let kernels started by the Jupyter server, `jupyter codeact run` and the eval "
        "inherit the API key (OPENAI_API_KEY, and any variable holding the key). Off: those "
        "kernels start without it, so code the agent writes cannot read it. Turn on only if "
        "your own notebooks call the API with that key. The MCP servers' secrets are left "
        "out either way.",
    ).tag(config=True)

    redact_patterns = List(
        Unicode(),
        help="Regular expressions (Python syntax) whose matches are replaced by [redacted] in "
        "everything the agent reads, shows and stores (observations, chat entries, "
        "transcripts), for secrets other than the API key, for example "
        '[r"ghp_[A-Za-z0-9]{36}"] for GitHub tokens. The API key is always redacted.',
    ).tag(config=True)

    @validate("redact_patterns")
    def _check_patterns(self, proposal: Any) -> list[str]:
        try:
            Redactor(patterns=proposal["value"])
        except ValueError as error:
            raise TraitError(f"c.CodeAct.redact_patterns: {error}") from error
        return list(proposal["value"])

    untrusted_agent_outputs = Bool(
        False,
        help="Render the outputs of cells the agent ran as untrusted: JupyterLab sanitizes "
        "their HTML and runs none of their JavaScript. For agents that read untrusted data "
        "(web pages, other people's files). The cost: interactive outputs (plotly, bokeh, "
        "widgets' HTML) do not work in those cells, and a saved notebook holding them opens "
        "untrusted. " + SHARED,
    ).tag(config=True)

    def redactor(self) -> Redactor:
        """The redactor of these settings: the API key and ``redact_patterns``. One instance
        per settings object, so that a secret another part adds applies to every chat."""
        if self._redactor is None:
            self._redactor = Redactor(
                secrets=[self.api_key, *url_secrets(self.base_url)], patterns=self.redact_patterns
            )
        return self._redactor

    @observe("api_key", "base_url", "redact_patterns")
    def _update_redactor(self, change: Any) -> None:
        if self._redactor is None:
            return
        if change["name"] == "api_key":
            self._redactor.add_secret(change["new"])  # an old key stays redacted too
        elif change["name"] == "base_url":
            self._redactor.add_secret(*url_secrets(change["new"]))
        else:
            self._redactor.set_patterns(change["new"])

    def kernel_env(
        self, base: Mapping[str, str] | None = None, *, project_dir: Path | None = None
    ) -> dict[str, str] | None:
        """The environment for a kernel the agent's code runs in: ``base`` (default: this
        process's) without the API key (unless ``share_key_with_kernels``) and without the
        MCP servers' secrets (:func:`.kernel_env.tool_secrets`, and those of the toolsets
        built since, which the redactor holds). None: nothing to leave out (the kernel
        inherits everything). ``project_dir`` resolves a relative ``mcp_config_file``."""
        environ = os.environ if base is None else base
        names, values = tool_secrets(self, project_dir, environ)
        shared = self.share_key_with_kernels
        values |= {s for s in self.redactor().secrets if not (shared and s == self.api_key)}
        values -= ordinary_values(environ)
        if shared and not names and not values:
            return None
        return without_secrets(
            environ,
            [] if shared else [self.api_key],
            names=[*names, *(() if shared else SECRET_VARIABLES)],
            values=values,
        )

    def check(self) -> None:
        """Raise :class:`ConfigError` if no endpoint can be reached with these settings."""
        if not self.api_key and not self.base_url:
            raise NoModelError(NO_MODEL_MESSAGE)
        if not self.model:
            raise ConfigError("No model name is set: set c.CodeAct.model (or --model).")

    def llm_settings(self) -> LLMSettings:
        self.check()
        return LLMSettings(
            model=self.model,
            api_key=self.api_key or PLACEHOLDER_KEY,
            base_url=self.base_url,
            temperature=self.temperature,
            max_retries=self.max_retries,
            request_timeout=self.request_timeout,
            stop=STOP_SEQUENCES,
            extra_body=dict(self.extra_body) or None,
            reasoning_effort=self.reasoning_effort or None,
            context_window=self.context_window or None,
        )

    def make_llm(self) -> OpenAIChat:
        return OpenAIChat(self.llm_settings())

    def agent_options(self, **overrides: Any) -> AgentOptions:
        """Options for one agent; ``overrides`` win (hosts set ``require_solution``)."""
        images = self.images == "always" or (
            self.images == "auto" and model_sees_images(self.model)
        )
        values: dict[str, Any] = {
            "max_turns": self.max_turns,
            "cell_timeout": self.cell_timeout or None,
            "max_observation_chars": self.max_observation_chars,
            "token_budget": self.token_budget or None,
            "include_images": images,
            "redactor": self.redactor(),
            "action_style": self.action_style,
            "condense_at": self.condense_at,
        }
        values.update(overrides)
        return AgentOptions(**values)

    def public_settings(self) -> dict[str, Any]:
        """What the browser may see: everything but the key (only whether one is set), and
        the base URL without the credentials it may carry (user-info, query)."""
        return {
            "model": self.model,
            "base_url": public_url(self.base_url),
            "has_api_key": bool(self.api_key),
            "configured": bool(self.api_key or self.base_url),
            "max_turns": self.max_turns,
            "cell_timeout": self.cell_timeout,
            "approval_mode": self.approval_mode,
            "action_style": self.action_style,
            "untrusted_agent_outputs": self.untrusted_agent_outputs,
            "problem": None if (self.api_key or self.base_url) else SERVER_NO_MODEL_MESSAGE,
        }
