/**
 * The notebook executor: the one module that touches notebooks and
 * kernels. It answers the server's `execute` requests by inserting the
 * action as a code cell of the notebook, running it through the
 * notebook's own session (so outputs render as usual) and collecting the
 * cell's outputs; it also reads the notebook for the chat's context.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { CodeCell } from '@jupyterlab/cells';
import { IDocumentManager } from '@jupyterlab/docmanager';
import type * as nbformat from '@jupyterlab/nbformat';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import {
  DEFAULT_CONTEXT_LIMITS,
  formatContext,
  ICellSnapshot,
  IContextLimits,
  INotebookSnapshot
} from './context';
import { boundOutputs, executionStatus, IExecutionEnd } from './outputs';
import {
  CELL_METADATA_KEY,
  ICellProvenance,
  ICodeActSettings,
  InsertPosition
} from './tokens';
import {
  IExecuteMessage,
  IExecuteResultMessage,
  TOOL_CALL_MARKER,
  TOOLS_METADATA_KEY
} from './wire';

/**
 * Seconds to wait, after interrupting the kernel, for the cell to end
 * before reporting anyway (code that ignores KeyboardInterrupt).
 */
const INTERRUPT_GRACE_MS = 5000;

/**
 * Milliseconds to wait for the kernel's variables before sending the
 * context without them (the kernel may be busy with a long cell).
 */
const VARIABLES_TIMEOUT_MS = 2000;

/**
 * Milliseconds to wait for the tools' setup before running the cell anyway
 * (its tool calls then fail with a NameError the model can read).
 */
const TOOLS_SETUP_TIMEOUT_MS = 30000;

/**
 * The `input_reply` value that ends a call nobody can answer: the kernel
 * reads end-of-file, and the tool raises a plain error.
 */
const END_OF_FILE = '\x04';

/**
 * Where a new agent cell goes, from a plain description of the notebook.
 */
export interface IPlacement {
  /** Each cell's id, and the chat that wrote it (null: not the agent). */
  cells: readonly { id: string; chatId: string | null }[];
  activeIndex: number | null;
  /** The last cell this chat inserted in this page, if known. */
  lastCellId: string | null;
  chatId: string;
  position: InsertPosition;
}

/**
 * The index at which to insert the next cell: at the end, or below the
 * last cell this chat wrote (remembered, else found by its metadata), or
 * below the active cell, or at the end.
 */
export function insertionIndex(placement: IPlacement): number {
  const { cells } = placement;
  if (placement.position === 'end') {
    return cells.length;
  }
  if (placement.lastCellId !== null) {
    const index = cells.findIndex(cell => cell.id === placement.lastCellId);
    if (index >= 0) {
      return index + 1;
    }
  }
  for (let index = cells.length - 1; index >= 0; index--) {
    if (cells[index].chatId === placement.chatId) {
      return index + 1;
    }
  }
  if (placement.activeIndex !== null && placement.activeIndex < cells.length) {
    return placement.activeIndex + 1;
  }
  return cells.length;
}

/**
 * The provenance stored in a cell's metadata, if the agent wrote it.
 */
export function cellProvenance(
  metadata: Readonly<Record<string, unknown>>
): ICellProvenance | null {
  const value = metadata[CELL_METADATA_KEY];
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ICellProvenance).request_id === 'string'
  ) {
    return value as ICellProvenance;
  }
  return null;
}

/**
 * An action waiting for the user's Run / Edit / Skip.
 */
export interface IPendingApproval {
  readonly requestId: string;
  readonly code: string;
  readonly path: string;
}

/**
 * The user's answer to an approval: run (possibly edited code) or skip.
 */
export type ApprovalDecision = { run: true; code: string } | { run: false };

/**
 * What the caller of `execute` hears about a request as it goes.
 */
