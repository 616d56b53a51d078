/**
 * The page's notebook executor: the one module (with `notebook/`) that
 * touches notebooks. It no longer runs anything: the server runs the
 * agent's actions on the notebook's own kernel. It
 *
 * - applies the server's document operations to the notebooks open in this
 *   page (`notebook/apply.ts`), and answers its questions about them
 *   (`notebook/inspect.ts`);
 * - reads a notebook for the chat's context;
 * - asks the user: the approvals the server holds (Run / Edit / Skip, and a
 *   change to the user's own cell shown as a diff in that cell), answered
 *   here or in any other page of the chat.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import { IContextLimits } from './context';
import { ApplierState, appliedMarks, applyOps } from './notebook/apply';
import { lookAt, Look } from './notebook/changes';
import { adoptDiskWrites } from './notebook/disk';
import { inspectCell } from './notebook/inspect';
import { insertAnswer } from './notebook/narration';
import { hideChange, showChange } from './notebook/proposal';
import { cellInfo, readContext } from './notebook/read';
import { ICodeActSettings } from './tokens';
import {
  DocumentOp,
  IApproval,
  IDiskWrite,
  IFacts,
  IInspectMessage
} from './wire';

export { cellProvenance } from './notebook/provenance';
export { insertionIndex } from './notebook/placement';
export type { IPlacement } from './notebook/placement';

/** The first letter of the ids this page gives the user's cells. */
export const USER_CELL_PREFIX = 'u';

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

export interface INotebookExecutorOptions {
  tracker: INotebookTracker;
  docManager: IDocumentManager;
  /** The current user settings. */
  settings: () => ICodeActSettings;
  /** The expression that summarises the kernel's variables (from the server). */
  variablesExpression: () => Promise<string | null>;
  /** Whether to render the agent's cells' outputs untrusted (sanitized). */
  untrustedOutputs?: () => boolean;
  /** The contents service (to take a file the server wrote as the page's). */
  contents?: Contents.IManager;
}

interface IHeldApproval {
  pending: IPendingApproval;
  chatId: string;
  answer: (decision: ApprovalDecision) => void;
}

export class NotebookExecutor {
  constructor(options: INotebookExecutorOptions) {
    this._options = options;
  }

  // -- documents ------------------------------------------------------------

  /**
   * The notebook at `path` in this page, once loaded; null if it is not open.
   */
  panel(path: string): NotebookPanel | null {
    const panel = this._options.tracker.find(
      widget => widget.context.path === path
    );
    return panel && panel.context.isReady && panel.content.model ? panel : null;
  }

  /**
   * What the copy of `path` in this page holds (the last operation applied,
   * per chat); null when the notebook is not open here.
   */
  applied(path: string): Record<string, number> | null {
    const panel = this.panel(path);
    return panel ? appliedMarks(panel) : null;
  }

  /**
   * Apply document operations of chat `chatId` to the notebook at `path`;
   * `disk`: the server's writes of its file while this page was away.
   * Resolves to whether the notebook is open here.
   */
  async apply(
    path: string,
    chatId: string,
    ops: readonly DocumentOp[],
    disk?: readonly IDiskWrite[]
  ): Promise<boolean> {
    const panel = this.panel(path);
    if (!panel) {
      return false;
    }
    const touched = applyOps({
      panel,
      chatId,
      ops,
      state: this._state(panel),
      untrusted: this._options.untrustedOutputs?.() ?? false
    });
    for (const cell of panel.content.widgets) {
      if (touched.has(cell.model.id)) {
        this._seen(chatId, cell);
      }
    }
    if (disk?.length && this._options.contents) {
      await adoptDiskWrites(
        panel,
        disk,
        appliedMarks(panel),
        this._options.contents
      );
    }
    return true;
  }

  /**
   * The server's question about the notebook at `path`; null when the
   * notebook is not open here.
   */
  inspect(question: IInspectMessage): IFacts | null {
    const panel = this.panel(question.path);
    return panel ? inspectCell(panel, question) : null;
  }

  // -- approvals ------------------------------------------------------------

  /**
   * Emitted when an approval is added or answered.
   */
  get approvalsChanged(): ISignal<this, void> {
    return this._approvalsChanged;
  }

  /**
   * The action waiting for approval under `requestId`, if any.
   */
  pendingApproval(requestId: string): IPendingApproval | undefined {
    return this._approvals.get(requestId)?.pending;
  }

  /**
   * The pending changes to the user's cells (for the accept/reject
   * commands), newest last.
   */
  pendingChanges(): IPendingApproval[] {
    return [...this._approvals.values()]
      .map(approval => approval.pending)
      .filter(pending => pending.kind === 'change');
  }

  /**
   * What waits for the user in chat `chatId` now (the server says; null:
   * nothing). `answer` sends the user's decision to the server.
   */
  setApproval(
    chatId: string,
    approval: IApproval | null,
    answer: (decision: ApprovalDecision) => void
  ): void {
    for (const [requestId, held] of this._approvals) {
      if (held.chatId === chatId && requestId !== approval?.request_id) {
        this._approvals.delete(requestId);
        this._hideChange(held.pending, false);
      }
    }
    if (approval && !this._approvals.has(approval.request_id)) {
      const pending: IPendingApproval = {
        requestId: approval.request_id,
        code: approval.code,
        path: approval.path,
        kind: approval.kind,
        before: approval.before,
        cellId: approval.cell_id,
        replaces: approval.replaces
      };
      this._approvals.set(approval.request_id, { pending, chatId, answer });
      if (pending.kind === 'change') {
        void this._showChange(pending);
      }
    }
    this._approvalsChanged.emit(undefined);
  }

