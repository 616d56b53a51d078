"""``jupyter codeact run TASK``: the agent on a fresh kernel, from the command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from ..config import CodeAct, ConfigError
from ..core.agent import Agent
from ..core.events import Done, Error
from ..core.executor import ExecutorError
from ..executors.kernel import KernelBackend, KernelExecutor, LocalKernel
from ..host_prompt import system_prompt
from ..project import Project, headless
from ..tools import KernelToolHost, Toolset
from ..transcript import Transcript
from ..trust import untrusted_message
from .config_files import load_config
from .options import EXIT_ANSWERED, EXIT_CANCELLED, EXIT_LLM, EXIT_UNANSWERED, EXIT_USAGE
from .view import JSONLinesView, LiveView

_LLM_ERRORS = {"auth", "not_found", "unreachable", "rate_limited", "server", "bad_response"}


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Options every command that talks to a model shares."""
    parser.add_argument("--model", help="model name (default: c.CodeAct.model)")
    parser.add_argument(
        "--base-url", help="OpenAI-compatible endpoint ending in /v1 (default: $OPENAI_BASE_URL)"
    )
    parser.add_argument(
        "--api-key", help="API key (prefer the OPENAI_API_KEY environment variable)"
    )
    parser.add_argument("--max-turns", type=int, help="model replies allowed before giving up")


def add_trust_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--trust-project",
        action="store_true",
        help="trust this folder's .jupyter/mcp.json and AGENTS.md files as they are now "
        "(remembered until one changes); without it, files you have not trusted are not "
        "used, and a message names them",
    )


def report_untrusted(project: Project) -> None:
    """Say on stderr which project files are left out, and how to trust them."""
    if project.untrusted:
        how = "run again with --trust-project"
        print(untrusted_message(project.untrusted, how=how), file=sys.stderr)


def add_run_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="solve one task on a fresh kernel",
        description="Run the CodeAct agent on TASK in a fresh kernel and print what it does.",
    )
    parser.add_argument("task", help="what to do, in plain language")
    add_model_options(parser)
    parser.add_argument("--timeout", type=float, help="seconds one action may run (0: no limit)")
    parser.add_argument("--token-budget", type=int, help="tokens the run may use (0: no limit)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    parser.add_argument(
        "--connection-file", help="attach to a running kernel instead of starting one"
    )
    parser.add_argument("--gateway-url", help="run on a kernel of this Jupyter Kernel Gateway")
    parser.add_argument(
        "--gateway-token", help="token for the gateway (default: $JUPYTER_GATEWAY_AUTH_TOKEN)"
    )
    parser.add_argument(
        "--action-style",
        choices=["auto", "tags", "tools"],
        help="how the model acts: code in <execute> tags, native tool calls, or auto "
        "(tools where the endpoint takes them; default: c.CodeAct.action_style)",
    )
    add_trust_option(parser)
    parser.add_argument("--output", "-o", metavar="FILE.ipynb", help="write the run as a notebook")
    parser.add_argument("--json", action="store_true", help="print one JSON object per event")
    parser.set_defaults(handler=run_command)


def settings_from(args: argparse.Namespace) -> CodeAct:
    """The ``CodeAct`` configuration: config files, then command-line options."""
    settings = CodeAct(config=load_config())
    overrides = {
        "model": args.model,
        "base_url": args.base_url,
        "api_key": args.api_key,
        "max_turns": args.max_turns,
        "cell_timeout": getattr(args, "timeout", None),
        "token_budget": getattr(args, "token_budget", None),
        "action_style": getattr(args, "action_style", None),
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    return settings


def make_backend(args: argparse.Namespace, settings: CodeAct) -> KernelBackend:
    """The kernel to run on. A kernel we start gets no API key (``settings.kernel_env``); a
    gateway's kernels get none of our environment."""
    if args.gateway_url:
        from ..executors.gateway import GatewayKernel

        return GatewayKernel(args.gateway_url, kernel_name=args.kernel, token=args.gateway_token)
    return LocalKernel(
        kernel_name=args.kernel,
        connection_file=args.connection_file,
        env=settings.kernel_env(),
    )


def run_command(args: argparse.Namespace) -> int:
    try:
        settings = settings_from(args)
        settings.check()
    except (ConfigError, ValueError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_USAGE
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: CodeAct) -> int:
    view = JSONLinesView() if args.json else LiveView()
    project = headless(settings, trust_now=args.trust_project)
    report_untrusted(project)
    toolset = Toolset(project.tools)
    settings.redactor().add_secret(*toolset.secrets())  # a second line: they stay here
    reported: set[str] = set()
    # The MCP clients run here, in this process: their secrets never reach the kernel.
    await toolset.start()
    _report(toolset, reported)
    llm = settings.make_llm()
    host = KernelToolHost(toolset) if toolset.configured else None
    executor = KernelExecutor(make_backend(args, settings), stdin=host)
    try:
        await executor.start()
    except ExecutorError as error:
        print(f"Error: {error}", file=sys.stderr)
        await toolset.close()
        return EXIT_USAGE
    transcript = Transcript(
        args.task,
        model=settings.model,
        kernelspec=_kernelspec(args.kernel),
        redactor=settings.redactor(),
    )
    prompt = system_prompt(toolset, project.rules)
    options = settings.agent_options(require_solution=True, system_prompt=prompt)
    agent = Agent(llm, executor, options)
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        loop.add_signal_handler(signal.SIGINT, agent.stop)
    status = EXIT_UNANSWERED
    try:
        async for event in agent.run(args.task):
            view.show(event)
            transcript.add(event)
            _report(toolset, reported)  # a server that stopped during the run
            if isinstance(event, Error):
                status = EXIT_LLM if event.kind in _LLM_ERRORS else EXIT_UNANSWERED
            elif isinstance(event, Done):
                if event.reason == "answered":
                    status = EXIT_ANSWERED
                elif event.reason == "cancelled":
                    status = EXIT_CANCELLED
                elif event.reason != "error":
                    status = EXIT_UNANSWERED
    finally:
        with contextlib.suppress(NotImplementedError):
            loop.remove_signal_handler(signal.SIGINT)
        if args.output:
            transcript.set_action_style(agent.action_style)
            transcript.set_conversation(agent.conversation.to_json(), agent.offered_tools)
            transcript.write(args.output)
        await executor.shutdown()
        await llm.close()
        await toolset.close()
    return status


def _report(toolset: Toolset, reported: set[str]) -> None:
    """Say each problem of the tools once, on stderr (the run goes on without them)."""
    for problem in toolset.new_problems(reported):
        print(f"CodeAct: {problem}", file=sys.stderr)


def _kernelspec(name: str) -> dict[str, Any]:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        return {"name": name, "display_name": name, "language": "python"}
    return {"name": name, "display_name": spec.display_name, "language": spec.language}
