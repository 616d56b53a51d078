/**
 * Run one code cell through its notebook's session and tell how it ended
 * (reply, timeout, interrupt, kernel death), the way the notebook's own
 * Run does, so outputs render as usual.
 */
import type * as nbformat from '@jupyterlab/nbformat';
import { CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { PromiseDelegate } from '@lumino/coreutils';

import { IExecutionEnd } from '../outputs';
import { IExecuteTools, TOOLS_METADATA_KEY } from '../wire';
import { relayToolCalls, setupTools, ToolRelay } from './tools';

/**
 * Milliseconds to wait, after interrupting the kernel, for the cell to end
 * before reporting anyway (code that ignores KeyboardInterrupt).
 */
export const INTERRUPT_GRACE_MS = 5000;

/**
 * A running cell, for whoever has to interrupt it.
 */
export interface IRunning {
  end: IExecutionEnd;
  kernel: Kernel.IKernelConnection;
  stopped: PromiseDelegate<void>;
}

export function errorOutput(ename: string, evalue: string): nbformat.IError {
  return { output_type: 'error', ename, evalue, traceback: [] };
}

/**
 * Interrupt `running`: the kernel, then report after a grace period.
 */
export function interruptRunning(running: IRunning): void {
  running.end.interrupted = true;
  void running.kernel.interrupt().catch(() => undefined);
  setTimeout(() => running.stopped.resolve(), INTERRUPT_GRACE_MS);
}

/**
 * Run `cell` of `panel`; `timeout` in seconds (null: none). `onStart`
 * gets the running cell once its execution is under way.
 */
export async function runCell(options: {
  cell: CodeCell;
  panel: NotebookPanel;
  timeout: number | null;
  onStart: (running: IRunning) => void;
  onEnd: () => void;
  /** Render the outputs untrusted (sanitized, no script run). */
  untrusted?: boolean;
  /** The agent's tools: set up first, their calls relayed by `onToolCall`. */
  tools?: IExecuteTools | null;
  onToolCall?: ToolRelay;
}): Promise<IExecutionEnd> {
  const { cell, panel } = options;
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
  if (options.timeout) {
    timer = setTimeout(() => {
      end.timedOut = true;
      void kernel.interrupt().catch(() => undefined);
      setTimeout(() => stopped.resolve(), INTERRUPT_GRACE_MS);
    }, options.timeout * 1000);
  }
  options.onStart({ end, kernel, stopped });
  try {
    const tools = options.tools ?? null;
    if (tools) {
      await setupTools(kernel, tools.setup);
    }
    const execution = CodeCell.execute(cell, sessionContext, {
      deletedCells: panel.content.model?.deletedCells ?? [],
      recordTiming: panel.content.notebookConfig.recordTiming,
      ...(tools ? { [TOOLS_METADATA_KEY]: tools.nonce } : {})
    }) as Promise<KernelMessage.IExecuteReplyMsg | void>;
    if (tools) {
      relayToolCalls(cell, options.onToolCall);
    }
    if (options.untrusted) {
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
    options.onEnd();
  }
  return end;
}
