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
  // Where each due change is, found before the transaction (the model's
  // lists follow the shared cells only once it ends), then made from the
  // last cell up, so that no change moves the place of another.
  const due: { index: number; cell: nbformat.ICell | null }[] = [];
  const find = (left: IUndoLeft, cell: nbformat.ICell | null): void => {
    const index = indexOf(panel, left.cell_id);
    if (index >= 0 && asLeft(cells.get(index), left)) {
      due.push({ index, cell: cell && { ...cell, id: left.cell_id } });
    }
  };
  op.restore.forEach(entry => find(entry, entry.cell));
  op.remove.forEach(entry => find(entry, null));
  if (!due.length) {
    return false;
  }
  due.sort((a, b) => b.index - a.index);
  const history = (shared as unknown as IUndoable).undoManager;
  history?.stopCapturing();
  shared.transact(() => {
    for (const { index, cell } of due) {
      shared.deleteCell(index);
      if (cell) {
        shared.insertCell(index, cell as any);
      }
    }
  });
  history?.stopCapturing();
  return true;
}
