/**
 * Edits of cells through the shared model, so that they take part in
 * collaboration and in each cell's own undo history.
 */
import { Cell, ICellModel, MarkdownCell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY, ICellProvenance } from '../tokens';
import { minimalEdit } from './diff';

type ISharedCell = ICellModel['sharedModel'];

interface IUndoable {
  undoManager?: { stopCapturing(): void } | null;
}

/**
 * Put `source` in place of the cell's source, as one step of the cell's
 * undo history (Ctrl+Z in the cell brings the previous source back). Only
 * the part that differs is rewritten.
 */
export function replaceSource(shared: ISharedCell, source: string): void {
  const current = shared.getSource();
  if (current === source) {
    return;
  }
  const { start, end, text } = minimalEdit(current, source);
  // Not merged with what the user typed just before, nor with what follows.
  const undo = (shared as unknown as IUndoable).undoManager;
  undo?.stopCapturing();
  shared.updateSource(start, end, text);
  undo?.stopCapturing();
}

/**
 * Insert a rendered markdown cell at `index`, with the agent's provenance.
 */
export function insertMarkdown(
  notebook: Notebook,
  index: number,
  source: string,
  provenance: ICellProvenance
): Cell | null {
  const metadata = JSON.parse(JSON.stringify(provenance)); // no undefined fields
  const shared = notebook.model!.sharedModel.insertCell(index, {
    cell_type: 'markdown',
    source,
    metadata: { [CELL_METADATA_KEY]: metadata }
  });
  const cell = notebook.widgets.find(w => w.model.id === shared.getId());
  if (cell instanceof MarkdownCell) {
    cell.rendered = true;
  }
  return cell ?? null;
}
