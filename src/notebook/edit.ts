/**
 * Edits of cells through the shared model, so that they take part in
 * collaboration and in each cell's own undo history.
 */
import { Cell, CodeCell, ICellModel, MarkdownCell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY, ICellProvenance } from '../tokens';
import { minimalEdit } from './diff';
import { sourceHash } from './provenance';

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
 * Change the agent's provenance of `cell` (merged into what is there; a
 * field given as undefined is removed).
 */
export function updateProvenance(
  cell: Cell,
  changes: Partial<ICellProvenance>
): void {
  const merged: Record<string, unknown> = {
    ...(cell.model.getMetadata(CELL_METADATA_KEY) ?? {}),
    ...changes
  };
  for (const key of Object.keys(merged)) {
    if (merged[key] === undefined) {
      delete merged[key];
    }
  }
  cell.model.setMetadata(CELL_METADATA_KEY, merged);
}

function cellProvenanceOf(cell: Cell): string | undefined {
  const current = cell.model.getMetadata(CELL_METADATA_KEY) as
    ICellProvenance | undefined;
  return current?.cell;
}

/**
 * Put the agent's `code` into the notebook: in place of the code of agent
 * cell `at` (its model id for the model is kept), or as a new cell at
 * index `at`; the provenance goes with it. Returns the cell.
 */
export function putCode(options: {
  notebook: Notebook;
  at: CodeCell | number;
  code: string;
  provenance: ICellProvenance;
}): CodeCell | null {
  const { notebook, at, code, provenance } = options;
  if (at instanceof CodeCell) {
    replaceSource(at.model.sharedModel, code);
    if (at.model.getMetadata(CELL_METADATA_KEY)?.kept === 'failed') {
      untag(at, RAISES_EXCEPTION); // the tag this code put there: the new code may pass
    }
    // The cell keeps its id; its count is recorded again once it has run.
    updateProvenance(at, {
      ...provenance,
      cell: cellProvenanceOf(at),
      execution_count: undefined,
      kept: undefined
    });
    return at;
  }
  const metadata = JSON.parse(JSON.stringify(provenance));
  const shared = notebook.model!.sharedModel.insertCell(at, {
    cell_type: 'code',
    source: code,
    metadata: { [CELL_METADATA_KEY]: metadata }
  });
  const cell = notebook.widgets.find(w => w.model.id === shared.getId());
  return cell instanceof CodeCell ? cell : null;
}

/**
 * Keep the failed agent `cell` that an action goes below rather than
 * replace: cut it to `trimTo` (the statements that ran before its error;
 * its error output goes, its other outputs stay), or, with `trimTo` '',
 * keep it whole and mark it as failed, so that *Run All* goes on past it.
 */
export function keepFailed(cell: CodeCell, trimTo: string): void {
  if (trimTo) {
    replaceSource(cell.model.sharedModel, trimTo);
    const outputs = cell.model.outputs;
    const rest = outputs.toJSON().filter(o => o.output_type !== 'error');
    if (rest.length !== outputs.length) {
      outputs.clear();
      outputs.fromJSON(rest);
    }
    updateProvenance(cell, { code_hash: sourceHash(trimTo), kept: 'trimmed' });
    return;
  }
  const tags = cell.model.getMetadata('tags');
  const list = Array.isArray(tags) ? (tags as string[]) : [];
  if (!list.includes(RAISES_EXCEPTION)) {
    cell.model.setMetadata('tags', [...list, RAISES_EXCEPTION]);
  }
  updateProvenance(cell, { kept: 'failed' });
}

function untag(cell: Cell, tag: string): void {
  const tags = cell.model.getMetadata('tags');
  if (Array.isArray(tags) && tags.includes(tag)) {
    const rest = tags.filter(t => t !== tag);
    if (rest.length) {
      cell.model.setMetadata('tags', rest);
    } else {
      cell.model.deleteMetadata('tags');
    }
  }
}
