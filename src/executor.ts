/**
 * The notebook executor: the one module (with `notebook/`) that touches
 * notebooks and kernels. It answers the server's `execute` requests by
 * putting the action's code into the notebook (a new cell, in place of an
 * agent cell it replaces, or as a change the user accepts in their own
 * cell), running it through the notebook's own session and collecting
 * the cell's outputs; it also reads the notebook for the chat's context.
 */
import { Cell, CodeCell } from '@jupyterlab/cells';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { PromiseDelegate } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { IContextLimits } from './context';
import { readContext } from './notebook/read';
import {
  keepFailed,
  putCode,
  replaceSource,
  updateProvenance
} from './notebook/edit';
import { Look, lookAt } from './notebook/changes';
import { insertAnswer, narrate } from './notebook/narration';
import { hideChange, showChange } from './notebook/proposal';
import { cellProvenance, sourceHash } from './notebook/provenance';
import { collected, failure, refused, skipped } from './notebook/results';
import { interruptRunning, IRunning, runCell } from './notebook/run';
import { cellInfo, findTarget, USER_CELL_PREFIX } from './notebook/target';
import { IExecutionEnd } from './outputs';
import { ICellProvenance, ICodeActSettings } from './tokens';
import { IExecuteMessage, IExecuteResultMessage, Placement } from './wire';

export { cellProvenance } from './notebook/provenance';
export { insertionIndex } from './notebook/placement';
export type { IPlacement } from './notebook/placement';

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
  /** The notebook cell concerned (a change, or a cell to be replaced). */
  readonly cellId?: string;
  /** The model's id of the cell whose code the action replaces. */
  readonly replaces?: string;
}

/**
 * The user's answer to an approval: run (possibly edited code) or skip.
 */
export type ApprovalDecision = { run: true; code: string } | { run: false };

/**
 * What the caller of `execute` hears about a request as it goes, and what
 * it knows of the action.
 */
export interface IExecuteCallbacks {
  /** The user pressed Run on the request: its cell runs now. */
  onApproved?: () => void;
  /** The model's prose before the action (for a markdown cell above it). */
  narration?: string;
  /**
   * The cell called a tool (an `input_request` of its execution): relay
   * the prompt to the server; resolves with the kernel's reply value.
   */
  onToolCall?: (callId: string, prompt: string) => Promise<string>;
}

export interface INotebookExecutorOptions {
  tracker: INotebookTracker;
  docManager: IDocumentManager;
  /** The current user settings. */
  settings: () => ICodeActSettings;
  /** The expression that summarises the kernel's variables (from the server). */
  variablesExpression: () => Promise<string | null>;
  /** Whether to render the agent's cells' outputs untrusted (sanitized). */
  untrustedOutputs?: () => boolean;
}

const REJECTED_NOTE =
  'The user rejected your change to their cell and kept their own version.';

/**
 * Runs the agent's actions as cells of the user's notebooks. Each request
 * id runs at most once: a repeated request gets the first one's result.
 */
