/**
 * Edits of cells through the shared model, so that they take part in
 * collaboration and in each cell's own undo history.
 */
import {
  Cell,
  ICellModel,
  ICodeCellModel,
  MarkdownCell
} from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY, ICellProvenance } from '../tokens';
import { minimalEdit } from './diff';

/** The tag that lets *Run All* (and nbclient) go on past a cell's error. */
export const RAISES_EXCEPTION = 'raises-exception';

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

/**
 * Keep the failed agent `cell` that an action goes below rather than
 * replace: cut it to `trimTo` (the statements that ran before its error;
 * its error outputs go, its other outputs stay; `codeHash` is the cut's
 * hash), or, with `trimTo` '', keep it whole and tag it, so that *Run All*
 * goes on past it. Whether anything changed.
 */
export function keepFailed(
  cell: ICodeCellModel,
  trimTo: string,
  codeHash: string
): boolean {
  const mark = provenanceOf(cell);
  if (!mark) {
    return false;
  }
  if (trimTo) {
    let changed = cell.sharedModel.getSource() !== trimTo;
    replaceSource(cell.sharedModel, trimTo);
    const outputs = cell.outputs.toJSON();
    const rest = outputs.filter(o => o.output_type !== 'error');
    if (rest.length !== outputs.length) {
      cell.outputs.clear();
      cell.outputs.fromJSON(rest);
      changed = true;
    }
    return (
      setMark(cell, { ...mark, code_hash: codeHash, kept: 'trimmed' }) ||
      changed
    );
  }
  const tags = tagsOf(cell);
  const tagged = !tags.includes(RAISES_EXCEPTION);
  if (tagged) {
    cell.setMetadata('tags', [...tags, RAISES_EXCEPTION]);
  }
  return setMark(cell, { ...mark, kept: 'failed' }) || tagged;
}

/**
 * The code of a cell kept whole (`kept: 'failed'`) is being replaced: the
 * tag it was given goes (the new code may pass). Whether anything changed.
 */
export function unmarkKept(cell: ICodeCellModel): boolean {
  const tags = tagsOf(cell);
  if (
    provenanceOf(cell)?.kept !== 'failed' ||
    !tags.includes(RAISES_EXCEPTION)
  ) {
    return false;
  }
  const rest = tags.filter(tag => tag !== RAISES_EXCEPTION);
  if (rest.length) {
    cell.setMetadata('tags', rest);
  } else {
    cell.deleteMetadata('tags');
  }
  return true;
}

function provenanceOf(cell: ICellModel): ICellProvenance | null {
  const mark = cell.getMetadata(CELL_METADATA_KEY);
  return mark && typeof mark === 'object' ? (mark as ICellProvenance) : null;
}

function setMark(cell: ICellModel, mark: ICellProvenance): boolean {
  if (JSON.stringify(provenanceOf(cell)) === JSON.stringify(mark)) {
    return false;
  }
  cell.setMetadata(CELL_METADATA_KEY, JSON.parse(JSON.stringify(mark)));
  return true;
}

function tagsOf(cell: ICellModel): string[] {
  const tags = cell.getMetadata('tags');
  return Array.isArray(tags) ? (tags as string[]) : [];
}