  /**
   * Answer a pending approval (here, or in the cell's diff).
   */
  decide(requestId: string, decision: ApprovalDecision): void {
    const held = this._approvals.get(requestId);
    if (!held) {
      return;
    }
    this._approvals.delete(requestId);
    this._hideChange(held.pending, decision.run);
    held.answer(decision);
    this._approvalsChanged.emit(undefined);
  }

  /**
   * Allow chat `chatId` to propose a change to the user's cell `cellId`
   * (Fix the Error); returns the id the model uses for it.
   */
  grant(chatId: string, cellId: string): string {
    const grants = this._grants.get(chatId) ?? new Map<string, string>();
    this._grants.set(chatId, grants);
    for (const [ref, id] of grants) {
      if (id === cellId) {
        return ref;
      }
    }
    const ref = `${USER_CELL_PREFIX}${Math.random().toString(16).slice(2, 6)}`;
    grants.set(ref, cellId);
    return ref;
  }

  // -- context --------------------------------------------------------------

  /**
   * The context of notebook `panel` for a message of chat `chatId`,
   * bounded: the notebook as it is now, the chat's own cells, and what the
   * user changed since the chat last looked.
   */
  async context(
    panel: NotebookPanel,
    chatId: string | null = null,
    limits: Partial<IContextLimits> = {}
  ): Promise<string> {
    const { text, look } = await readContext({
      panel,
      chatId,
      before: chatId ? (this._looks.get(chatId) ?? null) : null,
      variablesExpression: this._options.variablesExpression,
      limits: { cells: this._options.settings().contextCells, ...limits }
    });
    if (chatId) {
      this._looks.set(chatId, look);
    }
    return text;
  }

  /**
   * Show cell `cellId` of notebook `path`: open the notebook, select the
   * cell and scroll to it. Resolves to whether the cell was found.
   */
  async reveal(path: string, cellId: string): Promise<boolean> {
    const panel = this._options.docManager.openOrReveal(path) as
      NotebookPanel | undefined;
    if (!panel || !(panel instanceof NotebookPanel)) {
      return false;
    }
    await panel.context.ready;
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
    if (index < 0) {
      return false;
    }
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    await notebook.scrollToCell(notebook.widgets[index], 'center');
    return true;
  }

  /**
   * Insert the final answer `text` of chat `chatId` as a markdown cell of
   * notebook `path`, below the chat's last cell (the user asked: a page
   * edit like any of theirs). Resolves to the cell id.
   */
  async insertAnswer(
    path: string,
    chatId: string,
    text: string
  ): Promise<string | null> {
    const panel = this.panel(path);
    if (!panel) {
      return null;
    }
    const cell = insertAnswer({
      notebook: panel.content,
      chatId,
      text,
      lastCellId: null,
      position: this._options.settings().insertPosition
    });
    if (!cell) {
      return null;
    }
    this._seen(chatId, cell);
    return cell.model.id;
  }

  /**
   * Forget everything (the page is going away).
   */
  dispose(): void {
    this._approvals.clear();
    Signal.clearData(this);
  }

  private _state(panel: NotebookPanel): ApplierState {
    let state = this._states.get(panel);
    if (!state) {
      state = new ApplierState();
      this._states.set(panel, state);
    }
    return state;
  }

  /**
   * Show a change to the user's cell as a diff in the cell, once the
   * notebook is open; the user may decide there.
   */
  private async _showChange(pending: IPendingApproval): Promise<void> {
    const panel = this._options.tracker.find(
      widget => widget.context.path === pending.path
    );
    if (!panel) {
      return;
    }
    await panel.context.ready;
    const cell = panel.content.widgets.find(
      widget => widget.model.id === pending.cellId
    );
    if (
      !(cell instanceof CodeCell) ||
      !this._approvals.has(pending.requestId)
    ) {
      return;
    }
    const accepted = await showChange({ panel, cell, after: pending.code });
    if (this._approvals.has(pending.requestId)) {
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
    const panel = this.panel(pending.path);
    const cell = panel?.content.widgets.find(
      widget => widget.model.id === pending.cellId
    );
    if (cell) {
      hideChange(cell, accepted);
    }
  }

  /** The chat has seen `cell` as it is now (the agent wrote or ran it). */
  private _seen(chatId: string, cell: Cell): void {
    const look = this._looks.get(chatId);
    if (look && !cell.isDisposed) {
      const info = cellInfo(cell);
      lookAt(look, { ...info, outputs: [] });
    }
  }

  private _options: INotebookExecutorOptions;
  private _approvals = new Map<string, IHeldApproval>();
  private _grants = new Map<string, Map<string, string>>();
  private _looks = new Map<string, Look>();
  private _states = new WeakMap<NotebookPanel, ApplierState>();
  private _approvalsChanged = new Signal<this, void>(this);
}
