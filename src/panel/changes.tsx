/**
 * A turn's changes, under its request in the chat (the entry's `changes`,
 * from the server): each cell it
 * added or replaced, linked to the cell, a replaced cell's diff on demand,
 * and *Undo this turn*. Once undone, what the undo kept (cells the user
 * changed since) is named, and the kernel's state is said plainly not to be
 * undone, with *Restart kernel and run the notebook*.
 */
import React, { useState } from 'react';

import { lineDiff } from '../notebook/diff';
import { IChatEntry, ITurnChange, ITurnUndone } from '../wire';
import { cellPhrase } from './cellref';
import { IEntryContext } from './entry';

const WHY: Record<ITurnUndone['kept'][number]['why'], string> = {
  edited: 'you edited it since',
  ran: 'you ran it since',
  no_copy: 'the chat no longer has its earlier version',
  unknown: 'its state could not be read'
};

function name(change: { cell_id: string }, context: IEntryContext): string {
  return cellPhrase({ position: context.position(change.cell_id) }) ?? 'a cell';
}

function Change(props: {
  change: ITurnChange;
  context: IEntryContext;
}): JSX.Element {
  const { change, context } = props;
  const [open, setOpen] = useState(false);
  const what =
    change.kind === 'added'
      ? change.role === 'narration'
        ? 'Added an explanation'
        : 'Added'
      : 'Replaced';
  return (
    <li
      className="jp-CodeAct-change"
      data-codeact-change={change.kind}
      data-codeact-cell={change.cell_id}
    >
      <button
        type="button"
        className="jp-CodeAct-cellLink"
        title="Select this cell in the notebook"
        onClick={() => context.reveal(change.cell_id)}
      >
        {what} {name(change, context)}
      </button>
      {change.kind === 'replaced' && change.before !== null ? (
        <button
          type="button"
          className="jp-CodeAct-diffToggle"
          aria-expanded={open}
          onClick={() => setOpen(!open)}
        >
          {open ? 'Hide diff' : 'Show diff'}
        </button>
      ) : null}
      {open ? (
        <pre className="jp-CodeAct-diff" aria-label="What the turn changed">
          {lineDiff(change.before ?? '', change.after).map((line, index) => (
            <div
              key={index}
              className={`jp-CodeAct-diffLine jp-mod-${line.kind}`}
            >
              {line.kind === 'added'
                ? '+'
                : line.kind === 'removed'
                  ? '-'
                  : ' '}{' '}
              {line.text}
            </div>
          ))}
        </pre>
      ) : null}
    </li>
  );
}

function Undone(props: {
  undone: ITurnUndone;
  context: IEntryContext;
}): JSX.Element {
  const { undone, context } = props;
  return (
    <div className="jp-CodeAct-undone" role="note">
      <div>
        Undone: {undone.removed.length} cell
        {undone.removed.length === 1 ? '' : 's'} removed,{' '}
        {undone.restored.length} restored.
      </div>
      {undone.kept.length ? (
        <ul className="jp-CodeAct-kept" aria-label="Cells kept">
          {undone.kept.map(kept => (
            <li key={kept.cell_id} data-codeact-kept={kept.cell_id}>
              <button
                type="button"
                className="jp-CodeAct-cellLink"
                onClick={() => context.reveal(kept.cell_id)}
              >
                Kept {name(kept, context)}
              </button>{' '}
              ({WHY[kept.why] ?? kept.why})
            </li>
          ))}
        </ul>
      ) : null}
      <div className="jp-CodeAct-kernelNote">{undone.kernel_note}</div>
      {context.restartAndRun ? (
        <button
          type="button"
          className="jp-mod-styled jp-CodeAct-restartRun"
          onClick={() => context.restartAndRun?.()}
        >
          Restart kernel and run the notebook
        </button>
      ) : null}
    </div>
  );
}

export function TurnChanges(props: {
  entry: IChatEntry;
  context: IEntryContext;
}): JSX.Element {
  const { entry, context } = props;
  const changes = entry.changes ?? [];
  const [asked, setAsked] = useState(false);
  return (
    <div className="jp-CodeAct-turnChanges" data-codeact-changes={entry.id}>
      <div className="jp-CodeAct-changesTitle">
        This turn changed {changes.length} cell
        {changes.length === 1 ? '' : 's'}
      </div>
      <ul className="jp-CodeAct-changes">
        {changes.map(change => (
          <Change key={change.cell_id} change={change} context={context} />
        ))}
      </ul>
      {entry.undone ? (
        <Undone undone={entry.undone} context={context} />
      ) : context.undo ? (
        <button
          type="button"
          className="jp-mod-styled jp-CodeAct-undoTurn"
          disabled={asked}
          onClick={() => {
            setAsked(true);
            context.undo?.(entry.id);
          }}
        >
          Undo this turn
        </button>
      ) : null}
    </div>
  );
}
