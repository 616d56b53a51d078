/**
 * The agent's tools in the notebook's kernel: their setup evaluated
 * silently before an action's cell runs, and the tool calls of the
 * running cell relayed to the server.
 */
import { CodeCell } from '@jupyterlab/cells';
import { Kernel, KernelMessage } from '@jupyterlab/services';

import { TOOL_CALL_MARKER } from '../wire';

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
 * Relays one tool call to the server; resolves with the kernel's reply.
 */
export type ToolRelay = (callId: string, prompt: string) => Promise<string>;

/**
 * Evaluate the expression that defines the agent's tools in the kernel,
 * silently (no history, no execution count, no outputs in any cell).
 */
export async function setupTools(
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
export function relayToolCalls(
  cell: CodeCell,
  relay: ToolRelay | undefined
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
