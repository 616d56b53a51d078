/**
 * Apply the server's `undo` operation to a notebook's model: a turn taken
 * back, as `jupyter_codeact/server/document/undo.py` applies it to a file.
 *
 * Each cell is removed, or given back its JSON from before the turn, only if
 * it still is what the turn left (the hash of its source, its execution
 * count): a cell the user changed since stays as it is. All of it is one
 * transaction of the shared model, with the undo history cut before and
 * after: one step, so the notebook's Ctrl+Z (`notebook:undo`) takes the undo
 * back whole.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { ICellModel, ICodeCellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { DocumentOp, IUndoLeft } from '../wire';
import { sourceHash } from './provenance';

type UndoOp = Extract<DocumentOp, { op: 'undo' }>;

interface IUndoable {
  undoManager?: { stopCapturing(): void } | null;
}

/** Whether `cell` still is what the turn left (`left`). */
export function asLeft(cell: ICellModel, left: IUndoLeft): boolean {
  if (sourceHash(cell.sharedModel.getSource()) !== left.code_hash) {
    return false;
  }
  if (left.execution_count === undefined) {
    return true;
  }
  return (
    cell.type === 'code' &&
    ((cell as ICodeCellModel).executionCount ?? null) === left.execution_count
  );
}

function indexOf(panel: NotebookPanel, cellId: string): number {
  const cells = panel.content.model!.cells;
  for (let index = 0; index < cells.length; index++) {
    if (cells.get(index).id === cellId) {
      return index;
    }
  }
  return -1;
}

/**
 * Apply `op` to the notebook of `panel`; whether it changed anything.
 */
export function applyUndo(panel: NotebookPanel, op: UndoOp): boolean {
  const model = panel.content.model;
  if (!model) {
    return false;
  }
  const shared = model.sharedModel;
  const cells = model.cells;
  const due = (left: IUndoLeft): number => {
    const index = indexOf(panel, left.cell_id);
    return index >= 0 && asLeft(cells.get(index), left) ? index : -1;
  };
  const restore = op.restore.filter(entry => due(entry) >= 0);
  const remove = op.remove.filter(entry => due(entry) >= 0);
  if (!restore.length && !remove.length) {
    return false;
  }
  const history = (shared as unknown as IUndoable).undoManager;
  history?.stopCapturing();
  shared.transact(() => {
    for (const entry of restore) {
      const index = indexOf(panel, entry.cell_id);
      shared.deleteCell(index);
      shared.insertCell(index, {
        ...(entry.cell as nbformat.ICell),
        id: entry.cell_id
      } as any);
    }
    for (const entry of remove) {
      shared.deleteCell(indexOf(panel, entry.cell_id));
    }
  });
  history?.stopCapturing();
  return true;
}