export interface IExecuteCallbacks {
  /** The user pressed Run on the request: its cell runs now. */
  onApproved?: () => void;
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

interface IRunning {
  end: IExecutionEnd;
  kernel: Kernel.IKernelConnection;
  stopped: PromiseDelegate<void>;
}

function errorOutput(ename: string, evalue: string): nbformat.IError {
  return { output_type: 'error', ename, evalue, traceback: [] };
}

/**
 * Evaluate the expression that defines the agent's tools in the kernel,
 * silently (no history, no execution count, no outputs in any cell).
 */
async function setupTools(
  kernel: Kernel.IKernelConnection,
  expression: string
): Promise<void> {
  const future = kernel.requestExecute(
    {
      code: '',
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false,
      user_expressions: { codeact_tools: expression }
    },
    true
  );
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<void>(resolve => {
    timer = setTimeout(resolve, TOOLS_SETUP_TIMEOUT_MS);
  });
  try {
    await Promise.race([future.done.then(() => undefined), timeout]);
  } catch {
    // The kernel restarted or died: the cell's execution reports it.
  } finally {
    if (timer !== null) {
      clearTimeout(timer);
    }
  }
}

/**
 * Answer the tool calls of the cell's running execution: its kernel asks
 * with an `input_request` (which reaches this page only), the server
 * answers through `relay`, the answer goes back as the `input_reply`.
 * Other prompts (the code's own `input()`) still go to the output area.
 */
function relayToolCalls(
  cell: CodeCell,
  relay: IExecuteCallbacks['onToolCall']
): void {
  const future = cell.outputArea.future;
  if (!future) {
    return;
  }
  const shown = future.onStdin;
  future.onStdin = msg => {
    if (
      !KernelMessage.isInputRequestMsg(msg) ||
      !msg.content.prompt.startsWith(TOOL_CALL_MARKER)
    ) {
      shown(msg);
      return;
    }
    const reply = (value: string): void => {
      if (!future.isDisposed) {
        future.sendInputReply({ status: 'ok', value }, msg.header);
      }
    };
    if (!relay) {
      reply(END_OF_FILE);
      return;
    }
    relay(msg.header.msg_id, msg.content.prompt).then(reply, () =>
      reply(END_OF_FILE)
    );
  };
}

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
        this._failure(
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
    if (this._approvals.has(requestId)) {
      this.decide(requestId, { run: false });
      return;
    }
    const running = this._running.get(requestId);
    if (running) {
      running.end.interrupted = true;
      void running.kernel.interrupt().catch(() => undefined);
      setTimeout(() => running.stopped.resolve(), INTERRUPT_GRACE_MS);
    }
  }

