/**
 * What waits for the user, as this page shows it: the approval the server
 * holds for each chat (Run / Edit / Skip of an action, or Accept / Reject of
 * a change to the user's own cell, also shown as a diff in that cell). The
 * user answers here or in any other page of the chat.
 */
import { CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { hideChange, showChange } from './notebook/proposal';
import { IApproval } from './wire';

/**
 * An action waiting for the user: Run / Edit / Skip of an action
 * (`run`), or Accept / Reject of a change to the user's cell (`change`,
 * with the cell's current source in `before`).
 */
export interface IPendingApproval {
  readonly requestId: string;
  readonly code: string;
  readonly path: string;
  readonly kind: 'run' | 'change';
  readonly before?: string;
  /** The notebook cell concerned (a change to the user's cell). */
  readonly cellId?: string;
  /** The model's id of the cell whose code the action replaces. */
  readonly replaces?: string;
}

/**
 * The user's answer to an approval: run (possibly edited code) or skip.
 */
export type ApprovalDecision = { run: true; code: string } | { run: false };

interface IHeldApproval {
  pending: IPendingApproval;
  chatId: string;
  answer: (decision: ApprovalDecision) => void;
}

export class Approvals {
  /**
   * `panel(path)`: the notebook at `path` in this page, once loaded.
   */
  constructor(
    private _panel: (path: string) => NotebookPanel | null,
    private _tracker: INotebookTracker
  ) {}

  /** Emitted when an approval is added or answered. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get(requestId: string): IPendingApproval | undefined {
    return this._held.get(requestId)?.pending;
  }

  /** The pending changes to the user's cells, newest last. */
  changes(): IPendingApproval[] {
    return [...this._held.values()]
      .map(held => held.pending)
      .filter(pending => pending.kind === 'change');
  }

  /**
   * What waits in chat `chatId` now (the server says; null: nothing);
   * `answer` sends the user's decision to the server.
   */
  set(
    chatId: string,
    approval: IApproval | null,
    answer: (decision: ApprovalDecision) => void
  ): void {
    for (const [requestId, held] of this._held) {
      if (held.chatId === chatId && requestId !== approval?.request_id) {
        this._held.delete(requestId);
        this._hideChange(held.pending, false);
      }
    }
    if (approval && !this._held.has(approval.request_id)) {
      const pending: IPendingApproval = {
        requestId: approval.request_id,
        code: approval.code,
        path: approval.path,
        kind: approval.kind,
        before: approval.before,
        cellId: approval.cell_id,
        replaces: approval.replaces
      };
      this._held.set(approval.request_id, { pending, chatId, answer });
      if (pending.kind === 'change') {
        void this._showChange(pending);
      }
    }
    this._changed.emit(undefined);
  }

  /** The user answered (here, or in the cell's diff). */
  decide(requestId: string, decision: ApprovalDecision): void {
    const held = this._held.get(requestId);
    if (!held) {
      return;
    }
    this._held.delete(requestId);
    this._hideChange(held.pending, decision.run);
    held.answer(decision);
    this._changed.emit(undefined);
  }

  dispose(): void {
    this._held.clear();
    Signal.clearData(this);
  }

  /**
   * Show a change to the user's cell as a diff in the cell, once the
   * notebook is open; the user may decide there.
   */
  private async _showChange(pending: IPendingApproval): Promise<void> {
    const panel = this._tracker.find(
      widget => widget.context.path === pending.path
    );
    if (!panel) {
      return;
    }
    await panel.context.ready;
    const cell = panel.content.widgets.find(
      widget => widget.model.id === pending.cellId
    );
    if (!(cell instanceof CodeCell) || !this._held.has(pending.requestId)) {
      return;
    }
    const accepted = await showChange({ panel, cell, after: pending.code });
    if (this._held.has(pending.requestId)) {
      this.decide(
        pending.requestId,
        accepted ? { run: true, code: pending.code } : { run: false }
      );
    }
  }

  private _hideChange(pending: IPendingApproval, accepted: boolean): void {
    if (pending.kind !== 'change') {
      return;
    }
    const cell = this._panel(pending.path)?.content.widgets.find(
      widget => widget.model.id === pending.cellId
    );
    if (cell) {
      hideChange(cell, accepted);
    }
  }

  private _held = new Map<string, IHeldApproval>();
  private _changed = new Signal<this, void>(this);
}
