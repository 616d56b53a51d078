"""``jupyter codeact eval``: the same model and tools, acting by code, JSON or text."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from .._version import __version__
from ..cli.options import EXIT_CANCELLED, EXIT_LLM, EXIT_USAGE
from ..cli.run import add_model_options, add_trust_option, make_backend, report_untrusted
from ..cli.run import settings_from as _settings_from
from ..config import CodeAct, ConfigError
from ..core.executor import ExecutorError
from ..project import headless
from ..tools import KernelToolHost, Toolset
from .modes import MODES
from .progress import Progress
from .reference import validate
from .report import markdown, summarise, write
from .runner import EvalAborted, EvalRun, RunOptions, evaluate
from .suite import Suite, SuiteError, Task, load_suite
from .workspace import KernelPool

DEFAULT_MAX_TURNS = 10  # as in the paper
DEFAULT_TIMEOUT = 60.0


def add_eval_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="compare code, JSON and text actions on a task suite",
        description="Run a task suite with the same model and tools in each action mode "
        "(code, JSON tool calls, text tool calls) and report success rate, turns, tokens "
        "and wall time per mode and per domain, as in the CodeAct paper. Each task gets at "
        f"most {DEFAULT_MAX_TURNS} turns, as in the paper, unless --max-turns says otherwise.",
    )
    add_model_options(parser)
    parser.add_argument(
        "--mode", choices=[*MODES, "all"], default="all", help="action mode (default: all)"
    )
    parser.add_argument(
        "--tasks",
        metavar="PATTERN",
        help="only tasks whose 'domain/id' or domain matches one of these comma-separated "
        "shell patterns, e.g. 'dna/*,finance'",
    )
    parser.add_argument(
        "--suite", metavar="DIR", help="a suite folder of your own (default: the built-in one)"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=2,
        help="tasks run at once, each on its own kernel (default 2)",
    )
    parser.add_argument(
        "--output", metavar="DIR", help="where results go (default: eval-results/DATE-TIME)"
    )
    parser.add_argument(
        "--timeout", type=float, help=f"seconds one action may run (default {DEFAULT_TIMEOUT:g})"
    )
    parser.add_argument("--token-budget", type=int, help="tokens one task may use (0: no limit)")
    parser.add_argument("--kernel", default="python3", help="kernel name (default: python3)")
    parser.add_argument("--gateway-url", help="run the kernels on this Jupyter Kernel Gateway")
    parser.add_argument(
        "--gateway-token", help="token for the gateway (default: $JUPYTER_GATEWAY_AUTH_TOKEN)"
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel for every task instead of resetting a pooled one (slower)",
    )
    parser.add_argument(
        "--no-transcripts", action="store_true", help="do not write each run as a notebook"
    )
    parser.add_argument(
        "--with-tools",
        action="store_true",
        help="also give the code mode the MCP servers and functions of your configuration "
        "(c.CodeAct.mcp_servers, c.CodeAct.tools); off, every mode has the suite's tools only",
    )
    add_trust_option(parser)
    parser.add_argument("--list", action="store_true", help="list the tasks and exit")
    parser.add_argument(
        "--validate",
        action="store_true",
        help="check that each task's reference solution gives its answer, and exit",
    )
    parser.set_defaults(
        handler=eval_command,
        max_turns=DEFAULT_MAX_TURNS,
        timeout=DEFAULT_TIMEOUT,
        connection_file=None,
    )


def eval_command(args: argparse.Namespace) -> int:
    try:
        _check_counts(args)
        suite = load_suite(args.suite)
        tasks = suite.select(args.tasks)
    except (ConfigError, SuiteError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.list:
        for task in tasks:
            print(f"{task.full_id}\t{task.statement.splitlines()[0][:100]}")
        return 0
    if args.validate:
        return _validate(suite, tasks)
    try:
        settings = _settings_from(args)
        settings.check()
    except (ConfigError, ValueError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_USAGE
    output = Path(args.output or Path("eval-results") / time.strftime("%Y%m%d-%H%M%S"))
    return asyncio.run(_eval(args, settings, suite, tasks, output))


async def _toolset(settings: CodeAct, *, trust_project: bool) -> Toolset:
    """The configured tools (and the project's, if trusted), started here (their secrets
    stay in this process); each problem said once on stderr."""
    project = headless(settings, trust_now=trust_project)
    report_untrusted(project)
    toolset = Toolset(project.tools)
    settings.redactor().add_secret(*toolset.secrets())
    await toolset.start()
    for problem in toolset.new_problems(set()):
        print(f"CodeAct: {problem}", file=sys.stderr)
    return toolset


def _check_counts(args: argparse.Namespace) -> None:
    """Raise ConfigError for a count that cannot work (argparse only checks that it is an int)."""
    for option, value in (("--concurrency", args.concurrency), ("--max-turns", args.max_turns)):
        if value is not None and value < 1:
            raise ConfigError(f"{option} must be at least 1.")


def _validate(suite: Suite, tasks: list[Task]) -> int:
    problems = validate(suite, tasks)
    for problem in problems:
        print(problem)
    print(f"{len(tasks) - len(problems)} of {len(tasks)} tasks check out.", file=sys.stderr)
    return 1 if problems else 0


async def _eval(
    args: argparse.Namespace, settings: CodeAct, suite: Suite, tasks: list[Task], output: Path
) -> int:
    modes = list(MODES.values()) if args.mode == "all" else [MODES[args.mode]]
    toolset = (
        await _toolset(settings, trust_project=args.trust_project) if args.with_tools else None
    )
    llm = settings.make_llm()
    options = RunOptions(
        agent=settings.agent_options(require_solution=True),
        concurrency=args.concurrency,
        transcripts=None if args.no_transcripts else output / "transcripts",
        model=settings.model,
        tools_prompt=toolset.prompt_section() if toolset is not None else "",
    )
    pool = KernelPool(
        args.concurrency,
        lambda: make_backend(args, settings),
        fresh_kernels=args.fresh_kernels,
        stdin=KernelToolHost(toolset) if toolset is not None else None,
    )
    progress = Progress(len(tasks) * len(modes))
    run = EvalRun()
    status, problem = 0, ""
    try:
        await evaluate(
            suite,
            tasks,
            modes,
            llm=llm,
            pool=pool,
            options=options,
            run=run,
            on_result=progress.update,
        )
    except EvalAborted as error:  # keep what finished before the endpoint failed
        status, problem = EXIT_LLM, str(error)
    except ExecutorError as error:
        status, problem = EXIT_USAGE, str(error)
    except asyncio.CancelledError:  # Ctrl-C: keep what finished
        status, problem = EXIT_CANCELLED, "Interrupted by the user."
    finally:
        await llm.close()
        progress.close()
        if toolset is not None:
            await toolset.close()
    if problem:
        print(f"Error: {problem}", file=sys.stderr)
    meta = {
        "model": settings.model,
        "base_url": llm.endpoint,
        "suite": str(suite.path),
        "n_tasks": len(tasks),
        "domains": sorted({task.domain for task in tasks}),
        "max_turns": options.agent.max_turns,
        "concurrency": args.concurrency,
        "fresh_kernels": args.fresh_kernels,
        "stopped_early": problem or None,
        "jupyter_codeact": __version__,
    }
    summary = summarise(run, meta)
    json_path, _ = write(summary, output)
    if run.results:
        print(markdown(summary))
    print(f"Results: {json_path}", file=sys.stderr)
    return status
