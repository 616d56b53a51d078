"""``jupyter codeact export SOURCE... --output FILE.jsonl``: conversations as fine-tuning
data (see :mod:`jupyter_codeact.export`)."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from ..config import CodeAct, ConfigError
from ..core.redact import Redactor, url_secrets
from ..export.chats import ChatSelection
from ..export.formats import FORMATS
from ..export.notebooks import ReadOptions
from ..export.pipeline import Filters, Settings, export
from ..export.progress import Progress
from ..export.sources import SourceError, plan
from ..kernel_env import tool_secrets
from ..server.store import valid_chat_id
from .config_files import host_configs, load_config
from .options import EXIT_ANSWERED, EXIT_USAGE

EVAL_MODES = ("code", "json", "text", "tools")


def add_export_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "export",
        help="write chats, runs and eval tasks as fine-tuning data (JSON lines)",
        description="Write multi-turn CodeAct conversations (what the model was sent, its "
        "replies and the observations of its code) as JSON lines for fine-tuning. Sources "
        "are told apart by what they are. Secrets (the API key, c.CodeAct.redact_patterns) "
        "are redacted.",
    )
    parser.add_argument(
        "sources",
        nargs="*",
        metavar="SOURCE",
        help="an eval output folder, a notebook written by 'run --output' or "
        "'%%codeact --history', a chat store folder or chat file, or 'chats' (the default "
        "chat store)",
    )
    parser.add_argument(
        "--output", "-o", required=True, metavar="FILE.jsonl", help="where to write (- for stdout)"
    )
    parser.add_argument(
        "--format",
        choices=sorted(FORMATS),
        default="openai",
        help="openai: {'messages': [...]} per line (default); sharegpt: {'conversations': "
        "[{'from', 'value'}...]}",
    )
    parser.add_argument("--chat", action="append", metavar="ID", help="only this chat (repeatable)")
    parser.add_argument(
        "--notebook",
        action="append",
        metavar="PATH",
        help="only the chats of this notebook file (repeatable)",
    )
    parser.add_argument(
        "--solved-only",
        action="store_true",
        help="eval tasks that passed their check; runs and chats that ended with an answer",
    )
    parser.add_argument(
        "--min-turns", type=int, default=0, metavar="N", help="at least N model replies"
    )
    parser.add_argument(
        "--max-tokens",
        type=int,
        metavar="N",
        help="at most N tokens per conversation (estimated: about 4 characters a token)",
    )
    parser.add_argument("--mode", choices=EVAL_MODES, help="eval tasks of this action mode only")
    parser.add_argument(
        "--images",
        choices=("drop", "keep"),
        default="drop",
        help="drop images (default) or keep them as data URLs",
    )
    parser.add_argument(
        "--no-metadata",
        action="store_true",
        help="leave out each line's 'metadata' (for trainers that refuse other keys)",
    )
    parser.add_argument(
        "--redact",
        action="append",
        metavar="REGEX",
        help="also redact what matches (beside the key and c.CodeAct.redact_patterns)",
    )
    parser.add_argument(
        "--suite",
        metavar="DIR",
        help="the suite folder an older eval ran (its transcripts without recorded messages "
        "are rebuilt with its prompts; loading it runs its tools.py): a path that an eval "
        "folder's results.json names is not followed",
    )
    parser.set_defaults(handler=export_command)


def export_command(args: argparse.Namespace) -> int:
    try:
        _check(args)
        settings = CodeAct(config=load_config())
        configured = settings.redactor()
        redactor = Redactor(
            secrets=[*configured.secrets, *_host_secrets()],
            patterns=[*configured.patterns, *(args.redact or ())],
        )
        options = ReadOptions(
            keep_images=args.images == "keep",
            max_observation_chars=settings.max_observation_chars,
            cell_timeout=settings.cell_timeout or None,
            suite=Path(args.suite) if args.suite else None,
        )
        found = plan(args.sources, ChatSelection.of(args.chat, args.notebook), options)
    except (ConfigError, SourceError, ValueError) as error:
        print(f"Error: {error}", file=sys.stderr)
        return EXIT_USAGE
    for note in found.notes:
        print(note, file=sys.stderr)
    for label, reason in found.unreadable:
        print(f"Skipped {label}: {reason}.", file=sys.stderr)
    filters = Filters(
        solved_only=args.solved_only,
        min_turns=args.min_turns,
        max_tokens=args.max_tokens,
        mode=args.mode,
    )
    run = Settings(
        format=FORMATS[args.format],
        filters=filters,
        redactor=redactor,
        keep_images=args.images == "keep",
        with_metadata=not args.no_metadata,
    )
    progress = Progress(len(found.units))
    try:
        with _opened(args.output) as out:
            summary = export(found.units, out, run, progress)
    except OSError as error:
        progress.close()
        print(f"Error: cannot write {args.output} ({error.strerror or error}).", file=sys.stderr)
        return EXIT_USAGE
    progress.close()
    summary.unreadable[:0] = found.unreadable
    where = "stdout" if args.output == "-" else args.output
    print(summary.line(filters, where), file=sys.stderr)
    return EXIT_ANSWERED


def _host_secrets() -> list[str]:
    """The secrets every host's configuration names (the key and the endpoint's
    credentials, the MCP servers' secrets): a chat the server stored may hold the key its
    own config set, while this command's environment has none. Files that cannot be read
    are said on stderr."""
    configs, problems = host_configs()
    for problem in problems:
        print(f"CodeAct: {problem} Secrets it sets are not redacted.", file=sys.stderr)
    found: list[str] = []
    for config in [load_config(), *configs]:
        settings = CodeAct(config=config)
        found += [settings.api_key or "", *url_secrets(settings.base_url)]
        found += tool_secrets(settings)[1]
    return found


def _check(args: argparse.Namespace) -> None:
    if not args.sources and not args.chat and not args.notebook:
        raise SourceError(
            "Name what to export: an eval output folder, a transcript notebook, a chat store "
            "folder, or 'chats' (the default chat store), or select chats with --chat or "
            "--notebook."
        )
    if args.min_turns < 0:
        raise ConfigError("--min-turns must be 0 or more.")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise ConfigError("--max-tokens must be at least 1.")
    for chat_id in args.chat or ():
        if not valid_chat_id(chat_id):
            raise SourceError(f"{chat_id!r} is not a chat id (32 hexadecimal digits).")


@contextlib.contextmanager
def _opened(output: str) -> Iterator[TextIO]:
    """Stdout for ``-``; else a file written in full or not at all (an interrupted export
    leaves the previous one, never half a file)."""
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(output)
    partial = target.with_name(f".{target.name}.partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with partial.open("w", encoding="utf-8") as handle:
            yield handle
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
