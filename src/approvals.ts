/**
 * What waits for the user, as this page shows it: the approval the server
 * holds for each chat (Run / Edit / Skip of an action, also on its pending
 * cell in the notebook, or Accept / Reject of a change to the user's own
 * cell, also shown as a diff in that cell). The user answers here or in any
 * other page of the chat.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import {
  attachPending,
  editPending,
  PendingCellWidget
} from './notebook/pendingcell';
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

  /** The action that waits in the notebook as cell `cellId`, if any. */
  inCell(cellId: string): IPendingApproval | undefined {
    return [...this._held.values()]
      .map(held => held.pending)
      .find(pending => pending.kind === 'run' && pending.cellId === cellId);
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
        this._hidePending(requestId);
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
      } else if (pending.cellId) {
        this._returnTo.set(pending.requestId, document.activeElement);
        void this._showPending(pending);
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
    this._hidePending(requestId);
    held.answer(decision);
    this._changed.emit(undefined);
  }

  /**
   * Edit the pending cell of `requestId` in the notebook's editor (a
   * replacement: with the proposal put into it).
   */
  async edit(requestId: string): Promise<void> {
    const held = this._held.get(requestId);
    const found = held ? this._pendingCell(held.pending) : null;
    if (!held || !found) {
      return;
    }
    const active = document.activeElement;
    if (active && !found.cell.node.contains(active)) {
      this._returnTo.set(requestId, active);
    }
    const { before, code } = held.pending;
    const proposal = before !== undefined ? { before, after: code } : null;
    this._bars.get(requestId)?.hideDiff();
    await editPending(found.panel, found.cell, proposal);
  }

  dispose(): void {
    this._held.clear();
    for (const bar of this._bars.values()) {
      bar.dispose();
    }
    this._bars.clear();
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

  /**
   * Put the controls on the pending cell once it is in this page's copy of
   * the notebook (its operation, or the shared room, may bring it later).
   */
  private async _showPending(pending: IPendingApproval): Promise<void> {
    const panel = this._tracker.find(
      widget => widget.context.path === pending.path
    );
    if (!panel) {
      this._watchOpened();
      return;
    }
    if (this._bars.has(pending.requestId)) {
      return;
    }
    await panel.context.ready;
    const model = panel.content.model;
    if (!this._pendingCell(pending) && model) {
      const arrived = new PromiseDelegate<void>();
      const check = (): void => {
        if (this._pendingCell(pending) || !this._held.has(pending.requestId)) {
          arrived.resolve();
        }
      };
      model.cells.changed.connect(check);
      this._changed.connect(check);
      await arrived.promise;
      model.cells.changed.disconnect(check);
      this._changed.disconnect(check);
    }
    const found = this._pendingCell(pending);
    if (!found || this._bars.has(pending.requestId)) {
      return;
    }
    const { requestId, before, code } = pending;
    const bar = new PendingCellWidget({
      diff: before !== undefined ? { before, after: code } : undefined,
      run: () => this._decideHere(requestId, { run: true, code }),
      edit: () => void this.edit(requestId),
      skip: () => this._decideHere(requestId, { run: false })
    });
    this._bars.set(requestId, bar);
    bar.disposed.connect(() => {
      // With its cell (the notebook closed): shown again when it reopens.
      if (this._bars.get(requestId) === bar) {
        this._bars.delete(requestId);
      }
    });
    await attachPending(found.cell, bar);
  }

  /** A notebook opened (or restored by a reload) after its approval came. */
  private _watchOpened(): void {
    if (this._watching) {
      return;
    }
    this._watching = true;
    this._tracker.widgetAdded.connect((_, panel) => {
      for (const { pending } of this._held.values()) {
        if (pending.kind === 'run' && pending.path === panel.context.path) {
          void this._showPending(pending);
        }
      }
    }, this);
  }

  private _pendingCell(
    pending: IPendingApproval
  ): { panel: NotebookPanel; cell: Cell } | null {
    const panel = this._tracker.find(
      widget => widget.context.path === pending.path
    );
    const cell = panel?.content.widgets.find(
      widget => widget.model.id === pending.cellId
    );
    return panel && cell ? { panel, cell } : null;
  }

  /** Decided on the cell: the keyboard goes back where the user was. */
  private _decideHere(requestId: string, decision: ApprovalDecision): void {
    const back = this._returnTo.get(requestId);
    this.decide(requestId, decision);
    if (back instanceof HTMLElement && back.isConnected) {
      back.focus();
    }
  }

  private _hidePending(requestId: string): void {
    this._bars.get(requestId)?.dispose();
    this._bars.delete(requestId);
    this._returnTo.delete(requestId);
  }

  private _watching = false;
  private _bars = new Map<string, PendingCellWidget>();
  private _returnTo = new Map<string, Element | null>();
  private _held = new Map<string, IHeldApproval>();
  private _changed = new Signal<this, void>(this);
}