  /**
   * The context of notebook `panel` for a user message, bounded.
   */
  async context(
    panel: NotebookPanel,
    limits: Partial<IContextLimits> = {}
  ): Promise<string> {
    const notebook = panel.content;
    const cells: ICellSnapshot[] = [];
    const model = notebook.model;
    if (model) {
      for (let index = 0; index < model.cells.length; index++) {
        const cell = model.cells.get(index);
        const code = cell.type === 'code' ? (cell as CodeCell['model']) : null;
        cells.push({
          index,
          type: cell.type as ICellSnapshot['type'],
          source: cell.sharedModel.getSource(),
          outputs: code ? code.outputs.toJSON() : [],
          executionCount: code ? code.executionCount : null
        });
      }
    }
    const snapshot: INotebookSnapshot = {
      path: panel.context.path,
      kernel: panel.sessionContext.session?.kernel
        ? panel.sessionContext.kernelDisplayName
        : null,
      cells,
      activeIndex: notebook.activeCell ? notebook.activeCellIndex : null,
      variables: await this._variables(panel.sessionContext)
    };
    return formatContext(snapshot, {
      ...DEFAULT_CONTEXT_LIMITS,
      cells: this._options.settings().contextCells,
      ...limits
    });
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
    if (request.approval === 'ask') {
      const decision = await this._ask(request);
      if (!decision.run) {
        return {
          type: 'execute_result',
          request_id: request.request_id,
          status: 'skipped',
          outputs: [],
          code,
          execution_count: null,
          cell_id: null
        };
      }
      code = decision.code;
      callbacks.onApproved?.();
    }
    const panel = await this._notebook(request.path);
    if (!panel) {
      return this._failure(
        request,
        `The notebook ${request.path} cannot be opened; it may have been moved or deleted.`,
        'error',
        code
      );
    }
    const notebook = panel.content;
    const model = notebook.model!;
    // A cell that already carries this request id ran (or is running) it:
    // report that cell rather than running the code a second time.
    const existing = notebook.widgets.find(
      cell =>
        cellProvenance(cell.model.metadata)?.request_id === request.request_id
    );
    if (existing instanceof CodeCell) {
      return this._collect(
        request,
        existing,
        {},
        existing.model.sharedModel.getSource()
      );
    }
    const provenance: ICellProvenance = {
      chat_id: chatId,
      turn: request.turn,
      action_id: request.action_id,
      request_id: request.request_id
    };
    const index = insertionIndex({
      cells: notebook.widgets.map(cell => ({
        id: cell.model.id,
        chatId: cellProvenance(cell.model.metadata)?.chat_id ?? null
      })),
      activeIndex: notebook.activeCell ? notebook.activeCellIndex : null,
      lastCellId: this._lastCell.get(chatId) ?? null,
      chatId,
      position: this._options.settings().insertPosition
    });
    const shared = model.sharedModel.insertCell(index, {
      cell_type: 'code',
      source: code,
      metadata: { [CELL_METADATA_KEY]: { ...provenance } }
    });
    this._lastCell.set(chatId, shared.getId());
    const cell = notebook.widgets.find(
      widget => widget.model.id === shared.getId()
    );
    if (!(cell instanceof CodeCell)) {
      return this._failure(
        request,
        'The new cell could not be created.',
        'error',
        code
      );
    }
    const end = await this._runCell(request, cell, panel, callbacks);
    return this._collect(request, cell, end, code);
  }