export class NotebookExecutor {
  constructor(options: INotebookExecutorOptions) {
    this._options = options;
  }

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
   * Answer a pending approval.
   */
  decide(requestId: string, decision: ApprovalDecision): void {
    const approval = this._approvals.get(requestId);
    if (approval) {
      this._approvals.delete(requestId);
      approval.decision.resolve(decision);
      this._approvalsChanged.emit(undefined);
    }
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

  /**
   * The result of a finished request, if this page ran it.
   */
  result(requestId: string): IExecuteResultMessage | undefined {
    return this._results.get(requestId);
  }

  /**
   * Run an `execute` request of chat `chatId`; resolves with the answer to
   * send. Never throws: failures are results.
   */
  execute(
    chatId: string,
    request: IExecuteMessage,
    callbacks: IExecuteCallbacks = {}
  ): Promise<IExecuteResultMessage> {
    const known = this._runs.get(request.request_id);
    if (known) {
      return known;
    }
    const run = this._run(chatId, request, callbacks)
      .catch((reason): IExecuteResultMessage =>
        failure(
          request,
          `The notebook executor failed: ${String(reason)}.`,
          'error'
        )
      )
      .then(result => {
        this._results.set(request.request_id, result);
        return result;
      });
    this._runs.set(request.request_id, run);
    return run;
  }

  /**
   * The server asked to stop request `requestId`: interrupt its kernel, or
   * skip it if it is waiting for approval.
   */
  interrupt(requestId: string): void {
    this._interrupted.add(requestId);
    if (this._approvals.has(requestId)) {
      this.decide(requestId, { run: false });
      return;
    }
    const running = this._running.get(requestId);
    if (running) {
      interruptRunning(running);
    }
  }

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
   * notebook `path`, below the chat's last cell. Resolves to the cell id.
   */
  async insertAnswer(
    path: string,
    chatId: string,
    text: string
  ): Promise<string | null> {
    const panel = await this._notebook(path);
    if (!panel) {
      return null;
    }
    const cell = insertAnswer({
      notebook: panel.content,
      chatId,
      text,
      lastCellId: this._lastCell.get(chatId) ?? null,
      position: this._options.settings().insertPosition
    });
    if (!cell) {
      return null;
    }
    this._lastCell.set(chatId, cell.model.id);
    this._seen(chatId, cell);
    return cell.model.id;
  }

  /**
   * Forget everything (the page is going away).
   */
  dispose(): void {
    for (const requestId of [...this._approvals.keys()]) {
      this.decide(requestId, { run: false });
    }
    Signal.clearData(this);
  }

  private async _run(
    chatId: string,
    request: IExecuteMessage,
    callbacks: IExecuteCallbacks
  ): Promise<IExecuteResultMessage> {
    let code = request.code;
    const userCell = (ref: string): string | undefined =>
      this._grants.get(chatId)?.get(ref);
    // A change to the user's cell is approved by its own Accept / Reject.
    const isChange = !!request.replaces && !!userCell(request.replaces);
    if (request.approval === 'ask' && !isChange) {
      const decision = await this._ask(request, {
        kind: 'run',
        replaces: request.replaces || undefined
      });
      if (!decision.run) {
        return skipped(request);
      }
      code = decision.code;
      callbacks.onApproved?.();
    }
    const panel = await this._notebook(request.path);
    if (!panel) {
      return failure(
        request,
        `The notebook ${request.path} cannot be opened; it may have been moved or deleted.`,
        'error',
        code
      );
    }
    const notebook = panel.content;
    // A cell that already carries this request id ran (or is running) it:
    // report that cell rather than running the code a second time.
    const existing = notebook.widgets.find(cell => {
      const provenance = cellProvenance(cell.model.metadata);
      return (
        cell instanceof CodeCell &&
        provenance?.request_id === request.request_id &&
        !provenance.role
      );
    });
    if (existing instanceof CodeCell) {
      return collected(
        request,
        existing,
        {},
        {
          code: existing.model.sharedModel.getSource()
        }
      );
    }
    const settings = this._options.settings();
    // Where it goes is decided now, after any approval: the notebook may
    // have changed while the user was deciding.
    const target = findTarget({
      notebook,
      chatId,
      request,
      lastCellId: this._lastCell.get(chatId) ?? null,
      position: settings.insertPosition,
      userCell
    });
    if (target.kind === 'refuse') {
      return refused(request, target.note);
    }
    if (target.kind === 'propose') {
      const accepted = await this._propose(request, target.cell, panel);
      if (!accepted.run) {
        const stopped = this._interrupted.has(request.request_id);
        return skipped(request, stopped ? '' : REJECTED_NOTE);
      }
      replaceSource(target.cell.model.sharedModel, accepted.code);
      const end = await this._runCell(request, target.cell, panel, callbacks);
      return collected(request, target.cell, end, {
        code: accepted.code,
        placement: 'replaced'
      });
    }
    if (target.kind === 'new' && target.keep) {
      keepFailed(target.keep.cell, target.keep.trimTo);
      this._seen(chatId, target.keep.cell);
    }
    const provenance: ICellProvenance = {
      chat_id: chatId,
      turn: request.turn,
      action_id: request.action_id,
      request_id: request.request_id,
      code_hash: sourceHash(code)
    };
    const cell = putCode({
      notebook,
      at: target.kind === 'replace' ? target.cell : target.index,
      code,
      provenance: { ...provenance, cell: request.cell ?? '' }
    });
    if (!cell) {
      return failure(
        request,
        'The new cell could not be created.',
        'error',
        code
      );
    }
    const placement: Placement =
      target.kind === 'replace' ? 'replaced' : request.replaces ? 'new' : '';
    this._lastCell.set(chatId, cell.model.id);
    if (settings.narrate && callbacks.narration) {
      const explained = narrate(notebook, cell, callbacks.narration);
      if (explained) {
        this._seen(chatId, explained);
      }
    }
    const end = await this._runCell(request, cell, panel, callbacks);
    if (!cell.isDisposed) {
      updateProvenance(cell, { execution_count: cell.model.executionCount });
      this._seen(chatId, cell);
    }
    return collected(request, cell, end, {
      code,
      placement,
      note: target.kind === 'new' ? target.note : ''
    });
  }

  private _ask(
    request: IExecuteMessage,
    details: Omit<IPendingApproval, 'requestId' | 'code' | 'path'>
  ): Promise<ApprovalDecision> {
    const decision = new PromiseDelegate<ApprovalDecision>();
    this._approvals.set(request.request_id, {
      pending: {
        requestId: request.request_id,
        code: request.code,
        path: request.path,
        ...details
      },
      decision
    });
    this._approvalsChanged.emit(undefined);
    return decision.promise;
  }

  /**
   * Show the change to the user's `cell` (in the cell, and in the chat's
   * step); resolves with what the user decided in either place.
   */
  private async _propose(
    request: IExecuteMessage,
    cell: CodeCell,
    panel: NotebookPanel
  ): Promise<ApprovalDecision> {
    const before = cell.model.sharedModel.getSource();
    const decision = this._ask(request, {
      kind: 'change',
      before,
      cellId: cell.model.id
    });
    void showChange({ panel, cell, after: request.code }).then(accepted => {
      this.decide(
        request.request_id,
        accepted ? { run: true, code: request.code } : { run: false }
      );
    });
    const decided = await decision;
    hideChange(cell, decided.run);
    return decided;
  }

  /**
   * The notebook at `path`: an open one, else opened now; ready to run.
   */
  private async _notebook(path: string): Promise<NotebookPanel | null> {
    const { tracker, docManager } = this._options;
    let panel = tracker.find(widget => widget.context.path === path) ?? null;
    if (!panel) {
      const opened = docManager.openOrReveal(path);
      panel = opened instanceof NotebookPanel ? opened : null;
    }
    if (!panel) {
      return null;
    }
    await panel.context.ready;
    await panel.sessionContext.ready;
    return panel.content.model ? panel : null;
  }

  private _runCell(
    request: IExecuteMessage,
    cell: CodeCell,
    panel: NotebookPanel,
    callbacks: IExecuteCallbacks = {}
  ): Promise<IExecutionEnd> {
    return runCell({
      cell,
      panel,
      timeout: request.timeout,
      onStart: running => this._running.set(request.request_id, running),
      onEnd: () => this._running.delete(request.request_id),
      untrusted: this._options.untrustedOutputs?.() ?? false,
      tools: request.tools ?? null,
      onToolCall: callbacks.onToolCall
    });
  }

  /** The chat has seen `cell` as it is now (it wrote or ran it). */
  private _seen(chatId: string, cell: Cell): void {
    const look = this._looks.get(chatId);
    if (look && !cell.isDisposed) {
      const info = cellInfo(cell);
      lookAt(look, { ...info, outputs: [] });
    }
  }

  private _options: INotebookExecutorOptions;
  private _runs = new Map<string, Promise<IExecuteResultMessage>>();
  private _results = new Map<string, IExecuteResultMessage>();
  private _running = new Map<string, IRunning>();
  private _approvals = new Map<
    string,
    { pending: IPendingApproval; decision: PromiseDelegate<ApprovalDecision> }
  >();
  private _lastCell = new Map<string, string>();
  private _grants = new Map<string, Map<string, string>>();
  private _interrupted = new Set<string>();
  private _looks = new Map<string, Look>();
  private _approvalsChanged = new Signal<this, void>(this);
}
