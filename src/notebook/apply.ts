/**
 * Apply the server's document operations to a notebook's model: the
 * agent's cells, their sources, provenance and outputs, with the same rules
 * as `jupyter_codeact/server/document/ops.py` (the server applies them to
 * the file with those when no page has the notebook open).
 *
 * Every operation names its cell by id and carries the state it sets:
 * applied twice, or to a notebook that already holds it, it changes
 * nothing. Outputs stream into the cell as they arrive, through the cell's
 * output model, as for a cell the user runs. After each batch the notebook's
 * metadata records the last operation applied per chat, so that a page
 * loaded from a save of this copy is sent exactly what it lacks.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { ICellModel, ICodeCellModel, MarkdownCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY } from '../tokens';
import { DocumentOp } from '../wire';
import { ApplierState, INotebookRecord, joined } from './applied';
import { keepFailed, replaceSource, unmarkKept } from './edit';
import { removePending, setPending } from './pending';
import { cellProvenance, sourceHash } from './provenance';
import { applyUndo } from './undo';

export { ApplierState, appliedMarks, type INotebookRecord } from './applied';

/** Operations sent as they happen, never kept (the server's `LIVE_OPS`). */
const LIVE = new Set<DocumentOp['op']>([
  'stream',
  'output',
  'clear',
  'running'
]);

export interface IApplyOptions {
  panel: NotebookPanel;
  chatId: string;
  ops: readonly DocumentOp[];
  state: ApplierState;
  /** Render the agent's outputs untrusted (sanitized, no script run). */
  untrusted: boolean;
}

/**
 * Apply `ops` of chat `chatId`; returns the ids of the cells they changed.
 */
export function applyOps(options: IApplyOptions): Set<string> {
  const { panel, chatId, ops } = options;
  const model = panel.content.model;
  const touched = new Set<string>();
  if (!model || !ops.length) {
    return touched;
  }
  const cells = new CellFinder(panel);
  for (const op of ops) {
    if (applyOne(op, cells, options)) {
      touched.add(
        op.op === 'insert'
          ? String(op.cell.id)
          : op.op === 'undo'
            ? op.turn_id
            : op.cell_id
      );
    }
  }
  const last = Math.max(...ops.map(op => op.seq));
  if (
    !options.state.record(
      chatId,
      ops.some(op => !LIVE.has(op.op))
    )
  ) {
    return touched;
  }
  const record = (model.getMetadata(CELL_METADATA_KEY) ??
    {}) as INotebookRecord;
  if ((record.applied ?? {})[chatId] !== last) {
    model.setMetadata(CELL_METADATA_KEY, {
      ...record,
      applied: { ...(record.applied ?? {}), [chatId]: last }
    });
  }
  return touched;
}

/** Finds cells by id, and the chat's last cell, in the notebook's model. */
class CellFinder {
  constructor(readonly panel: NotebookPanel) {}

  get cells(): ICellModel[] {
    const list = this.panel.content.model!.cells;
    const found: ICellModel[] = [];
    for (let index = 0; index < list.length; index++) {
      found.push(list.get(index));
    }
    return found;
  }

  index(cellId: string): number {
    if (!cellId) {
      return -1;
    }
    const list = this.panel.content.model!.cells;
    for (let index = 0; index < list.length; index++) {
      if (list.get(index).id === cellId) {
        return index;
      }
    }
    return -1;
  }

  get(cellId: string): ICellModel | null {
    const index = this.index(cellId);
    return index < 0 ? null : this.panel.content.model!.cells.get(index);
  }

  lastOfChat(chatId: string): number {
    const cells = this.cells;
    for (let index = cells.length - 1; index >= 0; index--) {
      if (cellProvenance(cells[index].metadata)?.chat_id === chatId) {
        return index;
      }
    }
    return -1;
  }
}

function codeModel(cell: ICellModel | null): ICodeCellModel | null {
  return cell && cell.type === 'code' ? (cell as ICodeCellModel) : null;
}