  private _ask(request: IExecuteMessage): Promise<ApprovalDecision> {
    const decision = new PromiseDelegate<ApprovalDecision>();
    this._approvals.set(request.request_id, {
      pending: {
        requestId: request.request_id,
        code: request.code,
        path: request.path
      },
      decision
    });
    this._approvalsChanged.emit(undefined);
    return decision.promise;
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

  /**
   * Run `cell` through the notebook's session; resolve with what ended it.
   */
  private async _runCell(
    request: IExecuteMessage,
    cell: CodeCell,
    panel: NotebookPanel,
    callbacks: IExecuteCallbacks = {}
  ): Promise<IExecutionEnd> {
    const { sessionContext } = panel;
    const end: IExecutionEnd = {};
    const kernel = sessionContext.session?.kernel;
    if (!kernel) {
      end.replyStatus = 'error';
      cell.model.outputs.add(
        errorOutput(
          'KernelError',
          'The notebook has no kernel: the user must start one (Kernel menu) before the code can run.'
        )
      );
      return end;
    }
    const stopped = new PromiseDelegate<void>();
    const running: IRunning = { end, kernel, stopped };
    const onStatus = (_: unknown, status: Kernel.Status): void => {
      if (
        status === 'dead' ||
        status === 'restarting' ||
        status === 'autorestarting'
      ) {
        end.died = true;
        stopped.resolve();
      }
    };
    const onKernelChanged = (): void => {
      end.died = true;
      stopped.resolve();
    };
    sessionContext.statusChanged.connect(onStatus);
    sessionContext.kernelChanged.connect(onKernelChanged);
    let timer: ReturnType<typeof setTimeout> | null = null;
    if (request.timeout) {
      timer = setTimeout(() => {
        end.timedOut = true;
        void kernel.interrupt().catch(() => undefined);
        setTimeout(() => stopped.resolve(), INTERRUPT_GRACE_MS);
      }, request.timeout * 1000);
    }
    this._running.set(request.request_id, running);
    try {
      const tools = request.tools ?? null;
      if (tools) {
        await setupTools(kernel, tools.setup);
      }
      const execution = CodeCell.execute(cell, sessionContext, {
        deletedCells: panel.content.model?.deletedCells ?? [],
        recordTiming: panel.content.notebookConfig.recordTiming,
        ...(tools ? { [TOOLS_METADATA_KEY]: tools.nonce } : {})
      }) as Promise<KernelMessage.IExecuteReplyMsg | void>;
      if (tools) {
        relayToolCalls(cell, callbacks.onToolCall);
      }
      if (this._options.untrustedOutputs?.()) {
        // `execute` trusts the cell before its outputs arrive: undo that, so that they
        // render sanitized, with no script run.
        cell.model.trusted = false;
      }
      // Show the cell once its execution request is on its way. Scroll
      // only: `scrollToCell` would also select it and take the focus away
      // from wherever the user is typing.
      if (panel.isVisible) {
        const index = panel.content.widgets.indexOf(cell);
        void panel.content.scrollToItem(index, 'smart').catch(() => undefined);
      }
      // When the kernel dies first, the execution rejects later: not an error.
      execution.catch(() => undefined);
      const reply = await Promise.race([
        execution,
        stopped.promise.then(() => undefined)
      ]);
      if (reply) {
        end.replyStatus = reply.content.status;
      }
    } catch {
      // The execution was cancelled (kernel restarted, cell deleted).
      if (!end.died && !end.timedOut) {
        end.interrupted = true;
      }
    } finally {
      if (timer !== null) {
        clearTimeout(timer);
      }
      sessionContext.statusChanged.disconnect(onStatus);
      sessionContext.kernelChanged.disconnect(onKernelChanged);
      this._running.delete(request.request_id);
    }
    return end;
  }

  private _collect(
    request: IExecuteMessage,
    cell: CodeCell,
    end: IExecutionEnd,
    code: string
  ): IExecuteResultMessage {
    const outputs = cell.isDisposed ? [] : cell.model.outputs.toJSON();
    return {
      type: 'execute_result',
      request_id: request.request_id,
      status: executionStatus(end, outputs),
      outputs: boundOutputs(outputs),
      code,
      execution_count: cell.isDisposed ? null : cell.model.executionCount,
      cell_id: cell.model.id
    };
  }

  private _failure(
    request: IExecuteMessage,
    message: string,
    status: 'error' | 'died',
    code = request.code
  ): IExecuteResultMessage {
    return {
      type: 'execute_result',
      request_id: request.request_id,
      status,
      outputs: [errorOutput('ExecutorError', message)],
      code,
      execution_count: null,
      cell_id: null
    };
  }

  /**
   * The kernel's variables, summarised by the server's expression,
   * evaluated silently (no history, no execution count); null if
   * unavailable.
   */
  private async _variables(
    sessionContext: ISessionContext
  ): Promise<string | null> {
    const kernel = sessionContext.session?.kernel;
    if (!kernel) {
      return null;
    }
    let expression: string | null;
    try {
      expression = await this._options.variablesExpression();
    } catch {
      return null;
    }
    if (!expression) {
      return null;
    }
    const future = kernel.requestExecute(
      {
        code: '',
        silent: true,
        store_history: false,
        allow_stdin: false,
        stop_on_error: false,
        user_expressions: { ns: expression }
      },
      true
    );
    // Disposed on timeout below, which rejects `done`: not an error.
    future.done.catch(() => undefined);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const timeout = new Promise<null>(resolve => {
      timer = setTimeout(() => resolve(null), VARIABLES_TIMEOUT_MS);
    });
    try {
      const reply = await Promise.race([future.done, timeout]);
      if (!reply || reply.content.status !== 'ok') {
        return null;
      }
      const ns = (reply.content.user_expressions ?? {})['ns'] as
        { status?: string; data?: Record<string, unknown> } | undefined;
      const value = ns?.status === 'ok' ? ns.data?.['application/json'] : null;
      const text = (value as { text?: unknown } | null)?.text;
      return typeof text === 'string' ? text : null;
    } catch {
      return null;
    } finally {
      if (timer !== null) {
        clearTimeout(timer);
      }
      if (!future.isDisposed) {
        future.dispose();
      }
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
  private _approvalsChanged = new Signal<this, void>(this);
}
