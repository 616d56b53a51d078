/**
 * The pending cell of *Ask before running*, in a notebook's model: the
 * `pending` and `remove` operations, with the same rules as
 * `jupyter_codeact/server/document/pending.py`. A cell waits while its
 * provenance carries `pending` (its request, and for a replacement of the
 * cell's code the proposal); `pendingcell.ts` draws its controls.
 */
import { ICellModel } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY } from '../tokens';
import type { IPendingMark } from '../wire';
import { cellProvenance } from './provenance';

/** What waits in `cell`, if anything. */
export function pendingMark(cell: ICellModel): IPendingMark | null {
  const pending = cellProvenance(cell.metadata)?.pending;
  return pending && typeof pending.request_id === 'string' ? pending : null;
}

/** Apply a `pending` operation; whether the cell changed. */
export function setPending(
  cell: ICellModel,
  value: IPendingMark | null
): boolean {
  const mark = cellProvenance(cell.metadata);
  if (!mark) {
    return false; // only an agent cell waits
  }
  const { pending, ...rest } = mark;
  if (value === null) {
    if (!pending) {
      return false;
    }
    cell.setMetadata(CELL_METADATA_KEY, rest as any);
    return true;
  }
  if (JSON.stringify(pending) === JSON.stringify(value)) {
    return false;
  }
  cell.setMetadata(CELL_METADATA_KEY, { ...rest, pending: value } as any);
  return true;
}

/**
 * Apply a `remove` operation: the cell at `index` goes, only while it is
 * still the pending cell of `requestId`.
 */
export function removePending(
  panel: NotebookPanel,
  index: number,
  requestId: string
): boolean {
  const model = panel.content.model;
  if (!model || index < 0 || index >= model.cells.length) {
    return false;
  }
  if (pendingMark(model.cells.get(index))?.request_id !== requestId) {
    return false;
  }
  model.sharedModel.deleteCell(index);
  return true;
}
