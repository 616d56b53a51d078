/**
 * Real-time collaboration: the server writes the agent's operations into
 * the notebook's shared document, and this page receives the cells through
 * the room, as every collaborator's page does. Applying the operations here
 * too would insert each cell once per page, so the page never does. The
 * server still says which operations it wrote (`ops` with `shared`), so
 * that the page can do what it does for a cell it applies: show a new
 * explanation rendered, scroll to a cell that starts running, and count the
 * agent's cells as seen (not as the user's changes).
 */
import { Cell, ICellModel, MarkdownCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { DocumentOp } from '../wire';

/** How long a cell the server wrote may take to arrive through the room. */
const ARRIVAL_TIMEOUT = 15_000;

/** The cell an operation wrote, and how to tell that it has arrived. */
function target(op: DocumentOp): {
  id: string;
  arrived: (cell: ICellModel) => boolean;
} | null {
  switch (op.op) {
    case 'insert':
      return { id: String(op.cell.id), arrived: () => true };
    case 'narrate':
      return { id: String(op.cell.id), arrived: () => true };
    case 'running':
      return { id: op.cell_id, arrived: () => true };
    case 'outputs':
      return {
        id: op.cell_id,
        // Set in one transaction with the outputs (the page may merge
        // consecutive streams, so their number can differ).
        arrived: cell => (cell as any).executionCount === op.execution_count
      };
    case 'source':
    case 'provenance':
    case 'keep':
    case 'unmark':
      return { id: op.cell_id, arrived: () => true };
    default:
      return null;
  }
}

function findCell(panel: NotebookPanel, id: string): Cell | null {
  return panel.content.widgets.find(cell => cell.model.id === id) ?? null;
}

/**
 * Resolves to the cell `id` of `panel` once `arrived` holds for it (the
 * room's update came), or null after a while.
 */
function whenArrived(
  panel: NotebookPanel,
  id: string,
  arrived: (cell: ICellModel) => boolean
): Promise<Cell | null> {
  const now = findCell(panel, id);
  if (now && arrived(now.model)) {
    return Promise.resolve(now);
  }
  const model = panel.content.model;
  if (!model) {
    return Promise.resolve(null);
  }
  return new Promise(resolve => {
    const check = (): void => {
      const cell = findCell(panel, id);
      if (cell && arrived(cell.model)) {
        done(cell);
      }
    };
    const done = (cell: Cell | null): void => {
      clearTimeout(timer);
      model.contentChanged.disconnect(check);
      model.sharedModel.changed.disconnect(check);
      resolve(cell);
    };
    const timer = setTimeout(() => done(null), ARRIVAL_TIMEOUT);
    // Any cell's content (its outputs, its count), and the cells themselves.
    model.contentChanged.connect(check);
    model.sharedModel.changed.connect(check);
  });
}

export interface IFollowOptions {
  panel: NotebookPanel;
  ops: readonly DocumentOp[];
  /** A cell the agent wrote or ran, once it is in the page. */
  seen: (cell: Cell, op: DocumentOp) => void;
}

/**
 * Follow the operations the server wrote into the shared notebook: resolves
 * once each has arrived in `panel` (or could not be seen in time).
 */
export async function followShared(options: IFollowOptions): Promise<void> {
  const { panel } = options;
  await Promise.all(
    options.ops.map(async op => {
      const wanted = target(op);
      if (!wanted) {
        return;
      }
      const cell = await whenArrived(panel, wanted.id, wanted.arrived);
      if (!cell || cell.isDisposed) {
        return;
      }
      const written = op.op === 'insert' || op.op === 'narrate';
      if (written && cell instanceof MarkdownCell && !cell.rendered) {
        cell.rendered = true;
      }
      if (op.op === 'running' && panel.isVisible) {
        const index = panel.content.widgets.indexOf(cell);
        void panel.content.scrollToItem(index, 'smart').catch(() => undefined);
      }
      options.seen(cell, op);
    })
  );
}
