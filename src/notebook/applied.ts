/**
 * What a page keeps of the operations it applied: the last one per chat,
 * recorded in the notebook's metadata (so that a page loaded from a save
 * of this copy is sent exactly what it lacks), and how much of each stream
 * output arrived (`apply.ts` applies the operations).
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { NotebookPanel } from '@jupyterlab/notebook';

import { CELL_METADATA_KEY } from '../tokens';

/** The notebook metadata record: `{applied: {chatId: seq}}`. */
export interface INotebookRecord {
  applied?: Record<string, number>;
}

/**
 * The last operation applied to the notebook of `panel`, per chat.
 */
export function appliedMarks(panel: NotebookPanel): Record<string, number> {
  const record = panel.content.model?.getMetadata(CELL_METADATA_KEY) as
    INotebookRecord | undefined;
  const marks: Record<string, number> = {};
  for (const [chat, seq] of Object.entries(record?.applied ?? {})) {
    if (typeof seq === 'number' && Number.isInteger(seq)) {
      marks[chat] = seq;
    }
  }
  return marks;
}

/**
 * What a page keeps while it applies operations: how many characters of
 * each stream output it received (an append goes at its offset only).
 */
export class ApplierState {
  received(cellId: string): Map<number, number> {
    let found = this._received.get(cellId);
    if (!found) {
      found = new Map();
      this._received.set(cellId, found);
    }
    return found;
  }

  /**
   * Whether to record `seq` as the last operation of `chatId` the notebook
   * holds: always after a lasting operation (a cell, a source, a run's
   * outputs), at most once a second after live ones only (their effect is
   * settled by the run's final outputs, so a lagging record costs nothing).
   */
  record(chatId: string, lasting: boolean, now = Date.now()): boolean {
    const last = this._recorded.get(chatId);
    if (!lasting && last !== undefined && now - last < 1000) {
      return false;
    }
    this._recorded.set(chatId, now);
    return true;
  }

  reset(cellId: string, outputs: readonly nbformat.IOutput[] = []): void {
    const received = this.received(cellId);
    received.clear();
    outputs.forEach((output, index) => {
      if (output.output_type === 'stream') {
        received.set(index, joined(output.text).length);
      }
    });
  }

  private _received = new Map<string, Map<number, number>>();
  private _recorded = new Map<string, number>();
}

/** A multiline string of nbformat JSON, joined. */
export function joined(value: unknown): string {
  return Array.isArray(value) ? value.join('') : String(value ?? '');
}
