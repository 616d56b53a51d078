/**
 * What every chat entry view shares: the entry frame (with
 * `data-codeact-role`, which the tests and the styles rely on), the link
 * to a cell, and what the views need from their surroundings.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import React from 'react';

import type { ApprovalDecision, IPendingApproval } from '../executor';
import { ExecutionStatus, IChatEntry } from '../wire';
import type { ICellPosition } from './cellref';

/**
 * What the entry views need from their surroundings.
 */
export interface IEntryContext {
  rendermime: IRenderMimeRegistry;
  /** JupyterLab's CodeMirror languages, to highlight code (null: plain). */
  languages: IEditorLanguageRegistry | null;
  /** Where a cell of the chat's notebook is now, if it is there. */
  position: (cellId: string) => ICellPosition | null;
  /** Move the keyboard focus back to the message input. */
  focusInput: () => void;
  /** Select and show a cell of the notebook. */
  reveal: (cellId: string) => void;
  /** The approval waiting for an action's request id, if any. */
  approval: (requestId: string) => IPendingApproval | undefined;
  decide: (requestId: string, decision: ApprovalDecision) => void;
  /** Edit the pending cell of an approval in the notebook's editor. */
  edit: (requestId: string) => void;
  /** Insert a final answer as a markdown cell; resolves to whether it was. */
  insertAnswer: (text: string) => Promise<boolean>;
  /** *Undo this turn*, the one `changes` entry `entryId` lists. */
  undo?: (entryId: string) => void;
  /** Restart the notebook's kernel and run all its cells (after an undo). */
  restartAndRun?: () => void;
}

export const STATUS_LABELS: Record<ExecutionStatus, string> = {
  ok: 'Ran',
  error: 'Error',
  timeout: 'Timed out',
  interrupted: 'Interrupted',
  died: 'Kernel died',
  skipped: 'Skipped',
  refused: 'Refused'
};

export function Entry(props: {
  entry: IChatEntry;
  className?: string;
  children: React.ReactNode;
}): JSX.Element {
  const { entry } = props;
  return (
    <div
      className={`jp-CodeAct-entry jp-CodeAct-entry-${entry.role} ${props.className ?? ''}`.trim()}
      data-codeact-role={entry.role}
      data-codeact-id={entry.id}
    >
      {props.children}
    </div>
  );
}

export function CellLink(props: {
  cellId: string | null | undefined;
  context: IEntryContext;
  /** The cell as the user sees it ("[3]"), for the tooltip. */
  name?: string | null;
}): JSX.Element | null {
  const { cellId, context } = props;
  if (!cellId) {
    return null;
  }
  return (
    <button
      type="button"
      className="jp-CodeAct-cellLink"
      title={`Select ${props.name ? `cell ${props.name}` : 'this cell'} in the notebook`}
      onClick={() => context.reveal(cellId)}
    >
      Go to cell
    </button>
  );
}
