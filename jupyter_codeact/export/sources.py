"""What the user named on the command line, told apart by what it is, and split into units
(one file each) that the pipeline reads in sorted order.

- a folder holding ``results.json``: an eval output folder;
- a folder of chat files (``<32 hex digits>.json``), one chat file, or the word ``chats``
  (the default store, ``<jupyter data dir>/codeact/chats``): the chat store;
- a notebook whose metadata has ``codeact.task``: a transcript (of ``jupyter codeact run
  --output``, of ``%codeact --history``, or one of an eval folder's, which is then read
  with that folder's verdict).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..server.store import default_chats_dir, valid_chat_id
from .chats import ChatSelection, chat_files, chat_trajectory, is_chat_store, read_chat, selected
from .eval_folder import EvalFolder, TaskRun, eval_folder_of, is_eval_folder
from .notebooks import (
    ReadOptions,
    Unreadable,
    codeact_metadata,
    confined,
    load_json,
    transcript_trajectory,
)
from .trajectory import Trajectory

DEFAULT_STORE = "chats"


class SourceError(Exception):
    """A source that cannot be exported at all; the message says what would be."""


@dataclass(frozen=True)
class Unit:
    """One file to read: ``read`` returns its trajectories or raises :class:`Unreadable`."""

    label: str
    read: Callable[[], list[Trajectory]]
    mode: str | None = None
    """The eval mode, known before reading (so that ``--mode`` skips it unread)."""


@dataclass
class Plan:
    units: list[Unit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the user should know before the export starts (an empty store, say)."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """(label, reason) of sources that turned out unreadable while being opened."""


def label_of(source: str | Path) -> str:
    return os.path.normpath(str(source))


def plan(sources: list[str], selection: ChatSelection, options: ReadOptions) -> Plan:
    """The units of every source; :class:`SourceError` for one that is none of the kinds."""
    result = Plan()
    seen: set[str] = set()
    stores = 0
    for source in sources:
        path = Path(source)
        if source == DEFAULT_STORE and not path.exists():
            path = default_chats_dir()
            stores += 1
            if _once(path, seen):
                _chat_store(path, label_of(path), selection, result)
            continue
        if not path.exists():
            raise SourceError(f"{source}: no such file or folder.")
        if not _once(path, seen):
            continue
        label = label_of(source)
        if path.is_dir():
            if is_eval_folder(path):
                _eval_folder(path, label, options, result)
            elif is_chat_store(path):
                stores += 1
                _chat_store(path, label, selection, result)
            else:
                raise SourceError(
                    f"{source} is a folder but neither an eval output folder (it has no "
                    "results.json) nor a chat store (it holds no chat files)."
                )
        elif path.suffix == ".json" and valid_chat_id(path.stem):
            stores += 1
            result.units.append(_chat_unit(path, label, selection))
        else:
            _notebook(path, label, options, result)
    if not selection.everything and not stores:
        # --chat or --notebook on their own: the default store.
        path = default_chats_dir()
        _chat_store(path, label_of(path), selection, result)
    if selection.ids:
        found = {unit.label.rsplit("/", 1)[-1].removesuffix(".json") for unit in result.units}
        missing = sorted(selection.ids - found)
        if missing:
            raise SourceError(f"No chat {', '.join(missing)} in the chat store(s) given.")
    return result


def _once(path: Path, seen: set[str]) -> bool:
    real = os.path.realpath(path)
    if real in seen:
        return False
    seen.add(real)
    return True


def _eval_folder(path: Path, label: str, options: ReadOptions, result: Plan) -> None:
    try:
        folder = EvalFolder(path, label, options)
    except Unreadable as error:
        result.unreadable.append((f"{label}/results.json", str(error)))
        return
    if folder.malformed:
        result.notes.append(
            f"{label}: {folder.malformed} rows of results.json name no task, domain and mode; "
            "they are left out."
        )
    if folder.outside:
        modes = ", ".join(sorted({repr(mode) for mode in folder.outside}))
        result.notes.append(
            f"{label}: {len(folder.outside)} rows of results.json have a mode that is a path "
            f"({modes}), which would read outside the folder; they are left out."
        )
    if not folder.has_transcripts:
        result.notes.append(
            f"{label}: the eval wrote no transcripts (it ran with --no-transcripts), so it "
            "has nothing to export."
        )
        return
    for run in folder.runs:
        result.units.append(_eval_unit(folder, run))


def _eval_unit(folder: EvalFolder, run: TaskRun) -> Unit:
    return Unit(folder.transcript_label(run), lambda: [folder.trajectory(run)], mode=run.mode)


def _chat_store(path: Path, label: str, selection: ChatSelection, result: Plan) -> None:
    files = chat_files(path)
    if not files:
        result.notes.append(f"The chat store {label} holds no chats.")
    for file in files:
        if selection.ids and file.stem not in selection.ids and not selection.notebooks:
            continue
        result.units.append(_chat_unit(file, f"{label}/{file.name}", selection, store=path))


def _chat_unit(
    file: Path, label: str, selection: ChatSelection, *, store: Path | None = None
) -> Unit:
    def read() -> list[Trajectory]:
        if store is not None:  # a store's files are read inside it (not through links)
            confined(file, store, what="the file (a link)")
        record = read_chat(file)
        return [chat_trajectory(record, label)] if selected(record, selection) else []

    return Unit(label, read)


def _notebook(path: Path, label: str, options: ReadOptions, result: Plan) -> None:
    try:
        notebook = load_json(path)
    except Unreadable as error:
        raise SourceError(f"{path} cannot be read: {error}.") from error
    if codeact_metadata(notebook) is None:
        raise SourceError(
            f"{path} is not a CodeAct transcript: export takes notebooks written by "
            "`jupyter codeact run --output`, `jupyter codeact eval` or `%codeact --history`, "
            "eval output folders, and the chat store."
        )
    folder_path = eval_folder_of(path)
    if folder_path is not None:
        folder_label = label_of(Path(label).parent.parent.parent)
        try:
            folder = EvalFolder(folder_path, folder_label, options)
        except Unreadable:
            folder = None
        if folder is not None:
            runs = [r for r in folder.runs if folder.transcript(r).resolve() == path.resolve()]
            if runs:
                result.units.append(_eval_unit(folder, runs[0]))
                return
    result.units.append(Unit(label, lambda: [transcript_trajectory(path, label, options)]))
