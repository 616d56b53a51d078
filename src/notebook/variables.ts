/**
 * The kernel's variables for the context, read silently: no history, no
 * execution count, nothing left in the user's namespace.
 */
import { ISessionContext } from '@jupyterlab/apputils';

/**
 * Milliseconds to wait for the kernel's variables before sending the
 * context without them (the kernel may be busy with a long cell).
 */
const VARIABLES_TIMEOUT_MS = 2000;

/**
 * The kernel's variables, summarised by the server's `expression`
 * (evaluated as a user expression of an empty silent execution); null if
 * unavailable.
 */
export async function kernelVariables(
  sessionContext: ISessionContext,
  expression: () => Promise<string | null>
): Promise<string | null> {
  const kernel = sessionContext.session?.kernel;
  if (!kernel) {
    return null;
  }
  let code: string | null;
  try {
    code = await expression();
  } catch {
    return null;
  }
  if (!code) {
    return null;
  }
  const future = kernel.requestExecute(
    {
      code: '',
      silent: true,
      store_history: false,
      allow_stdin: false,
      stop_on_error: false,
      user_expressions: { ns: code }
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