function applyOne(
  op: DocumentOp,
  cells: CellFinder,
  options: IApplyOptions
): boolean {
  const { panel, chatId, state } = options;
  const shared = panel.content.model!.sharedModel;
  switch (op.op) {
    case 'insert': {
      const id = String(op.cell.id);
      if (cells.index(id) >= 0) {
        return false;
      }
      let below = op.at_end ? shared.cells.length - 1 : cells.index(op.after);
      if (!op.at_end && below < 0) {
        below = cells.lastOfChat(chatId);
      }
      if (!op.at_end && below < 0) {
        below = cells.index(op.selected);
      }
      const index = below < 0 ? shared.cells.length : below + 1;
      shared.insertCell(index, { ...(op.cell as any), id });
      renderMarkdown(panel, id);
      return true;
    }
    case 'narrate':
      return narrate(op.cell_id, op.cell, cells, panel);
    case 'undo':
      return applyUndo(panel, op);
    case 'keep': {
      const cell = codeModel(cells.get(op.cell_id));
      return !!cell && keepFailed(cell, op.trim_to, op.code_hash ?? '');
    }
    case 'unmark': {
      const cell = codeModel(cells.get(op.cell_id));
      return !!cell && unmarkKept(cell);
    }
    case 'pending': {
      const cell = cells.get(op.cell_id);
      return !!cell && setPending(cell, op.value);
    }
    case 'remove':
      return removePending(panel, cells.index(op.cell_id), op.request_id);
    case 'source': {
      const cell = cells.get(op.cell_id);
      if (!cell) {
        return false;
      }
      const current = cell.sharedModel.getSource();
      if (op.if_hash !== undefined && sourceHash(current) !== op.if_hash) {
        return false;
      }
      if (current === op.source) {
        return false;
      }
      // One step of the cell's own undo history (Ctrl+Z brings the old back).
      replaceSource(cell.sharedModel, op.source);
      return true;
    }
    case 'provenance': {
      const cell = cells.get(op.cell_id);
      if (!cell) {
        return false;
      }
      if (op.value === null) {
        cell.deleteMetadata(CELL_METADATA_KEY);
      } else {
        cell.setMetadata(CELL_METADATA_KEY, op.value as any);
      }
      return true;
    }
    case 'running': {
      const cell = codeModel(cells.get(op.cell_id));
      if (!cell) {
        return false;
      }
      // As JupyterLab's own run: cleared, no count, [*] until it ends.
      cell.trusted = !options.untrusted;
      cell.outputs.clear();
      cell.executionCount = null;
      cell.executionState = 'running';
      state.reset(op.cell_id);
      scrollTo(panel, op.cell_id);
      return true;
    }
    case 'clear': {
      const cell = codeModel(cells.get(op.cell_id));
      if (!cell) {
        return false;
      }
      cell.outputs.clear();
      state.reset(op.cell_id);
      return true;
    }
    case 'outputs': {
      const cell = codeModel(cells.get(op.cell_id));
      if (!cell) {
        return false;
      }
      cell.trusted = !options.untrusted;
      cell.outputs.clear();
      for (const output of op.outputs) {
        cell.outputs.add(output);
      }
      cell.executionCount = op.execution_count;
      cell.executionState = op.running ? 'running' : 'idle';
      state.reset(op.cell_id, op.outputs);
      return true;
    }
    case 'output': {
      const cell = codeModel(cells.get(op.cell_id));
      if (!cell || op.index > cell.outputs.length) {
        return false; // a gap: the run's last `outputs` settles it
      }
      cell.trusted = !options.untrusted;
      if (op.index < cell.outputs.length) {
        cell.outputs.set(op.index, op.output);
      } else {
        cell.outputs.add(op.output);
      }
      if (op.output.output_type === 'stream') {
        state.received(op.cell_id).delete(op.index);
      }
      return true;
    }
    case 'stream': {
      const cell = codeModel(cells.get(op.cell_id));
      if (!cell) {
        return false;
      }
      const received = state.received(op.cell_id);
      const known = received.get(op.index) ?? 0;
      const fresh = op.index === cell.outputs.length && op.offset === 0;
      const next = op.index === cell.outputs.length - 1 && known === op.offset;
      if (!fresh && !next) {
        return false; // already there, or a gap
      }
      cell.trusted = !options.untrusted;
      // Consecutive writes to one stream merge into one output (the model
      // does it, and handles `\r` and `\b` as the notebook always does).
      cell.outputs.add({
        output_type: 'stream',
        name: op.name,
        text: op.text
      } as nbformat.IStream);
      received.set(op.index, op.offset + op.text.length);
      return true;
    }
    default:
      return false; // an operation of a newer server
  }
}

function narrate(
  codeId: string,
  explanation: nbformat.ICell,
  cells: CellFinder,
  panel: NotebookPanel
): boolean {
  const shared = panel.content.model!.sharedModel;
  const index = cells.index(codeId);
  if (index < 0) {
    return false;
  }
  const all = cells.cells;
  const code = cellProvenance(all[index].metadata);
  const above = index > 0 ? all[index - 1] : null;
  const previous = above ? cellProvenance(above.metadata) : null;
  const source = joined(explanation.source);
  const mark = (explanation.metadata ?? {})[CELL_METADATA_KEY];
  if (
    above &&
    previous?.role === 'narration' &&
    previous.chat_id === code?.chat_id &&
    previous.cell === code?.cell
  ) {
    const current = above.sharedModel.getSource();
    if (previous.code_hash && sourceHash(current) !== previous.code_hash) {
      return false; // the user rewrote the explanation: it is theirs
    }
    replaceSource(above.sharedModel, source);
    above.setMetadata(CELL_METADATA_KEY, mark as any);
    renderMarkdown(panel, above.id);
    return true;
  }
  const id = String(explanation.id);
  if (cells.index(id) >= 0) {
    return false;
  }
  shared.insertCell(index, { ...(explanation as any), id });
  renderMarkdown(panel, id);
  return true;
}

/** A markdown cell the agent wrote shows rendered. */
function renderMarkdown(panel: NotebookPanel, cellId: string): void {
  const widget = panel.content.widgets.find(cell => cell.model.id === cellId);
  if (widget instanceof MarkdownCell) {
    widget.rendered = true;
  }
}

/**
 * Show a cell that starts running. Scroll only: selecting it would take the
 * focus away from wherever the user is typing.
 */
function scrollTo(panel: NotebookPanel, cellId: string): void {
  if (!panel.isVisible) {
    return;
  }
  const index = panel.content.widgets.findIndex(
    cell => cell.model.id === cellId
  );
  if (index >= 0) {
    void panel.content.scrollToItem(index, 'smart').catch(() => undefined);
  }
}
