"""Entry point of ``jupyter codeact`` and ``python -m jupyter_codeact``."""

from __future__ import annotations

import argparse
import sys

from .._version import __version__
from ..eval.cli import add_eval_parser
from .export import add_export_parser
from .run import add_run_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jupyter codeact",
        description="CodeAct: an LLM agent that acts by writing Python that runs in a kernel.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run_parser(subparsers)
    add_eval_parser(subparsers)
    add_export_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
